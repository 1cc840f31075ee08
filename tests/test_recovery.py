"""A server restart mid-meeting: every client reconnects and resyncs, the sequence has no gap and nothing
acknowledged is lost."""

from __future__ import annotations

from pathlib import Path

import pytest

from room_client.feed import MeetingFeed
from tests.helpers import ApiClient, LiveServer, ServerProcess, make_meeting, wait_for


def consecutive_after_snapshot(applied: list[int]) -> bool:
    """`applied` holds -N for a snapshot at N, then each seq applied; after the snapshot, no hole, no repeat."""
    start = max(i for i, s in enumerate(applied) if s < 0)
    seqs = [-applied[start], *applied[start + 1 :]]
    return seqs == list(range(seqs[0], seqs[0] + len(seqs)))


async def test_server_restart_mid_meeting(database_url: str, tmp_path: Path, request: pytest.FixtureRequest) -> None:
    if database_url.startswith("postgresql"):
        await request.getfixturevalue("postgres").create_database(database_url.rsplit("/", 1)[1])
    seed = LiveServer(database_url, tmp_path)
    await seed.start()
    people = [await seed.create_user(f"daibieu{n}", f"Đại biểu số {n}", ["delegate"]) for n in range(3)]
    admin = await seed.admin()
    meeting = await make_meeting(admin, invitee_ids=[p["id"] for p in people], items=1)
    await admin.post(f"/api/meetings/{meeting['id']}/start")
    await seed.stop()
    assert seed.services is not None
    await seed.services.db.close()

    server = ServerProcess(database_url, tmp_path)
    await server.start()
    chair = await ApiClient(server.url).login("admin", "admin-pass-123")
    feeds = []
    for n in range(3):
        api = await ApiClient(server.url).login(f"daibieu{n}", "mat-khau-thu-123")
        feed = MeetingFeed(server.url, meeting["id"], cookie=api.cookie, reconnection_delay=0.2)
        await feed.connect()
        await api.close()
        feeds.append(feed)
    acknowledged: list[str] = []
    try:
        for n in range(10):
            status, _ = await chair.post(f"/api/meetings/{meeting['id']}/agenda", {"title": f"Trước sự cố {n}"})
            assert status == 201
            acknowledged.append(f"Trước sự cố {n}")
        await server.kill()  # no goodbye: as when the power fails
        await wait_for(lambda: not any(f.sio.connected for f in feeds), timeout=15)
        await server.start()  # the tablets' reconnects fail until the new process serves (its start takes a while)
        for n in range(10):
            status, _ = await chair.post(f"/api/meetings/{meeting['id']}/agenda", {"title": f"Sau sự cố {n}"})
            assert status == 201
            acknowledged.append(f"Sau sự cố {n}")
        status, final = await chair.get(f"/api/meetings/{meeting['id']}")
        await wait_for(lambda: all(f.last_seq == final["last_seq"] for f in feeds), timeout=30)
        for feed in feeds:
            assert consecutive_after_snapshot(feed.applied), feed.applied
            assert [i["title"] for i in feed.snapshot["agenda"]][1:] == acknowledged
            assert feed.snapshot["agenda"] == final["agenda"]
        status, log = await chair.get(f"/api/meetings/{meeting['id']}/events?after=1")
        assert [e["seq"] for e in log["events"]] == list(range(2, final["last_seq"] + 1))
    finally:
        for feed in feeds:
            await feed.close()
        await chair.close()
        await server.stop()


async def test_graceful_stop_closes_sockets_at_once(tmp_path: Path) -> None:
    """A tablet must not keep talking to a stopping server while its successor already serves changes."""
    import time

    database_url = f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}"
    seed = LiveServer(database_url, tmp_path)
    await seed.start()
    admin = await seed.admin()
    meeting = await make_meeting(admin, items=1)
    await seed.stop()
    server = ServerProcess(database_url, tmp_path)
    await server.start()
    api = await ApiClient(server.url).login("admin", "admin-pass-123")
    feed = MeetingFeed(server.url, meeting["id"], cookie=api.cookie)
    try:
        await feed.connect()
        feed.sio.reconnection = False
        started = time.monotonic()
        server.proc.terminate()  # SIGTERM, as systemd does on restart
        await wait_for(lambda: not feed.sio.connected, timeout=30)
        closed = time.monotonic() - started
        await server.proc.wait()
        exited = time.monotonic() - started
        # Left alone, a socket would stay open until aiohttp's 60 s shutdown timeout or a 40 s missed ping; here it
        # closes in a fraction of a second. The bounds leave a loaded CI 10x and more.
        assert closed < 20, closed  # the sockets close first, so clients move on at once
        assert exited < 45, exited  # then the process ends within aiohttp's close handshakes
    finally:
        await feed.close()
        await api.close()
