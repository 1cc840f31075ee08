"""Two server processes behind one database, joined by a real Redis: a change made through one node reaches
the clients of the other, and so does a revocation."""

from __future__ import annotations

import shutil
import socket
import subprocess
import time
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager
from pathlib import Path

import pytest
import socketio

from room_client.feed import MeetingFeed
from tests.helpers import ApiClient, LiveServer, ServerProcess, free_port, make_meeting, wait_for


@pytest.fixture
def redis_url(tmp_path: Path) -> Iterator[str]:
    binary = shutil.which("redis-server")
    if binary is None:
        pytest.fail("redis-server is missing: `make test` installs it (apt-get install redis-server)")
    port = free_port()
    proc = subprocess.Popen(
        [
            binary,
            "--port",
            str(port),
            "--bind",
            "127.0.0.1",
            "--save",
            "",
            "--appendonly",
            "no",
            "--dir",
            str(tmp_path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 60  # a loaded machine
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.05)
        yield f"redis://127.0.0.1:{port}/0"
    finally:
        proc.terminate()
        proc.wait(timeout=10)


@asynccontextmanager
async def two_nodes(
    database_url: str, tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch, *, sweep_seconds: int
) -> AsyncIterator[tuple[ServerProcess, ServerProcess]]:
    """Two `meeting-server serve` processes over one database, joined by the Redis at `redis_url`."""
    monkeypatch.setenv("MS_REDIS_URL", redis_url)
    monkeypatch.setenv("MS_SOCKET_SWEEP_SECONDS", str(sweep_seconds))
    node_a, node_b = ServerProcess(database_url, tmp_path), ServerProcess(database_url, tmp_path)
    await node_a.start()
    await node_b.start()
    try:
        yield node_a, node_b
    finally:
        await node_a.stop()
        await node_b.stop()


async def test_event_and_revocation_cross_nodes(
    tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    database_url = f"sqlite+aiosqlite:///{tmp_path / 'shared.sqlite3'}"
    seed = LiveServer(database_url, tmp_path)
    await seed.start()
    delegate = await seed.create_user("daibieu", "Bùi Thị Ngọc", ["delegate"])
    admin = await seed.admin()
    meeting = await make_meeting(admin, invitee_ids=[delegate["id"]], items=1)
    await seed.stop()

    async with two_nodes(database_url, tmp_path, redis_url, monkeypatch, sweep_seconds=1) as (node_a, node_b):
        chair = await ApiClient(node_a.url).login("admin", "admin-pass-123")
        reader = await ApiClient(node_b.url).login("daibieu", "mat-khau-thu-123")
        feed = MeetingFeed(node_b.url, meeting["id"], cookie=reader.cookie)
        await feed.connect()
        feed.sio.reconnection = False
        stubborn = socketio.AsyncClient(reconnection=False)  # ignores session:revoked; the server must act
        await stubborn.connect(node_b.url, headers={"Cookie": reader.cookie}, transports=["websocket"])
        status, _ = await chair.post(f"/api/meetings/{meeting['id']}/agenda", {"title": "Báo cáo của xã Tú Thịnh"})
        assert status == 201
        await wait_for(lambda: feed.snapshot["agenda"][-1]["title"] == "Báo cáo của xã Tú Thịnh")
        status, _ = await chair.patch(f"/api/users/{delegate['id']}", {"active": False})
        assert status == 200
        await wait_for(lambda: feed.revoked == "deactivated" and not feed.sio.connected)
        await wait_for(lambda: not stubborn.connected, timeout=10)  # node B's sweep closed it
        for client in (chair, reader):
            await client.close()


async def test_a_change_on_one_node_moves_and_closes_sockets_on_the_other_at_once(
    tmp_path: Path, redis_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no sweep to help (it would come in an hour), node B's sockets follow what node A changed: someone
    taken off a meeting hears nothing more of it, and a password reset closes the person's sockets."""
    from tests.test_live_authz import raw_socket_at

    database_url = f"sqlite+aiosqlite:///{tmp_path / 'shared.sqlite3'}"
    seed = LiveServer(database_url, tmp_path)
    await seed.start()
    gone = await seed.create_user("daibieu", "Bùi Thị Ngọc", ["delegate"])
    admin = await seed.admin()
    meeting = await make_meeting(admin, invitee_ids=[gone["id"]], items=1)
    other = await make_meeting(admin, title="Giao ban tuần", invitee_ids=[gone["id"]], items=1)
    await seed.stop()

    async with two_nodes(database_url, tmp_path, redis_url, monkeypatch, sweep_seconds=3600) as (node_a, node_b):
        chair = await ApiClient(node_a.url).login("admin", "admin-pass-123")
        reader = await ApiClient(node_b.url).login("daibieu", "mat-khau-thu-123")
        async with raw_socket_at(node_b.url, reader.cookie) as sock:
            for meeting_id in (meeting["id"], other["id"]):
                joined = await sock.call("meeting:join", {"meeting_id": meeting_id, "after_seq": 0})
                assert joined["ok"] is True, joined
            status, _ = await chair.patch(f"/api/meetings/{meeting['id']}", {"invitee_ids": []})
            assert status == 200
            await chair.post(f"/api/meetings/{meeting['id']}/agenda", {"title": "Sau khi rút tên"})
            await chair.post(f"/api/meetings/{other['id']}/agenda", {"title": "Vẫn được mời họp này"})
            await wait_for(lambda: len(sock.events(other["id"])) == 1)
            assert sock.events(meeting["id"]) == []
            status, _ = await chair.patch(f"/api/users/{gone['id']}", {"password": "mat-khau-moi-2026"})
            assert status == 200
            await wait_for(lambda: not sock.sio.connected)
            assert ("session:revoked", {"reason": "password_changed"}) in sock.pushed
        for client in (chair, reader):
            await client.close()
