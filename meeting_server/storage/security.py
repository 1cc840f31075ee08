"""Sessions, the audit log of security events, and the answers kept for retried commands."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, tuple_, update
from sqlalchemy.ext.asyncio import AsyncSession

from .db import iso, now_iso
from .models import AuditRow, CommandRow, SessionRow


async def add_audit(
    session: AsyncSession,
    kind: str,
    *,
    actor_id: str | None = None,
    target_id: str | None = None,
    ip: str = "",
    detail: dict[str, Any] | None = None,
) -> None:
    session.add(AuditRow(at=now_iso(), kind=kind, actor_id=actor_id, target_id=target_id, ip=ip, detail=detail or {}))


async def signed_in_from(session: AsyncSession, user_id: str, ip: str, *, since: datetime) -> bool:
    """Whether the person signed in from this address since then (the audit log keeps every sign-in)."""
    found = await session.execute(
        select(AuditRow.id)
        .where(AuditRow.kind == "login", AuditRow.actor_id == user_id, AuditRow.ip == ip, AuditRow.at >= iso(since))
        .limit(1)
    )
    return found.first() is not None


async def list_audit(session: AsyncSession, limit: int = 200) -> list[dict[str, Any]]:
    rows = (await session.execute(select(AuditRow).order_by(AuditRow.id.desc()).limit(limit))).scalars()
    return [
        {
            "id": r.id,
            "at": r.at,
            "kind": r.kind,
            "actor_id": r.actor_id,
            "target_id": r.target_id,
            "ip": r.ip,
            "detail": r.detail,
        }
        for r in rows
    ]


async def live_sessions(session: AsyncSession, keys: set[str], now: str) -> dict[str, SessionRow]:
    """The sessions among these that have not ended, by id (in one query per 500)."""
    found: dict[str, SessionRow] = {}
    wanted = sorted(keys)
    for i in range(0, len(wanted), 500):
        query = select(SessionRow).where(SessionRow.id.in_(wanted[i : i + 500]), SessionRow.expires_at > now)
        found.update((r.id, r) for r in (await session.execute(query)).scalars())
    return found


async def extend_session(session: AsyncSession, session_id: str, expires_at: str) -> None:
    await session.execute(update(SessionRow).where(SessionRow.id == session_id).values(expires_at=expires_at))


async def delete_sessions_of(session: AsyncSession, user_id: str, keep: str | None = None) -> list[str]:
    """End every session of the person (but `keep`, the one they are acting through); returns the ended ids."""
    chosen = [SessionRow.user_id == user_id] + ([SessionRow.id != keep] if keep else [])
    ids = list((await session.execute(select(SessionRow.id).where(*chosen))).scalars())
    await session.execute(delete(SessionRow).where(*chosen))
    return ids


async def stored_answer(session: AsyncSession, actor_id: str, command_id: str) -> CommandRow | None:
    return await session.get(CommandRow, (actor_id, command_id))


async def stored_answers(session: AsyncSession, keys: list[tuple[str, str]]) -> dict[tuple[str, str], CommandRow]:
    """The kept answers among these (actor, command id) pairs, in one query per 400 (a group of commands)."""
    found: dict[tuple[str, str], CommandRow] = {}
    wanted = sorted(set(keys))
    for i in range(0, len(wanted), 400):
        chunk = wanted[i : i + 400]
        query = select(CommandRow).where(tuple_(CommandRow.actor_id, CommandRow.command_id).in_(chunk))
        found.update(((r.actor_id, r.command_id), r) for r in (await session.execute(query)).scalars())
    return found


async def remember_answer(
    session: AsyncSession, actor_id: str, command_id: str, action: str, result: dict[str, Any]
) -> None:
    session.add(
        CommandRow(actor_id=actor_id, command_id=command_id, action=action, result=result, created_at=now_iso())
    )
