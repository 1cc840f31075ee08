"""A demo PKI, so a newcomer can try signing after `make run` without a token: a root "CA THỬ NGHIỆM — KHÔNG DÙNG
THẬT", the demo secretary's and chair's certificates (their full names as CN) as PKCS#12 files, and the
organisation's seal key as the server's PKCS#12 seal. `meeting-server demo` makes them once under the data
directory (`DEMO_DIR`); the server trusts that root and seals with that key only while no production setting is
given (`MS_TRUST_ROOTS`, `MS_SEAL_PKCS11_MODULE`, `MS_SEAL_PKCS12`): see `demo_signing_active`. Signatures under
it are reported as "chứng thư thử nghiệm" (signing/verify.py). docs/demo.md tells the password.

The certificate building here is shared with the tests' PKI (tests/pkikit.py): both build CAs and end-entity
certificates with `certificate_authority` and `end_entity`, with `cryptography` alone.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.hazmat.primitives.serialization import pkcs12
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PrivateKey = rsa.RSAPrivateKey | ec.EllipticCurvePrivateKey

DEMO_ROOT_NAME = "CA THỬ NGHIỆM — KHÔNG DÙNG THẬT"
DEMO_PKCS12_PASSWORD = "thu-nghiem-2026"
"""The password of every demo PKCS#12 file (printed by `meeting-server demo`, written in docs/demo.md)."""
DEMO_DIR = "demo-pki"
ROOT_FILE = "ca-thu-nghiem.pem"
SEAL_FILE = "con-dau.p12"
SEAL_PASSWORD_FILE = "con-dau-mat-khau.txt"
DEMO_YEARS = 10


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

    def pkcs12(self, password: bytes) -> bytes:
        return pkcs12.serialize_key_and_certificates(
            self.name.encode(),
            self.key,
            self.certificate,
            list(self.chain),
            serialization.BestAvailableEncryption(password),
        )


def rsa_key() -> rsa.RSAPrivateKey:
    return rsa.generate_private_key(public_exponent=65537, key_size=2048)


def distinguished_name(common_name: str, organisation: str) -> x509.Name:
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


def _builder(
    subject: x509.Name, issuer: x509.Name, key: PrivateKey, not_before: datetime, not_after: datetime
) -> x509.CertificateBuilder:
    return (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer)
        .public_key(key.public_key())
        .serial_number(x509.random_serial_number())
        .not_valid_before(not_before)
        .not_valid_after(not_after)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(key.public_key()), critical=False)
    )


def certificate_authority(
    common_name: str,
    organisation: str,
    key: PrivateKey,
    issuer: Identity | None,
    *,
    path_length: int | None,
    not_before: datetime,
    not_after: datetime,
) -> Identity:
    """A CA certificate: self-signed (a root) when `issuer` is None."""
    subject = distinguished_name(common_name, organisation)
    builder = (
        _builder(subject, issuer.certificate.subject if issuer else subject, key, not_before, not_after)
        .add_extension(x509.BasicConstraints(ca=True, path_length=path_length), critical=True)
        .add_extension(
            _key_usage(digital_signature=True, content_commitment=False, key_encipherment=False, ca=True),
            critical=True,
        )
    )
    certificate = builder.sign(issuer.key if issuer else key, hashes.SHA256())
    chain = (issuer.certificate, *issuer.chain) if issuer else ()
    return Identity(common_name, certificate, key, chain)


def end_entity(
    common_name: str,
    organisation: str,
    issuer: Identity,
    *,
    not_before: datetime,
    not_after: datetime,
    key: PrivateKey | None = None,
    signing: bool = True,
    time_stamping: bool = False,
    crl_url: str | None = None,
) -> Identity:
    """A person's, a seal's or a TSA's certificate issued by `issuer`; `signing=False` gives one for encipherment
    only (which the server must refuse to sign with)."""
    key = key or rsa_key()
    usage = _key_usage(
        digital_signature=signing,
        content_commitment=signing and not time_stamping,
        key_encipherment=not signing,
        ca=False,
    )
    builder = (
        _builder(distinguished_name(common_name, organisation), issuer.certificate.subject, key, not_before, not_after)
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


# ---- the demo files under the data directory ----


@dataclass(frozen=True)
class DemoPKI:
    """Where the demo PKI's files are; `created` is False when an earlier run made them."""

    directory: Path
    created: bool
    people: dict[str, Path]  # username -> its PKCS#12 file

    @property
    def root(self) -> Path:
        return self.directory / ROOT_FILE

    @property
    def seal(self) -> Path:
        return self.directory / SEAL_FILE

    @property
    def seal_password(self) -> Path:
        return self.directory / SEAL_PASSWORD_FILE


def demo_directory(data_dir: Path) -> Path:
    return data_dir / DEMO_DIR


def _write_private(path: Path, data: bytes) -> None:
    """Write a file only its owner may read (0600), whatever the umask."""
    descriptor = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(descriptor, "wb") as file:
        file.write(data)
    path.chmod(0o600)


def ensure_demo_pki(
    data_dir: Path, people: dict[str, str], organisation: str, seal_name: str, *, now: datetime | None = None
) -> DemoPKI:
    """Make the demo PKI under `data_dir` unless it is there: the root, one PKCS#12 per person (username -> full
    name, which is the certificate's CN) and the seal's PKCS#12 with its password file. Files are 0600 in a 0700
    folder. A second call changes nothing and returns the same files."""
    directory = demo_directory(data_dir)
    files = {username: directory / f"{username}.p12" for username in people}
    if (directory / ROOT_FILE).exists() and all(f.exists() for f in files.values()):
        return DemoPKI(directory, False, files)
    directory.mkdir(parents=True, exist_ok=True, mode=0o700)
    directory.chmod(0o700)
    start = (now or datetime.now(UTC)) - timedelta(days=365)  # covers a demo meeting held in the past year
    end = start + timedelta(days=365 * DEMO_YEARS)
    root = certificate_authority(
        DEMO_ROOT_NAME, DEMO_ROOT_NAME, rsa_key(), None, path_length=0, not_before=start, not_after=end
    )
    password = DEMO_PKCS12_PASSWORD.encode()
    for username, full_name in people.items():
        person = end_entity(full_name, organisation, root, not_before=start, not_after=end)
        _write_private(files[username], person.pkcs12(password))
    seal = end_entity(seal_name, organisation, root, not_before=start, not_after=end)
    _write_private(directory / SEAL_FILE, seal.pkcs12(password))
    _write_private(directory / SEAL_PASSWORD_FILE, password + b"\n")
    _write_private(directory / ROOT_FILE, root.certificate_pem())  # last: its presence says the rest is there
    return DemoPKI(directory, True, files)


def demo_signing_active(data_dir: Path, *, trust_roots: Path | None, seal_set: bool) -> bool:
    """The demo PKI stands in only when it exists and no production trust roots or seal are configured."""
    return trust_roots is None and not seal_set and (demo_directory(data_dir) / ROOT_FILE).exists()


__all__ = [
    "DEMO_PKCS12_PASSWORD",
    "DEMO_ROOT_NAME",
    "DemoPKI",
    "Identity",
    "certificate_authority",
    "demo_directory",
    "demo_signing_active",
    "distinguished_name",
    "end_entity",
    "ensure_demo_pki",
    "rsa_key",
]
