"""Read routes of the record (its changes are actions: see routes.py): a meeting's record and facts, one document,
its PDF (a draft's rendered now with DỰ THẢO; an approved one's kept after its first rendering), the register and
its CSV export."""

from __future__ import annotations

import asyncio
import csv
import io
from typing import Any

from aiohttp import web

from ..actions import record as record_actions
from ..auth import Identity
from ..documents.record_render import render_record, render_record_docx
from ..domain.actors import Actor
from ..errors import AppError
from ..inputs import whole_number
from ..views import record as record_views
from ..vocabulary import RECORD_KINDS, RECORD_READ, MeetingPermission
from .common import SERVICES, WORKERS, json_response
from .reads import _need, view


@view("GET", "/api/meetings/{meeting_id}/record")
async def meeting_record(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    """A meeting's record: its documents and what the log knows for the minutes."""
    actor = _need(identity).actor
    meeting_id = request.match_info["meeting_id"]
    return json_response(await record_views.meeting_record(request.app[SERVICES], actor, meeting_id))


@view("GET", "/api/signatures/awaiting")
async def awaiting(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    """The signed-in person's documents awaiting their signature ("Văn bản chờ bạn ký")."""
    actor = _need(identity).actor
    return json_response({"documents": await record_views.awaiting(request.app[SERVICES], actor)})


@view("GET", "/api/record/{document_id}")
async def document(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    actor = _need(identity).actor
    return json_response(await record_views.document(request.app[SERVICES], actor, request.match_info["document_id"]))


@view("GET", "/api/record/{document_id}/pdf")
async def document_pdf(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    actor = _need(identity).actor
    source = await pdf_of(request, actor, request.match_info["document_id"])
    body: bytes = source["pdf"]
    name = "du-thao" if source.get("is_draft") else "van-ban"
    headers = {"Content-Disposition": f'inline; filename="{source["kind"]}-{name}.pdf"'}
    return web.Response(body=body, content_type="application/pdf", headers=headers)


async def pdf_of(
    request: web.Request, actor: Actor, document_id: str, permission: MeetingPermission = RECORD_READ
) -> dict[str, Any]:
    """The document's PDF (`pdf`, `kind`, `is_draft`): an approved one's is rendered once and kept with its boxes
    (the record, and what the signing phase signs), a draft's rendered now. A signer asks with RECORD_SIGN."""
    services = request.app[SERVICES]
    source = await record_views.pdf_source(services, actor, document_id, permission)
    if source.get("pdf") is None:
        rendered = await request.app[WORKERS].run(render_record, source["kind"], source["content"], timeout=120.0)
        source["pdf"] = rendered.pdf
        if not source["is_draft"]:
            await record_actions.keep_pdf(services, document_id, rendered)
    return source


DOCX = "application/vnd.openxmlformats-officedocument.wordprocessingml.document"


@view("GET", "/api/record/{document_id}/docx")
async def document_docx(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    actor = _need(identity).actor
    source = await record_views.docx_source(request.app[SERVICES], actor, request.match_info["document_id"])
    body = await request.app[WORKERS].run(render_record_docx, source["kind"], source["content"], timeout=120.0)
    name = "du-thao" if source["is_draft"] else "van-ban"
    headers = {"Content-Disposition": f'attachment; filename="{source["kind"]}-{name}.docx"'}
    return web.Response(body=body, content_type=DOCX, headers=headers)


def _register_query(request: web.Request) -> dict[str, Any]:
    q = request.query
    kind = q.get("kind") or None
    if kind is not None and kind not in RECORD_KINDS:
        raise AppError(
            "invalid_input",
            detail=f"loại văn bản phải là một trong: {', '.join(RECORD_KINDS)}",
            detail_en=f"kind must be one of: {', '.join(RECORD_KINDS)}",
        )
    confidential = q.get("confidential")
    if confidential not in (None, "", "true", "false"):
        raise AppError(
            "invalid_input", detail="confidential phải là true hoặc false", detail_en="confidential: true|false"
        )
    return {
        "unit_id": q.get("unit") or None,
        "kind": kind,
        "year": whole_number(q["year"], "year") if q.get("year") else None,
        "confidential": None if not confidential else confidential == "true",
    }


@view("GET", "/api/register")
async def register(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    actor = _need(identity).actor
    entries = await record_views.register(request.app[SERVICES], actor, **_register_query(request))
    return json_response({"entries": entries})


CSV_HEADER = ("Số", "Ngày", "Loại", "Trích yếu", "Người ký", "Cuộc họp", "Mật", "Liên kết")
KIND_NAMES = {"bien_ban": "Biên bản", "thong_bao": "Thông báo", "giay_moi": "Giấy mời"}


def register_csv(entries: list[dict[str, Any]]) -> bytes:
    """UTF-8 with a byte-order mark, so that Excel reads the diacritics."""
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(CSV_HEADER)
    for e in entries:
        day = e["issued_on"]
        writer.writerow(
            (
                f"{e['number']:02d}",
                f"{day[8:10]}/{day[5:7]}/{day[0:4]}",
                KIND_NAMES.get(e["kind"], e["kind"]),
                e["summary"],
                e["signer"],
                e["meeting_title"],
                "Mật" if e["confidential"] else "",
                e["link"],
            )
        )
    return "\ufeff".encode() + out.getvalue().encode()


@view("GET", "/api/register.csv")
async def register_export(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    actor = _need(identity).actor
    entries = await record_views.register(request.app[SERVICES], actor, **_register_query(request))
    body = await asyncio.to_thread(register_csv, entries)
    headers = {"Content-Disposition": 'attachment; filename="so-dang-ky-van-ban.csv"'}
    return web.Response(body=body, content_type="text/csv", charset="utf-8", headers=headers)
