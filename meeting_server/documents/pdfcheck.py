"""What the document workers do with an uploaded paper: check it, describe it, extract its words, render it.

Every function here that touches pymupdf runs inside a ``DocumentWorkers`` process (top-level functions with
picklable arguments), never on the server's event loop: a hostile PDF may hang or crash MuPDF, and the pool's
time and memory limits are what contain it. The async side is ``paperfiles.py``.

A file is refused with a :class:`PaperRejected` whose ``code`` is an ``AppError`` code:

- ``paper_empty``: 0 bytes;
- ``paper_not_pdf``: no ``%PDF-`` header in the first KiB (``sniff``), or MuPDF does not see a PDF;
- ``paper_encrypted``: opening needs a password. A file encrypted with an owner password only (printing
  or copying restricted, no password to read) opens without one and is accepted, as every reader shows it;
- ``paper_corrupt``: MuPDF cannot open it, finds no pages, or cannot load one of its pages. A file whose
  cross-reference table is broken but which MuPDF repairs into loadable pages is accepted and marked
  ``repaired`` (readers like Acrobat and poppler do the same); the secretary can be told to check it;
- ``paper_too_many_pages``, ``paper_page_too_large``: over the limits given;
- ``paper_too_complex``: an embedded image declares more pixels than any real scan has (a decompression bomb
  seen before it is decoded), or MuPDF runs out of memory or hits one of its own limits. Bombs that only show
  while decoding (a content stream inflating to gigabytes) are stopped by the pool's timeout instead.

A broken outline is no reason to refuse a paper: MuPDF drops an /Outlines tree that loops back on itself (the
paper comes without bookmarks), and we keep at most 5000 entries with consistent levels.

Geometry: ``page.rect`` is the page as displayed (crop box, rotation applied), and MuPDF's text coordinates
are on the unrotated crop box with y down; ``page.rotation_matrix`` takes them to the displayed page, the
space the rendered images show. Words are stored normalised to 0..1 of the displayed page.
"""

from __future__ import annotations

import contextlib
import json
import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymupdf

from ..vocabulary import ErrorCode

SNIFF_BYTES = 1024  # the PDF header may follow some junk, within the first KiB (as readers accept)
PDF_MAGIC = b"%PDF-"
WEBP_MAX_SIDE = 16383  # the WebP format's limit
MAX_OUTLINE_ENTRIES = 5000
MAX_TITLE_CHARS = 500


class PaperRejected(Exception):
    """The paper cannot be accepted: ``code`` is an AppError code, ``detail`` says what was seen (English)."""

    def __init__(self, code: ErrorCode, detail: str = "", **params: Any) -> None:
        super().__init__(code, detail, params)
        self.code: ErrorCode = code
        self.detail = detail
        self.params = params

    def __reduce__(self) -> tuple[Any, ...]:  # keyword params survive the trip back from the worker
        return (_rebuild_rejected, (self.code, self.detail, self.params))


def _rebuild_rejected(code: ErrorCode, detail: str, params: dict[str, Any]) -> PaperRejected:
    return PaperRejected(code, detail, **params)


def sniff(head: bytes) -> bool:
    """True when ``head`` (the file's first bytes) looks like a PDF: decided by content, never by name."""
    return PDF_MAGIC in head[:SNIFF_BYTES]


def _quiet() -> None:
    """MuPDF prints warnings for every broken file; in a worker they would only flood the server's log."""
    pymupdf.TOOLS.mupdf_display_errors(False)
    pymupdf.TOOLS.mupdf_display_warnings(False)


@contextlib.contextmanager
def _mupdf_errors(code: ErrorCode = "paper_corrupt", where: str = "") -> Iterator[None]:
    """Turn MuPDF's exceptions into a PaperRejected; a failed allocation or a MuPDF limit means too complex."""
    try:
        yield
    except PaperRejected:
        raise
    except MemoryError:
        raise  # the pool treats it as a crash and replaces the worker
    except (pymupdf.mupdf.FzErrorBase, RuntimeError, ValueError, IndexError) as exc:
        text = str(exc)
        prefix = f"{where}: " if where else ""
        if isinstance(exc, pymupdf.mupdf.FzErrorLimit) or "malloc" in text or "out of memory" in text:
            raise PaperRejected("paper_too_complex", f"{prefix}{text}"[:300]) from None
        raise PaperRejected(code, f"{prefix}{text}"[:300]) from None


def open_pdf(path: str) -> pymupdf.Document:
    """Open ``path`` as a PDF (whatever its name) and refuse what cannot be read without a password."""
    _quiet()
    with open(path, "rb") as f:
        head = f.read(SNIFF_BYTES)
    if not head:
        raise PaperRejected("paper_empty")
    if not sniff(head):
        raise PaperRejected("paper_not_pdf", "no %PDF- header")
    with _mupdf_errors():
        doc = pymupdf.open(path, filetype="pdf")
    if not doc.is_pdf:
        raise PaperRejected("paper_not_pdf")
    if doc.needs_pass:
        raise PaperRejected("paper_encrypted")
    return doc


def _clean_text(value: object, limit: int = MAX_TITLE_CHARS) -> str:
    text = value if isinstance(value, str) else ""
    text = "".join(ch if ch.isprintable() else " " for ch in text)
    return " ".join(text.split())[:limit]


def _outline(doc: pymupdf.Document, page_count: int) -> list[dict[str, Any]]:
    """The bookmarks as a flat list. MuPDF stops at a cycle in /Outlines (then gives none); we also bound
    the count and keep levels consistent, so even a hostile tree yields a short, well-formed list."""
    try:
        toc = doc.get_toc(simple=True)
    except (pymupdf.mupdf.FzErrorBase, RuntimeError, ValueError):
        return []  # a broken outline is no reason to refuse the paper
    entries: list[dict[str, Any]] = []
    previous_level = 0
    for item in toc[:MAX_OUTLINE_ENTRIES]:
        level, title, page = int(item[0]), _clean_text(item[1]), int(item[2])
        level = max(1, min(level, previous_level + 1))
        previous_level = level
        entries.append({"level": level, "title": title, "page": page if 1 <= page <= page_count else None})
    return entries


def inspect_pdf(path: str, limits: dict[str, Any]) -> dict[str, Any]:
    """Validate the paper and describe it (the ``meta.json`` of the cache). ``limits`` holds
    ``max_pages``, ``max_page_side`` (points) and ``max_image_pixels`` (declared size of one embedded image).

    Reads only dictionaries (page boxes, image headers, outline, /Info): no content stream is run here.
    """
    doc = open_pdf(path)
    with _mupdf_errors():
        page_count = doc.page_count
    if page_count <= 0:
        raise PaperRejected("paper_corrupt", "no pages")
    if page_count > limits["max_pages"]:
        raise PaperRejected("paper_too_many_pages", f"{page_count} pages", pages=page_count)
    pages: list[dict[str, Any]] = []
    max_side = float(limits["max_page_side"])
    max_image_pixels = int(limits["max_image_pixels"])
    for number in range(page_count):
        with _mupdf_errors(where=f"page {number + 1}"):
            page = doc.load_page(number)
            rect, rotation = page.rect, page.rotation
            images = page.get_images(full=True)
        width, height = float(rect.width), float(rect.height)
        if not (width >= 1 and height >= 1):  # also catches NaN from a garbled box
            raise PaperRejected("paper_corrupt", f"page {number + 1} has no area", page=number + 1)
        if max(width, height) > max_side:
            raise PaperRejected(
                "paper_page_too_large", f"page {number + 1} is {width:.0f}x{height:.0f} pt", page=number + 1
            )
        for image in images:
            declared = int(image[2] or 0) * int(image[3] or 0)
            if declared > max_image_pixels:
                raise PaperRejected(
                    "paper_too_complex",
                    f"page {number + 1} has an image of {image[2]}x{image[3]} pixels",
                    page=number + 1,
                )
        pages.append({"width": round(width, 2), "height": round(height, 2), "rotation": rotation % 360})
    metadata = doc.metadata or {}
    return {
        "page_count": page_count,
        "pages": pages,
        "outline": _outline(doc, page_count),
        "title": _clean_text(metadata.get("title")),
        "repaired": bool(doc.is_repaired),
    }


def _page_words(page: pymupdf.Page) -> list[list[Any]]:
    """The page's words as ``[x0, y0, x1, y1, text, line]``: box normalised to the displayed page (0..1,
    y down, rotation applied), ``line`` numbering the page's text lines in reading order."""
    m = page.rotation_matrix  # a multiple of 90°: corners stay corners
    a, b, c, d, e, f = m.a, m.b, m.c, m.d, m.e, m.f
    sx, sy = 1.0 / page.rect.width, 1.0 / page.rect.height
    words: list[list[Any]] = []
    lines: dict[tuple[int, int], int] = {}
    for x0, y0, x1, y1, text, block, line, _ in page.get_text("words"):
        # plain arithmetic, not pymupdf.Rect: a page has hundreds of words and Rect objects cost more than MuPDF
        px0, py0 = a * x0 + c * y0 + e, b * x0 + d * y0 + f
        px1, py1 = a * x1 + c * y1 + e, b * x1 + d * y1 + f
        nx0, nx1 = max(0.0, min(px0, px1) * sx), min(1.0, max(px0, px1) * sx)
        ny0, ny1 = max(0.0, min(py0, py1) * sy), min(1.0, max(py0, py1) * sy)
        if nx1 <= nx0 or ny1 <= ny0 or not text.strip():
            continue  # outside the visible page
        line_no = lines.setdefault((block, line), len(lines))
        words.append([round(nx0, 4), round(ny0, 4), round(nx1, 4), round(ny1, 4), text, line_no])
    return words


def extract_words(path: str, first: int, last: int) -> list[str]:
    """Words of pages ``first..last`` (1-based, inclusive), one JSON array per page, ready to be joined into
    ``text.json`` without the server decoding them again."""
    doc = open_pdf(path)
    out: list[str] = []
    for number in range(first, last + 1):
        with _mupdf_errors(where=f"page {number}"):
            words = _page_words(doc.load_page(number - 1))
        out.append(json.dumps(words, ensure_ascii=False, separators=(",", ":")))
    return out


def image_size(page_width: float, page_height: float, width: int, max_pixels: int) -> tuple[int, int]:
    """Pixel size of a page rendered ``width`` wide: the same aspect, but never over ``max_pixels`` or
    WebP's side limit (a very long page comes out narrower than asked)."""
    scale = width / page_width
    limit = min((max_pixels / (page_width * page_height)) ** 0.5, WEBP_MAX_SIDE / page_height, scale)
    w = max(1, min(width, round(page_width * limit)))
    h = max(1, min(WEBP_MAX_SIDE, round(page_height * limit)))
    return w, h


def warm_up() -> int:
    """Import what the jobs need (MuPDF, Pillow's WebP) so a worker's first real job does not pay for it."""
    from PIL import features

    _quiet()
    return 1 if features.check("webp") else 0


def _write_atomic(path: Path, data: bytes) -> None:
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    tmp.write_bytes(data)
    os.replace(tmp, path)  # readers see the whole file or none


def render_pages(path: str, out_dir: str, jobs: list[tuple[int, list[int], bool]], settings: dict[str, Any]) -> int:
    """Render each ``(page, widths, thumbnail)`` of ``jobs`` to ``out_dir/pages/<page>-<width>.webp`` and
    ``out_dir/thumbs/<page>.webp``, skipping files that exist; returns the number of files written.

    A page is interpreted once into a display list and rasterised from it at every width: MuPDF rasterises
    a text page at 2048 px faster than Pillow could downscale one, so each width is drawn, not resized.
    ``settings``: ``max_pixels``, ``quality``, ``method``, ``thumb_width``, ``thumb_quality``.
    """
    from io import BytesIO

    from PIL import Image

    doc = open_pdf(path)
    root = Path(out_dir)
    (root / "pages").mkdir(exist_ok=True)  # not parents: a staging directory given up on stays gone
    (root / "thumbs").mkdir(exist_ok=True)
    written = 0
    for number, widths, thumbnail in jobs:
        targets = [(w, root / "pages" / f"{number}-{w}.webp", settings["quality"]) for w in widths]
        if thumbnail:
            targets.append((settings["thumb_width"], root / "thumbs" / f"{number}.webp", settings["thumb_quality"]))
        targets = [t for t in targets if not t[1].exists()]  # a retried chunk keeps what it had written
        if not targets:
            continue
        with _mupdf_errors(where=f"page {number}"):
            page = doc.load_page(number - 1)
            rect = page.rect
            display = page.get_displaylist()
        for width, target, quality in targets:
            w, h = image_size(rect.width, rect.height, width, settings["max_pixels"])
            with _mupdf_errors(where=f"page {number}"):
                matrix = pymupdf.Matrix(w / rect.width, h / rect.height)
                pix = display.get_pixmap(matrix=matrix, colorspace=pymupdf.csRGB, alpha=False)
            image = Image.frombuffer("RGB", (pix.width, pix.height), pix.samples_mv, "raw", "RGB", pix.stride, 1)
            if image.size != (w, h):  # MuPDF rounds the pixel box outwards: at most a pixel more
                image = image.crop((0, 0, w, h)) if pix.width >= w and pix.height >= h else image.resize((w, h))
            buffer = BytesIO()
            image.save(buffer, "WEBP", quality=quality, method=settings["method"])
            del image, pix
            _write_atomic(target, buffer.getvalue())
            written += 1
    return written
