"""The REST side of the refusal audit (meeting_server/refusals.py): an audited refusal of an /api request is
written through the authenticator, which coalesces them."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from aiohttp import web

from ..errors import AppError
from ..vocabulary import AUDITED_REFUSALS
from .common import AUTH, IDENTITY, client_ip


@web.middleware
async def refusal_audit_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except AppError as err:
        if err.code in AUDITED_REFUSALS and request.path.startswith("/api"):
            identity = request.get(IDENTITY)
            where = {"method": request.method, "path": request.path[:200]}
            await request.app[AUTH].refused(
                err.code, actor_id=identity.actor.id if identity else None, ip=client_ip(request), where=where
            )
        raise
