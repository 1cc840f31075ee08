"""Read routes of votes (the changes are actions: see routes.py)."""

from __future__ import annotations

import asyncio
import tempfile
from pathlib import Path

from aiohttp import web

from ..auth import Identity
from ..documents.vote_result import result_csv, result_pdf
from ..errors import AppError
from ..views import votes as vote_views
from .common import SERVICES, WORKERS, json_response
from .reads import _need, view


@view("GET", "/api/meetings/{meeting_id}/votes")
async def votes(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    """A meeting's votes, their turnout and results, and its authorisations (proxies)."""
    actor = _need(identity).actor
    return json_response(await vote_views.meeting_votes(request.app[SERVICES], actor, request.match_info["meeting_id"]))


@view("GET", "/api/meetings/{meeting_id}/votes/{vote_id}/result")
async def result_sheet(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    """A closed vote's result sheet as PDF (made in a worker process) or CSV (?format=pdf|csv)."""
    actor = _need(identity).actor
    meeting_id, vote_id = request.match_info["meeting_id"], request.match_info["vote_id"]
    title, vote = await vote_views.closed_vote(request.app[SERVICES], actor, meeting_id, vote_id)
    fmt = request.query.get("format", "pdf")
    if fmt not in ("pdf", "csv"):
        raise AppError("invalid_input", detail="format phải là pdf hoặc csv", detail_en="format must be pdf or csv")
    disposition = {"Content-Disposition": f'attachment; filename="ket-qua-bieu-quyet.{fmt}"'}
    if fmt == "csv":
        body = await asyncio.to_thread(result_csv, title, vote)
        return web.Response(body=body, content_type="text/csv", charset="utf-8", headers=disposition)
    with tempfile.TemporaryDirectory(prefix="vote-") as tmp:
        out = Path(tmp) / "result.pdf"
        await request.app[WORKERS].run(result_pdf, title, vote, str(out), timeout=60.0)
        body = await asyncio.to_thread(out.read_bytes)
    return web.Response(body=body, content_type="application/pdf", headers=disposition)
