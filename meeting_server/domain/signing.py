"""The signing phase's rules (pure): whose turn it is, what a one-time link must be to be used, and the PDF it was
made for. actions/signing.py applies them in its transactions; views/signing.py before the heavy work."""

from __future__ import annotations

import hashlib
import hmac
from datetime import datetime, timedelta
from typing import Any

from ..errors import AppError
from ..vocabulary import RECORD_SIGNING

LINK_LIFETIME = timedelta(minutes=30)
"""How long a signing link may be used: time to plug in the token, read the document and type the PIN."""


def token_hash(token: str) -> str:
    """What is kept of a link's token (the token itself is shown once, to its person)."""
    return hashlib.sha256(token.encode()).hexdigest()


def pdf_sha256(pdf: bytes | None) -> str:
    return hashlib.sha256(pdf or b"").hexdigest()


def waiting_slot(status: str, slots: list[dict[str, Any]]) -> dict[str, Any]:
    """The slot that signs next; refused when the document is not being signed."""
    waiting = next((s for s in slots if s["signed_at"] is None), None) if status == RECORD_SIGNING else None
    if waiting is None:
        raise AppError(
            "invalid_input", detail="văn bản không ở bước ký số", detail_en="the document is not being signed"
        )
    return waiting


def check_turn(
    status: str, slots: list[dict[str, Any]], user_id: str | None, slot: str | None = None
) -> dict[str, Any]:
    """The waiting slot, when it is `slot` (if given) and `user_id`'s (None: the organisation's seal)."""
    waiting = waiting_slot(status, slots)
    if waiting["user_id"] != user_id or (slot is not None and waiting["slot"] != slot):
        who = waiting["name"] or waiting["slot"]
        title = f" ({waiting['title']})" if waiting.get("title") else ""
        raise AppError("signing_not_your_turn", detail=f"văn bản đang chờ {who}{title} ký")
    return waiting


def names(slots: list[dict[str, Any]], user_id: str) -> bool:
    """Whether a signature slot names this person (vocabulary.NAMED_PERMISSIONS: they may then sign it)."""
    return any(s.get("user_id") == user_id for s in slots)


def check_link(token_hash_kept: str, used_at: str | None, expires_at: datetime, token: str, now: datetime) -> None:
    """A link is used with its own token, once, before it expires (in that order: a replayed link is "used")."""
    if not hmac.compare_digest(token_hash_kept, token_hash(token)):
        raise AppError("signing_link_invalid")
    if used_at is not None:
        raise AppError("signing_link_used")
    if now >= expires_at:
        raise AppError("signing_link_expired")


def check_unchanged(pdf: bytes | None, sha256_then: str) -> None:
    """The document is still the PDF the signer was shown (nobody signed or remade it since)."""
    if pdf is None or not hmac.compare_digest(pdf_sha256(pdf), sha256_then):
        raise AppError("signing_document_changed")
