"""Sign-in limits against a real server: attempts are counted before the hash, hashing is bounded, and the
attacker is throttled rather than the account's owner (issue 9)."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from meeting_server import passwords
from meeting_server.api.common import AUTH
from meeting_server.auth import Authenticator
from tests.helpers import PASSWORD, ApiClient, LiveServer, wait_for

WRONG = "khong-dung-dau"


@pytest.fixture
async def proxied(tmp_path: Path) -> AsyncIterator[LiveServer]:
    """Behind a trusted proxy, so a test can sign in from many addresses."""
    server = LiveServer(f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}", tmp_path, {"trust_proxy": True})
    await server.start()
    yield server
    await server.stop()


def auth_of(server: LiveServer) -> Authenticator:
    assert server.runner is not None
    return server.runner.app[AUTH]


async def login(client: ApiClient, username: str, password: str, ip: str) -> tuple[int, Any]:
    return await client.post(
        "/api/auth/login", {"username": username, "password": password}, headers={"X-Forwarded-For": ip}
    )


class HeldHashing:
    """Every hashing thread busy until released: attempts admitted meanwhile wait, so what is refused at once
    is decided by counting alone, however fast the machine."""

    def __init__(self) -> None:
        self.release = threading.Event()
        workers = passwords.HASHING._max_workers
        self.jobs = [passwords.HASHING.submit(self.release.wait) for _ in range(workers)]

    def done(self) -> None:
        self.release.set()
        for job in self.jobs:
            job.result()


async def flood(client: ApiClient, server: LiveServer, bodies: list[tuple[str, str]]) -> list[tuple[int, Any]]:
    """Send all at once while hashing is held; release it once every attempt was either refused or admitted."""
    held = HeldHashing()
    try:
        tasks = [asyncio.create_task(login(client, user, WRONG, ip)) for user, ip in bodies]
        limiter = auth_of(server).limiter
        await wait_for(lambda: limiter.pending + sum(t.done() for t in tasks) == len(tasks))
    finally:
        held.done()
    return await asyncio.gather(*tasks)


async def test_parallel_wrong_passwords_for_one_account_are_counted_before_the_hash(proxied: LiveServer) -> None:
    await proxied.create_user("chutich", "Hoàng Văn Dũng", ["chair"])
    client = await proxied.client()
    answers = await flood(client, proxied, [("chutich", "192.0.2.1")] * 40)
    codes = [(status, body["error"]["code"]) for status, body in answers]
    assert codes.count((401, "invalid_credentials")) == 5
    assert codes.count((429, "rate_limited")) == 35
    refused = next(body for status, body in answers if status == 429)
    assert "thử lại sau" in refused["error"]["message"]


async def test_a_flood_from_one_address_is_refused_without_hashing(proxied: LiveServer) -> None:
    client = await proxied.client()
    answers = await flood(client, proxied, [(f"nguoi{i}", "192.0.2.2") for i in range(100)])
    codes = [(status, body["error"]["code"]) for status, body in answers]
    assert codes.count((401, "invalid_credentials")) == 8  # login_pending_per_ip: being checked at once
    assert codes.count((429, "login_busy")) == 92
    async with client.http.post(
        f"{proxied.url}/api/auth/login",
        json={"username": "x", "password": WRONG},
        headers={"X-Forwarded-For": "192.0.2.2"},
    ) as response:
        assert response.status == 401  # the flood is over: the address may try again
    held = HeldHashing()
    try:
        tasks = [asyncio.create_task(login(client, "y", WRONG, "192.0.2.2")) for _ in range(9)]
        await wait_for(lambda: any(t.done() for t in tasks))
        refused = next(t for t in tasks if t.done()).result()
    finally:
        held.done()
    await asyncio.gather(*tasks)
    assert refused[0] == 429 and "thử lại sau" in refused[1]["error"]["message"]


async def test_retry_after_is_sent_with_every_refusal(proxied: LiveServer) -> None:
    client = await proxied.client()
    for _ in range(5):
        await login(client, "admin", WRONG, "192.0.2.3")
    async with client.http.post(
        f"{proxied.url}/api/auth/login",
        json={"username": "admin", "password": WRONG},
        headers={"X-Forwarded-For": "192.0.2.3"},
    ) as response:
        assert response.status == 429
        assert 1 <= int(response.headers["Retry-After"]) <= 30  # the first delay of a pair


async def test_wrong_passwords_from_one_address_do_not_lock_the_owner_out(proxied: LiveServer) -> None:
    await proxied.create_user("chutich", "Hoàng Văn Dũng", ["chair"])
    client = await proxied.client()
    for _ in range(5):
        status, _ = await login(client, "chutich", WRONG, "203.0.113.66")
        assert status == 401
    status, body = await login(client, "chutich", PASSWORD, "203.0.113.66")
    assert (status, body["error"]["code"]) == (429, "rate_limited")  # the attacker's address waits
    status, body = await login(client, "chutich", PASSWORD, "192.0.2.50")
    assert status == 200, body  # the chair in the hall signs in


async def test_an_attack_from_many_addresses_spares_the_owner_s_usual_address(tmp_path: Path) -> None:
    server = LiveServer(
        f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}",
        tmp_path,
        {"trust_proxy": True, "login_failures_per_user": 6},
    )
    await server.start()
    try:
        await server.create_user("chutich", "Hoàng Văn Dũng", ["chair"])
        client = await server.client()
        status, _ = await login(client, "chutich", PASSWORD, "192.0.2.50")  # the chair's office, yesterday
        assert status == 200
        for i in range(6):
            status, _ = await login(client, "chutich", WRONG, f"198.51.100.{i}")
            assert status == 401
        status, body = await login(client, "chutich", PASSWORD, "198.51.100.200")
        assert (status, body["error"]["code"]) == (429, "rate_limited")  # a new address waits now
        status, body = await login(client, "chutich", PASSWORD, "192.0.2.50")
        assert status == 200, body
    finally:
        await server.stop()


async def test_failures_behind_one_nat_do_not_lock_the_hall_s_other_tablets(proxied: LiveServer) -> None:
    for i in range(3):
        await proxied.create_user(f"daibieu{i}", f"Đại biểu {i}", ["delegate"])
    client = await proxied.client()
    for i in range(30):  # a hall of tablets behind one address, typing (or someone trying)
        status, _ = await login(client, f"khach{i}", WRONG, "192.0.2.77")
        assert status == 401
    for i in range(3):
        status, body = await login(client, f"daibieu{i}", PASSWORD, "192.0.2.77")
        assert status == 200, body


async def test_over_the_address_limit_only_accounts_without_failures_there_are_checked(tmp_path: Path) -> None:
    server = LiveServer(
        f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}", tmp_path, {"trust_proxy": True, "login_failures_per_ip": 3}
    )
    await server.start()
    try:
        await server.create_user("daibieu", "Đại biểu", ["delegate"])
        client = await server.client()
        for i in range(3):
            await login(client, f"khach{i}", WRONG, "192.0.2.78")
        status, body = await login(client, "khach0", WRONG, "192.0.2.78")
        assert (status, body["error"]["code"]) == (429, "rate_limited")
        status, body = await login(client, "daibieu", PASSWORD, "192.0.2.78")
        assert status == 200, body
    finally:
        await server.stop()
