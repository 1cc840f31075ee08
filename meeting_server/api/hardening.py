"""What every HTTP request and response goes through before any route sees it, beside the error middleware:

- the request is refused (400, the one error shape) when its Host header is no host name (`Host: ex"ample`) or
  its path or query holds a NUL; JSON bodies are checked where they are parsed (`meeting_server.inputs`);
- its body must have arrived within `body_timeout_seconds` of the headers (`upload_timeout_seconds` on the
  paper upload routes, whatever content type a client claims elsewhere), or the request gets 408 and the
  connection is closed: a client sending a byte now and then holds a handler for a bounded time, the anonymous
  sign-in included;
- every response, errors, 404s and static files included, carries the security headers, and
  Strict-Transport-Security when it is served over https (directly, or behind a trusted proxy that says so in
  X-Forwarded-Proto).
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Awaitable, Callable

from aiohttp import web

from ..errors import AppError
from ..inputs import check_text
from .common import SERVICES, request_scheme
from .routes import ROUTES

CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "connect-src 'self' ws: wss:; media-src 'self' blob:; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self'; object-src 'none'"
)
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Cross-Origin-Opener-Policy": "same-origin",
}
# RFC 3986 host (a registered name or an IPv4 address, or an IP literal in brackets) and an optional port.
HOST = re.compile(r"(?:[A-Za-z0-9\-._~!$&'()*+,;=%]*|\[[0-9A-Fa-f:.]+\])(?::[0-9]{0,5})?")

UPLOADS = frozenset((route.method, route.path) for route in ROUTES if route.upload)  # MS_UPLOAD_TIMEOUT_SECONDS


class BodyTimeout(TimeoutError):
    """Set on a request's body stream when it has not arrived in time: the handler reading it gets this.
    A TimeoutError, so aiohttp's lingering read of the rest ends quietly and closes the connection."""


Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


@web.middleware
async def input_middleware(request: web.Request, handler: Handler) -> web.StreamResponse:
    """Refuse a bad Host or a NUL before any route runs; give the body its deadline (after errors_middleware,
    which renders what is raised here)."""
    host = request.headers.get("Host")
    if host is not None and not HOST.fullmatch(host):
        raise AppError("invalid_host")
    check_text(request.path)
    for key, value in request.query.items():
        check_text(key)
        check_text(value)
    content = request.content
    if not request.body_exists or content.is_eof():
        return await handler(request)
    settings = request.app[SERVICES].settings
    resource = request.match_info.route.resource
    upload = resource is not None and (request.method, resource.canonical) in UPLOADS
    seconds = settings.upload_timeout_seconds if upload else settings.body_timeout_seconds

    def expire() -> None:
        if not content.is_eof():
            content.set_exception(BodyTimeout())

    timer = asyncio.get_running_loop().call_later(seconds, expire)
    try:
        return await handler(request)
    except BodyTimeout:
        raise AppError("request_timeout", limit=f"{seconds:g}") from None
    finally:
        timer.cancel()


async def security_headers(request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: runs for every response the application sends, however it was made."""
    for name, value in SECURITY_HEADERS.items():
        response.headers.setdefault(name, value)
    if request.path.startswith("/api"):
        response.headers.setdefault("Cache-Control", "no-store")
    seconds = request.app[SERVICES].settings.hsts_seconds
    if seconds > 0 and request_scheme(request) == "https":
        response.headers["Strict-Transport-Security"] = f"max-age={seconds}; includeSubDomains"


def install(app: web.Application) -> None:
    app.on_response_prepare.append(security_headers)
