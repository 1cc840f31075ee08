"""room_client.media.MediaSession's handling of layouts, without a server: the order the socket delivers them in."""

from __future__ import annotations

from typing import Any

import socketio

from room_client.media import MediaSession


def layout(source: str | None, version: int | None) -> dict[str, Any]:
    slot = {
        "mid": "6",
        "kind": "video",
        "source": source,
        "name": "",
        "quality": "big",
        "role": "main" if source else "",
    }
    message: dict[str, Any] = {"meeting_id": "m1", "tier": 0, "speaker": None, "slots": [slot]}
    if version is not None:
        message["version"] = version
    return message


async def test_an_answer_older_than_a_layout_already_seen_is_not_taken() -> None:
    session = MediaSession(socketio.AsyncClient(), "m1")
    try:
        await session._on_layout(layout("site:a", 2))  # emitted while the join was finishing, delivered first
        assert not session._take_layout(layout(None, 1)["slots"], 1)  # the join's answer
        assert [s["source"] for s in session.showing("main")] == ["site:a"]
        await session._on_layout(layout("site:b", 3))
        await session._on_layout(layout("site:a", 2))  # a repeat of an older one changes nothing
        assert [s["source"] for s in session.showing("main")] == ["site:b"]
        assert session.layout_version == 3
    finally:
        await session.pc.close()


async def test_unnumbered_layouts_and_other_meetings() -> None:
    session = MediaSession(socketio.AsyncClient(), "m1")
    try:
        await session._on_layout(layout("site:a", None))  # a server that does not number them: always taken
        assert [s["source"] for s in session.showing("main")] == ["site:a"]
        await session._on_layout({**layout("site:b", 5), "meeting_id": "m2"})
        assert [s["source"] for s in session.showing("main")] == ["site:a"]
    finally:
        await session.pc.close()
