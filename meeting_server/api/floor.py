"""Read route of the floor: the speeches and the speaking time, for the minutes (the changes are actions: see
routes.py)."""

from __future__ import annotations

import asyncio

from aiohttp import web

from ..auth import Identity
from ..documents.speeches import speeches_csv
from ..errors import AppError
from ..views import floor as floor_views
from .common import SERVICES, json_response
from .reads import _need, view


@view("GET", "/api/meetings/{meeting_id}/speeches")
async def speeches(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    """Every speech and the speaking time per person, site and agenda item; ?format=csv for the minutes."""
    data = await floor_views.speeches(request.app[SERVICES], _need(identity).actor, request.match_info["meeting_id"])
    fmt = request.query.get("format", "json")
    if fmt == "json":
        return json_response(data)
    if fmt != "csv":
        raise AppError("invalid_input", detail="format phải là json hoặc csv", detail_en="format must be json or csv")
    body = await asyncio.to_thread(speeches_csv, data)
    disposition = {"Content-Disposition": 'attachment; filename="thoi-gian-phat-bieu.csv"'}
    return web.Response(body=body, content_type="text/csv", charset="utf-8", headers=disposition)
