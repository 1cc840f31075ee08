"""`meeting-server`: serve, migrate, seed the demo district, create users."""

from __future__ import annotations

import argparse
import asyncio
import gc
import getpass
import json
import logging
import os
import sys
from collections.abc import Sequence
from typing import Any

from aiohttp import ClientSession, web

from .config import Settings
from .vocabulary import ADMIN, GLOBAL_ROLES

DESCRIPTION = """Hệ thống họp trực tuyến huyện - xã và phòng họp không giấy.
Meeting server for district-commune video conferences and paperless meeting rooms.

Settings come from the environment: MS_DATA_DIR (default ./data), MS_DATABASE_URL (default a SQLite file in
the data dir; e.g. postgresql+asyncpg://user@host/db), HOST, PORT, MS_ALLOWED_ORIGINS, MS_REDIS_URL,
MS_SECURE_COOKIES."""


def _settings(args: argparse.Namespace) -> Settings:
    return Settings.from_env(
        database_url=getattr(args, "database_url", None) or None,
        host=getattr(args, "host", None),
        port=getattr(args, "port", None),
    )


async def _migrate(settings: Settings) -> None:
    from .storage.migrate import upgrade_async

    settings.data_dir.mkdir(parents=True, exist_ok=True)
    await upgrade_async(settings.resolved_database_url)


def cmd_migrate(args: argparse.Namespace) -> int:
    settings = _settings(args)
    asyncio.run(_migrate(settings))
    print(f"Cơ sở dữ liệu đã cập nhật / database migrated: {settings.resolved_database_url}")
    return 0


def cmd_demo(args: argparse.Namespace) -> int:
    from .api.app import build_services
    from .demo import accounts_table, seed

    settings = _settings(args)

    async def run() -> dict[str, Any]:
        await _migrate(settings)
        services = build_services(settings)
        try:
            return await seed(services)
        finally:
            await services.db.close()

    result = asyncio.run(run())
    if result["skipped"]:
        print("Dữ liệu đã có sẵn, không tạo lại dữ liệu mẫu / the database already has users; demo not re-seeded.")
    else:
        print(
            f"Đã tạo huyện mẫu / demo district seeded: {result['units']} units, {result['sites']} sites, "
            f"{result['users']} users, {len(result['meetings'])} meeting(s)."
        )
    print(accounts_table())
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    from .actions import run_action
    from .api.app import build_services
    from .domain.actors import Actor
    from .errors import AppError

    settings = _settings(args)
    password = args.password or os.environ.get("MS_NEW_PASSWORD") or getpass.getpass("Mật khẩu / password: ")

    async def run() -> dict[str, Any]:
        await _migrate(settings)
        services = build_services(settings)
        system = Actor(kind="user", id="system", name="meeting-server CLI", roles=frozenset({ADMIN}))
        try:
            return await run_action(
                services,
                system,
                "user.create",
                {
                    "username": args.username,
                    "full_name": args.full_name,
                    "password": password,
                    "roles": args.role,
                    **({"title": args.title} if args.title else {}),
                },
            )
        finally:
            await services.db.close()

    try:
        user = asyncio.run(run())
    except AppError as err:
        print(json.dumps(err.to_dict(), ensure_ascii=False), file=sys.stderr)
        return 2
    print(json.dumps(user, ensure_ascii=False))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .api.app import build_services, create_app, warm_up_papers

    settings = _settings(args)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)

    async def make() -> web.Application:
        if not args.no_migrate:
            await _migrate(settings)
        app = create_app(build_services(settings))
        app.on_startup.append(_tune_gc)
        if not args.check:
            app.on_startup.append(warm_up_papers)
        return app

    if args.check:
        return asyncio.run(_check(make, settings))
    print(f"Đang phục vụ tại / serving on http://{settings.host}:{settings.port}", flush=True)
    _use_fast_loop()
    web.run_app(make(), host=settings.host, port=settings.port, print=None, access_log=None)
    return 0


def _use_fast_loop() -> None:
    """uvloop's UDP transport and callbacks are C: the SFU sends and receives every media packet through them,
    one syscall and several callbacks each (bench/results/sfu-*). `MS_EVENT_LOOP=asyncio` keeps the standard one."""
    if os.environ.get("MS_EVENT_LOOP", "uvloop") != "uvloop":
        return
    try:
        import uvloop  # noqa: PLC0415
    except ImportError:
        logging.getLogger(__name__).warning("uvloop is not installed; using the standard asyncio loop")
        return
    asyncio.set_event_loop_policy(uvloop.EventLoopPolicy())


async def _tune_gc(_app: web.Application) -> None:
    """With a thousand sockets open, a full garbage collection walks every one of their objects and stalls
    the loop for 200+ ms, the largest part of the fan-out p99 (bench/results). Objects alive after start-up
    are frozen out of collection, and younger generations are collected less often."""
    gc.freeze()
    gc.set_threshold(10_000, 50, 50)


async def _check(make: Any, settings: Settings) -> int:
    """Start, answer one request to /api/health, stop: a smoke test for packaging and deployment."""
    app = await make()
    runner = web.AppRunner(app)
    await runner.setup()
    site = web.TCPSite(runner, settings.host, 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]  # type: ignore[union-attr]
    try:
        async with ClientSession() as client, client.get(f"http://{settings.host}:{port}/api/health") as r:
            body = await r.json()
            print(json.dumps(body, ensure_ascii=False))
            return 0 if r.status == 200 else 1
    finally:
        await runner.cleanup()


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="meeting-server", description=DESCRIPTION, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    serve = sub.add_parser(
        "serve",
        help="run the web server (REST, socket.io, the browser UI)",
        description="Run the server. Migrates the database first unless --no-migrate.",
    )
    serve.add_argument("--host", help="address to listen on (default HOST or 127.0.0.1)")
    serve.add_argument("--port", type=int, help="port (default PORT or 8080)")
    serve.add_argument("--database-url", help="override MS_DATABASE_URL")
    serve.add_argument("--no-migrate", action="store_true", help="do not run migrations at start")
    serve.add_argument(
        "--check", action="store_true", help="start, answer one /api/health request on a free port, print it and exit"
    )
    serve.set_defaults(func=cmd_serve)

    migrate = sub.add_parser(
        "migrate",
        help="create or upgrade the database schema (Alembic)",
        description="Apply every pending migration to the database.",
    )
    migrate.add_argument("--database-url", help="override MS_DATABASE_URL")
    migrate.set_defaults(func=cmd_migrate)

    demo = sub.add_parser(
        "demo",
        help="seed the demo district (Sơn Dương) and print its accounts",
        description="Seed a province, a district, its communes with meeting rooms, people and "
        "a scheduled meeting. Does nothing if the database already has users.",
    )
    demo.add_argument("--database-url", help="override MS_DATABASE_URL")
    demo.set_defaults(func=cmd_demo)

    create = sub.add_parser(
        "create-user",
        help="create an account (e.g. the first administrator)",
        description="Create a user. The password comes from --password, MS_NEW_PASSWORD, or a prompt.",
    )
    create.add_argument("username")
    create.add_argument("full_name")
    create.add_argument(
        "--role",
        action="append",
        required=True,
        choices=list(GLOBAL_ROLES),
        help="a role; repeat for several",
    )
    create.add_argument("--title", help="job title, e.g. 'Chánh Văn phòng'")
    create.add_argument("--password")
    create.add_argument("--database-url", help="override MS_DATABASE_URL")
    create.set_defaults(func=cmd_create_user)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
