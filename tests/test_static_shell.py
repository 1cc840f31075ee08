"""The service worker keeps the whole app shell for offline reading: every file of static/app is in its list (a
module missing there would break the reader on a tablet without Wi-Fi), and every file listed exists. Every
relative import between the app's modules names a file that exists and is in the list too."""

from __future__ import annotations

import re
from pathlib import Path

STATIC = Path(__file__).resolve().parent.parent / "static"
APP = STATIC / "app"


def shell() -> list[str]:
    text = (STATIC / "sw.js").read_text(encoding="utf-8")
    block = re.search(r"const SHELL = \[(.*?)\];", text, re.S)
    assert block is not None, "sw.js has no SHELL list"
    return re.findall(r"'([^']+)'", block.group(1))


def app_files() -> set[str]:
    return {"/static/" + str(p.relative_to(STATIC)) for p in APP.rglob("*") if p.suffix in {".js", ".css", ".svg"}}


def test_every_app_file_is_kept_for_offline_use() -> None:
    listed = shell()
    assert len(listed) == len(set(listed)), "a file is listed twice"
    assert sorted(app_files() - set(listed)) == []


def test_every_listed_file_exists() -> None:
    missing = [
        path for path in shell() if path.startswith("/static/") and not (STATIC / path[len("/static/") :]).is_file()
    ]
    assert missing == []


def test_relative_imports_resolve_to_listed_files() -> None:
    listed = set(shell())
    broken = []
    for module in APP.rglob("*.js"):
        for target in re.findall(r"""(?:import|from)\s*['"](\.{1,2}/[^'"]+)['"]""", module.read_text(encoding="utf-8")):
            resolved = (module.parent / target).resolve()
            if not resolved.is_file() or "/static/" + str(resolved.relative_to(STATIC)) not in listed:
                broken.append(f"{module.relative_to(STATIC)} → {target}")
    assert broken == []
