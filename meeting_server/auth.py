"""Sign-in, sessions and device tokens: who is behind a request or a socket.

Sessions live server-side (a random cookie value, stored as its SHA-256), so signing out or deactivating a
person ends them at once. Failed sign-ins are rate-limited per username and per address.
"""

from __future__ import annotations

import hashlib
import secrets
import time
from collections import defaultdict, deque
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, select

from .actions.base import Services
from .domain.actors import Actor
from .errors import AppError
from .passwords import verify_password_async
from .storage import directory, security
from .storage.db import iso, now_iso
from .storage.models import SessionRow, SiteRow, UserRow
from .vocabulary import SITE

COOKIE = "ms_session"


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


class LoginLimiter:
    """Sliding windows of failed attempts. Per process: behind several nodes, each counts its own."""

    def __init__(self, per_user: int, per_ip: int, window_seconds: int) -> None:
        self.per_user, self.per_ip, self.window = per_user, per_ip, window_seconds
        self._failures: dict[str, deque[float]] = defaultdict(deque)

    def _recent(self, key: str, now: float) -> deque[float]:
        q = self._failures[key]
        while q and q[0] <= now - self.window:
            q.popleft()
        return q

    def check(self, username: str, ip: str) -> None:
        now = time.monotonic()
        for key, limit in ((f"u:{username}", self.per_user), (f"ip:{ip}", self.per_ip)):
            q = self._recent(key, now)
            if len(q) >= limit:
                raise AppError("rate_limited", retry_after=int(q[0] + self.window - now) + 1)

    def failed(self, username: str, ip: str) -> None:
        now = time.monotonic()
        self._failures[f"u:{username}"].append(now)
        self._failures[f"ip:{ip}"].append(now)

    def succeeded(self, username: str) -> None:
        self._failures.pop(f"u:{username}", None)


@dataclass(frozen=True)
class Identity:
    actor: Actor
    session_id: str | None = None  # set for cookie sessions
    csrf_token: str | None = None
    token_digest: str | None = None  # set for site device tokens


class Authenticator:
    def __init__(self, services: Services) -> None:
        self.services = services
        s = services.settings
        self.limiter = LoginLimiter(s.login_failures_per_user, s.login_failures_per_ip, s.login_window_seconds)

    async def login(self, username: str, password: str, *, ip: str, user_agent: str) -> tuple[str, UserRow, str]:
        """Returns (cookie value, user, csrf token) or raises invalid_credentials / rate_limited."""
        username = username.strip().lower()
        self.limiter.check(username, ip)
        async with self.services.db.read() as session:
            user = await directory.user_by_username(session, username)
        ok = await verify_password_async(user.password_hash if user else None, password)
        if not ok or user is None or not user.active:
            self.limiter.failed(username, ip)
            async with self.services.db.write() as session:
                await security.add_audit(
                    session,
                    "login_failed",
                    target_id=user.id if user else None,
                    ip=ip,
                    detail={"username": username[:64]},
                )
            raise AppError("invalid_credentials")
        self.limiter.succeeded(username)
        cookie = secrets.token_urlsafe(32)
        csrf = secrets.token_urlsafe(24)
        expires = datetime.now(UTC) + timedelta(days=self.services.settings.session_days)
        async with self.services.db.write() as session:
            session.add(
                SessionRow(
                    id=session_key(cookie),
                    user_id=user.id,
                    csrf_token=csrf,
                    created_at=now_iso(),
                    expires_at=iso(expires),
                    ip=ip,
                    user_agent=user_agent[:300],
                )
            )
            await security.add_audit(session, "login", actor_id=user.id, target_id=user.id, ip=ip)
            # Expired sessions are swept on sign-in so the table does not grow without bound.
            await session.execute(delete(SessionRow).where(SessionRow.expires_at <= now_iso()))
        return cookie, user, csrf

    async def logout(self, identity: Identity, ip: str) -> None:
        if identity.session_id is None:
            return
        async with self.services.db.write() as session:
            await session.execute(delete(SessionRow).where(SessionRow.id == identity.session_id))
            await security.add_audit(session, "logout", actor_id=identity.actor.id, ip=ip)
        await self.services.notifier.revoke(session_id=identity.session_id, reason="logout")

    async def from_cookie(self, cookie_value: str | None) -> Identity | None:
        if not cookie_value:
            return None
        key = session_key(cookie_value)
        async with self.services.db.read() as session:
            row = await security.get_session(session, key)
            if row is None:
                return None
            user = await session.get(UserRow, row.user_id)
            if user is None or not user.active:
                return None
            return Identity(actor_of_user(user), session_id=key, csrf_token=row.csrf_token)

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
        open socket at once: a socket never acts with the roles it connected with."""
        async with self.services.db.read() as session:
            if identity.actor.kind == SITE:
                site = await session.get(SiteRow, identity.actor.id)
                if site is None or not site.active or site.token_hash != identity.token_digest:
                    return None
                return replace(identity, actor=actor_of_site(site))
            if identity.session_id is not None and await security.get_session(session, identity.session_id) is None:
                return None
            user = await session.get(UserRow, identity.actor.id)
            if user is None or not user.active:
                return None
            return replace(identity, actor=actor_of_user(user))

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
                            select(SessionRow.id).where(SessionRow.id.in_(sessions), SessionRow.expires_at > now_iso())
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
        expires = datetime.now(UTC) + timedelta(days=self.services.settings.session_days)
        async with self.services.db.write() as session:
            session.add(
                SessionRow(
                    id=session_key(cookie),
                    user_id=user_id,
                    csrf_token=csrf,
                    created_at=now_iso(),
                    expires_at=iso(expires),
                )
            )
        return cookie, csrf
