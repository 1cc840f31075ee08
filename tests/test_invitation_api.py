"""The invitation (giấy mời) and calendar file as a delegate downloads them, from the demo province."""

from __future__ import annotations

import asyncio
import re
import subprocess
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pymupdf

from meeting_server import demo_data as d
from meeting_server.demo import seed
from tests.helpers import ApiClient, LiveServer


def pdftotext(path: object) -> str:
    return subprocess.run(
        ["pdftotext", "-enc", "UTF-8", str(path), "-"], capture_output=True, text=True, check=True
    ).stdout


def page_texts(pdf: bytes) -> list[str]:
    with pymupdf.open("pdf", pdf) as doc:
        return [" ".join(page.get_text().split()) for page in doc.pages()]


async def test_demo_meeting_invitation_pdf_and_ics(tmp_path: Path) -> None:
    server = LiveServer(f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}", tmp_path)
    await server.start(seed_admin=False)
    try:
        monday = datetime(2026, 11, 23, 9, 0, tzinfo=timezone(timedelta(hours=7)))
        assert server.services is not None
        result = await seed(server.services, today=monday)
        assert not result["skipped"] and result["users"] == len(d.PEOPLE)
        commune_delegate = next(p for p in d.PEOPLE if p.username.startswith("ct."))
        reader = await ApiClient(server.url).login(commune_delegate.username, d.DEMO_PASSWORD)
        server.clients.append(reader)
        status, mine = await reader.get("/api/meetings")
        assert status == 200 and len(mine["meetings"]) == 1  # invited with the whole commune
        meeting = mine["meetings"][0]
        assert meeting["title"] == d.MEETINGS[0].title and meeting["agenda_count"] == len(d.MEETINGS[0].agenda)

        status, pdf = await reader.get(f"/api/meetings/{meeting['id']}/invitation.pdf")
        assert status == 200 and pdf[:5] == b"%PDF-"
        (tmp_path / "giay-moi.pdf").write_bytes(pdf)
        text = await asyncio.to_thread(pdftotext, tmp_path / "giay-moi.pdf")
        flat = " ".join(text.split())
        assert "GIẤY MỜI" in flat and "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM" in flat
        assert "ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG" in flat and "TM. ỦY BAN NHÂN DÂN" in flat
        # The register numbered it when the seed scheduled it (issue 11), after the held meeting's giấy mời of
        # November 2026: the second of that year, or the first of a later one.
        scheduled_in = datetime.now(timezone(timedelta(hours=7))).year
        expected = 2 if scheduled_in == d.HELD_MEETING.year else 1
        assert f"Số: {expected:02d}/GM-UBND" in flat
        assert "thứ Tư, ngày 25/11/2026" in flat  # two days after Monday the 23rd
        chair = d.person(d.MEETINGS[0].chair_username)
        assert chair.full_name in flat
        assert d.MEETINGS[0].agenda[1].title.split(",")[0] in flat

        # The province conference as an office writes it: the body from page 1, the communes as one group,
        # the department heads by name, and the 124 halls numbered in an annex after the signature.
        pages = await asyncio.to_thread(page_texts, pdf)
        assert "Kính gửi:" in pages[0] and "Trân trọng kính mời dự cuộc họp" in pages[0]
        for username in d.MEETINGS[0].invitee_usernames:
            assert d.person(username).full_name in pages[0]
        assert "- Chủ tịch UBND các xã, phường thuộc tỉnh." in pages[0]
        halls = [d.site(k) for k in d.MEETINGS[0].site_keys if k != d.MAIN_SITE_KEY]
        assert (
            f"Điểm cầu chính: {d.site(d.MAIN_SITE_KEY).name}; các điểm cầu: {len(halls)} điểm cầu xã, phường"
            in (pages[0])
        )
        assert all(p.startswith(f"{n} ") for n, p in enumerate(pages[1:], start=2))
        annex = next(i for i, p in enumerate(pages) if "DANH SÁCH ĐIỂM CẦU" in p)
        assert "Nơi nhận:" in pages[annex - 1] and "./." in pages[annex - 1]
        rows = " ".join(re.sub(r"^\d+ ", "", p) for p in pages[annex:])
        numbered = " ".join(f"{n} {h.name} {d.unit(h.unit_key).name}" for n, h in enumerate(halls, start=1))
        assert len(halls) == 124 and numbered.replace(" ", "") in rows.replace(" ", "")  # cells may touch

        # Issued by an agency (the organiser of the Văn phòng, no chair): its code follows "GM-".
        office = await ApiClient(server.url).login("admin", d.DEMO_PASSWORD)
        server.clients.append(office)
        body = {"title": "Họp chuẩn bị hội nghị", "starts_at": "2026-11-24T14:00:00+07:00"}
        status, own = await office.post("/api/meetings", body)
        assert status == 201, own
        status, pdf = await office.get(f"/api/meetings/{own['id']}/invitation.pdf")
        assert status == 200
        office_text = " ".join(" ".join(await asyncio.to_thread(page_texts, pdf)).split())
        assert "Số: …/GM-VP" in office_text and "VĂN PHÒNG UBND TỈNH" in office_text

        status, ics = await reader.get(f"/api/meetings/{meeting['id']}/invitation.ics")
        assert status == 200
        calendar = ics.decode()
        assert calendar.startswith("BEGIN:VCALENDAR\r\n") and "DTSTART:20261125T010000Z" in calendar
        assert f"UID:{meeting['id']}@meeting-server" in calendar and "STATUS:CONFIRMED" in calendar
    finally:
        await server.stop()
