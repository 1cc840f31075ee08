"""Votes across a server crash, on SQLite and PostgreSQL: ballots acknowledged before the kill are kept and
counted once (their retries after the restart are answered, not applied again); a vote whose closing time passed
while the server was down is closed at start-up, and a ballot then is refused with vote_closed."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest

from tests.helpers import ApiClient, LiveServer, ServerProcess, check_in_everyone, make_meeting, wait_for

PASSWORD = "mat-khau-thu-123"


async def _seed(database_url: str, tmp_path: Path, request: pytest.FixtureRequest, n: int) -> dict[str, Any]:
    if database_url.startswith("postgresql"):
        await request.getfixturevalue("postgres").create_database(database_url.rsplit("/", 1)[1])
    seed = LiveServer(database_url, tmp_path)
    await seed.start()
    people = [await seed.create_user(f"bq{i:03d}", f"Đại biểu số {i}", ["delegate"]) for i in range(n)]
    admin = await seed.admin()
    meeting = await make_meeting(admin, invitee_ids=[p["id"] for p in people], items=1)
    await check_in_everyone(admin, meeting["id"], [p["id"] for p in people])
    await admin.post(f"/api/meetings/{meeting['id']}/start")
    await seed.stop()
    assert seed.services is not None
    await seed.services.db.close()
    return meeting


async def _logins(url: str, n: int) -> list[ApiClient]:
    return [await ApiClient(url).login(f"bq{i:03d}", PASSWORD) for i in range(n)]


async def test_ballots_before_a_kill_are_kept_and_counted_once(
    database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    n = 40
    meeting = await _seed(database_url, tmp_path, request, n)
    votes = f"/api/meetings/{meeting['id']}/votes"
    server = ServerProcess(database_url, tmp_path)
    await server.start()
    clients: list[ApiClient] = []
    try:
        chair = await ApiClient(server.url).login("admin", "admin-pass-123")
        clients = await _logins(server.url, n)
        status, made = await chair.post(
            votes, {"item_id": meeting["agenda"][0]["id"], "question": "Thông qua Nghị quyết"}
        )
        base = f"{votes}/{made['vote']['id']}"
        await chair.post(f"{base}/open")
        keys = [f"c-restart-{i:04d}" for i in range(n)]

        async def ballot(i: int) -> tuple[int, Any]:
            choice = "yes" if i % 3 else "no"
            return await clients[i].post(f"{base}/ballots", {"choices": [choice]}, headers={"Idempotency-Key": keys[i]})

        before = await asyncio.gather(*(ballot(i) for i in range(n // 2)))
        assert all(s == 200 for s, _ in before), before
        await server.kill()  # no goodbye
        await server.start()
        # the first half retry (as after a timeout), the second half vote now: all concurrently
        after = await asyncio.gather(*(ballot(i) for i in range(n)))
        assert all(s == 200 for s, _ in after), after
        status, closed = await chair.post(f"{base}/close")
        assert status == 200, closed
        counts = {c["choice"]: c["count"] for c in closed["vote"]["result"]["counts"]}
        expected_no = len([i for i in range(n) if i % 3 == 0])
        assert counts == {"yes": n - expected_no, "no": expected_no, "abstain": 0}
        assert closed["vote"]["result"]["voted"] == n
        status, log = await chair.get(f"/api/meetings/{meeting['id']}/events?after=1")
        logged = [b for e in log["events"] if e["type"] == "vote.ballot_cast" for b in e["data"]["ballots"]]
        assert len(logged) == n and len({b["voter"] for b in logged}) == n  # each ballot once, retries nowhere
        await chair.close()
    finally:
        for c in clients:
            await c.close()
        await server.stop()


async def test_a_vote_whose_time_passed_while_down_closes_at_start_up(
    database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    meeting = await _seed(database_url, tmp_path, request, 3)
    votes = f"/api/meetings/{meeting['id']}/votes"
    server = ServerProcess(database_url, tmp_path)
    await server.start()
    try:
        chair = await ApiClient(server.url).login("admin", "admin-pass-123")
        (voter,) = await _logins(server.url, 1)
        body = {"item_id": meeting["agenda"][0]["id"], "question": "Biểu quyết có thời hạn", "duration_s": 10}
        status, made = await chair.post(votes, body)
        base = f"{votes}/{made['vote']['id']}"
        status, opened = await chair.post(f"{base}/open")
        closes_at = datetime.fromisoformat(opened["vote"]["closes_at"].replace("Z", "+00:00"))
        assert (await voter.post(f"{base}/ballots", {"choices": ["yes"]}))[0] == 200
        await server.kill()
        # the closing time passes while no server runs (a time-bound rule: waiting for the clock, not for work)
        await wait_for(lambda: datetime.now(UTC) > closes_at, timeout=30, interval=0.2)
        await server.start()

        async def closed() -> bool:
            status, listed = await chair.get(votes)
            return bool(listed["votes"][0]["status"] == "closed")

        await wait_for(closed, timeout=30, interval=0.1)  # the start-up close runs just after health checks pass
        status, listed = await chair.get(votes)
        result = listed["votes"][0]["result"]
        assert result["voted"] == 1 and result["counts"][0]["count"] == 1
        status, body = await voter.post(f"{base}/ballots", {"choices": ["no"]})
        assert status == 409 and body["error"]["code"] == "vote_closed"
        await chair.close()
        await voter.close()
    finally:
        await server.stop()
