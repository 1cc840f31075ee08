"""Presence is batched into deltas, so forty halls joining at once cost forty small updates, not 40×40 lists."""

from __future__ import annotations

import asyncio
from typing import Any

from meeting_server.signalling.presence import Presence
from tests.helpers import LiveServer, feed_for, make_meeting, wait_for


def test_changes_are_gathered_and_taken_once() -> None:
    presence = Presence()
    for n in range(40):
        presence.join("m_1", "site", f"s_{n:02d}", f"Điểm cầu {n}", "site")
    presence.join("m_1", "user", "u_a", "Hà Thị Lan", "delegate")
    presence.join("m_1", "user", "u_a", "Hà Thị Lan", "delegate")  # her second device
    presence.leave("m_1", "site", "s_00")
    changes = presence.take_changes("m_1")
    assert changes is not None
    assert len(changes["online"]) == 40 and changes["left"] == [{"kind": "site", "id": "s_00"}]
    assert next(e for e in changes["online"] if e["id"] == "u_a")["devices"] == 2
    assert presence.take_changes("m_1") is None
    presence.leave("m_1", "user", "u_a")
    assert presence.take_changes("m_1") == {
        "online": [{"kind": "user", "id": "u_a", "name": "Hà Thị Lan", "role": "delegate", "devices": 1}],
        "left": [],
    }
    assert len(presence.online("m_1")) == 40
    assert presence.online("m_1")[0]["kind"] == "site"


async def test_a_burst_of_joins_is_one_presence_message(live_server: LiveServer) -> None:
    people = [await live_server.create_user(f"xa{n}", f"Đại biểu xã {n}", ["delegate"]) for n in range(8)]
    admin = await live_server.admin()
    meeting = await make_meeting(admin, invitee_ids=[p["id"] for p in people])
    watcher = await feed_for(live_server, admin, meeting["id"])
    messages: list[dict[str, Any]] = []

    async def counting(message: dict[str, Any]) -> None:
        messages.append(message)
        await watcher._on_presence(message)

    watcher.sio.on("presence", counting)
    # A wide gathering window, so the assertion below does not depend on how fast this machine joins eight.
    live_server.hub.presence_delay = 3.0
    clients = [await live_server.client(f"xa{n}") for n in range(8)]
    feeds = []
    try:
        messages.clear()
        feeds = list(await asyncio.gather(*(feed_for(live_server, c, meeting["id"]) for c in clients)))
        await wait_for(lambda: len(watcher.presence) == 9, timeout=15)
        assert len(messages) <= 2  # eight joins, gathered into one or two messages
        await feeds[0].close()
        await wait_for(lambda: len(watcher.presence) == 8, timeout=15)
        expected = {"Quản trị hệ thống"} | {f"Đại biểu xã {n}" for n in range(1, 8)}
        assert {e["name"] for e in watcher.presence} == expected
    finally:
        for feed in feeds[1:]:
            await feed.close()
        await watcher.close()
