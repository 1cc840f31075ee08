"""Read routes of the invitations' mail and the in-app notices (the changes are actions: see routes.py)."""

from __future__ import annotations

from aiohttp import web

from ..auth import Identity
from ..views import mail as mail_views
from .common import SERVICES, json_response
from .reads import _need, view


@view("GET", "/api/meetings/{meeting_id}/mail")
async def meeting_mail(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    """The invitations' mail per invitee: status, attempts, the server's reply for a failed one."""
    actor = _need(identity).actor
    return json_response(await mail_views.meeting_mail(request.app[SERVICES], actor, request.match_info["meeting_id"]))


@view("GET", "/api/notices")
async def notices(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    """My latest in-app notices and how many are unread."""
    return json_response(await mail_views.my_notices(request.app[SERVICES], _need(identity).actor))
