"""Read routes of votes (the changes are actions: see routes.py)."""

from __future__ import annotations

from aiohttp import web

from ..auth import Identity
from ..views import votes as vote_views
from .common import SERVICES, json_response
from .reads import _need, view


@view("GET", "/api/meetings/{meeting_id}/votes")
async def votes(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    """A meeting's votes, their turnout and results, and its authorisations (proxies)."""
    actor = _need(identity).actor
    return json_response(await vote_views.meeting_votes(request.app[SERVICES], actor, request.match_info["meeting_id"]))
