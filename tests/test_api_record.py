"""The record end to end over REST, on SQLite and PostgreSQL: the facts of a meeting with attendance, three speeches
and a secret vote; texts saved from a base revision (a conflict names who saved last, a resent change is a no-op,
hostile HTML reduced or refused with nothing lost); draft → review → returned → approved (numbered, frozen: its
content stays what it was, nothing changes it) → a correction numbered next; the register, its CSV and who may read
it; a secretary whose role is taken away writes nothing more."""

from __future__ import annotations

import asyncio
import csv
import io
import subprocess
from datetime import date
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy.ext.asyncio import AsyncSession

from meeting_server.errors import AppError
from meeting_server.storage import record as record_store
from meeting_server.storage import register as register_store
from meeting_server.storage.models import RegisterEntryRow
from tests.helpers import ApiClient, LiveServer, check_in_everyone, command_id, make_meeting
from tests.paper_samples import simple


async def _people(server: LiveServer) -> dict[str, dict[str, Any]]:
    unit = await server.create_unit("Văn phòng UBND tỉnh", kind="agency")
    return {
        "chair": await server.create_user("chutich", "Nguyễn Văn Sơn", ["chair"], unit_id=unit, title="Chủ tịch"),
        "secretary": await server.create_user("thuky", "Lê Thị Hoa", ["secretary"], unit_id=unit),
        "d1": await server.create_user("daibieu1", "Trần Văn An", ["delegate"], title="Giám đốc Sở Tài chính"),
        "d2": await server.create_user("daibieu2", "Phạm Thị Bình", ["delegate"]),
        "d3": await server.create_user("daibieu3", "Hoàng Văn Cường", ["delegate"]),
    }


async def _held_meeting(server: LiveServer, people: dict[str, dict[str, Any]]) -> tuple[ApiClient, dict[str, Any]]:
    """A meeting held: two present (one late), one absent with a reason, three speeches and a secret vote on the
    first item, then ended."""
    admin = await server.admin()
    main = await server.create_site("Hội trường tỉnh")
    hall = await server.create_site("Xã Tân Trào")
    delegates = [people[k]["id"] for k in ("d1", "d2", "d3")]
    meeting = await make_meeting(
        admin,
        title="Cuộc họp UBND tỉnh tháng 01 năm 2027",
        chair_id=people["chair"]["id"],
        secretary_id=people["secretary"]["id"],
        invitee_ids=delegates,
        site_ids=[main, hall],
        main_site_id=main,
    )
    mid, item = meeting["id"], meeting["agenda"][0]["id"]
    assert (await admin.post(f"/api/meetings/{mid}/start"))[0] == 200
    await check_in_everyone(admin, mid, [people["chair"]["id"], delegates[0]])
    body = {"person_id": delegates[1], "status": "late", "place": "in_hall"}
    assert (await admin.post(f"/api/meetings/{mid}/attendance", body))[0] == 200
    body = {"person_id": delegates[2], "status": "absent_excused", "reason": "Đi công tác Hà Nội"}
    assert (await admin.post(f"/api/meetings/{mid}/attendance", body))[0] == 200
    assert (await admin.post(f"/api/meetings/{mid}/agenda/current", {"item_id": item}))[0] == 200
    for title in ("Báo cáo kế hoạch đầu tư công", "Phụ lục số liệu"):  # the first is presented, the second not
        fields = {"publish": "1", "item_id": item, "title": title}
        status, uploaded = await admin.upload(f"/api/meetings/{mid}/papers", simple(2), "tai-lieu.pdf", fields)
        assert status == 201, uploaded
        if title.startswith("Báo cáo"):
            presented = await admin.post(f"/api/meetings/{mid}/papers/{uploaded['paper']['id']}/present", {"page": 1})
            assert presented[0] == 200, presented
    for speaker in (f"user:{delegates[0]}", f"user:{delegates[1]}", f"site:{hall}"):
        status, added = await admin.post(f"/api/meetings/{mid}/floor/queue", {"speaker": speaker, "item_id": item})
        assert status == 201, added
        assert (await admin.post(f"/api/meetings/{mid}/floor/requests/{added['request_id']}/give"))[0] == 200
        assert (await admin.post(f"/api/meetings/{mid}/floor/end"))[0] == 200
    question = {"item_id": item, "question": "Thông qua kế hoạch đầu tư công năm 2027", "secret": True}
    status, vote = await admin.post(f"/api/meetings/{mid}/votes", question)
    assert status == 201, vote
    base = f"/api/meetings/{mid}/votes/{vote['vote']['id']}"
    assert (await admin.post(f"{base}/open"))[0] == 200
    for username, choice in (("daibieu1", "yes"), ("daibieu2", "no")):
        tablet = await server.client(username)
        assert (await tablet.post(f"{base}/ballots", {"choices": [choice]}))[0] == 200
    assert (await admin.post(f"{base}/close"))[0] == 200
    assert (await admin.post(f"/api/meetings/{mid}/end"))[0] == 200
    return admin, meeting


def _pdf_text(body: bytes, tmp: Path) -> str:
    path = tmp / "doc.pdf"
    path.write_bytes(body)
    return subprocess.run(["pdftotext", "-layout", str(path), "-"], capture_output=True, text=True, check=True).stdout


async def test_minutes_from_the_log_through_review_approval_and_correction(
    any_server: LiveServer, tmp_path: Path
) -> None:
    people = await _people(any_server)
    admin, meeting = await _held_meeting(any_server, people)
    mid, item = meeting["id"], meeting["agenda"][0]["id"]
    secretary, chair = await any_server.client("thuky"), await any_server.client("chutich")
    delegate = await any_server.client("daibieu1")

    # the facts: attendance, three speeches, the secret vote's counts only
    status, record = await secretary.get(f"/api/meetings/{mid}/record")
    assert status == 200, record
    facts = record["facts"]
    assert [a["name"] for a in facts["present"]] == ["Nguyễn Văn Sơn", "Phạm Thị Bình", "Trần Văn An"]
    assert [(a["name"], a["note"]) for a in facts["absent"]] == [("Hoàng Văn Cường", "Đi công tác Hà Nội")]
    late = {a["name"]: a["note"] for a in facts["late"]}  # arriving after the start (24/11) counts as late
    assert late["Phạm Thị Bình"].startswith("đến muộn lúc ")
    assert facts["host_site"] == "Hội trường tỉnh" and facts["sites_connected"] == ["Xã Tân Trào"]
    assert facts["place"].endswith("trực tuyến đến 2 điểm cầu")
    first = facts["items"][0]
    assert [s["speaker"] for s in first["speeches"]] == ["Trần Văn An", "Phạm Thị Bình", "Xã Tân Trào"]
    assert first["papers"] == ["Báo cáo kế hoạch đầu tư công"] and first["presenter"] == ""
    assert first["started_at"] and first["ended_at"] and facts["started_at"] and facts["ended_at"]
    (line,) = first["votes"]
    assert line["secret"] and line["counts"]["yes"] == 1 and line["counts"]["no"] == 1
    assert (await delegate.get(f"/api/meetings/{mid}/record"))[0] == 403

    status, made = await secretary.post(f"/api/meetings/{mid}/record", {"kind": "bien_ban"})
    assert status == 201, made
    doc = made["document"]
    assert [(s["slot"], s["name"]) for s in doc["slots"]] == [("secretary", "Lê Thị Hoa"), ("chair", "Nguyễn Văn Sơn")]
    status, again = await secretary.post(f"/api/meetings/{mid}/record", {"kind": "bien_ban"})
    assert (status, again["error"]["code"]) == (409, "conflict")
    path = f"/api/record/{doc['id']}"
    text = f"{path}/texts/{item}/discussion"

    # a change with its id; resent, it is answered again and not applied twice
    change = {"X-Command-Id": command_id()}
    html = '<p onclick="x()">Đồng chí <strong class="a">An</strong> đề nghị<script>alert(1)</script> bổ sung.</p>'
    status, saved = await secretary.put(text, {"html": html, "base_revision": 0}, headers=change)
    assert status == 200, saved
    assert saved["revision"] == 1 and saved["text"]["html"] == "<p>Đồng chí <strong>An</strong> đề nghị bổ sung.</p>"
    assert await secretary.put(text, {"html": html, "base_revision": 0}, headers=change) == (200, saved)
    # a second editor from the same base is refused, told who saved and when; the text is the first's
    status, stale = await chair.put(
        text, {"html": "<p>Khác</p>", "base_revision": 0}, headers={"X-Command-Id": command_id()}
    )
    assert (status, stale["error"]["code"]) == (409, "stale_revision")
    assert "Lê Thị Hoa" in stale["error"]["message"]
    # hostile texts: too long, too deep: refused, and the text saved before is still there
    for hostile in ("<p>" + "x" * 1_000_000 + "</p>", "<ul><li>" * 10_000):
        status, refused = await secretary.put(text, {"html": hostile, "base_revision": 1})
        assert status in (413, 422), refused
        assert refused["error"]["code"] in ("payload_too_large", "invalid_input")
    status, read = await secretary.get(path)
    (kept,) = read["texts"]
    assert (kept["revision"], kept["html"]) == (1, saved["text"]["html"])
    conclusion = {"html": "<p>Giao Sở Tài chính hoàn thiện trước 15/01.</p>", "base_revision": 0}
    assert (await secretary.put(f"{path}/texts/{item}/conclusion", conclusion))[0] == 200
    status, bad = await secretary.put(f"{path}/texts/a_nosuchitem/conclusion", conclusion)
    assert (status, bad["error"]["code"]) == (422, "invalid_input")

    status, draft_pdf = await secretary.get(f"{path}/pdf")
    assert status == 200 and draft_pdf[:5] == b"%PDF-"
    assert "DỰ THẢO" in _pdf_text(draft_pdf, tmp_path)

    # review: the secretary sends, the chair comments and returns, the secretary sends again, the chair approves
    assert (await chair.post(f"{path}/approve"))[1]["error"]["code"] == "invalid_input"  # still a draft
    assert (await secretary.post(f"{path}/submit"))[0] == 200
    status, refused = await secretary.put(text, {"html": "<p>Sửa</p>", "base_revision": 1})
    assert (status, refused["error"]["code"]) == (422, "invalid_input")  # in review: only the chair edits
    assert (await secretary.post(f"{path}/approve"))[0] == 403
    status, commented = await chair.post(f"{path}/comments", {"part": item, "text": "Ghi rõ thời hạn"})
    assert status == 201, commented
    status, returned = await chair.post(f"{path}/return", {"comment": "Bổ sung ý kiến của xã Tân Trào"})
    assert status == 200 and returned["document"]["status"] == "draft"
    assert (await secretary.post(f"{path}/submit"))[0] == 200
    status, approved = await chair.post(f"{path}/approve")
    assert status == 200, approved
    assert approved["document"]["status"] == "signing" and approved["document"]["number"] == 1
    symbol = approved["document"]["number_text"].split("-", 1)[1]  # the issuer's, stored with the number
    assert approved["number_text"] == approved["document"]["number_text"] == f"01/BB-{symbol}" and symbol

    status, frozen = await secretary.get(path)
    content = frozen["content"]
    assert content["number"]["number"] == 1 and content["items"][0]["conclusion_html"].startswith("<p>Giao")
    assert [c["author_name"] for c in frozen["comments"]] == ["Nguyễn Văn Sơn", "Nguyễn Văn Sơn"]
    for change_attempt in (
        secretary.put(text, {"html": "<p>Sửa sau</p>", "base_revision": 1}),
        chair.post(f"{path}/return", {"comment": "x"}),
        chair.post(f"{path}/comments", {"part": item, "text": "x"}),
    ):
        status, refused = await change_attempt
        assert (status, refused["error"]["code"]) == (409, "record_frozen"), refused
    # more events (a second document begun; archiving is no longer one: it seals the meeting, and waits for a
    # document being signed, docs/archive.md): the content stays
    status, notice = await secretary.post(f"/api/meetings/{mid}/record", {"kind": "thong_bao"})
    assert status == 201, notice
    assert (await secretary.get(path))[1]["content"] == content

    status, pdf = await secretary.get(f"{path}/pdf")
    assert status == 200
    words = _pdf_text(pdf, tmp_path)
    assert "01/BB" in words and "DỰ THẢO" not in words and "Trần Văn An" in words
    assert (await secretary.post(f"{path}/pdf"))[0] == 405  # read only
    kept = (await secretary.get(path))[1]
    assert kept["has_pdf"] is True and set(kept["boxes"]) == {"secretary", "chair"}
    status, docx = await secretary.get(f"{path}/docx")
    assert status == 200 and docx[:2] == b"PK"

    # a correction: version 2, numbered next; the first is marked replaced
    status, corrected = await secretary.post(f"{path}/correct", {"reason": "Sai tên người phát biểu"})
    assert status == 200, corrected
    second = corrected["document"]
    assert (second["version"], second["replaces_id"], second["status"]) == (2, doc["id"], "draft")
    assert (await secretary.post(f"/api/record/{second['id']}/submit"))[0] == 200
    status, approved = await chair.post(f"/api/record/{second['id']}/approve")
    assert status == 200 and approved["document"]["number"] == 2, approved
    status, first_now = await secretary.get(path)
    assert first_now["status"] == "signing" and first_now["replaced_by_id"] == second["id"]
    correction = (await secretary.get(f"/api/record/{second['id']}"))[1]["content"]["correction"]
    assert correction["replaces"]["number"] == 1

    # the register: the giấy mời (numbered when scheduled) and both biên bản; the CSV with a BOM
    status, listed = await secretary.get("/api/register")
    assert status == 200, listed
    assert [(e["kind"], e["number"]) for e in listed["entries"]] == [("bien_ban", 1), ("bien_ban", 2), ("giay_moi", 1)]
    assert [e["number_text"] for e in listed["entries"]] == [f"01/BB-{symbol}", f"02/BB-{symbol}", f"01/GM-{symbol}"]
    assert (await secretary.get(f"/api/record/{second['id']}"))[1]["number_text"] == f"02/BB-{symbol}"
    assert (await secretary.get(f"/api/meetings/{mid}/record"))[1]["documents"][0]["number_text"] == f"01/BB-{symbol}"
    status, body = await secretary.get("/api/register.csv?kind=bien_ban")
    assert status == 200 and body[:3] == b"\xef\xbb\xbf"
    rows = list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))
    assert rows[0][:4] == ["Số", "Ngày", "Loại", "Trích yếu"] and [r[0] for r in rows[1:]] == ["01", "02"]
    assert rows[1][5] == "Cuộc họp UBND tỉnh tháng 01 năm 2027" and rows[1][2] == "Biên bản"
    assert (await delegate.get("/api/register"))[0] == 403
    assert (await secretary.get(f"/api/register?unit={any_server.unit_id}"))[0] == 403  # another unit's
    status, invitation = await admin.get(f"/api/meetings/{mid}/invitation.pdf")
    assert status == 200 and "01/GM" in _pdf_text(invitation, tmp_path)


async def test_a_secretary_whose_role_is_taken_away_writes_nothing_more(any_server: LiveServer) -> None:
    people = await _people(any_server)
    admin = await any_server.admin()
    meeting = await make_meeting(admin, secretary_id=people["secretary"]["id"], chair_id=people["chair"]["id"])
    secretary = await any_server.client("thuky")
    status, made = await secretary.post(f"/api/meetings/{meeting['id']}/record", {"kind": "bien_ban"})
    assert status == 201, made
    text = f"/api/record/{made['document']['id']}/texts/opening/discussion"
    assert (await secretary.put(text, {"html": "<p>Khai mạc</p>", "base_revision": 0}))[0] == 200
    status, _ = await admin.patch(f"/api/users/{people['secretary']['id']}", {"roles": ["delegate"]})
    assert status == 200
    status, refused = await secretary.put(text, {"html": "<p>Sửa</p>", "base_revision": 1})
    assert status in (401, 403), refused
    status, read = await admin.get(f"/api/record/{made['document']['id']}")
    assert [t["html"] for t in read["texts"]] == ["<p>Khai mạc</p>"]


@pytest.mark.parametrize("issuers", [24])
async def test_concurrent_issues_number_without_gaps_or_duplicates(any_server: LiveServer, issuers: int) -> None:
    """N transactions take numbers at the same moment (and some fail after taking one): the committed ones hold
    1..N' with no gap and no duplicate, on SQLite and PostgreSQL alike."""
    services = any_server.services
    assert services is not None

    async def enter(session: AsyncSession, day: date, confidential: bool = False) -> RegisterEntryRow:
        return await register_store.enter(
            session, unit_id="un_test0001", kind="bien_ban", confidential=confidential, issued_on=day, summary="BB"
        )

    everyone_waiting = asyncio.Event()
    started = 0

    async def issue(n: int) -> int | None:
        nonlocal started
        started += 1
        if started == issuers:
            everyone_waiting.set()
        try:
            async with services.db.write() as session:
                row = await enter(session, date(2027, 1, 5))
                # The first to hold the counter keeps it until every other issuer has asked for its transaction,
                # so all of them queue behind a held counter (the database's lock, not the event loop's order).
                await everyone_waiting.wait()
                if n % 5 == 4:
                    raise AppError("conflict", detail="thử", detail_en="test")  # rolled back with its number
                return row.number
        except AppError:
            return None

    got = await asyncio.gather(*(issue(n) for n in range(issuers)))
    numbers = sorted(n for n in got if n is not None)
    assert numbers == list(range(1, len(numbers) + 1)) and len(numbers) == issuers - issuers // 5
    async with services.db.read() as session:
        listed = await register_store.listing(session, unit_id="un_test0001", kind=None, year=2027, confidential=None)
    assert [r.number for r in listed] == numbers
    # a confidential document and the next year start their own series at 01
    async with services.db.write() as session:
        secret = await enter(session, date(2027, 2, 1), confidential=True)
        next_year = await enter(session, date(2028, 1, 1))
    assert (secret.number, next_year.number) == (1, 1)


async def _planned(server: LiveServer, *invited: str) -> tuple[dict[str, dict[str, Any]], ApiClient, str]:
    """_people and a meeting with their chair and secretary, `invited` (keys of _people) invited: (people, the
    admin, its id)."""
    people = await _people(server)
    admin = await server.admin()
    meeting = await make_meeting(
        admin,
        secretary_id=people["secretary"]["id"],
        chair_id=people["chair"]["id"],
        invitee_ids=[people[k]["id"] for k in invited],
    )
    return people, admin, meeting["id"]


async def test_the_record_page_hears_changes_and_a_demoted_secretary_s_socket_writes_nothing(
    any_server: LiveServer,
) -> None:
    """The secretary's open socket: told live of the chair's text (record.changed, organisers only; a delegate's
    socket hears nothing of it), then demoted, its record commands are refused and nothing is saved."""
    from meeting_server import protocol as p
    from tests.test_live_authz import VI_FORBIDDEN, raw_socket

    people, admin, mid = await _planned(any_server, "d1")
    secretary, chair, delegate = [await any_server.client(u) for u in ("thuky", "chutich", "daibieu1")]
    status, made = await secretary.post(f"/api/meetings/{mid}/record", {"kind": "bien_ban"})
    assert status == 201, made
    doc = made["document"]["id"]
    async with raw_socket(any_server, secretary) as sock, raw_socket(any_server, delegate) as other:
        for s in (sock, other):
            assert (await s.call(p.JOIN, {"meeting_id": mid, "after_seq": 0}))["ok"] is True
        body = {"html": "<p>Chủ tọa khai mạc</p>", "base_revision": 0}
        status, saved = await chair.put(f"/api/record/{doc}/texts/opening/discussion", body)
        assert status == 200, saved
        await sock.marker()
        await other.marker()
        told = [e for e in sock.events(mid) if e["type"] == p.RECORD_CHANGED]
        assert told and (told[-1]["data"]["revision"], told[-1]["data"]["saved_by_name"]) == (1, "Nguyễn Văn Sơn")
        assert "text" not in told[-1]["data"]  # a small entry: the page reads the text with GET
        assert [e for e in other.events(mid) if e["type"] == p.RECORD_CHANGED] == []

        status, _ = await admin.patch(f"/api/users/{people['secretary']['id']}", {"roles": ["delegate"]})
        assert status == 200
        args = {"meeting_id": mid, "document_id": doc, "part": "opening", "field": "discussion"}
        answer = await sock.call(
            p.COMMAND,
            {
                "command_id": command_id(),
                "action": "record.text.save",
                "args": {**args, "html": "<p>x</p>", "base_revision": 1},
            },
        )
        assert answer == {"error": {"code": "forbidden", "message": VI_FORBIDDEN}}, answer
    status, read = await admin.get(f"/api/record/{doc}")
    assert [(t["html"], t["revision"]) for t in read["texts"]] == [("<p>Chủ tọa khai mạc</p>", 1)]


async def test_the_conclusion_notice_from_the_minutes_conclusions(any_server: LiveServer, tmp_path: Path) -> None:
    """The thông báo kết luận: its signer and authority chosen by the organiser, its items the minutes'
    conclusions, numbered in its own series (TB), confidential ones apart."""
    people = await _people(any_server)
    admin, meeting = await _held_meeting(any_server, people)
    mid, item = meeting["id"], meeting["agenda"][0]["id"]
    secretary, chair = await any_server.client("thuky"), await any_server.client("chutich")
    status, minutes = await secretary.post(f"/api/meetings/{mid}/record", {"kind": "bien_ban"})
    assert status == 201, minutes
    body = {"html": "<p>Giao Sở Tài chính tham mưu.</p>", "base_revision": 0}
    assert (await secretary.put(f"/api/record/{minutes['document']['id']}/texts/{item}/conclusion", body))[0] == 200
    ask = {"kind": "thong_bao", "signer_id": people["chair"]["id"], "signer_authority": "KT. CHỦ TỊCH"}
    status, refused = await admin.post(f"/api/meetings/{mid}/record", {**ask, "signer_authority": "Ông"})
    assert (status, refused["error"]["code"]) == (422, "invalid_input")
    status, made = await admin.post(f"/api/meetings/{mid}/record", {**ask, "confidential": True})
    assert status == 201, made
    notice = made["document"]
    assert [(s["slot"], s["authority"]) for s in notice["slots"]] == [("signer", "KT. CHỦ TỊCH"), ("seal", "")]
    path = f"/api/record/{notice['id']}"
    assert (await admin.post(f"{path}/submit"))[0] == 200
    status, approved = await chair.post(f"{path}/approve")
    assert status == 200, approved
    assert (approved["document"]["number"], approved["number_text"]) == (1, approved["document"]["number_text"])
    assert approved["number_text"].startswith("01/TB-")
    content = (await admin.get(path))[1]["content"]
    assert [i["conclusion_html"] for i in content["items"]] == ["<p>Giao Sở Tài chính tham mưu.</p>"]
    assert content["signer"]["authority"] == "KT. CHỦ TỊCH" and content["number"]["confidential"] is True
    status, pdf = await admin.get(f"{path}/pdf")
    assert status == 200
    words = _pdf_text(pdf, tmp_path)
    assert "01/TB" in words and "KT. CHỦ TỊCH" in words and "Giao Sở Tài chính tham mưu." in words
    status, listed = await admin.get("/api/register?kind=thong_bao&confidential=true")
    assert [(e["number"], e["confidential"]) for e in listed["entries"]] == [(1, True)]

    # the signing phase's door: slots sign in order (the seal after the signer); the last one issues it
    services = any_server.services
    assert services is not None
    with pytest.raises(AppError):
        async with services.db.write() as session:
            await record_store.record_signature(session, notice["id"], "seal", b"%PDF-sealed")
    async with services.db.write() as session:
        row = await record_store.record_signature(session, notice["id"], "signer", b"%PDF-signed")
        assert row.status == "signing"
    async with services.db.write() as session:
        row = await record_store.record_signature(session, notice["id"], "seal", b"%PDF-sealed")
        assert row.status == "issued"
    status, issued = await admin.get(path)
    assert issued["status"] == "issued" and all(s["signed_at"] for s in issued["slots"])
    assert (await admin.get(f"{path}/pdf"))[1] == b"%PDF-sealed"  # the signed PDF is the record now
    status, refused = await admin.post(f"{path}/comments", {"part": "document", "text": "x"})
    assert (status, refused["error"]["code"]) == (409, "record_frozen")


async def test_the_giay_moi_is_numbered_when_first_scheduled_and_keeps_its_number(any_server: LiveServer) -> None:
    admin = await any_server.admin()
    first = await make_meeting(admin, title="Họp giao ban tuần 1")
    path = f"/api/meetings/{first['id']}"
    assert (await admin.post(f"{path}/unschedule"))[0] == 200
    assert (await admin.post(f"{path}/schedule"))[0] == 200  # rescheduled: the same number
    second = await make_meeting(admin, title="Họp giao ban tuần 2")
    status, listed = await admin.get("/api/register?kind=giay_moi")
    assert status == 200, listed
    lines = [(e["number"], e["meeting_id"], e["link"]) for e in listed["entries"]]
    assert lines == [
        (1, first["id"], f"/api/meetings/{first['id']}/invitation.pdf"),
        (2, second["id"], f"/api/meetings/{second['id']}/invitation.pdf"),
    ]
    status, bad = await admin.get("/api/register?kind=cong_van")
    assert (status, bad["error"]["code"]) == (422, "invalid_input")


def _docx_text(body: bytes) -> str:
    from docx import Document

    doc = Document(io.BytesIO(body))
    cells = [c.text for t in doc.tables for row in t.rows for c in row.cells]
    return "\n".join([p.text for p in doc.paragraphs] + cells)


async def test_opening_closing_and_recipients_default_from_the_facts_and_freeze(
    any_server: LiveServer, tmp_path: Path
) -> None:
    """An opening/closing part never saved prints its default (the page gets the same one to start from); the
    "Nơi nhận" defaults per kind, is edited by the secretary while a draft, printed in PDF and .docx, frozen."""
    people = await _people(any_server)
    admin, meeting = await _held_meeting(any_server, people)
    mid = meeting["id"]
    secretary, chair = await any_server.client("thuky"), await any_server.client("chutich")
    status, made = await secretary.post(f"/api/meetings/{mid}/record", {"kind": "bien_ban"})
    assert status == 201, made
    path = f"/api/record/{made['document']['id']}"
    status, doc = await secretary.get(path)
    assert doc["recipients"] is None
    assert doc["defaults"]["recipients"] == ["Chủ tọa cuộc họp", "Các thành viên dự họp"]
    (opening,) = doc["defaults"]["texts"]
    assert (opening["part"], opening["field"]) == ("opening", "discussion")
    assert opening["html"].startswith("<p>Chủ tịch Nguyễn Văn Sơn chủ trì cuộc họp, nêu mục đích")
    words = _pdf_text((await secretary.get(f"{path}/pdf"))[1], tmp_path)
    assert "nêu mục đích, yêu cầu" in words and "Chủ tọa cuộc họp" in words and "Các thành viên dự họp" in words

    # edited: the PDF and the .docx print the secretary's list; an emptied opening prints nothing
    status, edited = await secretary.put(
        f"{path}/recipients", {"recipients": ["Sở Tài chính;", " ", "UBND xã Tân Trào"]}
    )
    assert status == 200, edited
    assert edited["document"]["recipients"] == ["Sở Tài chính", "UBND xã Tân Trào"]
    assert (await secretary.put(f"{path}/texts/opening/discussion", {"html": "", "base_revision": 0}))[0] == 200
    words = _pdf_text((await secretary.get(f"{path}/pdf"))[1], tmp_path)
    assert "UBND xã Tân Trào" in words and "Chủ tọa cuộc họp" not in words and "nêu mục đích" not in words
    assert "UBND xã Tân Trào" in _docx_text((await secretary.get(f"{path}/docx"))[1])
    closing = {"html": "<p>Biên bản đã được đọc lại trước cuộc họp.</p>", "base_revision": 0}
    assert (await secretary.put(f"{path}/texts/closing/discussion", closing))[0] == 200

    # in review and once approved the list no longer changes; the frozen content keeps it
    assert (await secretary.post(f"{path}/submit"))[0] == 200
    status, refused = await secretary.put(f"{path}/recipients", {"recipients": ["Khác"]})
    assert (status, refused["error"]["code"]) == (422, "invalid_input")
    assert (await chair.post(f"{path}/approve"))[0] == 200
    content = (await secretary.get(path))[1]["content"]
    assert content["recipients"] == ["Sở Tài chính", "UBND xã Tân Trào"] and content["opening_html"] == ""
    assert content["closing_html"] == closing["html"]
    status, refused = await secretary.put(f"{path}/recipients", {"recipients": None})
    assert (status, refused["error"]["code"]) == (409, "record_frozen")
    words = _pdf_text((await secretary.get(f"{path}/pdf"))[1], tmp_path)
    assert "Biên bản đã được đọc lại trước cuộc họp." in words and "UBND xã Tân Trào" in words

    # the thông báo: "Ngày …, … chủ trì … kết luận như sau:", its closing sentence, the invitees as recipients
    ask = {"kind": "thong_bao", "signer_id": people["chair"]["id"], "signer_authority": "KT. CHỦ TỊCH"}
    status, notice = await admin.post(f"/api/meetings/{mid}/record", ask)
    assert status == 201, notice
    npath = f"/api/record/{notice['document']['id']}"
    defaults = (await admin.get(npath))[1]["defaults"]
    texts = {(x["part"], x["field"]): x["html"] for x in defaults["texts"]}
    assert texts[("opening", "conclusion")].startswith("<p>Ngày ")
    assert "Chủ tịch Nguyễn Văn Sơn chủ trì cuộc họp UBND tỉnh tháng 01 năm 2027" in texts[("opening", "conclusion")]
    assert texts[("opening", "conclusion")].endswith("kết luận như sau:</p>")
    assert texts[("closing", "conclusion")].endswith("biết, thực hiện./.</p>")
    assert defaults["recipients"] == ["Giám đốc Sở Tài chính Trần Văn An", "Phạm Thị Bình", "Hoàng Văn Cường"]
    words = _pdf_text((await admin.get(f"{npath}/pdf"))[1], tmp_path)
    assert "kết luận như sau:" in words and "Phạm Thị Bình" in words and "thực hiện./." in words
    assert "Phạm Thị Bình" in _docx_text((await admin.get(f"{npath}/docx"))[1])


async def test_approvals_at_once_over_rest_take_distinct_gap_free_numbers(any_server: LiveServer) -> None:
    """Two secretaries' minutes of one unit (four meetings, two chairs) approved at the same moment through the
    API: each gets its own number, 01 to 04 with none missing, in the register as in the documents."""
    unit = await any_server.create_unit("Văn phòng UBND tỉnh", kind="agency")
    chairs = [
        await any_server.create_user(f"chutich{i}", f"Chủ tọa {i}", ["chair"], unit_id=unit, title="Phó Chủ tịch")
        for i in (1, 2)
    ]
    secretaries = [
        await any_server.create_user(f"thuky{i}", f"Thư ký {i}", ["secretary"], unit_id=unit) for i in (1, 2)
    ]
    admin = await any_server.admin()
    approvals = []
    for n in range(4):
        chair, secretary = chairs[n % 2], secretaries[n % 2]
        meeting = await make_meeting(
            admin, title=f"Họp giao ban {n + 1}", chair_id=chair["id"], secretary_id=secretary["id"]
        )
        for step in ("start", "end"):
            assert (await admin.post(f"/api/meetings/{meeting['id']}/{step}"))[0] == 200
        writer = await any_server.client(f"thuky{n % 2 + 1}")
        status, made = await writer.post(f"/api/meetings/{meeting['id']}/record", {"kind": "bien_ban"})
        assert status == 201, made
        path = f"/api/record/{made['document']['id']}"
        assert (await writer.post(f"{path}/submit"))[0] == 200
        approvals.append(((await any_server.client(f"chutich{n % 2 + 1}")), path))
    answers = await asyncio.gather(*(chair.post(f"{path}/approve") for chair, path in approvals))
    assert all(status == 200 for status, _ in answers), answers
    numbers = sorted(body["document"]["number"] for _, body in answers)
    assert numbers == [1, 2, 3, 4]
    texts = sorted(body["number_text"] for _, body in answers)
    assert [t.split("/")[0] for t in texts] == ["01", "02", "03", "04"] and len(
        {t.split("-", 1)[1] for t in texts}
    ) == 1
    status, listed = await admin.get("/api/register?kind=bien_ban")
    assert status == 200, listed
    assert sorted(e["number"] for e in listed["entries"] if e["unit_id"] == unit) == [1, 2, 3, 4]


async def test_record_changed_reaches_the_person_a_slot_names(any_server: LiveServer) -> None:
    """Sockets opened before the thông báo named its signer: `record.changed` reaches the named delegate (their
    signing page reloads on it) and not the other delegate, which the marker after it proves."""
    from meeting_server import protocol as p
    from tests.test_live_authz import raw_socket

    people, admin, mid = await _planned(any_server, "d1", "d2")
    assert (await admin.post(f"/api/meetings/{mid}/start"))[0] == 200
    assert (await admin.post(f"/api/meetings/{mid}/end"))[0] == 200
    named, other = [await any_server.client(u) for u in ("daibieu1", "daibieu2")]
    async with raw_socket(any_server, named) as sock, raw_socket(any_server, other) as other_sock:
        for s in (sock, other_sock):
            assert (await s.call(p.JOIN, {"meeting_id": mid, "after_seq": 0}))["ok"] is True
        ask = {"kind": "thong_bao", "signer_id": people["d1"]["id"]}
        status, made = await admin.post(f"/api/meetings/{mid}/record", ask)
        assert status == 201, made
        assert (await admin.post(f"/api/record/{made['document']['id']}/submit"))[0] == 200
        await sock.marker()
        await other_sock.marker()
        told = [e["data"]["status"] for e in sock.events(mid) if e["type"] == p.RECORD_CHANGED]
        assert told == ["draft", "in_review"], told
        assert [e for e in other_sock.events(mid) if e["type"] == p.RECORD_CHANGED] == []
