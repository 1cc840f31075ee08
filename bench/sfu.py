#!/usr/bin/env python3
"""SFU benchmark: what forwarding a 40-site meeting costs the server, next to aiortc's MediaRelay.

One run measures, one after another and each against a fresh server process:

1. the SFU (meeting_server.media, forwarding encoded frames) with N sites (default 40) and the chair console;
2. the SFU again at the baseline's size (default 3 sites);
3. the same topology through aiortc's `MediaRelay` (the server decodes every published stream once and encodes
   it again for every subscriber), at the baseline's size: MediaRelay at 40 sites needs many more cores than a
   2-core machine has, so the two are compared per forwarded stream, side by side at the same size.

The topology is the product's own layout: the meeting's main site is site 2 and the host hall (site 1) is the
chair inset, so every site receives the main site big (640x360) and the chair small (320x180), the main site
and the host receive each other big, and the chair console (a chair user, `view=console`, publishing nothing)
receives the main site big and every other site small. Audio goes as the product sends it: every participant
hears the main site, the chair and the loudest other (3 audio slots).

Publishers send pre-encoded media (encoded once before the run with PyAV's libvpx/libopus and cached in the
temp dir), paced in real time, so their encoding cost is nobody's: aiortc's RTCRtpSender only packetises an
`av.Packet`. A PLI makes a publisher jump to its next stored keyframe. Subscribers never decode: their
receivers are the SFU's own `ForwardingReceiver` (RTCP reports, NACK, REMB, no decoder thread) with a counting
sink. The 41 peers are `room_client.media.MediaSession`s over real socket.io connections, spread over a few
worker processes.

The server under test is this file run with `--serve`: the real application (`create_app`, as `meeting-server
serve` builds it, with its GC tuning) in its own process, plus a read-only `/_bench/stats` route and probes
that time each forwarded frame. With `--mode relay` the same application gets `SFU._receive_into` and
`SFU._send_from` replaced so that slots are fed by `MediaRelay().subscribe(receiver.track)` into plain aiortc
senders (see `relay_sfu_class`):
signalling, admission, layout and the room are the product's in both modes; only the media path differs.

Each run overwrites bench/results/sfu-latest.json and .md (sfu-asyncio-latest with --event-loop asyncio, the A/B;
--out NAME for another name); profiles go to bench/results/profiles/, which git ignores. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import fractions
import json
import logging
import multiprocessing as mp
import os
import pickle
import shutil
import signal
import statistics
import struct
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

from fanout import (  # bench/fanout.py: the generic helpers (run as `python bench/sfu.py`, bench/ is on sys.path)
    code_version,
    free_port,
    machine_info,
    pct,
    proc_cpu_s,
    proc_mem_mb,
    py_spy_path,
    raise_nofile,
    summarize_collapsed,
    system_busy_s,
)

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
THIS = Path(__file__).resolve()

GOAL_SITES = 40
GOAL_MAX_CORES = 1.0
GOAL_STREAMS_PER_CORE = 150.0
GOAL_P99_MS = 20.0
GOAL_RATIO = 5.0

# A tag appended to every published video frame (SFU runs only): magic, site, stream, frame number. The SFU
# forwards frames byte for byte and nobody decodes, so the subscriber reads it off the frame's last packet and
# the bench matches it with the publisher's send time: an end-to-end latency on loopback.
MAGIC = b"\xb3\x7c"
TAG = struct.Struct(">HBI")
TAG_LEN = len(MAGIC) + TAG.size
STREAM_IDS = {"video": 1, "video_small": 2}
STREAM_NAMES = {v: k for k, v in STREAM_IDS.items()}

log = logging.getLogger("sfu-bench")


def summary_ms(seconds: list[float]) -> dict[str, Any]:
    ms = sorted(s * 1000.0 for s in seconds)
    if not ms:
        return {"count": 0}
    return {
        "count": len(ms),
        "p50": round(pct(ms, 50) or 0, 2),
        "p90": round(pct(ms, 90) or 0, 2),
        "p99": round(pct(ms, 99) or 0, 2),
        "p999": round(pct(ms, 99.9) or 0, 2),
        "max": round(ms[-1], 2),
        "mean": round(sum(ms) / len(ms), 3),
    }


# ---- pre-encoded sources ---------------------------------------------------------------------------------------


SOURCE_VERSION = 1
VIDEO_CLOCK = 90_000
AUDIO_CLOCK = 48_000


def encode_video(width: int, height: int, fps: int, kbps: int, seconds: float, gop_s: float) -> dict[str, Any]:
    """`seconds` of a moving textured picture through libvpx with the options aiortc's Vp8Encoder uses (CBR,
    realtime), but with a keyframe every `gop_s`. The texture is tuned so the encoder really spends ~kbps."""
    import av
    import numpy as np

    rng = np.random.default_rng(width)
    block = 8
    coarse = rng.integers(0, 256, (2 * height // block + 1, 2 * width // block + 1)).astype(np.float32)
    texture = np.kron(coarse, np.ones((block, block), np.float32))[: 2 * height, : 2 * width]
    texture = (128 + (texture - 128) * 0.3).clip(16, 235).astype(np.uint8)
    codec = av.CodecContext.create("libvpx", "w")
    codec.width, codec.height, codec.pix_fmt = width, height, "yuv420p"
    codec.bit_rate = kbps * 1000
    codec.time_base = fractions.Fraction(1, fps)
    codec.framerate = fractions.Fraction(fps)
    codec.gop_size = int(gop_s * fps)
    codec.qmin, codec.qmax = 2, 56
    rate = str(kbps * 1000)
    codec.options = {
        "bufsize": rate,
        "minrate": rate,
        "maxrate": rate,
        "cpu-used": "8",
        "deadline": "realtime",
        "lag-in-frames": "0",
        "overshoot-pct": "15",
        "undershoot-pct": "100",
        "partitions": "0",
        "static-thresh": "1",
        "keyint_min": str(int(gop_s * fps)),
    }
    frames: list[bytes] = []
    keys: list[bool] = []
    count = int(seconds * fps)
    bar = max(8, width // 16)
    for i in range(count):
        dx, dy = (i * 2) % width, (i // 2) % height
        luma = texture[dy : dy + height, dx : dx + width].copy()
        x = (i * max(2, width // 90)) % (width - bar)
        luma[:, x : x + bar] = 235
        u = np.full((height // 2, width // 2), 128, np.uint8)
        v = np.full((height // 2, width // 2), 128, np.uint8)
        ux = (i * 2) % (width // 2 - 20)
        u[:, ux : ux + 20] = 60
        frame = av.VideoFrame(width, height, "yuv420p")
        frame.planes[0].update(luma.tobytes())
        frame.planes[1].update(u.tobytes())
        frame.planes[2].update(v.tobytes())
        frame.pts = i
        frame.time_base = fractions.Fraction(1, fps)
        for packet in codec.encode(frame):
            frames.append(bytes(packet))
            keys.append(bool(packet.is_keyframe))
    for packet in codec.encode(None):
        frames.append(bytes(packet))
        keys.append(bool(packet.is_keyframe))
    total = sum(len(f) for f in frames)
    return {
        "frames": frames,
        "keyframes": keys,
        "fps": fps,
        "clock": VIDEO_CLOCK,
        "size": [width, height],
        "kbps": round(total * 8 / (len(frames) / fps) / 1000, 1),
        "keyframe_every_s": gop_s,
        "mean_frame_bytes": round(total / len(frames)),
        "max_frame_bytes": max(len(f) for f in frames),
    }


def encode_audio(seconds: float) -> dict[str, Any]:
    """A 440 Hz tone in 20 ms Opus packets, through aiortc's own Opus encoder (what a room PC sends)."""
    import math

    from aiortc.codecs.opus import OpusEncoder
    from av import AudioFrame

    encoder = OpusEncoder()
    frames: list[bytes] = []
    samples = 960
    peak = int(32767 * 0.2)
    for i in range(int(seconds * 50)):
        pcm = struct.pack(
            f"<{samples}h",
            *(int(peak * math.sin(2 * math.pi * 440 * (i * samples + n) / AUDIO_CLOCK)) for n in range(samples)),
        )
        frame = AudioFrame(format="s16", layout="mono", samples=samples)
        frame.planes[0].update(pcm)
        frame.sample_rate = AUDIO_CLOCK
        frame.pts = i * samples
        frame.time_base = fractions.Fraction(1, AUDIO_CLOCK)
        payloads, _ = encoder.encode(frame)
        frames.extend(payloads)
    total = sum(len(f) for f in frames)
    return {
        "frames": frames,
        "keyframes": [True] * len(frames),
        "fps": 50,
        "clock": AUDIO_CLOCK,
        "kbps": round(total * 8 / (len(frames) / 50) / 1000, 1),
        "mean_frame_bytes": round(total / len(frames)),
    }


def load_sources(opts: Options) -> tuple[Path, dict[str, Any]]:
    """The three streams every site sends, encoded once and cached in the temp dir (the same for every site;
    each starts at a different keyframe)."""
    key = f"v{SOURCE_VERSION}-{opts.fps}fps-{opts.kbps}k-{opts.small_kbps}k-{opts.source_seconds:g}s-gop{opts.gop:g}"
    path = Path(tempfile.gettempdir()) / f"ms-sfu-bench-sources-{key}.pickle"
    if not path.exists():
        print(
            f"encoding the sources once ({opts.source_seconds:g} s of 640x360 @ {opts.kbps} kbps, "
            f"320x180 @ {opts.small_kbps} kbps, Opus) -> {path}",
            flush=True,
        )
        sources = {
            "video": encode_video(640, 360, opts.fps, opts.kbps, opts.source_seconds, opts.gop),
            "video_small": encode_video(320, 180, opts.small_fps, opts.small_kbps, opts.source_seconds, opts.gop),
            "audio": encode_audio(opts.source_seconds),
        }
        part = path.with_suffix(f".{os.getpid()}.tmp")
        part.write_bytes(pickle.dumps(sources))
        part.replace(path)
    sources = pickle.loads(path.read_bytes())
    info = {
        name: {k: v for k, v in s.items() if k not in ("frames", "keyframes")} | {"frames": len(s["frames"])}
        for name, s in sources.items()
    }
    return path, info


# ---- publishers and subscribers (worker processes) ---------------------------------------------------------------


class Recorder:
    """What a worker process records while the parent says so (the measured windows)."""

    on = False
    sent: list[tuple[int, int, int, float]] = []  # (site, stream id, frame number, monotonic send time)
    recv: list[tuple[int, int, int, float, int]] = []  # same key, arrival of the frame's last packet, subscriber
    late: list[float] = []  # how late each publisher frame left against its schedule (client overload)


REC = Recorder()
GO: list[asyncio.Event] = []  # publishers send nothing until the parent says "go" (everyone has joined)


def drop_incoming_rtp(pc: Any, counts: dict[str, int]) -> None:
    """The cheapest possible subscriber: count incoming RTP datagrams and drop them before SRTP, RTP parsing and
    the receivers (aiortc's per-packet cost is the same on this side as on the server's, and 40 sites' clients
    would otherwise need more CPU than the server). STUN, DTLS and RTCP still go through, so ICE consent, PLI and
    NACK towards this peer's own senders work; its receivers send no reports (see README)."""
    for transport in getattr(pc, "_RTCPeerConnection__iceTransports", ()):
        connection = transport._connection
        original = connection.data_received

        def data_received(data: bytes, component: int, original: Any = original) -> None:
            if len(data) > 12 and 127 < data[0] < 192 and not 191 < data[1] < 224:  # RTP, not RTCP (RFC 5761)
                counts["dropped"] += 1
                counts["dropped_octets"] += len(data)
                return
            original(data, component)

        connection.data_received = data_received


TONE_LEVEL = 17  # RFC 6464 level (-dBov) of the sources' tone: 0.2 of full scale, RMS -17 dBov
SILENCE_LEVEL = 127


def say_level(sender: Any, level: int) -> None:
    """Put an RFC 6464 audio level on every packet the sender sends, as aiortc does when it encodes sound itself
    (it cannot for pre-encoded packets): a speaker's tone, or digital silence, which a quiet hall's room PC sends
    (aiortc has no DTX) and the SFU does not forward (67f1794)."""
    original = sender._next_encoded_frame

    async def with_level(codec: Any) -> Any:
        frame = await original(codec)
        if frame is not None:
            frame.audio_level = -level  # aiortc writes -audio_level into the extension
        return frame

    sender._next_encoded_frame = with_level


def packet_track_class() -> type:
    import av
    from aiortc.mediastreams import MediaStreamError, MediaStreamTrack

    class PacketTrack(MediaStreamTrack):
        """Loops one pre-encoded stream in real time as `av.Packet`s: aiortc's sender only packetises them."""

        def __init__(self, stream: str, source: dict[str, Any], site: int, start: int, tag: bool) -> None:
            super().__init__()
            self.kind = "audio" if stream == "audio" else "video"
            self.frames: list[bytes] = source["frames"]
            n = len(self.frames)
            keys = [i for i, k in enumerate(source["keyframes"]) if k]
            # next_key[i]: the first keyframe at or after i (wrapping): where a PLI makes us jump
            self.next_key = [next((k for k in keys if k >= i), keys[0]) for i in range(n)]
            self.pos = keys[start % len(keys)] if self.kind == "video" else start % n
            self.period = 1.0 / source["fps"]
            self.ticks = source["clock"] // source["fps"]
            self.time_base = fractions.Fraction(1, source["clock"])
            self.tag = MAGIC + TAG.pack(site, STREAM_IDS[stream], 0)[:3] if tag and stream in STREAM_IDS else None
            self.site, self.stream_id = site, STREAM_IDS.get(stream, 0)
            self.want_key = False
            self.keyframe_requests = 0
            self.skips = 0
            self._start: float | None = None
            self._index = -1

        def request_keyframe(self) -> None:  # the sender's PLI/FIR handler
            if self.kind == "video":
                self.want_key = True
                self.keyframe_requests += 1

        async def recv(self) -> Any:
            if self.readyState != "live":
                raise MediaStreamError
            if self._start is None:
                await GO[0].wait()
            now = time.monotonic()
            if self._start is None:
                self._start, self._index, due = now, 0, now
            else:
                self._index += 1
                due = self._start + self._index * self.period
                if now - due > 1.0:  # far behind: skip to the frame due now, as the product's pacer does
                    self._index = int((now - self._start) / self.period)
                    due = self._start + self._index * self.period
                    self.skips += 1
                elif due > now:
                    await asyncio.sleep(due - now)
            if self.readyState != "live":
                raise MediaStreamError
            pos = self.pos
            if self.want_key:
                self.want_key = False
                pos = self.next_key[pos]
            self.pos = (pos + 1) % len(self.frames)
            data = self.frames[pos]
            sent = time.monotonic()
            if self.tag is not None:
                data = data + self.tag + struct.pack(">I", self._index & 0xFFFFFFFF)
                if REC.on:
                    REC.sent.append((self.site, self.stream_id, self._index & 0xFFFFFFFF, sent))
            if REC.on:
                REC.late.append(max(0.0, sent - due))
            packet = av.Packet(data)
            packet.pts = self._index * self.ticks
            packet.time_base = self.time_base
            return packet

    return PacketTrack


def bench_session_class() -> type:
    from meeting_server.media.hooks import ForwardingReceiver, adopt
    from room_client.media import MediaSession

    class BenchSession(MediaSession):
        """A room PC / console that counts what it receives and decodes nothing."""

        def __init__(self, *args: Any, label: int = 0, **kwargs: Any) -> None:
            self.label = label  # who receives: site index, or -1 for the console
            self.packets = {"audio": 0, "video": 0, "dropped": 0, "dropped_octets": 0}
            self.octets = {"audio": 0, "video": 0}
            super().__init__(*args, **kwargs)

        def _count_packets(self, transceiver: Any) -> None:
            # Instead of MediaSession's counting wrapper (which then hands packets to aiortc's jitter buffer and
            # decoder thread): the SFU's own receiver, which keeps RTCP reports, NACK and REMB and decodes nothing.
            receiver = transceiver.receiver
            adopt(receiver=receiver)
            assert isinstance(receiver, ForwardingReceiver)
            kind = transceiver.kind
            packets, octets, label = self.packets, self.octets, self.label

            def sink(packet: Any, codec: Any, data: bytes) -> None:
                packets[kind] += 1
                octets[kind] += len(packet.payload)
                if REC.on and packet.marker and kind == "video" and data[-TAG_LEN : -TAG.size] == MAGIC:
                    site, stream, seq = TAG.unpack_from(data, len(data) - TAG.size)
                    REC.recv.append((site, stream, seq, time.monotonic(), label))

            receiver.set_sink(sink)

    return BenchSession


@dataclass
class PeerHandle:
    spec: dict[str, Any]
    feed: Any = None
    session: Any = None
    tracks: dict[str, Any] | None = None
    error: str | None = None
    connect_s: float | None = None


def worker_main(conn: Any, name: str, sources_path: str, nice: int) -> None:
    raise_nofile()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    if nice:
        os.nice(nice)
    logging.basicConfig(level=logging.ERROR, format=f"{name} %(levelname)s %(name)s: %(message)s")
    for noisy in ("engineio.client", "socketio.client", "asyncio", "aioice", "aiortc"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    with contextlib.suppress(ImportError):  # a cheaper load generator: the peers' UDP goes through C too
        import uvloop

        asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())
    try:
        asyncio.run(_worker(conn, pickle.loads(Path(sources_path).read_bytes())))
    finally:
        conn.close()


async def _worker(conn: Any, sources: dict[str, Any]) -> None:
    from room_client.feed import MeetingFeed

    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()

    def readable() -> None:
        try:
            inbox.put_nowait(conn.recv())
        except (EOFError, OSError):
            loop.remove_reader(conn.fileno())
            inbox.put_nowait(("stop",))

    loop.add_reader(conn.fileno(), readable)
    os.set_blocking(conn.fileno(), True)  # uvloop made it non-blocking: a big answer would fail with EAGAIN
    GO[:] = [asyncio.Event()]
    track_class = packet_track_class()
    session_class = bench_session_class()
    peers: list[PeerHandle] = []
    requests_before = 0  # keyframe requests the publishers had had when recording started
    conn.send(("ready",))

    async def start_peer(peer: PeerHandle, url: str, meeting_id: str, gate: asyncio.Semaphore) -> None:
        spec = peer.spec
        async with gate:
            started = time.perf_counter()
            try:
                peer.feed = MeetingFeed(url, meeting_id, token=spec.get("token"), cookie=spec.get("cookie"))
                await peer.feed.connect(timeout=30)
                tracks: dict[str, Any] = {}
                if spec["publish"]:
                    for stream in ("audio", "video", "video_small"):
                        tracks[stream] = track_class(
                            stream, sources[stream], spec["index"], spec["index"] * 7, spec["tag"]
                        )
                peer.tracks = tracks
                peer.session = session_class(
                    peer.feed.sio,
                    meeting_id,
                    view=spec["view"],
                    label=-1 if spec["view"] == "console" else spec["index"],
                    video_slots=spec["video_slots"],
                    audio_slots=spec["audio_slots"],
                    **tracks,
                )
                await peer.session.start(timeout=90)
                for transceiver in peer.session.pc.getTransceivers():
                    track = transceiver.sender.track
                    if track is not None and hasattr(track, "request_keyframe"):
                        transceiver.sender._send_keyframe = track.request_keyframe  # PLI: jump to a keyframe
                    if track is not None and track.kind == "audio" and hasattr(track, "frames"):
                        say_level(transceiver.sender, TONE_LEVEL if spec.get("speaks", True) else SILENCE_LEVEL)
                await peer.session.wait_connected(60)
                if spec["drop"]:
                    drop_incoming_rtp(peer.session.pc, peer.session.packets)
                peer.connect_s = time.perf_counter() - started
            except Exception as exc:
                peer.error = f"{type(exc).__name__}: {exc}"[:200]

    async def close_peer(peer: PeerHandle) -> None:
        if peer.feed is not None:
            peer.feed.sio.reconnection = False
        if peer.session is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(peer.session.close(), 10)
        if peer.feed is not None:
            with contextlib.suppress(Exception):
                await asyncio.wait_for(peer.feed.close(), 5)

    def status() -> dict[str, Any]:
        live = [p for p in peers if p.session is not None and p.error is None]
        return {
            "peers": len(peers),
            "connected": sum(p.session.pc.connectionState == "connected" for p in live),
            "ice_backlog": {p.spec["view"] + str(p.spec["index"]): ice_backlog(p.session.pc) for p in live},
            "closed": dict(Counter(p.session.close_reason or "closed" for p in live if p.session.closed.is_set())),
            "errors": [p.error for p in peers if p.error],
        }

    while True:
        msg = await inbox.get()
        kind = msg[0]
        if kind == "connect":
            _, url, meeting_id, specs = msg
            fresh = [PeerHandle(spec) for spec in specs]
            peers.extend(fresh)
            gate = asyncio.Semaphore(3)
            await asyncio.gather(*(start_peer(p, url, meeting_id, gate) for p in fresh))
            conn.send(("connect", {**status(), "connect_s": [p.connect_s for p in fresh]}))
        elif kind == "status":
            conn.send(("status", status()))
        elif kind == "go":
            GO[0].set()
            conn.send(("go",))
        elif kind == "record":
            REC.on = bool(msg[1])
            if REC.on:
                REC.sent, REC.recv, REC.late = [], [], []
                requests_before = sum(t.keyframe_requests for p in peers for t in (p.tracks or {}).values())
            conn.send(("record",))
        elif kind == "collect":
            tracks = [t for p in peers for t in (p.tracks or {}).values()]
            conn.send(
                (
                    "collect",
                    {
                        "sent": REC.sent,
                        "recv": REC.recv,
                        "late": REC.late,
                        "keyframe_requests": sum(t.keyframe_requests for t in tracks) - requests_before,
                        "pacer_skips": sum(t.skips for t in tracks),
                        "received": {
                            k: sum(p.session.packets[k] for p in peers if p.session is not None)
                            for k in ("audio", "video", "dropped", "dropped_octets")
                        },
                        **status(),
                    },
                )
            )
        elif kind == "disconnect":
            await asyncio.gather(*(close_peer(p) for p in peers), return_exceptions=True)
            for p in peers:  # sessions of clients that were between reconnects
                http = getattr(getattr(p.feed, "sio", None) and p.feed.sio.eio, "http", None)
                if http is not None and not http.closed:
                    with contextlib.suppress(Exception):
                        await http.close()
            peers.clear()
            GO[:] = [asyncio.Event()]
            REC.on = False
            REC.sent, REC.recv, REC.late = [], [], []
            conn.send(("disconnect",))
        elif kind == "stop":
            await asyncio.gather(*(close_peer(p) for p in peers), return_exceptions=True)
            with contextlib.suppress(Exception):
                conn.send(("stopped",))
            return


class Worker:
    """The parent's handle on one peer process."""

    def __init__(self, name: str, sources_path: Path, nice: int) -> None:
        ctx = mp.get_context("spawn")
        self.name = name
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=worker_main, args=(child, name, str(sources_path), nice), name=name, daemon=True)
        self.proc.start()
        child.close()
        self.inbox: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
        self.ready = False
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self.conn.fileno(), self._readable)

    @property
    def pid(self) -> int:
        return int(self.proc.pid or 0)

    async def started(self) -> None:
        if not self.ready:
            await self.expect("ready", 120)
            self.ready = True

    def _readable(self) -> None:
        try:
            msg = self.conn.recv()
        except (EOFError, OSError):
            self._loop.remove_reader(self.conn.fileno())
            self.inbox.put_nowait(("dead", self.proc.exitcode))
            return
        self.inbox.put_nowait(msg)

    async def expect(self, kind: str, wait_s: float) -> Any:
        msg = await asyncio.wait_for(self.inbox.get(), wait_s)
        if msg[0] == "dead":
            raise RuntimeError(f"worker {self.name} died (exit code {msg[1]})")
        if msg[0] != kind:
            raise RuntimeError(f"worker {self.name}: expected {kind}, got {msg[0]}")
        return msg[1] if len(msg) > 1 else None

    async def ask(self, kind: str, *args: Any, wait_s: float = 30) -> Any:
        self.conn.send((kind, *args))
        return await self.expect(kind, wait_s)

    async def shutdown(self) -> None:
        with contextlib.suppress(Exception):
            self.conn.send(("stop",))
            await self.expect("stopped", 20)
        with contextlib.suppress(Exception):
            self._loop.remove_reader(self.conn.fileno())
        await asyncio.to_thread(self.proc.join, 5)
        if self.proc.is_alive():
            self.proc.terminate()
            await asyncio.to_thread(self.proc.join, 5)
        if self.proc.is_alive():
            self.proc.kill()
            await asyncio.to_thread(self.proc.join, 5)
        self.conn.close()


NOMINAL_FPS: dict[str, float] = {}  # frames a second of each published stream (set from the sources)


# ---- the server under test (`--serve`) --------------------------------------------------------------------------

# Samples the probes take in the server process, cleared by /_bench/stats?reset. Seconds.
LAT: dict[str, list[float]] = {
    "queue_audio": [],
    "queue_video": [],
    "sent_audio": [],
    "sent_video": [],
    "loop_lag": [],
    "socket_wait": [],
    "input_wait": [],
}
PROBE_COUNTS: Counter[str] = Counter()
# Tagged video frames seen by the server (SFU mode): (site, stream, frame number, monotonic time[, sender id]) when
# the frame's last packet reached the receiver's sink, and when its last packet was handed to a subscriber's socket.
TAGS: dict[str, list[tuple[Any, ...]]] = {"in": [], "out": []}
TAGGING = [False]
CURRENT_ARRIVAL: list[float | None] = [None]  # kernel arrival of the datagram being processed (see input probes)


def install_input_probes(drain: int = 1) -> None:
    """When did each datagram reach the server's socket? The kernel stamps it (SO_TIMESTAMPNS) and the bench
    reads the stamp with recvmsg instead of asyncio's recvfrom; the datagram then travels as a bytes subclass
    carrying it, through aioice's queue to the DTLS transport, which takes it with `Connection.recv` and processes
    it, without suspending, down to the SFU's sink: so the sink knows when its packet arrived. This makes
    visible what the other probes cannot: the time a datagram waits in the socket queue until the event loop
    reads it (asyncio reads one datagram per socket per loop iteration) and in aioice's queue."""
    import socket
    from asyncio import selector_events

    import aioice

    so_timestampns = getattr(socket, "SO_TIMESTAMPNS", 35)

    class Stamped(bytes):
        arrival: float

    # asyncio's datagram transport is private: typeshed does not declare it
    transport: Any = selector_events._SelectorDatagramTransport  # type: ignore[attr-defined]
    original_read_ready = transport._read_ready

    def _read_ready(self: Any) -> None:
        stamping = self.__dict__.get("_bench_stamping")
        if stamping is None:
            try:
                self._sock.setsockopt(socket.SOL_SOCKET, so_timestampns, 1)
                stamping = True
            except OSError:
                stamping = False
            self._bench_stamping = stamping
        if not stamping or self._conn_lost:
            original_read_ready(self)
            return
        for _ in range(drain):  # asyncio reads one; `--drain-udp N` (an experiment) reads up to N
            if self._conn_lost:
                return
            try:
                data, ancdata, _flags, addr = self._sock.recvmsg(self.max_size, 64)
            except (BlockingIOError, InterruptedError):
                return
            except OSError as exc:
                self._protocol.error_received(exc)
                return
            except (SystemExit, KeyboardInterrupt):
                raise
            except BaseException as exc:
                self._fatal_error(exc, "Fatal read error on datagram transport")
                return
            for level, kind, cdata in ancdata:
                if level == socket.SOL_SOCKET and kind == so_timestampns and len(cdata) >= 16:
                    sec, nsec = struct.unpack_from("qq", cdata)
                    now = time.monotonic()
                    stamped = Stamped(data)
                    stamped.arrival = sec + nsec / 1e9 - (time.time() - now)
                    LAT["socket_wait"].append(now - stamped.arrival)
                    data = stamped
                    break
            self._protocol.datagram_received(data, addr)

    transport._read_ready = _read_ready
    original_recv = aioice.Connection.recv

    async def recv(self: Any) -> bytes:
        data: bytes = await original_recv(self)
        arrival = getattr(data, "arrival", None)
        CURRENT_ARRIVAL[0] = arrival
        if arrival is not None:
            LAT["input_wait"].append(time.monotonic() - arrival)
        return data

    aioice.Connection.recv = recv  # type: ignore[method-assign]


def wrap_sender(cls: type) -> None:
    """Time each forwarded frame until its last packet is handed to the socket: the sender comes back for the
    next frame only after sending every packet of this one. The slot leaves the frame's arrival (the moment its
    last packet reached the server's receiver) in `_bench_arrival` when the sender takes it."""
    original = cls._next_encoded_frame  # type: ignore[attr-defined]

    async def _next_encoded_frame(self: Any, codec: Any) -> Any:
        pending = self.__dict__.pop("_bench_pending", None)
        if pending is not None:
            now = time.monotonic()
            LAT["sent_" + self.kind].append(now - pending)
            tag = self.__dict__.pop("_bench_tag", None)
            if tag is not None and TAGGING[0]:
                TAGS["out"].append((*TAG.unpack(tag), now, id(self)))
        frame = await original(self, codec)
        if frame is not None:
            track = self.track
            arrival = getattr(track, "_bench_arrival", None)
            if arrival is not None:
                self._bench_pending = arrival
                self._bench_tag = getattr(track, "_bench_tag", None)
                track._bench_arrival = track._bench_tag = None
        return frame

    cls._next_encoded_frame = _next_encoded_frame  # type: ignore[attr-defined]


def install_sfu_probes() -> None:
    from meeting_server.media.hooks import ForwardingSender
    from meeting_server.media.sfu import SFU
    from meeting_server.media.streams import Slot

    original = Slot.recv

    async def recv(self: Any) -> Any:
        frame = await original(self)
        if frame.arrival:
            LAT["queue_" + self.kind].append(self.latencies[-1])  # the product's own sample
            self._bench_arrival = frame.arrival
            data = frame.data
            self._bench_tag = data[-TAG.size :] if data[-TAG_LEN : -TAG.size] == MAGIC else None
        return frame

    Slot.recv = recv  # type: ignore[method-assign]
    wrap_sender(ForwardingSender)
    original_sink = SFU._sink

    def _sink(self: Any, source: Any, receiver: Any, kind: str) -> Any:
        sink = original_sink(self, source, receiver, kind)
        if kind != "video":
            return sink

        def tagged(packet: Any, codec: Any, data: bytes) -> None:
            if TAGGING[0] and packet.marker and data[-TAG_LEN : -TAG.size] == MAGIC:
                TAGS["in"].append((*TAG.unpack_from(data, len(data) - TAG.size), time.monotonic(), CURRENT_ARRIVAL[0]))
            sink(packet, codec, data)

        return tagged

    SFU._sink = _sink  # type: ignore[method-assign]


def install_relay_probes() -> None:
    """aiortc's receiver: remember when the last packet of each RTP timestamp arrived (the relay slot looks it up
    by the decoded frame's pts, which aiortc derives from that timestamp)."""
    from aiortc import RTCRtpReceiver, RTCRtpSender

    original = RTCRtpReceiver._handle_rtp_packet

    async def _handle_rtp_packet(self: Any, packet: Any, arrival_time_ms: int) -> None:
        arrivals = self.__dict__.get("_bench_arrivals")
        if arrivals is None:
            arrivals = self._bench_arrivals = {}
        arrivals[packet.timestamp] = time.monotonic()
        if len(arrivals) > 600:
            for key in list(arrivals)[:300]:
                del arrivals[key]
        await original(self, packet, arrival_time_ms)

    RTCRtpReceiver._handle_rtp_packet = _handle_rtp_packet  # type: ignore[method-assign]
    wrap_sender(RTCRtpSender)


def relay_sfu_class() -> type:
    """The product's SFU with its media path replaced by aiortc's standard one: published streams are received
    by plain RTCRtpReceivers (jitter buffer, decoder thread), every slot is a `MediaRelay` subscription to the
    decoded track of the source the room assigns it, and subscribers' senders are plain RTCRtpSenders (one
    encoder each). Admission, layout, switching and statistics stay the product's."""
    from aiortc.contrib.media import MediaRelay
    from aiortc.mediastreams import MediaStreamError

    from meeting_server.media.sfu import SFU
    from meeting_server.media.streams import Slot, Source

    relay = MediaRelay()
    decoded: dict[Source, Any] = {}  # source -> its receiver's decoded track
    receivers: dict[Source, Any] = {}

    async def pump(source: Source, proxy: Any) -> None:
        """The always-on subscriber of each source: marks it live (the layout shows only sources with frames)."""
        with contextlib.suppress(MediaStreamError, asyncio.CancelledError):
            while True:
                await proxy.recv()
                if source.frames == 0 and source.on_first_frame is not None:
                    source.on_first_frame()
                source.frames += 1
                source.last_frame_at = time.monotonic()
        decoded.pop(source, None)
        receivers.pop(source, None)

    def end(proxy: Any) -> None:
        proxy._queue.put_nowait(None)  # wakes a recv() pending on it (it then raises MediaStreamError)
        proxy.stop()

    class RelaySlot(Slot):
        """A slot fed by a MediaRelay subscription. When the room switches it to another source, its sender gets a
        fresh encoder (aiortc's would refuse the new source's timestamps, which do not continue the old ones, and
        its RTP loop would die); the SFU's slot instead keeps the outgoing timestamps continuous."""

        def __init__(self, kind: str, mid: str, sender: Any) -> None:
            super().__init__(kind, mid)
            self.sender = sender
            self._proxy: Any = None
            self._switched = asyncio.Event()
            self._new_encoder = False

        def show(self, source: Source | None, role: str = "") -> bool:
            self.role = role
            if source is self.source:
                return False
            if self.source is not None:
                self.source.slots.discard(self)
            old, self._proxy = self._proxy, None
            if old is not None:
                end(old)
            self.source = source
            if source is not None and source in decoded:
                source.slots.add(self)
                self._proxy = relay.subscribe(decoded[source])
                self._new_encoder = True
                self._switched.set()
            return True

        def push(self, frame: Any) -> None:  # nothing is pushed: frames are pulled from the relay
            pass

        def backlog(self) -> int:
            return self._proxy._queue.qsize() if self._proxy is not None else 0

        async def recv(self) -> Any:
            while True:
                if self.readyState != "live":
                    raise MediaStreamError
                proxy = self._proxy
                if proxy is None:
                    self._switched.clear()
                    await self._switched.wait()
                    continue
                try:
                    frame = await proxy.recv()
                except MediaStreamError:
                    if self._proxy is proxy:
                        self._proxy = None
                    continue
                receiver = receivers.get(self.source) if self.source is not None else None
                if receiver is not None and frame.pts is not None:
                    mapper = receiver._RTCRtpReceiver__timestamp_mapper
                    raw = (frame.pts + (mapper._origin or 0)) % (1 << 32)
                    arrival = getattr(receiver, "_bench_arrivals", {}).get(raw)
                    if arrival is not None:
                        LAT["queue_" + self.kind].append(time.monotonic() - arrival)
                        self._bench_arrival = arrival
                    else:
                        PROBE_COUNTS["relay_arrival_missing_" + self.kind] += 1
                if self._new_encoder:  # called by the sender between two encodes: no encode is running
                    self._new_encoder = False
                    self.sender._RTCRtpSender__encoder = None
                self.frames_out += 1
                return frame

        def stop(self) -> None:
            old, self._proxy = self._proxy, None
            if old is not None:
                end(old)
            super().stop()
            self._switched.set()

    class RelaySFU(SFU):
        def _receive_into(self, conn: Any, stream: str, transceiver: Any, source: Source) -> None:
            # aiortc's own receiver: it decodes, and MediaRelay hands the decoded frames on.
            decoded[source] = transceiver.receiver.track
            receivers[source] = transceiver.receiver
            conn.receivers[stream] = transceiver.receiver
            asyncio.ensure_future(pump(source, relay.subscribe(transceiver.receiver.track)))

        def _send_from(self, conn: Any, transceiver: Any, kind: str, mid: str) -> Slot:
            # aiortc's own sender: it encodes what the relay gives the slot.
            slot = RelaySlot(kind, mid, transceiver.sender)
            transceiver.sender.replaceTrack(slot)
            conn.senders.append(transceiver.sender)
            return slot

    return RelaySFU


def ice_backlog(pc: Any) -> int:
    """Datagrams aioice has received for this peer connection and the DTLS/SRTP task has not yet taken."""
    total = 0
    for transport in getattr(pc, "_RTCPeerConnection__iceTransports", ()):
        queue = getattr(getattr(transport, "_connection", None), "_queue", None)
        if queue is not None:
            total += queue.qsize()
    return total


def room_stats(room: Any) -> dict[str, Any]:
    conns = []
    for c in room.connections.values():
        senders = []
        for s in c.senders:
            slot = s.track
            source = getattr(slot, "source", None)
            backlog = slot.backlog() if hasattr(slot, "backlog") else len(getattr(slot, "_queue", ()))
            senders.append(
                {
                    "mid": getattr(slot, "mid", None),
                    "kind": s.kind,
                    "sender_id": id(s),
                    "source": source.key if source is not None else None,
                    "stream": source.stream if source is not None else None,
                    "frames_out": getattr(slot, "frames_out", 0),
                    "dropped": getattr(slot, "frames_dropped", 0),
                    "backlog": backlog,
                    "packets": s._RTCRtpSender__packet_count,
                    "octets": s._RTCRtpSender__octet_count,
                }
            )
        receivers = {
            stream: sum(st.packets_received for st in r._RTCRtpReceiver__remote_streams.values())
            for stream, r in c.receivers.items()
        }
        sources = {
            stream: {"frames": src.frames, "bytes": src.bytes, "silent": getattr(src, "silent_frames", 0)}
            for stream, src in c.sources.items()
        }
        conns.append(
            {
                "id": c.conn_id,
                "view": c.view,
                "publishes": c.publishes,
                "state": c.pc.connectionState,
                "ice_backlog": ice_backlog(c.pc),
                "tier": c.tier.tier,
                "senders": senders,
                "receivers": receivers,
                "sources": sources,
            }
        )
    return {"meeting_id": room.meeting_id, "connections": conns}


def serve_main(mode: str, port: int, drain: int = 1) -> None:
    """The server under test: what `meeting-server serve` runs, plus the probes and a stats route."""
    from aiohttp import web

    from meeting_server.api.app import build_services, create_app
    from meeting_server.api.common import SERVICES
    from meeting_server.cli import _tune_gc
    from meeting_server.config import Settings
    from meeting_server.media.sfu import SFU

    settings = Settings.from_env(host="127.0.0.1", port=port)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    install_input_probes(max(1, drain))
    if mode == "relay":
        install_relay_probes()
    else:
        install_sfu_probes()

    async def stats(request: web.Request) -> web.Response:
        media = request.app[SERVICES].media
        assert isinstance(media, SFU)  # the relay mode's class is a subclass
        loop = asyncio.get_running_loop()
        body: dict[str, Any] = {
            "t": time.monotonic(),
            "mode": mode,
            "event_loop": f"{type(loop).__module__}.{type(loop).__qualname__}",
            "rooms": [room_stats(r) for r in media.rooms.values()],
        }
        if "latency" in request.query:
            body["latency"] = {name: summary_ms(values) for name, values in LAT.items()}
            body["latency"]["sent_all"] = summary_ms(LAT["sent_audio"] + LAT["sent_video"])
            body["latency"]["queue_all"] = summary_ms(LAT["queue_audio"] + LAT["queue_video"])
            body["probe_counts"] = dict(PROBE_COUNTS)
        if "tags" in request.query:
            body["tags"] = {k: list(v) for k, v in TAGS.items()}
            TAGGING[0] = False
        if "reset" in request.query:
            for values in LAT.values():
                values.clear()
            PROBE_COUNTS.clear()
            for tags in TAGS.values():
                tags.clear()
            TAGGING[0] = "tags" not in request.query
            if not lag_task:
                lag_task.append(asyncio.create_task(lag_monitor()))
        return web.json_response(body)

    lag_task: list[asyncio.Task[None]] = []

    async def lag_monitor() -> None:
        """How late the event loop wakes a 20 ms sleep: time a packet can wait before the server reads it.
        Started by the first reset (the bench's start of measurement), so an idle server costs nothing."""
        while True:
            due = time.monotonic() + 0.02
            await asyncio.sleep(0.02)
            LAT["loop_lag"].append(max(0.0, time.monotonic() - due))

    async def make() -> web.Application:
        app = create_app(build_services(settings))
        app.on_startup.append(_tune_gc)
        if mode == "relay":
            app[SERVICES].media.__class__ = relay_sfu_class()
        app.router.add_get("/_bench/stats", stats)
        return app

    print(f"bench server ({mode}) on http://127.0.0.1:{port}", flush=True)
    with contextlib.suppress(ImportError):  # the event loop `meeting-server serve` runs on (uvloop since c9ebed0)
        from meeting_server.cli import _use_fast_loop

        _use_fast_loop()
    web.run_app(make(), host="127.0.0.1", port=port, print=None, access_log=None)


class BenchServer:
    """`python bench/sfu.py --serve --mode M` on a loopback port, over a SQLite file in a temp data dir."""

    def __init__(
        self, data_dir: Path, port: int, mode: str, max_participants: int, drain: int = 1, event_loop: str | None = None
    ) -> None:
        self.data_dir, self.port, self.mode, self.drain = data_dir, port, mode, drain
        self.url = f"http://127.0.0.1:{port}"
        self.database_url = f"sqlite+aiosqlite:///{(data_dir / 'meetings.sqlite3').resolve()}"
        self.log_path = data_dir / "server.log"
        self.env = {
            **os.environ,
            "MS_DATA_DIR": str(data_dir),
            "HOST": "127.0.0.1",
            "PORT": str(port),
            "MS_MEDIA_MAX_PARTICIPANTS": str(max_participants),
            "PYTHONPATH": str(ROOT),
        }
        for name in ("MS_DATABASE_URL", "MS_REDIS_URL", "MS_STUN_URLS", "MS_TURN_URLS"):
            self.env.pop(name, None)
        if event_loop:
            self.env["MS_EVENT_LOOP"] = event_loop
        self.proc: subprocess.Popen[bytes] | None = None
        self.http: Any = None

    @property
    def pid(self) -> int:
        assert self.proc is not None
        return self.proc.pid

    def launch(self) -> None:
        """Start the process now (it imports for a second or two: seed meanwhile)."""
        self.proc = self.spawn()

    def spawn(self) -> subprocess.Popen[bytes]:
        with open(self.log_path, "wb") as log_file:
            return subprocess.Popen(
                [
                    sys.executable,
                    str(THIS),
                    "--serve",
                    "--mode",
                    self.mode,
                    "--port",
                    str(self.port),
                    "--drain-udp",
                    str(self.drain),
                ],
                env=self.env,
                cwd=ROOT,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                preexec_fn=raise_nofile,
                start_new_session=True,
            )

    async def start(self) -> None:
        """Spawn (if `launch` has not) and wait until /api/health answers."""
        import aiohttp

        if self.proc is None:
            self.launch()
        assert self.proc is not None
        self.http = aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60))
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if self.proc.poll() is not None:
                raise RuntimeError(f"server exited with {self.proc.returncode}: {self.tail()}")
            with contextlib.suppress(aiohttp.ClientError, OSError, asyncio.TimeoutError):
                async with self.http.get(self.url + "/api/health", timeout=aiohttp.ClientTimeout(total=2)) as r:
                    if r.status == 200:
                        return
            await asyncio.sleep(0.2)
        raise RuntimeError(f"server did not answer /api/health within 60 s: {self.tail()}")

    async def stats(self, *flags: str) -> dict[str, Any]:
        query = "&".join(flags)
        async with self.http.get(f"{self.url}/_bench/stats?{query}") as r:
            r.raise_for_status()
            body: dict[str, Any] = await r.json()
            return body

    def tail(self, lines: int = 20) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    async def stop(self) -> None:
        if self.http is not None:
            await self.http.close()
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)
        try:
            await asyncio.to_thread(self.proc.wait, 20)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            await asyncio.to_thread(self.proc.wait, 10)


# ---- seeding, through the product's Python API -------------------------------------------------------------------


TEMPLATE: list[Path] = []  # a migrated empty database, made once per run and copied for each phase


async def fresh_database(data_dir: Path) -> str:
    from meeting_server.storage.migrate import upgrade_async

    if not TEMPLATE:
        template = Path(tempfile.mkdtemp(prefix="sfu-bench-template-")) / "meetings.sqlite3"
        await upgrade_async(f"sqlite+aiosqlite:///{template}")
        TEMPLATE.append(template)
    target = data_dir / "meetings.sqlite3"
    await asyncio.to_thread(shutil.copyfile, TEMPLATE[0], target)
    return f"sqlite+aiosqlite:///{target.resolve()}"


async def seed(database_url: str, data_dir: Path, n: int) -> dict[str, Any]:
    """An admin, a chair, n sites with device tokens, and a meeting under way: main site = site 2, so the host
    hall (site 1) is the chair inset every other site sees."""
    from meeting_server.actions import run_action
    from meeting_server.api.app import build_services
    from meeting_server.auth import COOKIE, Authenticator
    from meeting_server.config import Settings
    from meeting_server.domain.actors import Actor
    from meeting_server.passwords import hash_password
    from meeting_server.storage.db import new_id, now_iso
    from meeting_server.storage.models import UnitRow, UserRow

    services = build_services(Settings(data_dir=data_dir, database_url=database_url))
    try:
        now = now_iso()
        shared_hash = hash_password(f"bench-{uuid.uuid4().hex}")
        async with services.db.write() as session:
            province = UnitRow(
                id=new_id("un"), name="Tỉnh Tuyên Quang", kind="province", division_type="tỉnh", code="", created_at=now
            )
            session.add(province)
            await session.flush()
            admin = UserRow(
                id=new_id("u"),
                username="bench-admin",
                full_name="Quản trị (bench)",
                title="",
                password_hash=shared_hash,
                roles=["admin"],
                unit_id=province.id,
                lang="vi",
                active=True,
                created_at=now,
            )
            chair = UserRow(
                id=new_id("u"),
                username="bench-chair",
                full_name="Chủ trì (bench)",
                title="",
                password_hash=shared_hash,
                roles=["chair"],
                unit_id=province.id,
                lang="vi",
                active=True,
                created_at=now,
            )
            session.add_all([admin, chair])
        actor = Actor(kind="user", id=admin.id, name=admin.full_name, roles=frozenset({"admin"}), unit_id=province.id)
        site_ids, tokens = [], []
        for i in range(n):
            site = await run_action(
                services, actor, "site.create", {"name": f"Điểm cầu xã {i + 1:02d}", "unit_id": province.id}
            )
            issued = await run_action(services, actor, "site.issue_token", {"site_id": site["id"]})
            site_ids.append(site["id"])
            tokens.append(issued["token"])
        meeting = await run_action(
            services,
            actor,
            "meeting.create",
            {
                "title": f"Hội nghị trực tuyến {n} điểm cầu (bench)",
                "starts_at": "2030-11-24T08:00:00+07:00",
                "ends_at": "2030-11-24T11:00:00+07:00",
                "chair_id": chair.id,
                "site_ids": site_ids,
                "main_site_id": site_ids[1],
            },
        )
        await run_action(
            services,
            actor,
            "agenda.add_item",
            {"meeting_id": meeting["id"], "title": "Nội dung 1", "planned_minutes": 15},
        )
        await run_action(services, actor, "meeting.schedule", {"meeting_id": meeting["id"]})
        await run_action(services, actor, "meeting.start", {"meeting_id": meeting["id"]})
        cookie, _ = await Authenticator(services).issue_session(chair.id)
        return {
            "meeting_id": meeting["id"],
            "site_ids": site_ids,
            "tokens": tokens,
            "chair_cookie": f"{COOKIE}={cookie}",
        }
    finally:
        await services.db.close()


# ---- one phase: a mode at a size ------------------------------------------------------------------------------


@dataclass
class Options:
    sites: int
    more_sites: list[int]
    relay_sites: int
    relay: bool
    seconds: float
    windows: int
    warmup: float
    workers: int
    nice: int
    fps: int
    small_fps: int
    kbps: int
    small_kbps: int
    gop: float
    source_seconds: float
    profile: bool
    profile_seconds: float
    flow_timeout: float
    stamp: str
    keep_tmp: bool
    drop: bool = True
    all_speak: bool = False
    drain_udp: int = 1
    event_loop: str | None = None
    dump: str | None = None


def expected_streams(n: int, all_speak: bool = False) -> dict[str, int]:
    """What the product's layout forwards in this topology (n >= 2 sites, main = site 2, chair inset = site 1,
    one console): each other site 2 videos (main big, chair small), main and host 1 each (the other big), the
    console n (main big, all others small). Audio: 3 slots each (main, chair, one more); only the two speakers'
    sound is forwarded (the others' packets say silence), or with `all_speak` every slot's."""
    audio = n * min(3, n - 1) + min(3, n) if all_speak else 2 * (n - 2) + 2 + 2
    return {"video": 3 * n - 2, "audio": audio}


def flowing(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    """Compare two /_bench/stats answers: forwarded streams (slot with a source whose packets grew) and counts."""
    before = {(c["id"], s["mid"]): s for r in a["rooms"] for c in r["connections"] for s in c["senders"]}
    dt = b["t"] - a["t"]
    frames_out = 0
    frames_nominal = 0.0  # what the slots would have sent at the sources' frame rates
    silent: dict[tuple[str, str], list[int]] = {}  # (participant, stream) -> [frames, silent frames] in the window
    for snap, sign in ((a, -1), (b, 1)):
        for r in snap["rooms"]:
            for c in r["connections"]:
                for stream, src in c["sources"].items():
                    acc = silent.setdefault((c["id"].split("/")[0], stream), [0, 0])
                    acc[0] += sign * src["frames"]
                    acc[1] += sign * src.get("silent", 0)
    streams: Counter[str] = Counter()
    packets = octets = dropped = 0
    assigned: Counter[str] = Counter()
    backlog = 0
    by_stream: Counter[str] = Counter()
    for r in b["rooms"]:
        for c in r["connections"]:
            for s in c["senders"]:
                if s["source"] is not None:
                    assigned[s["kind"]] += 1
                old = before.get((c["id"], s["mid"]))
                if old is None:
                    continue
                dp = s["packets"] - old["packets"]
                packets += dp
                octets += s["octets"] - old["octets"]
                dropped += s["dropped"] - old["dropped"]
                backlog = max(backlog, s["backlog"])
                if dp > 0 and s["source"] is not None:
                    streams[s["kind"]] += 1
                    by_stream[s["stream"]] += 1
                quiet = silent.get((s["source"], s["stream"]), [0, 0])
                if quiet[1] > 0.5 * max(1, quiet[0]):
                    continue  # a silent source: the SFU forwards none of it, by design
                if s["source"] is not None and old["source"] == s["source"] and s["stream"] in NOMINAL_FPS:
                    frames_out += s["frames_out"] - old["frames_out"]
                    frames_nominal += NOMINAL_FPS[s["stream"]] * dt
    before_in = {(c["id"], k): v for r in a["rooms"] for c in r["connections"] for k, v in c["receivers"].items()}
    packets_in = sum(
        v - before_in.get((c["id"], k), v)
        for r in b["rooms"]
        for c in r["connections"]
        for k, v in c["receivers"].items()
    )
    states = Counter(c["state"] for r in b["rooms"] for c in r["connections"])
    return {
        "streams": dict(streams),
        "by_stream": dict(by_stream),
        "assigned": dict(assigned),
        "packets_out": packets,
        "octets_out": octets,
        "packets_in": packets_in,
        "frames_dropped": dropped,
        "max_backlog": backlog,
        "states": dict(states),
        "delivered": round(frames_out / frames_nominal, 4) if frames_nominal else None,
        "connections": sum(len(r["connections"]) for r in b["rooms"]),
    }


async def wait_flowing(server: BenchServer, expected: dict[str, int], limit_s: float) -> dict[str, Any]:
    """Until every stream the layout calls for carries media (or the count stops growing for 5 s)."""
    started = time.monotonic()
    prev = await server.stats()
    best, stable = -1, 0
    flow: dict[str, Any] = {}
    while time.monotonic() - started < limit_s:
        await asyncio.sleep(1.0)
        cur = await server.stats()
        flow = flowing(prev, cur)
        prev = cur
        total = sum(flow["streams"].values())
        if total >= sum(expected.values()):
            break
        stable = stable + 1 if total <= best else 0
        best = max(best, total)
        if stable >= 5 and time.monotonic() - started > 15:
            break
    return {**flow, "wait_s": round(time.monotonic() - started, 1)}


def socket_inodes(pid: int) -> set[str]:
    out = set()
    with contextlib.suppress(OSError):
        for fd in os.listdir(f"/proc/{pid}/fd"):
            with contextlib.suppress(OSError):
                link = os.readlink(f"/proc/{pid}/fd/{fd}")
                if link.startswith("socket:["):
                    out.add(link[8:-1])
    return out


def udp_sockets() -> dict[str, tuple[int, int]]:
    """inode -> (bytes waiting in the receive queue, datagrams dropped) for every UDP socket (/proc/net/udp*)."""
    rows: dict[str, tuple[int, int]] = {}
    for name in ("/proc/net/udp", "/proc/net/udp6"):
        with contextlib.suppress(OSError), open(name) as f:
            for line in f.readlines()[1:]:
                p = line.split()
                rows[p[9]] = (int(p[4].split(":")[1], 16), int(p[12]))
    return rows


def udp_state(pids: list[int]) -> dict[str, int]:
    """Receive-queue bytes (largest socket) and drops (sum) of these processes' UDP sockets: datagrams the kernel
    holds because the process did not read them yet, and those it threw away because the queue was full."""
    table = udp_sockets()
    mine = [table[i] for pid in pids for i in socket_inodes(pid) if i in table]
    return {"rx_queue_max": max((q for q, _ in mine), default=0), "drops": sum(d for _, d in mine)}


def cpu_pressure_s() -> float | None:
    """Seconds (since boot) during which some runnable task waited for a CPU (/proc/pressure/cpu)."""
    with contextlib.suppress(OSError, ValueError, IndexError), open("/proc/pressure/cpu") as f:
        return int(f.readline().split("total=")[1]) / 1e6
    return None


def steal_s() -> float:
    """CPU seconds the hypervisor gave to someone else (/proc/stat)."""
    with open("/proc/stat") as f:
        parts = f.readline().split()
    return int(parts[8]) / os.sysconf("SC_CLK_TCK") if len(parts) > 8 else 0.0


async def snapshot(server: BenchServer, workers: list[Worker]) -> dict[str, Any]:
    t = time.monotonic()
    cpu = proc_cpu_s(server.pid) or 0.0
    clients = sum(proc_cpu_s(w.pid) or 0.0 for w in workers)
    busy = system_busy_s()
    stats = await server.stats()
    return {
        "t": t,
        "cpu": cpu,
        "clients": clients,
        "busy": busy,
        "psi": cpu_pressure_s(),
        "steal": steal_s(),
        "udp_server": udp_state([server.pid]),
        "udp_clients": udp_state([w.pid for w in workers]),
        "stats": stats,
    }


def window_figures(a: dict[str, Any], b: dict[str, Any]) -> dict[str, Any]:
    dt = b["t"] - a["t"]
    flow = flowing(a["stats"], b["stats"])
    cores = (b["cpu"] - a["cpu"]) / dt
    clients = (b["clients"] - a["clients"]) / dt
    busy = (b["busy"] - a["busy"]) / dt
    streams = sum(flow["streams"].values())
    video = flow["streams"].get("video", 0)
    return {
        "seconds": round(dt, 2),
        "server_cores": round(cores, 3),
        "clients_cores": round(clients, 3),
        "other_cores": round(max(0.0, busy - cores - clients), 3),
        "machine_busy_cores": round(busy, 3),
        "cpu_pressure": round((b["psi"] - a["psi"]) / dt, 3) if a["psi"] is not None else None,
        "steal_cores": round((b["steal"] - a["steal"]) / dt, 3),
        "streams": streams,
        "video_streams": video,
        "audio_streams": flow["streams"].get("audio", 0),
        "streams_by_kind": flow["by_stream"],
        "streams_per_core": round(streams / cores, 1) if cores > 0 else None,
        "video_streams_per_core": round(video / cores, 1) if cores > 0 else None,
        "mcores_per_stream": round(1000 * cores / streams, 3) if streams else None,
        "packets_out_per_s": round(flow["packets_out"] / dt),
        "packets_in_per_s": round(flow["packets_in"] / dt),
        "mbit_out_per_s": round(flow["octets_out"] * 8 / dt / 1e6, 2),
        "us_per_packet_out": round(1e6 * cores / (flow["packets_out"] / dt), 1) if flow["packets_out"] else None,
        "delivered": flow["delivered"],
        "mcores_per_stream_full_rate": (
            round(1000 * cores / streams / flow["delivered"], 3) if streams and flow["delivered"] else None
        ),
        "udp_drops_server": b["udp_server"]["drops"] - a["udp_server"]["drops"],
        "udp_drops_clients": b["udp_clients"]["drops"] - a["udp_clients"]["drops"],
        "udp_rx_queue_max_server": b["udp_server"]["rx_queue_max"],
        "frames_dropped": flow["frames_dropped"],
        "max_backlog": flow["max_backlog"],
        "connection_states": flow["states"],
    }


def median_of(windows: list[dict[str, Any]], key: str) -> Any:
    values = [w[key] for w in windows if w.get(key) is not None]
    if not values:
        return None
    m = statistics.median(values)
    return round(m, 3) if isinstance(m, float) else m


def e2e(collected: list[dict[str, Any]], only: int | None = None) -> dict[str, Any]:
    """Publisher's send -> subscriber's receipt of tagged video frames (`only`: subscribers in that worker)."""
    sent = {(s, k, q): t for c in collected for s, k, q, t in c["sent"]}
    lat: dict[str, list[float]] = {"video": [], "video_small": []}
    missing = 0
    for c in collected if only is None else collected[only : only + 1]:
        for s, k, q, t, _ in c["recv"]:
            t0 = sent.get((s, k, q))
            if t0 is None:
                missing += 1
                continue
            lat[STREAM_NAMES.get(k, "video")].append(t - t0)
    both = lat["video"] + lat["video_small"]
    return {
        "all": summary_ms(both),
        "video": summary_ms(lat["video"]),
        "video_small": summary_ms(lat["video_small"]),
        "unmatched": missing,
    }


def legs(collected: list[dict[str, Any]], server: dict[str, Any], site_ids: list[str]) -> dict[str, Any]:
    """Split the end-to-end latency of tagged video frames (their last packet) at the server: publisher's send ->
    the server's socket (the client's send path, the kernel), socket -> the SFU's sink (waiting to be read, aioice,
    DTLS/SRTP, the receiver), sink -> last packet handed to a subscriber's socket (the SFU), and from there to the
    subscriber's receiver (kernel, the client's receive path). `server_added` = socket -> handed on."""
    tags = server.get("tags") or {}
    sent = {(s, k, q): t for c in collected for s, k, q, t in c["sent"]}
    arrived = {(s, k, q): t for s, k, q, t, _ in tags.get("in", [])}
    in_socket = {(s, k, q): a for s, k, q, _, a in tags.get("in", []) if a is not None}
    index = {f"site:{sid}": i for i, sid in enumerate(site_ids)}
    subscriber = {}
    for r in server.get("rooms", []):
        for c in r["connections"]:
            key, _, view = c["id"].partition("/")
            for snd in c["senders"]:
                subscriber[snd["sender_id"]] = -1 if view == "console" else index.get(key, -2)
    left = {(s, k, q, subscriber.get(sid, -2)): t for s, k, q, t, sid in tags.get("out", [])}
    up, to_sink, inside, total, down, bound = [], [], [], [], [], []
    for key, t in arrived.items():
        if key in in_socket:
            to_sink.append(t - in_socket[key])
            if key in sent:
                up.append(in_socket[key] - sent[key])
    for (s, k, q, _who), t in left.items():
        if (s, k, q) in arrived:
            inside.append(t - arrived[(s, k, q)])
        if (s, k, q) in in_socket:
            total.append(t - in_socket[(s, k, q)])
        if (s, k, q) in sent:
            bound.append(t - sent[(s, k, q)])
    for c in collected:
        for s, k, q, t, who in c["recv"]:
            t_out = left.get((s, k, q, who))
            if t_out is not None:
                down.append(t - t_out)
    return {
        "publisher_to_server_socket": summary_ms(up),
        "server_socket_to_sink": summary_ms(to_sink),
        "in_server": summary_ms(inside),
        "server_added": summary_ms(total),
        "publisher_send_to_server_out": summary_ms(bound),
        "server_to_subscriber": summary_ms(down),
    }


async def prepare_server(mode: str, n: int, drain: int, event_loop: str | None) -> BenchServer:
    """A fresh data dir with a migrated empty database, and the server process started on it. All phases' servers
    are started at once, at the beginning, so their imports (seconds each) overlap; a waiting one costs nothing
    measurable (its only timer is the hub's socket sweep; the probes' loop-lag timer starts with measuring)."""
    tmp = Path(tempfile.mkdtemp(prefix=f"sfu-bench-{mode}-{n}-"))
    server = BenchServer(tmp, free_port(), mode, max(60, n + 5), drain, event_loop)
    await fresh_database(tmp)
    server.launch()
    return server


async def run_phase(
    mode: str, n: int, opts: Options, workers: list[Worker], server: BenchServer, out: dict[str, Any]
) -> None:
    out.update(mode=mode, sites=n, peers=n + 1, status="running", phase="seed")
    expected = expected_streams(n, opts.all_speak or mode == "relay")  # MediaRelay forwards silence too
    out["expected_streams"] = expected
    tmp = server.data_dir
    spy: subprocess.Popen[bytes] | None = None
    connected = False
    try:
        t = time.perf_counter()
        seeded = await seed(server.database_url, tmp, n)  # WAL: the server may read while we write
        out["seed_s"] = round(time.perf_counter() - t, 2)
        out["phase"] = "server start"
        await server.start()
        out["server_ready_s"] = round(time.perf_counter() - t, 2)
        out["server_rss_mb_idle"] = proc_mem_mb(server.pid).get("VmRSS")
        cpu_started = proc_cpu_s(server.pid) or 0.0

        out["phase"] = "connect"
        tag = mode == "sfu"
        console = {
            "index": 0,
            "view": "console",
            "cookie": seeded["chair_cookie"],
            "publish": False,
            "video_slots": n,
            "audio_slots": 3,
            "tag": tag,
            "drop": opts.drop,
        }
        # The host and the main site are the probes (full receive path, e2e tags); the others drop what they get.
        sites = [
            {
                "index": i,
                "view": "site",
                "token": tok,
                "publish": True,
                "video_slots": 2,
                "audio_slots": 3,
                "tag": tag,
                "drop": opts.drop and i >= 2,
                "speaks": opts.all_speak or i < 2,
            }
            for i, tok in enumerate(seeded["tokens"])
        ]
        # Worker 0 is the probe: the host hall and the main site, which receive each other's big stream, and
        # nothing else; the others hold the console and the rest of the sites.
        shares: list[list[dict[str, Any]]] = [[] for _ in workers]
        shares[0] += sites[:2]
        load = shares[1:] or shares
        load[0].append(console)
        for i, spec in enumerate(sites[2:]):
            load[(i + 1) % len(load)].append(spec)
        await asyncio.gather(*(w.started() for w in workers))  # spawned at the start, importing meanwhile
        t = time.perf_counter()
        connected = True
        results = await asyncio.gather(
            *(
                w.ask("connect", server.url, seeded["meeting_id"], share, wait_s=60 + 10 * len(share))
                for w, share in zip(workers, shares, strict=True)
            )
        )
        out["connect"] = {
            "wall_s": round(time.perf_counter() - t, 1),
            "connected": sum(r["connected"] for r in results),
            "errors": [e for r in results for e in r["errors"]],
        }
        out["server_cpu_s_joining"] = round((proc_cpu_s(server.pid) or 0.0) - cpu_started, 2)
        await asyncio.gather(*(w.ask("go") for w in workers))  # now everyone publishes
        print(
            f"    {out['connect']['connected']}/{n + 1} peers connected in {out['connect']['wall_s']} s"
            + (f"; errors: {out['connect']['errors'][:3]}" if out["connect"]["errors"] else ""),
            flush=True,
        )
        if out["connect"]["errors"]:
            raise RuntimeError(f"{len(out['connect']['errors'])} peers failed: {out['connect']['errors'][0]}")

        out["phase"] = "flow"
        flow = await wait_flowing(server, expected, opts.flow_timeout)
        out["flow_at_start"] = {k: flow[k] for k in ("streams", "assigned", "wait_s", "states")}
        print(f"    flowing after {flow['wait_s']} s: {flow['streams']} (expected {expected})", flush=True)
        out["phase"] = "warm-up"
        await asyncio.sleep(opts.warmup)

        out["phase"] = "measure"
        await server.stats("reset")
        await asyncio.gather(*(w.ask("record", True) for w in workers))
        window_s = opts.seconds / opts.windows
        windows = []
        a = await snapshot(server, workers)
        for _ in range(opts.windows):
            await asyncio.sleep(window_s)
            b = await snapshot(server, workers)
            windows.append(window_figures(a, b))
            a = b
        await asyncio.gather(*(w.ask("record", False) for w in workers))
        lat = await server.stats("latency", "tags", "reset")
        out["server_event_loop"] = lat.get("event_loop")
        mem = proc_mem_mb(server.pid)
        out["server_rss_mb"] = mem.get("VmRSS")
        out["server_rss_mb_peak"] = mem.get("VmHWM")
        out["windows"] = windows
        keys = (
            "server_cores",
            "clients_cores",
            "other_cores",
            "machine_busy_cores",
            "cpu_pressure",
            "steal_cores",
            "streams",
            "video_streams",
            "audio_streams",
            "streams_per_core",
            "video_streams_per_core",
            "mcores_per_stream",
            "packets_out_per_s",
            "packets_in_per_s",
            "mbit_out_per_s",
            "us_per_packet_out",
            "delivered",
            "mcores_per_stream_full_rate",
        )
        out["median"] = {k: median_of(windows, k) for k in keys}
        out["frames_dropped"] = sum(w["frames_dropped"] for w in windows)
        out["udp_drops"] = {
            "server": sum(w["udp_drops_server"] for w in windows),
            "clients": sum(w["udp_drops_clients"] for w in windows),
        }
        out["max_backlog"] = max(w["max_backlog"] for w in windows)
        out["latency_server_ms"] = lat["latency"]
        out["probe_counts"] = lat.get("probe_counts", {})
        collected = await asyncio.gather(*(w.ask("collect", wait_s=60) for w in workers))
        late = sorted(x for c in collected for x in c["late"])
        out["clients"] = {
            "publisher_lateness_ms": summary_ms(late),
            "keyframe_requests": sum(c["keyframe_requests"] for c in collected),
            "pacer_skips": sum(c["pacer_skips"] for c in collected),
            "connected": sum(c["connected"] for c in collected),
            "closed": dict(sum((Counter(c["closed"]) for c in collected), Counter())),
        }
        if opts.dump:
            Path(opts.dump).with_suffix(f".{mode}-{n}.pickle").write_bytes(
                pickle.dumps({"clients": collected, "server": lat, "site_ids": seeded["site_ids"]})
            )
        if tag:
            out["latency_legs_ms"] = legs(collected, lat, seeded["site_ids"])
            out["latency_e2e_probe_ms"] = e2e(collected, only=0)
            if not opts.drop:  # otherwise only the probe's subscribers read packets: "all" would be the same
                out["latency_e2e_ms"] = e2e(collected)
        del collected

        if opts.profile and (exe := py_spy_path()):
            out["phase"] = "profile"
            path = RESULTS / "profiles" / f"sfu-{opts.stamp}-{mode}-n{n}.txt"
            path.parent.mkdir(parents=True, exist_ok=True)
            spy = spawn_py_spy(exe, server.pid, int(opts.profile_seconds), path)
            with contextlib.suppress(subprocess.TimeoutExpired):
                await asyncio.to_thread(spy.wait, opts.profile_seconds + 30)
            out["profile"] = {
                "path": str(path.relative_to(ROOT)),
                **summarize_collapsed(path, top=30),
                **profile_groups(path),
            }
        problems = []
        full = n + 1
        if any(w["connection_states"].get("connected", 0) < full for w in windows):
            problems.append(
                f"connections lost ({min(w['connection_states'].get('connected', 0) for w in windows)}"
                f"/{full} connected)"
            )
        if (out["median"]["streams"] or 0) < sum(expected.values()):
            problems.append(f"{out['median']['streams']}/{sum(expected.values())} streams flowing")
        if out["median"]["delivered"] is not None and out["median"]["delivered"] < 0.95:
            problems.append(f"{100 * out['median']['delivered']:.0f}% of frames forwarded")
        added = server_added(out)
        if (added.get("p50") or 0) > 50:
            problems.append(f"queueing: server-added latency p50 {added['p50']:.0f} ms")
        out["status"] = "ok" if not problems else "degraded: " + "; ".join(problems)
        out["phase"] = "done"
    except Exception as exc:
        out["status"] = f"error in phase {out.get('phase')}: {type(exc).__name__}: {exc}"[:400]
        log.exception("%s at %s sites failed", mode, n)
    finally:
        if spy is not None and spy.poll() is None:
            spy.terminate()
        t = time.perf_counter()
        if connected:
            await asyncio.gather(*(w.ask("disconnect", wait_s=60) for w in workers), return_exceptions=True)
        with contextlib.suppress(Exception):
            await server.stop()
        if str(out.get("status")).startswith("error"):
            out["server_log_tail"] = server.tail()
        out["teardown_s"] = round(time.perf_counter() - t, 2)
        if opts.keep_tmp:
            out["tmp"] = str(tmp)
        else:
            shutil.rmtree(tmp, ignore_errors=True)


def spawn_py_spy(exe: str, pid: int, duration: int, path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            exe,
            "record",
            "--pid",
            str(pid),
            "--rate",
            "200",
            "--format",
            "raw",
            "--nonblocking",
            "--duration",
            str(duration),
            "--output",
            str(path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


# Areas of the server's time, for the profile summary: each sample goes to the area of its innermost frame that
# matches (in this order), so the shares add up to 100%. Needles are matched against py-spy's "func (path:line)".
AREAS: list[tuple[str, tuple[str, ...]]] = [
    ("idle threads (executor workers waiting for work)", ("Condition.wait", "_worker (concurrent")),
    ("SRTP protect/unprotect (pylibsrtp)", ("pylibsrtp",)),
    ("UDP send/receive syscalls (asyncio transports)", ("selector_events.py",)),
    ("epoll wait (loop idle or polling)", ("selectors.py",)),
    # uvloop's C code is invisible to py-spy: its sendto shows as aioice's send_data, its polling, receiving and
    # callback dispatch as the frame that entered the loop (aiohttp's run_app)
    ("UDP sendto (aioice send_data into uvloop's C)", ("StunProtocol.send_data",)),
    ("uvloop C: epoll, recvfrom, callback dispatch (shown as run_app)", ("run_app (",)),
    ("decode (relay)", ("decoder_worker", "Decoder.decode", "CodecContext.decode")),
    ("encode (relay)", ("Encoder.encode", "CodecContext.encode", "resample")),
    ("RTCP: reports, feedback, its tasks", ("_run_rtcp", "_handle_rtcp", "_send_rtcp", "Rtcp")),
    ("bandwidth estimation (aiortc rate.py, REMB)", ("aiortc/rate.py",)),
    ("RTP parse/serialise, packetise (aiortc rtp.py, codecs)", ("aiortc/rtp.py", "aiortc/codecs")),
    ("ICE (aioice)", ("aioice",)),
    ("bench probes (bench/sfu.py wrappers)", ("(sfu.py:",)),
    (
        "SFU: sink, frame assembly, deliver, slots",
        ("media/sfu.py", "media/frames.py", "media/streams.py", "media/hooks.py"),
    ),
    ("room: layout, audio and stats ticks", ("media/room.py", "media/layout.py")),
    ("aiortc receiver/sender/DTLS transport (Python)", ("aiortc/",)),
    ("socket.io, engine.io, aiohttp", ("socketio", "engineio", "aiohttp")),
    ("asyncio loop and tasks", ("asyncio",)),
]


def profile_groups(path: Path) -> dict[str, Any]:
    """Where the server's time goes, by area (exclusive: innermost matching frame)."""
    counts: Counter[str] = Counter()
    total = 0
    with contextlib.suppress(OSError), open(path) as f:
        for line in f:
            stack, _, count_s = line.rstrip("\n").rpartition(" ")
            if not stack or not count_s.isdigit():
                continue
            n = int(count_s)
            total += n
            area = "other"
            for frame in reversed(stack.split(";")):
                hit = next((name for name, needles in AREAS if any(nd in frame for nd in needles)), None)
                if hit is not None:
                    area = hit
                    break
            counts[area] += n
    if not total:
        return {}
    return {"areas": [(name, round(100.0 * c / total, 1)) for name, c in counts.most_common()]}


# ---- report -------------------------------------------------------------------------------------------------------


def fmt(v: Any, digits: int = 0) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


def row_cells(r: dict[str, Any]) -> list[str]:
    m = r.get("median", {})
    lat = r.get("latency_server_ms", {})
    ep = r.get("latency_e2e_probe_ms", {}).get("all", {})
    added = server_added(r) if r.get("latency_legs_ms") else {}
    delivered = m.get("delivered")
    return [
        r["mode"],
        str(r["sites"]),
        f"{fmt(m.get('video_streams'))} + {fmt(m.get('audio_streams'))}",
        fmt(m.get("server_cores"), 2),
        fmt(m.get("mcores_per_stream"), 2),
        fmt(m.get("streams_per_core"), 0),
        fmt(m.get("video_streams_per_core"), 0),
        fmt(m.get("packets_in_per_s")),
        fmt(m.get("packets_out_per_s")),
        fmt(m.get("us_per_packet_out"), 1),
        fmt(m.get("mbit_out_per_s"), 1),
        fmt(100 * delivered if delivered is not None else None, 1),
        f"{fmt(lat.get('sent_all', {}).get('p50'), 2)} / {fmt(lat.get('sent_all', {}).get('p99'), 1)}",
        f"{fmt(added.get('p50'), 2)} / {fmt(added.get('p99'), 1)}",
        f"{fmt(ep.get('p50'), 1)} / {fmt(ep.get('p99'), 1)}",
        fmt(lat.get("loop_lag", {}).get("p99"), 1),
        fmt(r.get("server_rss_mb"), 0),
        fmt(m.get("clients_cores"), 2),
        fmt(m.get("other_cores"), 2),
        fmt(100 * m["cpu_pressure"] if m.get("cpu_pressure") is not None else None, 0),
        str(r.get("status")),
    ]


HEAD = [
    "mode",
    "sites",
    "streams (video + audio)",
    "server cores",
    "mcores/stream",
    "streams/core",
    "video streams/core",
    "pkts in/s",
    "pkts fwd/s",
    "µs CPU/pkt fwd",
    "Mbit/s out",
    "delivered %",
    "in-server p50/p99 ms",
    "server-added p50/p99 ms",
    "e2e probe p50/p99 ms",
    "loop lag p99 ms",
    "RSS MB",
    "client cores",
    "other cores",
    "CPU pressure %",
    "status",
]


def table(rows: list[dict[str, Any]]) -> str:
    lines = ["| " + " | ".join(HEAD) + " |", "|" + "|".join("---" for _ in HEAD) + "|"]
    lines += ["| " + " | ".join(row_cells(r)) + " |" for r in rows]
    return "\n".join(lines)


def ratio(report: dict[str, Any]) -> dict[str, Any] | None:
    relay = next((r for r in report["phases"] if r["mode"] == "relay" and "median" in r), None)
    if relay is None:
        return None
    sfu = next(
        (r for r in report["phases"] if r["mode"] == "sfu" and r["sites"] == relay["sites"] and "median" in r), None
    )
    if sfu is None:
        return None

    def cost(r: dict[str, Any]) -> tuple[Any, bool]:
        """CPU per stream; when the server forwarded < 95% of the frames, scaled to the full frame rate."""
        m = r["median"]
        if m.get("delivered") is not None and m["delivered"] < 0.95:
            return m.get("mcores_per_stream_full_rate"), True
        return m.get("mcores_per_stream"), False

    (a, a_scaled), (b, b_scaled) = cost(sfu), cost(relay)
    if not a or not b:
        return None
    return {
        "sites": relay["sites"],
        "sfu_mcores_per_stream": a,
        "relay_mcores_per_stream": b,
        "scaled_to_full_rate": [name for name, scaled in (("sfu", a_scaled), ("relay", b_scaled)) if scaled],
        "sfu_status": sfu["status"],
        "relay_status": relay["status"],
        "relay_over_sfu": round(b / a, 1),
        "sfu_server_cores": sfu["median"]["server_cores"],
        "relay_server_cores": relay["median"]["server_cores"],
    }


def server_added(r: dict[str, Any]) -> dict[str, Any]:
    """The goal's latency, for tagged video frames: their last packet in the server's socket -> handed to the
    subscriber's socket. The kernel's arrival stamp is read only on asyncio's loop (recvmsg); on uvloop the bench
    uses the publisher's send instead (an upper bound: the client's send path, ~0.2 ms p50, is included). Without
    tags (MediaRelay): the in-server part only."""
    legs_ = r.get("latency_legs_ms", {})
    for name in ("server_added", "publisher_send_to_server_out"):
        if legs_.get(name, {}).get("count"):
            return {**legs_[name], "measure": name}
    return {**r.get("latency_server_ms", {}).get("sent_all", {}), "measure": "in_server"}


def goals(report: dict[str, Any]) -> list[dict[str, Any]]:
    big = next((r for r in report["phases"] if r["mode"] == "sfu" and r["sites"] == report["options"]["sites"]), None)
    out = []
    n = big["sites"] if big else report["options"]["sites"]
    note = "" if n == GOAL_SITES else f" (measured at {n} sites, not {GOAL_SITES})"
    ok = big is not None and big.get("status") == "ok"  # a degraded run (not keeping up) meets no goal
    if big is not None and not ok:
        note += f" — the server did not keep up: {big.get('status')}"
    m = big.get("median", {}) if big else {}
    cores = m.get("server_cores")
    out.append(
        {
            "goal": f"the {GOAL_SITES}-site meeting on ≤ {GOAL_MAX_CORES:g} core",
            "value": f"{fmt(cores, 2)} cores{note}",
            "met": ok and cores is not None and cores <= GOAL_MAX_CORES,
        }
    )
    spc, vspc = m.get("streams_per_core"), m.get("video_streams_per_core")
    out.append(
        {
            "goal": f"≥ {GOAL_STREAMS_PER_CORE:g} forwarded streams per core",
            "value": f"{fmt(spc, 0)} streams/core (video only: {fmt(vspc, 0)}){note}",
            "met": ok and spc is not None and spc >= GOAL_STREAMS_PER_CORE,
        }
    )
    lat = server_added(big or {})
    e = (big or {}).get("latency_e2e_probe_ms", {}).get("all", {})
    inside = (big or {}).get("latency_server_ms", {}).get("sent_all", {})
    out.append(
        {
            "goal": f"server-added latency p99 ≤ {GOAL_P99_MS:g} ms",
            "value": f"p99 {fmt(lat.get('p99'), 1)} ms "
            + {
                "server_added": "from the server's socket to the subscriber's",
                "publisher_send_to_server_out": "from the publisher's send to the subscriber's socket",
                "in_server": "in the server",
            }.get(lat.get("measure", ""), "")
            + " (in-server "
            f"part alone: p99 {fmt(inside.get('p99'), 1)} ms; end-to-end through two aiortc clients: "
            f"p99 {fmt(e.get('p99'), 1)} ms){note}",
            "met": ok and lat.get("p99") is not None and lat["p99"] <= GOAL_P99_MS,
        }
    )
    rt = report.get("ratio")
    out.append(
        {
            "goal": f"≥ {GOAL_RATIO:g}× cheaper per forwarded stream than MediaRelay",
            "value": (
                f"{rt['relay_over_sfu']}× at {rt['sites']} sites ({rt['relay_mcores_per_stream']} vs "
                f"{rt['sfu_mcores_per_stream']} mcores per stream"
                + (
                    f"; {' and '.join(rt['scaled_to_full_rate'])} scaled to the full frame rate, as it "
                    "forwarded < 95% of the frames"
                    if rt["scaled_to_full_rate"]
                    else ""
                )
                + ")"
            )
            if rt
            else "not measured",
            "met": bool(rt and rt["relay_over_sfu"] >= GOAL_RATIO and rt["sfu_status"] == "ok"),
        }
    )
    return out


def estimate(report: dict[str, Any]) -> dict[str, Any] | None:
    """The goal size's server CPU extrapolated from the largest SFU phase that kept up: its CPU per forwarded
    stream times the streams of the goal size (the mix of audio, big and small video stays about the same)."""
    n = report["options"]["sites"]
    kept_up = [r for r in report["phases"] if r["mode"] == "sfu" and r.get("status") == "ok" and r["sites"] < n]
    if not kept_up:
        return None
    base = max(kept_up, key=lambda r: r["sites"])
    per_stream = base["median"]["mcores_per_stream"]
    streams = sum(expected_streams(n, report["options"]["all_speak"]).values())
    return {
        "from_sites": base["sites"],
        "mcores_per_stream": per_stream,
        "sites": n,
        "streams": streams,
        "server_cores": round(per_stream * streams / 1000, 2),
    }


def goal_lines(report: dict[str, Any]) -> list[str]:
    lines = [f"- {'MET' if g['met'] else 'MISSED'}: {g['goal']}: {g['value']}" for g in report["goals"]]
    best = report.get("largest_kept_up")
    if best:
        lines.append(
            f"- The largest size that kept up, {best['sites']} sites: {best['server_cores']} server cores, "
            f"{best['streams_per_core']} streams/core, server-added p99 {best['p99_ms']} ms (e2e probe "
            f"p99 {best['e2e_p99_ms']} ms)."
        )
    est = report.get("estimate")
    if est:
        lines.append(
            f"- Estimate: {est['sites']} sites ({est['streams']} streams) at the CPU per stream measured at "
            f"{est['from_sites']} sites ({est['mcores_per_stream']} mcores) would need "
            f"{est['server_cores']} server cores."
        )
    return lines


def detail_lines(r: dict[str, Any]) -> list[str]:
    lat = r.get("latency_server_ms", {})
    lines = [
        f"**{r['mode']} at {r['sites']} sites** ({r.get('status')}): expected streams {r.get('expected_streams')},"
        f" flowing at start {r.get('flow_at_start', {}).get('streams')}; connect "
        f"{r.get('connect', {}).get('wall_s')} s (server CPU while joining {r.get('server_cpu_s_joining')} s); "
        f"RSS idle {fmt(r.get('server_rss_mb_idle'))} MB → {fmt(r.get('server_rss_mb'))} MB "
        f"(peak {fmt(r.get('server_rss_mb_peak'))} MB); frames dropped by slots {r.get('frames_dropped')}, "
        f"max slot backlog {r.get('max_backlog')}; UDP drops {r.get('udp_drops')}; publisher keyframe requests "
        f"{r.get('clients', {}).get('keyframe_requests')} (in the measured time).",
        "",
    ]
    for name in ("queue_audio", "queue_video", "sent_audio", "sent_video", "socket_wait", "input_wait", "loop_lag"):
        s = lat.get(name, {})
        if s.get("count"):
            lines.append(
                f"- {name}: p50 {s['p50']} / p90 {s['p90']} / p99 {s['p99']} / p99.9 {s['p999']} / "
                f"max {s['max']} ms (n={s['count']})"
            )
    for name, s in (r.get("latency_legs_ms") or {}).items():
        if s.get("count"):
            lines.append(
                f"- e2e leg {name}: p50 {s['p50']} / p90 {s['p90']} / p99 {s['p99']} / max {s['max']} ms "
                f"(n={s['count']})"
            )
    for label, key in (("e2e probe", "latency_e2e_probe_ms"), ("e2e all", "latency_e2e_ms")):
        for name, s in (r.get(key) or {}).items():
            if isinstance(s, dict) and s.get("count") and (name != "all" or key == "latency_e2e_ms"):
                lines.append(
                    f"- {label} {name}: p50 {s['p50']} / p90 {s['p90']} / p99 {s['p99']} / max {s['max']} ms"
                    f" (n={s['count']})"
                )
    pl = r.get("clients", {}).get("publisher_lateness_ms", {})
    if pl.get("count"):
        lines.append(
            f"- publishers' frames late against their schedule (client load): p50 {pl['p50']} / p99 "
            f"{pl['p99']} / max {pl['max']} ms"
        )
    ws = r.get("windows", [])
    if ws:
        lines.append(
            "- windows: "
            + "; ".join(
                f"{w['seconds']} s: server {w['server_cores']} cores, {w['streams']} streams, "
                f"{w['packets_out_per_s']} pkt/s, clients {w['clients_cores']}, other {w['other_cores']}"
                for w in ws
            )
        )
    prof = r.get("profile")
    if prof and prof.get("samples"):
        lines += [
            "",
            f"Profile ({prof['samples']} samples, `{prof['path']}`), by area (innermost matching frame): "
            + "; ".join(f"{name} {share}%" for name, share in prof.get("areas", [])[:10])
            + ". Top self time: "
            + "; ".join(f"{fr} {share}%" for fr, share in prof["self"][:12])
            + ".",
        ]
    return lines


def markdown(report: dict[str, Any]) -> str:
    m, o = report["machine"], report["options"]
    src = report["sources"]
    code = report["code"]
    dirty = code.get("uncommitted_product_files")
    lines = [
        f"# SFU benchmark, {report['started_at']}",
        "",
        f"Machine: {m['nproc']} × {m['cpu_model']}, {m['mem_total_mb']} MiB, Python {m['python']}, kernel "
        f"{m['kernel']}; " + ", ".join(f"{k} {v}" for k, v in m["packages"].items()) + ".",
        f"Load average before the run: {', '.join(f'{x:.2f}' for x in m['loadavg'])}.",
        f"Code: commit {code.get('commit')} ({code.get('subject')})"
        + (f", uncommitted changes in {', '.join(dirty)}" if dirty else ", no uncommitted product changes")
        + ".",
        "",
        f"Topology: N sites publish 640x360 VP8 @ {src['video']['kbps']} kbps {src['video']['fps']} fps (keyframe "
        f"every {src['video']['keyframe_every_s']:g} s) + 320x180 @ {src['video_small']['kbps']} kbps "
        f"{src['video_small']['fps']} fps + Opus @ {src['audio']['kbps']} kbps, pre-encoded and looped; main site = "
        "site 2, chair inset = site 1 (host hall); every site receives main big + chair small, the chair console "
        "(publishing nothing) main big + every other site small; 3 audio slots each; "
        + (
            "every site speaks (`--all-speak`)."
            if o.get("all_speak")
            else "the main site and the host speak, the other sites send silence (RFC 6464 level 127), which the SFU "
            "does not forward."
        ),
        *(
            [
                f"**Experiment**: the server reads up to {o['drain_udp']} datagrams per socket readiness"
                " (`--drain-udp`), not asyncio's one: these are not the product's figures.",
                "",
            ]
            if o.get("drain_udp", 1) > 1
            else []
        ),
        "Server event loop: "
        + (
            ", ".join(sorted({str(r.get("server_event_loop")) for r in report["phases"] if r.get("server_event_loop")}))
            or "?"
        )
        + " (what `meeting-server serve` picks unless `--event-loop` says otherwise).",
        f"Each phase: fresh server process, {o['workers']} client processes (all peers' media on this machine too), "
        f"{o['warmup']:g} s warm-up after every stream flows, then {o['windows']} windows of "
        f"{o['seconds'] / o['windows']:g} s; CPU figures are the median window.",
        "",
        table(report["phases"]),
        "",
    ]
    rt = report.get("ratio")
    if rt:
        lines += [
            f"MediaRelay / SFU at {rt['sites']} sites: {rt['relay_over_sfu']}× the CPU per forwarded stream "
            f"({rt['relay_mcores_per_stream']} vs {rt['sfu_mcores_per_stream']} millicores; server "
            f"{rt['relay_server_cores']} vs {rt['sfu_server_cores']} cores)"
            + (
                f"; {' and '.join(rt['scaled_to_full_rate'])} forwarded < 95% of the frames, so its cost is "
                "scaled to the full frame rate (cores / streams / delivered)"
                if rt["scaled_to_full_rate"]
                else ""
            )
            + ".",
            "",
        ]
    lines += [f"Goals (this {m['nproc']}-core machine):", "", *goal_lines(report), ""]
    lines += [
        "Columns: a forwarded stream is a (subscriber slot, source) pair whose packets grew in the window; "
        "mcores/stream = server cores / streams × 1000 (receiving included); `in-server` = a frame's last "
        "packet at the SFU's sink → the last packet of the forwarded frame handed to the subscriber's socket "
        "(audio and video frames); `server-added` = the same from the moment the kernel put the last packet "
        "in the server's socket (tagged video frames; the time it waited there and in aioice's queue "
        "included): the goal's figure; `e2e probe` = publisher's send → subscriber's receipt, through two "
        "aiortc clients (SFU only); `loop lag` = how late the server's loop wakes a 20 ms sleep; `other "
        "cores` = CPU used outside the bench (other people's processes). Details below: `queue_*` is the "
        "product's own `Slot.latencies`; `socket_wait` / `input_wait` = per datagram, kernel arrival → read "
        "by the loop / → taken by the DTLS transport.",
        "",
    ]
    for r in report["phases"]:
        lines += detail_lines(r) + [""]
    return "\n".join(lines) + "\n"


# ---- main -----------------------------------------------------------------------------------------------------------


async def main_async(opts: Options) -> int:
    info = machine_info()
    for name in ("aiortc", "av", "aioice", "pylibsrtp", "cryptography"):
        with contextlib.suppress(metadata.PackageNotFoundError):
            info["packages"][name] = metadata.version(name)
    report: dict[str, Any] = {
        "started_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "machine": info,
        "code": code_version(),
        "options": vars(opts).copy(),
        "phases": [],
    }
    print(
        f"SFU bench: {info['nproc']} cores ({info['cpu_model']}), load average {info['loadavg'][0]:.2f}; "
        f"aiortc {info['packages'].get('aiortc')}, av {info['packages'].get('av')}",
        flush=True,
    )
    sources_path, sources = load_sources(opts)
    report["sources"] = sources
    NOMINAL_FPS.update({name: float(src["fps"]) for name, src in sources.items()})
    print("sources: " + "; ".join(f"{k} {v['kbps']} kbps, {v['frames']} frames" for k, v in sources.items()))
    sizes = {opts.sites, *opts.more_sites} | ({opts.relay_sites} if opts.relay else set())
    phases = [("sfu", n) for n in sorted(sizes)] + ([("relay", opts.relay_sites)] if opts.relay else [])
    workers = [Worker(f"peers{i}", sources_path, opts.nice) for i in range(opts.workers)]
    servers: list[BenchServer] = []
    try:
        for mode, n in phases:
            servers.append(await prepare_server(mode, n, opts.drain_udp, opts.event_loop))
        for (mode, n), server in zip(phases, servers, strict=True):
            out: dict[str, Any] = {"mode": mode, "sites": n}
            report["phases"].append(out)
            print(f"{mode} at {n} sites: seeding, starting the server, connecting {n + 1} peers ...", flush=True)
            await run_phase(mode, n, opts, workers, server, out)
            mm = out.get("median", {})
            print(
                f"  {mode} n={n}: {out.get('status')}; server {mm.get('server_cores')} cores for "
                f"{mm.get('streams')} streams; clients {mm.get('clients_cores')}, other {mm.get('other_cores')}",
                flush=True,
            )
    finally:
        await asyncio.gather(*(w.shutdown() for w in workers), return_exceptions=True)
        for server in servers:  # those of phases that did not run (an error, Ctrl-C)
            with contextlib.suppress(Exception):
                await server.stop()
            if not opts.keep_tmp:
                shutil.rmtree(server.data_dir, ignore_errors=True)
        for template in TEMPLATE:
            shutil.rmtree(template.parent, ignore_errors=True)
    report["ratio"] = ratio(report)
    report["goals"] = goals(report)
    report["estimate"] = estimate(report)
    kept_up = [r for r in report["phases"] if r["mode"] == "sfu" and r.get("status") == "ok"]
    if kept_up:
        best = max(kept_up, key=lambda r: r["sites"])
        report["largest_kept_up"] = {
            "sites": best["sites"],
            "server_cores": best["median"]["server_cores"],
            "streams_per_core": best["median"]["streams_per_core"],
            "p99_ms": server_added(best).get("p99"),
            "e2e_p99_ms": best.get("latency_e2e_probe_ms", {}).get("all", {}).get("p99"),
        }
    print()
    print(table(report["phases"]))
    print()
    if report["ratio"]:
        rt = report["ratio"]
        print(f"MediaRelay / SFU at {rt['sites']} sites: {rt['relay_over_sfu']}x the CPU per forwarded stream")
    print("\n".join(goal_lines(report)))
    RESULTS.mkdir(parents=True, exist_ok=True)
    base = RESULTS / f"sfu-{opts.stamp}"
    base.with_suffix(".json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    base.with_suffix(".md").write_text(markdown(report))
    print(f"saved {base.relative_to(ROOT)}.json and .md")
    return 0 if all(not str(r.get("status")).startswith("error") for r in report["phases"]) else 1


def parse_args(argv: list[str] | None = None) -> tuple[argparse.Namespace, Options]:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    add = ap.add_argument
    add("--sites", type=int, default=40, help="sites in the SFU meeting (default %(default)s)")
    add(
        "--relay-sites",
        type=int,
        default=3,
        help="sites in the MediaRelay baseline, also run through the SFU for the ratio (default %(default)s)",
    )
    add("--no-relay", action="store_true", help="only the SFU at --sites")
    add("--more-sites", default="", help="also run the SFU at these sizes, comma separated (e.g. 10,20,30)")
    add("--seconds", type=float, default=30.0, help="measured seconds per phase (default %(default)s)")
    add("--windows", type=int, default=3, help="the measured time is split in this many windows (median)")
    add("--warmup", type=float, default=3.0, help="seconds after every stream flows, before measuring")
    add("--workers", type=int, default=3, help="client processes holding the peers (default %(default)s)")
    add("--nice", type=int, default=0, help="niceness of the client processes (default %(default)s)")
    add("--fps", type=int, default=30, help="frame rate of the 640x360 stream (default %(default)s)")
    add("--small-fps", type=int, default=15, help="frame rate of the 320x180 stream (default %(default)s)")
    add("--kbps", type=int, default=500, help="bitrate of the 640x360 stream (default %(default)s)")
    add("--small-kbps", type=int, default=150, help="bitrate of the 320x180 stream (default %(default)s)")
    add("--gop", type=float, default=2.0, help="seconds between keyframes in the sources (default %(default)s)")
    add("--source-seconds", type=float, default=10.0, help="length of the looped sources (default %(default)s)")
    add("--profile", action="store_true", help="py-spy record the server after each phase's windows")
    add("--profile-seconds", type=float, default=15.0, help="length of that profile (default %(default)s)")
    add("--flow-timeout", type=float, default=40.0, help="how long to wait for every stream to flow")
    add("--keep-tmp", action="store_true", help="keep each phase's data dir and server.log")
    add("--out", help="result file stem, overwritten (default sfu-latest, sfu-asyncio-latest)")
    add(
        "--all-speak",
        action="store_true",
        help="every site sends its tone (default: the main site and the host speak, the others send silence, "
        "which the SFU records but does not forward)",
    )
    add(
        "--full-subscribers",
        action="store_true",
        help="every subscriber takes packets through aiortc's receive path (default: only the two probe sites; "
        "the others count RTP datagrams and drop them before SRTP)",
    )
    add(
        "--event-loop",
        choices=("asyncio", "uvloop"),
        help="the server's event loop (MS_EVENT_LOOP); default: what `meeting-server serve` picks (uvloop)",
    )
    add(
        "--drain-udp",
        type=int,
        default=1,
        metavar="N",
        help="experiment, not the product: the server reads up to N datagrams per socket readiness instead of "
        "asyncio's one (see README)",
    )
    add("--dump", help=argparse.SUPPRESS)  # debugging: pickle what the clients recorded to DUMP.<mode>-<n>.pickle
    add("--serve", action="store_true", help=argparse.SUPPRESS)  # internal: be the server under test
    add("--mode", choices=("sfu", "relay"), default="sfu", help=argparse.SUPPRESS)
    add("--port", type=int, default=0, help=argparse.SUPPRESS)
    a = ap.parse_args(argv)
    if a.sites < 2 or a.relay_sites < 2:
        ap.error("at least 2 sites (site 2 is the main site, site 1 the chair inset)")
    default = "asyncio-latest" if a.event_loop == "asyncio" else "latest"
    stamp = a.out.removeprefix("sfu-") if a.out else default
    opts = Options(
        sites=a.sites,
        more_sites=[int(x) for x in a.more_sites.split(",") if x.strip()],
        relay_sites=a.relay_sites,
        relay=not a.no_relay,
        seconds=a.seconds,
        windows=max(1, a.windows),
        warmup=a.warmup,
        workers=max(1, a.workers),
        nice=a.nice,
        fps=a.fps,
        small_fps=a.small_fps,
        kbps=a.kbps,
        small_kbps=a.small_kbps,
        gop=a.gop,
        source_seconds=a.source_seconds,
        profile=a.profile,
        profile_seconds=a.profile_seconds,
        flow_timeout=a.flow_timeout,
        stamp=stamp,
        keep_tmp=a.keep_tmp,
        drop=not a.full_subscribers,
        drain_udp=max(1, a.drain_udp),
        event_loop=a.event_loop,
        all_speak=a.all_speak,
        dump=a.dump,
    )
    return a, opts


def main(argv: list[str] | None = None) -> int:
    args, opts = parse_args(argv)
    if args.serve:
        serve_main(args.mode, args.port, args.drain_udp)
        return 0
    raise_nofile()
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return asyncio.run(main_async(opts))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
