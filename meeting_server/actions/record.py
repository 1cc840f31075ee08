"""The record's documents (issue 11): create a biên bản or thông báo kết luận, save the secretary's texts (a
client's change id is the command id, so a resent change is answered from its kept answer), send to the chair,
return, approve (numbered in the register in the same transaction, content frozen), correct, comment.

Each change is told live as one `record.changed` entry in the meeting's log (organisers, chair, secretary only).
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain import record as domain
from ..domain.meetings import capabilities
from ..domain.record_content import RenderedRecord
from ..domain.richtext import sanitize
from ..errors import AppError
from ..storage import directory
from ..storage import record as store
from ..storage import register as register_store
from ..storage.db import utc_now
from ..storage.models import RecordDocumentRow
from ..views.record_facts import draft_content, issuer_of, kind_of
from ..vocabulary import (
    ARCHIVED,
    DRAFT,
    ENDED,
    RECORD_CONCLUSION,
    RECORD_INVITATION,
    RECORD_ISSUED,
    RECORD_REVIEW,
    RECORD_SIGNING,
    RECORD_WRITE,
    SIGNER_AUTHORITIES,
    SLOT_CHAIR,
    SLOT_SIGNER,
    RecordField,
)
from .base import MeetingContext, Schema, Services, meeting_action
from .schemas import Id, Short, Text

PART_PATTERN = r"^[A-Za-z0-9_]{1,48}$"


class CreateRecord(Schema):
    meeting_id: Id
    kind: Literal["bien_ban", "thong_bao"]
    confidential: bool = False
    signer_id: Id | None = None  # a thông báo's signer (chosen by the organiser)
    signer_authority: str = Field(default="", max_length=40)  # "TL. CHỦ TỊCH", "KT. CHỦ TỊCH", …
    signer_title: Short = ""  # "CHÁNH VĂN PHÒNG", "PHÓ CHỦ TỊCH"


class DocumentRef(Schema):
    meeting_id: Id
    document_id: Id


class SaveText(DocumentRef):
    part: str = Field(pattern=PART_PATTERN)
    field: RecordField
    html: str = Field(max_length=2_000_000)  # the sanitizer's own limit says it better (domain/richtext.py)
    base_revision: int = Field(ge=0)


class ReturnDocument(DocumentRef):
    comment: Text = ""


class CorrectDocument(DocumentRef):
    reason: Text = ""


class SaveRecipients(DocumentRef):
    recipients: list[Short] | None = Field(default=None, max_length=40)  # None: back to the defaults


class AddComment(DocumentRef):
    part: str = Field(pattern=PART_PATTERN)
    text: Text = Field(min_length=1)


def _who(ctx: MeetingContext) -> tuple[str, str]:
    return ctx.actor.id, ctx.actor.name or ctx.actor.id


async def _changed(
    ctx: MeetingContext, row: RecordDocumentRow, answer: dict[str, Any] | None = None, **extra: Any
) -> dict[str, Any]:
    """Tell the record's page (organisers, chair, secretary; the people its slots name) that a document changed,
    in a small entry (`extra`; a text itself is read with GET); answer the document, `extra` and `answer`."""
    told = {"document_id": row.id, "kind": row.kind, "status": row.status, "version": row.version}
    await ctx.record([domain.changed(told, domain.named_people(row.slots), **extra)])
    return {"meeting_id": row.meeting_id, "document": store.document_dict(row), **extra, **(answer or {})}


async def _document(ctx: MeetingContext, document_id: str) -> RecordDocumentRow:
    row = await store.load(ctx.session, document_id, for_update=True)
    if row.meeting_id != ctx.meeting.id:
        raise AppError("not_found", what="record")
    return row


async def _person(session: AsyncSession, user_id: str | None) -> dict[str, Any]:
    if not user_id:
        return {"user_id": None, "name": ""}
    user = (await directory.users_by_ids(session, [user_id])).get(user_id)
    if user is None:
        raise AppError("invalid_input", detail=f"không có người dùng {user_id}", detail_en=f"no such user {user_id}")
    return {"user_id": user.id, "name": user.full_name, "position": user.title}


async def number_invitation(ctx: MeetingContext) -> None:
    """The giấy mời takes its GM number when the meeting is first scheduled; rescheduling keeps it."""
    if await register_store.entry_of_meeting(ctx.session, ctx.meeting.id, RECORD_INVITATION) is not None:
        return
    chair = await _person(ctx.session, ctx.meeting.chair_id)
    unit_id, issuer = await issuer_of(ctx.session, ctx.meeting)
    await register_store.enter(
        ctx.session,
        unit_id=unit_id,
        symbol=issuer.symbol,
        kind=RECORD_INVITATION,
        confidential=False,
        issued_on=domain.vietnam_date(utc_now()),
        summary=f"Giấy mời {ctx.meeting.title}",
        signer=chair.get("name", ""),
        meeting_id=ctx.meeting.id,
    )


@meeting_action("record.create", CreateRecord, RECORD_WRITE)
async def create(ctx: MeetingContext, cmd: CreateRecord) -> dict[str, Any]:
    """Create a meeting's biên bản or thông báo kết luận as a draft (one open draft of each kind at a time)."""
    for row in await store.documents_of(ctx.session, ctx.meeting.id):
        if row.kind == cmd.kind and row.status not in (RECORD_SIGNING, RECORD_ISSUED):
            raise AppError("conflict", detail="văn bản loại này đang được soạn", detail_en="one is being drafted")
    signer: dict[str, Any] = {}
    if cmd.kind == RECORD_CONCLUSION:
        if cmd.signer_authority not in SIGNER_AUTHORITIES:
            raise AppError(
                "invalid_input",
                detail="thẩm quyền ký phải là TL. CHỦ TỊCH, KT. CHỦ TỊCH hoặc TM. ỦY BAN NHÂN DÂN",
                detail_en="the authority must be TL. CHỦ TỊCH, KT. CHỦ TỊCH or TM. ỦY BAN NHÂN DÂN",
            )
        who = await _person(ctx.session, cmd.signer_id or ctx.meeting.chair_id)
        signer = {
            **who,
            "authority": cmd.signer_authority,
            "title": (cmd.signer_title or who.get("position", "")).upper(),
        }
    unit_id, issuer = await issuer_of(ctx.session, ctx.meeting)
    slots = domain.slots_for(
        cmd.kind,
        await _person(ctx.session, ctx.meeting.secretary_id),
        await _person(ctx.session, ctx.meeting.chair_id),
        signer,
        issuer.issuing_body,
    )
    row = store.insert(
        ctx.session,
        meeting_id=ctx.meeting.id,
        kind=cmd.kind,
        version=await store.last_version(ctx.session, ctx.meeting.id, cmd.kind) + 1,
        confidential=cmd.confidential,
        status=DRAFT,
        unit_id=unit_id,
        slots=slots,
        signer=signer,
        created_by=ctx.actor.id,
    )
    await ctx.session.flush()
    return await _changed(ctx, row)


@meeting_action("record.text.save", SaveText, RECORD_WRITE)
async def save_text(ctx: MeetingContext, cmd: SaveText) -> dict[str, Any]:
    """Save one text (an item's diễn biến or kết luận) from `base_revision`; a stale base is refused naming who
    saved last and when. Rich text is reduced to the record's few elements, without attributes."""
    row = await _document(ctx, cmd.document_id)
    domain.check_editable(row.kind, row.status, RECORD_REVIEW in _grants(ctx))
    domain.check_part(cmd.part, tuple(i.id for i in ctx.meeting.agenda))
    html = sanitize(cmd.html)
    current = await store.text_of(ctx.session, row.id, cmd.part, cmd.field)
    revision = domain.check_base(
        current.revision if current else 0,
        cmd.base_revision,
        current.saved_by_name if current else "",
        current.saved_at if current else "",
    )
    saved = await store.save_text(ctx.session, row.id, cmd.part, cmd.field, html, revision, _who(ctx))
    text = store.text_dict(saved)
    return await _changed(
        ctx, row, {"text": text}, part=cmd.part, field=cmd.field, revision=revision, saved_by_name=saved.saved_by_name
    )


def _grants(ctx: MeetingContext) -> frozenset[str]:
    return frozenset(capabilities(ctx.actor, ctx.role))


@meeting_action("record.submit", DocumentRef, RECORD_WRITE)
async def submit(ctx: MeetingContext, cmd: DocumentRef) -> dict[str, Any]:
    """Send a draft to the chair for review."""
    row = await _document(ctx, cmd.document_id)
    row.status = domain.transition(row.kind, row.status, "submit")
    row.return_comment = ""
    return await _changed(ctx, row)


@meeting_action("record.return", ReturnDocument, RECORD_REVIEW)
async def return_(ctx: MeetingContext, cmd: ReturnDocument) -> dict[str, Any]:
    """The chair returns a document in review to draft, with a comment."""
    row = await _document(ctx, cmd.document_id)
    row.status = domain.transition(row.kind, row.status, "return")
    row.return_comment = cmd.comment
    if cmd.comment:
        await store.add_comment(ctx.session, row.id, "document", cmd.comment, _who(ctx))
    return await _changed(ctx, row)


@meeting_action("record.approve", DocumentRef, RECORD_REVIEW)
async def approve(ctx: MeetingContext, cmd: DocumentRef) -> dict[str, Any]:
    """The chair approves a document in review: the register gives its number in this transaction and its
    content is frozen (the log and texts of this moment); it then waits for its signatures."""
    row = await _document(ctx, cmd.document_id)
    status = domain.transition(row.kind, row.status, "approve")
    if ctx.meeting.status not in (ENDED, ARCHIVED):
        raise AppError(
            "invalid_input",
            detail="cuộc họp chưa kết thúc; biên bản được duyệt sau khi cuộc họp kết thúc",
            detail_en="the meeting has not ended; the record is approved after it ends",
        )
    issued_on = domain.vietnam_date(utc_now())
    signer: dict[str, Any] = next((s for s in row.slots if s["slot"] in (SLOT_CHAIR, SLOT_SIGNER)), {})
    _, issuer = await issuer_of(ctx.session, ctx.meeting)
    entry = await register_store.enter(
        ctx.session,
        unit_id=row.unit_id,
        symbol=issuer.symbol,
        kind=kind_of(row),
        confidential=row.confidential,
        issued_on=issued_on,
        summary=f"{domain.KIND_WORDS[row.kind][0]} {ctx.meeting.title}",
        signer=" ".join(x for x in (signer.get("authority", ""), signer.get("name", "")) if x),
        meeting_id=ctx.meeting.id,
        document_id=row.id,
    )
    row.content = await draft_content(ctx.session, row, ctx.meeting, entry.number, issued_on)
    row.number, row.year, row.issued_on, row.status = entry.number, entry.year, entry.issued_on, status
    if row.replaces_id:
        first = await store.load(ctx.session, row.replaces_id, for_update=True)
        first.replaced_by_id = row.id
    return await _changed(ctx, row, number_text=register_store.entry_dict(entry)["number_text"])


@meeting_action("record.correct", CorrectDocument, RECORD_WRITE)
async def correct(ctx: MeetingContext, cmd: CorrectDocument) -> dict[str, Any]:
    """Start a correction of a numbered document: a new draft version naming the first it replaces (its texts
    copied); the first stays as issued, marked replaced once the correction is approved."""
    row = await _document(ctx, cmd.document_id)
    if row.number is None:
        raise AppError(
            "invalid_input",
            detail="chỉ văn bản đã được cấp số mới lập bản đính chính; hãy sửa dự thảo",
            detail_en="only a numbered document is corrected; edit the draft instead",
        )
    for other in await store.documents_of(ctx.session, ctx.meeting.id):
        if other.kind == row.kind and other.status not in (RECORD_SIGNING, RECORD_ISSUED):
            raise AppError(
                "conflict", detail="bản đính chính đang được soạn", detail_en="a correction is being drafted"
            )
    new = store.insert(
        ctx.session,
        meeting_id=row.meeting_id,
        kind=row.kind,
        version=await store.last_version(ctx.session, row.meeting_id, row.kind) + 1,
        replaces_id=row.replaces_id or row.id,
        correction_reason=cmd.reason,
        confidential=row.confidential,
        status=DRAFT,
        unit_id=row.unit_id,
        slots=[{**s, "signed_at": None} for s in row.slots],
        signer=dict(row.signer),
        recipients=None if row.recipients is None else list(row.recipients),
        created_by=ctx.actor.id,
    )
    await ctx.session.flush()
    store.copy_texts(ctx.session, await store.texts_of(ctx.session, row.id), new.id)
    return await _changed(ctx, new)


@meeting_action("record.recipients.save", SaveRecipients, RECORD_WRITE)
async def save_recipients(ctx: MeetingContext, cmd: SaveRecipients) -> dict[str, Any]:
    """The secretary edits a draft's "Nơi nhận" (one line per recipient; none: the defaults again); it is frozen
    with the content at the approval and printed in the PDF and the .docx."""
    row = await _document(ctx, cmd.document_id)
    if row.status in domain.FROZEN:
        raise domain.frozen_error(row.kind, row.status)
    if row.status != DRAFT:
        raise domain.status_error(row.status, "sửa nơi nhận", "change its recipients")
    lines = None if cmd.recipients is None else [x.strip().rstrip(";.").strip() for x in cmd.recipients]
    row.recipients = None if lines is None else [x for x in lines if x]
    return await _changed(ctx, row, part="recipients")


@meeting_action("record.comment", AddComment, RECORD_WRITE)
async def comment(ctx: MeetingContext, cmd: AddComment) -> dict[str, Any]:
    """Comment on a document's part (the chair while reviewing; the secretary answering); kept with who and when."""
    row = await _document(ctx, cmd.document_id)
    if row.status in domain.FROZEN:
        raise domain.frozen_error(row.kind, row.status)
    domain.check_part(cmd.part, (*(i.id for i in ctx.meeting.agenda), "document"))
    saved = await store.add_comment(ctx.session, row.id, cmd.part, cmd.text, _who(ctx))
    return await _changed(ctx, row, {"comment": store.comment_dict(saved)}, part=cmd.part)


async def keep_pdf(services: Services, document_id: str, rendered: RenderedRecord) -> None:
    """Keep an approved document's PDF, rendered outside any write transaction (api/record.py renders it in a
    document worker, then calls this): a short write, never holding the database while rendering."""
    async with services.db.write() as session:
        boxes = {slot: domain.to_json(box) for slot, box in rendered.boxes.items()}
        await store.store_pdf(session, document_id, rendered.pdf, boxes)
