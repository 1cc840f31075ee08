"""The record as its writers read it: the log's facts per agenda item and for the meeting (views: one read each),
the documents with their texts, comments and slots, and the register. The person a document's signature slot
names reads that document as its signer (`signer_view`: what they sign, no texts, comments or facts), whatever
their part in the meeting (vocabulary.NAMED_PERMISSIONS).

The facts and the content builder are `views/record_facts.py`'s, which the approving action uses too.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ..actions.base import Services
from ..domain import signing as signing_rules
from ..domain.actors import Actor
from ..domain.meetings import require, require_or_named
from ..errors import AppError
from ..storage import meetings as meeting_store
from ..storage import record as store
from ..storage import register as register_store
from ..vocabulary import (
    RECORD_READ,
    RECORD_SIGN,
    REGISTER_READ,
    MeetingPermission,
)
from .record_facts import defaults_of, draft_content, facts_of

# What the signer's view of a document shows (store.document_dict's fields, without the chair's return comment
# or the recipients list: the organisers' workspace).
SIGNER_FIELDS = (
    "id",
    "meeting_id",
    "kind",
    "version",
    "replaces_id",
    "replaced_by_id",
    "confidential",
    "status",
    "number",
    "number_text",
    "year",
    "issued_on",
    "slots",
    "signer",
    "has_pdf",
    "updated_at",
)


def signer_view(row: Any, meeting_title: str) -> dict[str, Any]:
    """A document as the person its slot names reads it: what they sign (number, kind, state, slots and their
    signing state, the PDF's link); `view: "signer"` tells the page to show the signing panel, not the editor."""
    shown = store.document_dict(row)
    return {
        **{k: shown[k] for k in SIGNER_FIELDS},
        "view": "signer",
        "meeting_title": meeting_title,
        "pdf_url": f"/api/record/{row.id}/pdf",
    }


async def meeting_record(services: Services, actor: Actor, meeting_id: str) -> dict[str, Any]:
    """GET /api/meetings/{id}/record: the meeting's documents and the log's facts (`record.read`); for a person
    without it whom a signature slot names, the documents naming them (current versions) as `signer_view`s, no
    facts; anyone else gets the usual refusal."""
    async with services.db.read() as session:
        state = meeting_store.state_of(await meeting_store.load(session, meeting_id))
        try:
            require(actor, state, RECORD_READ)
        except AppError:
            rows = await store.documents_of(session, meeting_id)
            named = [d for d in rows if not d.replaced_by_id and signing_rules.names(d.slots, actor.id)]
            if not named:
                raise
            role = require_or_named(actor, state, RECORD_SIGN, True)
            documents = [signer_view(d, state.title) for d in named]
            # `in_meeting`: whether they hold a part there (a socket to it, to hear record.changed)
            return {
                "meeting_id": meeting_id,
                "view": "signer",
                "title": state.title,
                "in_meeting": role is not None,
                "documents": documents,
            }
        documents = [store.document_dict(d) for d in await store.documents_of(session, meeting_id)]
        facts = await facts_of(session, state)
    return {"meeting_id": meeting_id, "documents": documents, "facts": facts}


async def _readable(
    session: AsyncSession, actor: Actor, document_id: str, permission: MeetingPermission = RECORD_READ
) -> Any:
    """The document and its meeting, if the actor holds `permission` there (reading, or signing it: RECORD_SIGN,
    which a person its signature slots name holds whatever their part: vocabulary.NAMED_PERMISSIONS)."""
    row = await store.load(session, document_id)
    state = meeting_store.state_of(await meeting_store.load(session, row.meeting_id))
    require_or_named(actor, state, permission, signing_rules.names(row.slots, actor.id))
    return row, state


async def _read_or_sign(session: AsyncSession, actor: Actor, document_id: str) -> tuple[Any, Any, bool]:
    """The document, its meeting and whether the actor reads it whole (`record.read`); else, if a slot names
    them, as its signer (False); else the refusal `record.read` gives."""
    try:
        row, state = await _readable(session, actor, document_id)
        return row, state, True
    except AppError:
        row = await store.load(session, document_id)
        if not signing_rules.names(row.slots, actor.id):
            raise
        row, state = await _readable(session, actor, document_id, RECORD_SIGN)
        return row, state, False


async def document(services: Services, actor: Actor, document_id: str) -> dict[str, Any]:
    """GET /api/record/{id}: status, version, number, texts with revisions, comments, slots (and frozen content);
    the person a slot names without `record.read`: its `signer_view`."""
    async with services.db.read() as session:
        row, state, whole = await _read_or_sign(session, actor, document_id)
        if not whole:
            return signer_view(row, state.title)
        texts = [store.text_dict(t) for t in await store.texts_of(session, document_id)]
        comments = [store.comment_dict(c) for c in await store.comments_of(session, document_id)]
        defaults = await defaults_of(session, row, state)
    return {
        **store.document_dict(row),
        "texts": texts,
        "comments": comments,
        "defaults": defaults,
        "content": row.content,
        "boxes": row.boxes,
    }


async def meeting_of_document(services: Services, document_id: str) -> str:
    async with services.db.read() as session:
        return await store.meeting_of(session, document_id)


async def pdf_source(
    services: Services, actor: Actor, document_id: str, permission: MeetingPermission = RECORD_READ
) -> dict[str, Any]:
    """What the PDF route needs: the stored PDF, or what to render (frozen content, or a draft's from now); the
    person a slot names reads it too (the PDF they sign), and a signing step asks with RECORD_SIGN."""
    return await _source(services, actor, document_id, stored=True, permission=permission)


async def docx_source(services: Services, actor: Actor, document_id: str) -> dict[str, Any]:
    """What the .docx is made from: the frozen content, or a draft's from now."""
    return await _source(services, actor, document_id, stored=False)


async def _source(
    services: Services, actor: Actor, document_id: str, stored: bool, permission: MeetingPermission = RECORD_READ
) -> dict[str, Any]:
    async with services.db.read() as session:
        if stored and permission == RECORD_READ:  # the PDF (not the .docx): its named signer reads it too
            row, state, _ = await _read_or_sign(session, actor, document_id)
        else:
            row, state = await _readable(session, actor, document_id, permission)
        if stored and row.pdf is not None:
            return {"pdf": row.pdf, "kind": row.kind, "is_draft": False}
        if row.content is not None:
            return {"content": row.content, "kind": row.kind, "is_draft": False}
        return {"content": await draft_content(session, row, state), "kind": row.kind, "is_draft": True}


async def awaiting(services: Services, actor: Actor) -> list[dict[str, Any]]:
    """GET /api/signatures/awaiting: the documents whose turn to sign is the actor's (their slot waits), with the
    meeting's title and the record page that signs them; empty for anyone else (a signed-in person's own list)."""
    async with services.db.read() as session:
        rows = []
        for row in await store.being_signed(session):
            waiting = signing_rules.waiting_slot(row.status, row.slots)  # a document being signed has one
            if waiting.get("user_id") == actor.id:
                rows.append((row, waiting))
        titles = await store.meeting_titles(session, {r.meeting_id for r, _ in rows})
    return [
        {
            **signer_view(row, titles.get(row.meeting_id, "")),
            "slot": waiting["slot"],
            "page": f"/meetings/{row.meeting_id}/record",
        }
        for row, waiting in rows
    ]


def register_scope(actor: Actor, unit_id: str | None) -> str | None:
    """The unit whose register the actor may read: an administrator any (None: all), a secretary their own."""
    if REGISTER_READ not in actor.capabilities:
        raise AppError("forbidden")
    if actor.is_admin:
        return unit_id
    if not actor.unit_id or (unit_id is not None and unit_id != actor.unit_id):
        raise AppError("forbidden")
    return actor.unit_id


async def register(
    services: Services, actor: Actor, unit_id: str | None, kind: str | None, year: int | None, confidential: bool | None
) -> list[dict[str, Any]]:
    """The register's lines the actor may read, each with its document link and the signer."""
    scope = register_scope(actor, unit_id)
    async with services.db.read() as session:
        rows = await register_store.listing(session, unit_id=scope, kind=kind, year=year, confidential=confidential)
        meetings = await store.meeting_titles(session, {r.meeting_id for r in rows if r.meeting_id})
    return [
        {
            **register_store.entry_dict(r),
            "meeting_title": meetings.get(r.meeting_id or "", ""),
            "link": f"/api/record/{r.document_id}/pdf"
            if r.document_id
            else f"/api/meetings/{r.meeting_id}/invitation.pdf",
        }
        for r in rows
    ]
