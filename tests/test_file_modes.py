"""What the real `meeting-server` writes is readable by its owner (and group) only: the data directory 0750,
the SQLite database with its -wal and -shm files and the papers' originals 0640, whatever umask it was started
with; a database an older version left world-readable is tightened at start."""

from __future__ import annotations

import asyncio
import os
import stat
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from meeting_server.media.frames import EncodedFrame
from meeting_server.media.recording import StreamRecorder
from tests.helpers import PASSWORD, ApiClient, LiveServer, ServerProcess, make_meeting
from tests.paper_samples import simple

pytestmark = pytest.mark.timeout(180)


def mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def modes_under(data: Path) -> dict[str, int]:
    """The mode of the data directory (".") and of everything in it but the test's own server log."""
    found = {str(p.relative_to(data)): mode(p) for p in data.rglob("*") if not p.name.startswith("server-")}
    return {".": mode(data), **found}


@pytest.fixture
def open_umask() -> Iterator[None]:
    """The server is started from a shell with the usual umask 022, which would make files 0644."""
    previous = os.umask(0o022)
    yield
    os.umask(previous)


async def test_the_server_keeps_its_files_private(tmp_path: Path, open_umask: None) -> None:
    data = tmp_path / "data"
    url = f"sqlite+aiosqlite:///{data / 'meetings.sqlite3'}"
    env = {**os.environ, "MS_DATA_DIR": str(data), "MS_DATABASE_URL": url}
    created = await asyncio.create_subprocess_exec(
        *(sys.executable, "-m", "meeting_server", "create-user", "thuky", "Lê Thị Thư", "--role", "secretary"),
        *("--password", PASSWORD),
        env=env,
        stdout=asyncio.subprocess.DEVNULL,
    )
    assert await created.wait() == 0
    database = data / "meetings.sqlite3"
    assert mode(data) == 0o750 and mode(database) == 0o640
    database.chmod(0o644)  # as an older version left it
    server = ServerProcess(url, data)
    await server.start()
    api = ApiClient(server.url)
    try:
        await api.login("thuky", PASSWORD)
        meeting = await make_meeting(api)
        status, added = await api.upload(f"/api/meetings/{meeting['id']}/papers", simple(), "mat.pdf")
        assert status == 201, added
        modes = modes_under(data)
        assert modes["."] == 0o750
        original = next(name for name in modes if name.endswith("/original.pdf"))
        assert modes["meetings.sqlite3"] == modes["meetings.sqlite3-wal"] == modes[original] == 0o640
        assert "meetings.sqlite3-shm" in modes and len(modes) > 5
        loose = {name: oct(m) for name, m in modes.items() if m & 0o027}
        assert loose == {}, "readable by others, or writable by the group"
    finally:
        await api.close()
        await server.stop()


def opus_packets(count: int = 10) -> list[bytes]:
    """Real Opus packets (silence), as a hall's microphone sends them."""
    context: Any = av.CodecContext.create("libopus", "w")
    context.sample_rate, context.layout, context.format = 48_000, "stereo", "s16"
    packets: list[bytes] = []
    for index in range(count):
        frame = av.AudioFrame.from_ndarray(np.zeros((1, 960 * 2), dtype=np.int16), format="s16", layout="stereo")
        frame.sample_rate, frame.pts = 48_000, index * 960
        packets += [bytes(p) for p in context.encode(frame)]
    return packets + [bytes(p) for p in context.encode(None)]


async def test_recordings_and_originals_are_private_whatever_the_umask(tmp_path: Path, open_umask: None) -> None:
    """The recorder and the paper store set their modes themselves, so even a server embedded under umask 022
    (as the tests run it) writes nothing world-readable."""
    recorder = StreamRecorder(tmp_path / "recordings", "hoi-truong")
    for index, packet in enumerate(opus_packets()):
        recorder.write("audio", EncodedFrame("audio", "opus", packet, index * 960, True))
    (recording,) = await recorder.close()
    assert mode(tmp_path / "recordings") == 0o750 and mode(recording) == 0o640
    server = LiveServer(f"sqlite+aiosqlite:///{tmp_path / 'meetings.sqlite3'}", tmp_path / "data")
    await server.start()
    try:
        await server.create_user("thuky", "Lê Thị Thư", ["secretary"])
        api = await server.client("thuky")
        meeting = await make_meeting(api)
        status, added = await api.upload(f"/api/meetings/{meeting['id']}/papers", simple(), "mat.pdf")
        assert status == 201, added
        modes = modes_under(tmp_path / "data" / "papers")
        original = next(name for name in modes if name.endswith("/original.pdf"))
        assert modes["."] == 0o750 and modes[original] == 0o640
    finally:
        await server.stop()
