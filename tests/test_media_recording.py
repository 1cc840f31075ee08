"""Recording muxes real encoded frames into files ffprobe reads back, without blocking the event loop.

The frames are made here by PyAV's own encoders (libvpx, libopus, libx264) from a synthetic moving picture and a
sine tone, so the recorder sees exactly what a browser would send; the result is checked with ffprobe.
"""

from __future__ import annotations

import json
import logging
import math
import shutil
import subprocess
import threading
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from meeting_server.media.frames import EncodedFrame
from meeting_server.media.recording import (
    OPUS_HEAD,
    StreamRecorder,
    h264_frame_size,
    opus_packet_samples,
    sanitise_label,
    vp8_keyframe_size,
)
from tests.helpers import wait_for

# ffprobe comes from Debian's ffmpeg, which `make test` installs (Makefile system-deps).
assert shutil.which("ffprobe"), "ffprobe is missing: run `make test` (it installs ffmpeg)"

WIDTH, HEIGHT, FPS = 320, 180, 30
VIDEO_FRAMES = 60
AUDIO_PACKETS = 50
VIDEO_STEP = 90_000 // FPS  # RTP ticks per video frame
AUDIO_STEP = 960  # RTP ticks per 20 ms Opus packet
VIDEO_BASE = 3_000_000_000  # large, wrap-free start offsets as an unwrapped RTP clock would give
AUDIO_BASE = 1_234_567_890

Encoded = list[tuple[bytes, bool]]


def picture(index: int) -> av.VideoFrame:
    """A moving gradient with a bright square, so the encoder has real motion to code."""
    image = np.zeros((HEIGHT, WIDTH, 3), np.uint8)
    image[:, :, 0] = (np.arange(WIDTH)[None, :] + index * 4) % 256
    image[:, :, 1] = (np.arange(HEIGHT)[:, None] * 2) % 256
    x = (index * 5) % (WIDTH - 40)
    image[60:100, x : x + 40] = 255
    frame = av.VideoFrame.from_ndarray(image, format="rgb24").reformat(format="yuv420p")
    frame.pts = index
    return frame


def encode_video(codec: str, count: int, options: dict[str, str] | None = None) -> Encoded:
    context: Any = av.CodecContext.create(codec, "w")
    context.width, context.height, context.pix_fmt = WIDTH, HEIGHT, "yuv420p"
    context.time_base = Fraction(1, FPS)
    context.framerate = Fraction(FPS)
    if options:
        context.options = options
    packets: Encoded = []
    for index in range(count):
        packets += [(bytes(p), p.is_keyframe) for p in context.encode(picture(index))]
    packets += [(bytes(p), p.is_keyframe) for p in context.encode(None)]
    return packets


@pytest.fixture(scope="module")
def vp8() -> Encoded:
    return encode_video("libvpx", VIDEO_FRAMES)


@pytest.fixture(scope="module")
def opus() -> list[bytes]:
    context: Any = av.CodecContext.create("libopus", "w")
    context.sample_rate, context.layout, context.format = 48_000, "stereo", "s16"
    packets: list[bytes] = []
    for index in range(AUDIO_PACKETS):
        t = (np.arange(AUDIO_STEP) + index * AUDIO_STEP) / 48_000
        tone = (np.sin(2 * math.pi * 440 * t) * 8000).astype(np.int16)
        samples = np.repeat(tone[None, :], 2, axis=0).T.reshape(1, -1).copy()  # interleaved stereo
        frame = av.AudioFrame.from_ndarray(samples, format="s16", layout="stereo")
        frame.sample_rate, frame.pts = 48_000, index * AUDIO_STEP
        packets += [bytes(p) for p in context.encode(frame)]
    packets += [bytes(p) for p in context.encode(None)]
    return packets


@pytest.fixture(scope="module")
def h264() -> Encoded:
    # PyAV's wheels (pinned in pyproject.toml) carry libx264.
    assert "libx264" in av.codecs_available, "this PyAV build has no libx264 encoder"
    # What WebRTC sends: constrained baseline, no B-frames, SPS/PPS in band before every IDR.
    return encode_video("libx264", 30, {"profile": "baseline", "tune": "zerolatency", "bf": "0", "g": "30"})


def ffprobe(path: Path) -> dict[str, Any]:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-count_packets", "-show_streams", "-show_format", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=20,
    )
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def listing(directory: Path) -> list[str]:
    return sorted(p.name for p in directory.iterdir())


def packet_times(path: Path) -> list[float]:
    result = subprocess.run(
        ["ffprobe", "-v", "error", "-show_entries", "packet=pts_time", "-of", "json", str(path)],
        capture_output=True,
        text=True,
        check=True,
        timeout=20,
    )
    return [float(p["pts_time"]) for p in json.loads(result.stdout)["packets"]]


def video(codec: str, data: bytes, timestamp: int, keyframe: bool) -> EncodedFrame:
    return EncodedFrame("video", codec, data, timestamp, keyframe)


def audio(data: bytes, timestamp: int) -> EncodedFrame:
    return EncodedFrame("audio", "opus", data, timestamp, True)


async def test_vp8_and_opus_are_muxed_as_they_arrive(
    tmp_path: Path, vp8: Encoded, opus: list[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    assert vp8[0][1] and sum(k for _, k in vp8) < len(vp8)
    preroll = [data for data, key in vp8 if not key][:3]  # a stream joined mid-GOP: undecodable until a keyframe
    video_frames = [video("VP8", data, VIDEO_BASE + i * VIDEO_STEP, False) for i, data in enumerate(preroll)]
    video_frames += [
        video("VP8", data, VIDEO_BASE + (len(preroll) + i) * VIDEO_STEP, key) for i, (data, key) in enumerate(vp8)
    ]
    audio_frames = [audio(data, AUDIO_BASE + i * AUDIO_STEP) for i, data in enumerate(opus)]
    # Interleave by arrival time (video 33 ms, audio 20 ms apart), as the event loop would call write().
    timeline = sorted(
        [(i / FPS, "video", f) for i, f in enumerate(video_frames)]
        + [(i * 0.02, "audio", f) for i, f in enumerate(audio_frames)],
        key=lambda x: x[0],
    )

    recorder = StreamRecorder(tmp_path, "site-7.user_42")
    disk = threading.Event()
    record = recorder._record

    def held_disk(*args: Any) -> None:
        disk.wait()  # until every write() has returned: a write() that did the work itself would never return
        record(*args)

    monkeypatch.setattr(recorder, "_record", held_disk)
    try:
        for _, stream, frame in timeline:
            recorder.write(stream, frame)  # write() must only queue
    finally:
        disk.set()
    files = await recorder.close()

    video_path, audio_path = tmp_path / "site-7.user_42.video.webm", tmp_path / "site-7.user_42.audio.webm"
    assert sorted(files) == sorted([video_path, audio_path]) == sorted(recorder.files)
    assert listing(tmp_path) == sorted(p.name for p in files)

    probe = ffprobe(video_path)
    (stream,) = probe["streams"]
    assert (stream["codec_name"], stream["width"], stream["height"]) == ("vp8", WIDTH, HEIGHT)
    assert int(stream["nb_read_packets"]) == len(vp8)
    assert float(probe["format"]["duration"]) == pytest.approx(len(vp8) / FPS, abs=0.3)
    assert "webm" in probe["format"]["format_name"]
    assert probe["format"]["tags"]["FIRST_RTP_TIMESTAMP"] == str(VIDEO_BASE + len(preroll) * VIDEO_STEP)

    probe = ffprobe(audio_path)
    (stream,) = probe["streams"]
    assert (stream["codec_name"], stream["channels"], stream["sample_rate"]) == ("opus", 2, "48000")
    assert int(stream["nb_read_packets"]) == len(opus)
    assert float(probe["format"]["duration"]) == pytest.approx(len(opus) * 0.02, abs=0.3)
    assert int(stream["extradata_size"]) == len(OPUS_HEAD) == 19

    stats = recorder.stats
    assert (stats["video"].frames, stats["video"].skipped, stats["video"].dropped) == (len(vp8), len(preroll), 0)
    assert stats["video"].bytes == sum(len(d) for d, _ in vp8)
    assert (stats["audio"].frames, stats["audio"].dropped) == (len(opus), 0)
    assert stats["audio"].bytes == sum(len(d) for d in opus)
    assert not recorder.failed
    assert await recorder.close() == files  # a second close() answers the same
    recorder.write("audio", audio(opus[0], AUDIO_BASE + 10**6))  # frames still arriving after close are ignored
    assert recorder.stats == stats


async def test_h264_goes_to_matroska_and_a_codec_switch_starts_a_new_file(
    tmp_path: Path, h264: Encoded, vp8: Encoded
) -> None:
    assert h264_frame_size(h264[0][0]) == (WIDTH, HEIGHT)  # 180 is not a multiple of 16: SPS cropping
    recorder = StreamRecorder(tmp_path, "room")
    for i, (data, key) in enumerate(vp8[:10]):
        recorder.write("video", video("VP8", data, VIDEO_BASE + i * VIDEO_STEP, key))
    for i, (data, key) in enumerate(h264):  # renegotiated to H.264
        recorder.write("video", video("H264", data, VIDEO_BASE + (10 + i) * VIDEO_STEP, key))
    files = await recorder.close()

    assert files == [tmp_path / "room.video.webm", tmp_path / "room.video.mkv"]
    probe = ffprobe(tmp_path / "room.video.mkv")
    (stream,) = probe["streams"]
    assert (stream["codec_name"], stream["width"], stream["height"]) == ("h264", WIDTH, HEIGHT)
    assert int(stream["nb_read_packets"]) == len(h264)
    assert float(probe["format"]["duration"]) == pytest.approx(len(h264) / FPS, abs=0.3)
    assert int(ffprobe(tmp_path / "room.video.webm")["streams"][0]["nb_read_packets"]) == 10
    assert recorder.stats["video"].frames == 10 + len(h264)


@dataclass(frozen=True, slots=True)
class FrameAfterLoss:
    """The SFU's own frame class also says whether frames were lost just before this one."""

    kind: str
    codec: str
    data: bytes
    timestamp: int
    keyframe: bool
    after_gap: bool = False


async def test_video_after_a_loss_waits_for_the_next_keyframe(tmp_path: Path, vp8: Encoded) -> None:
    key = vp8[0][0]
    inter = [d for d, k in vp8 if not k][:5]
    sequence = [
        (key, False),
        (inter[0], False),
        (inter[1], False),
        (inter[2], True),
        (inter[3], False),
        (key, False),
        (inter[0], False),
        (inter[1], False),
    ]
    recorder = StreamRecorder(tmp_path, "lossy")
    for i, (data, after_gap) in enumerate(sequence):
        frame = FrameAfterLoss("video", "VP8", data, VIDEO_BASE + i * VIDEO_STEP, data == key, after_gap)
        recorder.write("video", frame)
    (path,) = await recorder.close()
    assert (recorder.stats["video"].frames, recorder.stats["video"].skipped) == (6, 2)
    assert int(ffprobe(path)["streams"][0]["nb_read_packets"]) == 6


async def test_timestamps_stay_strictly_increasing(tmp_path: Path, opus: list[bytes]) -> None:
    stamps = [AUDIO_BASE + i * AUDIO_STEP for i in range(10)]
    stamps[4] = stamps[3]  # duplicate
    stamps += [AUDIO_BASE - 10 * 48_000 + i * AUDIO_STEP for i in range(5)]  # the sender's clock restarted
    recorder = StreamRecorder(tmp_path, "jumpy")
    for data, stamp in zip(opus, stamps, strict=False):
        recorder.write("audio", audio(data, stamp))
    (path,) = await recorder.close()
    times = packet_times(path)
    assert len(times) == len(stamps)
    assert all(b > a for a, b in zip(times, times[1:], strict=False)), times
    assert times[-1] < 1.0  # the backward jump did not stretch or fold the timeline


async def test_a_label_cannot_leave_the_directory(tmp_path: Path, opus: list[bytes]) -> None:
    directory = tmp_path / "recordings"
    recorder = StreamRecorder(directory, "../../etc/x")
    assert "/" not in recorder.label and not recorder.label.startswith(".")
    recorder.write("audio", audio(opus[0], AUDIO_BASE))
    (path,) = await recorder.close()
    assert path.parent == directory.resolve()
    assert listing(tmp_path) == ["recordings"]
    assert sanitise_label("Nguyễn Văn A / xã Hợp Thành") == "Nguy_n_V_n_A___x__H_p_Th_nh"
    assert sanitise_label("..") == sanitise_label("") == "participant"


async def test_an_existing_file_is_never_overwritten(tmp_path: Path, opus: list[bytes]) -> None:
    (tmp_path / "a.audio.webm").write_bytes(b"earlier recording")
    recorder = StreamRecorder(tmp_path, "a")
    recorder.write("audio", audio(opus[0], AUDIO_BASE))
    assert await recorder.close() == [tmp_path / "a.audio-2.webm"]
    assert (tmp_path / "a.audio.webm").read_bytes() == b"earlier recording"


async def test_nothing_written_leaves_no_files(tmp_path: Path, vp8: Encoded) -> None:
    directory = tmp_path / "rec"
    recorder = StreamRecorder(directory, "idle")
    assert await recorder.close() == []
    assert not directory.exists()

    waiting = StreamRecorder(tmp_path, "no-keyframe")  # only inter frames: the video never starts
    for i, data in enumerate([d for d, k in vp8 if not k][:5]):
        waiting.write("video", video("VP8", data, VIDEO_BASE + i * VIDEO_STEP, False))
    assert await waiting.close() == []
    assert listing(tmp_path) == []
    assert waiting.stats["video"].skipped == 5


async def test_a_full_queue_drops_and_counts_instead_of_blocking(
    tmp_path: Path, opus: list[bytes], monkeypatch: pytest.MonkeyPatch
) -> None:
    recorder = StreamRecorder(tmp_path, "slow", max_queue=2)
    release = threading.Event()
    record = recorder._record

    def stuck_disk(*args: Any) -> None:
        release.wait()  # stuck until every write() has returned: one that blocked on the queue never would
        record(*args)

    monkeypatch.setattr(recorder, "_record", stuck_disk)
    try:
        for i in range(10):
            recorder.write("audio", audio(opus[i], AUDIO_BASE + i * AUDIO_STEP))
        dropped = recorder.stats["audio"].dropped
        assert 7 <= dropped <= 8  # the writer holds at most one, the queue two
    finally:
        release.set()
    (path,) = await recorder.close()
    assert recorder.stats["audio"].frames == 10 - dropped
    assert int(ffprobe(path)["streams"][0]["nb_read_packets"]) == 10 - dropped


async def test_garbage_never_raises_from_write(tmp_path: Path, vp8: Encoded, opus: list[bytes]) -> None:
    recorder = StreamRecorder(tmp_path, "noisy")
    junk = bytes(range(256)) * 4
    recorder.write("video", video("VP8", junk, VIDEO_BASE, True))  # claims a keyframe, has no VP8 start code
    recorder.write("video", video("H264", junk, VIDEO_BASE + VIDEO_STEP, True))  # no SPS
    recorder.write("video", video("VP9", junk, VIDEO_BASE + 2 * VIDEO_STEP, True))  # not recordable
    recorder.write("video", video("VP8", b"", VIDEO_BASE + 3 * VIDEO_STEP, True))
    recorder.write("video", video("VP8", vp8[0][0][:10] + junk, VIDEO_BASE + 4 * VIDEO_STEP, True))  # header, junk
    recorder.write("video", video("VP8", junk, VIDEO_BASE + 5 * VIDEO_STEP, False))
    recorder.write("audio", audio(b"\xff", AUDIO_BASE))  # code 3 without a count byte
    recorder.write("audio", audio(junk, AUDIO_BASE + AUDIO_STEP))
    recorder.write("audio", EncodedFrame("audio", "PCMU", junk, AUDIO_BASE, True))
    files = await recorder.close()
    assert sorted(p.name for p in files) == ["noisy.audio.webm", "noisy.video.webm"]
    assert recorder.stats["video"].skipped == 4 and recorder.stats["video"].frames == 2
    assert recorder.stats["audio"].skipped == 1 and recorder.stats["audio"].frames == 2
    for path in files:
        assert ffprobe(path)["streams"]
    with pytest.raises(ValueError):
        recorder.write("../video", video("VP8", junk, 0, True))


async def test_a_writer_error_is_logged_and_stops_only_this_recorder(
    tmp_path: Path, opus: list[bytes], caplog: pytest.LogCaptureFixture
) -> None:
    blocked = tmp_path / "not-a-directory"
    blocked.write_text("")
    recorder = StreamRecorder(blocked, "x")
    healthy = StreamRecorder(tmp_path / "ok", "y")
    with caplog.at_level(logging.ERROR, logger="meeting_server.media.recording"):
        recorder.write("audio", audio(opus[0], AUDIO_BASE))
        healthy.write("audio", audio(opus[0], AUDIO_BASE))
        await wait_for(lambda: recorder.failed)
        recorder.write("audio", audio(opus[1], AUDIO_BASE + AUDIO_STEP))
        assert await recorder.close() == []
    assert recorder.stats["audio"].dropped == 1
    assert any("recording of this participant stopped" in r.getMessage() for r in caplog.records)
    assert len(await healthy.close()) == 1


def test_header_parsers(vp8: Encoded, opus: list[bytes]) -> None:
    assert vp8_keyframe_size(vp8[0][0]) == (WIDTH, HEIGHT)
    assert vp8_keyframe_size(next(d for d, k in vp8 if not k)) is None
    assert h264_frame_size(b"\x00\x00\x00\x01\x67") is None  # truncated SPS
    assert opus_packet_samples(opus[0]) == 960
    assert opus_packet_samples(bytes([(16 << 3) | 0])) == 120  # CELT 2.5 ms
    assert opus_packet_samples(bytes([(3 << 3) | 3, 2])) == 5760  # SILK 60 ms x 2
    assert opus_packet_samples(b"") is None
    assert OPUS_HEAD[:8] == b"OpusHead" and len(OPUS_HEAD) == 19
