"""Verification for anyone: `meeting-server verify FILE.pdf` and `POST /api/verify`, on a PDF signed by the
secretary's and the chair's SoftHSM2 tokens (tests/hsmkit.py), a tampered copy, a non-PDF and an oversized one."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from meeting_server.signing.verify import MAX_VERIFY_BYTES
from tests.helpers import LiveServer
from tests.hsmkit import Tokens, sign_twice
from tests.pkikit import CHAIR_NAME, SECRETARY_NAME


@pytest.fixture(scope="module")
def two_signatures(tokens: Tokens) -> bytes:
    return sign_twice(tokens)


def tampered(pdf: bytes) -> bytes:
    """The same file with one byte of the original revision changed (in its header comment, so the file still
    parses; covered by both signatures)."""
    at = pdf.index(b"Written by")
    return pdf[:at] + b"X" + pdf[at + 1 :]


def roots_file(tokens: Tokens, folder: Path) -> Path:
    path = folder / "roots.pem"
    path.write_bytes(tokens.pki.roots_pem())
    return path


def run_verify(tmp_path: Path, pdf: bytes, roots: Path, *extra: str) -> subprocess.CompletedProcess[str]:
    path = tmp_path / "van-ban.pdf"
    path.write_bytes(pdf)
    return subprocess.run(
        [sys.executable, "-m", "meeting_server", "verify", str(path), "--trust-roots", str(roots), *extra],
        capture_output=True,
        text=True,
    )


def test_the_cli_reports_two_valid_signatures(tokens: Tokens, two_signatures: bytes, tmp_path: Path) -> None:
    done = run_verify(tmp_path, two_signatures, roots_file(tokens, tmp_path))
    assert done.returncode == 0, done.stdout + done.stderr
    assert done.stdout.count("HỢP LỆ / VALID") == 2
    assert f"Người ký / signer: {SECRETARY_NAME}" in done.stdout and f"Người ký / signer: {CHAIR_NAME}" in done.stdout
    assert "+07:00" in done.stdout
    as_json = json.loads(run_verify(tmp_path, two_signatures, roots_file(tokens, tmp_path), "--json").stdout)
    assert as_json["all_valid"] is True and [s["signer"] for s in as_json["signatures"]] == [SECRETARY_NAME, CHAIR_NAME]
    assert [s["later_changes"] for s in as_json["signatures"]] == ["signatures", "none"]


def test_the_cli_reports_a_tampered_pdf_and_exits_1(tokens: Tokens, two_signatures: bytes, tmp_path: Path) -> None:
    done = run_verify(tmp_path, tampered(two_signatures), roots_file(tokens, tmp_path), "--json")
    assert done.returncode == 1, done.stdout + done.stderr
    result = json.loads(done.stdout)
    assert result["all_valid"] is False
    assert [s["intact"] for s in result["signatures"]] == [False, False]
    text = run_verify(tmp_path, tampered(two_signatures), roots_file(tokens, tmp_path))
    assert text.returncode == 1 and text.stdout.count("KHÔNG HỢP LỆ / NOT VALID") == 2
    not_pdf = run_verify(tmp_path, b"day khong phai PDF", roots_file(tokens, tmp_path))
    assert not_pdf.returncode == 1 and "không phải là tệp PDF" in not_pdf.stderr


@pytest.fixture
async def verify_server(tmp_path: Path, tokens: Tokens) -> AsyncIterator[LiveServer]:
    server = LiveServer(
        f"sqlite+aiosqlite:///{tmp_path / 'meetings.sqlite3'}",
        tmp_path,
        settings_overrides={"trust_roots": roots_file(tokens, tmp_path)},
    )
    await server.start()
    yield server
    await server.stop()


async def test_the_api_verifies_valid_tampered_non_pdf_and_oversized(
    verify_server: LiveServer, two_signatures: bytes
) -> None:
    await verify_server.create_user("daibieu", "Hà Thị Lan", ["delegate"])
    api = await verify_server.client("daibieu")
    status, body = await api.upload("/api/verify", two_signatures, "bien-ban.pdf")
    assert status == 200, body
    assert body["all_valid"] is True and [s["ok"] for s in body["signatures"]] == [True, True]
    assert [s["signer"] for s in body["signatures"]] == [SECRETARY_NAME, CHAIR_NAME]
    assert body["signatures"][0]["signing_time"].endswith("+07:00")

    status, body = await api.upload("/api/verify", tampered(two_signatures), "bien-ban.pdf")
    assert status == 200 and body["all_valid"] is False
    assert all(not s["ok"] and not s["intact"] for s in body["signatures"])
    assert "đã bị thay đổi sau khi ký" in body["signatures"][0]["summary"]

    status, body = await api.upload("/api/verify", b"<html>khong phai PDF</html>", "trang.pdf")
    assert (status, body["error"]["code"]) == (422, "signed_pdf_unreadable"), body

    oversized = b"%PDF-1.7\n" + b"0" * MAX_VERIFY_BYTES
    status, body = await api.upload("/api/verify", oversized, "lon.pdf")
    assert (status, body["error"]["code"]) == (413, "signed_pdf_too_large"), body
    assert "tối đa 50 MB" in body["error"]["message"]


async def test_the_api_wants_a_signed_in_user(verify_server: LiveServer, two_signatures: bytes) -> None:
    anonymous = await verify_server.client()
    status, body = await anonymous.upload("/api/verify", two_signatures, "bien-ban.pdf")
    assert status == 401 and body["error"]["code"] == "unauthenticated", body
