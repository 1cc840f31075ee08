"""Reads of signature and seal images (docs/signing.md "Images"): the kept PNG of a person or a unit."""

from __future__ import annotations

from ..actions.base import Services
from ..storage import images as store


async def png_of(services: Services, kind: str, owner_id: str) -> bytes | None:
    async with services.db.read() as session:
        return await store.png_of(session, kind, owner_id)
