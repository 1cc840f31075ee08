"""What the signatures in a PDF say, for anyone: who signed, when, whether each signature is intact, valid and
trusted, and whether the document changed after it. pyHanko's validator does the work.

`verify_pdf` is synchronous and CPU-bound, and its input may be hostile (anyone can drop a PDF on the verify
page): run it in a document worker process (`verify_in_worker`, with documents/workers.py's memory limit and
timeout, so a PDF built to exhaust pyHanko's pure-Python parser takes down only its worker), or at least in a
thread for trusted input (the server's own freshly signed document). It never raises anything but `AppError`
(`signed_pdf_unreadable`, `signed_pdf_unsigned`, `signed_pdf_too_large`); a signature that cannot be checked is
reported as not valid, with the reason.
"""

from __future__ import annotations

import asyncio
import io
import logging
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

from asn1crypto import tsp
from asn1crypto import x509 as asn1_x509
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.validation import async_validate_pdf_signature
from pyhanko.sign.validation.generic_cms import extract_tst_data_iter
from pyhanko.sign.validation.pdf_embedded import EmbeddedPdfSignature
from pyhanko.sign.validation.status import PdfSignatureStatus, SignatureCoverageLevel

from ..errors import AppError
from .trust import VIETNAM, Trust, common_name

log = logging.getLogger(__name__)

MAX_VERIFY_BYTES = 50 * 1024 * 1024
VERIFY_TIMEOUT_SECONDS = 120.0

# What was appended to the file after a signature: nothing but validation data and timestamps (LTV), other
# signatures too (expected: the chair signs after the secretary, the seal after the signer), or something else.
LATER_NONE = "none"
LATER_SIGNATURES = "signatures"
LATER_OTHER = "other"
DEMO_WORDS = "chứng thư thử nghiệm, chỉ để dùng thử, không có giá trị pháp lý"


@dataclass(frozen=True)
class SignatureReport:
    field: str
    signer: str  # the certificate's CN
    organisation: str  # its O
    serial: str  # hexadecimal
    issuer: str
    signing_time: str | None  # the signature's /M in Vietnam time, ISO 8601 (what the signer's side claims)
    timestamp_present: bool
    timestamp_valid: bool | None  # None without a timestamp
    timestamp_time: str | None  # the TSA's time in Vietnam time, ISO 8601
    tsa: str  # the TSA certificate's CN
    intact: bool  # the signed bytes are unchanged
    valid: bool  # the signature is cryptographically valid
    trusted: bool  # the certificate chains to a trust root and was valid at the signing time
    covers_whole_document: bool  # nothing was appended after it
    later_changes: str  # LATER_NONE / LATER_SIGNATURES / LATER_OTHER
    modification_level: str | None  # pyHanko's ModificationLevel, lower case ("none", "form_filling", …)
    summary: str  # one Vietnamese sentence
    problem: str = ""  # why it is not valid/trusted, when it is not (English, from pyHanko)
    demo: bool = False  # trusted only through the demo PKI's root (signing/demo_pki.py): a "chứng thư thử nghiệm"

    @property
    def ok(self) -> bool:
        return (
            self.intact
            and self.valid
            and self.trusted
            and self.later_changes != LATER_OTHER
            and (self.timestamp_valid is not False)
        )


class Verification(list[SignatureReport]):
    """The reports, in the order the signatures were made, and whether the document changed after the last."""

    changed_after_last_signature: bool = False


def _iso(moment: datetime | None) -> str | None:
    return moment.astimezone(VIETNAM).isoformat() if moment else None


def _later(status: PdfSignatureStatus) -> tuple[str, str | None]:
    if status.coverage == SignatureCoverageLevel.ENTIRE_FILE:
        return LATER_NONE, ModificationLevel.NONE.name.lower()
    level = status.modification_level
    name = level.name.lower() if level is not None else None
    if level is not None and level <= ModificationLevel.LTA_UPDATES:
        return LATER_NONE, name
    if level is not None and level <= ModificationLevel.FORM_FILLING and status.docmdp_ok is not False:
        return LATER_SIGNATURES, name
    return LATER_OTHER, name


def _summary(report: dict[str, Any]) -> str:
    who = report["signer"] or "(không rõ người ký)"
    when = f" lúc {report['signing_time'][:19].replace('T', ' ')}" if report["signing_time"] else ""
    if not report["intact"]:
        return f"Chữ ký của {who}{when} KHÔNG hợp lệ: nội dung văn bản đã bị thay đổi sau khi ký."
    if not report["valid"]:
        return f"Chữ ký của {who}{when} KHÔNG hợp lệ: chữ ký không khớp với chứng thư số."
    if not report["trusted"]:
        return (
            f"Chữ ký của {who}{when} đúng về mặt kỹ thuật nhưng chứng thư số không được tin cậy "
            "(không do tổ chức chứng thực được tin cậy cấp, hoặc hết hiệu lực khi ký)."
        )
    if report["later_changes"] == LATER_OTHER:
        return f"Chữ ký của {who}{when} hợp lệ, nhưng văn bản đã bị sửa đổi sau khi ký."
    stamp = ""
    if report["timestamp_valid"]:
        stamp = ", có dấu thời gian hợp lệ"
    elif report["timestamp_present"]:
        stamp = ", nhưng dấu thời gian không hợp lệ"
    after = " (sau đó chỉ có thêm chữ ký hoặc dữ liệu xác thực)" if report["later_changes"] == LATER_SIGNATURES else ""
    demo = f" — {DEMO_WORDS}" if report.get("demo") else ""
    return f"Chữ ký của {who}{when} hợp lệ và được tin cậy{stamp}{after}{demo}."


def _certificate_fields(cert: asn1_x509.Certificate | None) -> dict[str, Any]:
    if cert is None:
        return {"signer": "", "organisation": "", "serial": "", "issuer": ""}
    subject = cert.subject.native
    return {
        "signer": common_name(cert),
        "organisation": str(subject.get("organization_name", "")),
        "serial": format(cert.serial_number, "X"),
        "issuer": cert.issuer.human_friendly,
    }


def _unchecked(embedded: EmbeddedPdfSignature, field: str, problem: str) -> SignatureReport:
    try:
        cert: asn1_x509.Certificate | None = embedded.signer_cert
        signed_at = embedded.self_reported_timestamp
    except Exception:  # noqa: BLE001 - a hostile signature dictionary: report what we can
        cert, signed_at = None, None
    values: dict[str, Any] = {
        "field": field,
        **_certificate_fields(cert),
        "signing_time": _iso(signed_at),
        "timestamp_present": False,
        "timestamp_valid": None,
        "timestamp_time": None,
        "tsa": "",
        "intact": False,
        "valid": False,
        "trusted": False,
        "covers_whole_document": False,
        "later_changes": LATER_OTHER,
        "modification_level": None,
        "problem": problem[:300],
    }
    values["summary"] = f"Không kiểm tra được chữ ký {field!r}: chữ ký bị hỏng hoặc không đúng định dạng."
    return SignatureReport(**values)


def _tsa_time(embedded: EmbeddedPdfSignature) -> datetime | None:
    """The time in the signature's timestamp token, if it has one (checked with the signature itself)."""
    for token in extract_tst_data_iter(embedded.signer_info, signed=False):
        info = token["encap_content_info"]["content"].parsed
        return info["gen_time"].native if isinstance(info, tsp.TSTInfo) else None
    return None


async def _report(embedded: EmbeddedPdfSignature, trust: Trust, fetching: bool = False) -> SignatureReport:
    field = str(embedded.field_name or "")
    try:
        signed_at = embedded.self_reported_timestamp
        # the certificate must have been valid when it signed: the TSA's time when there is one, else /M
        context = trust.validation_context(
            _tsa_time(embedded) or signed_at, embedded.other_embedded_certs, fetching=fetching
        )
        try:
            status = await async_validate_pdf_signature(
                embedded, signer_validation_context=context, ts_validation_context=context
            )
        finally:
            if fetching:
                await context.aclose()  # the HTTP session the fetchers opened on this loop
    except Exception as exc:  # noqa: BLE001 - hostile input must give a report, not a crash
        return _unchecked(embedded, field, f"{type(exc).__name__}: {exc}")
    stamp = status.timestamp_validity
    later, level = _later(status)
    values: dict[str, Any] = {
        "field": field,
        **_certificate_fields(status.signing_cert),
        "signing_time": _iso(signed_at),
        "timestamp_present": stamp is not None,
        "timestamp_valid": (stamp.intact and stamp.valid and stamp.trusted) if stamp is not None else None,
        "timestamp_time": _iso(stamp.timestamp) if stamp is not None else None,
        "tsa": common_name(stamp.signing_cert) if stamp is not None else "",
        "intact": bool(status.intact),
        "valid": bool(status.valid),
        "trusted": bool(status.trusted),
        "covers_whole_document": status.coverage == SignatureCoverageLevel.ENTIRE_FILE,
        "later_changes": later,
        "modification_level": level,
        "problem": "" if status.trusted else str(status.trust_problem_indic or ""),
        "demo": bool(status.trusted) and trust.demo,
    }
    values["summary"] = _summary(values)
    return SignatureReport(**values)


def verify_pdf(pdf: bytes, trust: Trust, *, fetching: bool = False) -> Verification:
    """Every signature's report, in signing order. Raises only AppError (not a PDF, no signatures, too big).
    `fetching`: fetch the OCSP responses and CRLs the certificates point to (network I/O), so that a revoked
    certificate is not trusted; the server does so for the document it has just signed, before recording it."""
    if len(pdf) > MAX_VERIFY_BYTES:
        raise AppError("signed_pdf_too_large", limit=MAX_VERIFY_BYTES // (1024 * 1024))
    if b"%PDF-" not in pdf[:1024]:
        raise AppError("signed_pdf_unreadable", detail="không có phần đầu %PDF-", detail_en="no %PDF- header")
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_signatures)
    except Exception as exc:  # noqa: BLE001 - any parser failure on hostile input is "unreadable"
        log.info("verify: unreadable PDF: %s: %s", type(exc).__name__, exc)
        raise AppError(
            "signed_pdf_unreadable", detail="cấu trúc tệp bị hỏng", detail_en="its structure is broken"
        ) from None
    if not embedded:
        raise AppError("signed_pdf_unsigned")

    async def run() -> list[SignatureReport]:
        return [await _report(signature, trust, fetching) for signature in embedded]

    result = Verification(asyncio.run(run()))
    result.changed_after_last_signature = result[-1].later_changes == LATER_OTHER
    return result


def verify_outcome(pdf: bytes, trust: Trust) -> tuple[Verification | None, str, dict[str, Any]]:
    """`verify_pdf` for a worker process: the refusal comes back as (None, code, params), since an AppError
    crossing the process boundary would lose its params."""
    try:
        return verify_pdf(pdf, trust), "", {}
    except AppError as exc:
        return None, exc.code, exc.params


class WorkerPool(Protocol):
    """documents.workers.DocumentWorkers, as far as verification needs it."""

    async def run(self, fn: Any, *args: Any, timeout: float = ...) -> Any: ...  # noqa: ASYNC109


async def verify_in_worker(workers: WorkerPool, pdf: bytes, trust: Trust) -> Verification:
    """`verify_pdf` in a document worker; a worker that runs out of time or memory or dies on the file is
    `signed_pdf_unreadable` ("too complex")."""
    if len(pdf) > MAX_VERIFY_BYTES:  # not worth sending to a worker
        raise AppError("signed_pdf_too_large", limit=MAX_VERIFY_BYTES // (1024 * 1024))
    try:
        reports, code, params = await workers.run(verify_outcome, pdf, trust, timeout=VERIFY_TIMEOUT_SECONDS)
    except AppError:
        raise
    except Exception as exc:  # DocumentWorkerError (timeout, crash, memory); signing/ may not import documents/
        raise AppError(
            "signed_pdf_unreadable",
            detail="tệp quá phức tạp để kiểm tra",
            detail_en="the file is too complex to check",
        ) from exc
    if reports is None:
        raise AppError(code, **params)
    return reports
