"""Sessions end when idle (issue 9), with a fake clock put into the real server: no test waits for time."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from meeting_server.api.common import AUTH
from meeting_server.storage.models import SessionRow
from tests.helpers import LiveServer


class FakeClock:
    def __init__(self) -> None:
        self.at = datetime.now(UTC)

    def __call__(self) -> datetime:
        return self.at

    def advance(self, **delta: float) -> None:
        self.at += timedelta(**delta)


async def stored_expiry(server: LiveServer) -> str:
    assert server.services is not None
    async with server.services.db.read() as session:
        return str((await session.execute(select(SessionRow.expires_at))).scalar_one())


async def test_a_session_unused_for_the_idle_time_ends(live_server: LiveServer) -> None:
    assert live_server.runner is not None
    clock = live_server.runner.app[AUTH].clock = FakeClock()
    admin = await live_server.admin()
    clock.advance(hours=7, minutes=59)
    status, _ = await admin.get("/api/auth/session")
    assert status == 200  # used within 8 hours: still signed in, and the idle end moves on
    clock.advance(hours=7, minutes=59)
    status, _ = await admin.get("/api/auth/session")
    assert status == 200
    clock.advance(hours=8, minutes=1)  # a night away from the tablet
    status, body = await admin.get("/api/auth/session")
    assert (status, body["error"]["code"]) == (401, "unauthenticated")


async def test_use_is_written_at_most_once_a_minute(live_server: LiveServer) -> None:
    assert live_server.runner is not None
    clock = live_server.runner.app[AUTH].clock = FakeClock()
    admin = await live_server.admin()
    first = await stored_expiry(live_server)
    clock.advance(seconds=30)
    for _ in range(5):
        assert (await admin.get("/api/auth/session"))[0] == 200
    assert await stored_expiry(live_server) == first  # no write per request
    clock.advance(seconds=31)
    assert (await admin.get("/api/auth/session"))[0] == 200
    assert await stored_expiry(live_server) > first


async def test_a_session_used_every_day_still_ends_after_its_lifetime(live_server: LiveServer) -> None:
    assert live_server.runner is not None
    clock = live_server.runner.app[AUTH].clock = FakeClock()
    admin = await live_server.admin()
    for _ in range(14 * 4 - 1):  # every 6 hours for 14 days
        clock.advance(hours=6)
        assert (await admin.get("/api/auth/session"))[0] == 200
    clock.advance(hours=6)
    status, body = await admin.get("/api/auth/session")
    assert (status, body["error"]["code"]) == (401, "unauthenticated")
