"""The access log: one line per HTTP request, for an operator reading what reached the server.

`client method path status bytes duration_ms`, where the client is the forwarded address behind a trusted proxy
(MS_TRUST_PROXY). The path is written without its query string (a download link may carry a token there) and no
header is written (no cookie, no Authorization). On with MS_ACCESS_LOG (the default); the logger is
`meeting_server.access`, so logging configuration may send it elsewhere.
"""

from __future__ import annotations

import logging
from typing import Any

from aiohttp import web
from aiohttp.abc import AbstractAccessLogger

from ..auth import forwarded_ip
from .common import SERVICES

LOGGER = logging.getLogger("meeting_server.access")


class AccessLogger(AbstractAccessLogger):
    def log(self, request: web.BaseRequest, response: web.StreamResponse, time: float) -> None:
        app = getattr(request, "app", None)
        trust = bool(app is not None and app[SERVICES].settings.trust_proxy)
        client = forwarded_ip(request.headers.get("X-Forwarded-For", ""), request.remote or "-", trust)
        self.logger.info(
            "%s %s %s %s %s %.1fms",
            client,
            request.method,
            request.path.replace("\n", "").replace(" ", "%20")[:300],
            response.status,
            response.body_length,
            time * 1000,
        )


def runner_options(access_log: bool) -> dict[str, Any]:
    """What `web.run_app` / `web.AppRunner` take to write (or not) the access log."""
    if not access_log:
        return {"access_log": None}
    return {"access_log": LOGGER, "access_log_class": AccessLogger}
