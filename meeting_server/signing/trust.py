"""Whom the server trusts to sign: the trust roots (`MS_TRUST_ROOTS`, the Government CA chain in production), the
TSA (`MS_TSA_URL`), and the check a signer's certificate passes before the server prepares anything for it.

Certificates travel as DER bytes (the signing agent sends them base64-encoded); `Trust` holds only bytes and
strings, so it can be given to a document worker process.
"""

from __future__ import annotations

import asyncio
import functools
import re
import unicodedata
from collections.abc import Callable, Coroutine, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any, ParamSpec, TypeAlias, TypeVar

from asn1crypto import pem
from asn1crypto import x509 as asn1_x509
from pyhanko_certvalidator import CertificateValidator, ValidationContext
from pyhanko_certvalidator import errors as cv_errors

from ..config import Settings
from ..errors import AppError
from .demo_pki import DEMO_ROOT_NAME, ROOT_FILE, demo_directory, demo_signing_active

VIETNAM = timezone(timedelta(hours=7), "ICT")
"""Vietnam time (UTC+07:00, no daylight saving): signing times are shown and stored in it."""

CERTIFICATE_SUFFIXES = (".pem", ".crt", ".cer", ".der")
SIGNING_KEY_USAGES = ("digital_signature", "non_repudiation")

P = ParamSpec("P")
T = TypeVar("T")

CertificateLike: TypeAlias = bytes | asn1_x509.Certificate


@dataclass(frozen=True)
class Trust:
    """The trust roots (DER) and the TSA; empty roots trust nobody. `demo`: the roots are the demo PKI's
    (signing/demo_pki.py), so what they trust is reported as a demo certificate ("chứng thư thử nghiệm")."""

    roots: tuple[bytes, ...] = ()
    tsa_url: str = ""
    demo: bool = False

    def root_certificates(self) -> list[asn1_x509.Certificate]:
        return [asn1_x509.Certificate.load(der) for der in self.roots]

    def validation_context(
        self,
        at: datetime | None = None,
        other_certs: Iterable[asn1_x509.Certificate] = (),
        *,
        fetching: bool = False,
    ) -> ValidationContext:
        """A pyHanko validation context on these roots, at `at` (now if None). Revocation is checked when the
        certificates say where (soft-fail: no URL, or none reachable, is no refusal); fetching only when asked,
        since it is network I/O."""
        return ValidationContext(
            trust_roots=self.root_certificates(),
            other_certs=list(other_certs),
            moment=at,
            allow_fetching=fetching,
            revocation_mode="soft-fail",
        )


def certificates_in(data: bytes) -> list[bytes]:
    """The DER certificates in a PEM (one or more blocks) or DER file's bytes."""
    if pem.detect(data):
        return [der for kind, _, der in pem.unarmor(data, multiple=True) if kind == "CERTIFICATE"]
    return [asn1_x509.Certificate.load(data).dump()]


def load_trust(path: Path | None, tsa_url: str = "") -> Trust:
    """`MS_TRUST_ROOTS`: a PEM file, or a folder whose .pem/.crt/.cer/.der files are each PEM or DER. Every file is
    parsed now, so a broken one stops the server at start rather than refusing signatures later."""
    if path is None:
        return Trust((), tsa_url)
    files = sorted(p for p in path.iterdir() if p.suffix.lower() in CERTIFICATE_SUFFIXES) if path.is_dir() else [path]
    roots: list[bytes] = []
    for file in files:
        try:
            found = certificates_in(file.read_bytes())
            for der in found:
                asn1_x509.Certificate.load(der).native  # noqa: B018 - parse it all now
        except (ValueError, TypeError) as exc:
            raise ValueError(f"MS_TRUST_ROOTS: {file} is not a PEM or DER certificate: {exc}") from exc
        roots.extend(found)
    if not roots:
        raise ValueError(f"MS_TRUST_ROOTS: no certificate in {path}")
    demo = all(common_name(asn1_x509.Certificate.load(der)) == DEMO_ROOT_NAME for der in roots)
    return Trust(tuple(roots), tsa_url, demo=demo)


def demo_active(settings: Settings) -> bool:
    """The demo PKI stands in for the trust roots and the seal: made by `meeting-server demo`, and neither
    MS_TRUST_ROOTS nor a seal setting is given."""
    seal_set = bool(settings.seal_pkcs11_module or settings.seal_pkcs12)
    return demo_signing_active(settings.data_dir, trust_roots=settings.trust_roots, seal_set=seal_set)


def trust_from_settings(settings: Settings) -> Trust:
    """MS_TRUST_ROOTS, or the demo root while the demo PKI stands in (`demo_active`); no roots otherwise."""
    if demo_active(settings):
        return load_trust(demo_directory(settings.data_dir) / ROOT_FILE, settings.tsa_url)
    return load_trust(settings.trust_roots, settings.tsa_url)


def as_certificate(certificate: CertificateLike) -> asn1_x509.Certificate:
    if isinstance(certificate, asn1_x509.Certificate):
        return certificate
    try:
        parsed = asn1_x509.Certificate.load(bytes(certificate))
        parsed.native  # noqa: B018 - asn1crypto parses lazily; fail here, not deep inside pyHanko
    except (ValueError, TypeError) as exc:
        raise AppError.invalid(
            "Chứng thư số gửi lên không đọc được (cần DER mã hóa base64).",
            "The certificate sent cannot be read (base64-encoded DER is expected).",
        ) from exc
    return parsed


def normalise_name(name: str) -> str:
    """A person's full name as compared with a certificate's CN: Unicode NFC, case-folded, spaces collapsed."""
    return re.sub(r"\s+", " ", unicodedata.normalize("NFC", name)).strip().casefold()


def common_name(certificate: asn1_x509.Certificate) -> str:
    return str(certificate.subject.native.get("common_name", ""))


def _expired(certificate: asn1_x509.Certificate, at: datetime) -> AppError:
    validity = certificate["tbs_certificate"]["validity"]
    start = validity["not_before"].native.astimezone(VIETNAM)
    end = validity["not_after"].native.astimezone(VIETNAM)
    shown = f"{common_name(certificate)}: {start:%d/%m/%Y} – {end:%d/%m/%Y}, {at.astimezone(VIETNAM):%d/%m/%Y %H:%M}"
    return AppError("signing_certificate_expired", detail=shown)


async def async_check_signer_certificate(
    certificate: CertificateLike,
    chain: Sequence[CertificateLike],
    trust: Trust,
    expected_name: str,
    at: datetime | None = None,
) -> asn1_x509.Certificate:
    """Refuse (AppError) a certificate that may not sign this document at `at` (now if None): not for signing,
    expired or not yet valid, not chained to a trust root, or not the expected person's (CN vs full name).
    Returns the parsed certificate. Offline (no revocation fetching) and quick: fine on the event loop."""
    at = at or datetime.now(UTC)
    if at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    cert = as_certificate(certificate)
    intermediates = [as_certificate(c) for c in chain]
    usage = cert.key_usage_value
    if usage is not None and not any(u in usage.native for u in SIGNING_KEY_USAGES):
        raise AppError("signing_certificate_not_for_signing")
    if not cert.not_valid_before <= at <= cert.not_valid_after:
        raise _expired(cert, at)
    context = trust.validation_context(at, intermediates)
    validator = CertificateValidator(cert, intermediate_certs=intermediates, validation_context=context)
    try:
        await validator.async_validate_path()
    except (cv_errors.ExpiredError, cv_errors.NotYetValidError) as exc:
        above = next((c for c in intermediates if not c.not_valid_before <= at <= c.not_valid_after), cert)
        raise _expired(above, at) from exc
    except (cv_errors.PathBuildingError, cv_errors.PathValidationError, cv_errors.ValidationError) as exc:
        raise AppError("signing_certificate_untrusted", detail=cert.issuer.human_friendly) from exc
    name = common_name(cert)
    if normalise_name(name) != normalise_name(expected_name):
        raise AppError("signing_wrong_signer", name=name, detail=expected_name)
    return cert


def _blocking(coroutine_function: Callable[P, Coroutine[Any, Any, T]]) -> Callable[P, T]:
    """The same function for code off the event loop (a thread, a worker, the CLI): runs it on a loop of its own."""

    @functools.wraps(coroutine_function)
    def run(*args: P.args, **kwargs: P.kwargs) -> T:
        return asyncio.run(coroutine_function(*args, **kwargs))

    return run


check_signer_certificate = _blocking(async_check_signer_certificate)
