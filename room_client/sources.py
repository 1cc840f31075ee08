"""Camera and microphone of a hall's room PC, as aiortc tracks: one audio track and two video tracks.

The room PC publishes two video streams made from the same picture (aiortc has no simulcast, so the SFU gets
"dual stream" instead): the normal one at `size` and a small one (320x180, 15 fps, at most 150 kbps, see
`cap_bitrate`) that the SFU forwards to whoever shows the hall as a thumbnail or sits on a poor link.

A source is named on the command line as one string:

| SRC                          | opened as                                                           |
|------------------------------|---------------------------------------------------------------------|
| `test`                       | `SyntheticVideoTrack` / `SyntheticAudioTrack` (no device needed)    |
| `/dev/videoN`                | V4L2 camera (FFmpeg `v4l2`, asking for `size` and `fps`)            |
| `hw:1`, `plughw:1,0`, `alsa`, `alsa:NAME` | ALSA capture device (`alsa` alone is ALSA's `default`) |
| `pulse`, `pulse:NAME`        | PulseAudio (only if the installed PyAV's FFmpeg has the `pulse` input) |
| `rtsp://...`, `rtsps://...`  | the halls' PTZ IP cameras, over TCP (UDP loses packets through NAT) |
| anything else                | a media file (or another URL FFmpeg reads), played in a loop         |

Devices, cameras and files go through aiortc's `MediaPlayer`, wrapped so that a source which ends (the file
reaches its end, the camera reboots, the RTSP connection drops) is opened again and goes on with timestamps
that keep increasing: a source never ends until `Sources.close()`.
"""

from __future__ import annotations

import array
import asyncio
import collections
import contextlib
import dataclasses
import errno
import fractions
import inspect
import logging
import math
import os
import re
import threading
import time
import urllib.parse
from typing import Any, Literal, NamedTuple

import av
from aiortc import RTCRtpSender
from aiortc.contrib.media import MediaPlayer
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame, VideoFrame
from av.frame import Frame
from av.packet import Packet
from av.video.reformatter import VideoReformatter

log = logging.getLogger(__name__)

__all__ = [
    "ScaledTrack",
    "SourceError",
    "Sources",
    "Tracks",
    "SyntheticAudioTrack",
    "SyntheticVideoTrack",
    "cap_bitrate",
    "open_sources",
    "open_sources_async",
    "SMALL_SIZE",
    "SMALL_FPS",
    "SMALL_MAX_BITRATE",
]

VIDEO_CLOCK_RATE = 90_000
VIDEO_TIME_BASE = fractions.Fraction(1, VIDEO_CLOCK_RATE)
AUDIO_SAMPLE_RATE = 48_000
AUDIO_TIME_BASE = fractions.Fraction(1, AUDIO_SAMPLE_RATE)
AUDIO_SAMPLES_PER_FRAME = 960  # 20 ms at 48 kHz, what Opus packs in one RTP packet

SMALL_SIZE = (320, 180)
SMALL_FPS = 15
SMALL_MAX_BITRATE = 150_000

# A synthetic track that falls further behind than this (the event loop was blocked, the PC slept) skips the
# missed frames instead of sending them in a burst: a burst is useless to a live receiver and floods the link.
MAX_LAG = 1.0
# Frames bigger than this are scaled in a worker thread (swscale releases the GIL), smaller ones on the loop:
# a 1080p frame takes milliseconds to scale, a 640x360 one less than the thread hand-off costs.
OFFLOAD_PIXELS = 640 * 480
# Open and read timeout for cameras and network streams: a camera that stops answering ends its player, and
# the source is opened again (see `_PlayerSource`), instead of hanging the room PC forever.
LIVE_TIMEOUT_S = 10
REOPEN_BACKOFF_S = (1.0, 2.0, 5.0, 10.0)
# Audio frames a consumer may fall behind before the oldest are dropped (0.5 s): rides out a busy event loop.
AUDIO_KEEP_FRAMES = 25

_VI_KIND = {"video": "video", "audio": "âm thanh"}


class SourceError(Exception):
    """A source could not be opened; the message names the source and the reason, in Vietnamese then English.

    It is what the room PC's operator reads when the program refuses to start, so it says which of the two
    command-line sources is wrong and what FFmpeg or the OS said about it.
    """


def _redact(src: str) -> str:
    """The source without the password an RTSP URL usually carries (`rtsp://admin:secret@10.0.0.5/...`).

    Error messages and logs end up on screens and in bug reports; the camera's password must not.
    """
    if "://" not in src:
        return src
    parts = urllib.parse.urlsplit(src)
    if parts.password is None:
        return src
    host = parts.hostname or ""
    if ":" in host:
        host = f"[{host}]"
    if parts.port is not None:
        host = f"{host}:{parts.port}"
    return urllib.parse.urlunsplit(parts._replace(netloc=f"{parts.username or ''}:***@{host}"))


def _source_error(kinds: str, src: str, reason: str, reason_en: str | None = None) -> SourceError:
    """`reason` is FFmpeg's or the OS's (English) words, or ours in Vietnamese with `reason_en` beside it."""
    vi = " và ".join(_VI_KIND[k] for k in kinds.split("+"))
    en = " and ".join(kinds.split("+"))
    shown = _redact(src)
    return SourceError(
        f"không mở được nguồn {vi} {shown}: {reason} (cannot open {en} source {shown}: {reason_en or reason})"
    )


def _reason(exc: BaseException) -> str:
    """What went wrong, in the OS's or FFmpeg's words ("No such file or directory", "Connection refused")."""
    strerror = getattr(exc, "strerror", None)
    if isinstance(strerror, str) and strerror:
        return strerror
    return str(exc) or type(exc).__name__


# --------------------------------------------------------------------------------------------------- pacing


class _Pacer:
    """Says when frame n is due: at `start + n * period` on the monotonic clock, never by adding up sleeps.

    Adding sleeps drifts (every sleep overshoots a little) and `time.time()` jumps when NTP corrects the
    clock; a track that runs for a whole day of meetings must do neither. Like aiortc's
    `VideoStreamTrack.next_timestamp`, the first frame is due at once.
    """

    def __init__(self, period: fractions.Fraction) -> None:
        self._period = period
        self._start: float | None = None
        self._index = -1

    async def next_index(self) -> int:
        now = time.monotonic()
        if self._start is None:
            self._start = now
            self._index = 0
            return 0
        self._index += 1
        due = self._start + float(self._index * self._period)
        if now - due > MAX_LAG:
            # Far behind: skip to the frame due now; the timestamps jump, as they would after packet loss.
            self._index = int((now - self._start) / self._period)
        elif due > now:
            await asyncio.sleep(due - now)
        return self._index


# ------------------------------------------------------------------------------------------ synthetic tracks


class SyntheticVideoTrack(MediaStreamTrack):
    """The `test` camera: a bar sliding over colour stripes, with the frame number as black/white blocks.

    Every frame differs from the one before (the bar moves, the stripes turn, the number counts), so an
    encoder really encodes and a viewer sees at once that the picture is live, not frozen. Frames are built
    from precomputed byte rows (well under 1 ms each) so the test source costs the room PC nothing.
    """

    kind = "video"

    def __init__(self, width: int = 640, height: int = 360, fps: int = 30) -> None:
        super().__init__()
        if width < 64 or height < 64 or width % 2 or height % 2:
            raise ValueError(f"synthetic video needs an even size of at least 64x64, not {width}x{height}")
        if fps <= 0:
            raise ValueError(f"fps must be positive, not {fps}")
        self.width = width
        self.height = height
        self.fps = fps
        self._ticks = fractions.Fraction(VIDEO_CLOCK_RATE, fps)  # 3000 at 30 fps
        self._pacer = _Pacer(fractions.Fraction(1, fps))
        probe = VideoFrame(width, height, "yuv420p")
        self._line_sizes = [plane.line_size for plane in probe.planes]
        # Luma: a soft ramp left to right; the bar and the frame-number band are drawn over it.
        self._y_row = bytes(60 + (120 * x) // width for x in range(width))
        self._bar_width = max(8, (width // 16) & ~1)
        self._bar = b"\xeb" * self._bar_width
        self._bar_step = max(2, width // 120)
        self._band_height = max(8, height // 12)
        self._block_width = width // 24
        # Chroma: eight colour stripes; rotating the row by a few pixels a frame makes them drift.
        cw = width // 2
        stripes = [(90, 240), (54, 34), (240, 110), (16, 146), (166, 16), (202, 222), (128, 128), (44, 200)]
        self._u_row = bytes(stripes[(8 * x) // cw][0] for x in range(cw))
        self._v_row = bytes(stripes[(8 * x) // cw][1] for x in range(cw))

    def _pad(self, row: bytes, plane: int) -> bytes:
        missing = self._line_sizes[plane] - len(row)
        return row + bytes(missing) if missing > 0 else row

    def draw(self, index: int) -> VideoFrame:
        """The picture of frame `index` (without timestamps); public so tests and benchmarks can call it."""
        w, h = self.width, self.height
        x = (index * self._bar_step) % (w - self._bar_width)
        y_row = self._pad(self._y_row[:x] + self._bar + self._y_row[x + self._bar_width :], 0)
        bits = b"".join(
            b"\xeb" * self._block_width if index >> (23 - i) & 1 else b"\x10" * self._block_width for i in range(24)
        )
        band_row = self._pad(bits + b"\x10" * (w - len(bits)), 0)
        luma = y_row * (h - self._band_height) + band_row * self._band_height
        shift = (index * 2) % (w // 2)
        u_row = self._pad(self._u_row[shift:] + self._u_row[:shift], 1)
        v_row = self._pad(self._v_row[shift:] + self._v_row[:shift], 2)
        frame = VideoFrame(w, h, "yuv420p")
        frame.planes[0].update(luma)
        frame.planes[1].update(u_row * (h // 2))
        frame.planes[2].update(v_row * (h // 2))
        return frame

    async def recv(self) -> Frame:
        if self.readyState != "live":
            raise MediaStreamError
        index = await self._pacer.next_index()
        if self.readyState != "live":  # stopped while we slept
            raise MediaStreamError
        frame = self.draw(index)
        frame.pts = int(index * self._ticks)
        frame.time_base = VIDEO_TIME_BASE
        return frame


class SyntheticAudioTrack(MediaStreamTrack):
    """The `test` microphone: a steady 440 Hz tone, 48 kHz mono s16, 20 ms frames (960 samples).

    One second of the tone is computed once (440 whole periods fit in it, so it loops without a click) and
    frames are slices of it. aiortc's Opus encoder takes s16 mono and resamples it itself.
    """

    kind = "audio"

    def __init__(self, frequency: int = 440, amplitude: float = 0.2) -> None:
        super().__init__()
        self._pacer = _Pacer(fractions.Fraction(AUDIO_SAMPLES_PER_FRAME, AUDIO_SAMPLE_RATE))
        peak = int(32767 * amplitude)
        step = 2 * math.pi * frequency / AUDIO_SAMPLE_RATE
        one_second = array.array("h", (int(peak * math.sin(step * n)) for n in range(AUDIO_SAMPLE_RATE)))
        self._table = one_second.tobytes() * 2  # doubled so a frame's slice never wraps
        self._table_samples = AUDIO_SAMPLE_RATE

    async def recv(self) -> Frame:
        if self.readyState != "live":
            raise MediaStreamError
        index = await self._pacer.next_index()
        if self.readyState != "live":
            raise MediaStreamError
        pts = index * AUDIO_SAMPLES_PER_FRAME
        start = 2 * (pts % self._table_samples)
        frame = AudioFrame(format="s16", layout="mono", samples=AUDIO_SAMPLES_PER_FRAME)
        frame.planes[0].update(self._table[start : start + 2 * AUDIO_SAMPLES_PER_FRAME])
        frame.sample_rate = AUDIO_SAMPLE_RATE
        frame.pts = pts
        frame.time_base = AUDIO_TIME_BASE
        return frame


# ------------------------------------------------------------------------------------- scaling and the tee


class ScaledTrack(MediaStreamTrack):
    """`source` at `width`x`height` in yuv420p and at most `fps` frames a second, timestamps untouched.

    Used twice: to bring a camera to the normal size (an RTSP camera sends 1920x1080, we publish 640x360)
    and to make the small stream. A frame already at the right size and format goes through as it is.

    Frames are dropped by time slot (`floor(t * fps + 0.25)`), not by counting: a 30 fps camera gives every
    other frame at 15 fps, a 25 fps one gives 3 out of 5, and a camera whose timestamps jitter by a few
    milliseconds does not lose frames at its own rate. Each track has its own swscale context: sharing
    `frame.reformat()`'s (cached on the frame) between two threads scaling the same frame is not safe.
    Stopping this track stops its source.
    """

    kind = "video"

    def __init__(
        self,
        source: MediaStreamTrack,
        width: int = SMALL_SIZE[0],
        height: int = SMALL_SIZE[1],
        fps: float | None = SMALL_FPS,
    ) -> None:
        super().__init__()
        if width <= 0 or height <= 0 or width % 2 or height % 2:
            raise ValueError(f"yuv420p needs an even size, not {width}x{height}")
        if fps is not None and fps <= 0:
            raise ValueError(f"fps must be positive, not {fps}")
        self.width = width
        self.height = height
        self.fps = fps
        self._source = source
        self._reformatter = VideoReformatter()
        self._last_slot: int | None = None

    def _keep(self, frame: VideoFrame) -> bool:
        if self.fps is None or frame.pts is None or frame.time_base is None:
            return True
        slot = math.floor(float(frame.pts * frame.time_base) * self.fps + 0.25)
        last = self._last_slot
        if last is not None and last - self.fps < slot <= last:
            return False  # this slot already has its frame (a jump back by over a second is a restart: keep)
        self._last_slot = slot
        return True

    def _scale(self, frame: VideoFrame) -> VideoFrame:
        out = self._reformatter.reformat(frame, width=self.width, height=self.height, format="yuv420p")
        out.pts = frame.pts
        out.time_base = frame.time_base
        return out

    async def recv(self) -> Frame:
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            try:
                frame = await self._source.recv()
            except MediaStreamError:
                self.stop()
                raise
            if not isinstance(frame, VideoFrame):
                raise TypeError(f"ScaledTrack needs decoded video frames, got {type(frame).__name__}")
            if not self._keep(frame):
                continue
            if (frame.width, frame.height) == (self.width, self.height) and frame.format.name == "yuv420p":
                return frame
            if frame.width * frame.height > OFFLOAD_PIXELS:
                return await asyncio.get_running_loop().run_in_executor(None, self._scale, frame)
            return self._scale(frame)

    def stop(self) -> None:
        super().stop()
        self._source.stop()


class _Tee:
    """Feeds any number of tracks ("branches") from one source track, which it reads from the first `recv()`
    of a branch until `close()`.

    aiortc's `MediaRelay` does the same but (1.16) queues frames without bound for a consumer that falls
    behind (a weak room PC's encoder: the delay would grow all meeting long), never stops its source, and
    leaves a consumer's pending `recv()` waiting forever when that consumer is stopped. Here a branch keeps
    at most `keep` frames and drops the oldest (video: 1, a slow encoder skips frames; audio: a few, so a
    short hiccup loses nothing), stopping a branch wakes its reader, and the source keeps being read while no
    branch is left: aiortc stops a sender's track when the sender stops, so a room PC that reconnects to the
    SFU takes new branches (`Sources.subscribe`) while the camera stays open and drained.
    """

    def __init__(self, source: MediaStreamTrack, keep: int) -> None:
        self.source = source
        self.keep = keep
        self._branches: list[_TeeBranch] = []
        self._task: asyncio.Task[None] | None = None
        self._ended = False

    def branch(self) -> MediaStreamTrack:
        branch = _TeeBranch(self)
        if self._ended:
            branch._source_ended()
        self._branches.append(branch)
        return branch

    def _start(self) -> None:
        if self._task is None and not self._ended:
            self._task = asyncio.ensure_future(self._run())

    async def _run(self) -> None:
        try:
            while True:
                frame = await self.source.recv()
                for branch in self._branches:
                    branch._offer(frame)
        except MediaStreamError:
            pass
        except Exception:
            # Nobody awaits this task: say what broke, then end the branches so their senders stop.
            log.exception("%s source failed", self.source.kind)
        finally:
            self._end()

    def _end(self, discard: bool = False) -> None:
        self._ended = True
        for branch in list(self._branches):
            branch._source_ended(discard)

    def _remove(self, branch: _TeeBranch) -> None:
        if branch in self._branches:
            self._branches.remove(branch)

    def close(self) -> None:
        """Stops the source and ends every branch (a pending `recv()` raises MediaStreamError)."""
        self.source.stop()
        if self._task is not None:
            self._task.cancel()
        self._end(discard=True)


class _TeeBranch(MediaStreamTrack):
    kind = "video"

    def __init__(self, tee: _Tee) -> None:
        super().__init__()
        self.kind = tee.source.kind
        self._tee: _Tee | None = tee
        self._keep = tee.keep
        self._frames: collections.deque[Frame | Packet] = collections.deque()
        self._ended = False
        self._event = asyncio.Event()

    def _offer(self, frame: Frame | Packet) -> None:
        self._frames.append(frame)
        if len(self._frames) > self._keep:
            self._frames.popleft()
        self._event.set()

    def _source_ended(self, discard: bool = False) -> None:
        """No more frames: those queued are still given, unless the tee was closed (`discard`)."""
        self._ended = True
        if discard:
            self._frames.clear()
        self._event.set()

    async def recv(self) -> Frame | Packet:
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            if self._frames:
                return self._frames.popleft()
            if self._ended:
                self.stop()
                raise MediaStreamError
            if self._tee is not None:
                self._tee._start()
            self._event.clear()
            await self._event.wait()

    def stop(self) -> None:
        super().stop()
        self._frames.clear()
        self._event.set()
        if self._tee is not None:
            tee, self._tee = self._tee, None
            tee._remove(self)


# ----------------------------------------------------------------------------------------- parsing sources

SourceKind = Literal["test", "v4l2", "alsa", "pulse", "rtsp", "file"]
_ALSA_NAME = re.compile(r"^(?:[a-z_]*hw|default|sysdefault|dsnoop|front)(?::\S*)?$")


@dataclasses.dataclass(frozen=True)
class _Spec:
    """How to open one command-line source string."""

    src: str
    kind: SourceKind
    target: str = ""
    format: str | None = None
    options: dict[str, str] = dataclasses.field(default_factory=dict)

    @property
    def media(self) -> frozenset[str]:
        """What this kind of source can give."""
        return {
            "test": frozenset({"audio", "video"}),
            "v4l2": frozenset({"video"}),
            "alsa": frozenset({"audio"}),
            "pulse": frozenset({"audio"}),
            "rtsp": frozenset({"audio", "video"}),
            "file": frozenset({"audio", "video"}),
        }[self.kind]

    @property
    def live(self) -> bool:
        """A device or camera: it runs in real time (no pacing, no looping) and is reopened after a pause."""
        return self.kind != "file"


def _parse(src: str, size: tuple[int, int], fps: int) -> _Spec:
    """Tells a device, a camera, a file and the test source apart, by the rules in the module docstring."""
    s = src.strip()
    if s == "test":
        return _Spec(s, "test")
    if s.startswith("/dev/video"):
        return _Spec(s, "v4l2", s, "v4l2", {"video_size": f"{size[0]}x{size[1]}", "framerate": str(fps)})
    if s == "alsa" or s.startswith("alsa:"):
        return _Spec(s, "alsa", s[5:] or "default", "alsa")
    if _ALSA_NAME.match(s):
        return _Spec(s, "alsa", s, "alsa")
    if s == "pulse" or s.startswith("pulse:"):
        return _Spec(s, "pulse", s[6:] or "default", "pulse")
    if s.lower().startswith(("rtsp://", "rtsps://")):
        return _Spec(s, "rtsp", s, None, {"rtsp_transport": "tcp"})
    return _Spec(s, "file", s)


def _prepare_alsa() -> None:
    """Points the ALSA library inside PyAV's wheel at the system's ALSA configuration.

    The wheel's libasound looks for its configuration where it was built (/tmp/vendor/share/alsa), so it
    cannot even parse `hw:1` ("Unknown PCM"). Its `ALSA_CONFIG_DIR` variable fixes that; a value the user set
    wins.
    """
    if "ALSA_CONFIG_DIR" not in os.environ and os.path.isfile("/usr/share/alsa/alsa.conf"):
        os.environ["ALSA_CONFIG_DIR"] = "/usr/share/alsa"


def _has_input_format(name: str) -> bool:
    return any(name in entry.split(",") for entry in av.formats_available)


def _open_player(spec: _Spec, want: frozenset[str]) -> MediaPlayer:
    """Opens the source with aiortc's MediaPlayer, or raises SourceError saying why not."""
    kinds = "+".join(k for k in ("video", "audio") if k in want)
    if spec.format is not None and not _has_input_format(spec.format):
        vi_hint, en_hint = (
            ("hãy dùng alsa:hw:N", "use alsa:hw:N")
            if spec.kind == "pulse"
            else ("cần PyAV dựng với FFmpeg của hệ thống", "needs PyAV built on the system's FFmpeg")
        )
        raise _source_error(
            kinds,
            spec.src,
            f"FFmpeg trong PyAV không có đầu vào '{spec.format}', {vi_hint}",
            f"the FFmpeg inside PyAV has no '{spec.format}' input, {en_hint}",
        )
    if spec.kind == "alsa":
        _prepare_alsa()
    options = dict(spec.options)
    if spec.kind == "rtsp" and len(want) == 1:
        # Do not set up (and decode) the camera's other stream: nobody would read it.
        options["allowed_media_types"] = next(iter(want))
    timeout = LIVE_TIMEOUT_S if spec.live else None
    try:
        try:
            player = MediaPlayer(spec.target, format=spec.format, options=options or None, timeout=timeout)
        except (av.FFmpegError, OSError) as exc:
            if spec.kind != "v4l2" or getattr(exc, "errno", None) in (errno.ENOENT, errno.EACCES, errno.EBUSY):
                raise
            # The camera refused the size or rate we asked for: take what it gives, ScaledTrack fits it.
            log.warning("camera %s refused %s (%s); opening it with its own settings", spec.src, options, exc)
            player = MediaPlayer(spec.target, format=spec.format, timeout=timeout)
    except (av.FFmpegError, OSError, ValueError) as exc:
        raise _source_error(kinds, spec.src, _reason(exc)) from exc
    for kind in ("video", "audio"):
        if kind in want and getattr(player, kind) is None:
            _stop_player(player)
            vi, en = ("không có hình", "it has no video") if kind == "video" else ("không có tiếng", "it has no audio")
            raise _source_error(kind, spec.src, vi, en)
    return player


def _player_tracks(player: MediaPlayer) -> list[MediaStreamTrack]:
    return [t for t in (player.audio, player.video) if t is not None]


def _stop_player(player: MediaPlayer) -> None:
    """Stops every track of the player, which ends its decoding thread (joined) and closes the container."""
    for track in _player_tracks(player):
        track.stop()


# ---------------------------------------------------------------------------------------- MediaPlayer sources


class _PlayerSource:
    """One opened device, camera or file, with one never-ending track per wanted kind (`tracks`).

    Why not `MediaPlayer(loop=True)` for files: in aiortc 1.16 the video timestamps start again from 0 at
    each loop, after which MediaPlayer stops pacing the video (it compares them with its start time) and its
    decoding thread stops throttling a video-only file, so it decodes as fast as it can into an unbounded
    queue. Instead, when a player ends (end of file, camera gone, RTSP read timeout) this opens a new one and
    shifts the new player's timestamps by the time elapsed (one shift for audio and video, so they stay in
    sync). Devices and cameras are opened again after a growing pause; a file at once.

    A player decodes every stream it found even if nobody reads it (a file's audio when the hall's microphone
    is used), and queues the frames without bound; such streams are drained here.
    """

    def __init__(self, spec: _Spec, want: frozenset[str]) -> None:
        self.spec = spec
        self.want = want
        self.closed = False
        self._player = _open_player(spec, want)
        self._generation = 0
        self._players: dict[int, MediaPlayer] = {0: self._player}
        self._offsets: dict[int, fractions.Fraction] = {}
        self._epoch: float | None = None  # monotonic time of media time 0
        self._reopen_lock: asyncio.Lock | None = None
        self._drains: dict[int, list[asyncio.Task[None]]] = {}
        self._delivered = False  # the current generation gave at least one frame
        self.tracks: dict[str, _PlayerSourceTrack] = {kind: _PlayerSourceTrack(self, kind) for kind in want}

    def current(self, kind: str) -> tuple[int, MediaStreamTrack]:
        track = getattr(self._player, kind)
        assert track is not None  # _open_player checked it
        self._start_drains()
        return self._generation, track

    def _start_drains(self) -> None:
        gen = self._generation
        if gen in self._drains:
            return
        self._drains[gen] = [
            asyncio.ensure_future(self._drain(track))
            for kind in ("audio", "video")
            if kind not in self.want and (track := getattr(self._player, kind)) is not None
        ]

    @staticmethod
    async def _drain(track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError):
            while True:
                await track.recv()

    async def advance(self, generation: int) -> None:
        """The player of `generation` ended: open the next one, unless another track already did."""
        if self._reopen_lock is None:
            self._reopen_lock = asyncio.Lock()
        async with self._reopen_lock:
            if self._generation != generation or self.closed:
                return
            attempt = 0
            while not self.closed:
                pause = (
                    0.0
                    if (not self.spec.live and self._delivered and attempt == 0)
                    else (REOPEN_BACKOFF_S[min(attempt, len(REOPEN_BACKOFF_S) - 1)])
                )
                if pause:
                    log.warning("source %s ended; opening it again in %.0f s", _redact(self.spec.src), pause)
                    await asyncio.sleep(pause)
                attempt += 1
                try:
                    player = await asyncio.to_thread(_open_player, self.spec, self.want)
                except SourceError as exc:
                    log.warning("%s", exc)
                    continue
                if self.closed:
                    await asyncio.to_thread(_stop_player, player)
                    return
                self._generation += 1
                self._player = player
                self._players[self._generation] = player
                self._delivered = False
                # Players two generations old have ended and stopped themselves; forget them.
                for old in [g for g in self._players if g < self._generation - 1]:
                    del self._players[old]
                    self._offsets.pop(old, None)
                    self._drains.pop(old, None)
                return

    def retime(self, generation: int, frame: Frame) -> fractions.Fraction | None:
        """Shifts the frame's pts by its generation's offset; returns its media time (None: no timestamp)."""
        if frame.pts is None or frame.time_base is None:
            return None
        raw = frame.pts * frame.time_base
        now = time.monotonic()
        if self._epoch is None:
            self._epoch = now - float(raw)
        offset = self._offsets.get(generation)
        if offset is None:
            # The first frame of this generation is due now; both kinds share the shift, so they stay in sync.
            elapsed = fractions.Fraction(round((now - self._epoch) * 1000), 1000)
            offset = self._offsets[generation] = (
                max(fractions.Fraction(0), elapsed - raw) if generation else (fractions.Fraction(0))
            )
        if generation == self._generation:
            self._delivered = True
        if offset:
            frame.pts += round(offset / frame.time_base)
        return raw + offset

    async def pace(self, media_time: fractions.Fraction) -> None:
        """Files only: hold the frame until its time (MediaPlayer's own pacing restarts with each player)."""
        if self.spec.live or self._epoch is None:
            return
        wait = self._epoch + float(media_time) - time.monotonic()
        if wait > 0:
            await asyncio.sleep(wait)

    def close_sync(self) -> None:
        """Closes players that never started (when `open_sources` fails half way): no loop needed."""
        self.closed = True
        for player in self._players.values():
            _stop_player(player)

    async def close(self) -> None:
        self.closed = True
        for track in self.tracks.values():
            track.stop()
        for drains in self._drains.values():
            for task in drains:
                task.cancel()
        players = list(self._players.values())
        self._players.clear()
        # Stopping a player joins its decoding thread, which may be waiting on the device for a moment.
        for player in players:
            await asyncio.to_thread(_stop_player, player)


class _PlayerSourceTrack(MediaStreamTrack):
    """One kind of a `_PlayerSource`: follows it from player to player, with increasing timestamps."""

    def __init__(self, owner: _PlayerSource, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._owner = owner
        self._generation: int | None = None
        self._inner: MediaStreamTrack | None = None
        self._waiter: asyncio.Future[Frame | Packet] | None = None
        self._last: fractions.Fraction | None = None

    async def recv(self) -> Frame | Packet:
        owner = self._owner
        while True:
            if self.readyState != "live" or owner.closed:
                raise MediaStreamError
            if self._inner is None or self._generation is None:
                self._generation, self._inner = owner.current(self.kind)
            self._waiter = asyncio.ensure_future(self._inner.recv())
            try:
                frame = await self._waiter
            except asyncio.CancelledError:
                task = asyncio.current_task()
                if self.readyState == "live" or (task is not None and task.cancelling()):
                    raise
                raise MediaStreamError from None  # stop() cancelled the read
            except MediaStreamError:
                # This player ended (its thread stopped it); go on with the next one.
                await owner.advance(self._generation)
                self._inner = None
                continue
            finally:
                self._waiter = None
            if not isinstance(frame, Frame):
                continue
            media_time = owner.retime(self._generation, frame)
            if media_time is None:
                continue
            if self._last is not None and media_time <= self._last:
                continue  # the end of the previous player overlaps the start of the next: keep time moving on
            self._last = media_time
            await owner.pace(media_time)
            return frame

    def stop(self) -> None:
        super().stop()
        if self._waiter is not None:
            self._waiter.cancel()


# ------------------------------------------------------------------------------------------- open_sources


class Tracks(NamedTuple):
    """One set of tracks for one peer connection."""

    audio: MediaStreamTrack | None
    video: MediaStreamTrack | None
    video_small: MediaStreamTrack | None


@dataclasses.dataclass
class Sources:
    """What the room PC publishes: `audio`, the normal `video` and the `video_small` made from the same picture.

    `video` and `video_small` read one source through a tee, so the camera is opened (and decoded) once.
    Each is None when its source was not given. aiortc stops a sender's track when the sender (or its peer
    connection) stops, so after a reconnect take fresh tracks from `subscribe()`: the devices stay open in
    between. `close()` stops everything, ends the decoding threads and closes the devices; calling it twice
    is fine.
    """

    audio: MediaStreamTrack | None
    video: MediaStreamTrack | None
    video_small: MediaStreamTrack | None
    _video_tee: _Tee | None = dataclasses.field(default=None, repr=False)
    _audio_tee: _Tee | None = dataclasses.field(default=None, repr=False)
    _players: list[_PlayerSource] = dataclasses.field(default_factory=list, repr=False)

    def subscribe(self) -> Tracks:
        """A new set of tracks on the same sources (for a new peer connection); the old ones keep working."""
        video = self._video_tee.branch() if self._video_tee is not None else None
        small = (
            ScaledTrack(self._video_tee.branch(), *SMALL_SIZE, fps=SMALL_FPS) if self._video_tee is not None else None
        )
        audio = self._audio_tee.branch() if self._audio_tee is not None else None
        return Tracks(audio=audio, video=video, video_small=small)

    async def close(self) -> None:
        # Sources first: consumers waiting in recv() get MediaStreamError rather than waiting forever.
        for tee in (self._video_tee, self._audio_tee):
            if tee is not None:
                tee.close()
        players, self._players = self._players, []
        for player in players:
            await player.close()
        for track in (self.audio, self.video, self.video_small):
            if track is not None:
                track.stop()


def open_sources(
    video: str | None,
    audio: str | None,
    *,
    size: tuple[int, int] = (640, 360),
    fps: int = 30,
) -> Sources:
    """Opens the command line's `--video` and `--audio` sources; raises SourceError for one that fails.

    The same string for both (an RTSP camera with a microphone, a demo file) opens one player. Opening a
    camera or an RTSP URL may block up to LIVE_TIMEOUT_S: from the event loop, prefer `open_sources_async`.
    Nothing here needs a running event loop, so it may run in a worker thread.
    """
    width, height = size
    if width <= 0 or height <= 0 or width % 2 or height % 2:
        raise ValueError(f"size must be even, not {width}x{height}")
    video_spec = _parse(video, size, fps) if video else None
    audio_spec = _parse(audio, size, fps) if audio else None
    for spec, kind in ((video_spec, "video"), (audio_spec, "audio")):
        if spec is not None and kind not in spec.media:
            vi, en = f"{spec.kind} không cho {_VI_KIND[kind]}", f"{spec.kind} gives no {kind}"
            raise _source_error(kind, spec.src, vi, en)

    players: list[_PlayerSource] = []
    video_source: MediaStreamTrack | None = None
    audio_source: MediaStreamTrack | None = None
    try:
        if (
            video_spec is not None
            and audio_spec is not None
            and video_spec.kind != "test"
            and (video_spec.src == audio_spec.src)
        ):
            shared = _PlayerSource(video_spec, frozenset({"video", "audio"}))
            players.append(shared)
            video_source, audio_source = shared.tracks["video"], shared.tracks["audio"]
        else:
            if video_spec is not None:
                if video_spec.kind == "test":
                    video_source = SyntheticVideoTrack(width, height, fps)
                else:
                    players.append(_PlayerSource(video_spec, frozenset({"video"})))
                    video_source = players[-1].tracks["video"]
            if audio_spec is not None:
                if audio_spec.kind == "test":
                    audio_source = SyntheticAudioTrack()
                else:
                    players.append(_PlayerSource(audio_spec, frozenset({"audio"})))
                    audio_source = players[-1].tracks["audio"]
    except BaseException:
        for opened in players:
            opened.close_sync()
        raise

    normal = ScaledTrack(video_source, width, height, fps=fps) if video_source is not None else None
    sources = Sources(
        audio=None,
        video=None,
        video_small=None,
        _video_tee=_Tee(normal, keep=1) if normal is not None else None,
        _audio_tee=_Tee(audio_source, keep=AUDIO_KEEP_FRAMES) if audio_source is not None else None,
        _players=players,
    )
    sources.audio, sources.video, sources.video_small = sources.subscribe()
    return sources


async def open_sources_async(
    video: str | None,
    audio: str | None,
    *,
    size: tuple[int, int] = (640, 360),
    fps: int = 30,
) -> Sources:
    """`open_sources` in a worker thread, so a slow camera does not stall the event loop (and the signalling)."""
    return await asyncio.to_thread(open_sources, video, audio, size=size, fps=fps)


# ------------------------------------------------------------------------------------------- bitrate caps

_ENCODER_ATTR = "_RTCRtpSender__encoder"
_CAP_ATTR = "_room_client_max_bps"
_capped_classes: dict[type, type] = {}
_capped_classes_lock = threading.Lock()


def _capped_class(base: type) -> type:
    """A subclass of aiortc's encoder class whose `target_bitrate` never exceeds the instance's cap.

    aiortc's setter clamps to its own [250 kbps, 1.5 Mbps] (vpx.MIN_BITRATE / MAX_BITRATE), so a cap below
    250 kbps cannot be had through it; the encoder reads `self.target_bitrate` for every frame and rebuilds
    libvpx/x264 when it moves by more than 10 %, so overriding the property is enough. The base class also
    keeps a private copy it uses for the VP8 rate-control buffer ("bufsize"); it is kept in step.
    """
    with _capped_classes_lock:
        cls = _capped_classes.get(base)
        if cls is not None:
            return cls
        prop = inspect.getattr_static(base, "target_bitrate", None)
        if not isinstance(prop, property) or prop.fset is None:
            raise RuntimeError(
                f"cap_bitrate: aiortc's {base.__name__} has no settable `target_bitrate` property any more; "
                "the bitrate cap cannot work with this aiortc version"
            )

        def get_target(self: Any) -> int:
            return int(self._room_client_target)

        def set_target(self: Any, bitrate: int) -> None:
            cap = int(getattr(self, _CAP_ATTR))
            value = max(min(int(bitrate), cap), min(50_000, cap))
            self._room_client_target = value
            for name in [n for n in vars(self) if n.endswith("__target_bitrate")]:
                setattr(self, name, value)

        cls = type(f"Capped{base.__name__}", (base,), {"target_bitrate": property(get_target, set_target)})
        _capped_classes[base] = cls
        return cls


def _cap_encoder(encoder: object, max_bps: int) -> None:
    if getattr(encoder, _CAP_ATTR, None) == max_bps and type(encoder) in _capped_classes.values():
        return
    base = type(encoder)
    if base not in _capped_classes.values():
        current = int(getattr(encoder, "target_bitrate"))  # noqa: B009 - read through the original property
        encoder.__class__ = _capped_class(base)
        setattr(encoder, _CAP_ATTR, max_bps)
        encoder.target_bitrate = current  # type: ignore[attr-defined]
    else:
        setattr(encoder, _CAP_ATTR, max_bps)
        encoder.target_bitrate = encoder.target_bitrate  # type: ignore[attr-defined]


def cap_bitrate(sender: RTCRtpSender, max_bps: int) -> None:
    """Makes sure the video encoder of `sender` never targets more than `max_bps` (the small stream: 150 kbps).

    aiortc (1.16) gives no API for this: `RTCRtpSender` creates its encoder on the first frame (private
    `__encoder`, default 500 kbps), and sets `encoder.target_bitrate` from every REMB the receiver sends (up
    to 1.5 Mbps), through a setter that will not go under 250 kbps. So:

    * the sender's `_next_encoded_frame(codec)` is wrapped on this instance: before the first frame it creates
      the encoder itself with aiortc's `get_encoder(codec)` (so the negotiated codec, VP8 or H.264, is kept)
      and caps it, so not even the first frame goes out at 500 kbps;
    * capping turns the encoder into a subclass whose `target_bitrate` clamps to `max_bps`, so every later
      REMB goes through the cap without parsing RTCP ourselves.

    Wrapping `_handle_rtcp_packet` to rewrite REMB was the other way; it is more fragile (it must parse REMB
    and still could not go under aiortc's 250 kbps floor nor fix the 500 kbps start). What this relies on
    is checked now, so an aiortc upgrade that changes it fails here, loudly, rather than silently sending the
    small stream at full rate. Call it right after `addTrack`, before the offer: a frame already being
    encoded when it is called still goes out uncapped. Calling it again changes the cap.
    """
    if max_bps <= 0:
        raise ValueError(f"max_bps must be positive, not {max_bps}")
    if sender.kind != "video":
        raise ValueError(f"cap_bitrate is for video senders (aiortc's Opus encoder has no bitrate), not {sender.kind}")
    from aiortc import codecs as aiortc_codecs

    missing = []
    if not hasattr(sender, _ENCODER_ATTR):
        missing.append("RTCRtpSender.__encoder")
    original = getattr(sender, "_next_encoded_frame", None)
    if not (callable(original) and inspect.iscoroutinefunction(original)):
        missing.append("async RTCRtpSender._next_encoded_frame(codec)")
    if not callable(getattr(aiortc_codecs, "get_encoder", None)):
        missing.append("aiortc.codecs.get_encoder")
    if missing:
        raise RuntimeError(
            "cap_bitrate: aiortc's RTCRtpSender internals changed (missing: " + ", ".join(missing) + "); "
            "the small stream cannot be capped with this aiortc version"
        )
    for name in ("Vp8Encoder", "H264Encoder"):
        encoder_class = getattr(aiortc_codecs, name, None)
        if encoder_class is None:
            raise RuntimeError(f"cap_bitrate: aiortc.codecs.{name} is missing; cannot cap the bitrate")
        _capped_class(encoder_class)  # raises if its target_bitrate property is gone

    already_wrapped = getattr(sender, _CAP_ATTR, None) is not None
    setattr(sender, _CAP_ATTR, max_bps)
    encoder = getattr(sender, _ENCODER_ATTR)
    if encoder is not None:
        _cap_encoder(encoder, max_bps)
    if already_wrapped:
        return
    assert original is not None
    next_encoded_frame = original
    get_encoder = aiortc_codecs.get_encoder

    async def capped_next_encoded_frame(codec: Any) -> Any:
        current = getattr(sender, _ENCODER_ATTR)
        if current is None:
            current = get_encoder(codec)
            setattr(sender, _ENCODER_ATTR, current)
        _cap_encoder(current, int(getattr(sender, _CAP_ATTR)))
        return await next_encoded_frame(codec)

    setattr(sender, "_next_encoded_frame", capped_next_encoded_frame)  # noqa: B010 - a method, shadowed per instance
