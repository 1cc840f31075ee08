"""REST of the signing phase (docs/signing.md, docs/api.md "Signing"): the person of the waiting slot asks for a
one-time link; the `meeting-sign` agent follows it (`GET`, `prepare`, `finish`: no session, the link's token is
the credential); a PKCS#12 file from the browser signs in one request; an organiser applies the seal.

Every signature is embedded in a thread (pyHanko is CPU-bound), the result verified (`verify_pdf`, with revocation
data fetched where the certificates say), and only then recorded (actions/signing.py, one transaction that
checks the link, the turn and that the document is unchanged). A refusal at any step leaves the stored PDF as it
was. A PKCS#12 file and its password are used for that one signature, in memory, never stored or logged.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
from typing import Any

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import BadHttpMessage
from pyhanko.sign import signers

from ..actions import signing as signing_actions
from ..actions.base import Services, run_action
from ..auth import Identity
from ..domain.actors import Actor
from ..domain.record import KIND_WORDS
from ..errors import AppError
from ..signing.prepare import finish, prepare, sign_with_key
from ..signing.seal import SealError, seal_configured, seal_pdf
from ..signing.trust import async_check_signer_certificate
from ..signing.verify import verify_pdf
from ..views import signing as signing_views
from ..vocabulary import RECORD_SIGN
from .common import SERVICES, json_response, read_json
from .origin import own_origin
from .reads import _need, view
from .record import pdf_of
from .verify import verification_json

MAX_PKCS12_BYTES = 64 * 1024
MAX_PASSWORD_BYTES = 1024


def _link(request: web.Request) -> tuple[str, str]:
    return request.match_info["request_id"], request.query.get("t", "")


def _unb64(value: Any, what: str) -> bytes:
    try:
        return base64.b64decode(str(value), validate=True)
    except (binascii.Error, ValueError):
        raise AppError.invalid(f"{what} phải là base64.", f"{what} must be base64.") from None


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


async def _record(
    services: Services, actor: Actor, to_sign: signing_views.ToSign, pdf: bytes, link: tuple[str, str] | None = None
) -> dict[str, Any]:
    """Verify the newly signed PDF (every signature intact, valid, trusted, nothing changed after; revocation data
    fetched where the certificates point), then record it; the answer is the document's signature status."""
    verification = await asyncio.to_thread(verify_pdf, pdf, services.trust, fetching=True)
    expected = to_sign.signed_slots + 1
    failing = [report for report in verification if not report.ok]
    if failing or len(verification) != expected or verification.changed_after_last_signature:
        detail = failing[0].summary if failing else f"có {len(verification)} chữ ký, cần {expected}"
        raise AppError("signing_result_invalid", detail=detail)
    recorded = await signing_actions.record_signed(
        services,
        actor,
        meeting_id=to_sign.meeting_id,
        document_id=to_sign.document_id,
        slot=to_sign.slot["slot"],
        signed_from=to_sign.sha256,
        pdf=pdf,
        link=link,
    )
    words = KIND_WORDS.get(to_sign.kind, ("Văn bản", ""))[0]
    status = f"Đã ký {words} số {to_sign.number}. {verification[-1].summary}"
    return {"status": status, "document": recorded["document"], **verification_json(verification)}


@view("POST", "/api/record/{document_id}/sign-request")
async def sign_request(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    """The waiting slot's person asks to sign with their USB token: a one-time link for `meeting-sign`."""
    actor = _need(identity).actor
    services, document_id = request.app[SERVICES], request.match_info["document_id"]
    await pdf_of(request, actor, document_id, RECORD_SIGN)  # the PDF to sign is the kept one, with its boxes
    to_sign = await signing_views.for_signer(services, actor, document_id)
    made = await run_action(
        services, actor, "record.sign.request", {"meeting_id": to_sign.meeting_id, "document_id": document_id}
    )
    link = f"{own_origin(request, services.settings.trust_proxy)}/api/signing/{made['request_id']}?t={made['token']}"
    answer = {
        "request_id": made["request_id"],
        "slot": made["slot"],
        "link": link,
        "command": f"meeting-sign '{link}'",
        "expires_at": made["expires_at"],
        "sha256": made["sha256"],
    }
    return json_response(answer, status=201)


@view("GET", "/api/signing/{request_id}")
async def signing_request(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    """What the link signs, for the agent to show before it asks for the PIN."""
    request_id, token = _link(request)
    to_sign = await signing_views.by_link(request.app[SERVICES], request_id, token)
    slot = to_sign.slot
    return json_response(
        {
            "document": {
                "kind": to_sign.kind,
                "number": to_sign.number,
                "title": to_sign.title,
                "meeting": to_sign.meeting_title,
                "sha256": to_sign.sha256,
            },
            "signer": {"name": slot["name"], "slot": slot["slot"], "title": slot.get("title", "")},
            "pdf_url": f"/api/signing/{request_id}/pdf?t={token}",
        }
    )


@view("GET", "/api/signing/{request_id}/pdf")
async def signing_pdf(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    request_id, token = _link(request)
    to_sign = await signing_views.by_link(request.app[SERVICES], request_id, token)
    return web.Response(body=to_sign.pdf, content_type="application/pdf")


@view("POST", "/api/signing/{request_id}/prepare")
async def signing_prepare(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    """Check the certificate (trusted root, valid now, for signing, the slot's person by name), then prepare."""
    services = request.app[SERVICES]
    request_id, token = _link(request)
    body = await read_json(request)
    to_sign = await signing_views.by_link(services, request_id, token)
    chain_in = body.get("chain", [])
    if not isinstance(chain_in, list) or len(chain_in) > 10:
        raise AppError.invalid("chain phải là danh sách (tối đa 10).", "chain must be a list (at most 10).")
    certificate = _unb64(body.get("certificate", ""), "certificate")
    chain = [_unb64(c, "chain") for c in chain_in]
    await async_check_signer_certificate(certificate, chain, services.trust, to_sign.slot["name"])
    prepared = await asyncio.to_thread(
        prepare,
        to_sign.pdf,
        to_sign.box,
        to_sign.slot["slot"],
        certificate,
        chain,
        None,
        services.trust.tsa_url or None,
        look=to_sign.look,
    )
    assert to_sign.actor is not None
    await signing_actions.save_prepared(services, to_sign.actor, to_sign.meeting_id, request_id, token, prepared.state)
    return json_response({"to_sign": _b64(prepared.to_sign), "mechanism": prepared.mechanism})


@view("POST", "/api/signing/{request_id}/finish")
async def signing_finish(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    """Embed the token's signature, verify the result, record it; the link is then used up."""
    services = request.app[SERVICES]
    request_id, token = _link(request)
    body = await read_json(request)
    signature = _unb64(body.get("signature", ""), "signature")
    to_sign = await signing_views.by_link(services, request_id, token, prepared=True)
    assert to_sign.state is not None and to_sign.actor is not None
    signed = await asyncio.to_thread(finish, to_sign.state, signature, services.trust)
    return json_response(await _record(services, to_sign.actor, to_sign, signed.pdf, (request_id, token)))


async def _pkcs12_form(request: web.Request) -> tuple[bytes, bytes]:
    """The multipart form's `file` (.p12) and `password`, read into memory with small limits."""
    if not request.content_type.startswith("multipart/"):
        raise AppError(
            "invalid_input",
            detail="gửi tệp .p12 và mật khẩu dạng multipart/form-data (trường file, password)",
            detail_en="send the .p12 file and its password as multipart/form-data (fields file, password)",
        )
    found: dict[str, bytes] = {}
    try:
        reader = await request.multipart()
        while (part := await reader.next()) is not None:
            if not isinstance(part, BodyPartReader) or part.name not in ("file", "password"):
                continue
            limit = MAX_PKCS12_BYTES if part.name == "file" else MAX_PASSWORD_BYTES
            data = bytearray()
            while chunk := await part.read_chunk(8192):
                data += chunk
                if len(data) > limit:
                    raise AppError("payload_too_large", limit=limit)
            found[part.name] = bytes(data)
    except (BadHttpMessage, ValueError):
        raise AppError(
            "malformed_upload", detail="không đọc được các phần của biểu mẫu", detail_en="its parts cannot be read"
        ) from None
    if "file" not in found:
        raise AppError("invalid_input", detail="thiếu tệp .p12 (trường file)", detail_en="the .p12 file is missing")
    return found["file"], found.get("password", b"")


def _open_pkcs12(data: bytes, password: bytes) -> signers.SimpleSigner:
    try:
        signer = signers.SimpleSigner.load_pkcs12_data(data, other_certs=(), passphrase=password or None)
    except (ValueError, TypeError) as error:
        raise AppError.invalid(
            "Không mở được tệp chữ ký số: sai mật khẩu hoặc tệp không phải PKCS#12 (.p12, .pfx).",
            "The signature file cannot be opened: a wrong password, or not a PKCS#12 file (.p12, .pfx).",
        ) from error
    if signer is None or signer.signing_cert is None:
        raise AppError.invalid("Tệp chữ ký số không có chứng thư số.", "The signature file holds no certificate.")
    return signer


@view("POST", "/api/record/{document_id}/sign-pkcs12")
async def sign_pkcs12(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    """Sign the waiting slot with a PKCS#12 file (multipart: file, password) held only for this signature."""
    actor = _need(identity).actor
    services, document_id = request.app[SERVICES], request.match_info["document_id"]
    data, password = await _pkcs12_form(request)
    await pdf_of(request, actor, document_id, RECORD_SIGN)
    to_sign = await signing_views.for_signer(services, actor, document_id)
    signer = await asyncio.to_thread(_open_pkcs12, data, password)
    del data, password
    assert signer.signing_cert is not None
    chain = [c for c in signer.cert_registry if c != signer.signing_cert]
    await async_check_signer_certificate(signer.signing_cert, chain, services.trust, to_sign.slot["name"])
    signed = await asyncio.to_thread(
        sign_with_key,
        to_sign.pdf,
        to_sign.box,
        to_sign.slot["slot"],
        signer,
        tsa_url=services.trust.tsa_url or None,
        look=to_sign.look,
        trust=services.trust,
    )
    return json_response(await _record(services, actor, to_sign, signed.pdf))


@view("POST", "/api/record/{document_id}/seal")
async def seal(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    """Đóng dấu: an organiser applies the organisation's seal (the server's key) after the notice's signer."""
    actor = _need(identity).actor
    services, document_id = request.app[SERVICES], request.match_info["document_id"]
    to_sign = await signing_views.for_signer(services, actor, document_id, seal=True)
    if not seal_configured(services.settings):
        raise AppError("seal_unavailable", detail="máy chủ chưa được cấu hình con dấu")
    try:
        signed = await asyncio.to_thread(
            seal_pdf,
            services.settings,
            to_sign.pdf,
            to_sign.box,
            to_sign.slot["slot"],
            trust=services.trust,
            look=to_sign.look,
        )
    except SealError as error:
        raise AppError("seal_unavailable", detail=str(error).split(" / ")[0]) from error
    return json_response(await _record(services, actor, to_sign, signed.pdf))
