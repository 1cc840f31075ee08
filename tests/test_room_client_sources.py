"""The room PC's media sources: synthetic test tracks, dual stream from one camera, files, errors, bitrate caps.

Everything runs for real: frames are paced on the real clock, the demo file is encoded with PyAV, and the
bitrate cap is checked on an aiortc peer connection that really connects to another one in this process.
"""

from __future__ import annotations

import array
import asyncio
import fractions
import math
import shutil
import threading
import time
import types
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import aioice.ice
import av
import pytest
from aiortc import RTCConfiguration, RTCPeerConnection, RTCRtpSender
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, pack_remb_fci, unpack_remb_fci
from av import AudioFrame, VideoFrame

from room_client import sources as s
from room_client.sources import (
    ScaledTrack,
    SourceError,
    SyntheticAudioTrack,
    SyntheticVideoTrack,
    cap_bitrate,
    open_sources,
    open_sources_async,
)
from tests.helpers import wait_for

ENCODER = "_RTCRtpSender__encoder"


async def frames(track: MediaStreamTrack, count: int) -> list[Any]:
    return [await track.recv() for _ in range(count)]


async def timed_frames(track: MediaStreamTrack, count: int) -> list[tuple[float, Any]]:
    """(arrival time, frame) for the next `count` frames."""
    start = time.monotonic()
    got: list[tuple[float, Any]] = []
    for _ in range(count):
        frame = await track.recv()
        got.append((time.monotonic() - start, frame))
    return got


def media_times(frames: list[Any]) -> list[float]:
    return [float(f.pts * f.time_base) for f in frames]


def luma(frame: VideoFrame) -> bytes:
    return bytes(frame.planes[0])


# ---- synthetic tracks ---------------------------------------------------------------------------------


async def test_synthetic_video_frames_change_and_count_in_90khz() -> None:
    track = SyntheticVideoTrack()
    got = await frames(track, 6)
    track.stop()
    for frame in got:
        assert isinstance(frame, VideoFrame)
        assert (frame.width, frame.height, frame.format.name) == (640, 360, "yuv420p")
        assert frame.time_base == fractions.Fraction(1, 90000)
    assert [f.pts for f in got] == [0, 3000, 6000, 9000, 12000, 15000]
    pictures = [luma(f) for f in got]
    assert all(a != b for a, b in zip(pictures, pictures[1:], strict=False)), "the picture must move every frame"
    with pytest.raises(MediaStreamError):
        await track.recv()


def test_synthetic_video_is_cheap() -> None:
    track = SyntheticVideoTrack()
    start = time.process_time()  # this process's CPU, not the wall clock other processes share
    for index in range(60):
        track.draw(index)
    assert (time.process_time() - start) / 60 < 0.02  # ~1 ms here: a tenth of a 30 fps frame is loose enough


async def test_synthetic_audio_is_a_440_hz_tone_in_20_ms_frames() -> None:
    track = SyntheticAudioTrack()
    got = await frames(track, 50)  # one second
    track.stop()
    for frame in got:
        assert isinstance(frame, AudioFrame)
        assert (frame.samples, frame.sample_rate, frame.format.name) == (960, 48000, "s16")
        assert frame.time_base == fractions.Fraction(1, 48000)
    assert [f.pts for f in got[:4]] == [0, 960, 1920, 2880]
    assert all(b.pts - a.pts == 960 for a, b in zip(got, got[1:], strict=False))
    samples = array.array("h", b"".join(bytes(f.planes[0])[: 2 * 960] for f in got))
    rising = sum(1 for a, b in zip(samples, samples[1:], strict=False) if a < 0 <= b)
    assert 435 <= rising <= 445, rising  # one upward zero crossing per period: 440 Hz


async def test_synthetic_tracks_are_paced_in_real_time() -> None:
    video, audio = SyntheticVideoTrack(), SyntheticAudioTrack()
    start = time.monotonic()
    await asyncio.gather(frames(video, 31), frames(audio, 51))  # 30 and 50 intervals: one second each
    elapsed = time.monotonic() - start
    video.stop()
    audio.stop()
    assert elapsed > 0.95, elapsed  # not faster than real time, on any machine
    assert elapsed < 10, elapsed  # nor stuck; how close to 1 s it stays depends on the machine's load


async def test_a_track_far_behind_skips_frames_instead_of_bursting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(s, "MAX_LAG", 0.5)
    track = SyntheticVideoTrack()
    await track.recv()
    time.sleep(1.0)  # the loop is blocked, as by a stuck callback (at least this long: an input)  # noqa: ASYNC251
    started = time.monotonic()
    late = await track.recv()
    following = await track.recv()
    track.stop()
    assert late.pts is not None and following.pts is not None
    assert late.pts >= 1.0 * 90000 - 3000, "the frames missed while blocked are skipped"
    assert following.pts == late.pts + 3000
    assert time.monotonic() - started < s.MAX_LAG, "no burst of the missed frames, no wait for the lag"


# ---- dual stream ----------------------------------------------------------------------------------------


async def test_scaled_track_gives_320x180_at_15_fps_from_30_fps() -> None:
    small = ScaledTrack(SyntheticVideoTrack(), 320, 180, fps=15)
    got = await frames(small, 15)  # one second
    small.stop()
    assert all((f.width, f.height, f.format.name) == (320, 180, "yuv420p") for f in got)
    assert all(b.pts - a.pts == 6000 for a, b in zip(got, got[1:], strict=False)), [f.pts for f in got]


def test_scaled_track_keeps_one_frame_per_slot() -> None:
    """25 fps to 15 fps keeps 3 frames out of 5; timestamps that jitter by a few ms lose no frame at 30 fps."""

    def kept(times: list[float], fps: float) -> int:
        track = ScaledTrack(SyntheticVideoTrack(), fps=fps)
        count = 0
        for t in times:
            frame = VideoFrame(64, 64, "yuv420p")
            frame.pts, frame.time_base = round(t * 90000), fractions.Fraction(1, 90000)
            count += track._keep(frame)
        return count

    assert kept([n / 25 for n in range(250)], 15) == 150
    jittery = [n / 30 + (0.006 if n % 2 else -0.006) for n in range(300)]
    assert kept(jittery, 30) == 300
    assert kept([n / 60 for n in range(600)], 30) == 300


async def test_normal_and_small_stream_come_from_one_source_together() -> None:
    sources = open_sources("test", None)
    assert sources.audio is None and sources.video is not None and sources.video_small is not None
    normal, small = await asyncio.gather(timed_frames(sources.video, 30), timed_frames(sources.video_small, 15))
    assert all(b.pts - a.pts == 6000 for (_, a), (_, b) in zip(small, small[1:], strict=False))  # 15 fps
    assert {(f.width, f.height) for _, f in normal} == {(640, 360)}
    assert {(f.width, f.height) for _, f in small} == {(320, 180)}
    # The small frames are the normal frames' pictures (same source, same timestamps), every other one.
    assert {f.pts for _, f in small} <= {f.pts for _, f in normal}

    # A reconnect: the first peer connection stopped its tracks; new ones read the same, still running source.
    sources.video.stop()
    sources.video_small.stop()
    fresh = sources.subscribe()
    assert fresh.video is not None and fresh.video_small is not None
    more = await frames(fresh.video, 3)
    assert more[0].pts > normal[-1][1].pts

    pending = asyncio.ensure_future(fresh.video_small.recv())
    await sources.close()
    with pytest.raises(MediaStreamError):
        await asyncio.wait_for(pending, 30)  # closing wakes a reader rather than leaving it waiting
    with pytest.raises(MediaStreamError):
        await fresh.video.recv()


async def test_a_large_camera_picture_is_scaled_to_the_normal_size() -> None:
    camera = SyntheticVideoTrack(1280, 720)
    normal = ScaledTrack(camera, 640, 360, fps=30)
    got = await frames(normal, 3)
    normal.stop()
    assert [(f.width, f.height) for f in got] == [(640, 360)] * 3
    assert [f.pts for f in got] == [0, 3000, 6000]
    assert camera.readyState == "ended", "stopping the scaled track stops its source"


async def test_open_sources_can_run_in_a_thread() -> None:
    sources = await open_sources_async("test", "test")
    assert sources.audio is not None and sources.video is not None
    audio, video = await asyncio.gather(frames(sources.audio, 3), frames(sources.video, 3))
    assert [f.pts for f in audio] == [0, 960, 1920]
    assert [f.pts for f in video] == [0, 3000, 6000]
    await sources.close()
    await sources.close()


# ---- files ----------------------------------------------------------------------------------------------


@pytest.fixture(scope="module")
def demo_file(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    """One second of 480x270 VP8 at 30 fps and a 440 Hz Opus tone, in WebM, written with PyAV."""
    path = tmp_path_factory.mktemp("media") / "demo.webm"
    tone = array.array("h", (int(8000 * math.sin(2 * math.pi * 440 * n / 48000)) for n in range(48000))).tobytes()
    with av.open(str(path), "w") as out:
        video = out.add_stream("libvpx", rate=30)
        video.width, video.height, video.pix_fmt = 480, 270, "yuv420p"
        audio = out.add_stream("libopus", rate=48000)
        audio.layout = "mono"
        for n in range(30):
            frame = VideoFrame(480, 270, "yuv420p")
            for plane in frame.planes:
                plane.update(bytes([(n * 8) % 256]) * plane.buffer_size)
            frame.pts, frame.time_base = n, fractions.Fraction(1, 30)
            out.mux(video.encode(frame))
        out.mux(video.encode(None))
        for n in range(50):
            sound = AudioFrame(format="s16", layout="mono", samples=960)
            sound.planes[0].update(tone[n * 1920 : (n + 1) * 1920])
            sound.sample_rate, sound.pts, sound.time_base = 48000, n * 960, fractions.Fraction(1, 48000)
            out.mux(audio.encode(sound))
        out.mux(audio.encode(None))
    yield path


async def test_a_file_plays_audio_normal_and_small_video_in_a_loop(demo_file: Path) -> None:
    sources = open_sources(str(demo_file), str(demo_file))
    assert sources.audio is not None and sources.video is not None and sources.video_small is not None
    video, audio, small = await asyncio.gather(  # 1.6 s of each: 30, 50 and 15 frames a second
        timed_frames(sources.video, 48), timed_frames(sources.audio, 80), timed_frames(sources.video_small, 24)
    )
    await sources.close()
    # 1.6 s of a 1 s file: it looped, and time went on across the loop.
    assert {(f.width, f.height) for _, f in video} == {(640, 360)}, "480x270 is brought to the normal size"
    assert {(f.width, f.height) for _, f in small} == {(320, 180)}
    assert all(isinstance(f, AudioFrame) and f.sample_rate == 48000 for _, f in audio)
    for got in (video, audio, small):
        times = media_times([f for _, f in got])
        assert all(b > a for a, b in zip(times, times[1:], strict=False)), times
        assert 1.3 < times[-1] < 1.8, times  # the frame rates: 48 frames at 15 fps would be 3.2 s
        # Paced in real time: each frame is sent at its media time, with no drift across the loop (a burst
        # spreads the lags by the whole 1.6 s; ~0.05 s here, the rest of the bound is for a loaded machine).
        lags = [arrival - t for (arrival, _), t in zip(got, times, strict=True)]
        assert max(lags) - min(lags) < 1.0, (min(lags), max(lags))
    assert not [t for t in threading.enumerate() if t.name == "media-player"], "close() ends the decoding threads"


async def test_a_source_that_goes_away_is_opened_again(
    demo_file: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    """The file disappears (as a camera does when unplugged): the track waits, then goes on when it is back."""
    monkeypatch.setattr(s, "REOPEN_BACKOFF_S", (0.3,))
    path = tmp_path / "demo.webm"
    shutil.copy(demo_file, path)
    sources = open_sources(str(path), None)
    assert sources.video is not None
    first = await frames(sources.video, 3)
    hidden = path.rename(tmp_path / "hidden.webm")  # gone before the first playthrough ends (1 s)
    await wait_for(lambda: "opening it again" in caplog.text)  # end of file, a failed reopen, a pause
    hidden.rename(path)
    rest: list[Any] = []
    while not rest or media_times(rest[-1:])[0] <= 1.5:  # noqa: ASYNC110 (frames, not a sleep)
        rest.append(await asyncio.wait_for(sources.video.recv(), 30))
    await sources.close()
    times = media_times(first + rest)
    assert all(b > a for a, b in zip(times, times[1:], strict=False))
    assert times[-1] > 1.5, "the file plays again, its time shifted past the pause"
    assert "không mở được nguồn video" in caplog.text and "opening it again" in caplog.text


async def test_a_file_used_for_video_only_does_not_pile_up_its_audio(demo_file: Path) -> None:
    sources = open_sources(str(demo_file), "test")
    assert sources.video is not None and sources.audio is not None
    await frames(sources.video, 24)  # 0.8 s
    player_audio = sources._players[0]._player.audio
    assert player_audio is not None
    assert player_audio._queue.qsize() < 60  # type: ignore[attr-defined]  # drained, not 40 frames a second forever
    assert isinstance(await sources.audio.recv(), AudioFrame)  # the audio is the synthetic tone
    await sources.close()


# ---- errors ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("video", "audio", "named"),
    [
        ("/dev/video9", None, "/dev/video9"),
        ("/nonexistent/hop.mp4", None, "/nonexistent/hop.mp4"),
        (None, "/nonexistent/hop.mp4", "/nonexistent/hop.mp4"),
        ("test", "/nonexistent/hop.webm", "/nonexistent/hop.webm"),
        ("pulse", None, "pulse"),  # a microphone given as the camera
        (None, "/dev/video0", "/dev/video0"),
    ],
)
def test_a_source_that_cannot_be_opened_says_which_and_why(video: str | None, audio: str | None, named: str) -> None:
    with pytest.raises(SourceError) as raised:
        open_sources(video, audio)
    message = str(raised.value)
    assert message.startswith("không mở được nguồn")
    assert named in message
    assert "(cannot open" in message


def test_a_missing_device_says_no_such_file() -> None:
    with pytest.raises(SourceError, match="No such file or directory"):
        open_sources("/dev/video9", None)


def test_a_camera_password_stays_out_of_the_message() -> None:
    with pytest.raises(SourceError) as raised:
        open_sources("rtsp://admin:bi-mat@127.0.0.1:9/stream1", None)  # nothing listens on port 9
    message = str(raised.value)
    assert "bi-mat" not in message
    assert "rtsp://admin:***@127.0.0.1:9/stream1" in message


@pytest.mark.parametrize(
    ("src", "kind", "target", "format", "options"),
    [
        ("test", "test", "", None, {}),
        ("/dev/video0", "v4l2", "/dev/video0", "v4l2", {"video_size": "640x360", "framerate": "30"}),
        ("hw:1", "alsa", "hw:1", "alsa", {}),
        ("plughw:1,0", "alsa", "plughw:1,0", "alsa", {}),
        ("alsa:hw:2", "alsa", "hw:2", "alsa", {}),
        ("alsa", "alsa", "default", "alsa", {}),
        ("pulse", "pulse", "default", "pulse", {}),
        ("pulse:alsa_input.usb-mic", "pulse", "alsa_input.usb-mic", "pulse", {}),
        ("rtsp://10.0.0.5:554/ch1", "rtsp", "rtsp://10.0.0.5:554/ch1", None, {"rtsp_transport": "tcp"}),
        ("/srv/demo/hop.mp4", "file", "/srv/demo/hop.mp4", None, {}),
        ("test.mp4", "file", "test.mp4", None, {}),
    ],
)
def test_source_strings(src: str, kind: str, target: str, format: str | None, options: dict[str, str]) -> None:
    spec = s._parse(src, (640, 360), 30)
    assert (spec.kind, spec.target, spec.format, spec.options) == (kind, target, format, options)


def test_passwords_are_redacted() -> None:
    assert s._redact("rtsp://admin:pw@[fe80::1]:554/x") == "rtsp://admin:***@[fe80::1]:554/x"
    assert s._redact("rtsp://10.0.0.5/x") == "rtsp://10.0.0.5/x"
    assert s._redact("/dev/video0") == "/dev/video0"


# ---- bitrate cap ----------------------------------------------------------------------------------------

VP8 = RTCRtpCodecParameters(mimeType="video/VP8", clockRate=90000, payloadType=96)
H264 = RTCRtpCodecParameters(mimeType="video/H264", clockRate=90000, payloadType=102)


def remb(bitrate: int, *ssrcs: int) -> RtcpPsfbPacket:
    return RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=1, media_ssrc=0, fci=pack_remb_fci(bitrate, list(ssrcs)))


@pytest.mark.parametrize("codec", [VP8, H264], ids=["vp8", "h264"])
async def test_cap_bitrate_holds_against_remb(codec: RTCRtpCodecParameters) -> None:
    pc = RTCPeerConnection()
    capped = pc.addTrack(SyntheticVideoTrack())
    uncapped = pc.addTrack(SyntheticVideoTrack())
    cap_bitrate(capped, 150_000)
    assert getattr(capped, ENCODER) is None
    await capped._next_encoded_frame(codec)
    await uncapped._next_encoded_frame(codec)
    encoder, plain = getattr(capped, ENCODER), getattr(uncapped, ENCODER)
    assert encoder.target_bitrate == 150_000, "capped from the very first frame"
    assert encoder.codec.bit_rate == 150_000
    for sender in (capped, uncapped):
        await sender._handle_rtcp_packet(remb(2_000_000, capped._ssrc, uncapped._ssrc))
    assert plain.target_bitrate >= 1_500_000, "aiortc follows REMB up to its own maximum"
    assert encoder.target_bitrate == 150_000
    await capped._next_encoded_frame(codec)
    assert encoder.codec.bit_rate == 150_000
    await capped._handle_rtcp_packet(remb(100_000, capped._ssrc))
    assert encoder.target_bitrate == 100_000, "a lower estimate is still followed"
    cap_bitrate(capped, 80_000)  # calling again changes the cap
    assert encoder.target_bitrate == 80_000
    await pc.close()


def test_cap_bitrate_fails_loudly_without_aiortc_internals() -> None:
    with pytest.raises(RuntimeError, match="aiortc"):
        cap_bitrate(types.SimpleNamespace(kind="video"), 150_000)  # type: ignore[arg-type]


async def test_cap_bitrate_is_for_video_senders() -> None:
    pc = RTCPeerConnection()
    sender = pc.addTrack(SyntheticAudioTrack())
    with pytest.raises(ValueError, match="video"):
        cap_bitrate(sender, 150_000)
    with pytest.raises(ValueError):
        cap_bitrate(pc.addTrack(SyntheticVideoTrack()), 0)
    await pc.close()


async def test_cap_bitrate_on_a_real_connection(monkeypatch: pytest.MonkeyPatch) -> None:
    """The small stream over a real aiortc connection: a REMB asking for 2 Mbps leaves it at 150 kbps."""
    # aioice leaves 127.0.0.1 out of its candidates; offer only it, so the test needs no network interface.
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])
    sources = open_sources("test", None)
    sender_pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    receiver_pc = RTCPeerConnection(RTCConfiguration(iceServers=[]))
    try:
        assert sources.video is not None and sources.video_small is not None
        normal: RTCRtpSender = sender_pc.addTrack(sources.video)
        small: RTCRtpSender = sender_pc.addTrack(sources.video_small)
        cap_bitrate(small, 150_000)
        remb_seen: list[int] = []
        handle = small._handle_rtcp_packet

        async def spy(packet: Any) -> None:
            if isinstance(packet, RtcpPsfbPacket) and packet.fmt == RTCP_PSFB_APP:
                remb_seen.append(unpack_remb_fci(packet.fci)[0])
            await handle(packet)

        small._handle_rtcp_packet = spy  # type: ignore[method-assign]
        received: list[MediaStreamTrack] = []
        receiver_pc.on("track", received.append)

        await sender_pc.setLocalDescription(await sender_pc.createOffer())
        await receiver_pc.setRemoteDescription(sender_pc.localDescription)
        await receiver_pc.setLocalDescription(await receiver_pc.createAnswer())
        await sender_pc.setRemoteDescription(receiver_pc.localDescription)

        assert len(received) == 2
        first = await asyncio.wait_for(received[1].recv(), 10)  # the small stream arrives, decoded
        assert isinstance(first, VideoFrame) and (first.width, first.height) == (320, 180)
        receiver = receiver_pc.getReceivers()[1]
        await receiver._send_rtcp(remb(2_000_000, small._ssrc, normal._ssrc))
        await wait_for(lambda: 2_000_000 in remb_seen)  # handled by the small stream's sender
        targets: list[int] = []
        for _ in range(15):  # frames encoded after the REMB
            await asyncio.wait_for(received[1].recv(), 10)
            targets.append(getattr(small, ENCODER).target_bitrate)
        assert max(targets) <= 150_000, targets
        assert getattr(small, ENCODER).codec.bit_rate <= 150_000
    finally:
        await sender_pc.close()
        await receiver_pc.close()
        await sources.close()
