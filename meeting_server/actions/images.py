"""Signature and seal images (docs/signing.md "Images"): a person sets their own signature image, an administrator
a unit's seal image. The REST route (api/images.py) re-encodes the upload in a document worker first
(signing/images.reencode) and sends the PNG it made; these check it is such a PNG (its header: a PNG of at most
600 pixels a side) before keeping it, so a command sent over the socket cannot store anything else. Signing
decodes it again, in its thread, and falls back to the text appearance if it cannot."""

from __future__ import annotations

import base64
import binascii
from typing import Any

from pydantic import Field

from ..signing.images import MAX_UPLOAD_BYTES, looks_kept, refused
from ..storage import directory
from ..storage import images as store
from ..vocabulary import ACCOUNT_EDIT, DIRECTORY_MANAGE, IMAGE_SEAL, IMAGE_SIGNATURE
from .base import Context, Schema, action
from .schemas import Id

PNG_B64_MAX = (MAX_UPLOAD_BYTES * 4) // 3 + 4


class SetSignatureImage(Schema):
    png: str = Field(min_length=1, max_length=PNG_B64_MAX)  # base64 of the re-encoded PNG


class SetSealImage(Schema):
    unit_id: Id
    png: str = Field(min_length=1, max_length=PNG_B64_MAX)


class NoArgs(Schema):
    pass


class SealRef(Schema):
    unit_id: Id


def _kept(kind: str, b64: str) -> tuple[bytes, tuple[int, int]]:
    try:
        png = base64.b64decode(b64, validate=True)
    except (binascii.Error, ValueError):
        png = b""
    size = looks_kept(png)
    if size is None:
        raise refused(kind, "không phải ảnh PNG đã chuẩn hóa", "not a normalised PNG")
    return png, size


def _url(kind: str, owner_id: str) -> str:
    return "/api/me/signature-image" if kind == IMAGE_SIGNATURE else f"/api/units/{owner_id}/seal-image"


async def _set(ctx: Context, kind: str, owner_id: str, b64: str) -> dict[str, Any]:
    png, size = _kept(kind, b64)
    row = await store.put(ctx.session, kind, owner_id, png, size, ctx.actor.id)
    await ctx.audit(f"{kind}_image_set", owner_id, sha256=row.sha256)
    return store.image_dict(row, _url(kind, owner_id))


async def _delete(ctx: Context, kind: str, owner_id: str) -> dict[str, Any]:
    if await store.remove(ctx.session, kind, owner_id):
        await ctx.audit(f"{kind}_image_deleted", owner_id)
    return store.image_dict(None, _url(kind, owner_id))


@action("me.signature_image.set", SetSignatureImage, ACCOUNT_EDIT)
async def set_signature_image(ctx: Context, cmd: SetSignatureImage) -> dict[str, Any]:
    """Set or replace my signature image (chữ ký), shown in my signature box when I sign."""
    return await _set(ctx, IMAGE_SIGNATURE, ctx.actor.id, cmd.png)


@action("me.signature_image.delete", NoArgs, ACCOUNT_EDIT)
async def delete_signature_image(ctx: Context, cmd: NoArgs) -> dict[str, Any]:
    """Delete my signature image; my signatures then show my name and the time."""
    return await _delete(ctx, IMAGE_SIGNATURE, ctx.actor.id)


@action("unit.seal_image.set", SetSealImage, DIRECTORY_MANAGE)
async def set_seal_image(ctx: Context, cmd: SetSealImage) -> dict[str, Any]:
    """Set or replace a unit's seal image (con dấu), shown where its documents are sealed."""
    await directory.get_unit(ctx.session, cmd.unit_id)
    return await _set(ctx, IMAGE_SEAL, cmd.unit_id, cmd.png)


@action("unit.seal_image.delete", SealRef, DIRECTORY_MANAGE)
async def delete_seal_image(ctx: Context, cmd: SealRef) -> dict[str, Any]:
    """Delete a unit's seal image; its seal then shows as a drawn red ring."""
    await directory.get_unit(ctx.session, cmd.unit_id)
    return await _delete(ctx, IMAGE_SEAL, cmd.unit_id)
