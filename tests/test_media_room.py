"""MediaRoom's layout passes, without a network: sources and slots as the SFU wires them, frames handed in directly.

The first frame of a source makes the room lay out again; these tests pin the order of events that once left a
hall without the main site's picture for as long as nothing else changed in the meeting.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from aiortc import RTCPeerConnection

from meeting_server import protocol as p
from meeting_server.media.frames import EncodedFrame
from meeting_server.media.room import Connection, MediaRoom, round_trip_ms
from meeting_server.media.streams import Slot, Source

SNAPSHOT: dict[str, Any] = {
    "status": "in_progress",
    "main_site_id": "a",
    "chair_id": None,
    "sites": [{"id": "host", "name": "Hội trường huyện"}, {"id": "a", "name": "Xã A"}, {"id": "b", "name": "Xã B"}],
    "conference": {},
}
VIDEO = EncodedFrame("video", "VP8", b"\x10\x02\x00\x9d\x01\x2a", 90000, keyframe=True, arrival=1.0)
AUDIO = EncodedFrame("audio", "opus", b"\xf8\xff\xfe", 48000, keyframe=True, audio_level=30, arrival=1.0)


class Gate:
    """The room's emit: records every message and can hold one message mid-pass, like one slow socket."""

    def __init__(self) -> None:
        self.sent: list[tuple[str, dict[str, Any], str]] = []
        self.open = asyncio.Event()
        self.open.set()
        self.entered = asyncio.Event()
        self._hold_one = False

    def hold_next(self) -> None:
        """The next message waits for `open`; those after it pass."""
        self.open.clear()
        self.entered.clear()
        self._hold_one = True

    async def __call__(self, event: str, data: dict[str, Any], sid: str) -> None:
        if self._hold_one:
            self._hold_one = False
            self.entered.set()
            await self.open.wait()
        self.sent.append((event, data, sid))

    def layouts_to(self, sid: str) -> list[dict[str, Any]]:
        return [data for event, data, to in self.sent if event == p.MEDIA_LAYOUT and to == sid]


@pytest.fixture
async def pcs() -> AsyncIterator[list[RTCPeerConnection]]:
    made: list[RTCPeerConnection] = []
    yield made
    for pc in made:
        await pc.close()


def hall(room: MediaRoom, pcs: list[RTCPeerConnection], site: str) -> Connection:
    """A site's connection as SFU._wire leaves it: three published sources, two video and three audio slots."""
    pc = RTCPeerConnection()
    pcs.append(pc)
    conn = Connection(
        key=f"site:{site}",
        name=room.site_name(f"site:{site}", site),
        view="site",
        sid=f"sid-{site}",
        pc=pc,
        publishes=True,
    )
    for stream in ("audio", "video", "video_small"):
        source = Source(conn.key, stream, "audio" if stream == "audio" else "video", lambda: None)
        source.on_first_frame = room.schedule_relayout
        conn.sources[stream] = source
    conn.video_slots = [Slot("video", "1"), Slot("video", "2")]
    conn.audio_slots = [Slot("audio", str(n)) for n in (3, 4, 5)]
    return conn


def main_of(conn: Connection) -> Source | None:
    return next((slot.source for slot in conn.video_slots if slot.role == "main"), None)


async def settle(room: MediaRoom) -> None:
    while room._relayout_task is not None and not room._relayout_task.done():
        await room._relayout_task


async def test_a_first_frame_during_a_layout_pass_is_not_lost(tmp_path: Path, pcs: list[RTCPeerConnection]) -> None:
    gate = Gate()
    room = MediaRoom("m1", dict(SNAPSHOT), gate, tmp_path, None)
    a, b = hall(room, pcs, "a"), hall(room, pcs, "b")
    await room.add(a)
    await room.add(b)
    assert main_of(b) is None  # the main site sends nothing yet
    # Hall B's sound starts: a pass begins, reads the sources, and is held while sending its first message.
    gate.hold_next()
    b.sources["audio"].deliver(AUDIO)
    await asyncio.wait_for(gate.entered.wait(), 30)
    # The main site's picture starts flowing while that pass is still sending.
    a.sources["video"].deliver(VIDEO)
    gate.open.set()
    await settle(room)
    assert main_of(b) is a.sources["video"]
    assert b.video_slots[0] in a.sources["video"].slots
    last = gate.layouts_to("sid-b")[-1]
    assert [(s["source"], s["role"], s["quality"]) for s in last["slots"] if s["kind"] == "video"][0] == (
        "site:a",
        "main",
        "big",
    )


async def test_the_stats_pass_repairs_a_layout_whatever_was_missed(
    tmp_path: Path, pcs: list[RTCPeerConnection]
) -> None:
    gate = Gate()
    room = MediaRoom("m1", dict(SNAPSHOT), gate, tmp_path, None)
    a, b = hall(room, pcs, "a"), hall(room, pcs, "b")
    await room.add(a)
    await room.add(b)
    a.sources["video"].on_first_frame = None  # a trigger that never fires
    a.sources["video"].deliver(VIDEO)
    assert main_of(b) is None
    sent = len(gate.layouts_to("sid-b"))
    await room._stats_tick()
    assert main_of(b) is a.sources["video"]
    assert len(gate.layouts_to("sid-b")) == sent + 1
    await room._stats_tick()  # nothing changed: nothing sent
    assert len(gate.layouts_to("sid-b")) == sent + 1


async def test_every_slot_is_assigned_before_any_layout_is_sent(tmp_path: Path, pcs: list[RTCPeerConnection]) -> None:
    """Two passes at once (an event and a first frame) cannot leave one hall with the older pass's picture."""
    gate = Gate()
    room = MediaRoom("m1", dict(SNAPSHOT), gate, tmp_path, None)
    a, b, c = hall(room, pcs, "a"), hall(room, pcs, "b"), hall(room, pcs, "c")
    for conn in (a, b, c):
        await room.add(conn)
        for stream in ("video", "video_small"):
            conn.sources[stream].deliver(VIDEO)
    await settle(room)
    assert main_of(c) is a.sources["video"]
    gate.hold_next()
    room.snapshot = {**room.snapshot, "main_site_id": "b"}
    first = asyncio.create_task(room.relayout())  # held on its first message
    await asyncio.wait_for(gate.entered.wait(), 30)
    room.snapshot = {**room.snapshot, "main_site_id": "c"}
    await room.relayout()  # the later pass finishes first
    gate.open.set()
    await first
    for conn in (a, b):
        assert main_of(conn) is c.sources["video"], conn.key
    assert [s["source"] for s in gate.layouts_to("sid-b")[-1]["slots"] if s["role"] == "main"] == ["site:c"]


async def test_layouts_are_numbered_and_the_answer_repeats_the_last(
    tmp_path: Path, pcs: list[RTCPeerConnection]
) -> None:
    gate = Gate()
    room = MediaRoom("m1", dict(SNAPSHOT), gate, tmp_path, None)
    a, b = hall(room, pcs, "a"), hall(room, pcs, "b")
    await room.add(a)
    await room.add(b)
    assert [m["version"] for m in gate.layouts_to("sid-b")] == [1]
    a.sources["video"].deliver(VIDEO)
    await settle(room)
    await room.relayout()  # nothing changed: no message, no new number
    sent = gate.layouts_to("sid-b")
    assert [m["version"] for m in sent] == [1, 2]
    assert b.last_layout() == {"slots": sent[-1]["slots"], "layout_version": 2}


@pytest.mark.parametrize(
    ("samples", "shown"),
    [
        ([0.042, 0.051], 42.0),
        ([-0.014], None),  # issue 9 §1.4: the console showed "RTT -14 ms"
        ([-0.014, 0.0, 0.03], 30.0),  # an impossible sample beside a real one: the real one
        ([0.0], None),
        ([], None),
    ],
)
def test_a_round_trip_is_never_negative(samples: list[float], shown: float | None) -> None:
    assert round_trip_ms(samples) == shown
