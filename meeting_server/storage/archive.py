"""What the archive reads: archived meetings (for the archive page and the dossier builder's catch-up) and a
meeting's register lines (the documents' numbers, dates, subjects and signers for the dossier's metadata)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.meetings import MeetingState
from ..vocabulary import ARCHIVED
from .meetings import state_of
from .models import MeetingRow, RegisterEntryRow


async def archived_meetings(session: AsyncSession) -> list[MeetingState]:
    """Every archived meeting, the latest first."""
    rows = (
        await session.execute(
            select(MeetingRow).where(MeetingRow.status == ARCHIVED).order_by(MeetingRow.starts_at.desc())
        )
    ).scalars()
    return [state_of(row) for row in rows]


async def register_lines(session: AsyncSession, meeting_id: str) -> list[RegisterEntryRow]:
    """The register lines of a meeting's documents (giấy mời, biên bản, thông báo kết luận), in number order."""
    found = await session.execute(
        select(RegisterEntryRow)
        .where(RegisterEntryRow.meeting_id == meeting_id)
        .order_by(RegisterEntryRow.issued_on, RegisterEntryRow.kind, RegisterEntryRow.number)
    )
    return list(found.scalars())
