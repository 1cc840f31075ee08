"""The record's documents, their texts and comments (tables record_documents, record_texts, record_comments)."""

from __future__ import annotations

from typing import Any, cast

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.record_content import number_text
from ..errors import AppError
from ..vocabulary import RECORD_ISSUED, RECORD_SIGNING, RecordKind, SignatureSlot
from .db import new_id, now_iso
from .models import MeetingEventRow, MeetingRow, RecordCommentRow, RecordDocumentRow, RecordTextRow


async def load(session: AsyncSession, document_id: str, *, for_update: bool = False) -> RecordDocumentRow:
    query = select(RecordDocumentRow).where(RecordDocumentRow.id == document_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).scalar_one_or_none()
    if row is None:
        raise AppError("not_found", what="record")
    return row


async def meeting_of(session: AsyncSession, document_id: str) -> str:
    """The meeting a document belongs to (not_found when there is no such document)."""
    found = await session.execute(select(RecordDocumentRow.meeting_id).where(RecordDocumentRow.id == document_id))
    meeting_id = found.scalar_one_or_none()
    if meeting_id is None:
        raise AppError("not_found", what="record")
    return str(meeting_id)


async def documents_of(session: AsyncSession, meeting_id: str) -> list[RecordDocumentRow]:
    found = await session.execute(
        select(RecordDocumentRow)
        .where(RecordDocumentRow.meeting_id == meeting_id)
        .order_by(RecordDocumentRow.kind, RecordDocumentRow.version)
    )
    return list(found.scalars())


async def last_version(session: AsyncSession, meeting_id: str, kind: str) -> int:
    found = await session.execute(
        select(func.max(RecordDocumentRow.version)).where(
            RecordDocumentRow.meeting_id == meeting_id, RecordDocumentRow.kind == kind
        )
    )
    return int(found.scalar_one() or 0)


def insert(session: AsyncSession, **fields: Any) -> RecordDocumentRow:
    at = now_iso()
    row = RecordDocumentRow(id=new_id("rd"), created_at=at, updated_at=at, **fields)
    session.add(row)
    return row


async def texts_of(session: AsyncSession, document_id: str) -> list[RecordTextRow]:
    found = await session.execute(
        select(RecordTextRow).where(RecordTextRow.document_id == document_id).order_by(RecordTextRow.part)
    )
    return list(found.scalars())


async def text_of(session: AsyncSession, document_id: str, part: str, field: str) -> RecordTextRow | None:
    return await session.get(RecordTextRow, (document_id, part, field))


async def save_text(
    session: AsyncSession, document_id: str, part: str, field: str, html: str, revision: int, who: tuple[str, str]
) -> RecordTextRow:
    row = await text_of(session, document_id, part, field)
    if row is None:
        row = RecordTextRow(document_id=document_id, part=part, field=field)
        session.add(row)
    row.html, row.revision, (row.saved_by, row.saved_by_name), row.saved_at = html, revision, who, now_iso()
    await session.flush()
    return row


def copy_texts(session: AsyncSession, texts: list[RecordTextRow], document_id: str) -> None:
    for t in texts:
        session.add(
            RecordTextRow(
                document_id=document_id,
                part=t.part,
                field=t.field,
                html=t.html,
                revision=1,
                saved_by=t.saved_by,
                saved_by_name=t.saved_by_name,
                saved_at=t.saved_at,
            )
        )


def text_dict(row: RecordTextRow) -> dict[str, Any]:
    return {
        "part": row.part,
        "field": row.field,
        "html": row.html,
        "revision": row.revision,
        "saved_by": row.saved_by,
        "saved_by_name": row.saved_by_name,
        "saved_at": row.saved_at,
    }


async def add_comment(
    session: AsyncSession, document_id: str, part: str, text: str, who: tuple[str, str]
) -> RecordCommentRow:
    row = RecordCommentRow(
        id=new_id("rc"),
        document_id=document_id,
        part=part,
        text=text,
        author_id=who[0],
        author_name=who[1],
        created_at=now_iso(),
    )
    session.add(row)
    await session.flush()
    return row


async def comments_of(session: AsyncSession, document_id: str) -> list[RecordCommentRow]:
    found = await session.execute(
        select(RecordCommentRow)
        .where(RecordCommentRow.document_id == document_id)
        .order_by(RecordCommentRow.created_at, RecordCommentRow.id)
    )
    return list(found.scalars())


def comment_dict(row: RecordCommentRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "part": row.part,
        "text": row.text,
        "author_id": row.author_id,
        "author_name": row.author_name,
        "created_at": row.created_at,
    }


def document_number_text(row: RecordDocumentRow) -> str:
    """ "01/BB-UBND" once numbered (the issuer's symbol as the approval froze it into the content); "" before."""
    if row.number is None:
        return ""
    symbol = ((row.content or {}).get("number") or {}).get("issuer_symbol", "")
    return number_text(cast(RecordKind, row.kind), row.number, str(symbol))


def document_dict(row: RecordDocumentRow) -> dict[str, Any]:
    """What every reader of the record gets for one document (not its texts, content or PDF)."""
    return {
        "id": row.id,
        "meeting_id": row.meeting_id,
        "kind": row.kind,
        "version": row.version,
        "replaces_id": row.replaces_id,
        "replaced_by_id": row.replaced_by_id,
        "correction_reason": row.correction_reason,
        "confidential": row.confidential,
        "status": row.status,
        "unit_id": row.unit_id,
        "number": row.number,
        "number_text": document_number_text(row),
        "year": row.year,
        "issued_on": row.issued_on,
        "slots": [dict(s) for s in row.slots],
        "signer": dict(row.signer),
        "return_comment": row.return_comment,
        "recipients": None if row.recipients is None else list(row.recipients),
        "has_pdf": row.pdf is not None,
        "created_at": row.created_at,
        "updated_at": row.updated_at,
    }


async def store_pdf(session: AsyncSession, document_id: str, pdf: bytes, boxes: dict[str, Any]) -> None:
    """Keep the PDF rendered from a frozen document's content (rendered outside any write transaction) and the box
    it reserved for each signature slot (the signing phase places each signature there)."""
    row = await load(session, document_id, for_update=True)
    if row.content is not None and row.pdf is None:
        row.pdf, row.boxes = pdf, boxes
        row.updated_at = now_iso()


async def record_signature(
    session: AsyncSession, document_id: str, slot: SignatureSlot, signed_pdf: bytes
) -> RecordDocumentRow:
    """The signing phase's one door: the PDF with `slot`'s signature added replaces the stored one, the slot is
    marked signed, and the document is issued when it was the last slot. Refused when the slot is not the next one
    to sign (slots sign in order) or the document is not being signed."""
    from ..domain.record import FROZEN  # the domain's rule; storage only keeps it

    row = await load(session, document_id, for_update=True)
    if row.status not in FROZEN or row.status == RECORD_ISSUED:
        raise AppError(
            "invalid_input", detail="văn bản không ở bước ký số", detail_en="the document is not being signed"
        )
    slots = [dict(s) for s in row.slots]
    waiting = next((s for s in slots if s["signed_at"] is None), None)
    if waiting is None or waiting["slot"] != slot:
        raise AppError(
            "invalid_input",
            detail=f"chưa đến lượt ký của ô {slot}",
            detail_en=f"it is not slot {slot}'s turn to sign",
        )
    waiting["signed_at"] = now_iso()
    row.slots = slots
    row.pdf = signed_pdf
    if all(s["signed_at"] for s in slots):
        row.status = RECORD_ISSUED
    row.updated_at = now_iso()
    await session.flush()
    return row


async def log_marks(
    session: AsyncSession, meeting_id: str, types: tuple[str, ...]
) -> list[tuple[str, dict[str, Any], str]]:
    """(type, data, at) of a meeting's log entries of these types, in order (the minutes' times come from them)."""
    rows = await session.execute(
        select(MeetingEventRow.type, MeetingEventRow.data, MeetingEventRow.at)
        .where(MeetingEventRow.meeting_id == meeting_id, MeetingEventRow.type.in_(types))
        .order_by(MeetingEventRow.seq)
    )
    return [(t, d, a) for t, d, a in rows]


async def being_signed(session: AsyncSession) -> list[RecordDocumentRow]:
    """The documents being signed (status `signing`: few at any time, each until its last slot is signed)."""
    found = await session.execute(
        select(RecordDocumentRow)
        .where(RecordDocumentRow.status == RECORD_SIGNING)
        .order_by(RecordDocumentRow.updated_at, RecordDocumentRow.id)
    )
    return list(found.scalars())


async def meeting_titles(session: AsyncSession, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = await session.execute(select(MeetingRow.id, MeetingRow.title).where(MeetingRow.id.in_(ids)))
    return {i: t for i, t in rows}
