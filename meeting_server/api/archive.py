"""Read routes of the archive (docs/archive.md): the archived meetings a person may see, filtered by year, unit
and kind; an archived meeting's dossier state and its zip (organisers: `dossier.download`). Restricted papers stay
restricted: an archived meeting's papers are read through the same views as before (api/papers.py)."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from ..archive.dossier import dossier_path
from ..archive.jobs import DossierBuilder
from ..auth import Identity
from ..domain.meetings import require
from ..errors import AppError
from ..views import archive as archive_views
from ..views import meetings as meeting_views
from ..vocabulary import ARCHIVED, DOSSIER_DOWNLOAD
from .common import SERVICES, json_response
from .reads import _need, view

DOSSIERS = web.AppKey("dossiers", DossierBuilder)


@view("GET", "/api/archive")
async def archive(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    services = request.app[SERVICES]
    query = request.query
    found = await archive_views.archived(
        services,
        _need(identity).actor,
        year=query.get("year") or None,
        unit_id=query.get("unit_id") or None,
        kind=query.get("kind") or None,
        builder=request.app[DOSSIERS],
    )
    return json_response(found)


async def _dossier_of(request: web.Request, identity: Identity | None) -> tuple[str, Any]:
    services = request.app[SERVICES]
    actor = _need(identity).actor
    state, _ = await meeting_views.visible_meeting(services, actor, request.match_info["meeting_id"])
    require(actor, state, DOSSIER_DOWNLOAD)
    if state.status != ARCHIVED:
        raise AppError("invalid_transition", action="dossier", status=state.status)
    return state.id, state


@view("GET", "/api/meetings/{meeting_id}/dossier")
async def dossier_state(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    meeting_id, _ = await _dossier_of(request, identity)
    return json_response(archive_views.dossier_state(request.app[SERVICES], request.app[DOSSIERS], meeting_id))


@view("GET", "/api/meetings/{meeting_id}/dossier.zip")
async def dossier_zip(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    meeting_id, _ = await _dossier_of(request, identity)
    path = dossier_path(request.app[SERVICES], meeting_id)
    if request.app[DOSSIERS].status(meeting_id) != "ready":
        raise AppError("not_found", what="dossier")
    return web.FileResponse(
        path,
        headers={
            "Content-Type": "application/zip",
            "Content-Disposition": f'attachment; filename="ho-so-{meeting_id}.zip"',
        },
    )
