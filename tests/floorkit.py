"""A fake clock for the floor's timer (actions.floor.FloorTimers.clock): time moves only when a test says so, and
a timer waiting for a moment wakes when the clock reaches it, so no test waits for the machine's clock."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta


class FakeClock:
    def __init__(self, start: datetime | None = None) -> None:
        self._now = start or datetime(2026, 11, 24, 1, 0, tzinfo=UTC)
        self._moved = asyncio.Condition()

    def now(self) -> datetime:
        return self._now

    async def sleep_until(self, moment: datetime) -> None:
        async with self._moved:
            await self._moved.wait_for(lambda: self._now >= moment)

    async def advance(self, seconds: float) -> datetime:
        async with self._moved:
            self._now += timedelta(seconds=seconds)
            self._moved.notify_all()
        return self._now
