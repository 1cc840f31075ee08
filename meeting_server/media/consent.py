"""ICE consent freshness (RFC 7675) that a busy computer does not lose.

aioice checks consent every 5 s with a single binding request that gives up after 0.5 s (no retransmission,
a late answer is thrown away) and closes the connection after six such failures in a row. A computer whose
event loop is late by more than half a second (a commune hall's weak PC, a server answering forty halls, any
machine under load) answers every check in time for nothing, so after 30 s the peer connection closes although
both ends are alive and media flows: the hall vanished from the chair's console. Here a check is retransmitted
until its next one is due and any answer counts; consent lapses only when nothing at all was answered for
CONSENT_FAILURES x CONSENT_INTERVAL (RFC 7675's 30 s).

Both the server's SFU and the room PC (room_client.media) install it: they run the same aioice. It is a leaf
(the standard library and aioice only), so a room PC imports it without any server package.
"""

from __future__ import annotations

import asyncio
import logging
import random
import time

from aioice import ice, stun

log = logging.getLogger(__name__)

CHECK_RETRANSMISSIONS = 3  # 0.5 + 1 + 2 + 4 s: an answer up to 7.5 s late still counts
_USED = ("query_consent", "build_request", "close")


async def query_consent(self: ice.Connection) -> None:
    """Consent checks on the nominated pairs; closes the connection when none was answered for the lapse."""
    assert self.remote_password is not None  # checks start once connect() has the remote password
    key = self.remote_password.encode("utf8")
    answered = time.monotonic()
    while True:
        await asyncio.sleep(ice.CONSENT_INTERVAL * (0.8 + 0.4 * random.random()))
        for pair in list(self._nominated.values()):
            request = self.build_request(pair, nominate=False)
            try:
                await pair.protocol.request(
                    request, pair.remote_addr, integrity_key=key, retransmissions=CHECK_RETRANSMISSIONS
                )
                answered = time.monotonic()
            except stun.TransactionError:
                pass
        if time.monotonic() - answered > ice.CONSENT_FAILURES * ice.CONSENT_INTERVAL:
            log.info("ICE consent expired: no check answered for %.0f s", time.monotonic() - answered)
            self._query_consent_task = None  # close() must not cancel the task running it
            await self.close()
            return


def install() -> None:
    """Replace aioice's consent check by the one above (idempotent); fails loudly on an aioice without it."""
    missing = [name for name in _USED if not hasattr(ice.Connection, name)]
    if missing:
        raise RuntimeError(f"aioice lacks what the consent check replaces: {', '.join(missing)}")
    ice.Connection.query_consent = query_consent  # type: ignore[method-assign]
