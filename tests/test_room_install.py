"""A room PC installs room-client alone (`pip install .`, `make install-room`), and every install comes from the
lock (requirements/*.txt): both checked here without network.

The room client runs in a Python whose import system refuses every server-only package, so an import of one of
them anywhere in room_client (or in what it pulls from meeting_server) fails here before it fails on a room PC.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
import tomllib
from pathlib import Path

from packaging.requirements import Requirement
from packaging.utils import canonicalize_name

ROOT = Path(__file__).resolve().parent.parent

# The `server` extra's distributions that a room PC must not need, with the modules each one installs.
# (python-engineio is in the extra too, but the room client's socket.io needs it.)
SERVER_ONLY = {
    "sqlalchemy": ("sqlalchemy",),
    "alembic": ("alembic",),
    "aiosqlite": ("aiosqlite",),
    "asyncpg": ("asyncpg",),
    "argon2-cffi": ("argon2",),
    "pymupdf": ("pymupdf", "fitz"),
    "pillow": ("PIL",),
    "redis": ("redis",),
    "segno": ("segno",),  # the check-in QR code, drawn by the server
    "aiosmtplib": ("aiosmtplib",),  # the invitations' mail, sent by the server
    "pyhanko": ("pyhanko",),  # PAdES signing and verification, done by the server
    "python-docx": ("docx",),  # the record's .docx, written by the server
    "uvloop": ("uvloop",),
    "vietnam-provinces": ("vietnam_provinces",),
}
REFUSED = sorted(module for modules in SERVER_ONLY.values() for module in modules)

PRELUDE = """
import importlib.abc, sys
REFUSED = set(sys.argv[1].split(","))
class Refuse(importlib.abc.MetaPathFinder):
    def find_spec(self, name, path=None, target=None):
        if name.split(".")[0] in REFUSED:
            raise ModuleNotFoundError(f"No module named {name!r} (not installed on a room PC)", name=name)
        return None
sys.meta_path.insert(0, Refuse())
"""


def run_refusing(code: str, tmp_path: Path) -> subprocess.CompletedProcess[str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("MS_", "ROOM_CLIENT_"))}
    return subprocess.run(
        [sys.executable, "-c", PRELUDE + code, ",".join(REFUSED)],
        capture_output=True,
        text=True,
        env={**env, "MS_DATA_DIR": str(tmp_path / "data")},
        cwd=tmp_path,
        timeout=120,
    )


def test_room_client_runs_without_any_server_package(tmp_path: Path) -> None:
    done = run_refusing(
        """
import pkgutil, runpy
import room_client
for module in pkgutil.walk_packages(room_client.__path__, "room_client."):
    __import__(module.name)
    print("imported", module.name)
sys.argv = ["room-client", "--help"]
runpy.run_module("room_client.cli", run_name="__main__")
""",
        tmp_path,
    )
    assert done.returncode == 0, done.stderr
    imported = set(re.findall(r"^imported (\S+)$", done.stdout, re.M))
    expected = {f"room_client.{p.stem}" for p in (ROOT / "room_client").glob("*.py") if p.stem != "__init__"}
    assert imported == expected
    assert "usage: room-client" in done.stdout and "join" in done.stdout and "check" in done.stdout


def test_the_refusal_bites_and_the_server_says_what_to_install(tmp_path: Path) -> None:
    """The same guard makes the server fail, so the test above is not passing for want of a working guard; and
    `meeting-server` on a room PC's install says which install it needs instead of a traceback."""
    done = run_refusing(
        """
import runpy
sys.argv = ["meeting-server", "migrate"]
runpy.run_module("meeting_server", run_name="__main__")
""",
        tmp_path,
    )
    assert done.returncode == 1, (done.stdout, done.stderr)
    assert "Traceback" not in done.stderr
    missing = re.search(r"^Thiếu gói Python (\S+): ", done.stderr, re.M)
    assert missing and missing[1].split(".")[0] in REFUSED, done.stderr
    assert "meeting-server[server]" in done.stderr


def pins(lock: str) -> dict[str, str]:
    text = (ROOT / "requirements" / lock).read_text()
    found: dict[str, str] = {
        canonicalize_name(name): version for name, version in re.findall(r"^([A-Za-z0-9._-]+)==(\S+)", text, re.M)
    }
    # Every pin carries its hashes: `pip install --require-hashes` refuses a lock without them.
    assert len(re.findall(r"^[A-Za-z0-9._-]+==\S+ \\\n    --hash=sha256:", text, re.M)) == len(found), lock
    return found


def declared() -> dict[str, list[Requirement]]:
    project = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]
    groups = {"base": project["dependencies"], **project["optional-dependencies"]}
    return {group: [Requirement(line) for line in lines] for group, lines in groups.items()}


def test_the_locks_hold_what_pyproject_declares_at_one_set_of_versions() -> None:
    """A dependency added or a range changed in pyproject.toml without `make lock` fails here."""
    groups = declared()
    locks = {
        "room.txt": groups["base"],
        "server.txt": groups["base"] + groups["server"],
        "test.txt": groups["base"] + groups["server"] + groups["test"],
    }
    everything = pins("test.txt")
    for lock, requirements in locks.items():
        pinned = pins(lock)
        assert {name: everything.get(name) for name in pinned} == pinned, f"{lock} and test.txt disagree"
        for requirement in requirements:
            version = pinned.get(canonicalize_name(requirement.name))
            assert version is not None, f"{requirement.name} is not in requirements/{lock}: run make lock"
            assert requirement.specifier.contains(version), f"{lock} pins {requirement.name}=={version}: make lock"


def test_a_room_pc_installs_no_server_package() -> None:
    groups = declared()
    base = {canonicalize_name(r.name) for r in groups["base"]}
    server = {canonicalize_name(r.name) for r in groups["server"]}
    assert not base & set(SERVER_ONLY)
    assert not pins("room.txt").keys() & set(SERVER_ONLY)
    # Every distribution the server adds for itself is refused above, or is one the room client needs anyway.
    assert server - set(SERVER_ONLY) <= set(pins("room.txt"))
