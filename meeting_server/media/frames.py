"""Encoded frames as the SFU handles them, and the assembly of video frames from RTP packets.

aiortc's own jitter buffer hands a video frame on only when the first packet of the *next* frame arrives (one
frame interval late, 33-66 ms) and holds audio back by four packets; a forwarder must not add that. Here a video
frame is complete when its marker packet and every packet before it back to the frame's first one are in, and an
Opus packet is a frame on its own.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from aiortc.codecs.vpx import VpxPayloadDescriptor

VIDEO_CLOCK = 90_000
AUDIO_CLOCK = 48_000
# How long an incomplete frame may wait for a retransmission before it is given up (and a keyframe asked for).
GIVE_UP_SECONDS = 0.25
MAX_PENDING_FRAMES = 16


@dataclass(frozen=True, slots=True)
class EncodedFrame:
    kind: str  # "audio" | "video"
    codec: str  # "VP8" | "H264" | "opus"
    data: bytes  # a whole VP8 frame, an H.264 access unit (Annex B), or one Opus packet
    timestamp: int  # RTP timestamp, unwrapped (monotonic, no 32-bit wrap)
    keyframe: bool  # always True for audio
    audio_level: int | None = None  # RFC 6464: 0 (loudest) .. 127 (silence), audio only
    arrival: float = 0.0  # time.monotonic() when the last packet of the frame arrived
    after_gap: bool = False  # frames were lost before this one: decodable only from the next keyframe


def is_keyframe(codec: str, data: bytes) -> bool:
    if not data:
        return False
    if codec.upper() == "VP8":
        return data[0] & 0x01 == 0  # frame tag: P bit clear means a key frame (RFC 6386 9.1)
    if codec.upper() == "H264":
        index = 0
        while True:
            index = data.find(b"\x00\x00\x01", index)
            if index < 0 or index + 3 >= len(data):
                return False
            if data[index + 3] & 0x1F in (5, 7):  # IDR slice or sequence parameter set
                return True
            index += 3
    return True


class Unwrapper:
    """Turns 16- or 32-bit wrapping RTP counters into ever-growing integers."""

    def __init__(self, bits: int) -> None:
        self._mod = 1 << bits
        self._half = 1 << (bits - 1)
        self._last: int | None = None

    def __call__(self, value: int) -> int:
        if self._last is None:
            self._last = value
            return value
        delta = (value - self._last) % self._mod
        if delta >= self._half:
            delta -= self._mod
        result = self._last + delta
        if delta > 0:
            self._last = result
        return result


@dataclass
class _Partial:
    timestamp: int
    created: float
    packets: dict[int, bytes] = field(default_factory=dict)
    first: int | None = None
    last: int | None = None
    arrival: float = 0.0

    @property
    def complete(self) -> bool:
        return (
            self.first is not None
            and self.last is not None
            and len(self.packets) == self.last - self.first + 1
            and all(s in self.packets for s in range(self.first, self.last + 1))
        )


class VideoAssembler:
    """Puts one video stream's packets back into frames, in order, as soon as each is whole."""

    def __init__(self, codec: str) -> None:
        self.codec = codec
        self._seq = Unwrapper(16)
        self._ts = Unwrapper(32)
        self._pending: dict[int, _Partial] = {}
        self._previous_last: int | None = None  # sequence number of the last emitted frame's marker packet
        self._emitted_ts: int | None = None
        self._gap = False
        self.frames_lost = 0

    def add(
        self, sequence_number: int, timestamp: int, marker: bool, payload: bytes, data: bytes, now: float | None = None
    ) -> list[EncodedFrame]:
        """`payload` is the RTP payload, `data` the same payload without its codec descriptor."""
        now = time.monotonic() if now is None else now
        seq = self._seq(sequence_number)
        ts = self._ts(timestamp)
        if self._emitted_ts is not None and ts <= self._emitted_ts:
            return []  # a late copy of a frame already handed on or given up
        partial = self._pending.get(ts)
        if partial is None:
            partial = self._pending[ts] = _Partial(ts, now)
        partial.packets[seq] = data
        partial.arrival = now
        if marker:
            partial.last = seq
        if self._starts_frame(payload, seq):
            partial.first = seq if partial.first is None else min(partial.first, seq)
        return self._drain(now)

    def _starts_frame(self, payload: bytes, seq: int) -> bool:
        if self._previous_last is not None and seq == self._previous_last + 1:
            return True
        if self.codec.upper() == "VP8" and payload:
            try:
                descriptor, _ = VpxPayloadDescriptor.parse(payload)
            except ValueError:
                return False
            return bool(descriptor.partition_start) and descriptor.partition_id == 0
        return False

    def _drain(self, now: float) -> list[EncodedFrame]:
        out: list[EncodedFrame] = []
        while self._pending:
            oldest_ts = min(self._pending)
            oldest = self._pending[oldest_ts]
            crowded = len(self._pending) > MAX_PENDING_FRAMES
            stale = now - oldest.created > GIVE_UP_SECONDS
            if oldest.complete:
                assert oldest.first is not None and oldest.last is not None
                # Packets missing between the last frame and this one were a whole frame: wait for it a while.
                follows = self._previous_last is None or oldest.first == self._previous_last + 1
                if not (follows or stale or crowded):
                    break
                data = b"".join(oldest.packets[s] for s in range(oldest.first, oldest.last + 1))
                del self._pending[oldest_ts]
                if not follows:
                    self.frames_lost += 1
                out.append(
                    EncodedFrame(
                        "video",
                        self.codec,
                        data,
                        oldest_ts,
                        is_keyframe(self.codec, data),
                        arrival=oldest.arrival,
                        after_gap=self._gap or not follows,
                    )
                )
                self._gap = False
                self._previous_last = oldest.last
                self._emitted_ts = oldest_ts
                continue
            newer_complete = any(p.complete for t, p in self._pending.items() if t != oldest_ts)
            if (newer_complete and stale) or crowded:
                del self._pending[oldest_ts]
                self.frames_lost += 1
                self._gap = True
                self._emitted_ts = oldest_ts
                # Where the given-up frame ended, if known; otherwise the next whole frame goes out (marked).
                self._previous_last = oldest.last
                continue
            break
        return out
