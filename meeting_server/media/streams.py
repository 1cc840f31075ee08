"""Published streams (sources) and receive slots: the two ends of the forwarding path.

A `Source` is one stream a participant sends (its microphone, camera, or the camera's small copy). A `Slot` is
one receive-only transceiver of a subscriber; the room decides which source each slot shows and can switch it
at any time without renegotiation. On a switch the slot keeps its outgoing RTP timestamps continuous and waits
for a keyframe of the new source (asking for one), so the picture is decodable from its first frame.
"""

from __future__ import annotations

import asyncio
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

from .frames import AUDIO_CLOCK, VIDEO_CLOCK, EncodedFrame

KEYFRAME_REQUEST_INTERVAL = 0.3  # do not flood a publisher with PLIs when many subscribers ask at once
SLOT_QUEUE_FRAMES = 30
LATENCY_SAMPLES = 2000
SILENCE = 127  # RFC 6464 level of digital silence


@dataclass(frozen=True, slots=True)
class OutgoingFrame:
    data: bytes
    timestamp: int
    audio_level: int | None
    arrival: float


class Source:
    """One published stream; hands every frame to the slots showing it (and to the recorder, if recording)."""

    def __init__(self, key: str, stream: str, kind: str, request_keyframe: Callable[[], None]) -> None:
        self.key = key
        self.stream = stream  # "audio" | "video" | "video_small"
        self.kind = kind
        self._request_keyframe = request_keyframe
        self._last_keyframe_request = 0.0
        self._pending_request: asyncio.TimerHandle | None = None
        self.slots: set[Slot] = set()
        self.muted = False
        self.recorder: Callable[[EncodedFrame], None] | None = None
        self.frames = 0
        self.silent_frames = 0
        self.bytes = 0
        self.last_frame_at = 0.0
        self.loudness = 0.0  # smoothed 127 - RFC 6464 level: higher is louder
        self.codec = ""
        self.on_first_frame: Callable[[], None] | None = None  # the room lays out again once media flows

    def deliver(self, frame: EncodedFrame) -> None:
        now = frame.arrival or time.monotonic()
        if self.frames == 0 and self.on_first_frame is not None:
            self.on_first_frame()
        self.frames += 1
        self.bytes += len(frame.data)
        self.last_frame_at = now
        self.codec = frame.codec
        if self.kind == "audio":
            level = SILENCE if frame.audio_level is None else frame.audio_level
            self.loudness = 0.8 * self.loudness + 0.2 * (SILENCE - level)
            if self.muted:
                return  # enforced here: a muted site's sound goes nowhere, whatever its room PC does
            if frame.audio_level == SILENCE:
                # The sender itself says this packet is digital silence: record it, forward nothing (receivers
                # treat the gap like DTX). Forty quiet halls then cost no audio packets at all.
                self.silent_frames += 1
                if self.recorder is not None:
                    self.recorder(frame)
                return
        elif frame.after_gap and not frame.keyframe:
            for slot in self.slots:
                slot.need_keyframe = True
            self.want_keyframe()
        if self.recorder is not None:
            self.recorder(frame)
        for slot in self.slots:
            slot.push(frame)

    def want_keyframe(self) -> None:
        """Ask the publisher for a keyframe; requests close together become one, but none is lost: one that
        comes too soon after the last is sent when the interval is over."""
        now = time.monotonic()
        wait = self._last_keyframe_request + KEYFRAME_REQUEST_INTERVAL - now
        if wait <= 0:
            self._last_keyframe_request = now
            self._request_keyframe()
        elif self._pending_request is None:

            def later() -> None:
                self._pending_request = None
                self.want_keyframe()

            self._pending_request = asyncio.get_running_loop().call_later(wait, later)

    def decay(self, now: float) -> None:
        """A source that stopped sending (DTX, muted at the room, gone) fades out of the loudest list."""
        if now - self.last_frame_at > 0.3:
            self.loudness *= 0.5


class Slot(MediaStreamTrack):
    """The track behind one receive-only transceiver of a subscriber: frames of whichever source it shows."""

    def __init__(self, kind: str, mid: str) -> None:
        super().__init__()
        self.kind = kind
        self.mid = mid
        self.source: Source | None = None
        self.role = ""
        self.need_keyframe = kind == "video"
        self._queue: deque[OutgoingFrame] = deque()
        self._ready = asyncio.Event()
        self._clock = VIDEO_CLOCK if kind == "video" else AUDIO_CLOCK
        self._offset: int | None = None
        self._last_out: int | None = None
        self._last_out_wall = 0.0
        self.latencies: deque[float] = deque(maxlen=LATENCY_SAMPLES)
        self.frames_out = 0
        self.frames_dropped = 0

    def show(self, source: Source | None, role: str = "") -> bool:
        """Point the slot at another source; returns whether anything changed."""
        self.role = role
        if source is self.source:
            return False
        if self.source is not None:
            self.source.slots.discard(self)
        self.source = source
        self._offset = None  # re-based on the next frame, continuing from the last one sent
        self._queue.clear()
        if source is not None:
            source.slots.add(self)
            if self.kind == "video":
                self.need_keyframe = True
                source.want_keyframe()
        return True

    def request_keyframe(self) -> None:
        """A subscriber's PLI/FIR: passed to the publisher of what this slot shows."""
        if self.source is not None:
            self.source.want_keyframe()

    def push(self, frame: EncodedFrame) -> None:
        if self.readyState != "live":
            return
        if self.need_keyframe:
            if not frame.keyframe:
                self.frames_dropped += 1
                if self.source is not None:
                    self.source.want_keyframe()
                return
            self.need_keyframe = False
        if self._offset is None:
            if self._last_out is None:
                self._offset = -frame.timestamp
            else:
                elapsed = time.monotonic() - self._last_out_wall
                step = max(1, int(elapsed * self._clock))
                self._offset = self._last_out + step - frame.timestamp
        out = frame.timestamp + self._offset
        if self._last_out is not None and out <= self._last_out:
            out = self._last_out + 1
        self._last_out = out
        self._last_out_wall = time.monotonic()
        if len(self._queue) >= SLOT_QUEUE_FRAMES:
            # The subscriber's sender cannot keep up: start again from a keyframe rather than drift behind.
            self._queue.clear()
            self.frames_dropped += SLOT_QUEUE_FRAMES
            if self.kind == "video":
                self.need_keyframe = True
                self.request_keyframe()
                return
        self._queue.append(OutgoingFrame(frame.data, out, frame.audio_level, frame.arrival))
        self._ready.set()

    async def recv(self) -> OutgoingFrame:  # type: ignore[override]
        while not self._queue:
            if self.readyState != "live":
                raise MediaStreamError
            self._ready.clear()
            await self._ready.wait()
        frame = self._queue.popleft()
        if frame.arrival:
            self.latencies.append(time.monotonic() - frame.arrival)
        self.frames_out += 1
        return frame

    def stop(self) -> None:
        if self.source is not None:
            self.source.slots.discard(self)
            self.source = None
        super().stop()
        self._ready.set()
