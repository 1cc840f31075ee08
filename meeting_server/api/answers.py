"""Read routes of the answers to the invitation (the changes are actions: see routes.py)."""

from __future__ import annotations

from aiohttp import web

from ..auth import Identity
from ..views import answers as answer_views
from .common import SERVICES, json_response
from .reads import _need, view


@view("GET", "/api/meetings/{meeting_id}/answers")
async def answers(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    """Every invitee's answer and the counts per kind (the organisers)."""
    actor = _need(identity).actor
    return json_response(await answer_views.answers(request.app[SERVICES], actor, request.match_info["meeting_id"]))


@view("GET", "/api/meetings/{meeting_id}/answer")
async def my_answer(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    """My answer, whom I stand in for, and the colleagues of my unit I may send as a stand-in."""
    actor = _need(identity).actor
    return json_response(await answer_views.my_answer(request.app[SERVICES], actor, request.match_info["meeting_id"]))
