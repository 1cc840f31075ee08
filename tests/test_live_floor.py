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


async def test_ending_the_meeting_ends_the_speech_and_waits_for_an_open_vote(any_server: LiveServer) -> None:
    """A meeting ended while a hall speaks closes the speech first (its record complete, the main site back, no
    timer left to end it later); while a vote is open the end is refused with a sentence, and nothing changes."""
    made = await floor_meeting(any_server)
    admin, mid, item = made.admin, made.id, made.item
    assert (await admin.post(f"/api/meetings/{mid}/start"))[0] == 200
    async with raw_socket(any_server, admin) as console:
        assert (await console.call(p.JOIN, {"meeting_id": mid, "after_seq": 0}))["ok"] is True
        hall = f"site:{made.hall}"
        asked = await run(console, "floor.add", meeting_id=mid, item_id=item, speaker=hall, site_id=made.hall)
        assert asked["ok"] is True, asked
        given = await run(console, "floor.give", meeting_id=mid, request_id=asked["result"]["request_id"])
        assert given["ok"] is True and given["result"]["main_site_id"] == made.hall
        prepared = await run(console, "vote.prepare", meeting_id=mid, item_id=item, question="Thông qua nghị quyết?")
        assert prepared["ok"] is True, prepared
        vote_id = prepared["result"]["vote"]["id"]
        assert (await run(console, "vote.open", meeting_id=mid, vote_id=vote_id))["ok"] is True
        later = await run(console, "vote.prepare", meeting_id=mid, item_id=item, question="Biểu quyết để sau")
        later_id = later["result"]["vote"]["id"]

        refused = await run(console, "meeting.end", meeting_id=mid)
        assert refused["error"]["code"] == "conflict"
        assert "còn biểu quyết đang mở" in refused["error"]["message"]
        status, meeting = await admin.get(f"/api/meetings/{mid}")
        assert status == 200 and meeting["status"] == "in_progress"
        assert meeting["floor"]["speeches"][-1]["ended_at"] is None  # the refusal changed nothing

        assert (await run(console, "vote.close", meeting_id=mid, vote_id=vote_id))["ok"] is True
        ended = await run(console, "meeting.end", meeting_id=mid)
        assert ended["ok"] is True, ended
        state = ended["result"]
        assert state["status"] == "ended" and state["main_site_id"] == made.main
        speech = state["floor"]["speeches"][-1]
        assert speech["end_reason"] == "meeting_ended" and speech["ended_at"] is not None
        await console.marker()
        types = [e["type"] for e in console.events(mid)]
        assert types[-2:] == [p.FLOOR_ENDED, p.MEETING_ENDED]
        # No vote opens in an ended meeting.
        too_late = await run(console, "vote.open", meeting_id=mid, vote_id=later_id)
        assert too_late["error"]["code"] == "invalid_transition", too_late
