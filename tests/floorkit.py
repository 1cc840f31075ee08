"""A fake clock for the floor's timer (actions.floor.FloorTimers.clock): time moves only when a test says so, and
a timer waiting for a moment wakes when the clock reaches it, so no test waits for the machine's clock."""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from tests.helpers import ApiClient, LiveServer, make_meeting


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


@dataclass
class FloorMeeting:
    """A scheduled meeting with a delegate (daibieu, Hà Thị Lan) and three halls: the province's (main), Tân Trào
    and Yên Sơn."""

    admin: ApiClient
    delegate: dict[str, Any]
    meeting: dict[str, Any]
    main: str
    hall: str
    other: str

    @property
    def id(self) -> str:
        return str(self.meeting["id"])

    @property
    def item(self) -> str:
        return str(self.meeting["agenda"][0]["id"])


async def floor_meeting(server: LiveServer, items: int = 1) -> FloorMeeting:
    delegate = await server.create_user("daibieu", "Hà Thị Lan", ["delegate"])
    main = await server.create_site("Hội trường tỉnh")
    hall = await server.create_site("Xã Tân Trào")
    other = await server.create_site("Xã Yên Sơn")
    admin = await server.admin()
    meeting = await make_meeting(
        admin, invitee_ids=[delegate["id"]], site_ids=[main, hall, other], main_site_id=main, items=items
    )
    return FloorMeeting(admin, delegate, meeting, main, hall, other)
