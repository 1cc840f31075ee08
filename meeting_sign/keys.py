"""The signer's key: a certificate on a PKCS#11 token (python-pkcs11), or a PKCS#12 file for one signature.

Blocking calls (the token's library is synchronous); the CLI runs them in a thread. Nothing here keeps a PIN,
a password or a key after the signature is made.
"""

from __future__ import annotations

import hashlib
import sys
import unicodedata
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol, cast

import pkcs11
from asn1crypto import x509 as asn1_x509
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.serialization import Encoding, pkcs12
from pkcs11.types import SignMixin
from pkcs11.util.ec import encode_ecdsa_signature

from meeting_server.protocol import SIGN_MECHANISM_ECDSA, SIGN_MECHANISM_RSA

from .texts import AgentError

# Where the usual PKCS#11 library lives (OpenSC) when --module is not given; a Vietnamese CA's token (Viettel-CA,
# VNPT-CA, BKAV-CA...) ships its own library, named with --module.
DEFAULT_MODULES = {
    "linux": "/usr/lib/x86_64-linux-gnu/opensc-pkcs11.so",
    "darwin": "/Library/OpenSC/lib/opensc-pkcs11.so",
    "win32": r"C:\Windows\System32\opensc-pkcs11.dll",
}


def default_module() -> str:
    return DEFAULT_MODULES.get(sys.platform, DEFAULT_MODULES["linux"])


def same_name(a: str, b: str) -> bool:
    """The rule the server applies to "the document's signer": NFC, case-folded, spaces collapsed."""

    def norm(text: str) -> str:
        return " ".join(unicodedata.normalize("NFC", text).casefold().split())

    return norm(a) == norm(b)


@dataclass(frozen=True)
class Certificate:
    """A certificate found on a token (or in a file) with what the signer is shown about it."""

    label: str
    key_id: bytes
    der: bytes

    @property
    def _cert(self) -> asn1_x509.Certificate:
        return asn1_x509.Certificate.load(self.der)

    @property
    def common_name(self) -> str:
        return str(self._cert.subject.native.get("common_name", ""))

    @property
    def is_ca(self) -> bool:
        return bool(self._cert.ca)

    def describe(self) -> dict[str, str]:
        cert = self._cert
        return {
            "subject": cert.subject.human_friendly,
            "issuer": cert.issuer.human_friendly,
            "not_after": cert["tbs_certificate"]["validity"]["not_after"].native.date().isoformat(),
        }


class UnlockedKey(Protocol):
    """A key ready for this one signature, with its certificate and the chain to send to the server."""

    certificate: bytes
    chain: Sequence[bytes]

    def sign(self, to_sign: bytes, mechanism: str) -> bytes: ...


def _check_mechanism(mechanism: str, is_rsa: bool) -> None:
    if mechanism not in (SIGN_MECHANISM_RSA, SIGN_MECHANISM_ECDSA):
        raise AgentError("unknown_mechanism", mechanism=mechanism)
    if (mechanism == SIGN_MECHANISM_RSA) != is_rsa:
        raise AgentError("wrong_key_type", mechanism=mechanism, key_type="RSA" if is_rsa else "EC")


# --- PKCS#11 token ------------------------------------------------------------------------------------------


class TokenKeys:
    """A PKCS#11 token: chosen by label, or the only one present; lists certificates without the PIN."""

    def __init__(self, module: str, token_label: str | None = None) -> None:
        try:
            self.lib = pkcs11.lib(module)
        except (RuntimeError, OSError, pkcs11.PKCS11Error) as error:
            raise AgentError("no_module", module=module) from error
        tokens = list(self.lib.get_tokens())
        found = ", ".join(t.label for t in tokens) or "—"
        if not tokens:
            raise AgentError("no_token")
        if token_label is not None:
            tokens = [t for t in tokens if t.label == token_label]
            if not tokens:
                raise AgentError("no_such_token", token=token_label, found=found)
        if len(tokens) > 1:
            raise AgentError("several_tokens", found=found)
        self.label: str = tokens[0].label

    def _token(self) -> pkcs11.Token:
        # Fetched afresh: the token's flags (tries left) change after each login.
        return self.lib.get_token(token_label=self.label)

    def certificates(self) -> list[Certificate]:
        """Every certificate on the token (public objects: no PIN needed)."""
        with self._token().open() as session:
            return [
                Certificate(
                    str(obj[pkcs11.Attribute.LABEL]),
                    bytes(obj[pkcs11.Attribute.ID]),
                    bytes(obj[pkcs11.Attribute.VALUE]),
                )
                for obj in session.get_objects({pkcs11.Attribute.CLASS: pkcs11.ObjectClass.CERTIFICATE})
            ]

    def choose(self, label: str | None = None, signer_name: str | None = None) -> Certificate:
        """The signer's certificate: by label; else the one whose CN is the expected signer; else the only one."""
        own = [c for c in self.certificates() if not c.is_ca]
        found = ", ".join(f"{c.label} ({c.common_name})" for c in own) or "—"
        if label is not None:
            own = [c for c in own if c.label == label]
            if not own:
                raise AgentError("no_such_certificate", label=label, found=found)
        if not own:
            raise AgentError("no_certificate", token=self.label)
        if len(own) > 1 and signer_name:
            own = [c for c in own if same_name(c.common_name, signer_name)] or own
        if len(own) > 1:
            raise AgentError("several_certificates", found=found)
        return own[0]

    def chain(self) -> list[bytes]:
        """The CA certificates the token carries, sent along so the server can build the path."""
        return ca_chain(c.der for c in self.certificates() if c.is_ca)

    def _tries(self) -> AgentError:
        flags = self._token().flags
        if flags & pkcs11.TokenFlag.USER_PIN_LOCKED:
            return AgentError("pin_locked")
        if flags & pkcs11.TokenFlag.USER_PIN_FINAL_TRY:
            return AgentError("tries_final")
        if flags & pkcs11.TokenFlag.USER_PIN_COUNT_LOW:
            return AgentError("tries_low")
        return AgentError("tries_unknown")

    @contextmanager
    def unlock(self, certificate: Certificate, pin: str) -> Iterator[UnlockedKey]:
        """Log in with the PIN and hold the session open for one signature with the certificate's key."""
        try:
            session = self._token().open(user_pin=pin)
        except pkcs11.PinLocked as error:
            raise AgentError("pin_locked") from error
        except (pkcs11.PinIncorrect, pkcs11.PinLenRange) as error:
            tries = self._tries()
            if tries.key == "pin_locked":
                raise tries from error
            raise AgentError("wrong_pin", tries=tries) from error
        try:
            try:
                key = session.get_key(object_class=pkcs11.ObjectClass.PRIVATE_KEY, id=certificate.key_id)
            except (pkcs11.NoSuchKey, pkcs11.MultipleObjectsReturned) as error:
                raise AgentError("no_certificate", token=self.label) from error
            yield _TokenKey(key, certificate.der, self.chain_in(session))
        finally:
            session.close()

    @staticmethod
    def chain_in(session: pkcs11.Session) -> list[bytes]:
        ders = [
            bytes(o[pkcs11.Attribute.VALUE])
            for o in session.get_objects({pkcs11.Attribute.CLASS: pkcs11.ObjectClass.CERTIFICATE})
        ]
        return ca_chain(der for der in ders if asn1_x509.Certificate.load(der).ca)


def ca_chain(ders: Iterator[bytes] | Sequence[bytes]) -> list[bytes]:
    """The token's CA certificates in one order whatever order the token lists its objects in (SoftHSM2's
    follows its object files' names): intermediates before roots (self-issued last), then by subject."""

    def order(der: bytes) -> tuple[bool, bytes]:
        certificate = asn1_x509.Certificate.load(der)
        return certificate.self_issued, certificate.subject.dump()

    return sorted(dict.fromkeys(ders), key=order)


class _TokenKey:
    def __init__(self, key: pkcs11.Key, certificate: bytes, chain: Sequence[bytes]) -> None:
        self.key = key
        self.certificate = certificate
        self.chain = chain

    def sign(self, to_sign: bytes, mechanism: str) -> bytes:
        _check_mechanism(mechanism, self.key.key_type == pkcs11.KeyType.RSA)
        key = cast(SignMixin, self.key)
        try:
            if mechanism == SIGN_MECHANISM_RSA:
                return bytes(key.sign(to_sign, mechanism=pkcs11.Mechanism.SHA256_RSA_PKCS))
            raw = key.sign(hashlib.sha256(to_sign).digest(), mechanism=pkcs11.Mechanism.ECDSA)
            return bytes(encode_ecdsa_signature(raw))
        except pkcs11.PKCS11Error as error:
            raise AgentError("token_error", reason=type(error).__name__) from error


# --- PKCS#12 file -------------------------------------------------------------------------------------------


class Pkcs12Key:
    """A key read from a PKCS#12 file for this one signature; only in memory, never written anywhere."""

    def __init__(self, path: Path, password: str) -> None:
        try:
            key, cert, extra = pkcs12.load_key_and_certificates(path.read_bytes(), password.encode() or None)
        except (ValueError, TypeError) as error:
            raise AgentError("bad_pkcs12", file=path.name) from error
        if key is None or cert is None or not isinstance(key, (rsa.RSAPrivateKey, ec.EllipticCurvePrivateKey)):
            raise AgentError("pkcs12_no_key", file=path.name)
        self._key: rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey = key
        self.certificate = cert.public_bytes(Encoding.DER)
        self.chain: Sequence[bytes] = [c.public_bytes(Encoding.DER) for c in extra]

    def sign(self, to_sign: bytes, mechanism: str) -> bytes:
        _check_mechanism(mechanism, isinstance(self._key, rsa.RSAPrivateKey))
        if isinstance(self._key, rsa.RSAPrivateKey):
            return self._key.sign(to_sign, padding.PKCS1v15(), hashes.SHA256())
        return self._key.sign(to_sign, ec.ECDSA(hashes.SHA256()))  # already DER (SEQUENCE of r, s)
