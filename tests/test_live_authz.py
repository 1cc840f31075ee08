"""Authorization on the live channel follows the database, not the moment a socket connected: a demoted admin's
open socket loses the admin's commands and rooms, a password reset closes the person's other sockets, and
someone taken off a meeting stops hearing it at once."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import socketio
from aiortc import RTCPeerConnection

from meeting_server import protocol as p
from meeting_server.storage.models import UserRow
from tests.helpers import SOCKET_CONNECT_S, ApiClient, LiveServer, command_id, feed_for, make_meeting, wait_for
from tests.paper_samples import simple

VI_FORBIDDEN = "Bạn không có quyền thực hiện thao tác này."


@dataclass
class RawSocket:
    """A bare socket.io client that keeps every message the server pushes, in the order it came."""

    sio: socketio.AsyncClient
    pushed: list[tuple[str, Any]] = field(default_factory=list)

    def events(self, meeting_id: str) -> list[dict[str, Any]]:
        return [data for name, data in self.pushed if name == p.EVENT and data.get("meeting_id") == meeting_id]

    async def call(self, event: str, payload: Any) -> dict[str, Any]:
        answer: dict[str, Any] = await self.sio.call(event, payload, timeout=10)
        return answer

    async def marker(self) -> None:
        """A round trip on this very socket: whatever the server sent it before is in `pushed` afterwards."""
        assert (await self.call(p.PING, {}))["ok"] is True


def raw_socket(server: LiveServer, api: ApiClient | None = None, token: str = "") -> Any:
    """Signed in as the REST client's user, or as a hall with its device token."""
    return raw_socket_at(server.url, api.cookie if api else "", token)


@asynccontextmanager
async def raw_socket_at(url: str, cookie: str = "", token: str = "") -> AsyncIterator[RawSocket]:
    sio = socketio.AsyncClient(reconnection=False)
    raw = RawSocket(sio)
    for name in (p.EVENT, p.SEQ, p.REVOKED):
        sio.on(name, lambda data, name=name: raw.pushed.append((name, data)))
    await sio.connect(
        url,
        headers={"Cookie": cookie} if cookie else {},
        auth={"token": token} if token else None,
        transports=["websocket"],
        socketio_path=p.SOCKETIO_PATH,
        wait_timeout=SOCKET_CONNECT_S,
    )
    try:
        yield raw
    finally:
        await sio.disconnect()


async def roles_of(server: LiveServer, user_id: str) -> list[str]:
    assert server.services is not None
    async with server.services.db.read() as session:
        row = await session.get(UserRow, user_id)
        assert row is not None
        return list(row.roles)


async def test_a_demoted_admin_s_open_socket_is_refused_admin_commands(any_server: LiveServer) -> None:
    """The HIGH finding: demoted, he made himself admin again over the socket he had opened as admin."""
    deputy = await any_server.create_user("quantri.pho", "Đỗ Văn Phó", ["admin"])
    admin = await any_server.admin()
    meeting = await make_meeting(admin, items=1)
    own = await any_server.client("quantri.pho")
    async with raw_socket(any_server, own) as sock:
        joined = await sock.call(p.JOIN, {"meeting_id": meeting["id"], "after_seq": 0})
        assert joined["ok"] is True and joined["snapshot"]["my_role"] == "admin"
        status, _ = await admin.patch(f"/api/users/{deputy['id']}", {"roles": ["delegate"]})
        assert status == 200
        for action, args in (
            ("user.update", {"user_id": deputy["id"], "roles": ["admin", "delegate"]}),
            ("unit.create", {"name": "Xã Mới Lập", "kind": "commune", "parent_id": any_server.unit_id}),
        ):
            answer = await sock.call(p.COMMAND, {"command_id": command_id(), "action": action, "args": args})
            assert answer == {"error": {"code": "forbidden", "message": VI_FORBIDDEN}}, (action, answer)
        assert await roles_of(any_server, deputy["id"]) == ["delegate"]
        status, units = await admin.get("/api/units")
        assert "Xã Mới Lập" not in [u["name"] for u in units["units"]]
        # He also left the admin's room of the meeting: an organisers-only event no longer reaches him.
        await admin.post(f"/api/meetings/{meeting['id']}/unschedule")
        await admin.post(f"/api/meetings/{meeting['id']}/agenda", {"title": "Dự thảo chỉ người tổ chức xem"})
        await sock.marker()
        assert [e["seq"] for e in sock.events(meeting["id"])] == []


async def test_an_admin_password_reset_ends_every_session_and_socket(any_server: LiveServer) -> None:
    user = await any_server.create_user("daibieu", "Hà Thị Lan", ["delegate"])
    admin = await any_server.admin()
    meeting = await make_meeting(admin, invitee_ids=[user["id"]], items=1)
    tablet, laptop = await any_server.client("daibieu"), await any_server.client("daibieu")
    feeds = [await feed_for(any_server, tablet, meeting["id"]), await feed_for(any_server, laptop, meeting["id"])]
    for feed in feeds:
        feed.sio.reconnection = False
    status, _ = await admin.patch(f"/api/users/{user['id']}", {"password": "mat-khau-moi-2026"})
    assert status == 200
    for feed in feeds:
        await wait_for(lambda feed=feed: not feed.sio.connected)
        assert feed.revoked == "password_changed"
    for client in (tablet, laptop):
        status, body = await client.get("/api/meetings")
        assert (status, body["error"]["code"]) == (401, "unauthenticated")
    status, _ = await admin.get("/api/meetings")
    assert status == 200  # the admin who reset it keeps his own session


async def test_changing_one_s_own_password_keeps_only_this_session(any_server: LiveServer) -> None:
    await any_server.create_user("quantri.pho", "Đỗ Văn Phó", ["admin"])
    here, elsewhere = await any_server.client("quantri.pho"), await any_server.client("quantri.pho")
    meeting = await make_meeting(here, items=1)
    here_feed = await feed_for(any_server, here, meeting["id"])
    other_feed = await feed_for(any_server, elsewhere, meeting["id"])
    other_feed.sio.reconnection = False
    try:
        status, _ = await here.patch(f"/api/users/{here.user_id}", {"password": "mat-khau-moi-2026"})
        assert status == 200
        await wait_for(lambda: not other_feed.sio.connected)
        assert other_feed.revoked == "password_changed"
        status, body = await elsewhere.get("/api/meetings")
        assert (status, body["error"]["code"]) == (401, "unauthenticated")
        status, _ = await here.get("/api/meetings")
        assert status == 200
        assert (await here_feed.call(p.PING, {}))["ok"] is True
        assert here_feed.sio.connected and here_feed.revoked is None
    finally:
        await here_feed.close()


async def test_someone_taken_off_a_meeting_hears_nothing_more_of_it(any_server: LiveServer) -> None:
    gone = await any_server.create_user("daibieu", "Hà Thị Lan", ["delegate"])
    stays = await any_server.create_user("daibieu2", "Triệu Thị Mai", ["delegate"])
    secretary = await any_server.create_user("thuky", "Lý Thị Thu", ["secretary", "delegate"])
    admin = await any_server.admin()
    meeting = await make_meeting(
        admin, invitee_ids=[gone["id"], stays["id"], secretary["id"]], secretary_id=secretary["id"], items=1
    )
    other = await make_meeting(admin, title="Giao ban tuần", invitee_ids=[gone["id"]], items=1)
    gone_api, secretary_api = await any_server.client("daibieu"), await any_server.client("thuky")
    witness = await feed_for(any_server, await any_server.client("daibieu2"), meeting["id"])
    async with (
        raw_socket(any_server, gone_api) as gone_sock,
        raw_socket(any_server, secretary_api) as sec_sock,
    ):
        for sock in (gone_sock, sec_sock):
            assert (await sock.call(p.JOIN, {"meeting_id": meeting["id"], "after_seq": 0}))["ok"] is True
        assert (await gone_sock.call(p.JOIN, {"meeting_id": other["id"], "after_seq": 0}))["ok"] is True
        status, changed = await admin.patch(
            f"/api/meetings/{meeting['id']}", {"invitee_ids": [stays["id"], secretary["id"]], "secretary_id": None}
        )
        assert status == 200, changed
        removal_seq = changed["last_seq"]
        # An event for everyone, then one for the organisers only (a paper still in draft).
        await admin.post(f"/api/meetings/{meeting['id']}/agenda", {"title": "Sau khi rút tên"})
        await wait_for(lambda: witness.last_seq == removal_seq + 1)
        status, body = await admin.upload(
            f"/api/meetings/{meeting['id']}/papers", simple(1), fields={"title": "Dự thảo nội bộ", "access": "all"}
        )
        assert status == 201, body
        # A later event of another meeting does reach the one taken off: what came before it has come too.
        await admin.post(f"/api/meetings/{other['id']}/agenda", {"title": "Vẫn được mời họp này"})
        await wait_for(lambda: len(gone_sock.events(other["id"])) == 1)
        await sec_sock.marker()
        assert gone_sock.events(meeting["id"]) == []  # not even the change that took her off
        # The replaced secretary still follows as a delegate, but no longer hears the organisers' business.
        assert [e["type"] for e in sec_sock.events(meeting["id"])] == ["meeting.updated", "agenda.item_added"]
    await witness.close()


async def probe_offer() -> dict[str, Any]:
    """A real offer, as `room-client check` makes it (one audio slot to hear itself back)."""
    pc = RTCPeerConnection()
    try:
        pc.addTransceiver("audio", direction="recvonly")
        await pc.setLocalDescription(await pc.createOffer())
        return {"type": "offer", "sdp": pc.localDescription.sdp, "receive": {"audio": ["0"]}}
    finally:
        await pc.close()


async def test_refused_probes_hold_no_slot_and_no_account_takes_them_all(live_server: LiveServer) -> None:
    site_id = await live_server.create_site("Phòng họp UBND xã Hợp Thành")
    admin = await live_server.admin()
    status, issued = await admin.post(f"/api/sites/{site_id}/token")
    assert status == 200
    await live_server.create_user("daibieu", "Hà Thị Lan", ["delegate"])
    await live_server.create_user("daibieu2", "Triệu Thị Mai", ["delegate"])
    someone, another = await live_server.client("daibieu"), await live_server.client("daibieu2")
    bad = {**await probe_offer(), "receive": {"audio": ["9"]}}  # a mid the offer does not have
    async with (
        raw_socket(live_server, someone) as one,
        raw_socket(live_server, someone) as two,
        raw_socket(live_server, another) as three,
        raw_socket(live_server, admin) as four,
        raw_socket(live_server, token=issued["token"]) as hall,
    ):
        for sock in (one, two, three, four, one, two):
            refused = await sock.call(p.MEDIA_PROBE, bad)
            assert refused["error"]["code"] == "invalid_sdp", refused
        checked = await hall.call(p.MEDIA_PROBE, await probe_offer())
        assert checked["ok"] is True, checked
        # One account holds one probe: its second replaces its first.
        for sock in (one, two, one):
            assert (await sock.call(p.MEDIA_PROBE, await probe_offer()))["ok"] is True
        assert (await three.call(p.MEDIA_PROBE, await probe_offer()))["ok"] is True
        # People hold at most half of the slots, whoever they are.
        full = await four.call(p.MEDIA_PROBE, await probe_offer())
        assert full["error"]["code"] == "media_full", full
        checked = await hall.call(p.MEDIA_PROBE, await probe_offer())
        assert checked["ok"] is True and checked["participant"] == f"site:{site_id}", checked
