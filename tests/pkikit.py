"""A small test PKI, made with `cryptography` alone (pure: no files, no network): a root CA and an intermediate in
the role of the Government CA chain, the people who sign the record, the organisation's seal, a TSA, and the
certificates the server must refuse (expired, another CA's, not for signing).

The certificates are built by the server's own meeting_server.signing.demo_pki (the demo PKI of `meeting-server
demo` is made the same way). Everything is made once per process (`make_pki()`); private keys are exportable as
PEM and PKCS#12 so the token kit can import them into SoftHSM2. RSA 2048 throughout (fast enough), plus one ECDSA
P-256 signer.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec

from meeting_server.signing import demo_pki
from meeting_server.signing.demo_pki import PrivateKey, rsa_key

SECRETARY_NAME = "Nguyễn Thị Thư"
CHAIR_NAME = "Trần Văn Chủ"
SEAL_NAME = "ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG"
ORGANISATION = "ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG"
PKCS12_PASSWORD = b"1234"

# Fixed validity windows, wide around any day the tests run.
NOT_BEFORE = datetime(2024, 1, 1, tzinfo=UTC)
NOT_AFTER = datetime(2036, 1, 1, tzinfo=UTC)
EXPIRED_NOT_AFTER = datetime(2025, 1, 1, tzinfo=UTC)


class Identity(demo_pki.Identity):
    """The server's demo_pki.Identity, with the tests' PKCS#12 password by default."""

    def pkcs12(self, password: bytes = PKCS12_PASSWORD) -> bytes:
        return super().pkcs12(password)


@dataclass(frozen=True)
class PKI:
    root: Identity
    intermediate: Identity
    secretary: Identity
    chair: Identity
    seal: Identity
    tsa: Identity
    ecdsa_signer: Identity  # P-256, the chair's name: a token with an EC key
    expired: Identity  # the secretary's name, expired in 2025
    not_for_signing: Identity  # the secretary's name, key usage keyEncipherment only
    foreign_root: Identity
    foreign: Identity  # the secretary's name, issued by another CA

    def roots_pem(self) -> bytes:
        """The trust roots file the server is given (MS_TRUST_ROOTS): our root only."""
        return self.root.certificate_pem()


def _identity(made: demo_pki.Identity) -> Identity:
    return Identity(made.name, made.certificate, made.key, made.chain)


def _ca(common_name: str, key: PrivateKey, issuer: Identity | None, path_length: int | None) -> Identity:
    return _identity(
        demo_pki.certificate_authority(
            common_name,
            "Test Government CA",
            key,
            issuer,
            path_length=path_length,
            not_before=NOT_BEFORE,
            not_after=NOT_AFTER,
        )
    )


def _leaf(
    common_name: str,
    issuer: Identity,
    *,
    key: PrivateKey | None = None,
    not_after: datetime = NOT_AFTER,
    signing: bool = True,
    time_stamping: bool = False,
    crl_url: str | None = None,
) -> Identity:
    return _identity(
        demo_pki.end_entity(
            common_name,
            ORGANISATION,
            issuer,
            not_before=NOT_BEFORE,
            not_after=not_after,
            key=key,
            signing=signing,
            time_stamping=time_stamping,
            crl_url=crl_url,
        )
    )


def signer_with_crl(pki: PKI, crl_url: str, name: str = SECRETARY_NAME) -> Identity:
    """A signer whose certificate says where its CA's CRL is (`crl_url`): what LTV fetches and embeds."""
    return _leaf(name, pki.intermediate, crl_url=crl_url)


def crl(pki: PKI, revoked: tuple[Identity, ...] = ()) -> bytes:
    """The intermediate CA's CRL (DER), valid for a day from now, listing `revoked`."""
    now = datetime.now(UTC)
    builder = (
        x509.CertificateRevocationListBuilder()
        .issuer_name(pki.intermediate.certificate.subject)
        .last_update(now - timedelta(minutes=5))
        .next_update(now + timedelta(days=1))
        .add_extension(x509.CRLNumber(1), critical=False)
        .add_extension(
            x509.AuthorityKeyIdentifier.from_issuer_public_key(pki.intermediate.key.public_key()),
            critical=False,
        )
    )
    for identity in revoked:
        builder = builder.add_revoked_certificate(
            x509.RevokedCertificateBuilder()
            .serial_number(identity.certificate.serial_number)
            .revocation_date(now - timedelta(minutes=1))
            .build()
        )
    return builder.sign(pki.intermediate.key, hashes.SHA256()).public_bytes(serialization.Encoding.DER)


@functools.cache
def make_pki() -> PKI:
    root = _ca("Test Root CA (Ban Cơ yếu Chính phủ, thử nghiệm)", rsa_key(), None, path_length=1)
    intermediate = _ca("Test Government CA (thử nghiệm)", rsa_key(), root, path_length=0)
    foreign_root = _ca("Some Other CA", rsa_key(), None, path_length=0)
    return PKI(
        root=root,
        intermediate=intermediate,
        secretary=_leaf(SECRETARY_NAME, intermediate),
        chair=_leaf(CHAIR_NAME, intermediate),
        seal=_leaf(SEAL_NAME, intermediate),
        tsa=_leaf("Test TSA (thử nghiệm)", intermediate, time_stamping=True),
        ecdsa_signer=_leaf(CHAIR_NAME, intermediate, key=ec.generate_private_key(ec.SECP256R1())),
        expired=_leaf(SECRETARY_NAME, intermediate, not_after=EXPIRED_NOT_AFTER),
        not_for_signing=_leaf(SECRETARY_NAME, intermediate, signing=False),
        foreign_root=foreign_root,
        foreign=_leaf(SECRETARY_NAME, foreign_root),
    )
