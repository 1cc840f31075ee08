"""A small test PKI, made with `cryptography` alone (pure: no files, no network): a root CA and an intermediate in
the role of the Government CA chain, the people who sign the record, the organisation's seal, a TSA, and the
certificates the server must refuse (expired, another CA's, not for signing).

Everything is made once per process (`make_pki()`); private keys are exportable as PEM and PKCS#12 so the token kit
can import them into SoftHSM2. RSA 2048 throughout (fast enough), plus one ECDSA P-256 signer.
"""

from __future__ import annotations

import functools
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

SECRETARY_NAME = "Nguyễn Thị Thư"
CHAIR_NAME = "Trần Văn Chủ"
SEAL_NAME = "ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG"
ORGANISATION = "ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG"
PKCS12_PASSWORD = b"1234"

# Fixed validity windows, wide around any day the tests run.
NOT_BEFORE = datetime(2024, 1, 1, tzinfo=UTC)
NOT_AFTER = datetime(2036, 1, 1, tzinfo=UTC)
EXPIRED_NOT_AFTER = datetime(2025, 1, 1, tzinfo=UTC)


@dataclass(frozen=True)
class Identity:
    """A certificate, its private key and the chain above it (issuer first, the root last)."""

    name: str
    certificate: x509.Certificate
    key: PrivateKey
    chain: tuple[x509.Certificate, ...]

    @property
    def der(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.DER)

    @property
    def chain_der(self) -> list[bytes]:
        return [c.public_bytes(serialization.Encoding.DER) for c in self.chain]

    def key_pem(self) -> bytes:
        return self.key.private_bytes(
            serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
        )

    def certificate_pem(self) -> bytes:
        return self.certificate.public_bytes(serialization.Encoding.PEM)

    def pkcs12(self, password: bytes = PKCS12_PASSWORD) -> bytes:
        return pkcs12.serialize_key_and_certificates(
            self.name.encode(),
            self.key,
            self.certificate,
            list(self.chain),
            serialization.BestAvailableEncryption(password),
        )


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


def _rsa() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def _name(common_name: str, organisation: str = ORGANISATION) -> x509.Name:
    return x509.Name(
        [
            x509.NameAttribute(NameOID.COUNTRY_NAME, "VN"),
            x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation),
            x509.NameAttribute(NameOID.COMMON_NAME, common_name),
        ]
    )


def _key_usage(*, digital_signature: bool, content_commitment: bool, key_encipherment: bool, ca: bool) -> x509.KeyUsage:
    return x509.KeyUsage(
        digital_signature=digital_signature,
        content_commitment=content_commitment,
        key_encipherment=key_encipherment,
        data_encipherment=False,
        key_agreement=False,
        key_cert_sign=ca,
        crl_sign=ca,
        encipher_only=False,
        decipher_only=False,
    )


def _builder(subject: x509.Name, issuer: x509.Name, key: PrivateKey, not_after: datetime) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(NOT_BEFORE)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )


def _ca(common_name: str, key: PrivateKey, issuer: Identity | None, path_length: int | None) -> Identity:
    subject = _name(common_name, "Test Government CA")
    builder = (
        _builder(subject, issuer.certificate.subject if issuer else subject, key, NOT_AFTER)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            _key_usage(digital_signature=True, content_commitment=False, key_encipherment=False, ca=True),
            critical=True,
        )
    )
    signing_key = issuer.key if issuer else key
    certificate = builder.sign(signing_key, hashes.SHA256())
    chain = (issuer.certificate, *issuer.chain) if issuer else ()
    return Identity(common_name, certificate, key, chain)


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
    key = key or _rsa()
    usage = _key_usage(
        digital_signature=signing,
        content_commitment=signing and not time_stamping,
        key_encipherment=not signing,
        ca=False,
    )
    builder = (
        _builder(_name(common_name), issuer.certificate.subject, key, not_after)
        .add_extension(x509.BasicConstraints(ca=False, path_length=None), critical=True)
        .add_extension(usage, critical=True)
        .add_extension(x509.AuthorityKeyIdentifier.from_issuer_public_key(issuer.key.public_key()), critical=False)
    )
    if time_stamping:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    if crl_url:
        point = x509.DistributionPoint([x509.UniformResourceIdentifier(crl_url)], None, None, None)
        builder = builder.add_extension(x509.CRLDistributionPoints([point]), critical=False)
    certificate = builder.sign(issuer.key, hashes.SHA256())
    return Identity(common_name, certificate, key, (issuer.certificate, *issuer.chain))


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
    root = _ca("Test Root CA (Ban Cơ yếu Chính phủ, thử nghiệm)", _rsa(), None, path_length=1)
    intermediate = _ca("Test Government CA (thử nghiệm)", _rsa(), root, path_length=0)
    foreign_root = _ca("Some Other CA", _rsa(), None, path_length=0)
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
