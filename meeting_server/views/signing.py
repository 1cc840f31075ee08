"""Reads of the signing phase: what a signing link is for (checked: its token, unused, not expired, its person's
turn, the document unchanged), and what a document's signer or sealer signs (the PDF, its box). The routes do the
heavy work with these and record the result through actions/signing.py, which checks it all again."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from ..actions.base import Services
from ..auth import actor_of_user
from ..domain import signing as rules
from ..domain.actors import Actor
from ..domain.record import KIND_WORDS
from ..domain.record_content import KIND_SYMBOLS, SignatureBox
from ..errors import AppError
from ..signing.appearance import Look
from ..storage import directory
from ..storage import images as image_store
from ..storage import record as record_store
from ..storage import signing as store
from ..storage.db import parse_iso
from ..vocabulary import IMAGE_SEAL, IMAGE_SIGNATURE, RECORD_SEAL, RECORD_SIGN, SLOT_SEAL
from .record import _readable


@dataclass(frozen=True)
class ToSign:
    """One slot of one document, as it is to be signed now."""

    meeting_id: str
    meeting_title: str
    document_id: str
    kind: str
    number: str  # "01/BB-UBND"
    title: str  # "Biên bản Cuộc họp …"
    slot: dict[str, Any]  # the waiting slot: slot, user_id, name, title, authority
    pdf: bytes
    box: SignatureBox
    signed_slots: int  # signatures already in the PDF
    actor: Actor | None = None  # a link's person
    state: bytes | None = None  # a link's prepared signing state
    image: bytes | None = None  # the slot person's signature image, or the issuing unit's seal image (PNG)

    @property
    def look(self) -> Look:
        """How the slot's signature looks: its image when one is kept, the text appearance otherwise."""
        return Look(image=self.image, seal=self.slot["slot"] == SLOT_SEAL)

    @property
    def sha256(self) -> str:
        return rules.pdf_sha256(self.pdf)


def _number(row: Any) -> str:
    symbol = (row.content or {}).get("number", {}).get("issuer_symbol", "")
    base = f"{row.number:02d}/{KIND_SYMBOLS[row.kind]}" if row.number is not None else KIND_SYMBOLS[row.kind]
    return f"{base}-{symbol}" if symbol else base


def _box(row: Any, slot: str) -> SignatureBox:
    """Where the slot's signature goes: its box in the rendering. The seal is placed from the signer's box (its
    field is `seal_box` of it, over the left third of the signature: signing/appearance.py)."""
    boxes = row.boxes or {}
    raw = boxes.get("signer" if slot == SLOT_SEAL else slot)
    if raw is None:
        raise AppError("invalid_input", detail=f"văn bản không có ô ký {slot}", detail_en=f"no box for slot {slot}")
    return SignatureBox(**raw)


async def _to_sign(session: Any, row: Any, waiting: dict[str, Any], **extra: Any) -> ToSign:
    if row.pdf is None:
        raise AppError("signing_document_changed")
    titles = await record_store.meeting_titles(session, {row.meeting_id})
    if waiting["slot"] == SLOT_SEAL:  # the seal of the unit that issues the document (its register's)
        image = await image_store.png_of(session, IMAGE_SEAL, row.unit_id)
    else:
        image = await image_store.png_of(session, IMAGE_SIGNATURE, waiting.get("user_id") or "")
    meeting_title = titles.get(row.meeting_id, "")
    return ToSign(
        meeting_id=row.meeting_id,
        meeting_title=meeting_title,
        document_id=row.id,
        kind=row.kind,
        number=_number(row),
        title=f"{KIND_WORDS[row.kind][0]} {meeting_title}",
        slot=dict(waiting),
        pdf=row.pdf,
        box=_box(row, waiting["slot"]),
        signed_slots=sum(1 for s in row.slots if s["signed_at"]),
        image=image,
        **extra,
    )


async def by_link(services: Services, request_id: str, token: str, *, prepared: bool = False) -> ToSign:
    """What a signing link signs, after checking it (and, with `prepared`, that its certificate was sent)."""
    async with services.db.read() as session:
        request = await store.load(session, request_id)
        rules.check_link(request.token_hash, request.used_at, parse_iso(request.expires_at), token, datetime.now(UTC))
        user = (await directory.users_by_ids(session, [request.user_id])).get(request.user_id)
        if user is None or not user.active:
            raise AppError("signing_link_invalid")
        row = await record_store.load(session, request.document_id)
        rules.check_unchanged(row.pdf, request.pdf_sha256)  # first: "signed since" says more than "not your turn"
        waiting = rules.check_turn(row.status, row.slots, request.user_id, request.slot)
        if prepared and request.state is None:
            raise AppError("signing_not_prepared")
        return await _to_sign(session, row, waiting, actor=actor_of_user(user), state=request.state)


async def for_signer(services: Services, actor: Actor, document_id: str, *, seal: bool = False) -> ToSign:
    """What `actor` signs now in `document_id` (their own waiting slot), or seals (an organiser; the seal's turn)."""
    async with services.db.read() as session:
        row, _ = await _readable(session, actor, document_id, RECORD_SEAL if seal else RECORD_SIGN)
        waiting = rules.check_turn(row.status, row.slots, None if seal else actor.id, SLOT_SEAL if seal else None)
        return await _to_sign(session, row, waiting)
