"""Refusals in the audit log: forbidden, CSRF, origin and rate-limit refusals are security events too, over REST
(api/refusals.py) and over the live channel (signalling/hub.py) alike, through one budget.

An attacker must not fill the database by being refused, so writes are coalesced: one row per (code, address,
person) a minute, carrying how many refusals it stands for (`repeated`, those since the row before), and at most
`PER_MINUTE` rows a minute in all (the rest are counted into the next row written).
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass, field

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
