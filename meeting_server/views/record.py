"""The record as its writers read it: the log's facts per agenda item and for the meeting (views: one read each),
the documents with their texts, comments and slots, and the register.

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
    REGISTER_READ,
    MeetingPermission,
)
from .meetings import visible_in
from .record_facts import defaults_of, draft_content, facts_of


async def meeting_record(services: Services, actor: Actor, meeting_id: str) -> dict[str, Any]:
    """GET /api/meetings/{id}/record: the meeting's documents and the log's facts."""
    async with services.db.read() as session:
        state, _ = await visible_in(session, actor, meeting_id)
        require(actor, state, RECORD_READ)
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


async def document(services: Services, actor: Actor, document_id: str) -> dict[str, Any]:
    """GET /api/record/{id}: status, version, number, texts with revisions, comments, slots (and frozen content)."""
    async with services.db.read() as session:
        row, state = await _readable(session, actor, document_id)
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
    """What the PDF route needs: the stored PDF, or what to render (frozen content, or a draft's from now); a
    signer (RECORD_SIGN) gets the PDF they sign."""
    return await _source(services, actor, document_id, stored=True, permission=permission)


async def docx_source(services: Services, actor: Actor, document_id: str) -> dict[str, Any]:
    """What the .docx is made from: the frozen content, or a draft's from now."""
    return await _source(services, actor, document_id, stored=False)


async def _source(
    services: Services, actor: Actor, document_id: str, stored: bool, permission: MeetingPermission = RECORD_READ
) -> dict[str, Any]:
    async with services.db.read() as session:
        row, state = await _readable(session, actor, document_id, permission)
        if stored and row.pdf is not None:
            return {"pdf": row.pdf, "kind": row.kind, "is_draft": False}
        if row.content is not None:
            return {"content": row.content, "kind": row.kind, "is_draft": False}
        return {"content": await draft_content(session, row, state), "kind": row.kind, "is_draft": True}


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
