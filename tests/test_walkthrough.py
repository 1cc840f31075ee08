"""The README's walk-through of a provincial meeting, step by step, on the demo province as `make run` seeds it:
the invitations mailed and answered, check-in (on the tablet, at the desk, by a commune's operator), a commune hall
given the floor, a secret vote and its result. When a step of the README changes, this test changes with it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from meeting_server import demo_data as d
from meeting_server.demo import seed
from tests.helpers import ApiClient, LiveServer, free_port, wait_for
from tests.mailkit import Inbox, smtp_server

ROOT = Path(__file__).resolve().parent.parent


async def test_the_readme_walk_through_of_a_provincial_meeting(tmp_path: Path) -> None:
    inbox, port = Inbox(), free_port()
    smtp = await smtp_server(inbox, port)
    settings = {"smtp_host": "127.0.0.1", "smtp_port": port, "smtp_starttls": False}
    server = LiveServer(f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}", tmp_path, settings_overrides=settings)
    await server.start(seed_admin=False)
    try:
        assert server.services is not None
        made = await seed(server.services)
        await _walk(server, inbox, made["meetings"][0]["id"])
    finally:
        await server.stop()
        smtp.close()
        await smtp.wait_closed()
    readme = (ROOT / "README.md").read_text()
    for step in ("Trả lời giấy mời", "Điểm danh", "Mời phát biểu", "Bỏ phiếu kín", "Kết thúc biểu quyết"):
        assert step in readme.split("## A provincial meeting", 1)[1].split("\n## ", 1)[0], step


async def _as(server: LiveServer, username: str) -> ApiClient:
    return await server.client(username, d.DEMO_PASSWORD)


async def _walk(server: LiveServer, inbox: Inbox, mid: str) -> None:
    path = f"/api/meetings/{mid}"
    # 1. The invitation reaches each department head by mail, with the giấy mời and the calendar file.
    await wait_for(lambda: inbox.to(d.demo_email("tp.taichinh")), timeout=60)
    mail = inbox.to(d.demo_email("tp.taichinh"))[0]
    assert mail.subject.startswith("Giấy mời")
    names = {part.get_filename() for part in mail.message.iter_attachments()}
    assert any(n and n.endswith(".pdf") for n in names) and any(n and n.endswith(".ics") for n in names)

    # 2. They answer on the tablet; the secretary sees the answers and reminds whoever has not answered.
    taichinh, noivu = await _as(server, "tp.taichinh"), await _as(server, "gd.noivu")
    status, _ = await taichinh.post(f"{path}/answer", {"kind": "attending", "mode": "in_hall"})
    assert status == 200
    status, _ = await noivu.post(f"{path}/answer", {"kind": "absent", "reason": "Đi công tác tại Hà Nội"})
    assert status == 200
    thuky = await _as(server, "thuky")
    status, answers = await thuky.get(f"{path}/answers")
    assert status == 200 and answers["counts"]["attending"] == 1 and answers["counts"]["absent"] == 1
    status, reminded = await thuky.post(f"{path}/remind", {})
    assert status == 200 and reminded["person_ids"]
    await wait_for(lambda: inbox.to(d.demo_email("gd.yte"))[1:], timeout=60)  # the invitation, then the reminder

    # 3. The chair opens the meeting; check-in on the tablet, at the desk, and by Tân Trào's operator.
    chair = await _as(server, "chutich")
    assert (await chair.post(f"{path}/start"))[0] == 200
    status, checked = await taichinh.post(f"{path}/attendance/check-in", {})
    assert status == 200, checked
    status, meeting = await thuky.get(path)
    users = {u["username"]: u for u in (await thuky.get("/api/users"))[1]["users"]}
    ids = {name: u["id"] for name, u in users.items()}
    for username in ("chanhvanphong", "gd.yte"):
        desk = {"person_id": ids[username], "status": "checked_in", "place": "in_hall"}
        assert (await thuky.post(f"{path}/attendance", desk))[0] == 200
    assert (await chair.post(f"{path}/attendance/check-in", {}))[0] == 200
    tantrao = next(s["id"] for s in meeting["sites"] if s["name"].endswith("Tân Trào"))
    operator = await _as(server, "kt.tantrao")
    # The commune's chairman is invited with his commune, not by name: the operator's list names him.
    at_site = {"site_id": tantrao, "person_id": ids["ct.tantrao"], "name": users["ct.tantrao"]["full_name"]}
    status, recorded = await operator.post(f"{path}/attendance/site", at_site)
    assert status == 200, recorded
    status, attendance = await thuky.get(f"{path}/attendance")
    assert status == 200 and attendance["quorum"]["line"] == "Có mặt 4/7 · đủ điều kiện tiến hành"

    # 4. The communes are muted ("Tắt tiếng tất cả xã"); Tân Trào asks for the floor; the chair gives it (only the
    # speaker speaks): the hall is the main site everywhere and heard; the end mutes it again, the province's back.
    assert (await chair.post(f"{path}/conference/mute-sites"))[0] == 200
    item = meeting["agenda"][1]["id"]
    status, asked = await operator.post(f"{path}/floor/site-requests", {"site_id": tantrao, "item_id": item})
    assert status == 201, asked
    status, given = await chair.post(f"{path}/floor/requests/{asked['request_id']}/give", {"only_speaker": True})
    assert status == 200 and given["main_site_id"] == tantrao
    assert f"site:{tantrao}" not in given["conference"]["muted"]
    assert f"site:{meeting['main_site_id']}" in given["conference"]["muted"], given["conference"]
    status, ended = await chair.post(f"{path}/floor/end", {})
    assert status == 200 and ended["main_site_id"] == meeting["main_site_id"]
    assert f"site:{tantrao}" in ended["conference"]["muted"]

    # 5. A secret vote: the secretary prepares it, the chair opens it, the members present vote, the chair closes.
    question = "Thông qua kế hoạch phát triển kinh tế - xã hội năm 2027"
    body = {"item_id": item, "question": question, "secret": True, "base": "members_present"}
    status, prepared = await thuky.post(f"{path}/votes", body)
    assert status == 201, prepared
    vote = f"{path}/votes/{prepared['vote']['id']}"
    assert (await chair.post(f"{vote}/open"))[0] == 200
    voters: list[tuple[ApiClient, str]] = [(taichinh, "yes"), (chair, "yes"), (await _as(server, "gd.yte"), "no")]
    voters.append((await _as(server, "chanhvanphong"), "yes"))
    for client, choice in voters:
        status, cast = await client.post(f"{vote}/ballots", {"choices": [choice]})
        assert status == 200 and cast == {"accepted": True, "meeting_id": mid}
    status, closed = await chair.post(f"{vote}/close")
    assert status == 200
    result: dict[str, Any] = closed["vote"]["result"]
    assert {c["choice"]: c["count"] for c in result["counts"]} == {"yes": 3, "no": 1, "abstain": 0}
    assert result["voted"] == 4 and result["passed"] is True  # 3 of the 4 members present: more than half
    status, sheet = await thuky.get(f"{vote}/result?format=pdf")
    assert status == 200 and sheet.startswith(b"%PDF")
