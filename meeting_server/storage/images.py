"""Signature and seal images (migration 0013): one row per person's signature and per unit's seal."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..vocabulary import IMAGE_SEAL as SEAL
from ..vocabulary import IMAGE_SIGNATURE as SIGNATURE
from .db import new_id, now_iso
from .models import SignatureImageRow


def _owner(kind: str, owner_id: str) -> Any:
    column = SignatureImageRow.user_id if kind == SIGNATURE else SignatureImageRow.unit_id
    return column == owner_id


async def find(session: AsyncSession, kind: str, owner_id: str) -> SignatureImageRow | None:
    """The person's signature (`kind` SIGNATURE, a user id) or the unit's seal (SEAL, a unit id), if kept."""
    if not owner_id:
        return None
    return (await session.execute(select(SignatureImageRow).where(_owner(kind, owner_id)))).scalar_one_or_none()


async def png_of(session: AsyncSession, kind: str, owner_id: str) -> bytes | None:
    row = await find(session, kind, owner_id)
    return row.png if row is not None else None


async def put(
    session: AsyncSession, kind: str, owner_id: str, png: bytes, size: tuple[int, int], by: str
) -> SignatureImageRow:
    """Keep `png` as the owner's image, replacing the one before."""
    row = await find(session, kind, owner_id)
    if row is None:
        row = SignatureImageRow(
            id=new_id("img"),
            kind=kind,
            user_id=owner_id if kind == SIGNATURE else None,
            unit_id=owner_id if kind == SEAL else None,
        )
        session.add(row)
    row.png, (row.width, row.height) = png, size
    row.sha256 = hashlib.sha256(png).hexdigest()
    row.updated_by, row.updated_at = by, now_iso()
    await session.flush()
    return row


async def remove(session: AsyncSession, kind: str, owner_id: str) -> bool:
    """Delete the owner's image; False when there was none."""
    result = await session.execute(delete(SignatureImageRow).where(_owner(kind, owner_id)))
    return bool(getattr(result, "rowcount", 0))


def image_dict(row: SignatureImageRow | None, url: str) -> dict[str, Any]:
    """What the API says of an image (never its bytes: `url` serves them)."""
    if row is None:
        return {"present": False, "url": None}
    return {
        "present": True,
        "url": f"{url}?v={row.sha256[:16]}",
        "width": row.width,
        "height": row.height,
        "sha256": row.sha256,
        "updated_at": row.updated_at,
    }
