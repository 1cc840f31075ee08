"""What every REST handler shares: the application's keys, the client's language and address, JSON in and out."""

from __future__ import annotations

import json
from typing import Any

from aiohttp import web

from ..actions import Services
from ..auth import Authenticator, Identity, forwarded_ip
from ..documents.workers import DocumentWorkers
from ..errors import AppError, pick_lang
from ..inputs import parse_json
from ..mail.sender import MailSender
from ..signalling.hub import Hub

SERVICES = web.AppKey("services", Services)
AUTH = web.AppKey("auth", Authenticator)
HUB = web.AppKey("hub", Hub)
WORKERS = web.AppKey("workers", DocumentWorkers)
MAIL = web.AppKey("mail", MailSender)
IDENTITY: web.RequestKey[Identity | None] = web.RequestKey("identity", Identity | None)  # type: ignore[arg-type]


def request_lang(request: web.Request) -> str:
    identity: Identity | None = request.get(IDENTITY)
    profile = identity.actor.lang if identity and identity.actor.kind == "user" else None
    return pick_lang(request.query.get("lang"), profile, request.headers.get("Accept-Language"))


def error_response(err: AppError, lang: str, headers: dict[str, str] | None = None) -> web.Response:
    return web.json_response(
        err.to_dict(lang), status=err.status, headers=headers, dumps=lambda o: json.dumps(o, ensure_ascii=False)
    )


def json_response(data: Any, status: int = 200) -> web.Response:
    return web.json_response(data, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False))


def client_ip(request: web.Request) -> str:
    """The address failed sign-ins are counted against; behind a trusted proxy, the one it saw."""
    return forwarded_ip(
        request.headers.get("X-Forwarded-For", ""), request.remote or "", request.app[SERVICES].settings.trust_proxy
    )


def request_scheme(request: web.Request) -> str:
    """http or https as the client used it: behind a trusted proxy, what it says in X-Forwarded-Proto."""
    if request.app[SERVICES].settings.trust_proxy:
        forwarded = request.headers.get("X-Forwarded-Proto", "").split(",")[0].strip().lower()
        if forwarded in ("http", "https"):
            return forwarded
    return request.scheme


async def read_json(request: web.Request) -> dict[str, Any]:
    if not request.can_read_body:
        return {}
    raw = await request.read()
    if not raw.strip():
        return {}
    body = parse_json(raw)
    if not isinstance(body, dict):
        raise AppError("malformed_json")
    return body
