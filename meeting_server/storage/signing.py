"""Signature requests (table signing_requests): the one-time links a record document's signers use."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from ..errors import AppError
from .db import new_id, now_iso
from .models import SigningRequestRow


def insert(
    session: AsyncSession,
    *,
    document_id: str,
    meeting_id: str,
    slot: str,
    user_id: str,
    token_hash: str,
    pdf_sha256: str,
    expires_at: str,
) -> SigningRequestRow:
    row = SigningRequestRow(
        id=new_id("sg"),
        document_id=document_id,
        meeting_id=meeting_id,
        slot=slot,
        user_id=user_id,
        token_hash=token_hash,
        pdf_sha256=pdf_sha256,
        created_at=now_iso(),
        expires_at=expires_at,
    )
    session.add(row)
    return row


async def load(session: AsyncSession, request_id: str, *, for_update: bool = False) -> SigningRequestRow:
    query = select(SigningRequestRow).where(SigningRequestRow.id == request_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).scalar_one_or_none()
    if row is None:
        raise AppError("signing_link_invalid")
    return row
