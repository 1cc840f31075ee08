"""`POST /api/verify`: anyone signed in drops a PDF and is told what its signatures say (docs/signing.md "Verify").

The upload is a multipart form with one part, `file`, read into memory up to signing/verify.py's limit (more is
`signed_pdf_too_large` before the rest is read); the file is checked in a document worker process with its memory
limit and timeout (`verify_in_worker`), so a hostile PDF costs a worker, never the event loop.
"""

from __future__ import annotations

import dataclasses
from typing import Any

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import BadHttpMessage

from ..auth import Identity
from ..errors import AppError
from ..signing.trust import trust_from_settings
from ..signing.verify import MAX_VERIFY_BYTES, Verification, verify_in_worker
from .common import SERVICES, WORKERS, json_response
from .reads import view

CHUNK = 256 * 1024


def verification_json(verification: Verification) -> dict[str, Any]:
    """The reports as the API and `meeting-server verify --json` give them: each with `ok`, and the whole."""
    signatures = [{**dataclasses.asdict(report), "ok": report.ok} for report in verification]
    return {
        "signatures": signatures,
        "changed_after_last_signature": verification.changed_after_last_signature,
        "all_valid": all(s["ok"] for s in signatures) and not verification.changed_after_last_signature,
    }


async def _read_pdf(request: web.Request) -> bytes:
    if not request.content_type.startswith("multipart/"):
        raise AppError(
            "invalid_input",
            detail="gửi tệp dưới dạng multipart/form-data (trường file)",
            detail_en="send the file as multipart/form-data (field 'file')",
        )
    try:
        reader = await request.multipart()
        part = await reader.next()
        if not isinstance(part, BodyPartReader) or part.name != "file":
            raise AppError("invalid_input", detail="thiếu tệp (trường file)", detail_en="the file is missing")
        data = bytearray()
        while chunk := await part.read_chunk(CHUNK):
            data += chunk
            if len(data) > MAX_VERIFY_BYTES:
                raise AppError("signed_pdf_too_large", limit=MAX_VERIFY_BYTES // (1024 * 1024))
    except (BadHttpMessage, ValueError):
        raise AppError(
            "malformed_upload", detail="không đọc được các phần của biểu mẫu", detail_en="its parts cannot be read"
        ) from None
    return bytes(data)


@view("POST", "/api/verify")
async def verify(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    if identity is None:
        raise AppError("unauthenticated")
    pdf = await _read_pdf(request)
    trust = trust_from_settings(request.app[SERVICES].settings)
    return json_response(verification_json(await verify_in_worker(request.app[WORKERS], pdf, trust)))
