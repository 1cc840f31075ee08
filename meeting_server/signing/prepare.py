"""PAdES signing in two steps (pyHanko's interrupted signing), so that a person's key never leaves their token.

`prepare` adds the signature field (its appearance drawn in the box the record reserved), writes the document
with room for the signature, digests its byte range and returns the CMS signed attributes for the signer's token
to sign, plus `state`: everything `finish` needs, as bytes for a database column. `finish` takes the signature,
checks it against the certificate, asks the TSA for a timestamp (when one is configured), embeds the CMS and, when
the trust roots are given and the chain validates, adds the validation data for long-term validation (LTV) in a
further incremental update. Each signature is an incremental update: earlier ones stay valid.

`sign_with_key` does both steps at once with a key the server holds (the organisation's seal: a pyHanko
`Signer` over PKCS#11 or PKCS#12).

All functions here are synchronous and CPU-bound (pyHanko is pure Python and rewrites the whole document): run
them in a thread (`asyncio.to_thread`) or a document worker, never on the event loop. Each runs pyHanko's
coroutines on an event loop of its own.
"""

from __future__ import annotations

import asyncio
import base64
import io
import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import aiohttp
from asn1crypto import cms
from asn1crypto import x509 as asn1_x509
from cryptography import x509 as pyca_x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.asymmetric import ec, padding, rsa
from cryptography.hazmat.primitives.asymmetric.utils import encode_dss_signature
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.signers.pdf_byterange import PreparedByteRangeDigest
from pyhanko.sign.signers.pdf_signer import PdfTBSDocument
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.timestamps.common_utils import TimestampRequestError
from pyhanko.sign.validation import async_add_validation_info
from pyhanko.sign.validation.dss import DocumentSecurityStore
from pyhanko_certvalidator.registry import SimpleCertificateStore

from ..domain.record_content import SignatureBox
from ..errors import AppError
from ..protocol import SIGN_MECHANISM_ECDSA, SIGN_MECHANISM_RSA
from .appearance import Look, field_box, stamp_style
from .trust import VIETNAM, CertificateLike, Trust, as_certificate, common_name

# The mechanisms the agent is told to use, spelt once in the protocol the agent shares with the server.
MECHANISM_RSA = SIGN_MECHANISM_RSA  # PKCS#11 CKM_SHA256_RSA_PKCS: the token hashes to_sign and signs it
MECHANISM_ECDSA = SIGN_MECHANISM_ECDSA  # CKM_ECDSA_SHA256; the raw r‖s a token returns is accepted, as is DER
DIGEST = "sha256"
BYTES_RESERVED = 65536
"""Room for the CMS in the file (hex digits: 32 KiB of DER), enough for a chain of 4096-bit certificates and a
TSA token with its own chain."""
TSA_TIMEOUT_SECONDS = 5
LTV_TIMEOUT_SECONDS = 20.0
STATE_VERSION = 1


@dataclass(frozen=True)
class Prepared:
    to_sign: bytes  # the DER of the CMS signed attributes: what the signer's token signs
    mechanism: str  # MECHANISM_RSA or MECHANISM_ECDSA, from the certificate's key
    state: bytes  # JSON: everything finish() needs (the prepared document, digest, attributes, certificates)


@dataclass(frozen=True)
class Signed:
    """A signed PDF and what went into it."""

    pdf: bytes
    signed_at: datetime  # the /M of the signature dictionary, in Vietnam time
    timestamped: bool  # a signature timestamp token from the TSA is in the CMS
    validation_data: bool  # a DSS with the validation paths (LTV) was added after the signature
    revocation_data: bool  # ... and it holds OCSP responses or CRLs (the certificates pointed to reachable ones)


def mechanism_for(certificate: asn1_x509.Certificate) -> str:
    algorithm = certificate.public_key.algorithm
    if algorithm == "rsa":
        return MECHANISM_RSA
    if algorithm == "ec":
        return MECHANISM_ECDSA
    raise AppError.invalid(
        f"Khóa của chứng thư số ({algorithm}) không được hỗ trợ; cần RSA hoặc ECDSA.",
        f"The certificate's key ({algorithm}) is not supported; RSA or ECDSA is needed.",
    )


def vietnam_time(at: datetime | None) -> datetime:
    """`at` (now if None) in Vietnam time, to the second (as /M and the appearance show it)."""
    if at is not None and at.tzinfo is None:
        raise ValueError("at must be timezone-aware")
    return (at or datetime.now(UTC)).astimezone(VIETNAM).replace(microsecond=0)


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    return base64.b64decode(str(text), validate=True)


async def _digest(
    pdf: bytes, box: SignatureBox, field_name: str, signer: signers.Signer, at: datetime, look: Look
) -> tuple[PreparedByteRangeDigest, io.BytesIO, cms.CMSAttributes]:
    """Write the document with the new field and its appearance and the room for the signature; return the
    byte-range digest, the written document and the CMS signed attributes over that digest."""
    assert signer.signing_cert is not None
    exact = field_box(box, look)
    x0, y0, x1, y1 = (round(v) for v in (exact.x0, exact.y0, exact.x1, exact.y1))  # a field's box is whole points
    style = stamp_style(SignatureBox(box.page, x0, y0, x1, y1), look, common_name(signer.signing_cert), at)
    spec = fields.SigFieldSpec(sig_field_name=field_name, on_page=box.page, box=(x0, y0, x1, y1))
    meta = signers.PdfSignatureMetadata(
        field_name=field_name, md_algorithm=DIGEST, subfilter=fields.SigSeedSubFilter.PADES
    )
    pdf_signer = signers.PdfSigner(meta, signer=signer, stamp_style=style, new_field_spec=spec)
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    if any(fields.enumerate_sig_fields(writer.prev, filled_status=True, with_name=field_name)):
        raise AppError(
            "conflict", detail=f"chữ ký “{field_name}” trong văn bản", detail_en=f"the signature “{field_name}”"
        )
    session = pdf_signer.init_signing_session(writer)
    session.system_time = at  # the signature dictionary's /M, in +07:00
    validation_info = await session.perform_presign_validation(writer)
    tbs = session.prepare_tbs_document(validation_info=validation_info, bytes_reserved=BYTES_RESERVED)
    digest, output = tbs.digest_tbs_document(output=io.BytesIO())
    assert isinstance(output, io.BytesIO)
    attributes = await signer.signed_attrs(digest.document_digest, DIGEST, use_pades=True)
    return digest, output, attributes


async def _seal(
    signer: signers.Signer, attributes: cms.CMSAttributes, tsa_url: str | None
) -> tuple[cms.ContentInfo, bool]:
    """The CMS over `attributes`, with the TSA's token when `tsa_url` is set (refused when it does not come)."""
    timestamper = HTTPTimeStamper(tsa_url, timeout=TSA_TIMEOUT_SECONDS) if tsa_url else None
    try:
        content = await signer.async_sign_prescribed_attributes(DIGEST, attributes, timestamper=timestamper)
    except (TimestampRequestError, aiohttp.ClientError, OSError, TimeoutError) as exc:
        raise AppError("timestamp_unavailable") from exc
    return content, timestamper is not None


async def _embed(
    output: io.BytesIO, digest: PreparedByteRangeDigest, content: cms.ContentInfo, trust: Trust | None
) -> tuple[bytes, bool, bool]:
    """Fill the reserved room with the CMS; then, when the chain validates against `trust`, add the validation
    data (DSS) in one more incremental update. That step is skipped quietly when it cannot be done."""
    await PdfTBSDocument.async_finish_signing(output, digest, content)
    signed = output.getvalue()
    if trust is None or not trust.roots:
        return signed, False, False
    try:
        with_dss = await asyncio.wait_for(_add_validation_data(signed, trust), LTV_TIMEOUT_SECONDS)
    except Exception:  # noqa: BLE001 - no path, no network, a CA's server down: the signature stands without LTV
        return signed, False, False
    store = DocumentSecurityStore.read_dss(PdfFileReader(io.BytesIO(with_dss)))
    return with_dss, True, bool(list(store.ocsps) or list(store.crls))


async def _add_validation_data(signed: bytes, trust: Trust) -> bytes:
    reader = PdfFileReader(io.BytesIO(signed))
    embedded = reader.embedded_signatures[-1]
    context = trust.validation_context(other_certs=embedded.other_embedded_certs, fetching=True)
    try:
        output = await async_add_validation_info(embedded, context, output=io.BytesIO(), force_write=True)
    finally:
        await context.aclose()  # the HTTP session the fetchers opened on this loop
    return bytes(output.getvalue())


def prepare(
    pdf: bytes,
    box: SignatureBox,
    field_name: str,
    certificate: CertificateLike,
    chain: list[CertificateLike] | tuple[CertificateLike, ...],
    at: datetime | None = None,
    tsa_url: str | None = None,
    *,
    look: Look | None = None,
) -> Prepared:
    """Step one for a signer whose key is elsewhere. Check the certificate first (`check_signer_certificate`);
    this only needs it to name the signer and to put it in the signature."""
    cert = as_certificate(certificate)
    intermediates = [as_certificate(c) for c in chain]
    when = vietnam_time(at)
    external = signers.ExternalSigner(cert, SimpleCertificateStore.from_certs(intermediates))
    digest, output, attributes = asyncio.run(_digest(pdf, box, field_name, external, when, look or Look()))
    state = {
        "version": STATE_VERSION,
        "document": _b64(output.getvalue()),
        "digest": _b64(digest.document_digest),
        "reserved": [digest.reserved_region_start, digest.reserved_region_end],
        "signed_attributes": _b64(attributes.dump()),
        "certificate": _b64(cert.dump()),
        "chain": [_b64(c.dump()) for c in intermediates],
        "signed_at": when.isoformat(),
        "tsa_url": tsa_url or "",
        "field": field_name,
    }
    return Prepared(attributes.dump(), mechanism_for(cert), json.dumps(state).encode())


def _signature_der(cert: asn1_x509.Certificate, signature: bytes, to_sign: bytes) -> bytes:
    """The signature as CMS wants it, after checking it signs `to_sign` with the certificate's key."""
    key = pyca_x509.load_der_x509_certificate(cert.dump()).public_key()
    try:
        if isinstance(key, rsa.RSAPublicKey):
            key.verify(signature, to_sign, padding.PKCS1v15(), hashes.SHA256())
            return signature
        if isinstance(key, ec.EllipticCurvePublicKey):
            size = (key.curve.key_size + 7) // 8
            if len(signature) == 2 * size:  # PKCS#11 gives r‖s
                r, s = (int.from_bytes(signature[i : i + size], "big") for i in (0, size))
                signature = encode_dss_signature(r, s)
            key.verify(signature, to_sign, ec.ECDSA(hashes.SHA256()))
            return signature
    except (InvalidSignature, ValueError) as exc:
        raise AppError("signature_mismatch") from exc
    raise AppError("signature_mismatch")


def finish(state: bytes, signature: bytes, trust: Trust | None = None) -> Signed:
    """Step two: embed `signature` (over `Prepared.to_sign`) and return the signed PDF. Refused with
    `signature_mismatch` when it is not the certificate's key's signature of those bytes, with
    `timestamp_unavailable` when the TSA set at `prepare` gives no token. LTV data is added when `trust` is
    given and reachable."""
    try:
        saved = json.loads(state)
        if saved.get("version") != STATE_VERSION:
            raise ValueError("state version")
        document = _unb64(saved["document"])
        start, end = (int(v) for v in saved["reserved"])
        digest = PreparedByteRangeDigest(_unb64(saved["digest"]), start, end)
        to_sign = _unb64(saved["signed_attributes"])
        attributes = cms.CMSAttributes.load(to_sign)
        cert = as_certificate(_unb64(saved["certificate"]))
        chain = [as_certificate(_unb64(c)) for c in saved["chain"]]
        signed_at = datetime.fromisoformat(saved["signed_at"])
    except (ValueError, KeyError, TypeError) as exc:
        raise AppError.invalid(
            "Dữ liệu chuẩn bị ký không đọc được; hãy chuẩn bị ký lại.",
            "The prepared signing state cannot be read; prepare the signature again.",
        ) from exc
    value = _signature_der(cert, signature, to_sign)
    external = signers.ExternalSigner(cert, SimpleCertificateStore.from_certs(chain), signature_value=value)

    async def run() -> tuple[bytes, bool, bool, bool]:
        content, stamped = await _seal(external, attributes, saved.get("tsa_url") or None)
        pdf, dss, revocation = await _embed(io.BytesIO(document), digest, content, trust)
        return pdf, stamped, dss, revocation

    pdf, stamped, dss, revocation = asyncio.run(run())
    return Signed(pdf, signed_at, stamped, dss, revocation)


def sign_with_key(
    pdf: bytes,
    box: SignatureBox,
    field_name: str,
    signer: signers.Signer,
    *,
    at: datetime | None = None,
    tsa_url: str | None = None,
    look: Look | None = None,
    trust: Trust | None = None,
) -> Signed:
    """Sign with a key the server holds (`signer`: a pyHanko Signer, e.g. PKCS#11 or PKCS#12): the same field,
    appearance, /M, timestamp and LTV rules as prepare + finish. `look` defaults to the organisation's seal,
    placed over the left third of `box` (the signer's box)."""
    if signer.signing_cert is None:
        raise ValueError("the signer has no certificate")
    when = vietnam_time(at)

    async def run() -> tuple[bytes, bool, bool, bool]:
        digest, output, attributes = await _digest(pdf, box, field_name, signer, when, look or Look(seal=True))
        content, stamped = await _seal(signer, attributes, tsa_url)
        signed, dss, revocation = await _embed(output, digest, content, trust)
        return signed, stamped, dss, revocation

    signed, stamped, dss, revocation = asyncio.run(run())
    return Signed(signed, when, stamped, dss, revocation)
