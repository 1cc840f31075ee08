"""Attendance entries: appended in the transaction that appends their event, read back in the log's order."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.attendance import Attendance, Entry
from .models import AttendanceEntryRow


async def load_attendance(session: AsyncSession, meeting_id: str) -> Attendance:
    """The meeting's attendance: every entry, oldest first (the latest per person counts)."""
    rows = await session.execute(
        select(AttendanceEntryRow.entry)
        .where(AttendanceEntryRow.meeting_id == meeting_id)
        .order_by(AttendanceEntryRow.seq)
    )
    return Attendance(tuple(Entry.from_dict(raw) for raw in rows.scalars()))


async def latest_of(session: AsyncSession, meeting_id: str, person_id: str) -> Entry | None:
    """One person's latest entry (what their own snapshot says), without reading everyone's."""
    row = await session.execute(
        select(AttendanceEntryRow.entry)
        .where(AttendanceEntryRow.meeting_id == meeting_id, AttendanceEntryRow.person_id == person_id)
        .order_by(AttendanceEntryRow.seq.desc())
        .limit(1)
    )
    raw = row.scalar_one_or_none()
    return Entry.from_dict(raw) if raw is not None else None


async def add_entry(session: AsyncSession, meeting_id: str, seq: int, entry: Entry) -> None:
    """Keep one entry, at the sequence number of the event that tells it."""
    session.add(AttendanceEntryRow(meeting_id=meeting_id, seq=seq, person_id=entry.person_id, entry=entry.to_dict()))
    await session.flush()
