"""Public interfaces are documented, and the documents are checked against what the server registers."""

from __future__ import annotations

import argparse
import re
from pathlib import Path

from meeting_server import protocol as p
from meeting_server import vocabulary as v
from meeting_server.actions import REGISTRY
from meeting_server.api.openapi import openapi_document
from meeting_server.api.routes import ROUTES
from meeting_server.cli import build_parser
from meeting_server.errors import CATALOGUE
from tests.helpers import LiveServer

DOCS = Path(__file__).resolve().parent.parent / "docs"
PROTOCOL = (DOCS / "protocol.md").read_text()
API = (DOCS / "api.md").read_text()
CLI = (DOCS / "cli.md").read_text()
ROOT = DOCS.parent
ARCHITECTURE = (DOCS / "architecture.md").read_text()


def test_every_registered_socket_event_is_documented(live_server: LiveServer) -> None:
    hub = live_server.hub
    registered = set(hub.registered_events) | set(p.SERVER_EVENTS)
    documented = set(re.findall(r"^### `([^`]+)`", PROTOCOL, re.M))
    assert registered - documented == set(), "undocumented socket.io events"
    assert documented - registered == set(), "documented events the server does not have"
    handlers = set(hub.sio.handlers["/"]) - {"connect", "disconnect", "*"}
    assert handlers == set(hub.registered_events)


def test_every_action_and_event_type_is_documented() -> None:
    for name in REGISTRY:
        assert f"`{name}`" in PROTOCOL, name
    for event_type in p.EVENT_TYPES:
        assert f"`{event_type}`" in PROTOCOL, event_type


def test_every_route_is_documented_and_in_openapi(live_server: LiveServer) -> None:
    documented = set(re.findall(r"^\| (GET|POST|PUT|PATCH|DELETE) \| `([^`]+)` \|", API, re.M))
    declared = {(r.method, r.path) for r in ROUTES}
    assert declared == documented
    doc = openapi_document()
    assert {(m.upper(), path) for path, ops in doc["paths"].items() for m in ops} == declared
    runner = live_server.runner
    assert runner is not None
    registered = {
        (route.method, resource.canonical)
        for route in runner.app.router.routes()
        if (resource := route.resource) is not None and resource.canonical.startswith("/api") and route.method != "HEAD"
    }
    assert registered == declared


def test_every_error_code_is_documented() -> None:
    for code in CATALOGUE:
        assert f"| `{code}` |" in API, code


def _commands(parser: argparse.ArgumentParser) -> dict[str, argparse.ArgumentParser]:
    """The parsers of a CLI's sub-commands, by command name."""
    return next(a for a in parser._actions if isinstance(a, argparse._SubParsersAction) and a.dest == "command").choices


def test_every_cli_command_is_documented() -> None:
    parser = build_parser()
    commands = _commands(parser)
    for name in commands:
        assert f"## `meeting-server {name}" in CLI, name
    from room_client.cli import build_parser as room_parser

    room_commands = _commands(room_parser())
    for name in room_commands:
        assert f"## `room-client {name}`" in CLI, name
        for option in _commands(room_parser())[name]._option_string_actions:
            if option.startswith("--") and option not in ("--help", "--status-every", "--verbose"):
                assert option in CLI, f"room-client {name} {option} is undocumented"


def module_names() -> set[str]:
    """Every module of the server and the room client as the module map names it: its path, or its package's
    folder for an `__init__.py`."""
    found = set()
    for package in ("meeting_server", "room_client", "meeting_sign"):
        for path in (ROOT / package).rglob("*.py"):
            relative = path.relative_to(ROOT)
            found.add(f"{relative.parent}/" if path.name == "__init__.py" else str(relative))
    return found


def test_the_module_map_names_every_module() -> None:
    """docs/architecture.md's module map has one line per module, and no line for a module that is gone."""
    section = ARCHITECTURE.split("## Module map", 1)[1]
    mapped = set(re.findall(r"^\| `([^`]+)` \|", section, re.M))
    modules = module_names()
    assert modules - mapped == set(), "modules missing from docs/architecture.md's module map"
    assert mapped - modules == set(), "docs/architecture.md's module map names modules that do not exist"


def test_the_bench_index_names_the_result_files() -> None:
    """bench/results/README.md links every kept result, and every file it links is there."""
    results = ROOT / "bench" / "results"
    index = (results / "README.md").read_text()
    linked = set(re.findall(r"\]\(([\w.-]+\.md)\)", index))
    assert linked == {path.name for path in results.glob("*.md")} - {"README.md"}
    assert all(results.joinpath(name).with_suffix(".json").is_file() for name in linked)


def test_the_permission_table_is_the_vocabulary_table() -> None:
    """docs/api.md lists every permission with exactly the roles meeting_server/vocabulary.py grants it."""
    rows = dict(re.findall(r"^\| `([a-z_]+\.[a-z_]+)` \| (?:global|meeting) \| (.+) \|$", API, re.M))
    tables: dict[str, frozenset[str]] = {name: frozenset(roles) for name, roles in v.GLOBAL_PERMISSIONS.items()}
    tables.update({name: frozenset(roles) for name, roles in v.MEETING_PERMISSIONS.items()})
    assert set(rows) == set(tables), "permissions missing from (or unknown to) docs/api.md"
    for name, granted in tables.items():
        documented = set(re.findall(r"`([a-z_]+)`", rows[name])) & set(v.MEETING_ROLES)
        assert documented == set(granted), name


def test_the_annotation_limits_are_the_schema_s() -> None:
    from meeting_server.domain import annotations as schema

    for figure in (schema.MAX_STROKES, schema.MAX_POINTS, schema.MAX_RECTS, schema.MAX_TEXT):
        assert f"{figure:,}" in API, f"docs/api.md does not state the annotation limit {figure:,}"
    assert f"{schema.MIN_WIDTH:g}–{schema.MAX_WIDTH:g}" in API and f"{schema.MIN_OPACITY:g}–1" in API


def test_every_setting_is_documented() -> None:
    """Every `MS_*` variable config.py reads has its line in docs/cli.md's settings table."""
    read = set(re.findall(r"\b(MS_[A-Z_]+)\b", (ROOT / "meeting_server" / "config.py").read_text()))
    rows = "\n".join(line for line in CLI.splitlines() if line.startswith("| `MS_"))
    documented = set(re.findall(r"`(MS_[A-Z_]+)`", rows))
    assert read - documented == set(), "settings missing from docs/cli.md"


def test_every_meeting_sign_option_is_documented() -> None:
    from meeting_sign.cli import build_parser as sign_parser

    assert "## `meeting-sign LINK`" in CLI
    for option in sign_parser()._option_string_actions:
        if option.startswith("--") and option != "--help":
            assert option in CLI, f"meeting-sign {option} is undocumented"
