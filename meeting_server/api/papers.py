"""REST for meeting papers: uploads, listings, page images, text and search, annotations, comments, receipts,
exports. Changes go through `actions.papers`; reads check the paper's access for the viewer on every path.

Page images of papers open to their readers are immutable per version, so they are sent with a year-long
private cache lifetime: a tablet that has fetched a paper turns pages with no request at all. Restricted papers
(tài liệu mật) are rendered per viewer with their name, unit and the time burnt in, never cached, and their
original file is never sent.

Open papers' page images are also served from signed links (`…/pages/{page}/signed`, domain/pagelinks.py),
handed out with the paper in `page_links`: checked from the link alone, with no session and no database read,
and sent from memory (documents/imagecache.py; under uvloop aiohttp has no sendfile) or by nginx
(`MS_PAGE_ACCEL_PREFIX`), so one process serves a province's tablets.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import tempfile
from datetime import datetime
from functools import partial
from pathlib import Path
from typing import Any
from urllib.parse import quote, unquote

from aiohttp import BodyPartReader, web
from aiohttp.http_exceptions import BadHttpMessage

from ..actions import run_action
from ..actions.papers import stash_upload
from ..auth import Identity
from ..config import Settings
from ..documents.convert import OFFICE_TYPES, Converter, SourceFiles, ingest_upload
from ..documents.export import comments_csv, comments_report, export_annotated, render_watermarked
from ..documents.imagecache import ImageCache
from ..documents.invitation import VIETNAM_TZ
from ..documents.paperfiles import THUMB, PaperPipeline
from ..domain.meetings import require_organizer
from ..domain.pagelinks import PageRef, PageSigner
from ..domain.papers import Paper, Viewer
from ..errors import AppError
from ..inputs import check_text, whole_number
from ..views import meetings as meeting_views
from ..views import papers as paper_views
from ..views.papers import Reading
from .common import SERVICES, WORKERS, client_ip, json_response, request_lang
from .reads import view

log = logging.getLogger(__name__)
PAPERS = web.AppKey("papers", PaperPipeline)
CONVERTER = web.AppKey("converter", Converter)  # office papers to PDF (documents/convert.py)
PAGE_LINKS = web.AppKey("page_links", PageSigner)  # signed page links (domain/pagelinks.py)
PAGE_IMAGES = web.AppKey("page_images", ImageCache)  # open papers' page images kept in memory
IMMUTABLE = "private, max-age=31536000, immutable"
UPLOAD_CHUNK = 1 << 16
FIELD_MAX_BYTES = 20_000  # a form field beside the file (title, access, ids)


def _need(identity: Identity | None) -> Identity:
    if identity is None:
        raise AppError("unauthenticated")
    return identity


def _ids(request: web.Request) -> tuple[str, str]:
    return request.match_info["meeting_id"], request.match_info["paper_id"]


def _version(request: web.Request) -> int:
    return whole_number(request.match_info.get("version"), "version")


async def _reading(request: web.Request, identity: Identity | None, *, versioned: bool = True) -> Reading:
    """The paper (and the version in the path) for this reader, in one database read."""
    version = _version(request) if versioned else None
    return await paper_views.reading(request.app[SERVICES], _need(identity).actor, *_ids(request), version)


# ---- uploads ----------------------------------------------------------------------------------------------------


async def _receive_pdf(request: web.Request, pipeline: PaperPipeline) -> tuple[dict[str, Any], dict[str, str]]:
    """Stream the multipart upload to a temporary file (never named after the client's file name), then let the
    pipeline check and ingest it in a worker. Returns the paper's info and the form's other fields.

    The form is bounded before anything is kept: at most `upload_max_parts` parts, each other field at most
    FIELD_MAX_BYTES, part headers as aiohttp bounds them; a form aiohttp cannot parse is `malformed_upload`."""
    if not request.content_type.startswith("multipart/"):
        raise AppError(
            "invalid_input",
            detail="gửi tệp dưới dạng multipart/form-data (trường file)",
            detail_en="send the file as multipart/form-data (field 'file')",
        )
    with tempfile.TemporaryDirectory(prefix="upload-", dir=pipeline.files.root) as tmp:
        target = Path(tmp) / "upload.bin"
        try:
            filename, fields = await _read_form(request, pipeline, target)
        except (BadHttpMessage, ValueError) as exc:
            log.info("malformed upload form: %s", exc)
            raise AppError(
                "malformed_upload",
                detail="không đọc được các phần của biểu mẫu",
                detail_en="its parts cannot be read",
            ) from None
        info = await ingest_upload(pipeline, request.app[CONVERTER], target, filename)  # PDF, or converted to it
    info["filename"] = filename or "tai-lieu.pdf"
    return info, fields


async def _read_form(request: web.Request, pipeline: PaperPipeline, target: Path) -> tuple[str, dict[str, str]]:
    """The file part written to `target`; returns the client's file name and the other fields."""
    limit = pipeline.limits.max_bytes
    max_parts = request.app[SERVICES].settings.upload_max_parts
    fields: dict[str, str] = {}
    filename = ""
    got = False
    parts = 0
    reader = await request.multipart()
    while (part := await reader.next()) is not None:
        parts += 1
        if parts > max_parts:
            raise AppError(
                "malformed_upload",
                detail=f"quá {max_parts} trường",
                detail_en=f"more than {max_parts} fields",
            )
        if not isinstance(part, BodyPartReader):
            raise AppError("malformed_upload", detail="biểu mẫu lồng nhau", detail_en="a form nested in a form")
        if not part.name or part.name in fields or (part.name == "file" and got):
            raise AppError(
                "malformed_upload",
                detail="một phần không có tên hoặc trùng tên",
                detail_en="a part without a name, or a name given twice",
            )
        if part.name == "file":
            got = True
            raw_name = unquote(part.filename or "")
            check_text(raw_name)
            filename = _safe_name(raw_name)
            size = 0
            with target.open("wb") as out:
                while chunk := await part.read_chunk(UPLOAD_CHUNK):
                    size += len(chunk)
                    if size > limit:
                        raise AppError("paper_too_large", limit=pipeline.max_megabytes)
                    out.write(chunk)
        else:
            data = bytearray()
            while chunk := await part.read_chunk(UPLOAD_CHUNK):
                data += chunk
                if len(data) > FIELD_MAX_BYTES:
                    raise AppError(
                        "invalid_input",
                        detail=f"trường {part.name} quá dài",
                        detail_en=f"field {part.name} is too long",
                    )
            value = bytes(part.decode(data)).decode("utf-8", "replace")
            check_text(part.name)
            check_text(value)
            fields[part.name] = value
    if not got:
        raise AppError("invalid_input", detail="thiếu tệp (trường file)", detail_en="the file is missing")
    return filename, fields


def _safe_name(raw: str) -> str:
    """The client's file name (percent-decoded: some clients, aiohttp and curl scripts, encode it; browsers send
    it as it is), for display and downloads only: no directories, no control characters."""
    name = raw.replace("\\", "/").rsplit("/", 1)[-1]
    name = "".join(c for c in name if c.isprintable() and c not in '"<>|:*?').strip(" .")
    return name[:200]


def _list(fields: dict[str, str], key: str) -> list[str]:
    return [x.strip() for x in fields.get(key, "").split(",") if x.strip()]


async def _upload_allowed(request: web.Request, identity: Identity | None) -> Identity:
    """Refuse before reading a byte of the body when the person may not add papers to this meeting (the CSRF
    header was checked with the route)."""
    who = _need(identity)
    state, _ = await meeting_views.visible_meeting(request.app[SERVICES], who.actor, request.match_info["meeting_id"])
    require_organizer(who.actor, state)
    return who


@view("POST", "/api/meetings/{meeting_id}/papers")
async def upload_paper(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    who = await _upload_allowed(request, identity)
    pipeline = request.app[PAPERS]
    info, fields = await _receive_pdf(request, pipeline)
    upload_id = await stash_upload(request.app[SERVICES], who.actor, info)
    args: dict[str, Any] = {
        "meeting_id": request.match_info["meeting_id"],
        "upload_id": upload_id,
        "title": fields.get("title") or Path(info["filename"]).stem or info.get("title") or "Tài liệu",
        "access": fields.get("access", "all"),
        "user_ids": _list(fields, "user_ids"),
        "unit_ids": _list(fields, "unit_ids"),
        "publish": fields.get("publish", "") in ("1", "true", "yes"),
    }
    if fields.get("item_id"):
        args["item_id"] = fields["item_id"]
    result = await run_action(request.app[SERVICES], who.actor, "paper.add", args, ip=client_ip(request))
    _in_background(_render_rest(pipeline, info["sha256"]))
    return _uploaded(request, result, info, pipeline)


@view("POST", "/api/meetings/{meeting_id}/papers/{paper_id}/versions")
async def upload_version(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    who = await _upload_allowed(request, identity)
    pipeline = request.app[PAPERS]
    info, _ = await _receive_pdf(request, pipeline)
    upload_id = await stash_upload(request.app[SERVICES], who.actor, info)
    result = await run_action(
        request.app[SERVICES],
        who.actor,
        "paper.add_version",
        {
            "meeting_id": request.match_info["meeting_id"],
            "paper_id": request.match_info["paper_id"],
            "upload_id": upload_id,
        },
        ip=client_ip(request),
    )
    _in_background(_render_rest(pipeline, info["sha256"]))
    return _uploaded(request, result, info, pipeline)


def _uploaded(
    request: web.Request, result: dict[str, Any], info: dict[str, Any], pipeline: PaperPipeline
) -> web.StreamResponse:
    """The upload's answer: the paper, and `converted_from` (the office type the PDF was made from, or null)."""
    paper = _with_rendering(result["paper"], info["sha256"], pipeline, request_lang(request))
    return json_response({**result, "paper": paper, "converted_from": info.get("converted_from")}, status=201)


_BACKGROUND: set[asyncio.Task[None]] = set()


def _in_background(job: Any) -> None:
    task = asyncio.create_task(job)
    _BACKGROUND.add(task)
    task.add_done_callback(_BACKGROUND.discard)


async def _render_rest(pipeline: PaperPipeline, sha: str) -> None:
    try:
        await pipeline.render_all(sha)
    except Exception:  # pages missing now are rendered when first asked for
        log.exception("background rendering of %s failed", sha)


# ---- listings ---------------------------------------------------------------------------------------------------


def page_signer(settings: Settings) -> PageSigner:
    """The signer of page links: MS_PAGE_URL_SECRET, or a random secret for this process alone."""
    secret = settings.page_url_secret.encode() or secrets.token_bytes(32)
    return PageSigner(secret, settings.page_url_ttl)


def _listing(paper: Paper, viewer: Viewer, request: web.Request) -> dict[str, Any]:
    """A paper as a reader gets it: with how its pages render and, unless it is restricted, the signed links
    of its current version's pages (`page_links`: `{version, f, e, expires_in, s}`, docs/api.md)."""
    current = paper.current
    listed = _with_rendering(paper.public(viewer), current.file_id, request.app[PAPERS], request_lang(request))
    listed["page_links"] = (
        None
        if paper.restricted
        else request.app[PAGE_LINKS].links(
            paper.meeting_id, paper.id, current.version, current.file_id, current.page_count
        )
    )
    return listed


def _with_rendering(public: dict[str, Any], file_id: str, pipeline: PaperPipeline, lang: str) -> dict[str, Any]:
    """What a reader needs beside the paper to fetch its pages: the widths served and how many are ready; and
    how the current version reads (``repaired``, ``page_warnings``, a ``notice`` sentence when either says
    something)."""
    done, _ = pipeline.progress(file_id)
    quality = pipeline.quality(file_id)
    return {
        **public,
        "rendered_pages": done,
        "restricted": public["access"] == "restricted",
        "widths": list(pipeline.widths),
        **quality,
        "notice": quality_notice(quality, lang),
    }


NOTICE_PAGES = 20  # pages named in a notice; more are counted


def quality_notice(quality: dict[str, Any], lang: str) -> str | None:
    """The sentence telling the secretary what to check in a paper, or None when it reads right."""
    en = lang == "en"
    parts: list[str] = []
    if quality["repaired"]:
        parts.append(
            "The file's cross-reference table was broken and has been repaired: check that nothing is missing."
            if en
            else "Bảng tham chiếu của tệp bị hỏng và đã được sửa tự động: hãy kiểm tra xem có thiếu nội dung không."
        )
    pages = [int(w["page"]) for w in quality["page_warnings"]]
    if pages:
        named = ", ".join(str(n) for n in pages[:NOTICE_PAGES])
        more = len(pages) - NOTICE_PAGES
        if en:
            named += f" and {more} more" if more > 0 else ""
            parts.append(
                f"Page{'s' if len(pages) > 1 else ''} {named} may look wrong (an image that cannot be "
                "decoded, or a flat colour): check them against the original or upload another copy."
            )
        else:
            named += f" và {more} trang khác" if more > 0 else ""
            parts.append(f"Trang {named} có thể hiển thị không đúng (hình ảnh không giải mã được hoặc chỉ một màu "
                         "trơn): hãy đối chiếu với bản gốc hoặc tải lên bản khác.")  # fmt: skip
    return " ".join(parts) or None


@view("GET", "/api/meetings/{meeting_id}/papers")
async def list_papers(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    state, viewer, papers = await paper_views.papers(
        request.app[SERVICES], _need(identity).actor, request.match_info["meeting_id"]
    )
    listing = [_listing(x, viewer, request) for x in papers]
    return json_response({"papers": listing, "presentation": state.presentation})


@view("GET", "/api/meetings/{meeting_id}/papers/{paper_id}")
async def get_paper(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    reading = await _reading(request, identity, versioned=False)
    paper = _listing(reading.paper, reading.viewer, request)
    return json_response({"paper": paper})


# ---- pages, text, search, file ----------------------------------------------------------------------------------


def _watermark(reading: Reading) -> list[str]:
    """Who looked, and when in Vietnam time (a server may well run in UTC)."""
    stamp = datetime.now(VIETNAM_TZ).strftime("%H:%M %d/%m/%Y")
    who = reading.name + (f" — {reading.unit_name}" if reading.unit_name else "")
    return [who, stamp, "TÀI LIỆU MẬT"]


def _page(reading: Reading, request: web.Request) -> int:
    page = whole_number(request.match_info.get("page"), "page")
    if not 1 <= page <= reading.version.page_count:
        raise AppError("not_found", what="page")
    return page


@view("GET", "/api/meetings/{meeting_id}/papers/{paper_id}/versions/{version}/pages/{page}")
async def page_image(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    reading = await _reading(request, identity)
    page = _page(reading, request)
    pipeline = request.app[PAPERS]
    width = pipeline.nearest_width(whole_number(request.query.get("w"), "w", pipeline.widths[-1]))
    if reading.paper.restricted:
        source = pipeline.files.original(reading.version.file_id)
        image = await request.app[WORKERS].run(
            render_watermarked, str(source), page, width, _watermark(reading), "webp", timeout=30.0
        )
        return web.Response(body=image, content_type="image/webp", headers={"Cache-Control": "no-store"})
    return await _send_image(request, reading.version.file_id, page, width)


@view("GET", "/api/meetings/{meeting_id}/papers/{paper_id}/versions/{version}/thumbs/{page}")
async def thumbnail(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    reading = await _reading(request, identity)
    page = _page(reading, request)
    pipeline = request.app[PAPERS]
    if reading.paper.restricted:
        source = pipeline.files.original(reading.version.file_id)
        image = await request.app[WORKERS].run(
            render_watermarked, str(source), page, pipeline.thumb_width, _watermark(reading)[:1], "webp", timeout=30.0
        )
        return web.Response(body=image, content_type="image/webp", headers={"Cache-Control": "no-store"})
    return await _send_image(request, reading.version.file_id, page, THUMB)


def _linked(request: web.Request) -> tuple[str, int]:
    """The file id and page a signed link stands for, checked from the link alone (domain/pagelinks.py)."""
    page = whole_number(request.match_info.get("page"), "page")
    ref = PageRef(request.match_info["meeting_id"], request.match_info["paper_id"], _version(request), page)
    query = request.query
    signer = request.app[PAGE_LINKS]
    return signer.check(ref, query.get("f", ""), query.get("e", ""), query.get("s", "")), page


async def _send_image(request: web.Request, file_id: str, page: int, width: int) -> web.StreamResponse:
    """An open paper's page image (or thumbnail), rendered first if it is not on disk yet: from memory
    (documents/imagecache.py), or left to nginx (X-Accel-Redirect under MS_PAGE_ACCEL_PREFIX), or sent as a file
    (MS_PAGE_MEMORY_MB=0)."""
    pipeline = request.app[PAPERS]
    path = pipeline.files.image_path(file_id, page, width)
    headers = {"Content-Type": "image/webp", "Cache-Control": IMMUTABLE}
    prefix = request.app[SERVICES].settings.page_accel_prefix
    memory = request.app[PAGE_IMAGES]
    data = None if prefix else memory.kept(path)
    if data is not None:
        return web.Response(body=data, headers=headers)
    if not path.exists():  # not rendered yet (or not this server's file: the pipeline says not_found)
        path = await (
            pipeline.thumbnail(file_id, page) if width == THUMB else pipeline.page_image(file_id, page, width)
        )
    if prefix:
        inside = path.relative_to(pipeline.files.root).as_posix()
        return web.Response(headers={**headers, "X-Accel-Redirect": prefix.rstrip("/") + "/" + inside})
    if memory.max_bytes:
        return web.Response(body=await memory.load(path), headers=headers)
    return web.FileResponse(path, headers=headers)


@view("GET", "/api/meetings/{meeting_id}/papers/{paper_id}/versions/{version}/pages/{page}/signed")
async def signed_page_image(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    file_id, page = _linked(request)
    pipeline = request.app[PAPERS]
    width = pipeline.nearest_width(whole_number(request.query.get("w"), "w", pipeline.widths[-1]))
    return await _send_image(request, file_id, page, width)


@view("GET", "/api/meetings/{meeting_id}/papers/{paper_id}/versions/{version}/thumbs/{page}/signed")
async def signed_thumbnail(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    file_id, page = _linked(request)
    return await _send_image(request, file_id, page, THUMB)


@view("GET", "/api/meetings/{meeting_id}/papers/{paper_id}/versions/{version}/text")
async def text(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    reading = await _reading(request, identity)
    words = await request.app[PAPERS].text(reading.version.file_id)
    cache = "no-store" if reading.paper.restricted else IMMUTABLE
    response = json_response({"pages": words})
    response.headers["Cache-Control"] = cache
    return response


@view("GET", "/api/meetings/{meeting_id}/papers/{paper_id}/versions/{version}/search")
async def search(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    reading = await _reading(request, identity)
    query = request.query.get("q", "").strip()
    if not query or len(query) > 200:
        raise AppError(
            "invalid_input",
            detail="từ khóa tìm kiếm cần 1-200 ký tự",
            detail_en="the search text needs 1-200 characters",
        )
    hits = await request.app[PAPERS].search(reading.version.file_id, query)
    return json_response({"query": query, "hits": hits})


def _download(name: str, ext: str) -> str:
    stem = Path(name).stem or "tai-lieu"
    return f"attachment; filename=\"tai-lieu.{ext}\"; filename*=UTF-8''{quote(stem[:100])}.{ext}"


@view("GET", "/api/meetings/{meeting_id}/papers/{paper_id}/versions/{version}/file")
async def original(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    reading = await _reading(request, identity)
    if reading.paper.restricted:
        raise AppError("paper_restricted")
    pipeline, version = request.app[PAPERS], reading.version
    path, ext = pipeline.files.original(version.file_id), "pdf"
    if version.converted_from:  # the office file as it was uploaded; the PDF is the reading copy
        path, ext = (
            SourceFiles(pipeline.files.root).original(version.original_id, version.converted_from),
            version.converted_from,
        )
    return web.FileResponse(
        path,
        headers={
            "Content-Type": OFFICE_TYPES.get(ext, "application/pdf"),
            "Cache-Control": IMMUTABLE,
            "Content-Disposition": _download(version.filename, ext),
        },
    )


@view("GET", "/api/meetings/{meeting_id}/papers/{paper_id}/versions/{version}/export")
async def export(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    """My annotated copy: my ink, highlights and notes (and the presenter's shared ones) as PDF annotations."""
    reading, mine = await paper_views.annotated(
        request.app[SERVICES], _need(identity).actor, *_ids(request), _version(request)
    )
    rows = [
        {"kind": a.kind, "page": a.page, "author": reading.name if a.layer == "private" else "", **a.data} for a in mine
    ]
    pipeline = request.app[PAPERS]
    source = pipeline.files.original(reading.version.file_id)
    watermark = _watermark(reading) if reading.paper.restricted else None
    with tempfile.TemporaryDirectory(prefix="export-", dir=pipeline.files.root) as tmp:
        out = Path(tmp) / "export.pdf"
        await request.app[WORKERS].run(
            partial(export_annotated, watermark=watermark), str(source), rows, str(out), timeout=120.0
        )
        body = await asyncio.to_thread(out.read_bytes)
    return web.Response(
        body=body,
        content_type="application/pdf",
        headers={"Content-Disposition": _download(reading.version.filename, "pdf")},
    )


# ---- annotations, comments, receipts ----------------------------------------------------------------------------


@view("GET", "/api/meetings/{meeting_id}/papers/{paper_id}/annotations")
async def list_annotations(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    version = whole_number(request.query.get("version"), "version", 0) or None
    found = await paper_views.my_annotations(request.app[SERVICES], _need(identity).actor, *_ids(request), version)
    return json_response({"annotations": [a.to_dict() for a in found]})


@view("GET", "/api/meetings/{meeting_id}/papers/{paper_id}/comments")
async def list_comments(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    _, found = await paper_views.comments(request.app[SERVICES], _need(identity).actor, *_ids(request))
    return json_response({"comments": [c.to_dict() for c in found]})


@view("GET", "/api/meetings/{meeting_id}/papers/{paper_id}/comments/export")
async def comments_export(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    reading, found = await paper_views.comments(
        request.app[SERVICES], _need(identity).actor, *_ids(request), every=True
    )
    fmt = request.query.get("format", "pdf")
    if fmt not in ("pdf", "csv"):
        raise AppError("invalid_input", detail="format phải là pdf hoặc csv", detail_en="format must be pdf or csv")
    rows = [c.to_dict() for c in found]
    name = f"gop-y-{reading.paper.title}"
    if fmt == "csv":
        body = await asyncio.to_thread(comments_csv, rows)
        return web.Response(
            body=body, content_type="text/csv", charset="utf-8", headers={"Content-Disposition": _download(name, "csv")}
        )
    pipeline = request.app[PAPERS]
    with tempfile.TemporaryDirectory(prefix="comments-", dir=pipeline.files.root) as tmp:
        out = Path(tmp) / "comments.pdf"
        await request.app[WORKERS].run(comments_report, reading.paper.title, rows, str(out), timeout=60.0)
        body = await asyncio.to_thread(out.read_bytes)
    return web.Response(
        body=body, content_type="application/pdf", headers={"Content-Disposition": _download(name, "pdf")}
    )


@view("GET", "/api/meetings/{meeting_id}/paper-receipts")
async def receipts(request: web.Request, identity: Identity | None) -> web.StreamResponse:
    """Who has opened which paper (the chair's and secretary's view), beside who may read it."""
    answer = await paper_views.receipts(request.app[SERVICES], _need(identity).actor, request.match_info["meeting_id"])
    return json_response(answer)
