"""Handlers of the routes that read (and of sign-in/out, which change sessions, not meetings)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any
from urllib.parse import quote

from aiohttp import web

from .. import __version__, official_units
from ..auth import COOKIE, Identity
from ..documents.attendance_list import (
    attendance_csv,
    checkin_qr_png,
    checkin_qr_svg_file,
    render_attendance_pdf,
    render_checkin_sheet,
)
from ..documents.invitation import render_invitation_pdf
from ..domain import units as unit_rules
from ..domain.checkin import checkin_url
from ..domain.conference import participant_key
from ..domain.meetings import require_organizer
from ..errors import AppError
from ..inputs import whole_number
from ..media.ice import client_ice_servers
from ..views import attendance as attendance_views
from ..views import directory as directory_views
from ..views import meetings as meeting_views
from .common import AUTH, HUB, SERVICES, WORKERS, client_ip, json_response, read_json, request_scheme

View = Callable[[web.Request, Identity | None], Awaitable[web.StreamResponse]]
VIEWS: dict[tuple[str, str], View] = {}


def view(method: str, path: str) -> Callable[[View], View]:
    def register(fn: View) -> View:
        VIEWS[(method, path)] = fn
        return fn

    return register


def _app(request: web.Request) -> Any:
    return request.app[SERVICES], request.app[AUTH], request.app[HUB], request.app[WORKERS]


def _json(data: Any, status: int = 200) -> web.Response:
    return json_response(data, status)


def _need(identity: Identity | None) -> Identity:
    if identity is None:
        raise AppError("unauthenticated")
    return identity


@view("GET", "/api/health")
async def health(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    database = "ok" if await directory_views.database_ok(_app(request)[0]) else "unavailable"
    status = 200 if database == "ok" else 503
    return _json(
        {"status": "ok" if status == 200 else "degraded", "database": database, "version": __version__}, status
    )


@view("GET", "/api/openapi.json")
async def openapi(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    from .openapi import openapi_document

    return _json(openapi_document())


@view("POST", "/api/auth/login")
async def login(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    services, auth, _, _ = _app(request)
    body = await read_json(request)
    username, password = body.get("username"), body.get("password")
    if not isinstance(username, str) or not isinstance(password, str) or set(body) - {"username", "password"}:
        raise AppError(
            "invalid_input",
            detail="cần đúng hai trường username và password",
            detail_en="exactly the fields username and password are required",
        )
    if len(username) > 64 or len(password) > 200:
        raise AppError("invalid_credentials")
    cookie, user, csrf = await auth.login(
        username, password, ip=client_ip(request), user_agent=request.headers.get("User-Agent", "")
    )
    response = _json({"user": directory_views.public_user(user), "csrf_token": csrf})
    response.set_cookie(
        COOKIE,
        cookie,
        httponly=True,
        samesite="Lax",
        secure=services.settings.secure_cookies,
        path="/",
        max_age=services.settings.session_days * 86400,
    )
    return response


@view("POST", "/api/auth/logout")
async def logout(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    _, auth, _, _ = _app(request)
    await auth.logout(_need(identity), client_ip(request))
    response = _json({"ok": True})
    response.del_cookie(COOKIE, path="/")
    return response


@view("GET", "/api/auth/session")
async def current_session(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    me = _need(identity)
    user = await directory_views.me(_app(request)[0], me.actor.id)
    return _json({"user": user, "csrf_token": me.csrf_token})


@view("GET", "/api/units")
async def units(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    kinds = {
        k: {"parents": sorted(unit_rules.PARENT_KINDS[k]), "division_types": list(unit_rules.DIVISION_TYPES[k])}
        for k in unit_rules.KINDS
    }
    return _json({"units": await directory_views.units(_app(request)[0]), "kinds": kinds})


@view("GET", "/api/units/official-provinces")
async def official_provinces(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    provinces = await official_units.load_async()
    return _json(
        {
            "data_version": official_units.DATA_VERSION,
            "provinces": [
                {"code": p.code, "name": p.name, "division_type": p.division_type, "communes": len(p.communes)}
                for p in provinces
            ],
        }
    )


@view("GET", "/api/sites")
async def sites(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    return _json({"sites": await directory_views.sites(_app(request)[0])})


@view("GET", "/api/users")
async def users(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    found = await directory_views.users(_app(request)[0], _need(identity).actor, request.query.get("unit_id"))
    return _json({"users": found})


@view("GET", "/api/audit")
async def audit(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    actor = _need(identity).actor
    limit = max(1, min(whole_number(request.query.get("limit"), "limit", 200), 1000))
    return _json({"entries": await directory_views.audit(_app(request)[0], actor, limit)})


@view("GET", "/api/meetings")
async def meetings(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    scope = request.query.get("scope", "upcoming")
    if scope not in ("upcoming", "past", "all"):
        raise AppError(
            "invalid_input",
            detail="scope phải là upcoming, past hoặc all",
            detail_en="scope must be upcoming, past or all",
        )
    found = await meeting_views.my_meetings(_app(request)[0], _need(identity).actor, scope)
    return _json({"meetings": found})


@view("GET", "/api/meetings/{meeting_id}")
async def meeting(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    actor = _need(identity).actor
    return _json(await meeting_views.meeting_snapshot(_app(request)[0], actor, request.match_info["meeting_id"]))


@view("GET", "/api/meetings/{meeting_id}/events")
async def events(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    after = whole_number(request.query.get("after"), "after", 0)
    answer, _ = await meeting_views.catch_up(
        _app(request)[0], _need(identity).actor, request.match_info["meeting_id"], max(after, 0)
    )
    return _json(answer)


@view("GET", "/api/meetings/{meeting_id}/participants")
async def participants(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    return _json(
        await meeting_views.participants(_app(request)[0], _need(identity).actor, request.match_info["meeting_id"])
    )


@view("GET", "/api/meetings/{meeting_id}/attendance")
async def attendance(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    return _json(
        await attendance_views.attendance(_app(request)[0], _need(identity).actor, request.match_info["meeting_id"])
    )


def _filename(title: str, ext: str, stem: str = "giay-moi") -> str:
    return f"attachment; filename=\"{stem}.{ext}\"; filename*=UTF-8''{quote(title[:80])}.{ext}"


@view("GET", "/api/meetings/{meeting_id}/attendance.pdf")
async def attendance_pdf(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    services, _, _, workers = _app(request)
    data = await attendance_views.attendance_list(services, _need(identity).actor, request.match_info["meeting_id"])
    pdf = await workers.run(render_attendance_pdf, data, timeout=30.0)
    disposition = _filename(f"Điểm danh - {data.meeting_title}", "pdf", "diem-danh")
    return web.Response(body=pdf, content_type="application/pdf", headers={"Content-Disposition": disposition})


@view("GET", "/api/meetings/{meeting_id}/attendance.csv")
async def attendance_csv_file(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    services = _app(request)[0]
    data = await attendance_views.attendance_list(services, _need(identity).actor, request.match_info["meeting_id"])
    disposition = _filename(f"Điểm danh - {data.meeting_title}", "csv", "diem-danh")
    return web.Response(
        body=attendance_csv(data),
        content_type="text/csv",
        charset="utf-8",
        headers={"Content-Disposition": disposition},
    )


async def _hall_code(request: web.Request, identity: Identity | None) -> tuple[attendance_views.HallCode, str]:
    """The hall's code (`?site_id=`, none: the main hall) and the check-in page's address it opens here."""
    site_id = request.query.get("site_id") or None
    found = await attendance_views.hall_code(
        _app(request)[0], _need(identity).actor, request.match_info["meeting_id"], site_id
    )
    return found, checkin_url(f"{request_scheme(request)}://{request.host}", found.code)


_NO_STORE = {"Cache-Control": "no-store"}  # a renewed key changes the picture at the same address


@view("GET", "/api/meetings/{meeting_id}/checkin/qr.svg")
async def checkin_svg(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    _, url = await _hall_code(request, identity)
    svg = await _app(request)[3].run(checkin_qr_svg_file, url, timeout=30.0)
    return web.Response(text=svg, content_type="image/svg+xml", headers=_NO_STORE)


@view("GET", "/api/meetings/{meeting_id}/checkin/qr.png")
async def checkin_png(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    _, url = await _hall_code(request, identity)
    png = await _app(request)[3].run(checkin_qr_png, url, timeout=30.0)
    return web.Response(body=png, content_type="image/png", headers=_NO_STORE)


@view("GET", "/api/meetings/{meeting_id}/checkin/sheet.pdf")
async def checkin_sheet(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    found, url = await _hall_code(request, identity)
    pdf = await _app(request)[3].run(render_checkin_sheet, found.meeting_title, found.hall, url, timeout=30.0)
    disposition = _filename(f"Điểm danh - {found.hall}", "pdf", "diem-danh-cua")
    return web.Response(
        body=pdf, content_type="application/pdf", headers={"Content-Disposition": disposition, **_NO_STORE}
    )


@view("GET", "/api/checkin")
async def checkin_page(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    code = request.query.get("code", "")
    return _json(await attendance_views.code_page(_app(request)[0], _need(identity).actor, code))


@view("GET", "/api/meetings/{meeting_id}/invitation.pdf")
async def invitation_pdf(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    services, _, _, workers = _app(request)
    data, _ = await meeting_views.invitation_data(services, _need(identity).actor, request.match_info["meeting_id"])
    pdf = await workers.run(render_invitation_pdf, data, timeout=30.0)
    return web.Response(
        body=pdf, content_type="application/pdf", headers={"Content-Disposition": _filename(data.title, "pdf")}
    )


@view("GET", "/api/meetings/{meeting_id}/invitation.ics")
async def invitation_ics(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    services = _app(request)[0]
    data, state = await meeting_views.invitation_data(services, _need(identity).actor, request.match_info["meeting_id"])
    text = meeting_views.calendar_file(data, state, f"{request_scheme(request)}://{request.host}")
    return web.Response(
        body=text.encode(),
        content_type="text/calendar",
        charset="utf-8",
        headers={"Content-Disposition": _filename(data.title, "ics")},
    )


@view("GET", "/api/media/config")
async def media_config(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    settings = _app(request)[0].settings
    actor = _need(identity).actor
    return _json(
        {
            "ice_servers": client_ice_servers(settings, participant_key(actor)),
            "video_codec": settings.media_video_codec,
            "audio_slots": settings.media_audio_slots,
            "max_participants": settings.media_max_participants,
        }
    )


async def _organised(request: web.Request, identity: Identity | None) -> Any:
    services = _app(request)[0]
    actor = _need(identity).actor
    state, _ = await meeting_views.visible_meeting(services, actor, request.match_info["meeting_id"])
    require_organizer(actor, state)
    return services.settings.recordings_dir / state.id


@view("GET", "/api/meetings/{meeting_id}/recordings")
async def recordings(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    base = await _organised(request, identity)
    found = []
    if base.is_dir():
        for folder in sorted(base.iterdir()):
            files = [
                {
                    "name": f.name,
                    "bytes": f.stat().st_size,
                    "url": f"/api/meetings/{request.match_info['meeting_id']}/recordings/{folder.name}/{f.name}",
                }
                for f in sorted(folder.iterdir())
                if f.is_file()
            ]
            found.append({"id": folder.name, "files": files})
    return _json({"recordings": found})


@view("GET", "/api/meetings/{meeting_id}/recordings/{recording_id}/{name}")
async def recording_file(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    base = await _organised(request, identity)
    recording_id, name = request.match_info["recording_id"], request.match_info["name"]
    path = (base / recording_id / name).resolve()
    if base.resolve() not in path.parents or not path.is_file():
        raise AppError("not_found", what="recording")
    content_type = "video/webm" if name.endswith(".webm") else "video/x-matroska"
    return web.FileResponse(
        path, headers={"Content-Type": content_type, "Content-Disposition": f'attachment; filename="{path.name}"'}
    )
