"""The `meeting-server` command as a newcomer runs it: help, migrate, demo, units import, create-user, serve --check."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest


def run(tmp_path: Path, *args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environment = {**os.environ, "MS_DATA_DIR": str(tmp_path / "data"), **(env or {})}
    environment.pop("MS_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "meeting_server", *args],
        capture_output=True,
        text=True,
        env=environment,
        timeout=120,
        cwd=tmp_path,
    )


@pytest.mark.parametrize("command", ["serve", "migrate", "demo", "create-user", "programme"])
def test_help_explains_each_command(tmp_path: Path, command: str) -> None:
    top = run(tmp_path, "--help")
    assert top.returncode == 0 and command in top.stdout
    sub = run(tmp_path, command, "--help")
    assert sub.returncode == 0 and "usage: meeting-server " + command in sub.stdout


def test_demo_then_serve_check(tmp_path: Path) -> None:
    demo = run(tmp_path, "demo")
    assert demo.returncode == 0, demo.stderr
    assert "hop-truc-tuyen-2026" in demo.stdout and "admin" in demo.stdout and "chutich" in demo.stdout
    assert (tmp_path / "data" / "meetings.sqlite3").exists()
    tokens = (tmp_path / "data" / "demo-device-tokens.txt").read_text().splitlines()
    assert len(tokens) == 125 and tokens[0].endswith("\tPhòng họp trực tuyến UBND tỉnh")
    assert (tmp_path / "data" / "demo-device-tokens.txt").stat().st_mode & 0o077 == 0
    again = run(tmp_path, "demo")
    assert again.returncode == 0 and "không tạo lại" in again.stdout
    check = run(tmp_path, "serve", "--check")
    assert check.returncode == 0, check.stderr
    assert json.loads(check.stdout.strip().splitlines()[-1]) == {"status": "ok", "database": "ok", "version": "0.1.0"}


def test_create_user_and_refuse_a_duplicate(tmp_path: Path) -> None:
    assert run(tmp_path, "migrate").returncode == 0
    created = run(
        tmp_path,
        "create-user",
        "quantri",
        "Nguyễn Văn Quản",
        "--role",
        "admin",
        "--email",
        "quan.nv@tuyenquang.gov.vn",
        env={"MS_NEW_PASSWORD": "mot-mat-khau-dai"},
    )
    assert created.returncode == 0, created.stderr
    user = json.loads(created.stdout)
    assert user["username"] == "quantri" and user["roles"] == ["admin"] and user["full_name"] == "Nguyễn Văn Quản"
    assert user["email"] == "quan.nv@tuyenquang.gov.vn"
    duplicate = run(
        tmp_path,
        "create-user",
        "quantri",
        "Người khác",
        "--role",
        "delegate",
        env={"MS_NEW_PASSWORD": "mot-mat-khau-dai"},
    )
    assert duplicate.returncode == 2
    assert json.loads(duplicate.stderr)["error"]["code"] == "conflict"


def test_units_import_by_name_then_by_code(tmp_path: Path) -> None:
    first = run(tmp_path, "units", "import", "--province", "Tuyên Quang", "--with-sites")
    assert first.returncode == 0, first.stderr
    assert "Tỉnh Tuyên Quang: đã thêm 124 xã, phường; cập nhật 0; thêm 124 điểm cầu" in first.stdout
    again = run(tmp_path, "units", "import", "--province", "08", "--with-sites")
    assert again.returncode == 0 and "đã thêm 0 xã, phường; cập nhật 0; thêm 0 điểm cầu" in again.stdout
    unknown = run(tmp_path, "units", "import", "--province", "Atlantis")
    assert unknown.returncode == 2 and json.loads(unknown.stderr)["error"]["code"] == "not_found"


def test_programme_of_an_unknown_meeting_says_so(tmp_path: Path) -> None:
    assert run(tmp_path, "migrate").returncode == 0
    missing = run(tmp_path, "programme", "khong-co")
    assert missing.returncode == 1 and missing.stdout == ""
    assert "Không tìm thấy cuộc họp" in missing.stderr, missing.stderr
    assert not (tmp_path / "data" / "programmes" / "khong-co").exists()
