"""The layering DESIGN.md asks for, checked on the import graph rather than trusted."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def imports_of(path: Path) -> set[str]:
    """Absolute module names a file imports (relative imports resolved against its package)."""
    return imports_in(path.read_text(), ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1]))


def imports_in(source: str, package: str) -> set[str]:
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                module = ".".join(base + ([node.module] if node.module else []))
            else:
                module = node.module or ""
            found.add(module)
            found.update(f"{module}.{alias.name}" for alias in node.names)
    return found


def files(folder: str) -> list[Path]:
    return sorted((ROOT / folder).rglob("*.py"))


ROOM_MAY_IMPORT = {"meeting_server", "meeting_server.protocol", "meeting_server.media", "meeting_server.media.consent"}


def test_room_client_imports_only_the_protocol_from_the_server() -> None:
    """...and the ICE consent rule, which both ends of a connection install."""
    for path in files("room_client"):
        server_imports = {m for m in imports_of(path) if m.startswith("meeting_server")}
        assert server_imports <= ROOM_MAY_IMPORT, (path, server_imports)


def test_the_signing_agent_imports_only_the_protocol_from_the_server() -> None:
    """meeting-sign runs on the signer's own PC: nothing of the server but the protocol's names."""
    for path in files("meeting_sign"):
        server_imports = {m for m in imports_of(path) if m.startswith("meeting_server")}
        outside = {m for m in server_imports if m != "meeting_server.protocol"}
        assert all(m.startswith("meeting_server.protocol.") for m in outside), (path, outside)


def test_what_the_room_client_shares_with_the_server_is_a_leaf() -> None:
    """media/consent.py needs only the standard library and aioice; the media package's __init__ imports nothing."""
    allowed = set(sys.stdlib_module_names) | {"aioice", "__future__"}
    for module in imports_of(ROOT / "meeting_server" / "media" / "consent.py"):
        assert module.split(".")[0] in allowed, module
    assert imports_of(ROOT / "meeting_server" / "media" / "__init__.py") == set()


def test_protocol_is_a_leaf() -> None:
    """protocol (what room_client imports) needs only pydantic and the vocabulary, which needs nothing at all."""
    allowed = set(sys.stdlib_module_names) | {"pydantic", "__future__"}
    for module in imports_of(ROOT / "meeting_server" / "protocol.py"):
        assert module.split(".")[0] in allowed or module.startswith("meeting_server.vocabulary"), module
    for module in imports_of(ROOT / "meeting_server" / "vocabulary.py"):
        assert module.split(".")[0] in set(sys.stdlib_module_names) | {"__future__"}, module


def test_domain_is_pure() -> None:
    forbidden = {"asyncio", "sqlalchemy", "aiohttp", "socketio", "pymupdf", "fitz", "socket", "os", "subprocess"}
    for path in files("meeting_server/domain"):
        for module in imports_of(path):
            root = module.split(".")[0]
            assert root not in forbidden, (path, module)
            if root == "meeting_server" and module != "meeting_server":
                assert module.split(".")[1] in {"domain", "protocol", "errors", "vocabulary"}, (path, module)


def test_transports_change_nothing_but_through_actions() -> None:
    """REST and socket.io handlers never write to storage themselves (sessions aside, which auth owns)."""
    for folder in ("meeting_server/api", "meeting_server/signalling"):
        for path in files(folder):
            text = path.read_text()
            assert ".write()" not in text, path
            assert "session.add(" not in text, path


def test_media_enforces_but_never_decides_or_stores() -> None:
    """media/ applies the domain's decisions; it reads no database, runs no action and knows no agenda."""
    for path in files("meeting_server/media"):
        text = path.read_text()
        for module in imports_of(path):
            if module.startswith("meeting_server."):
                assert module.split(".")[1] in {"media", "domain", "protocol", "errors", "config", "vocabulary"}, (
                    path,
                    module,
                )
            assert not module.startswith(("sqlalchemy", "meeting_server.storage", "meeting_server.actions")), (
                path,
                module,
            )
        assert "agenda" not in text.lower(), f"{path} mentions agendas"


def reaches_storage(module: str) -> bool:
    return module.split(".")[0] == "sqlalchemy" or module.startswith("meeting_server.storage")


def test_rest_reads_only_through_views() -> None:
    """api/ reaches the database only through actions/ (changes) and views/ (reads): no storage module, no
    SQLAlchemy, so a handler cannot grow a query of its own."""
    found = [(path.name, m) for path in files("meeting_server/api") for m in imports_of(path) if reaches_storage(m)]
    assert found == []


def test_the_storage_check_sees_an_added_import() -> None:
    """The check above fails when someone adds such an import, however it is spelt."""
    for line in (
        "from ..storage import papers as store",
        "from ..storage.db import now_iso",
        "from meeting_server.storage.models import PaperRow",
        "import meeting_server.storage",
        "from .. import storage",
        "from sqlalchemy import select",
        "import sqlalchemy.ext.asyncio",
    ):
        assert any(reaches_storage(m) for m in imports_in(line, "meeting_server.api")), line
    assert not any(reaches_storage(m) for m in imports_in("from ..views import papers", "meeting_server.api"))


def test_signing_knows_no_storage_actions_or_transports() -> None:
    """signing/ (PAdES, trust, verification) works on bytes and certificates: it may use the domain's record
    contract, errors, the vocabulary, the protocol's leaf constants and the settings, nothing that stores, decides
    or serves."""
    for path in files("meeting_server/signing"):
        for module in imports_of(path):
            if module.startswith("meeting_server.") and not module.startswith("meeting_server.signing"):
                assert module.split(".")[1] in {"domain", "errors", "vocabulary", "config", "protocol"}, (path, module)
            assert not module.startswith("sqlalchemy"), (path, module)


def lazy_imports(path: Path) -> set[str]:
    """Modules a file imports inside a function (a lazy import: how an import cycle hides)."""
    return lazy_imports_in(path.read_text(), ".".join(path.relative_to(ROOT).with_suffix("").parts[:-1]))


def lazy_imports_in(source: str, package: str) -> set[str]:
    found: set[str] = set()
    for fn in ast.walk(ast.parse(source)):
        if isinstance(fn, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in fn.body:
                for inner in ast.walk(node):
                    if isinstance(inner, ast.Import | ast.ImportFrom):
                        found |= imports_in(ast.unparse(inner), package)
    return found


def test_the_record_has_no_import_cycle_between_actions_and_views() -> None:
    """actions/record.py uses the facts and content builder of views/record_facts.py at module level; the views
    never import actions/record.py, and nothing of the record reaches across lazily."""
    record_modules = [
        ROOT / "meeting_server" / "actions" / "record.py",
        ROOT / "meeting_server" / "views" / "record.py",
        ROOT / "meeting_server" / "views" / "record_facts.py",
    ]
    for path in record_modules:
        crossing = {m for m in lazy_imports(path) if m.startswith(("meeting_server.actions", "meeting_server.views"))}
        assert crossing == set(), (path.name, crossing)
    for path in record_modules[1:]:
        assert not any(m.startswith("meeting_server.actions.record") for m in imports_of(path)), path.name
    assert "meeting_server.views.record_facts" in imports_of(record_modules[0])


def test_the_lazy_import_check_sees_one() -> None:
    source = "from .base import x\n\nasync def f():\n    from ..views.record import facts_of\n    return facts_of\n"
    assert lazy_imports_in(source, "meeting_server.actions") == {
        "meeting_server.views.record",
        "meeting_server.views.record.facts_of",
    }


def test_each_entry_module_imports_first_in_a_fresh_interpreter() -> None:
    """The record's actions import views/record_facts at module level: whichever module a process imports first
    (the CLI's serve reaches auth before actions), no partial module is read from."""
    import subprocess

    for module in ("meeting_server.auth", "meeting_server.views", "meeting_server.actions", "meeting_server.api.app"):
        done = subprocess.run([sys.executable, "-c", f"import {module}"], capture_output=True, text=True, cwd=ROOT)
        assert done.returncode == 0, (module, done.stderr[-800:])
