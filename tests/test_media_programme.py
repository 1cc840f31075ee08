"""The programme file: a recorded three-site meeting (real aiortc peers, each site its own colour) becomes one MP4
whose duration matches the recorded span, whose main area shows the right site after each main-site switch, and
whose chapters are the agenda items. Switch times are driven by the frames actually recorded (the recorders'
counters), and the expected moments are read from the log, never assumed."""

from __future__ import annotations

import asyncio
import json
import os
import re
import subprocess
import sys
import threading
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from meeting_server import protocol as p
from meeting_server.domain.programme import Chapter, Scene, Timeline, timeline
from meeting_server.media.programme import INPUTS_NAME, PROGRAMME_NAME, SLATE, ProgrammeError, compose
from meeting_server.programmes import ensure_programme
from meeting_server.storage import meetings as meeting_store
from tests.helpers import LiveServer, wait_for
from tests.mediakit import COLOURS, Conference, peers, start_conference

FRAMES_APART = 45  # recorded frames between two changes: 3 s of media at 15 frames a second
WIDTH, HEIGHT = 1280, 720


def run(command: list[str]) -> subprocess.CompletedProcess[bytes]:
    return subprocess.run(command, capture_output=True, check=True, timeout=120)


def probe(path: Path, *what: str) -> dict[str, Any]:
    result = run(["ffprobe", "-v", "error", *what, "-of", "json", str(path)])
    data: dict[str, Any] = json.loads(result.stdout)
    return data


def frame_at(path: Path, seconds: float) -> np.ndarray:
    raw = run(
        ["ffmpeg", "-v", "error", "-ss", f"{seconds:.3f}", "-i", str(path), "-frames:v", "1"]
        + ["-f", "rawvideo", "-pix_fmt", "rgb24", "-"]
    ).stdout
    return np.frombuffer(raw, np.uint8).reshape(HEIGHT, WIDTH, 3)


def site_colour(image: np.ndarray, x: int, y: int, half_w: int, half_h: int) -> int:
    """Which site's colour a patch shows (the median, so the picture's moving white bar does not count)."""
    patch = image[y - half_h : y + half_h, x - half_w : x + half_w].reshape(-1, 3)
    median = np.median(patch, axis=0)
    return min(range(len(COLOURS)), key=lambda i: float(np.sum((np.array(COLOURS[i]) - median) ** 2)))


def recorded_frames(conf: Conference) -> list[int]:
    """Video frames each site's recorder has muxed so far (its own counter)."""
    room = conf.room()
    counts = []
    for index in range(3):
        conn = next(c for c in room.connections.values() if c.key == conf.key(index))
        recorder: Any = conn.recorder
        counts.append(recorder.stats["video"].frames if recorder is not None else 0)
    return counts


async def frames_later(conf: Conference) -> None:
    """Until every site's recording holds FRAMES_APART more frames than now."""
    start = recorded_frames(conf)
    await wait_for(
        lambda: all(n >= s + FRAMES_APART for n, s in zip(recorded_frames(conf), start, strict=True)), timeout=60
    )


def at(entry: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(entry["at"])


async def test_a_recorded_three_site_meeting_becomes_one_programme(live_server: LiveServer, tmp_path: Path) -> None:
    conf = await start_conference(live_server, 3)
    try:
        await peers(conf, 3)
        await wait_for(lambda: conf.peers[1].main_colour() == 0, timeout=20)
        status, meeting = await conf.admin.get(f"/api/meetings/{conf.meeting_id}")
        assert status == 200
        items = [item["id"] for item in meeting["agenda"]]
        await conf.act("recording/start")
        await wait_for(lambda: all(n > 0 for n in recorded_frames(conf)), timeout=30)
        await frames_later(conf)
        base = f"/api/meetings/{conf.meeting_id}"
        assert (await conf.admin.post(f"{base}/agenda/current", {"item_id": items[0]}))[0] == 200
        await frames_later(conf)
        await conf.act("main-site", {"site_id": conf.site_ids[1]})
        await frames_later(conf)
        status, added = await conf.admin.post(
            f"{base}/floor/queue",
            {"speaker": f"user:{conf.chair_id}", "item_id": items[0], "site_id": conf.site_ids[1]},
        )
        assert status == 201, added
        assert (await conf.admin.post(f"{base}/floor/requests/{added['request_id']}/give"))[0] == 200
        await frames_later(conf)
        await conf.act("main-site", {"site_id": conf.site_ids[2]})
        await frames_later(conf)
        assert (await conf.admin.post(f"{base}/agenda/current", {"item_id": items[1]}))[0] == 200
        await frames_later(conf)
        status, ended = await conf.admin.post(f"{base}/end")
        assert status == 200, ended
    finally:
        await conf.close()

    # The server's job composes it after meeting.end (a wide margin: composing runs nice'd on a shared machine).
    out = live_server.tmp_dir / "programmes" / conf.meeting_id
    await wait_for(lambda: (out / INPUTS_NAME).exists(), timeout=600, interval=0.2)
    programme = out / PROGRAMME_NAME
    assert sorted(p.name for p in out.iterdir()) == [INPUTS_NAME, PROGRAMME_NAME]  # no temporary left

    services = live_server.services
    assert services is not None
    async with services.db.read() as session:
        log = await meeting_store.events_after(session, conf.meeting_id, 0, 10_000)
    started = next(at(e) for e in log if e["type"] == p.CONFERENCE_RECORDING_STARTED)
    stopped = next(at(e) for e in log if e["type"] == p.MEETING_ENDED)
    switches = [(at(e), e["data"]["site_id"]) for e in log if e["type"] == p.CONFERENCE_MAIN_SITE_CHANGED]
    assert [site for _, site in switches] == conf.site_ids[1:]

    info = await asyncio.to_thread(probe, programme, "-show_format", "-show_streams", "-show_chapters")
    media = {s["codec_type"]: s["codec_name"] for s in info["streams"] if s["codec_type"] in ("audio", "video")}
    assert media == {"video": "h264", "audio": "aac"}  # (and MP4's chapter text track)
    duration = float(info["format"]["duration"])
    span = (stopped - started).total_seconds()
    assert duration == pytest.approx(span, abs=max(1.5, 0.1 * span)), (duration, span)
    loudness = await asyncio.to_thread(
        run, ["ffmpeg", "-v", "info", "-i", str(programme), "-map", "0:a", "-af", "volumedetect", "-f", "null", "-"]
    )
    mean = float(re.search(rb"mean_volume: (-?[\d.]+) dB", loudness.stderr)[1])  # type: ignore[index]
    assert mean > -50, mean  # the halls' tones, mixed: not silence
    titles = [c["tags"]["title"] for c in info["chapters"]]
    assert titles == [meeting["title"], "Nội dung 1", "Nội dung 2"], titles

    # Where the programme begins on the wall clock: its earliest recorded file's first frame.
    recordings = live_server.tmp_dir / "recordings" / conf.meeting_id
    files = [f for f in recordings.rglob("*.webm")]
    tags = [await asyncio.to_thread(probe, f, "-show_format") for f in files]
    zero = min(datetime.fromisoformat(t["format"]["tags"]["creation_time"].replace("Z", "+00:00")) for t in tags)
    moments: list[tuple[float, int, int | None]] = [((started - zero).total_seconds() + 1.5, 0, None)]
    moments += [((when - zero).total_seconds() + 1.5, conf.site_ids.index(site), 0) for when, site in switches]
    for seconds, main, inset in moments:
        image = await asyncio.to_thread(frame_at, programme, max(seconds, 1.0))
        assert site_colour(image, WIDTH // 2, HEIGHT // 2, 120, 80) == main, seconds
        if inset is not None:  # the chair has no camera: the host hall, site 1, is the inset once it is not main
            inset_x, inset_y = WIDTH - 20 - WIDTH // 8, 60 + 20 + HEIGHT // 8
            assert site_colour(image, inset_x, inset_y, 30, 20) == inset, seconds

    # Unchanged inputs: the same file, not composed again.
    mtime = programme.stat().st_mtime_ns
    assert await ensure_programme(services.settings, conf.meeting_id) == programme
    assert programme.stat().st_mtime_ns == mtime
    command = await asyncio.to_thread(
        subprocess.run,
        [sys.executable, "-m", "meeting_server", "programme", conf.meeting_id],
        capture_output=True,
        text=True,
        timeout=300,
        env={**os.environ, "MS_DATA_DIR": str(live_server.tmp_dir), "MS_DATABASE_URL": live_server.database_url},
    )
    assert (command.returncode, command.stdout.strip()) == (0, str(programme)), command.stderr
    assert programme.stat().st_mtime_ns == mtime

    # A composition that cannot finish in time leaves nothing behind.
    names = {f"user:{conf.chair_id}": "Nguyễn Văn Chủ Trì"}
    elsewhere = tmp_path / "elsewhere" / conf.meeting_id
    with pytest.raises(ProgrammeError, match="longer than"):
        await asyncio.to_thread(compose, recordings, elsewhere, timeline(log, names), timeout=0.001)
    assert list(elsewhere.iterdir()) == []


T0 = datetime(2026, 11, 24, 1, 0, tzinfo=UTC)


def clip(directory: Path, label: str, colour: str, start: float, seconds: float) -> None:
    """A recorded file as media/recording.py leaves it: VP8 in WebM, stamped with its first frame's time."""
    directory.mkdir(parents=True, exist_ok=True)
    when = (T0 + timedelta(seconds=start)).isoformat(timespec="microseconds").replace("+00:00", "Z")
    run(
        ["ffmpeg", "-v", "error", "-f", "lavfi", "-i", f"color=c={colour}:s=320x180:r=15:d={seconds}"]
        + ["-c:v", "libvpx", "-metadata", f"creation_time={when}", str(directory / f"{label}.video.webm")]
    )


async def test_gaps_show_a_slate_and_recordings_follow_each_other(tmp_path: Path) -> None:
    recordings, out = tmp_path / "recordings" / "m1", tmp_path / "programmes" / "m1"
    clip(recordings / "r1", "site-a", "red", 0, 4)
    clip(recordings / "r1", "site-b", "lime", 2, 2)  # joined two seconds late
    clip(recordings / "r2", "site-a", "red", 100, 2)  # recording stopped, started again later

    def scene(second: float, main: str) -> Scene:
        return Scene(T0 + timedelta(seconds=second), main, ("site:a",), "", "Nội dung 1")

    names = {"site:a": "Hội trường tỉnh", "site:b": "Xã Tân Trào", "site:c": "Xã Yên Sơn"}
    plan = Timeline(
        "Họp thử",
        names,
        (scene(0, "site:a"), scene(1.5, "site:b"), scene(2.5, "site:c"), scene(3, "site:b"), scene(50, "site:a")),
        (Chapter(T0, "Nội dung 1"), Chapter(T0 + timedelta(seconds=60), "Nội dung 2")),
    )
    path = await asyncio.to_thread(compose, recordings, out, plan)
    assert path == out / PROGRAMME_NAME
    info = probe(path, "-show_format", "-show_chapters")
    assert float(info["format"]["duration"]) == pytest.approx(6.0, abs=0.2)  # 4 s + 2 s: the hour between is left out
    chapters = [(c["tags"]["title"], float(c["start_time"])) for c in info["chapters"]]
    assert chapters == [("Nội dung 1", 0.0), ("Nội dung 2", pytest.approx(4.0, abs=0.05))]
    slate = int(SLATE, 16)
    slate_index = len(COLOURS)
    palette = [*COLOURS, ((slate >> 16) & 255, (slate >> 8) & 255, slate & 255)]

    def seen(seconds: float) -> int:
        image = frame_at(path, seconds)
        patch = image[HEIGHT // 4 : HEIGHT // 4 + 40, WIDTH // 4 : WIDTH // 4 + 40].reshape(-1, 3)
        median = np.median(patch, axis=0)
        return min(range(len(palette)), key=lambda i: float(np.sum((np.array(palette[i]) - median) ** 2)))

    red, green = 0, 1  # mediakit's palette: lavfi's red and lime are nearest to these
    assert [seen(t) for t in (1.0, 1.8, 2.7, 3.5, 5.0)] == [red, slate_index, slate_index, green, red]

    # The same inputs: nothing composed; a changed one: composed again.
    mtime = path.stat().st_mtime_ns
    assert await asyncio.to_thread(compose, recordings, out, plan) == path
    assert path.stat().st_mtime_ns == mtime
    longer = Timeline(plan.title, names, plan.scenes[:1], plan.chapters)
    assert await asyncio.to_thread(compose, recordings, out, longer) == path
    assert path.stat().st_mtime_ns != mtime
    assert (
        await asyncio.to_thread(compose, tmp_path / "recordings" / "none", tmp_path / "programmes" / "x", plan) is None
    )
    assert not (tmp_path / "programmes" / "x").exists()

    # The server stopping: the composition ends, the file already there stays as it was.
    mtime = path.stat().st_mtime_ns
    stopping = threading.Event()
    stopping.set()
    with pytest.raises(ProgrammeError, match="cancelled"):
        await asyncio.to_thread(compose, recordings, out, plan, cancel=stopping)
    assert path.stat().st_mtime_ns == mtime
    assert sorted(p.name for p in out.iterdir()) == [INPUTS_NAME, PROGRAMME_NAME]
