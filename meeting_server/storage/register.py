"""The official register (sổ đăng ký văn bản): numbers per issuing unit, kind, calendar year in Vietnam time and
confidentiality, given in the caller's write transaction.

The counter row is taken with one `INSERT … ON CONFLICT DO UPDATE … RETURNING`: on PostgreSQL the row lock makes a
second issuer wait for the first to commit and then count on from its number; on SQLite the write transaction
(`BEGIN IMMEDIATE`) already runs alone. A transaction that fails rolls its number back with it: no gap, no reuse.
"""

from __future__ import annotations

from datetime import date
from typing import Any, cast

from sqlalchemy import select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.record_content import number_text
from ..vocabulary import RecordKind
from .db import new_id, now_iso
from .models import RegisterCounterRow, RegisterEntryRow


async def next_number(session: AsyncSession, unit_id: str, kind: RecordKind, year: int, confidential: bool) -> int:
    """The series' next number (1 on its first use), taken in this transaction."""
    dialect = postgresql if session.get_bind().dialect.name == "postgresql" else sqlite
    table = RegisterCounterRow.__table__
    stmt = dialect.insert(table).values(unit_id=unit_id, kind=kind, year=year, confidential=confidential, last_number=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=["unit_id", "kind", "year", "confidential"],
        set_={"last_number": table.c.last_number + 1},
    ).returning(table.c.last_number)
    return int((await session.execute(stmt)).scalar_one())


async def enter(
    session: AsyncSession,
    *,
    unit_id: str,
    kind: RecordKind,
    confidential: bool,
    issued_on: date,
    summary: str,
    signer: str = "",
    symbol: str = "",
    meeting_id: str | None = None,
    document_id: str | None = None,
) -> RegisterEntryRow:
    """Number a document and write its line in the register (the caller's transaction)."""
    number = await next_number(session, unit_id, kind, issued_on.year, confidential)
    row = RegisterEntryRow(
        id=new_id("rg"),
        unit_id=unit_id,
        kind=kind,
        year=issued_on.year,
        confidential=confidential,
        number=number,
        issued_on=issued_on.isoformat(),
        summary=summary[:500],
        signer=signer[:300],
        symbol=symbol[:32],
        meeting_id=meeting_id,
        document_id=document_id,
        created_at=now_iso(),
    )
    session.add(row)
    await session.flush()
    return row


async def entry_of_meeting(session: AsyncSession, meeting_id: str, kind: RecordKind) -> RegisterEntryRow | None:
    """The register line a meeting's document of this kind (its giấy mời) already has, if any."""
    found = await session.execute(
        select(RegisterEntryRow)
        .where(RegisterEntryRow.meeting_id == meeting_id, RegisterEntryRow.kind == kind)
        .order_by(RegisterEntryRow.number)
        .limit(1)
    )
    return found.scalar_one_or_none()


async def listing(
    session: AsyncSession,
    *,
    unit_id: str | None,
    kind: str | None,
    year: int | None,
    confidential: bool | None,
) -> list[RegisterEntryRow]:
    query = select(RegisterEntryRow)
    if unit_id is not None:
        query = query.where(RegisterEntryRow.unit_id == unit_id)
    if kind is not None:
        query = query.where(RegisterEntryRow.kind == kind)
    if year is not None:
        query = query.where(RegisterEntryRow.year == year)
    if confidential is not None:
        query = query.where(RegisterEntryRow.confidential == confidential)
    query = query.order_by(
        RegisterEntryRow.unit_id,
        RegisterEntryRow.year,
        RegisterEntryRow.kind,
        RegisterEntryRow.confidential,
        RegisterEntryRow.number,
    )
    return list((await session.execute(query)).scalars())


def entry_dict(row: RegisterEntryRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "unit_id": row.unit_id,
        "kind": row.kind,
        "year": row.year,
        "confidential": row.confidential,
        "number": row.number,
        "number_text": number_text(cast(RecordKind, row.kind), row.number, row.symbol),
        "issued_on": row.issued_on,
        "summary": row.summary,
        "signer": row.signer,
        "meeting_id": row.meeting_id,
        "document_id": row.document_id,
    }
