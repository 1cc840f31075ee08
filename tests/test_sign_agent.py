"""meeting-sign's key part against real SoftHSM2 tokens (tests/hsmkit.py) and real PKCS#12 files.

The HTTP part is tested end to end against the real server where the server side of the protocol lives.
"""

from __future__ import annotations

import io
import subprocess
import sys
from pathlib import Path

import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko_certvalidator import ValidationContext

from meeting_server.protocol import SIGN_MECHANISM_ECDSA, SIGN_MECHANISM_RSA
from meeting_sign.keys import Pkcs12Key, TokenKeys
from meeting_sign.texts import AgentError
from tests.hsmkit import CHAIR_EC_KEY, CHAIR_KEY, SECRETARY_KEY, SOFTHSM_MODULE, Tokens, sign_twice
from tests.pkikit import CHAIR_NAME, PKCS12_PASSWORD, SECRETARY_NAME, Identity

TO_SIGN = "các thuộc tính được ký (signed attributes)".encode()


def assert_signed_by(identity: Identity, signature: bytes) -> None:
    """The signature verifies under the certificate's public key (raises otherwise)."""
    public = identity.certificate.public_key()
    if isinstance(public, rsa.RSAPublicKey):
        public.verify(signature, TO_SIGN, padding.PKCS1v15(), hashes.SHA256())
    else:
        assert isinstance(public, ec.EllipticCurvePublicKey)
        public.verify(signature, TO_SIGN, ec.ECDSA(hashes.SHA256()))


def test_the_only_certificate_is_chosen_and_signs_rsa_on_the_token(tokens: Tokens) -> None:
    keys = TokenKeys(SOFTHSM_MODULE, tokens.secretary.label)
    certificate = keys.choose()
    assert certificate.label == SECRETARY_KEY and certificate.der == tokens.pki.secretary.der
    assert keys.chain() == tokens.pki.secretary.chain_der
    with keys.unlock(certificate, tokens.secretary.user_pin) as key:
        signature = key.sign(TO_SIGN, SIGN_MECHANISM_RSA)
        assert key.chain == tokens.pki.secretary.chain_der
    assert_signed_by(tokens.pki.secretary, signature)


def test_ecdsa_is_hashed_then_signed_raw_and_der_encoded(tokens: Tokens) -> None:
    keys = TokenKeys(SOFTHSM_MODULE, tokens.chair.label)
    with pytest.raises(AgentError) as several:
        keys.choose(signer_name=CHAIR_NAME)  # both carry the chair's name: the signer must say which
    assert several.value.key == "several_certificates" and CHAIR_EC_KEY in several.value.text()
    certificate = keys.choose(CHAIR_EC_KEY)
    with keys.unlock(certificate, tokens.chair.user_pin) as key:
        signature = key.sign(TO_SIGN, SIGN_MECHANISM_ECDSA)
        with pytest.raises(AgentError) as mismatch:
            key.sign(TO_SIGN, SIGN_MECHANISM_RSA)
    assert_signed_by(tokens.pki.ecdsa_signer, signature)
    assert mismatch.value.text() == ("Máy chủ yêu cầu cơ chế ký «sha256_rsa_pkcs1» nhưng khoá trên token là khoá EC.")
    assert keys.choose(CHAIR_KEY).der == tokens.pki.chair.der


def test_a_wrong_pin_is_told_with_what_the_token_says_of_the_tries_left(tokens: Tokens) -> None:
    keys = TokenKeys(SOFTHSM_MODULE, tokens.secretary.label)
    certificate = keys.choose()
    with pytest.raises(AgentError) as wrong, keys.unlock(certificate, "000000"):
        pass
    assert wrong.value.key == "wrong_pin"
    assert wrong.value.text() == (
        "Mã PIN không đúng. Token báo đã có lần nhập sai: còn ít lần thử trước khi token bị khoá."
    )
    assert wrong.value.text("en").startswith("Wrong PIN. The token reports failed attempts")
    with keys.unlock(certificate, tokens.secretary.user_pin) as key:  # the right PIN still opens it
        assert_signed_by(tokens.pki.secretary, key.sign(TO_SIGN, SIGN_MECHANISM_RSA))


def test_missing_module_token_or_certificate_are_said_plainly(tokens: Tokens, tmp_path: Path) -> None:
    with pytest.raises(AgentError) as no_module:
        TokenKeys(str(tmp_path / "khong-co.so"))
    assert no_module.value.key == "no_module" and "--module" in no_module.value.text()
    with pytest.raises(AgentError) as several:
        TokenKeys(SOFTHSM_MODULE)
    assert several.value.key == "several_tokens" and tokens.chair.label in several.value.text()
    with pytest.raises(AgentError) as absent:
        TokenKeys(SOFTHSM_MODULE, "KHONG-CO")
    assert absent.value.text().startswith("Không có token nào mang nhãn «KHONG-CO». Các token đang cắm:")
    with pytest.raises(AgentError) as no_such:
        TokenKeys(SOFTHSM_MODULE, tokens.secretary.label).choose("Khong co")
    assert no_such.value.key == "no_such_certificate" and SECRETARY_KEY in no_such.value.text()


def test_a_pkcs12_file_signs_once_and_a_wrong_password_is_refused(tokens: Tokens, tmp_path: Path) -> None:
    path = tmp_path / "thu-ky.p12"
    path.write_bytes(tokens.pki.secretary.pkcs12())
    key = Pkcs12Key(path, PKCS12_PASSWORD.decode())
    assert key.certificate == tokens.pki.secretary.der and list(key.chain) == tokens.pki.secretary.chain_der
    assert_signed_by(tokens.pki.secretary, key.sign(TO_SIGN, SIGN_MECHANISM_RSA))
    with pytest.raises(AgentError) as wrong:
        Pkcs12Key(path, "sai")
    assert wrong.value.text() == "Không mở được tệp thu-ky.p12: sai mật khẩu hoặc tệp không phải PKCS#12."


def test_the_cli_lists_the_token_s_certificates(tokens: Tokens) -> None:
    """The installed entry point, in its own process, finding the token through SOFTHSM2_CONF."""
    listed = subprocess.run(
        [sys.executable, "-m", "meeting_sign", "--list", "--module", SOFTHSM_MODULE, "--token", tokens.chair.label],
        env=tokens.hsm.env(),
        capture_output=True,
        text=True,
        check=True,
    )
    lines = listed.stdout.splitlines()
    assert sorted(line.split("\t")[0] for line in lines) == sorted([CHAIR_KEY, CHAIR_EC_KEY])
    assert all(CHAIR_NAME in line for line in lines)
    refused = subprocess.run(
        [sys.executable, "-m", "meeting_sign", "--list", "--module", SOFTHSM_MODULE, "--token", "KHONG-CO"],
        env=tokens.hsm.env(),
        capture_output=True,
        text=True,
    )
    assert refused.returncode == 1 and refused.stderr.startswith("Không có token nào mang nhãn «KHONG-CO»")


def test_what_the_token_signs_for_prepare_finishes_into_a_valid_pdf(tokens: Tokens) -> None:
    """RSA on the secretary's token, then ECDSA on the chair's: two signatures pyHanko validates."""
    pdf = sign_twice(tokens)
    context = ValidationContext(trust_roots=[asn1_x509.Certificate.load(tokens.pki.root.der)])
    signatures = PdfFileReader(io.BytesIO(pdf)).embedded_signatures
    assert len(signatures) == 2
    for signature in signatures:
        status = validate_pdf_signature(signature, context)
        assert status.intact and status.valid and status.trusted, status.pretty_print_details()
    names = [s.signer_cert.subject.native["common_name"] for s in signatures]
    assert names == [SECRETARY_NAME, CHAIR_NAME]
