"""Refusals reach the audit log, coalesced so an attacker cannot flood it, and the access log (issue 9)."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web

from meeting_server import protocol as p
from meeting_server.api.accesslog import runner_options
from meeting_server.api.app import build_services, create_app
from meeting_server.api.common import AUTH
from meeting_server.config import Settings
from meeting_server.storage.db import Database
from meeting_server.storage.migrate import upgrade_async
from tests.helpers import ApiClient, LiveServer, command_id, free_port
from tests.test_live_authz import raw_socket


class FakeClock:
    def __init__(self) -> None:
        self.at = 1000.0

    def __call__(self) -> float:
        return self.at


async def refusals(admin: ApiClient) -> list[dict[str, Any]]:
    status, audit = await admin.get("/api/audit?limit=500")
    assert status == 200
    return [e for e in audit["entries"] if e["kind"] == "refused"]


async def test_forbidden_csrf_origin_and_rate_limit_refusals_are_audited(live_server: LiveServer) -> None:
    await live_server.create_user("daibieu", "Đại biểu", ["delegate"])
    delegate = await live_server.client("daibieu")
    status, _ = await delegate.post("/api/units", {"name": "Xã Mới", "kind": "commune"})
    assert status == 403
    status, _ = await delegate.post("/api/meetings", {"title": "Họp"}, headers={"X-CSRF-Token": "forged"})
    assert status == 403
    status, _ = await delegate.post("/api/meetings", {"title": "Họp"}, headers={"Origin": "https://evil.example"})
    assert status == 403
    anonymous = await live_server.client()
    for _ in range(6):
        status, _ = await anonymous.post("/api/auth/login", {"username": "daibieu", "password": "sai-mat-khau"})
    assert status == 429
    admin = await live_server.admin()
    entries = await refusals(admin)
    codes = {e["detail"]["code"]: e for e in entries}
    assert set(codes) == {"forbidden", "csrf_failed", "origin_refused", "rate_limited"}
    assert codes["forbidden"]["actor_id"] == delegate.user_id
    assert codes["forbidden"]["detail"]["path"] == "/api/units"
    assert codes["rate_limited"]["ip"] == "127.0.0.1"


async def test_a_refused_socket_command_is_audited_through_the_same_budget(live_server: LiveServer) -> None:
    """A delegate trying admin commands over the live channel leaves the same trace as over REST, coalesced."""
    assert live_server.runner is not None
    clock = live_server.runner.app[AUTH].refusals.clock = FakeClock()
    await live_server.create_user("daibieu", "Đại biểu", ["delegate"])
    delegate = await live_server.client("daibieu")
    async with raw_socket(live_server, delegate) as sock:
        for _ in range(3):
            args = {"name": "Xã Mới", "kind": "commune", "parent_id": live_server.unit_id}
            answer = await sock.call(p.COMMAND, {"command_id": command_id(), "action": "unit.create", "args": args})
            assert answer["error"]["code"] == "forbidden"
        admin = await live_server.admin()
        (entry,) = await refusals(admin)
        assert entry["actor_id"] == delegate.user_id and entry["ip"] == "127.0.0.1"
        assert entry["detail"] == {"code": "forbidden", "event": p.COMMAND, "action": "unit.create", "repeated": 1}
        clock.at += 61
        answer = await sock.call(p.COMMAND, {"command_id": command_id(), "action": "unit.create", "args": args})
        assert answer["error"]["code"] == "forbidden"
    latest = (await refusals(admin))[0]
    assert latest["detail"]["repeated"] == 3  # the two held back in the first minute, and itself


async def test_a_flood_of_refusals_is_coalesced(live_server: LiveServer) -> None:
    assert live_server.runner is not None
    clock = live_server.runner.app[AUTH].refusals.clock = FakeClock()
    await live_server.create_user("daibieu", "Đại biểu", ["delegate"])
    delegate = await live_server.client("daibieu")
    for _ in range(50):
        status, _ = await delegate.post("/api/units", {"name": "Xã Mới", "kind": "commune"})
        assert status == 403
    admin = await live_server.admin()
    assert [e["detail"]["repeated"] for e in await refusals(admin)] == [1]  # one row for the minute
    clock.at += 61
    status, _ = await delegate.post("/api/units", {"name": "Xã Mới", "kind": "commune"})
    entries = await refusals(admin)
    assert [e["detail"]["repeated"] for e in entries] == [50, 1]  # the next row counts the 49 held back, and itself


async def test_refusals_from_many_addresses_write_at_most_a_budget_a_minute(tmp_path: Path) -> None:
    server = LiveServer(f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}", tmp_path, {"trust_proxy": True})
    await server.start()
    try:
        assert server.runner is not None
        clock = server.runner.app[AUTH].refusals.clock = FakeClock()
        anonymous = await server.client()
        for i in range(40):  # forged sign-ins from 40 addresses
            status, _ = await anonymous.post(
                "/api/auth/login",
                {"username": "admin", "password": "x"},
                headers={"X-Forwarded-For": f"10.0.0.{i}", "Origin": "https://evil.example"},
            )
            assert status == 403
        admin = await server.admin()
        assert len(await refusals(admin)) == 30
        clock.at += 61
        await anonymous.post(
            "/api/auth/login", {"username": "admin", "password": "x"}, headers={"Origin": "https://evil.example"}
        )
        latest = (await refusals(admin))[0]
        assert latest["detail"]["repeated"] == 11  # the ten held back last minute, and itself
    finally:
        await server.stop()


async def test_the_access_log_writes_each_request_without_secrets(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}"
    await upgrade_async(url)
    port = free_port()
    settings = Settings(data_dir=tmp_path, database_url=url, port=port, trust_proxy=True)
    app = create_app(build_services(settings, Database(url)))
    runner = web.AppRunner(app, shutdown_timeout=1, **runner_options(settings.access_log))
    await runner.setup()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        with caplog.at_level(logging.INFO, logger="meeting_server.access"):
            async with aiohttp.ClientSession() as http:
                headers = {"Cookie": "ms_session=bi-mat-cookie", "X-Forwarded-For": "203.0.113.9"}
                async with http.get(
                    f"http://127.0.0.1:{port}/api/meetings?token=bi-mat-token", headers=headers
                ) as response:
                    assert response.status == 401
        lines = [r.getMessage() for r in caplog.records if r.name == "meeting_server.access"]
        assert len(lines) == 1, lines
        assert lines[0].startswith("203.0.113.9 GET /api/meetings 401 ")
        assert "bi-mat" not in lines[0]
    finally:
        await runner.cleanup()
