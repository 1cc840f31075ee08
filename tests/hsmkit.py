"""Real SoftHSM2 tokens for the tests: the secretary's and the chair's "USB tokens" and the organisation's HSM slot.

One SoftHSM2 per test session: its own ``SOFTHSM2_CONF`` and token folder under tmp, set in the environment
before the PKCS#11 library is first loaded (SoftHSM2 reads its configuration once, at C_Initialize), so every
token is initialised with ``softhsm2-util --init-token`` first and the keys are imported afterwards through
python-pkcs11. A key and its certificate share a label and an id, as a Government CA token carries them.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pkcs11
import pymupdf
import pytest
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from pkcs11.util.ec import decode_ec_private_key
from pkcs11.util.rsa import decode_rsa_private_key
from pkcs11.util.x509 import decode_x509_certificate

from meeting_server.domain.record_content import SignatureBox
from meeting_server.signing.prepare import finish, prepare
from meeting_sign.keys import TokenKeys
from tests.pkikit import PKI, Identity, make_pki

SOFTHSM_MODULE = "/usr/lib/softhsm/libsofthsm2.so"
SO_PIN = "87654321"

# The token labels the tests use: two people's USB tokens and the server's HSM slot.
SECRETARY_TOKEN = "THU-KY"
CHAIR_TOKEN = "CHU-TRI"
SEAL_TOKEN = "HSM-CON-DAU"


@dataclass(frozen=True)
class Token:
    """What a signer (or the server's config) needs to reach a token: module, label, PIN."""

    module: str
    label: str
    user_pin: str


def key_id(label: str) -> bytes:
    """The CKA_ID a key and its certificate share: derived from the label, so it is stable and distinct."""
    return hashlib.sha256(label.encode()).digest()[:8]


class SoftHSM:
    """A SoftHSM2 installation of its own under ``root``; call :meth:`init_token` before :meth:`put`."""

    def __init__(self, root: Path) -> None:
        self.root = root
        (root / "tokens").mkdir(parents=True, exist_ok=True)
        self.conf = root / "softhsm2.conf"
        self.conf.write_text(
            f"directories.tokendir = {root / 'tokens'}\nobjectstore.backend = file\nlog.level = ERROR\n"
        )

    def env(self) -> dict[str, str]:
        return {**os.environ, "SOFTHSM2_CONF": str(self.conf)}

    def init_token(self, label: str, user_pin: str) -> Token:
        subprocess.run(
            ["softhsm2-util", "--init-token", "--free", "--label", label, "--pin", user_pin, "--so-pin", SO_PIN],
            env=self.env(),
            check=True,
            capture_output=True,
        )
        return Token(SOFTHSM_MODULE, label, user_pin)

    def put(self, token: Token, identities: dict[str, Identity]) -> None:
        """Import each identity's key (not extractable, sign only) and its certificate under its label, and the
        CA certificates above them once."""
        lib = pkcs11.lib(token.module)
        cas: dict[bytes, None] = {}
        with lib.get_token(token_label=token.label).open(rw=True, user_pin=token.user_pin) as session:
            for label, identity in identities.items():
                ident = key_id(label)
                session.create_object(
                    {
                        **_private_key_attributes(identity.key),
                        pkcs11.Attribute.TOKEN: True,
                        pkcs11.Attribute.PRIVATE: True,
                        pkcs11.Attribute.SENSITIVE: True,
                        pkcs11.Attribute.EXTRACTABLE: False,
                        pkcs11.Attribute.SIGN: True,
                        pkcs11.Attribute.LABEL: label,
                        pkcs11.Attribute.ID: ident,
                    }
                )
                session.create_object(_certificate_attributes(identity.der, label, ident))
                cas.update(dict.fromkeys(identity.chain_der))
            for number, der in enumerate(cas):
                session.create_object(_certificate_attributes(der, f"CA-{number}", key_id(f"CA-{number}")))


def _private_key_attributes(key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey) -> dict[pkcs11.Attribute, object]:
    # TraditionalOpenSSL is PKCS#1 for RSA and SEC 1 (with the curve) for EC: what python-pkcs11's decoders read.
    der = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.TraditionalOpenSSL, serialization.NoEncryption()
    )
    if isinstance(key, rsa.RSAPrivateKey):
        return dict(decode_rsa_private_key(der))
    return dict(decode_ec_private_key(der))


def _certificate_attributes(der: bytes, label: str, ident: bytes) -> dict[pkcs11.Attribute, object]:
    asn1_x509.Certificate.load(der)  # refuse garbage before it reaches the token
    return {
        **decode_x509_certificate(der),
        pkcs11.Attribute.TOKEN: True,
        pkcs11.Attribute.LABEL: label,
        pkcs11.Attribute.ID: ident,
    }


# Labels of the keys on the tokens (a key and its certificate share one).
SECRETARY_KEY = "Chu ky so Thu ky"
CHAIR_KEY = "Chu ky so Chu tri"
CHAIR_EC_KEY = "Chu ky so Chu tri (EC)"
SEAL_KEY = "Con dau UBND"


@dataclass(frozen=True)
class Tokens:
    """The session's tokens: the secretary's and the chair's USB tokens, the organisation's HSM slot."""

    hsm: SoftHSM
    pki: PKI
    secretary: Token
    chair: Token
    seal: Token


@pytest.fixture(scope="session")
def tokens(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Tokens]:
    """SoftHSM2 with three tokens, ``SOFTHSM2_CONF`` set for this process and the processes it starts."""
    pki = make_pki()
    hsm = SoftHSM(tmp_path_factory.mktemp("softhsm"))
    with pytest.MonkeyPatch.context() as patch:
        patch.setenv("SOFTHSM2_CONF", str(hsm.conf))
        secretary = hsm.init_token(SECRETARY_TOKEN, "111111")
        chair = hsm.init_token(CHAIR_TOKEN, "222222")
        seal = hsm.init_token(SEAL_TOKEN, "333333")
        hsm.put(secretary, {SECRETARY_KEY: pki.secretary})
        hsm.put(chair, {CHAIR_KEY: pki.chair, CHAIR_EC_KEY: pki.ecdsa_signer})
        hsm.put(seal, {SEAL_KEY: pki.seal})
        yield Tokens(hsm, pki, secretary, chair, seal)


def sign_twice(tokens: Tokens) -> bytes:
    """The secretary then the chair sign a PDF through prepare, the agent's token signing, and finish."""
    pdf = plain_pdf()
    for token, label, box in (
        (tokens.secretary, SECRETARY_KEY, SignatureBox(0, 60, 500, 260, 580)),
        (tokens.chair, CHAIR_EC_KEY, SignatureBox(0, 320, 500, 520, 580)),
    ):
        keys = TokenKeys(SOFTHSM_MODULE, token.label)
        with keys.unlock(keys.choose(label), token.user_pin) as key:
            prepared = prepare(pdf, box, f"ChuKy-{token.label}", key.certificate, list(key.chain))
            pdf = finish(prepared.state, key.sign(prepared.to_sign, prepared.mechanism)).pdf
    return pdf


def plain_pdf() -> bytes:
    """A one-page PDF to sign."""
    document = pymupdf.open()
    document.new_page().insert_text((72, 72), "Bien ban hop")
    return document.tobytes()
