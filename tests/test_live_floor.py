"""The floor over socket.io, through the same actions as everything else: a delegate asks to speak from the hall
they sit in, the chair gives the floor (the hall becomes the main site, is unmuted, the others muted with "only
the speaker speaks"), ends it (the layout comes back); a delegate demoted while their socket is open is refused."""

from __future__ import annotations

from typing import Any

from meeting_server import protocol as p
from tests.floorkit import floor_meeting
from tests.helpers import LiveServer, command_id
from tests.test_live_authz import VI_FORBIDDEN, RawSocket, raw_socket


async def run(sock: RawSocket, action: str, **args: Any) -> dict[str, Any]:
    return await sock.call(p.COMMAND, {"command_id": command_id(), "action": action, "args": args})


async def test_a_delegate_asks_the_chair_gives_the_floor_and_ends_it(any_server: LiveServer) -> None:
    made = await floor_meeting(any_server)
    delegate, admin, main, hall, other = made.delegate, made.admin, made.main, made.hall, made.other
    mid, item = made.id, made.item
    assert (await admin.post(f"/api/meetings/{mid}/start"))[0] == 200
    async with (
        raw_socket(any_server, await any_server.client("daibieu")) as tablet,
        raw_socket(any_server, admin) as console,
    ):
        for sock in (tablet, console):
            assert (await sock.call(p.JOIN, {"meeting_id": mid, "after_seq": 0}))["ok"] is True
        for muted in (hall, other):
            assert (await run(console, "conference.mute", meeting_id=mid, participant=f"site:{muted}"))["ok"] is True
        asked = await run(
            tablet, "floor.request", meeting_id=mid, item_id=item, kind="reply", topic="Về vốn", site_id=hall
        )
        assert asked["ok"] is True, asked
        request_id = asked["result"]["request_id"]
        # A delegate may not give themselves the floor.
        refused = await run(tablet, "floor.give", meeting_id=mid, request_id=request_id)
        assert refused == {"error": {"code": "forbidden", "message": VI_FORBIDDEN}}

        given = await run(console, "floor.give", meeting_id=mid, request_id=request_id, only_speaker=True)
        assert given["ok"] is True, given
        state = given["result"]
        assert state["main_site_id"] == hall
        assert f"site:{hall}" not in state["conference"]["muted"]
        assert {f"site:{main}", f"site:{other}"} <= set(state["conference"]["muted"])
        speech = state["floor"]["speeches"][-1]
        assert (speech["speaker"], speech["site_id"], speech["item_id"]) == (f"user:{delegate['id']}", hall, item)

        ended = await run(console, "floor.end", meeting_id=mid)
        assert ended["ok"] is True, ended
        state = ended["result"]
        assert state["main_site_id"] == main
        assert f"site:{hall}" in state["conference"]["muted"]
        assert f"site:{main}" not in state["conference"]["muted"]
        assert state["floor"]["speeches"][-1]["ended_at"] is not None
        # The tablet heard the floor's events in order, each carrying the floor.
        await tablet.marker()
        types = [e["type"] for e in tablet.events(mid)]
        assert types[-3:] == [p.FLOOR_REQUESTED, p.FLOOR_GIVEN, p.FLOOR_ENDED]

        # Demoted to observer while the socket is open: asking again is refused, nothing is written.
        status, _ = await admin.patch(f"/api/users/{delegate['id']}", {"roles": ["observer"]})
        assert status == 200
        again = await run(tablet, "floor.request", meeting_id=mid, item_id=item)
        assert again == {"error": {"code": "forbidden", "message": VI_FORBIDDEN}}
