"""The mail outbox and the in-app notices (tables mail_outbox and notices).

The outbox is written in the transaction of the event that causes it (actions/mail.py). The sender claims due
rows in a short transaction of its own (`claim`: FOR UPDATE SKIP LOCKED on PostgreSQL, so two server processes
never take the same row; SQLite's one writer serialises the claim), which moves their next attempt time one lease
ahead and counts the attempt; it then sends with no transaction open and records the outcome (`mark_*`). A
process that dies mid-send leaves the row to be claimed again when the lease runs out.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..errors import AppError
from ..vocabulary import MAIL_CHANGE, MAIL_FAILED, MAIL_INVITATION, MAIL_NO_ADDRESS, MAIL_QUEUED, MAIL_SENT, MailKind
from .db import iso, new_id, now_iso
from .models import MailRow, NoticeRow, UserRow


@dataclass(frozen=True)
class Claimed:
    """A row the sender took for one attempt."""

    id: str
    meeting_id: str
    person_id: str
    address: str
    kind: MailKind
    attempts: int


def add_mail(session: AsyncSession, meeting_id: str, seq: int, person: UserRow, kind: MailKind, at: str) -> None:
    address = (person.email or "").strip()
    session.add(
        MailRow(
            id=new_id("ml"),
            meeting_id=meeting_id,
            person_id=person.id,
            address=address,
            kind=kind,
            seq=seq,
            status=MAIL_QUEUED if address else MAIL_NO_ADDRESS,
            attempts=0,
            last_error="",
            next_attempt_at=at,
            created_at=at,
            sent_at=None,
        )
    )


def add_notice(
    session: AsyncSession, meeting_id: str, seq: int, user_id: str, kind: MailKind, title: str, at: str
) -> None:
    row = NoticeRow(id=new_id("nt"), user_id=user_id, meeting_id=meeting_id, kind=kind, title=title, seq=seq)
    row.created_at, row.read_at = at, None
    session.add(row)


async def absorb(session: AsyncSession, meeting_id: str, person_ids: list[str], seq: int) -> set[str]:
    """A change for people whose invitation or change is still queued and never tried (or has no address to go
    to): that row carries it (the mail is written from the meeting as it is when sent), its `seq` moves on.
    Updating the row takes its lock, so a sender claims it either before (tried: not absorbed, a new row follows)
    or after this commit. Returns who."""
    if not person_ids:
        return set()
    query = (
        update(MailRow)
        .where(
            MailRow.meeting_id == meeting_id,
            MailRow.person_id.in_(person_ids),
            MailRow.status.in_((MAIL_QUEUED, MAIL_NO_ADDRESS)),
            MailRow.attempts == 0,
            MailRow.kind.in_((MAIL_INVITATION, MAIL_CHANGE)),
        )
        .values(seq=seq)
        .returning(MailRow.person_id)
    )
    return {str(p) for p in (await session.execute(query)).scalars()}


async def unread_of_kind(session: AsyncSession, meeting_id: str, kind: MailKind, person_ids: list[str]) -> set[str]:
    """Who already has an unread notice of this kind about this meeting (a second one would say nothing new)."""
    if not person_ids:
        return set()
    query = select(NoticeRow.user_id).where(
        NoticeRow.meeting_id == meeting_id,
        NoticeRow.kind == kind,
        NoticeRow.read_at.is_(None),
        NoticeRow.user_id.in_(person_ids),
    )
    return {str(u) for u in (await session.execute(query)).scalars()}


async def claim(session: AsyncSession, now: datetime, lease: timedelta, limit: int) -> list[Claimed]:
    query = (
        select(MailRow)
        .where(MailRow.status == MAIL_QUEUED, MailRow.next_attempt_at <= iso(now))
        .order_by(MailRow.next_attempt_at, MailRow.id)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    rows = list((await session.execute(query)).scalars())
    for row in rows:
        row.attempts += 1
        row.next_attempt_at = iso(now + lease)
    await session.flush()
    return [Claimed(r.id, r.meeting_id, r.person_id, r.address, r.kind, r.attempts) for r in rows]  # type: ignore[arg-type]


async def mark_sent(session: AsyncSession, mail_id: str, at: datetime) -> None:
    await session.execute(
        update(MailRow)
        .where(MailRow.id == mail_id, MailRow.status == MAIL_QUEUED)
        .values(status=MAIL_SENT, sent_at=iso(at), last_error="")
    )


async def mark_retry(session: AsyncSession, mail_id: str, error: str, at: datetime) -> None:
    await session.execute(
        update(MailRow)
        .where(MailRow.id == mail_id, MailRow.status == MAIL_QUEUED)
        .values(last_error=error[:2000], next_attempt_at=iso(at))
    )


async def mark_failed(session: AsyncSession, mail_id: str, error: str) -> None:
    await session.execute(
        update(MailRow)
        .where(MailRow.id == mail_id, MailRow.status == MAIL_QUEUED)
        .values(status=MAIL_FAILED, last_error=error[:2000])
    )


async def next_due(session: AsyncSession) -> str | None:
    """The earliest next attempt time of a queued row (the sender sleeps until then at most)."""
    query = select(func.min(MailRow.next_attempt_at)).where(MailRow.status == MAIL_QUEUED)
    value = (await session.execute(query)).scalar_one_or_none()
    return str(value) if value is not None else None


def mail_dict(row: MailRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "person_id": row.person_id,
        "address": row.address,
        "kind": row.kind,
        "status": row.status,
        "attempts": row.attempts,
        "last_error": row.last_error,
        "next_attempt_at": row.next_attempt_at if row.status == MAIL_QUEUED else None,
        "created_at": row.created_at,
        "sent_at": row.sent_at,
    }


async def mails_of(session: AsyncSession, meeting_id: str) -> list[MailRow]:
    query = (
        select(MailRow).where(MailRow.meeting_id == meeting_id).order_by(MailRow.created_at, MailRow.seq, MailRow.id)
    )
    return list((await session.execute(query)).scalars())


async def load_mail(session: AsyncSession, meeting_id: str, mail_id: str) -> MailRow:
    row = await session.get(MailRow, mail_id)
    if row is None or row.meeting_id != meeting_id:
        raise AppError("not_found", what="mail")
    return row


def requeue(row: MailRow, address: str) -> None:
    """Send a failed (or address-less) mail again, from its first attempt, to the person's address now."""
    row.address = address
    row.status = MAIL_QUEUED if address else MAIL_NO_ADDRESS
    row.attempts = 0
    row.next_attempt_at = now_iso()
    row.sent_at = None


def notice_dict(row: NoticeRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "meeting_id": row.meeting_id,
        "kind": row.kind,
        "title": row.title,
        "created_at": row.created_at,
        "read": row.read_at is not None,
    }


async def notices_of(session: AsyncSession, user_id: str, limit: int = 50) -> tuple[list[NoticeRow], int]:
    """A person's latest notices and how many of all theirs are unread."""
    query = (
        select(NoticeRow)
        .where(NoticeRow.user_id == user_id)
        .order_by(NoticeRow.created_at.desc(), NoticeRow.seq.desc(), NoticeRow.id.desc())
        .limit(limit)
    )
    rows = list((await session.execute(query)).scalars())
    unread_query = select(func.count()).where(NoticeRow.user_id == user_id, NoticeRow.read_at.is_(None))
    unread = int((await session.execute(unread_query)).scalar_one())
    return rows, unread


async def mark_read(session: AsyncSession, user_id: str, ids: list[str] | None, at: str) -> int:
    """Mark a person's notices read (the listed ones, or all); returns how many changed."""
    query = update(NoticeRow).where(NoticeRow.user_id == user_id, NoticeRow.read_at.is_(None))
    if ids is not None:
        query = query.where(NoticeRow.id.in_(ids))
    result = await session.execute(query.values(read_at=at))
    return int(result.rowcount or 0)  # type: ignore[attr-defined]
