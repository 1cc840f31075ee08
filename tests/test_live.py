"""The live channel over a real socket.io connection: events, presence, commands, bad input, origins,
revocation, and catching up after missing events."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
import socketio

from meeting_server import protocol as p
from room_client.feed import CommandError, MeetingFeed
from tests.helpers import SOCKET_CONNECT_S, ApiClient, LiveServer, command_id, feed_for, make_meeting, wait_for

# The server, its admin, a signed-in invited delegate, and the scheduled meeting.
MeetingWithDelegate = tuple[LiveServer, ApiClient, ApiClient, dict[str, Any]]


@pytest.fixture
async def meeting_with_delegate(any_server: LiveServer) -> MeetingWithDelegate:
    delegate = await any_server.create_user("daibieu", "Hà Thị Lan", ["delegate"])
    admin = await any_server.admin()
    meeting = await make_meeting(admin, invitee_ids=[delegate["id"]])
    reader = await any_server.client("daibieu")
    return any_server, admin, reader, meeting


async def test_change_reaches_every_open_screen(meeting_with_delegate: MeetingWithDelegate) -> None:
    server, admin, reader, meeting = meeting_with_delegate
    chair_feed = await feed_for(server, admin, meeting["id"])
    reader_feed = await feed_for(server, reader, meeting["id"])
    try:
        assert reader_feed.snapshot["status"] == "scheduled"
        await wait_for(lambda: {e["name"] for e in reader_feed.presence} >= {"Hà Thị Lan", "Quản trị hệ thống"})
        status, _ = await admin.post(f"/api/meetings/{meeting['id']}/start")
        assert status == 200
        status, _ = await admin.post(f"/api/meetings/{meeting['id']}/agenda", {"title": "Phát biểu của xã Hợp Thành"})
        await wait_for(lambda: reader_feed.last_seq == chair_feed.last_seq == meeting["last_seq"] + 2)
        status, snap = await reader.get(f"/api/meetings/{meeting['id']}")
        assert reader_feed.snapshot["status"] == "in_progress"
        assert reader_feed.snapshot["agenda"] == snap["agenda"]
        assert reader_feed.snapshot["agenda"][-1]["title"] == "Phát biểu của xã Hợp Thành"
    finally:
        await chair_feed.close()
        await reader_feed.close()
    await wait_for(lambda: server.hub.presence.online(meeting["id"]) == [])


async def test_command_over_socket_applied_once(meeting_with_delegate: MeetingWithDelegate) -> None:
    server, admin, reader, meeting = meeting_with_delegate
    feed = await feed_for(server, admin, meeting["id"])
    try:
        cid = command_id()
        first = await feed.command("agenda.add_item", {"title": "Kết luận của Chủ tịch"}, command_id=cid)
        second = await feed.command("agenda.add_item", {"title": "Kết luận của Chủ tịch"}, command_id=cid)
        assert first == second
        status, snap = await admin.get(f"/api/meetings/{meeting['id']}")
        assert [i["title"] for i in snap["agenda"]].count("Kết luận của Chủ tịch") == 1
        assert snap["last_seq"] == meeting["last_seq"] + 1
        with pytest.raises(CommandError) as denied:
            reader_feed = await feed_for(server, reader, meeting["id"])
            try:
                await reader_feed.command("meeting.start", {})
            finally:
                await reader_feed.close()
        assert denied.value.code == "forbidden"
    finally:
        await feed.close()


async def test_malformed_and_oversized_events_hurt_nobody(meeting_with_delegate: MeetingWithDelegate) -> None:
    server, admin, reader, meeting = meeting_with_delegate
    bystander = await feed_for(server, reader, meeting["id"])
    feed = await feed_for(server, admin, meeting["id"])
    try:
        bad = [
            (p.JOIN, {"meeting_id": 5}, "invalid_input"),
            (p.JOIN, "not an object", "invalid_input"),
            (p.COMMAND, {"command_id": "short", "action": "meeting.start", "args": {}}, "invalid_input"),
            (p.COMMAND, {"command_id": command_id(), "action": "meeting.explode", "args": {}}, "unknown_event"),
            (
                p.COMMAND,
                {
                    "command_id": command_id(),
                    "action": "agenda.add_item",
                    "args": {"meeting_id": meeting["id"], "title": "x", "extra": 1},
                },
                "invalid_input",
            ),
            ("no:such-event", {}, "unknown_event"),
            (
                p.COMMAND,
                {
                    "command_id": command_id(),
                    "action": "agenda.add_item",
                    "args": {"meeting_id": meeting["id"], "title": "x" * (2 * 1024 * 1024)},
                },
                "payload_too_large",
            ),
        ]
        for event, payload, code in bad:
            answer = await feed.call(event, payload)
            assert set(answer) == {"error"}, answer
            assert answer["error"]["code"] == code, (event, answer)
            assert answer["error"]["message"]
        # The connection that sent garbage still works, and so does everyone else's.
        await feed.command("agenda.add_item", {"title": "Nội dung sau lỗi"})
        await wait_for(lambda: bystander.snapshot["agenda"][-1]["title"] == "Nội dung sau lỗi")
        assert bystander.sio.connected
    finally:
        await feed.close()
        await bystander.close()


async def test_foreign_origin_refused(meeting_with_delegate: MeetingWithDelegate) -> None:
    server, admin, reader, meeting = meeting_with_delegate
    feed = MeetingFeed(server.url, meeting["id"], cookie=reader.cookie, origin="http://evil.example")
    with pytest.raises(socketio.exceptions.ConnectionError) as refused:
        await feed.connect(timeout=5)
    assert refused.value and feed.refused["error"]["code"] == "origin_refused"
    assert "evil.example" in feed.refused["error"]["message"]
    same = MeetingFeed(server.url, meeting["id"], cookie=reader.cookie, origin=server.url)
    await same.connect()
    await same.close()


async def test_unauthenticated_socket_refused(any_server: LiveServer) -> None:
    feed = MeetingFeed(any_server.url, "m_abcdefgh", cookie="ms_session=forged")
    with pytest.raises(socketio.exceptions.ConnectionError):
        await feed.connect(timeout=5)
    assert feed.refused == {"error": {"code": "unauthenticated", "message": "Bạn cần đăng nhập để tiếp tục."}}


async def test_uninvited_delegate_cannot_join_or_read(meeting_with_delegate: MeetingWithDelegate) -> None:
    server, admin, reader, meeting = meeting_with_delegate
    await server.create_user("nguoingoai", "Lý Văn Tâm", ["delegate"])
    outsider = await server.client("nguoingoai")
    sio = socketio.AsyncClient()
    await sio.connect(
        server.url, headers={"Cookie": outsider.cookie}, transports=["websocket"], wait_timeout=SOCKET_CONNECT_S
    )
    try:
        answer = await sio.call(p.JOIN, {"meeting_id": meeting["id"], "after_seq": 0})
        assert answer["error"]["code"] == "not_found"
        answer = await sio.call(p.SYNC, {"meeting_id": meeting["id"], "after_seq": 0})
        assert answer["error"]["code"] == "not_found"
        answer = await sio.call(
            p.COMMAND,
            {
                "command_id": command_id(),
                "action": "agenda.add_item",
                "args": {"meeting_id": meeting["id"], "title": "Chen ngang"},
            },
        )
        assert answer["error"]["code"] == "not_found"
    finally:
        await sio.disconnect()
    for path in ("", "/events?after=0", "/participants", "/invitation.pdf", "/invitation.ics"):
        status, body = await outsider.get(f"/api/meetings/{meeting['id']}{path}")
        assert status == 404 and body["error"]["code"] == "not_found", path


async def test_client_that_missed_200_events_catches_up(meeting_with_delegate: MeetingWithDelegate) -> None:
    server, admin, reader, meeting = meeting_with_delegate
    feed = await feed_for(server, reader, meeting["id"])
    await feed.close()
    missed_from = feed.last_seq
    status, snap = await admin.get(f"/api/meetings/{meeting['id']}")
    item_id = snap["agenda"][0]["id"]
    for n in range(200):
        status, _ = await admin.patch(f"/api/meetings/{meeting['id']}/agenda/{item_id}", {"title": f"Lần sửa {n}"})
        assert status == 200
    await feed.connect()
    try:
        assert feed.applied[-200:] == list(range(missed_from + 1, missed_from + 201))
        assert feed.snapshot["agenda"][0]["title"] == "Lần sửa 199"
    finally:
        await feed.close()


async def test_far_behind_client_gets_a_snapshot(tmp_path: Path) -> None:
    server = LiveServer(
        f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}", tmp_path, settings_overrides={"snapshot_after": 20}
    )
    await server.start()
    try:
        admin = await server.admin()
        meeting = await make_meeting(admin, items=1)
        status, log = await admin.get(f"/api/meetings/{meeting['id']}/events?after=1")
        assert "events" in log
        for n in range(25):
            await admin.post(f"/api/meetings/{meeting['id']}/agenda", {"title": f"Mục {n}"})
        status, log = await admin.get(f"/api/meetings/{meeting['id']}/events?after=1")
        assert "snapshot" in log and len(log["snapshot"]["agenda"]) == 26
    finally:
        await server.stop()


async def test_deactivated_user_is_disconnected(meeting_with_delegate: MeetingWithDelegate) -> None:
    server, admin, reader, meeting = meeting_with_delegate
    feed = await feed_for(server, reader, meeting["id"])
    feed.sio.reconnection = False
    status, _ = await admin.patch(f"/api/users/{reader.user_id}", {"active": False})
    assert status == 200
    await wait_for(lambda: not feed.sio.connected)
    assert feed.revoked == "deactivated"
    status, body = await reader.get("/api/meetings")
    assert status == 401
    status, audit = await admin.get("/api/audit")
    assert "user_deactivated" in [e["kind"] for e in audit["entries"]]


async def test_site_token_join_and_revoke(any_server: LiveServer) -> None:
    site_id = await any_server.create_site("Phòng họp trực tuyến UBND xã Hợp Thành")
    admin = await any_server.admin()
    meeting = await make_meeting(admin, site_ids=[site_id], main_site_id=site_id)
    status, issued = await admin.post(f"/api/sites/{site_id}/token")
    assert status == 200 and issued["token"].startswith("st_")
    feed = MeetingFeed(any_server.url, meeting["id"], token=issued["token"])
    await feed.connect()
    feed.sio.reconnection = False
    assert feed.snapshot["my_role"] == "site"
    status, _ = await admin.delete(f"/api/sites/{site_id}/token")
    assert status == 200
    await wait_for(lambda: not feed.sio.connected)
    assert feed.revoked == "token_revoked"
    again = MeetingFeed(any_server.url, meeting["id"], token=issued["token"])
    with pytest.raises(socketio.exceptions.ConnectionError):
        await again.connect(timeout=5)
    status, audit = await admin.get("/api/audit")
    kinds = [e["kind"] for e in audit["entries"]]
    assert "token_issued" in kinds and "token_revoked" in kinds


async def test_draft_events_reach_only_organisers(any_server: LiveServer) -> None:
    delegate = await any_server.create_user("daibieu2", "Triệu Thị Mai", ["delegate"])
    admin = await any_server.admin()
    meeting = await make_meeting(admin, invitee_ids=[delegate["id"]], items=1)
    reader = await any_server.client("daibieu2")
    feed = await feed_for(server=any_server, api=reader, meeting_id=meeting["id"])
    try:
        await admin.post(f"/api/meetings/{meeting['id']}/unschedule")
        await wait_for(lambda: feed.snapshot["status"] == "draft")
        await admin.post(f"/api/meetings/{meeting['id']}/agenda", {"title": "Nội dung mật trong dự thảo"})
        await admin.post(f"/api/meetings/{meeting['id']}/schedule")
        await wait_for(lambda: feed.snapshot["status"] == "scheduled")
        # The delegate saw no draft event, yet ends with the whole agenda from the scheduling event.
        assert [t for t in feed.applied if t > 0][-1] == feed.last_seq
        assert feed.snapshot["agenda"][-1]["title"] == "Nội dung mật trong dự thảo"
        status, log = await reader.get(f"/api/meetings/{meeting['id']}/events?after={meeting['last_seq']}")
        assert [e["type"] for e in log["events"]] == ["meeting.unscheduled", "meeting.scheduled"]
    finally:
        await feed.close()


async def test_ping(meeting_with_delegate: MeetingWithDelegate) -> None:
    server, admin, reader, meeting = meeting_with_delegate
    feed = await feed_for(server, reader, meeting["id"])
    try:
        answer = await feed.call(p.PING, {})
        assert answer["ok"] is True and answer["time"]
    finally:
        await feed.close()


async def test_my_meetings_list_is_told_when_a_meeting_is_scheduled_for_me(any_server: LiveServer) -> None:
    unit_id = await any_server.create_unit("Xã Hợp Thành")
    await any_server.create_user("ct.hopthanh", "Ma Văn Thành", ["delegate"], unit_id=unit_id)
    other_unit = await any_server.create_unit("Xã Đông Thọ")
    await any_server.create_user("ct.khac", "Lý Thị Hoa", ["delegate"], unit_id=other_unit)
    admin = await any_server.admin()
    told: dict[str, list[str]] = {"ct.hopthanh": [], "ct.khac": []}
    sockets = []
    for username in told:
        api = await any_server.client(username)
        sio = socketio.AsyncClient()
        sio.on(p.MEETINGS_CHANGED, lambda msg, who=username: told[who].append(msg["meeting_id"]))
        await sio.connect(
            any_server.url, headers={"Cookie": api.cookie}, transports=["websocket"], wait_timeout=SOCKET_CONNECT_S
        )
        sockets.append(sio)
    try:
        meeting = await make_meeting(admin, invited_unit_ids=[unit_id], items=1)  # invited as a whole commune
        await wait_for(lambda: told["ct.hopthanh"] == [meeting["id"]])
        await admin.post(f"/api/meetings/{meeting['id']}/cancel", {"reason": "Trùng lịch tiếp dân"})
        await wait_for(lambda: told["ct.hopthanh"] == [meeting["id"]] * 2)
        assert told["ct.khac"] == []  # not invited: hears nothing about it
    finally:
        for sio in sockets:
            await sio.disconnect()


async def test_websocket_compression_is_declined_unless_configured(tmp_path: Path) -> None:
    import aiohttp

    for enabled in (False, True):
        server = LiveServer(
            f"sqlite+aiosqlite:///{tmp_path / f'c{enabled}.sqlite3'}",
            tmp_path,
            settings_overrides={"ws_compression": enabled},
        )
        await server.start()
        try:
            admin = await server.admin()
            url = f"{server.url}/socket.io/?EIO=4&transport=websocket"
            async with (
                aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True)) as http,
                http.ws_connect(url, compress=15, headers={"Cookie": admin.cookie}) as ws,
            ):
                assert bool(ws.compress) is enabled
                opening = await ws.receive_str()
                assert opening.startswith("0{")  # engine.io still talks over the uncompressed socket
        finally:
            await server.stop()


async def test_events_for_others_are_not_holes(meeting_with_delegate: MeetingWithDelegate) -> None:
    """The organisers' paper drafts are not for the delegate: `meeting:seq` tells the delegate's screen so, and
    the next event it does receive applies at once, without asking the log."""
    from meeting_server.actions import run_action  # noqa: PLC0415
    from meeting_server.storage import papers as paper_store  # noqa: PLC0415
    from tests.test_permissions import PAGES, load_actor  # noqa: PLC0415

    server, admin, reader, meeting = meeting_with_delegate
    reader_feed = await feed_for(server, reader, meeting["id"])
    syncs = 0
    original = reader_feed.sync

    async def counting() -> None:
        nonlocal syncs
        syncs += 1
        await original()

    reader_feed.sync = counting
    try:
        actor = await load_actor(server, username="admin")
        assert server.services is not None
        for n in range(3):
            async with server.services.db.write() as session:
                await paper_store.add_upload(
                    session,
                    f"up_hole{n}xx",
                    actor.id,
                    f"{n:064x}",
                    {"bytes": 10, "page_count": 3, "pages": PAGES, "filename": "a.pdf"},
                )
            await run_action(
                server.services,
                actor,
                "paper.add",
                {  # a draft: organisers only
                    "meeting_id": meeting["id"],
                    "upload_id": f"up_hole{n}xx",
                    "title": f"Dự thảo {n}",
                },
            )
        await wait_for(lambda: reader_feed.last_seq == meeting["last_seq"] + 3)
        status, _ = await admin.post(f"/api/meetings/{meeting['id']}/agenda", {"title": "Nội dung mới"})
        assert status == 201
        await wait_for(lambda: reader_feed.snapshot["agenda"][-1]["title"] == "Nội dung mới")
        assert reader_feed.last_seq == meeting["last_seq"] + 4
        assert syncs == 0
        assert [t for t in reader_feed.applied if t > 0][-1] == meeting["last_seq"] + 4
    finally:
        await reader_feed.close()
