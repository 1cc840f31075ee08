"""The demo signing keys (signing/demo_pki.py): `meeting-server demo` makes them once, private to the server's user;
with no production setting the server trusts their root and seals with their seal, and a document signed with them
verifies as trusted in demo ("chứng thư thử nghiệm"); any production setting turns them off."""

from __future__ import annotations

import json
import os
import stat
import subprocess
import sys
from pathlib import Path

from pyhanko.sign import signers

from meeting_server import demo_data as d
from meeting_server.config import Settings
from meeting_server.domain.record_content import SignatureBox
from meeting_server.signing.appearance import Look
from meeting_server.signing.demo_pki import DEMO_PKCS12_PASSWORD, DEMO_ROOT_NAME, demo_directory
from meeting_server.signing.prepare import sign_with_key
from meeting_server.signing.seal import seal_configured, seal_pdf
from meeting_server.signing.trust import demo_active, trust_from_settings
from meeting_server.signing.verify import verify_pdf
from tests.hsmkit import plain_pdf

ROOT = Path(__file__).resolve().parent.parent
SECRETARY_BOX = SignatureBox(page=0, x0=60, y0=500, x1=260, y1=580)
SIGNER_BOX = SignatureBox(page=0, x0=320, y0=500, x1=520, y1=580)


def run_demo(data: Path) -> str:
    env = {**os.environ, "MS_DATA_DIR": str(data), "MS_DATABASE_URL": f"sqlite+aiosqlite:///{data / 'm.sqlite3'}"}
    for name in ("MS_TRUST_ROOTS", "MS_SEAL_PKCS12", "MS_SEAL_PKCS11_MODULE"):
        env.pop(name, None)
    done = subprocess.run(
        [sys.executable, "-m", "meeting_server", "demo"], env=env, capture_output=True, text=True, check=True
    )
    return done.stdout


def test_the_demo_makes_its_keys_once_privately_and_signs_verifiably_in_demo(tmp_path: Path) -> None:
    data = tmp_path / "data"
    old_umask = os.umask(0o022)  # started from a shell with the usual umask
    try:
        first = run_demo(data)
    finally:
        os.umask(old_umask)
    folder = demo_directory(data)
    assert "Đã tạo khóa ký số thử nghiệm" in first and DEMO_PKCS12_PASSWORD in first
    made = {p.name: p.read_bytes() for p in folder.iterdir()}
    assert set(made) == {
        "ca-thu-nghiem.pem",
        "thuky.p12",
        "chutich.p12",
        "chanhvanphong.p12",
        "con-dau.p12",
        "con-dau-mat-khau.txt",
    }
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {p.name: stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == dict.fromkeys(made, 0o600)
    second = run_demo(data)
    assert "Đã có sẵn khóa ký số thử nghiệm" in second
    assert {p.name: p.read_bytes() for p in folder.iterdir()} == made  # reused, not made again
    assert DEMO_PKCS12_PASSWORD in (ROOT / "docs" / "demo.md").read_text()

    settings = Settings(data_dir=data)
    assert demo_active(settings) and seal_configured(settings)
    secretary = signers.SimpleSigner.load_pkcs12(str(folder / "thuky.p12"), passphrase=DEMO_PKCS12_PASSWORD.encode())
    assert secretary is not None
    signed = sign_with_key(plain_pdf(), SECRETARY_BOX, "ThuKy", secretary, look=Look()).pdf
    sealed = seal_pdf(settings, signed, SIGNER_BOX, "ConDau").pdf
    reports = verify_pdf(sealed, trust_from_settings(settings))
    assert [r.signer for r in reports] == [d.person("thuky").full_name, d.SEAL_NAME]
    assert all(r.ok and r.trusted and r.demo for r in reports), reports
    assert all("chứng thư thử nghiệm" in r.summary for r in reports)
    assert f"Common Name: {DEMO_ROOT_NAME}" in reports[0].issuer

    pdf = tmp_path / "signed.pdf"
    pdf.write_bytes(sealed)
    env = {**os.environ, "MS_DATA_DIR": str(data)}
    env.pop("MS_TRUST_ROOTS", None)
    shown = subprocess.run(
        [sys.executable, "-m", "meeting_server", "verify", str(pdf)], env=env, capture_output=True, text=True
    )
    assert shown.returncode == 0 and "CHỨNG THƯ THỬ NGHIỆM" in shown.stdout, shown.stdout
    as_json = subprocess.run(
        [sys.executable, "-m", "meeting_server", "verify", "--json", str(pdf)], env=env, capture_output=True, text=True
    )
    assert [s["demo"] for s in json.loads(as_json.stdout)["signatures"]] == [True, True]

    # any production setting turns the demo off: its root is not trusted, its seal not used
    production = Settings(data_dir=data, trust_roots=tmp_path / "elsewhere.pem")
    assert not demo_active(production) and not seal_configured(production)
    assert not demo_active(Settings(data_dir=data, seal_pkcs12=str(tmp_path / "real.p12")))
    assert not demo_active(Settings(data_dir=tmp_path / "no-demo"))
