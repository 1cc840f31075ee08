"""Sign-in, sessions and device tokens: who is behind a request or a socket.

Sessions live server-side (a random cookie value, stored as its SHA-256), so signing out or deactivating a
person ends them at once. Failed sign-ins are rate-limited per username and per address.
"""

from __future__ import annotations

import asyncio
import hashlib
import secrets
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from .actions.base import Services
from .batching import Batcher
from .config import Settings
from .domain.actors import Actor
from .errors import AppError
from .passwords import verify_password_async
from .refusals import REFUSED, RefusalAudit
from .storage import directory, security
from .storage.db import iso, parse_iso
from .storage.models import SessionRow, SiteRow, UserRow
from .vocabulary import SITE, ErrorCode

COOKIE = "ms_session"
TOUCH_EVERY = timedelta(minutes=1)  # how often a used session's idle end is written forward
TRUSTED_FOR = timedelta(days=30)  # a sign-in from an address makes it the account's usual one this long


def utc_now() -> datetime:
    return datetime.now(UTC)


def session_key(cookie_value: str) -> str:
    return hashlib.sha256(cookie_value.encode()).hexdigest()


def actor_of_user(row: UserRow) -> Actor:
    return Actor(
        kind="user", id=row.id, name=row.full_name, roles=frozenset(row.roles), unit_id=row.unit_id, lang=row.lang
    )


def actor_of_site(row: SiteRow) -> Actor:
    return Actor(kind=SITE, id=row.id, name=row.name, unit_id=row.unit_id)


def forwarded_ip(forwarded_for: str, peer: str, trust_proxy: bool) -> str:
    """The client's address: behind a trusted proxy, the last X-Forwarded-For entry (the one the proxy saw;
    anything before it is what the client claimed), else the peer."""
    if forwarded_for and trust_proxy:
        return forwarded_for.split(",")[-1].strip()
    return peer


def _seconds(wait: float) -> int:
    return max(1, int(wait + 0.999))


@dataclass
class _Count:
    failures: int = 0
    pending: int = 0  # attempts reserved and being checked now: counted as failures until they succeed
    last: float = 0.0


@dataclass(frozen=True)
class Attempt:
    """A reserved sign-in attempt: `needs_trust` when only the account's usual addresses may go on."""

    pair: str
    user: str
    ip: str
    needs_trust: bool


class LoginLimiter:
    """Who may try a password now. Per process: behind several nodes, each counts its own.

    An attempt is reserved before its password is hashed (`reserve`, synchronous, so parallel attempts see each
    other) and settled after (`failed` / `succeeded`); an attempt being checked counts as a failure meanwhile.

    - one account from one address (the pair): `per_pair` failures, then each further try waits twice as long as
      the last (30 s, 60 s, … up to the window). This is the limit an attacker meets first, and it is theirs alone:
      the owner at another address is not touched by it.
    - one account from all addresses: `per_user` failures (high), then only the account's usual addresses (a
      sign-in succeeded from there within 30 days) may try, so a spread-out attack does not lock the owner out.
    - one address: `per_ip` failures (high: a hall's tablets share one address behind NAT), then only accounts
      with no failure from that address in the window may try there; a colleague's typos never lock anyone out.
    - being checked at once: `pending_per_ip` from one address and `pending` in all; more are refused
      (login_busy) without hashing, so a flood costs neither memory nor the cores everyone else needs.
    """

    BASE_DELAY = 30.0

    def __init__(self, settings: Settings, clock: Callable[[], float] = time.monotonic) -> None:
        self.s, self.clock = settings, clock
        self.window = float(settings.login_window_seconds)
        self._counts: dict[str, _Count] = {}
        self.pending = 0

    def _get(self, key: str, now: float) -> _Count:
        count = self._counts.get(key)
        if count is None or (not count.pending and count.last <= now - self.window):  # the delay <= the window
            count = self._counts[key] = _Count()
        return count

    def _until(self, count: _Count) -> float:
        """When a pair that has failed `per_pair` times or more may try again."""
        over = count.failures - self.s.login_failures_per_pair
        return count.last + min(self.window, self.BASE_DELAY * 2**over) if over >= 0 else 0.0

    def reserve(self, username: str, ip: str) -> Attempt:
        now = self.clock()
        if len(self._counts) > 100_000:  # an attack spraying names: forget the settled ones
            self._counts = {k: v for k, v in self._counts.items() if v.pending or v.last > now - self.window}
        pair, user, addr = (self._get(k, now) for k in (f"p:{username}\0{ip}", f"u:{username}", f"ip:{ip}"))
        if addr.pending >= self.s.login_pending_per_ip or self.pending >= self.s.login_pending:
            raise AppError("login_busy", retry_after=_seconds(1))
        if pair.failures >= self.s.login_failures_per_pair:
            if pair.pending or now < self._until(pair):
                raise AppError("rate_limited", retry_after=_seconds(max(1.0, self._until(pair) - now)))
        elif pair.failures + pair.pending >= self.s.login_failures_per_pair:
            raise AppError("rate_limited", retry_after=_seconds(1))
        if addr.failures + addr.pending >= self.s.login_failures_per_ip and pair.failures + pair.pending > 0:
            raise AppError("rate_limited", retry_after=_seconds(addr.last + self.window - now))
        needs_trust = user.failures + user.pending >= self.s.login_failures_per_user
        for count in (pair, user, addr):
            count.pending += 1
        self.pending += 1
        return Attempt(f"p:{username}\0{ip}", f"u:{username}", f"ip:{ip}", needs_trust)

    def _settle(self, attempt: Attempt, failed: bool) -> None:
        now = self.clock()
        self.pending -= 1
        for key in (attempt.pair, attempt.user, attempt.ip):
            count = self._counts.setdefault(key, _Count())
            count.pending = max(0, count.pending - 1)
            if failed:
                count.failures += 1
                count.last = now

    def failed(self, attempt: Attempt) -> None:
        self._settle(attempt, failed=True)

    def refused(self, attempt: Attempt) -> AppError:
        """An attempt given up before its password was checked (not from a usual address)."""
        self._settle(attempt, failed=False)
        user = self._counts[attempt.user]
        return AppError("rate_limited", retry_after=_seconds(user.last + self.window - self.clock()))

    def succeeded(self, attempt: Attempt) -> None:
        self._settle(attempt, failed=False)
        self._counts.pop(attempt.pair, None)


@dataclass(frozen=True)
class Identity:
    actor: Actor
    session_id: str | None = None  # set for cookie sessions
    csrf_token: str | None = None
    token_digest: str | None = None  # set for site device tokens


class Authenticator:
    def __init__(self, services: Services) -> None:
        self.services = services
        self.limiter = LoginLimiter(services.settings)
        self.clock: Callable[[], datetime] = utc_now  # tests put a fake clock here
        self.refusals = RefusalAudit()  # one budget for REST and socket refusals (tests set its clock)
        self._touches: Batcher[tuple[str, str], None] = Batcher(self._write_touches)  # sessions' idle ends
        self._currents: Batcher[Identity, Identity | None] = Batcher(self._current_many)  # socket commands' reads
        self._cookies: Batcher[str, Identity | None] = Batcher(self._cookies_many)  # REST requests' reads

    def _expiry(self, created: datetime, now: datetime) -> datetime:
        """A session ends when unused for MS_SESSION_IDLE_MINUTES, and at the latest session_days after sign-in.

        The idle end is kept in `expires_at` itself, moved on by use at most once a minute (no write per request)."""
        s = self.services.settings
        return min(created + timedelta(days=s.session_days), now + timedelta(minutes=s.session_idle_minutes))

    def _due_expiry(self, row: SessionRow, now: datetime) -> str | None:
        """The session's new idle end when it is due to be written (moved on by a minute or more), else None."""
        expires = iso(self._expiry(parse_iso(row.created_at), now))
        return expires if parse_iso(expires) - parse_iso(row.expires_at) >= TOUCH_EVERY else None

    async def _touch_all(self, touches: dict[str, str]) -> None:
        """Move these sessions' idle ends on (session id -> new end), in the shared write."""
        if touches:
            await asyncio.gather(*(self._touch(k, e) for k, e in touches.items()))

    async def _touch(self, key: str, expires: str | None) -> None:
        """Move a session's idle end on. Concurrent touches share one write transaction: 500 tablets voting at
        once, each session's minute up, are one write, not 500 writers each holding a read (the pool's limit)."""
        if expires is not None:
            await self._touches.submit((key, expires))

    async def _write_touches(self, batch: list[tuple[str, str]]) -> list[None | BaseException]:
        async with self.services.db.write() as write:
            for key, expires in batch:
                await security.extend_session(write, key, expires)
        return [None] * len(batch)

    async def login(self, username: str, password: str, *, ip: str, user_agent: str) -> tuple[str, UserRow, str]:
        """Returns (cookie value, user, csrf token) or raises invalid_credentials / rate_limited."""
        username = username.strip().lower()
        attempt = self.limiter.reserve(username, ip)  # before any await: parallel attempts count each other
        try:
            async with self.services.db.read() as session:
                user = await directory.user_by_username(session, username)
                trusted = not attempt.needs_trust or (
                    user is not None
                    and await security.signed_in_from(session, user.id, ip, since=self.clock() - TRUSTED_FOR)
                )
            ok = trusted and await verify_password_async(user.password_hash if user else None, password)
        except BaseException:
            self.limiter.refused(attempt)
            raise
        if not trusted:
            raise self.limiter.refused(attempt)
        if not ok or user is None or not user.active:
            self.limiter.failed(attempt)
            async with self.services.db.write() as session:
                await security.add_audit(
                    session,
                    "login_failed",
                    target_id=user.id if user else None,
                    ip=ip,
                    detail={"username": username[:64]},
                )
            raise AppError("invalid_credentials")
        self.limiter.succeeded(attempt)
        cookie = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(24)
        now = self.clock()
        async with self.services.db.write() as session:
            session.add(
                SessionRow(
                    id=session_key(cookie),
                    user_id=user.id,
                    csrf_token=csrf,
                    created_at=iso(now),
                    expires_at=iso(self._expiry(now, now)),
                    ip=ip,
                    user_agent=user_agent[:300],
                )
            )
            await security.add_audit(session, "login", actor_id=user.id, target_id=user.id, ip=ip)
            # Expired sessions are swept on sign-in so the table does not grow without bound.
            await session.execute(delete(SessionRow).where(SessionRow.expires_at <= iso(now)))
        return cookie, user, csrf

    async def refused(self, code: ErrorCode, *, actor_id: str | None, ip: str, where: dict[str, str]) -> None:
        """An audited refusal from a transport (`where`: the REST method and path, or the socket event and action),
        written to the audit log unless the coalescer counts it into a later row."""
        repeated = self.refusals.admit((code, ip, actor_id or ""))
        if repeated is None:
            return
        detail = {"code": code, **where, "repeated": repeated}
        async with self.services.db.write() as session:
            await security.add_audit(session, REFUSED, actor_id=actor_id, ip=ip, detail=detail)

    async def logout(self, identity: Identity, ip: str) -> None:
        if identity.session_id is None:
            return
        async with self.services.db.write() as session:
            await session.execute(delete(SessionRow).where(SessionRow.id == identity.session_id))
            await security.add_audit(session, "logout", actor_id=identity.actor.id, ip=ip)
        await self.services.notifier.revoke(session_id=identity.session_id, reason="logout")

    async def from_cookie(self, cookie_value: str | None) -> Identity | None:
        """The person behind a request's session cookie, or None. Concurrent requests share one read
        (batching.Batcher), as socket commands do (`current`): 500 tablets posting their ballots at once."""
        if not cookie_value:
            return None
        return await self._cookies.submit(session_key(cookie_value))

    async def _cookies_many(self, keys: list[str]) -> list[Identity | None | BaseException]:
        now = self.clock()
        async with self.services.db.read() as session:
            sessions = await security.live_sessions(session, set(keys), iso(now))
            users = await directory.users_by_ids(session, sorted({r.user_id for r in sessions.values()}))
        out: list[Identity | None | BaseException] = []
        touches: dict[str, str] = {}
        for key in keys:
            row = sessions.get(key)
            user = users.get(row.user_id) if row is not None else None
            if row is None or user is None or not user.active:
                out.append(None)
                continue
            expires = self._due_expiry(row, now)
            if expires is not None:
                touches[key] = expires
            out.append(Identity(actor_of_user(user), session_id=key, csrf_token=row.csrf_token))
        await self._touch_all(touches)
        return out

    async def from_token(self, token: str | None) -> Identity | None:
        if not token:
            return None
        async with self.services.db.read() as session:
            site = await directory.site_by_token(session, token)
        if site is None or not site.active:
            return None
        return Identity(actor_of_site(site), token_digest=site.token_hash)

    async def still_valid(self, identity: Identity) -> bool:
        return await self.current(identity) is not None

    async def current(self, identity: Identity) -> Identity | None:
        """The identity as the database has it now (roles, unit, name), or None once it is no longer valid.

        Re-read before each socket command, so a revocation or a role change on any node takes effect on every
        open socket at once: a socket never acts with the roles it connected with. Concurrent calls share one
        read (batching.Batcher; each is read after it was asked): 500 ballots at once are a few reads."""
        return await self._currents.submit(identity)

    async def _current_many(self, identities: list[Identity]) -> list[Identity | None | BaseException]:
        now = self.clock()
        keys = {i.session_id for i in identities if i.session_id is not None}
        user_ids = {i.actor.id for i in identities if i.actor.kind != SITE}
        site_ids = {i.actor.id for i in identities if i.actor.kind == SITE}
        async with self.services.db.read() as session:
            sessions = await security.live_sessions(session, keys, iso(now))
            users = await directory.users_by_ids(session, sorted(user_ids))
            sites = await directory.sites_by_ids(session, sorted(site_ids))
        out: list[Identity | None | BaseException] = []
        touches: dict[str, str] = {}
        for identity in identities:
            if identity.actor.kind == SITE:
                site = sites.get(identity.actor.id)
                ok = site is not None and site.active and site.token_hash == identity.token_digest
                out.append(replace(identity, actor=actor_of_site(site)) if ok and site else None)
                continue
            row = sessions.get(identity.session_id) if identity.session_id is not None else None
            user = users.get(identity.actor.id)
            if (identity.session_id is not None and row is None) or user is None or not user.active:
                out.append(None)
                continue
            if row is not None and identity.session_id is not None:
                expires = self._due_expiry(row, now)
                if expires is not None:
                    touches[identity.session_id] = expires
            out.append(replace(identity, actor=actor_of_user(user)))
        await self._touch_all(touches)
        return out

    async def invalid_among(self, identities: list[Identity]) -> set[int]:
        """Indexes of the identities no longer valid, checked in three queries however many there are.

        Each node sweeps its sockets with this, so a revocation made on another node closes them too."""
        sessions = {i.session_id for i in identities if i.session_id}
        users = {i.actor.id for i in identities if i.actor.kind == "user"}
        sites = {i.actor.id for i in identities if i.actor.kind == SITE}
        async with self.services.db.read() as session:
            live_sessions = (
                set(
                    (
                        await session.execute(
                            select(SessionRow.id).where(
                                SessionRow.id.in_(sessions), SessionRow.expires_at > iso(self.clock())
                            )
                        )
                    ).scalars()
                )
                if sessions
                else set()
            )
            active_users = (
                set(
                    (
                        await session.execute(select(UserRow.id).where(UserRow.id.in_(users), UserRow.active.is_(True)))
                    ).scalars()
                )
                if users
                else set()
            )
            rows = (
                (
                    await session.execute(
                        select(SiteRow.id, SiteRow.token_hash).where(SiteRow.id.in_(sites), SiteRow.active.is_(True))
                    )
                ).all()
                if sites
                else []
            )
            site_tokens = {site_id: token_hash for site_id, token_hash in rows}
        bad = set()
        for index, identity in enumerate(identities):
            if identity.actor.kind == SITE:
                ok = site_tokens.get(identity.actor.id) == identity.token_digest
            else:
                ok = identity.actor.id in active_users and (
                    identity.session_id is None or identity.session_id in live_sessions
                )
            if not ok:
                bad.add(index)
        return bad

    async def issue_session(self, user_id: str) -> tuple[str, str]:
        """A session without a password, for the CLI and benchmarks that sign in a thousand delegates."""
        cookie, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
        now = self.clock()
        async with self.services.db.write() as session:
            session.add(
                SessionRow(
                    id=session_key(cookie),
                    user_id=user_id,
                    csrf_token=csrf,
                    created_at=iso(now),
                    expires_at=iso(self._expiry(now, now)),
                )
            )
        return cookie, csrf
