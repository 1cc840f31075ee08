"""The aiohttp application: middlewares (errors, input checks and body deadlines, identity; security headers
are added to every response by api.hardening), REST routes, static files, and the socket.io hub mounted beside
them."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from pathlib import Path

from aiohttp import web

from ..actions import REGISTRY, Services, build_services, run_action
from ..actions import floor as floor_actions
from ..actions import votes as vote_actions
from ..archive.jobs import DossierBuilder
from ..auth import COOKIE, Authenticator, Identity
from ..documents.convert import Converter, ConvertLimits
from ..documents.imagecache import ImageCache
from ..documents.paperfiles import IngestLimits, PaperFiles, PaperPipeline
from ..documents.workers import DocumentWorkers
from ..errors import AppError
from ..mail.sender import MailSender
from ..programmes import ProgrammeJobs
from ..search.indexer import Indexer
from ..signalling.hub import Hub
from ..views import record as record_views
from . import answers as answer_routes  # noqa: F401  registers its read views
from . import floor as floor_routes  # noqa: F401  registers its read views
from . import hardening, reads
from . import images as image_routes  # noqa: F401  registers its views (signature and seal images)
from . import mail as mail_routes  # noqa: F401  registers its read views
from . import papers as paper_views
from . import record as record_routes  # noqa: F401  registers its read views
from . import search as search_routes
from . import signing as signing_routes  # noqa: F401  registers its views (the signing phase)
from . import verify as verify_routes  # noqa: F401  registers its read view
from . import votes as vote_routes  # noqa: F401  registers its read views
from .archive import DOSSIERS
from .common import (
    AUTH,
    HUB,
    IDENTITY,
    MAIL,
    SERVICES,
    WORKERS,
    client_ip,
    error_response,
    json_response,
    read_json,
    request_lang,
)
from .hardening import input_middleware
from .openapi import openapi_document
from .origin import same_origin_middleware
from .refusals import refusal_audit_middleware
from .routes import ROUTES, Route

log = logging.getLogger(__name__)

UNSAFE = frozenset({"POST", "PUT", "PATCH", "DELETE"})
SPA_PATHS = (
    "/",
    "/login",
    "/checkin",
    "/meetings",
    "/meetings/{tail:.*}",
    "/admin",
    "/admin/{tail:.*}",
    "/display",
    "/verify",
    "/register",
    "/archive",
    "/search",
)


@web.middleware
async def errors_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    try:
        return await handler(request)
    except AppError as err:
        headers = {"Retry-After": str(err.params["retry_after"])} if "retry_after" in err.params else None
        return error_response(err, request_lang(request), headers)
    except web.HTTPRequestEntityTooLarge:
        limit = request.app[SERVICES].settings.max_body_bytes
        return error_response(AppError("payload_too_large", limit=limit), request_lang(request))
    except web.HTTPNotFound:
        if request.path.startswith("/api"):
            return error_response(AppError("not_found", what="route"), request_lang(request))
        raise
    except web.HTTPMethodNotAllowed:
        return error_response(AppError("method_not_allowed"), request_lang(request))
    except web.HTTPException:
        raise
    except Exception:
        log.exception("%s %s failed", request.method, request.path)
        return error_response(AppError("internal_error"), request_lang(request))


LINKED = frozenset(route.path for route in ROUTES if route.auth == "link")  # signed links: no session looked up


@web.middleware
async def identity_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    resource = request.match_info.route.resource
    if resource is not None and resource.canonical in LINKED:
        request[IDENTITY] = None  # the link is the permission (domain/pagelinks.py): no database read
    elif request.path.startswith("/api"):
        auth = request.app[AUTH]
        header = request.headers.get("Authorization", "")
        if header.startswith("Bearer "):
            request[IDENTITY] = await auth.from_token(header[7:].strip())
        else:
            request[IDENTITY] = await auth.from_cookie(request.cookies.get(COOKIE))
    return await handler(request)


@web.middleware
async def socket_compression_middleware(
    request: web.Request, handler: Callable[[web.Request], Awaitable[web.StreamResponse]]
) -> web.StreamResponse:
    """Decline permessage-deflate on the live channel unless MS_WS_COMPRESSION asks for it.

    aiohttp keeps a compressor per socket (about 260 KB: a 1000-tablet meeting went from 242 to 502 MB) and
    compresses every event once per socket, while our events are a few hundred bytes and rare next to the
    media on the same link. Without the offer in the handshake, browsers simply send uncompressed."""
    if (
        request.path.startswith("/socket.io")
        and "Sec-WebSocket-Extensions" in request.headers
        and not request.app[SERVICES].settings.ws_compression
    ):
        headers = request.headers.copy()
        del headers["Sec-WebSocket-Extensions"]
        request = request.clone(headers=headers)
    return await handler(request)


def require_identity(request: web.Request, route: Route) -> Identity:
    identity: Identity | None = request.get(IDENTITY)
    if identity is None:
        raise AppError("unauthenticated")
    if route.auth == "signed_in" and identity.actor.kind != "user":
        raise AppError("forbidden")
    if request.method in UNSAFE and identity.session_id is not None:
        sent = request.headers.get("X-CSRF-Token", "")
        if not identity.csrf_token or sent != identity.csrf_token:
            raise AppError("csrf_failed")
    return identity


def action_handler(route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    assert route.action is not None
    name = route.action

    async def handle(request: web.Request) -> web.StreamResponse:
        identity = require_identity(request, route)
        args = await read_json(request)
        for key, value in request.match_info.items():
            if key in args and args[key] != value:
                raise AppError(
                    "invalid_input",
                    detail=f"{key} trong nội dung khác với đường dẫn",
                    detail_en=f"{key} in the body differs from the path",
                )
            args[key] = value
        if "document_id" in request.match_info and "meeting_id" not in args:  # the record's documents
            args["meeting_id"] = await record_views.meeting_of_document(request.app[SERVICES], args["document_id"])
        # the record's editor sends its change id as X-Command-Id (docs/api.md "The record"): the same thing
        command_id = request.headers.get("Idempotency-Key") or request.headers.get("X-Command-Id") or None
        if command_id is not None and not (8 <= len(command_id) <= 100):
            raise AppError(
                "invalid_input",
                detail="Idempotency-Key (X-Command-Id) phải dài 8-100 ký tự",
                detail_en="Idempotency-Key (X-Command-Id) must be 8-100 characters",
            )
        result = await run_action(
            request.app[SERVICES],
            identity.actor,
            name,
            args,
            command_id=command_id,
            ip=client_ip(request),
            session_id=identity.session_id,
        )
        return json_response(result, status=route.status)

    return handle


def read_handler(route: Route) -> Callable[[web.Request], Awaitable[web.StreamResponse]]:
    view = reads.VIEWS[(route.method, route.path)]

    async def handle(request: web.Request) -> web.StreamResponse:
        identity = None if route.auth in ("none", "link") else require_identity(request, route)
        return await view(request, identity)

    return handle


async def service_worker(request: web.Request) -> web.StreamResponse:
    """The readers' service worker, served from the root so that its scope covers every page of the app."""
    path = request.app[SERVICES].settings.static_dir / "sw.js"
    if not path.exists():
        raise web.HTTPNotFound()
    return web.FileResponse(
        path, headers={"Content-Type": "text/javascript", "Cache-Control": "no-cache", "Service-Worker-Allowed": "/"}
    )


async def index(request: web.Request) -> web.StreamResponse:
    path = request.app[SERVICES].settings.static_dir / "index.html"
    if not path.exists():
        raise web.HTTPNotFound()
    return web.FileResponse(path, headers={"Cache-Control": "no-cache"})


def vendor_routes(app: web.Application, node_modules: Path) -> None:
    dist = node_modules / "socket.io-client" / "dist"

    async def vendor(request: web.Request) -> web.StreamResponse:
        name = request.match_info["name"]
        if name not in ("socket.io.min.js", "socket.io.min.js.map"):
            raise web.HTTPNotFound()
        file = dist / name
        if not file.exists():
            raise web.HTTPNotFound(text="socket.io-client is not installed: run `make run` (npm install)")
        return web.FileResponse(file)

    app.router.add_get("/vendor/{name}", vendor)


def create_app(services: Services, *, workers: DocumentWorkers | None = None) -> web.Application:
    settings = services.settings
    app = web.Application(
        middlewares=[
            errors_middleware,
            input_middleware,
            identity_middleware,
            refusal_audit_middleware,
            same_origin_middleware,
            socket_compression_middleware,
        ],
        client_max_size=settings.max_body_bytes,
    )
    hardening.install(app)  # security headers on every response
    auth = Authenticator(services)
    hub = Hub(services, auth)
    services.notifier = hub
    app[SERVICES] = services
    app[AUTH] = auth
    app[HUB] = hub
    app[WORKERS] = workers or DocumentWorkers()
    app[paper_views.PAPERS] = PaperPipeline(
        app[WORKERS],
        PaperFiles(settings.papers_dir),
        IngestLimits(max_bytes=settings.paper_max_mb * 1024 * 1024),
    )
    app[paper_views.PAGE_LINKS] = paper_views.page_signer(settings)
    app[paper_views.PAGE_IMAGES] = ImageCache(settings.page_memory_mb * 1024 * 1024)
    app[paper_views.CONVERTER] = Converter(
        ConvertLimits(
            max_jobs=settings.convert_max_jobs,
            timeout=settings.convert_timeout_seconds,
            memory_mb=settings.convert_memory_mb,
            max_unpacked_bytes=settings.convert_max_unpacked_mb * 1024 * 1024,
        )
    )
    for route in ROUTES:  # the read views are registered by importing `reads` and `papers`
        handler = action_handler(route) if route.action else read_handler(route)
        app.router.add_route(route.method, route.path, handler)
    hub.sio.attach(app)
    vendor_routes(app, settings.vendor_dir)
    if settings.static_dir.exists():
        app.router.add_static("/static/", settings.static_dir, append_version=False)
    app.router.add_get("/sw.js", service_worker)
    for path in SPA_PATHS:
        app.router.add_get(path, index)

    async def sweep_sockets(app_: web.Application) -> AsyncIterator[None]:
        task = asyncio.create_task(app_[HUB].sweep_forever(settings.socket_sweep_seconds))
        yield
        task.cancel()

    app.cleanup_ctx.append(sweep_sockets)

    async def vote_timers(app_: web.Application) -> AsyncIterator[None]:
        await vote_actions.TIMERS.rearm(services)  # a vote whose time passed while the server was down closes now
        yield
        vote_actions.TIMERS.cancel_all()

    app.cleanup_ctx.append(vote_timers)

    async def floor_timers(app_: web.Application) -> AsyncIterator[None]:
        await floor_actions.TIMERS.rearm(services)  # a speech whose time ran out while the server was down ends now
        sweep = asyncio.create_task(floor_actions.TIMERS.sweep_forever(services))  # and those given on another node
        yield
        sweep.cancel()
        floor_actions.TIMERS.cancel_all()

    app.cleanup_ctx.append(floor_timers)

    async def mail_sender(app_: web.Application) -> AsyncIterator[None]:
        sender = MailSender(services, app_[WORKERS])
        app_[MAIL] = sender
        services.mail = sender
        sender.start()  # rows queued before a restart go out now
        yield
        await sender.stop()

    app.cleanup_ctx.append(mail_sender)

    async def programme_jobs(app_: web.Application) -> AsyncIterator[None]:
        jobs = ProgrammeJobs(settings, services.db)
        services.programmes = jobs
        yield
        await jobs.stop()

    app.cleanup_ctx.append(programme_jobs)

    async def dossiers(app_: web.Application) -> AsyncIterator[None]:
        builder = DossierBuilder(services)
        app_[DOSSIERS] = builder
        services.dossiers = builder  # the archive action tells it after its commit
        await builder.catch_up()  # dossiers an earlier process archived but did not finish
        yield
        await builder.close()

    app.cleanup_ctx.append(dossiers)

    async def search_indexer(app_: web.Application) -> AsyncIterator[None]:
        indexer = Indexer(services, app_[paper_views.PAPERS].files)
        app_[search_routes.INDEXER] = indexer
        if settings.search_indexer:
            indexer.start()  # its first pass indexes whatever changed while no indexer ran
        yield
        await indexer.stop()

    app.cleanup_ctx.append(search_indexer)

    async def close_sockets(app_: web.Application) -> None:
        await app_[HUB].close_all()

    app.on_shutdown.append(close_sockets)

    async def close(app_: web.Application) -> None:
        await app_[WORKERS].close()
        await services.db.close()

    app.on_cleanup.append(close)
    return app


async def warm_up_papers(app: web.Application) -> None:
    """Start the document workers at boot (MuPDF and Pillow load in each): the first upload is then as fast
    as the next. `serve` adds this; tests that never touch papers do not pay for it."""
    await app[paper_views.PAPERS].warm_up()


__all__ = ["create_app", "build_services", "openapi_document", "REGISTRY", "warm_up_papers", "paper_views"]
