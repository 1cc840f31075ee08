"""`meeting-server`: serve, migrate, seed the demo province, import official units, create users."""

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
from .storage.filemodes import DIR_MODE, restrict_data_dir, use_private_umask
from .vocabulary import ADMIN, GLOBAL_ROLES

DESCRIPTION = """Hệ thống họp trực tuyến tỉnh - xã và phòng họp không giấy.
Meeting server for province-commune video conferences and paperless meeting rooms.

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

    settings.data_dir.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
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
            f"Đã tạo tỉnh mẫu / demo province seeded: {result['units']} units, {result['sites']} sites, "
            f"{result['users']} users, {len(result['meetings'])} meeting(s)."
        )
        tokens = settings.data_dir / "demo-device-tokens.txt"
        tokens.touch(mode=0o600)
        tokens.write_text("".join(f"{token}\t{site}\n" for site, token in result["tokens"].items()))
        print(f"Mã thiết bị của {len(result['tokens'])} điểm cầu / device tokens of every hall: {tokens}")
    print(accounts_table())
    _demo_keys(settings)
    return 0


def _demo_keys(settings: Settings) -> None:
    """Make the demo PKI once (signing/demo_pki.py) and say where it is and whether the server will use it."""
    from .demo import ensure_demo_keys
    from .signing.demo_pki import DEMO_PKCS12_PASSWORD, DEMO_ROOT_NAME
    from .signing.trust import demo_active

    keys = ensure_demo_keys(settings.data_dir)
    made = "Đã tạo" if keys.created else "Đã có sẵn"
    print(f"{made} khóa ký số thử nghiệm / demo signing keys ({DEMO_ROOT_NAME}): {keys.directory}")
    for username, path in keys.people.items():
        print(f"  {username:<16} {path}")
    print(f"  Mật khẩu các tệp .p12 / password of the .p12 files: {DEMO_PKCS12_PASSWORD}")
    if not demo_active(settings):
        print(
            "  Không dùng: đã cấu hình MS_TRUST_ROOTS hoặc con dấu. / Not used: MS_TRUST_ROOTS or a seal is configured."
        )


def _as_cli_admin(action: str, args_of: dict[str, Any], settings: Settings) -> dict[str, Any]:
    """Runs an admin action as the command line (migrating first); AppError reaches the caller."""
    from .actions import run_action
    from .api.app import build_services
    from .domain.actors import Actor

    async def run() -> dict[str, Any]:
        await _migrate(settings)
        services = build_services(settings)
        system = Actor(kind="user", id="system", name="meeting-server CLI", roles=frozenset({ADMIN}))
        try:
            return await run_action(services, system, action, args_of)
        finally:
            await services.db.close()

    return asyncio.run(run())


def cmd_units_import(args: argparse.Namespace) -> int:
    from .errors import AppError

    try:
        result = _as_cli_admin(
            "unit.import_official", {"province": args.province, "with_sites": args.with_sites}, _settings(args)
        )
    except AppError as err:
        print(json.dumps(err.to_dict(), ensure_ascii=False), file=sys.stderr)
        return 2
    print(
        f"{result['province']['name']}: đã thêm {result['added']} xã, phường; cập nhật {result['updated']}; "
        f"thêm {result['sites_added']} điểm cầu / added {result['added']}, updated {result['updated']}, "
        f"{result['sites_added']} sites"
    )
    return 0


def cmd_create_user(args: argparse.Namespace) -> int:
    from .errors import AppError

    settings = _settings(args)
    password = args.password or os.environ.get("MS_NEW_PASSWORD") or getpass.getpass("Mật khẩu / password: ")
    body = {
        "username": args.username,
        "full_name": args.full_name,
        "password": password,
        "roles": args.role,
        **({"title": args.title} if args.title else {}),
        **({"email": args.email} if args.email else {}),
    }
    try:
        user = _as_cli_admin("user.create", body, settings)
    except AppError as err:
        print(json.dumps(err.to_dict(), ensure_ascii=False), file=sys.stderr)
        return 2
    print(json.dumps(user, ensure_ascii=False))
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    from .api.accesslog import runner_options
    from .api.app import build_services, create_app, warm_up_papers

    settings = _settings(args)
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(levelname)s %(name)s: %(message)s")
    logging.getLogger("alembic").setLevel(logging.WARNING)
    restrict_data_dir(settings.data_dir, settings.resolved_database_url)  # 0750/0640, older files included
    _warn_demo_keys(settings)

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
    web.run_app(
        make(),
        host=settings.host,
        port=settings.port,
        print=None,
        backlog=LISTEN_BACKLOG,
        **runner_options(settings.access_log),
    )
    return 0


# Connections the kernel holds for the server before it accepts them (aiohttp's default is 128; the kernel caps it
# at net.core.somaxconn). When a paper is published, hundreds of tablets open their connections at once to
# prefetch it; past the backlog the kernel drops their handshakes and a client may be reset (bench/papers.py
# page_links: 600 tablets, two connections each).
LISTEN_BACKLOG = 2048


def _warn_demo_keys(settings: Settings) -> None:
    from .signing.demo_pki import DEMO_ROOT_NAME, demo_directory
    from .signing.trust import demo_active

    if demo_active(settings):
        logging.getLogger("meeting_server.signing").warning(
            "DEMO SIGNING KEYS: the server trusts %s and seals with its demo seal (%s) because neither "
            "MS_TRUST_ROOTS nor a seal is configured; signatures are reported as 'chứng thư thử nghiệm'. "
            "Never in production.",
            DEMO_ROOT_NAME,
            demo_directory(settings.data_dir),
        )


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


def cmd_verify(args: argparse.Namespace) -> int:
    """Each signature of a PDF: who, when, valid or not, whether the document changed after it. Exit 0 when every
    signature is valid and nothing but signatures came after them, 1 otherwise (or when the file is refused)."""
    from pathlib import Path

    from .api.verify import verification_json
    from .errors import AppError
    from .signing.trust import load_trust, trust_from_settings
    from .signing.verify import verify_pdf

    settings = Settings.from_env()
    trust = load_trust(Path(args.trust_roots)) if args.trust_roots else trust_from_settings(settings)
    try:
        result = verification_json(verify_pdf(Path(args.file).read_bytes(), trust))
    except OSError as error:
        print(f"Không đọc được tệp {args.file}: {error.strerror} / cannot read the file.", file=sys.stderr)
        return 1
    except AppError as error:
        print(error.message(), file=sys.stderr)
        return 1
    if args.json:
        print(json.dumps(result, ensure_ascii=False, indent=2))
    else:
        yes = {True: "có / yes", False: "KHÔNG / NO", None: "—"}
        for number, sig in enumerate(result["signatures"], 1):
            print(
                f"Chữ ký {number} / signature {number}: {'HỢP LỆ / VALID' if sig['ok'] else 'KHÔNG HỢP LỆ / NOT VALID'}"
            )
            print(f"  Người ký / signer: {sig['signer']} ({sig['organisation']})")
            print(f"  Thời điểm ký / signed at: {sig['signing_time'] or '—'}")
            if sig["timestamp_present"]:
                print(
                    f"  Dấu thời gian / timestamp: {sig['timestamp_time']} ({sig['tsa']}): "
                    f"{yes[sig['timestamp_valid']]}"
                )
            print(f"  Nguyên vẹn, đúng chữ ký / intact and valid: {yes[sig['intact'] and sig['valid']]}")
            print(f"  Chứng thư được tin cậy / trusted: {yes[sig['trusted']]}")
            if sig["demo"]:
                print("  CHỨNG THƯ THỬ NGHIỆM / DEMO CERTIFICATE: không có giá trị pháp lý / not legally valid")
            print(f"  Thay đổi sau khi ký / changed after: {sig['later_changes']}")
            print(f"  {sig['summary']}")
        if result["changed_after_last_signature"]:
            print("Văn bản đã bị thay đổi sau chữ ký cuối cùng. / The document changed after the last signature.")
    return 0 if result["all_valid"] else 1


def cmd_programme(args: argparse.Namespace) -> int:
    """Compose (or find, when its inputs are unchanged) the meeting's programme file and print its path."""
    from .errors import AppError
    from .media.programme import ProgrammeError
    from .programmes import ensure_programme

    settings = _settings(args)
    try:
        path = asyncio.run(ensure_programme(settings, args.meeting))
    except AppError as error:
        print(error.message(), file=sys.stderr)
        return 1
    except ProgrammeError as error:
        print(f"Không dựng được tệp toàn cảnh cuộc họp / the programme could not be composed: {error}", file=sys.stderr)
        return 1
    if path is None:
        print("Cuộc họp không có bản ghi hình nào / the meeting has no recording.", file=sys.stderr)
        return 1
    print(path)
    return 0


def cmd_dossier_export(args: argparse.Namespace) -> int:
    """Copy an archived meeting's dossier to --out, building it first when it is not there (or --rebuild)."""
    import shutil
    from pathlib import Path

    from .api.app import build_services
    from .archive.dossier import build_dossier, dossier_path
    from .errors import AppError
    from .signing.seal import SealError

    settings = _settings(args)

    async def run() -> Path:
        await _migrate(settings)
        services = build_services(settings)
        try:
            path = dossier_path(services, args.meeting)
            if args.rebuild or not path.is_file():
                path = await build_dossier(services, args.meeting)
            return path
        finally:
            await services.db.close()

    try:
        path = asyncio.run(run())
    except (AppError, SealError) as error:
        print(error.message() if isinstance(error, AppError) else str(error), file=sys.stderr)
        return 1
    shutil.copyfile(path, args.out)
    print(f"Hồ sơ cuộc họp / meeting dossier: {args.out} ({Path(args.out).stat().st_size} bytes)")
    return 0


def cmd_dossier_verify(args: argparse.Namespace) -> int:
    """Recompute every hash of a dossier and check its manifest's signature; exit 0 only when all is well."""
    from pathlib import Path

    from .archive.manifest import check_dossier
    from .signing.trust import load_trust, trust_from_settings

    settings = Settings.from_env()
    trust = load_trust(Path(args.trust_roots)) if args.trust_roots else trust_from_settings(settings)
    found = check_dossier(Path(args.file), trust)
    if args.json:
        print(json.dumps(found.to_dict(), ensure_ascii=False, indent=2))
        return 0 if found.ok else 1
    print(f"Hồ sơ / dossier: {args.file} ({found.files} tệp / files listed, cuộc họp / meeting {found.meeting_id})")
    signed = "HỢP LỆ / VALID" if found.signature_ok else "KHÔNG HỢP LỆ / NOT VALID"
    print(f"  Chữ ký của manifest.json / the manifest's signature: {signed} ({found.signer or '—'})")
    for label, names in (
        ("Đã bị thay đổi / changed", found.changed),
        ("Bị thiếu / missing", found.missing),
        ("Không có trong manifest / added", found.added),
    ):
        for name in names:
            print(f"  {label}: {name}")
    if found.problem:
        print(f"  {found.problem}")
    print("Hồ sơ nguyên vẹn. / The dossier is intact." if found.ok else "HỒ SƠ KHÔNG NGUYÊN VẸN. / NOT INTACT.")
    return 0 if found.ok else 1


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
        help="seed the demo province (Tuyên Quang) and print its accounts",
        description="Seed Tỉnh Tuyên Quang with its 124 communes and wards from the official list, each with a "
        "meeting room and its device token, the province's departments, people, a scheduled provincial "
        "conference and a meeting held on 26/11/2026 with its record. Does nothing if the database already has users. "
        "Makes the demo signing keys once (data/demo-pki/, docs/demo.md).",
    )
    demo.add_argument("--database-url", help="override MS_DATABASE_URL")
    demo.set_defaults(func=cmd_demo)

    units = sub.add_parser("units", help="administrative units", description="Administrative units.")
    units_sub = units.add_subparsers(dest="units_command", required=True, metavar="UNITS_COMMAND")
    imp = units_sub.add_parser(
        "import",
        help="import a province's communes, wards and special zones from the official list",
        description="Import (or bring up to date) a province and its commune-level units from the official list "
        "(vietnam-provinces), matched by official code: a second run renames and adds, never duplicates.",
    )
    imp.add_argument("--province", required=True, help='official code ("08") or name ("Tuyên Quang")')
    imp.add_argument("--with-sites", action="store_true", help="give every commune without one a meeting room")
    imp.add_argument("--database-url", help="override MS_DATABASE_URL")
    imp.set_defaults(func=cmd_units_import)

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
    create.add_argument("--email", help="official e-mail address: where invitations go")
    create.add_argument("--password")
    create.add_argument("--database-url", help="override MS_DATABASE_URL")
    create.set_defaults(func=cmd_create_user)

    verify = sub.add_parser(
        "verify",
        help="check the digital signatures of a PDF",
        description="Print each signature of FILE.pdf: who, when, valid or not, whether the document changed after "
        "it. Exit 0 when all are valid, 1 otherwise. Trust roots: MS_TRUST_ROOTS or --trust-roots.",
    )
    verify.add_argument("file", metavar="FILE.pdf")
    verify.add_argument("--json", action="store_true", help="print one JSON object (as POST /api/verify answers)")
    verify.add_argument("--trust-roots", help="a PEM file or folder of trust roots (default MS_TRUST_ROOTS)")
    verify.set_defaults(func=cmd_verify)

    programme = sub.add_parser(
        "programme",
        help="compose the meeting as the wall displays showed it into one MP4",
        description="Compose MS_DATA_DIR/programmes/MEETING/programme.mp4 from the meeting's recordings and its "
        "log (main site, the chair's inset, the speaker, the agenda item; chapters per item), unless it exists "
        "and its inputs are unchanged, and print its path. Exit 1 when the meeting has no recording.",
    )
    programme.add_argument("meeting", metavar="MEETING", help="the meeting's id")
    programme.add_argument("--database-url", help="override MS_DATABASE_URL")
    programme.set_defaults(func=cmd_programme)
    dossier = sub.add_parser(
        "dossier",
        help="an archived meeting's dossier (hồ sơ cuộc họp): export it, verify it",
        description="The signed zip an archived meeting leaves (docs/archive.md).",
    )
    dossier_sub = dossier.add_subparsers(dest="dossier_command", required=True, metavar="DOSSIER_COMMAND")
    export = dossier_sub.add_parser(
        "export",
        help="write an archived meeting's dossier to a file (building it if it is not there yet)",
        description="Copy the dossier of archived MEETING (its id) to FILE.zip; it is built first when missing "
        "(or with --rebuild), signed with the organisation's seal.",
    )
    export.add_argument("meeting", metavar="MEETING")
    export.add_argument("--out", required=True, metavar="FILE.zip")
    export.add_argument("--rebuild", action="store_true", help="build it again even if it is there")
    export.add_argument("--database-url", help="override MS_DATABASE_URL")
    export.set_defaults(func=cmd_dossier_export)
    check = dossier_sub.add_parser(
        "verify",
        help="recompute every hash of a dossier and check its manifest's signature",
        description="Name every changed, missing or added file of FILE.zip and check manifest.json.p7s against the "
        "trust roots (MS_TRUST_ROOTS, the demo PKI's root in the demo, or --trust-roots). Exit 0 only when all is "
        "well.",
    )
    check.add_argument("file", metavar="FILE.zip")
    check.add_argument("--json", action="store_true", help="print one JSON object")
    check.add_argument("--trust-roots", help="a PEM file or folder of trust roots (default MS_TRUST_ROOTS)")
    check.set_defaults(func=cmd_dossier_verify)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    use_private_umask()  # what any command writes (database, papers, recordings, tokens) is not world-readable
    try:
        return int(args.func(args))
    except ModuleNotFoundError as exc:
        # A room PC's install (`pip install .`, `make install-room`) has room-client only.
        print(
            f"Thiếu gói Python {exc.name}: máy chủ cần bản cài đầy đủ (make install, hoặc pip install "
            f"'meeting-server[server]'); bản cài cho máy điểm cầu chỉ có room-client.\n"
            f"Missing Python package {exc.name}: the server needs the full install (make install, or pip install "
            f"'meeting-server[server]'); a room PC's install has room-client only.",
            file=sys.stderr,
        )
        return 1


if __name__ == "__main__":
    sys.exit(main())
