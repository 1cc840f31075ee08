"""Recording participants' incoming media to files as it arrives: muxed only, never decoded or re-encoded.

The SFU already holds every participant's encoded frames; decoding and re-encoding them for a recording would cost
a CPU core per participant and lose quality. So a `StreamRecorder` writes the frames it is given straight into a
container with PyAV (`container.mux(av.Packet(data))`), and `ffprobe`/`ffmpeg` or a browser read the result.

**File layout: one file per stream**, `<label>.audio.webm` (Opus in WebM), `<label>.video.webm` (VP8 in WebM) or
`<label>.video.mkv` (H.264 in Matroska; WebM does not allow H.264). One Matroska file with both streams was
rejected because

- a participant's audio and video start, stop and pause independently (camera off, audio-only room PCs, a muted
  site), but a container's streams must all be declared before the first packet is written, so a single file
  would have to hold audio back until video shows up (or guess that it never will);
- the muxer interleaves streams by time: while one stream is silent it buffers the other (up to 10 s by default),
  which is memory and latency in the writer for nothing;
- one broken stream (garbage from a faulty encoder, a codec switch on renegotiation) would end the other's file.

Each file is started by its stream's first usable frame and stamped with the wall-clock time that frame arrived
(`creation_time`, microseconds, UTC) and its RTP timestamp (`FIRST_RTP_TIMESTAMP`), so the files of a participant
(and of a whole meeting) can be lined up afterwards, e.g. with `ffmpeg -itsoffset`. If a stream's codec changes
(renegotiation) its file is finished and the next frames go to a new one (`<label>.video-2.mkv`); a name already
taken in the directory is never overwritten (files are created with O_EXCL).

**How PyAV 18 muxes without a codec.** `OutputContainer.add_stream(name)` attaches an *encoder* context that the
container opens when it writes the header, so it is not used. `add_mux_stream(name, width=, height=)` (PyAV 17+)
creates a stream with codec parameters only, which is exactly right for video: the muxer needs the dimensions (it
refuses a video stream without them: "dimensions not set"), so they are parsed from the first keyframe (VP8 frame
header; H.264 SPS). For H.264, PyAV 18 itself runs the `extract_extradata` bitstream filter over the first packet of
a codec-less stream and puts its SPS/PPS into the Matroska CodecPrivate (the muxer then stores the Annex-B access
units length-prefixed, as Matroska wants). So this module needs PyAV >= 18.

For Opus, WebM wants an `OpusHead` as CodecPrivate, and a codec-less stream offers no way to set extradata or the
channel count. So the audio stream is made with `add_stream_from_template` from a template stream of a throw-away
container: PyAV marks such a copied context "template initialised" and never opens it, and
`stream.codec_context.extradata` can be set; the context is only copied into the stream's codec parameters when
the header is written. No encoder or decoder is opened anywhere here.

**Timestamps.** Packet pts = dts = `timestamp - first timestamp` in 1/90000 (video) or 1/48000 (audio); the muxer
rescales to Matroska's 1 ms. They are kept strictly increasing by at least 1 ms (a duplicate or slightly
reordered timestamp is nudged forward rather than dropped, because a dropped VP8/H.264 frame would break every
frame after it until the next keyframe); a jump back of more than a second (a sender restarting its clock) is
treated as a discontinuity and the timeline continues from where it was. Each packet gets a duration (a video
frame: the gap to the next frame, so each frame is held one frame in the writer; an Opus packet: its TOC), which
makes the file's duration exact. Video starts at a keyframe; frames before it, and frames after a reported loss
(`after_gap`) up to the next keyframe, are skipped rather than recorded as grey smears.

**Threads.** `write()` runs on the event loop for every frame, so it only puts the frame into a bounded queue
(dropping and counting when it is full: a slow disk must never stall forwarding). One writer thread per recorder
does all file work; an exception there is logged, finishes the files written so far and stops this recorder
alone. `close()` waits for the thread off the event loop. A file that never received a packet is deleted.
"""

from __future__ import annotations

import asyncio
import io
import logging
import os
import queue
import re
import struct
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from fractions import Fraction
from pathlib import Path
from typing import Protocol

import av
from av.container import OutputContainer
from av.stream import Stream

from ..config import DIR_MODE, FILE_MODE
from .frames import EncodedFrame  # noqa: F401  (the frame class recorded; re-exported for callers)

log = logging.getLogger(__name__)

VIDEO_CLOCK = 90_000
AUDIO_CLOCK = 48_000
DEFAULT_MAX_QUEUE = 1000  # frames (~12 s of 30 fps video plus 50 pps audio) before write() starts dropping
MAX_LABEL_LENGTH = 100
# A timestamp more than this far behind the previous one is a restarted clock, not a reordered frame.
BACKWARD_JUMP_SECONDS = 1.0
# An Opus stream header for WebRTC's opus/48000/2 (RFC 7845 5.1): version 1, 2 channels, pre-skip 312,
# input rate 48000, gain 0, mapping family 0.
OPUS_HEAD = b"OpusHead" + struct.pack("<BBHIhB", 1, 2, 312, AUDIO_CLOCK, 0, 0)

_STREAM_NAME = re.compile(r"[a-z][a-z0-9_]{0,31}")
_UNSAFE_LABEL_CHARS = re.compile(r"[^A-Za-z0-9_.-]")


class RecordableFrame(Protocol):
    """What `StreamRecorder.write` reads from a frame, so any frame class with these fields can be recorded.

    (An optional `after_gap: bool` attribute, if present, marks a frame that follows lost frames.)
    """

    @property
    def kind(self) -> str: ...
    @property
    def codec(self) -> str: ...
    @property
    def data(self) -> bytes: ...
    @property
    def timestamp(self) -> int: ...
    @property
    def keyframe(self) -> bool: ...


@dataclass(frozen=True, slots=True)
class StreamStats:
    """Counters of one stream of a recorder."""

    frames: int = 0  # frames muxed into files
    bytes: int = 0  # payload bytes of those frames
    dropped: int = 0  # frames lost to a full queue or to a failed recorder
    skipped: int = 0  # frames the writer chose not to record: video before a keyframe, empty, unsupported codec


@dataclass(frozen=True, slots=True)
class _CodecSpec:
    """How one codec is stored: muxer, file extension, PyAV codec name and RTP clock."""

    kind: str
    av_name: str
    container_format: str
    extension: str
    clock: int


_CODECS: dict[str, _CodecSpec] = {
    "vp8": _CodecSpec("video", "vp8", "webm", "webm", VIDEO_CLOCK),
    "h264": _CodecSpec("video", "h264", "matroska", "mkv", VIDEO_CLOCK),
    "opus": _CodecSpec("audio", "opus", "webm", "webm", AUDIO_CLOCK),
}


def sanitise_label(label: str) -> str:
    """A file-name-safe version of `label`: only [A-Za-z0-9_.-], no leading dot (so no `..`), at most 100 chars.

    Labels come from display names and ids; anything else would let a name reach outside the recording directory.
    """
    safe = _UNSAFE_LABEL_CHARS.sub("_", label).lstrip(".")[:MAX_LABEL_LENGTH]
    return safe or "participant"


def vp8_keyframe_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from a VP8 keyframe header (RFC 6386 9.1), or None if `data` is not a VP8 keyframe."""
    if len(data) < 10 or data[0] & 0x01 or data[3:6] != b"\x9d\x01\x2a":
        return None
    width, height = struct.unpack_from("<HH", data, 6)
    width &= 0x3FFF
    height &= 0x3FFF
    return (width, height) if width and height else None


def _annexb_nal_units(data: bytes) -> Iterator[bytes]:
    """The NAL units of an H.264 Annex-B access unit (start codes 00 00 01 / 00 00 00 01)."""
    start = data.find(b"\x00\x00\x01")
    while start >= 0:
        begin = start + 3
        end = data.find(b"\x00\x00\x01", begin)
        unit = data[begin:] if end < 0 else data[begin:end]
        yield unit.rstrip(b"\x00") if end >= 0 else unit  # trailing zeros belong to the next 4-byte start code
        start = end


class _BitReader:
    """MSB-first bit reader with Exp-Golomb codes, for the few H.264 SPS fields the muxer needs."""

    def __init__(self, data: bytes) -> None:
        self._value = int.from_bytes(data, "big")
        self._left = len(data) * 8

    def bits(self, count: int) -> int:
        if count > self._left:
            raise ValueError("SPS ends early")
        self._left -= count
        return (self._value >> self._left) & ((1 << count) - 1)

    def ue(self) -> int:
        zeros = 0
        while self.bits(1) == 0:
            zeros += 1
            if zeros > 31:
                raise ValueError("bad Exp-Golomb code")
        return (1 << zeros) - 1 + self.bits(zeros)

    def se(self) -> int:
        value = self.ue()
        return (value + 1) // 2 if value & 1 else -(value // 2)


_HIGH_PROFILES = {100, 110, 122, 244, 44, 83, 86, 118, 128, 138, 139, 134, 135}


def _sps_size(rbsp: bytes) -> tuple[int, int]:
    """Display width and height from an H.264 SPS payload (after the NAL header, emulation bytes removed)."""
    reader = _BitReader(rbsp)
    profile_idc = reader.bits(8)
    reader.bits(16)  # constraint flags, level_idc
    reader.ue()  # seq_parameter_set_id
    chroma_format_idc = 1
    separate_colour_plane = 0
    if profile_idc in _HIGH_PROFILES:
        chroma_format_idc = reader.ue()
        if chroma_format_idc == 3:
            separate_colour_plane = reader.bits(1)
        reader.ue()  # bit_depth_luma_minus8
        reader.ue()  # bit_depth_chroma_minus8
        reader.bits(1)  # qpprime_y_zero_transform_bypass_flag
        if reader.bits(1):  # seq_scaling_matrix_present_flag
            for index in range(8 if chroma_format_idc != 3 else 12):
                if reader.bits(1):  # seq_scaling_list_present_flag
                    last = next_scale = 8
                    for _ in range(16 if index < 6 else 64):
                        if next_scale:
                            next_scale = (last + reader.se() + 256) % 256
                        last = next_scale or last
    reader.ue()  # log2_max_frame_num_minus4
    pic_order_cnt_type = reader.ue()
    if pic_order_cnt_type == 0:
        reader.ue()  # log2_max_pic_order_cnt_lsb_minus4
    elif pic_order_cnt_type == 1:
        reader.bits(1)  # delta_pic_order_always_zero_flag
        reader.se()  # offset_for_non_ref_pic
        reader.se()  # offset_for_top_to_bottom_field
        for _ in range(reader.ue()):
            reader.se()  # offset_for_ref_frame
    reader.ue()  # max_num_ref_frames
    reader.bits(1)  # gaps_in_frame_num_value_allowed_flag
    width_mbs = reader.ue() + 1
    height_map_units = reader.ue() + 1
    frame_mbs_only = reader.bits(1)
    if not frame_mbs_only:
        reader.bits(1)  # mb_adaptive_frame_field_flag
    reader.bits(1)  # direct_8x8_inference_flag
    crop_left = crop_right = crop_top = crop_bottom = 0
    if reader.bits(1):  # frame_cropping_flag
        crop_left, crop_right, crop_top, crop_bottom = reader.ue(), reader.ue(), reader.ue(), reader.ue()
    chroma_array_type = 0 if separate_colour_plane else chroma_format_idc
    if chroma_array_type == 0:
        unit_x, unit_y = 1, 2 - frame_mbs_only
    else:
        unit_x = 2 if chroma_array_type in (1, 2) else 1
        unit_y = (2 if chroma_array_type == 1 else 1) * (2 - frame_mbs_only)
    width = width_mbs * 16 - (crop_left + crop_right) * unit_x
    height = (2 - frame_mbs_only) * height_map_units * 16 - (crop_top + crop_bottom) * unit_y
    if width <= 0 or height <= 0:
        raise ValueError("SPS gives no picture")
    return width, height


def h264_frame_size(data: bytes) -> tuple[int, int] | None:
    """Width and height from the first SPS in an H.264 Annex-B access unit, or None if it carries no valid SPS."""
    for unit in _annexb_nal_units(data):
        if unit and unit[0] & 0x1F == 7:
            rbsp = re.sub(b"\x00\x00\x03", b"\x00\x00", unit[1:])
            try:
                return _sps_size(rbsp)
            except ValueError:
                return None
    return None


def opus_packet_samples(data: bytes) -> int | None:
    """Samples at 48 kHz in one Opus packet, from its TOC byte (RFC 6716 3.1), or None if it is not a valid one."""
    if not data:
        return None
    toc = data[0]
    config = toc >> 3
    if config < 12:  # SILK: 10, 20, 40, 60 ms
        frame = (480, 960, 1920, 2880)[config & 3]
    elif config < 16:  # hybrid: 10, 20 ms
        frame = (480, 960)[config & 1]
    else:  # CELT: 2.5, 5, 10, 20 ms
        frame = (120, 240, 480, 960)[config & 3]
    code = toc & 3
    if code == 0:
        count = 1
    elif code in (1, 2):
        count = 2
    elif len(data) >= 2:
        count = data[1] & 0x3F
    else:
        return None
    total = frame * count
    return total if 0 < total <= 5760 else None  # at most 120 ms per packet


def _opus_template() -> tuple[OutputContainer, Stream]:
    """A never-written container holding an Opus stream whose context `add_stream_from_template` can copy.

    The copy is marked as initialised from a template and so is never opened, unlike `add_stream`'s own.
    """
    holder = av.open(io.BytesIO(), "w", format="webm")
    return holder, holder.add_stream("opus", rate=AUDIO_CLOCK)


@dataclass(slots=True)
class _Pending:
    """A frame held back until the next one arrives, which tells its duration."""

    data: bytes
    pts: int
    keyframe: bool


class _StreamFile:
    """One stream's file: opened on its first frame, fed frames in arrival order, finished by `close()`.

    Runs only on the recorder's writer thread.
    """

    def __init__(
        self,
        path: Path,
        spec: _CodecSpec,
        label: str,
        first: RecordableFrame,
        arrival: float,
        size: tuple[int, int] | None,
    ) -> None:
        self.path = path
        self.spec = spec
        self.frames = 0
        self.bytes = 0
        self._time_base = Fraction(1, spec.clock)
        self._min_step = spec.clock // 1000  # 1 ms: Matroska's resolution
        self._offset = first.timestamp
        self._last_timestamp = first.timestamp
        self._last_pts: int | None = None
        self._last_duration = spec.clock // 30 if spec.kind == "video" else 960
        self._pending: _Pending | None = None
        self._container: OutputContainer = av.open(str(path), "w", format=spec.container_format)
        try:
            self._container.metadata["title"] = f"{label} {spec.kind}"
            self._container.metadata["creation_time"] = (
                datetime.fromtimestamp(arrival, UTC).isoformat(timespec="microseconds").replace("+00:00", "Z")
            )
            self._container.metadata["FIRST_RTP_TIMESTAMP"] = str(first.timestamp)
            self._stream = self._add_stream(size)
        except BaseException:
            self._container.close()
            raise

    def _add_stream(self, size: tuple[int, int] | None) -> Stream:
        spec = self.spec
        if not hasattr(self._container, "add_mux_stream"):
            raise RuntimeError(f"recording needs PyAV >= 18 (OutputContainer.add_mux_stream), not {av.__version__}")
        if spec.kind == "video":
            width, height = size or (0, 0)
            stream = self._container.add_mux_stream(spec.av_name, width=width, height=height)
        else:
            try:
                holder, template = _opus_template()
            except (av.FFmpegError, ValueError):  # a PyAV build without any Opus encoder to describe the stream
                log.warning("no Opus codec description available; %s gets no OpusHead", self.path.name)
                stream = self._container.add_mux_stream(spec.av_name, rate=spec.clock)
            else:
                try:
                    stream = self._container.add_stream_from_template(template)
                    stream.codec_context.extradata = OPUS_HEAD
                finally:
                    holder.close()
        stream.time_base = self._time_base
        return stream

    def add(self, frame: RecordableFrame, keyframe: bool) -> None:
        """Queue `frame` for the file, writing the frame before it now that its duration is known."""
        pts = self._pts(frame.timestamp)
        if self._pending is not None:
            self._mux(self._pending, self._duration(self._pending, pts - self._pending.pts))
        self._pending = _Pending(frame.data, pts, keyframe)

    def _duration(self, pending: _Pending, gap: int) -> int:
        """A video frame lasts until the next one; an Opus packet as long as its TOC says (DTX leaves gaps)."""
        if self.spec.kind == "audio":
            return opus_packet_samples(pending.data) or gap
        return gap

    def _pts(self, timestamp: int) -> int:
        """Strictly increasing (by >= 1 ms) pts from the RTP timestamp; see the module docstring."""
        if timestamp < self._last_timestamp - BACKWARD_JUMP_SECONDS * self.spec.clock and self._last_pts is not None:
            log.info(
                "%s: RTP timestamp jumped back by %d; continuing the timeline",
                self.path.name,
                self._last_timestamp - timestamp,
            )
            self._offset = timestamp - (self._last_pts + self._last_duration)
        self._last_timestamp = timestamp
        pts = timestamp - self._offset
        if self._last_pts is not None and pts < self._last_pts + self._min_step:
            pts = self._last_pts + self._min_step
        if self._last_pts is not None:
            self._last_duration = pts - self._last_pts
        self._last_pts = pts
        return pts

    def _mux(self, pending: _Pending, duration: int) -> None:
        packet = av.Packet(pending.data)
        packet.stream = self._stream
        packet.time_base = self._time_base
        packet.pts = packet.dts = pending.pts
        packet.duration = duration
        packet.is_keyframe = pending.keyframe
        self._container.mux(packet)
        self.frames += 1
        self.bytes += len(pending.data)

    def close(self) -> None:
        """Write the held frame and the trailer (cues, duration); the file is complete afterwards."""
        try:
            if self._pending is not None:
                pending, self._pending = self._pending, None
                # The last frame has no successor: give it the latest frame interval, but not a long pause's.
                typical = min(max(self._last_duration, self._min_step), self.spec.clock // 5)
                self._mux(pending, self._duration(pending, typical))
        finally:
            self._container.close()


class _Counters:
    """Mutable per-stream counters; each field has a single writing thread, so no lock is needed."""

    __slots__ = ("frames", "bytes", "dropped", "dropped_by_writer", "skipped")

    def __init__(self) -> None:
        self.frames = 0
        self.bytes = 0
        self.dropped = 0  # written by the event loop (write())
        self.dropped_by_writer = 0  # written by the writer thread (after a failure)
        self.skipped = 0

    def snapshot(self) -> StreamStats:
        return StreamStats(self.frames, self.bytes, self.dropped + self.dropped_by_writer, self.skipped)


_QueueItem = tuple[str, RecordableFrame, float]


class StreamRecorder:
    """Records one participant's incoming streams into `directory`, one file per stream (see the module docstring).

    `write()` is called on the event loop for every frame and never blocks or raises on bad media; `close()` must
    be awaited to finish the files.
    """

    def __init__(self, directory: Path, label: str, *, max_queue: int = DEFAULT_MAX_QUEUE) -> None:
        self.directory = Path(directory)
        self.label = sanitise_label(label)
        self._queue: queue.Queue[_QueueItem | None] = queue.Queue(maxsize=max_queue)
        self._thread: threading.Thread | None = None
        self._closing = False
        self._failed = False
        self._close_task: asyncio.Future[list[Path]] | None = None
        self._counters: dict[str, _Counters] = {"audio": _Counters(), "video": _Counters()}
        self._files: list[Path] = []
        self._files_lock = threading.Lock()
        self._warned: set[str] = set()
        # Writer-thread state.
        self._open: dict[str, _StreamFile] = {}
        self._awaiting_keyframe: set[str] = set()

    # -- event loop side ------------------------------------------------------------------------------------------

    def write(self, stream: str, frame: RecordableFrame) -> None:
        """Hand one frame of `stream` ("audio", "video", ...) to the writer thread; drops it if the queue is full.

        Raises ValueError only for a malformed stream name (a programming error); bad media never raises here.
        """
        counters = self._counters.get(stream)
        if counters is None:
            if not _STREAM_NAME.fullmatch(stream):
                raise ValueError(f"bad stream name {stream!r}")
            counters = self._counters[stream] = _Counters()
        if self._closing:
            return  # frames keep coming until the caller unhooks the recorder; they are not losses
        if self._failed:
            counters.dropped += 1
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._run, name=f"recorder-{self.label}", daemon=True)
            self._thread.start()
        try:
            self._queue.put_nowait((stream, frame, time.time()))
        except queue.Full:
            counters.dropped += 1
            if counters.dropped == 1 or counters.dropped % 1000 == 0:
                log.warning("recorder %s: writer is behind, %d %s frames dropped", self.label, counters.dropped, stream)

    async def close(self) -> list[Path]:
        """Finish every file (off the event loop) and return the files written; safe to call more than once."""
        if self._close_task is None:
            self._closing = True
            self._close_task = asyncio.ensure_future(asyncio.to_thread(self._shutdown))
        return list(await asyncio.shield(self._close_task))

    @property
    def files(self) -> list[Path]:
        """The files created so far (each holds at least one frame once the recorder is closed)."""
        with self._files_lock:
            return list(self._files)

    @property
    def stats(self) -> dict[str, StreamStats]:
        """A snapshot of the counters per stream ("audio" and "video" always present)."""
        return {name: counters.snapshot() for name, counters in list(self._counters.items())}

    @property
    def failed(self) -> bool:
        """True once the writer hit an error and stopped recording (the error was logged)."""
        return self._failed

    # -- writer thread --------------------------------------------------------------------------------------------

    def _shutdown(self) -> list[Path]:
        """Stop the writer thread after it has written everything queued before close(). Runs in a worker thread."""
        thread = self._thread
        if thread is not None:
            while thread.is_alive():
                try:
                    self._queue.put(None, timeout=0.1)
                    break
                except queue.Full:
                    continue
            thread.join()
        return self.files

    def _run(self) -> None:
        try:
            while True:
                item = self._queue.get()
                if item is None:
                    return
                stream, frame, arrival = item
                if self._failed:
                    self._counters[stream].dropped_by_writer += 1
                    continue
                try:
                    self._record(stream, frame, arrival)
                except Exception:
                    log.exception(
                        "recorder %s: writing %s failed; recording of this participant stopped", self.label, stream
                    )
                    self._failed = True
                    self._finish_all()
        finally:
            self._finish_all()

    def _record(self, stream: str, frame: RecordableFrame, arrival: float) -> None:
        counters = self._counters[stream]
        spec = _CODECS.get(frame.codec.lower())
        current = self._open.get(stream)
        if not frame.data or spec is None:
            counters.skipped += 1
            if spec is None:
                self._warn_once(
                    f"codec:{stream}:{frame.codec}",
                    "recorder %s: cannot record %s codec %r",
                    self.label,
                    stream,
                    frame.codec,
                )
            return
        if current is not None and current.spec is not spec:
            log.info("recorder %s: %s codec changed to %s; starting a new file", self.label, stream, frame.codec)
            self._finish(stream)
            current = None

        keyframe = True
        size: tuple[int, int] | None = None
        if spec.kind == "video":
            if spec.av_name == "vp8":
                size = vp8_keyframe_size(frame.data)
                keyframe = size is not None  # the VP8 header is authoritative, whatever the flag says
            else:
                keyframe = frame.keyframe
                if current is None and keyframe:
                    size = h264_frame_size(frame.data)
                    if size is None:
                        self._warn_once(
                            f"sps:{stream}", "recorder %s: H.264 keyframe without SPS, waiting for one", self.label
                        )
                        keyframe = False
            if getattr(frame, "after_gap", False) and not keyframe:
                self._awaiting_keyframe.add(stream)
            if keyframe:
                self._awaiting_keyframe.discard(stream)
            if (current is None and not keyframe) or stream in self._awaiting_keyframe:
                counters.skipped += 1
                return

        if current is None:
            current = self._start(stream, spec, frame, arrival, size)
        before_frames, before_bytes = current.frames, current.bytes
        current.add(frame, keyframe)
        counters.frames += current.frames - before_frames
        counters.bytes += current.bytes - before_bytes

    def _start(
        self, stream: str, spec: _CodecSpec, frame: RecordableFrame, arrival: float, size: tuple[int, int] | None
    ) -> _StreamFile:
        path = self._reserve_path(stream, spec.extension)
        try:
            sink = _StreamFile(path, spec, self.label, frame, arrival, size)
        except BaseException:
            self._discard(path)
            raise
        self._open[stream] = sink
        return sink

    def _reserve_path(self, stream: str, extension: str) -> Path:
        """Create a new, empty file `<label>.<stream>[-N].<ext>` exclusively, so no existing file is overwritten."""
        self.directory.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        root = self.directory.resolve()
        for number in range(1, 1000):
            suffix = "" if number == 1 else f"-{number}"
            path = root / f"{self.label}.{stream}{suffix}.{extension}"
            if path.parent != root:  # cannot happen with a sanitised label; never write outside the directory
                raise ValueError(f"recording path {path} is outside {root}")
            try:  # 0640 whatever the umask: a recording is not for everyone on the machine
                os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE))
            except FileExistsError:
                continue
            with self._files_lock:
                self._files.append(path)
            return path
        raise FileExistsError(f"no free file name for {self.label}.{stream} in {root}")

    def _finish(self, stream: str) -> None:
        """Complete one stream's file, keeping what it holds even if completing it fails."""
        sink = self._open.pop(stream, None)
        if sink is None:
            return
        before_frames, before_bytes = sink.frames, sink.bytes
        try:
            sink.close()  # writes the frame it held back
        except Exception:
            log.exception("recorder %s: finishing %s failed", self.label, sink.path.name)
            self._failed = True
        counters = self._counters[stream]
        counters.frames += sink.frames - before_frames
        counters.bytes += sink.bytes - before_bytes
        if sink.frames == 0:
            self._discard(sink.path)

    def _finish_all(self) -> None:
        for stream in list(self._open):
            self._finish(stream)

    def _discard(self, path: Path) -> None:
        with self._files_lock:
            if path in self._files:
                self._files.remove(path)
        try:
            path.unlink(missing_ok=True)
        except OSError:
            log.exception("recorder %s: could not remove empty %s", self.label, path)

    def _warn_once(self, key: str, message: str, *args: object) -> None:
        if key not in self._warned:
            self._warned.add(key)
            log.warning(message, *args)
