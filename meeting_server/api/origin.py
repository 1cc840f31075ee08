"""Cross-site request forgery at the door: a state-changing REST request must come from this server's own pages.

The X-CSRF-Token checks writes made with a session; sign-in has no session yet, so a cross-site form could sign
a victim in as the attacker (a `text/plain` body, no preflight). Two checks cover every unsafe request:

- a body must be `application/json` (a file upload may be `multipart/form-data`, a signature or seal image
  `image/png` or `image/jpeg`; sign-in must be JSON): a
  cross-site form can send neither without the browser asking the server first;
- a browser's `Origin` (or, without it, `Referer`) must be this server's origin or one listed in
  MS_ALLOWED_ORIGINS. The server's origin is the request's Host and scheme; behind a trusted proxy
  (MS_TRUST_PROXY), the X-Forwarded-Host and X-Forwarded-Proto it sets. Requests without either header
  (room PCs, the CLI, scripts) are not from a browser page and pass on to the token checks.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from urllib.parse import urlsplit

from aiohttp import web

from ..errors import AppError
from .common import SERVICES

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
JSON = "application/json"
UPLOAD = "multipart/form-data"
IMAGES = ("image/png", "image/jpeg")
IMAGE_PATHS = ("/signature-image", "/seal-image")  # api/images.py
LOGIN = "/api/auth/login"


def own_origin(request: web.Request, trust_proxy: bool) -> str:
    scheme, host = request.scheme, request.host
    if trust_proxy:
        scheme = request.headers.get("X-Forwarded-Proto", "").split(",")[-1].strip() or scheme
        host = request.headers.get("X-Forwarded-Host", "").split(",")[-1].strip() or host
    return f"{scheme}://{host}".lower()


def origin_of(request: web.Request) -> str | None:
    """The page the request came from, as scheme://host[:port], or None when no browser said."""
    origin = request.headers.get("Origin")
    if origin is not None:
        return origin.strip().lower()
    referer = request.headers.get("Referer")
    if not referer:
        return None
    parts = urlsplit(referer)
    return f"{parts.scheme}://{parts.netloc}".lower()


@web.middleware
async def same_origin_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    if request.method in UNSAFE and request.path.startswith("/api"):
        settings = request.app[SERVICES].settings
        origin = origin_of(request)
        if origin is not None and origin not in (
            own_origin(request, settings.trust_proxy),
            *(o.lower() for o in settings.allowed_origins),
        ):
            raise AppError("origin_refused", origin=origin[:100])
        if request.can_read_body or request.path == LOGIN:
            allowed: tuple[str, ...] = (JSON,) if request.path == LOGIN else (JSON, UPLOAD)
            if request.path.endswith(IMAGE_PATHS):  # signature and seal images: the PNG or JPEG is the body
                allowed = (JSON, *IMAGES)
            if request.content_type not in allowed:
                raise AppError("unsupported_media_type")
    return await handler(request)
