"""REST of signature and seal images (docs/api.md "Signature and seal images"): `PUT` sends the image itself as
the body (PNG or JPEG, at most 1 MB); it is re-encoded in a document worker (signing/images.reencode) and the
fresh PNG kept through the registry's action, so a refusal saves nothing. `GET` serves the kept PNG: a person's
own signature to that person, a unit's seal to administrators."""

from __future__ import annotations

import base64

from aiohttp import web

from ..actions.base import run_action
from ..auth import Identity
from ..errors import AppError
from ..signing.images import reencode, refused
from ..views import images as image_views
from ..vocabulary import DIRECTORY_MANAGE, IMAGE_SEAL, IMAGE_SIGNATURE
from .common import SERVICES, WORKERS, client_ip, json_response
from .reads import _need, view

REENCODE_TIMEOUT = 60.0


async def _upload(request: web.Request, kind: str) -> str:
    """The body, re-encoded: base64 of the PNG to keep."""
    data = await request.read()  # past Settings.max_body_bytes: 413 payload_too_large
    if not data:
        raise refused(kind, "không có tệp ảnh trong yêu cầu", "the request holds no image")
    kept = await request.app[WORKERS].run(reencode, data, kind, timeout=REENCODE_TIMEOUT)
    return base64.b64encode(kept.png).decode("ascii")


async def _png(request: web.Request, kind: str, owner_id: str) -> web.StreamResponse:
    png = await image_views.png_of(request.app[SERVICES], kind, owner_id)
    if png is None:
        raise AppError("not_found", what=f"{kind}_image")
    return web.Response(body=png, content_type="image/png", headers={"Cache-Control": "private, no-cache"})


@view("GET", "/api/me/signature-image")
async def my_signature_image(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    return await _png(request, IMAGE_SIGNATURE, _need(identity).actor.id)


@view("PUT", "/api/me/signature-image")
async def put_my_signature_image(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    actor = _need(identity).actor
    png = await _upload(request, IMAGE_SIGNATURE)
    result = await run_action(
        request.app[SERVICES], actor, "me.signature_image.set", {"png": png}, ip=client_ip(request)
    )
    return json_response(result)


def _admin(identity: Identity | None) -> Identity:
    who = _need(identity)
    if not who.actor.may(DIRECTORY_MANAGE):
        raise AppError("forbidden")
    return who


@view("GET", "/api/units/{unit_id}/seal-image")
async def seal_image(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    _admin(identity)
    return await _png(request, IMAGE_SEAL, request.match_info["unit_id"])


@view("PUT", "/api/units/{unit_id}/seal-image")
async def put_seal_image(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    actor = _admin(identity).actor  # before the worker decodes anything
    png = await _upload(request, IMAGE_SEAL)
    args = {"unit_id": request.match_info["unit_id"], "png": png}
    return json_response(
        await run_action(request.app[SERVICES], actor, "unit.seal_image.set", args, ip=client_ip(request))
    )
