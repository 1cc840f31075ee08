"""The signing phase (issue 11, docs/signing.md): one-time signature links, recording a verified signature in its
slot, the organisation's seal.

Asking for a link is an ordinary command (`record.sign.request`, in the registry: REST and the permission matrix
go through `run_action`; its token is left out of the answer kept for retries). The rest are server-driven steps
(`run_step`), not client commands: the REST routes (api/signing.py) do the heavy
work first (pyHanko in a thread, verification of the result) and only then come here to record it, in one
transaction that checks the link, the turn and that the document is still the PDF that was signed; the change is
told live as `record.changed` after the commit. A failure anywhere leaves the stored PDF as it was.
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ..domain import signing as rules
from ..domain.actors import Actor
from ..errors import AppError
from ..storage import record as record_store
from ..storage import signing as store
from ..storage.db import iso, now_iso, parse_iso
from ..vocabulary import RECORD_SEAL, RECORD_SIGN, SLOT_SEAL, MeetingPermission
from .base import MeetingContext, Services, meeting_action, run_step
from .record import DocumentRef, _changed, _document


async def _named(session: AsyncSession, actor: Actor, cmd: DocumentRef) -> bool:
    """The document's signature slots name the actor (a thông báo's signer may hold no part in the meeting)."""
    return rules.names((await record_store.load(session, cmd.document_id)).slots, actor.id)


@meeting_action("record.sign.request", DocumentRef, RECORD_SIGN, secret_fields=("token",), named=_named)
async def request_link(ctx: MeetingContext, cmd: DocumentRef) -> dict[str, Any]:
    """Ask for a one-time link to sign the waiting slot (the person it names): its token is shown now and kept only
    hashed, bound to them, the slot and the PDF as it is now, expiring after `rules.LINK_LIFETIME`."""
    row = await _document(ctx, cmd.document_id)
    waiting = rules.check_turn(row.status, row.slots, ctx.actor.id)
    if row.pdf is None:  # REST renders and keeps it first (api/signing.sign_request)
        raise AppError(
            "conflict",
            detail="bản PDF để ký chưa được tạo; hãy mở bản PDF rồi thử lại",
            detail_en="the PDF to sign is not made yet; open the PDF and try again",
        )
    token = secrets.token_urlsafe(32)
    request = store.insert(
        ctx.session,
        document_id=row.id,
        meeting_id=row.meeting_id,
        slot=waiting["slot"],
        user_id=ctx.actor.id,
        token_hash=rules.token_hash(token),
        pdf_sha256=rules.pdf_sha256(row.pdf),
        expires_at=iso(datetime.now(UTC) + rules.LINK_LIFETIME),
    )
    await ctx.session.flush()
    return {
        "meeting_id": ctx.meeting.id,
        "request_id": request.id,
        "token": token,
        "slot": waiting["slot"],
        "expires_at": request.expires_at,
        "sha256": request.pdf_sha256,
    }


async def _usable(ctx: MeetingContext, request_id: str, token: str) -> Any:
    request = await store.load(ctx.session, request_id, for_update=True)
    rules.check_link(request.token_hash, request.used_at, parse_iso(request.expires_at), token, datetime.now(UTC))
    if request.user_id != ctx.actor.id or request.meeting_id != ctx.meeting.id:
        raise AssertionError("the link's actor and meeting come from the link itself")
    return request


async def save_prepared(
    services: Services, actor: Actor, meeting_id: str, request_id: str, token: str, state: bytes
) -> None:
    """Keep what `finish` needs (signing/prepare.py's state) on the link, after the certificate was checked."""

    async def step(ctx: MeetingContext) -> dict[str, Any]:
        request = await _usable(ctx, request_id, token)
        row = await record_store.load(ctx.session, request.document_id)
        rules.check_unchanged(row.pdf, request.pdf_sha256)
        rules.check_turn(row.status, row.slots, ctx.actor.id, request.slot)
        request.state = state
        return {}

    async def named(session: AsyncSession) -> bool:
        return (await store.load(session, request_id)).user_id == actor.id  # the link is the person's own

    await run_step(services, actor, meeting_id, RECORD_SIGN, "record.sign.prepare", step, named)


async def record_signed(
    services: Services,
    actor: Actor,
    *,
    meeting_id: str,
    document_id: str,
    slot: str,
    signed_from: str,
    pdf: bytes,
    link: tuple[str, str] | None = None,
) -> dict[str, Any]:
    """Record `pdf` (signed in `slot` and verified by the caller) as the document, if it is still `slot`'s turn
    and the stored PDF is still the one it was signed from (SHA-256 `signed_from`); with `link` (request id,
    token) the link is used up in the same transaction. The seal is an organiser's step; a person signs their own
    slot. The last slot issues the document (storage/record.record_signature)."""
    permission: MeetingPermission = RECORD_SEAL if slot == SLOT_SEAL else RECORD_SIGN

    async def step(ctx: MeetingContext) -> dict[str, Any]:
        request = await _usable(ctx, *link) if link is not None else None
        row = await _document(ctx, document_id)
        rules.check_unchanged(row.pdf, signed_from)
        waiting = rules.check_turn(row.status, row.slots, None if slot == SLOT_SEAL else ctx.actor.id, slot)
        if request is not None:
            request.used_at = now_iso()
        row = await record_store.record_signature(ctx.session, row.id, waiting["slot"], pdf)
        return await _changed(ctx, row, slot=waiting["slot"], signed_by=waiting["name"])

    async def named(session: AsyncSession) -> bool:
        return rules.names((await record_store.load(session, document_id)).slots, actor.id)

    name = "record.seal" if slot == SLOT_SEAL else "record.sign"
    return await run_step(services, actor, meeting_id, permission, name, step, None if slot == SLOT_SEAL else named)
