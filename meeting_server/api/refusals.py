"""Refusals in the audit log: forbidden, CSRF, origin and rate-limit refusals are security events too.

An attacker must not fill the database by being refused, so writes are coalesced: one row per (code, address,
person) a minute, carrying how many refusals it stands for (`repeated`, those since the row before), and at most
`PER_MINUTE` rows a minute in all (the rest are counted into the next row written).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field

from aiohttp import web

from ..errors import AppError
from ..vocabulary import AUDITED_REFUSALS
from .common import AUTH, IDENTITY, client_ip

REFUSED = "refused"  # the audit kind


@dataclass
class _Seen:
    written: float
    repeated: int = 0


@dataclass
class RefusalAudit:
    PER_MINUTE = 30
    EVERY = 60.0
    clock: Callable[[], float] = time.monotonic
    _seen: dict[tuple[str, str, str], _Seen] = field(default_factory=dict)
    _minute: float = 0.0
    _written_this_minute: int = 0
    _dropped: int = 0  # refusals not written because the budget of the minute was spent

    def admit(self, key: tuple[str, str, str]) -> int | None:
        """How many refusals a row written now stands for, or None when this one is only counted."""
        now = self.clock()
        if now - self._minute >= self.EVERY:
            self._minute, self._written_this_minute = now, 0
            if len(self._seen) > 10_000:
                self._seen = {k: v for k, v in self._seen.items() if now - v.written < self.EVERY}
        seen = self._seen.get(key)
        if seen is not None and now - seen.written < self.EVERY:
            seen.repeated += 1
            return None
        if self._written_this_minute >= self.PER_MINUTE:
            self._dropped += 1
            return None
        self._written_this_minute += 1
        repeated = 1 + (seen.repeated if seen else 0) + self._dropped
        self._seen[key], self._dropped = _Seen(now), 0
        return repeated


AUDIT = web.AppKey("refusal_audit", RefusalAudit)


@web.middleware
async def refusal_audit_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except AppError as err:
        if err.code in AUDITED_REFUSALS and request.path.startswith("/api"):
            identity = request.get(IDENTITY)
            actor = identity.actor.id if identity else None
            ip = client_ip(request)
            repeated = request.app[AUDIT].admit((err.code, ip, actor or ""))
            if repeated is not None:
                detail = {"code": err.code, "method": request.method, "path": request.path[:200], "repeated": repeated}
                await request.app[AUTH].audit(REFUSED, actor_id=actor, ip=ip, detail=detail)
        raise
