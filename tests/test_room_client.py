"""`room-client` as a hall runs it: separate processes with test sources, against the real server."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import Any

import pytest
from aiortc.codecs import h264, opus, vpx

from tests.helpers import LiveServer, wait_for
from tests.mediakit import Conference, start_conference

pytestmark = pytest.mark.timeout(180)


class RoomClientProcess:
    def __init__(self, server: LiveServer, token: str, stats: Path, *extra: str) -> None:
        self.args = [
            sys.executable,
            "-m",
            "room_client.cli",
            "join",
            "--server",
            server.url,
            "--token",
            token,
            "--video",
            "test",
            "--audio",
            "test",
            "--size",
            "320x180",
            "--stats-json",
            str(stats),
            "--status-every",
            "0.5",
            *extra,
        ]
        self.stats_path = stats
        self.log = stats.with_suffix(".log")
        self.proc: asyncio.subprocess.Process | None = None

    async def start(self) -> None:
        handle = self.log.open("ab")
        self.proc = await asyncio.create_subprocess_exec(
            *self.args, stdout=handle, stderr=handle, env={**os.environ, "PYTHONUNBUFFERED": "1"}
        )

    def stats(self) -> dict[str, Any]:
        try:
            return dict(json.loads(self.stats_path.read_text()))
        except (FileNotFoundError, json.JSONDecodeError):
            return {}

    def frames_from(self, key: str) -> int:
        return int(self.stats().get("remote", {}).get(key, {}).get("frames", 0))

    async def kill(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGKILL)
            await self.proc.wait()

    async def stop(self) -> None:
        if self.proc is not None and self.proc.returncode is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                await asyncio.wait_for(self.proc.wait(), 10)
            except TimeoutError:
                await self.kill()


@pytest.fixture
def codec_calls(monkeypatch: pytest.MonkeyPatch) -> Iterator[dict[str, int]]:
    """Counts every encode and decode in this (the server's) process."""
    calls: dict[str, int] = {}

    def counting(cls: type, name: str) -> None:
        original = getattr(cls, name)

        def wrapper(self: Any, *args: Any, **kwargs: Any) -> Any:
            calls[f"{cls.__name__}.{name}"] = calls.get(f"{cls.__name__}.{name}", 0) + 1
            return original(self, *args, **kwargs)

        monkeypatch.setattr(cls, name, wrapper)

    for encoder in (vpx.Vp8Encoder, h264.H264Encoder, opus.OpusEncoder):
        counting(encoder, "encode")
    for decoder in (vpx.Vp8Decoder, h264.H264Decoder, opus.OpusDecoder):
        counting(decoder, "decode")
    yield calls


@pytest.fixture
async def clients(tmp_path: Path) -> AsyncIterator[list[RoomClientProcess]]:
    made: list[RoomClientProcess] = []
    yield made
    for client in made:
        await client.stop()


async def start_clients(conf: Conference, tmp: Path, made: list[RoomClientProcess]) -> list[RoomClientProcess]:
    for index, token in enumerate(conf.tokens):
        client = RoomClientProcess(conf.server, token, tmp / f"site{index}.json")
        await client.start()
        made.append(client)
    return made


def in_room(conf: Conference) -> set[str]:
    room = conf.room()
    return set(room.connected_keys()) if room is not None else set()


async def test_three_halls_on_the_command_line(
    live_server: LiveServer, tmp_path: Path, clients: list[RoomClientProcess], codec_calls: dict[str, int]
) -> None:
    conf = await start_conference(live_server, 3)
    a, b, c = await start_clients(conf, tmp_path, clients)
    main, second = conf.key(0), conf.key(1)
    await wait_for(lambda: b.frames_from(main) > 20 and c.frames_from(main) > 20, timeout=60, interval=0.2)
    # The server forwarded everything without encoding or decoding anything.
    room = conf.room()
    sent = sum(s.frames_sent for conn in room.connections.values() for s in conn.senders)
    assert sent > 100
    assert codec_calls == {}, codec_calls
    # The chair switches the main site: the halls receive the new one.
    before = a.frames_from(second)
    await conf.act("main-site", {"site_id": conf.site_ids[1]})
    await wait_for(lambda: a.frames_from(second) > before + 15 and c.frames_from(second) > 15, timeout=10, interval=0.2)
    assert [s["source"] for s in a.stats()["layout"] if s.get("role") == "main"] == [second]
    # Roll call: every room PC answers by itself.
    started = await conf.act("roll-call")
    status = 0
    meeting: dict[str, Any] = {}

    async def answered() -> set[str]:
        nonlocal status, meeting
        status, meeting = await conf.chair.get(f"/api/meetings/{conf.meeting_id}")
        return set((meeting["conference"]["roll_call"] or {}).get("answered", {}))

    for _ in range(300):  # up to 30 s
        if await answered() == {conf.key(i) for i in range(3)}:
            break
        await asyncio.sleep(0.1)
    assert await answered() == {conf.key(i) for i in range(3)}, started
    # Mute: the room PC stops sending its sound (and the server would drop it anyway).
    await conf.act("mute", {"participant": conf.key(2)})
    hall = next(conn for conn in conf.room().connections.values() if conn.key == conf.key(2))
    source, video = hall.sources["audio"], hall.sources["video"]
    since = {"audio": source.frames, "video": video.frames}

    def silent_while_its_video_goes_on() -> bool:
        if source.frames != since["audio"]:
            since.update(audio=source.frames, video=video.frames)
        return video.frames > since["video"] + 60  # two seconds of its video, and not one packet of sound

    try:
        await wait_for(silent_while_its_video_goes_on, timeout=60)
    except AssertionError:
        raise AssertionError("the muted hall still sends its microphone") from None
    assert codec_calls == {}, codec_calls


async def test_a_killed_room_pc_is_back_on_every_console_within_10_s(
    live_server: LiveServer, tmp_path: Path, clients: list[RoomClientProcess]
) -> None:
    conf = await start_conference(live_server, 2)
    a, b = await start_clients(conf, tmp_path, clients)
    await wait_for(lambda: in_room(conf) == {conf.key(0), conf.key(1)}, timeout=60, interval=0.1)
    await wait_for(lambda: b.frames_from(conf.key(0)) > 10, timeout=30, interval=0.1)
    await b.kill()
    restarted = RoomClientProcess(live_server, conf.tokens[1], tmp_path / "site1-again.json")
    clients.append(restarted)
    began = asyncio.get_running_loop().time()
    await restarted.start()
    await wait_for(lambda: restarted.frames_from(conf.key(0)) > 0, timeout=30, interval=0.1)
    took = asyncio.get_running_loop().time() - began
    # The goal is 10 s (a few here); 25 s holds on a loaded CI and still fails a server that waits for the old
    # connection's ICE to give up (30 s).
    assert took < 25, f"back after {took:.1f} s"
    assert conf.key(1) in in_room(conf)


async def test_every_hall_rejoins_by_itself_after_a_server_restart(
    live_server: LiveServer, tmp_path: Path, clients: list[RoomClientProcess]
) -> None:
    conf = await start_conference(live_server, 2)
    a, b = await start_clients(conf, tmp_path, clients)
    await wait_for(lambda: b.frames_from(conf.key(0)) > 10, timeout=60, interval=0.1)
    joins = [a.stats()["joins"], b.stats()["joins"]]
    await live_server.stop()
    await wait_for(lambda: "in_meeting" not in (a.stats().get("state"), b.stats().get("state")), timeout=30)
    await live_server.start(migrate=False)
    await wait_for(
        lambda: a.stats().get("joins", 0) > joins[0] and b.stats().get("joins", 0) > joins[1], timeout=45, interval=0.2
    )
    assert in_room(conf) == {conf.key(0), conf.key(1)}
    before = b.frames_from(conf.key(0))
    await wait_for(lambda: b.frames_from(conf.key(0)) > before + 10, timeout=20, interval=0.2)


async def test_check_measures_the_link(live_server: LiveServer, tmp_path: Path) -> None:
    conf = await start_conference(live_server, 1)
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "room_client.cli",
        "check",
        "--server",
        live_server.url,
        "--token",
        conf.tokens[0],
        "--seconds",
        "3",
        "--json",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 90)
    assert proc.returncode == 0, err.decode()
    result = json.loads(out.decode().strip().splitlines()[-1])
    assert 0 <= result["rtt_ms"] < 2000  # a loopback round trip (~1 ms): catches a wrong unit, holds under load
    assert result["up_kbps"] > 100 and result["down_kbps"] > 100, result
    assert result["path"].startswith("host") and result["via_turn"] is False
    assert result["verdict"] in ("ok", "audio_and_small_video")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "room_client.cli",
        "check",
        "--server",
        live_server.url,
        "--token",
        "sai-ma",
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )
    out, err = await asyncio.wait_for(proc.communicate(), 60)
    assert proc.returncode == 1
    assert "đăng nhập" in err.decode()


async def test_the_hall_asks_for_the_floor_from_its_room_pc_and_its_status_line_follows(
    live_server: LiveServer, tmp_path: Path, clients: list[RoomClientProcess]
) -> None:
    """`p` + Enter on the room PC (`--keys`) asks for the floor for its hall; the status line shows XIN PHÁT
    BIỂU, then ĐANG PHÁT BIỂU with the countdown once the chair gives it, TẮT TIẾNG when it ends; `r` withdraws."""
    conf = await start_conference(live_server, 2)
    hall = RoomClientProcess(conf.server, conf.tokens[1], tmp_path / "hall.json", "--keys")
    handle = hall.log.open("ab")
    hall.proc = await asyncio.create_subprocess_exec(
        *hall.args,
        stdin=asyncio.subprocess.PIPE,
        stdout=handle,
        stderr=handle,
        env={**os.environ, "PYTHONUNBUFFERED": "1"},
    )
    clients.append(hall)
    assert hall.proc.stdin is not None
    await conf.act("mute", {"participant": conf.key(1)})
    await wait_for(lambda: hall.stats().get("state") == "in_meeting", timeout=60)
    await wait_for(lambda: hall.stats().get("floor") == "muted", timeout=30)
    meeting = f"/api/meetings/{conf.meeting_id}"

    async def waiting() -> list[dict[str, Any]]:
        snap = (await conf.chair.get(meeting))[1]
        return [r for r in snap["floor"]["requests"] if r["status"] == "waiting"]

    hall.proc.stdin.write(b"p\n")
    await hall.proc.stdin.drain()
    await wait_for(lambda: hall.stats().get("floor") == "asking", timeout=30)
    hall.proc.stdin.write(b"r\n")  # changes its mind ...
    await hall.proc.stdin.drain()
    await wait_for(lambda: hall.stats().get("floor") == "muted", timeout=30)
    assert await waiting() == []
    hall.proc.stdin.write(b"p\n")  # ... and asks again
    await hall.proc.stdin.drain()
    await wait_for(lambda: hall.stats().get("floor") == "asking", timeout=30)
    (request,) = await waiting()
    assert (request["speaker"], request["site_id"]) == (conf.key(1), conf.site_ids[1])

    status, _ = await conf.chair.post(f"{meeting}/floor/requests/{request['id']}/give")
    assert status == 200
    await wait_for(lambda: hall.stats().get("floor") == "speaking", timeout=30)
    await wait_for(lambda: "ĐANG PHÁT BIỂU 4:" in hall.log.read_text(encoding="utf-8"), timeout=30)
    status, _ = await conf.chair.post(f"{meeting}/floor/end")
    assert status == 200
    await wait_for(lambda: hall.stats().get("floor") == "muted", timeout=30)
