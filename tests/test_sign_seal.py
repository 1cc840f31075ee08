"""The organisation's seal from the SoftHSM2 HSM slot (tests/hsmkit.py) and from a PKCS#12 file."""

from __future__ import annotations

import asyncio
import io
import subprocess
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from meeting_server.config import Settings
from meeting_server.domain.record_content import SignatureBox
from meeting_server.signing.seal import SealError, seal_pdf
from tests.hsmkit import SEAL_KEY, SOFTHSM_MODULE, Tokens, plain_pdf
from tests.pkikit import PKCS12_PASSWORD, SEAL_NAME


def secret_file(tmp_path: Path, name: str, text: str, mode: int = 0o600) -> str:
    path = tmp_path / name
    path.write_text(text + "\n")
    path.chmod(mode)
    return str(path)


def hsm_settings(tokens: Tokens, tmp_path: Path, mode: int = 0o600) -> Settings:
    return Settings(
        seal_pkcs11_module=SOFTHSM_MODULE,
        seal_token_label=tokens.seal.label,
        seal_key_label=SEAL_KEY,
        seal_pin_file=secret_file(tmp_path, "seal.pin", tokens.seal.user_pin, mode),
    )


BOX = SignatureBox(page=0, x0=320, y0=500, x1=520, y1=580)


def seal(settings: Settings, pdf: bytes) -> bytes:
    return seal_pdf(settings, pdf, BOX, "ConDau").pdf


def assert_sealed(tokens: Tokens, sealed: bytes, tmp_path: Path) -> None:
    signature = PdfFileReader(io.BytesIO(sealed)).embedded_signatures[0]
    context = ValidationContext(trust_roots=[asn1_x509.Certificate.load(tokens.pki.root.der)])
    status = validate_pdf_signature(signature, context)
    assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    assert status.signing_cert.subject.native["common_name"] == SEAL_NAME
    path = tmp_path / "sealed.pdf"
    path.write_bytes(sealed)
    pdfsig = subprocess.run(["pdfsig", str(path)], capture_output=True, text=True, check=True).stdout
    assert "Signature is Valid." in pdfsig and SEAL_NAME in pdfsig, pdfsig


async def test_the_seal_in_the_hsm_signs_off_the_loop_and_validates(tokens: Tokens, tmp_path: Path) -> None:
    sealed = await asyncio.to_thread(seal, hsm_settings(tokens, tmp_path), plain_pdf())
    await asyncio.to_thread(assert_sealed, tokens, sealed, tmp_path)


async def test_the_seal_from_a_pkcs12_file(tokens: Tokens, tmp_path: Path) -> None:
    p12 = tmp_path / "con-dau.p12"
    p12.write_bytes(tokens.pki.seal.pkcs12())
    settings = Settings(
        seal_pkcs12=str(p12),
        seal_pkcs12_password_file=secret_file(tmp_path, "seal.password", PKCS12_PASSWORD.decode()),
    )
    sealed = await asyncio.to_thread(seal, settings, plain_pdf())
    await asyncio.to_thread(assert_sealed, tokens, sealed, tmp_path)


def test_a_readable_pin_file_a_wrong_pin_and_no_seal_are_refused(tokens: Tokens, tmp_path: Path) -> None:
    with pytest.raises(SealError, match="người khác cũng đọc được"):
        seal(hsm_settings(tokens, tmp_path, mode=0o644), plain_pdf())
    wrong = Settings(
        seal_pkcs11_module=SOFTHSM_MODULE,
        seal_token_label=tokens.seal.label,
        seal_key_label=SEAL_KEY,
        seal_pin_file=secret_file(tmp_path, "wrong.pin", "000000"),
    )
    with pytest.raises(SealError, match="Không mở được HSM của con dấu"):
        seal(wrong, plain_pdf())
    with pytest.raises(SealError, match="chưa được cấu hình con dấu"):
        seal(Settings(), plain_pdf())
