"""The meetings' check-in keys: issued with the meeting, replaced when the organiser renews it, read to sign and
check the QR codes. Nothing here is ever told: no event and no snapshot carries a key."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.checkin import new_checkin_key
from .db import now_iso
from .models import CheckinKeyRow


async def key_of(session: AsyncSession, meeting_id: str) -> str | None:
    """The meeting's check-in key, or None when it has none."""
    row = await session.get(CheckinKeyRow, meeting_id)
    return row.key if row is not None else None


async def issue_key(session: AsyncSession, meeting_id: str) -> str:
    """A fresh key for the meeting, replacing the one before (every code made with it stops working); when."""
    issued_at = now_iso()
    row = (
        await session.execute(select(CheckinKeyRow).where(CheckinKeyRow.meeting_id == meeting_id))
    ).scalar_one_or_none()
    if row is None:
        session.add(CheckinKeyRow(meeting_id=meeting_id, key=new_checkin_key(), issued_at=issued_at))
    else:
        row.key, row.issued_at = new_checkin_key(), issued_at
    await session.flush()
    return issued_at
