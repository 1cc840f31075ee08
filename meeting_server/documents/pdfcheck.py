"""What the document workers do with an uploaded paper: check it, describe it, extract its words, render it.

Every function here that touches pymupdf runs inside a ``DocumentWorkers`` process (top-level functions with
picklable arguments), never on the server's event loop: a hostile PDF may hang or crash MuPDF, and the pool's
time and memory limits are what contain it. The async side is ``paperfiles.py``.

A file is refused with a :class:`PaperRejected` whose ``code`` is an ``AppError`` code:

- ``paper_empty``: 0 bytes;
- ``paper_not_pdf``: no ``%PDF-`` header in the first KiB (``sniff``), or MuPDF does not see a PDF;
- ``paper_encrypted``: opening needs a password. A file encrypted with an owner password only (printing
  or copying restricted, no password to read) opens without one and is accepted, as every reader shows it.
  So is a file whose encryption covers its attachments only (``/EFF`` with ``/StmF`` and ``/StrF``
  ``/Identity``, Acrobat's "encrypt only file attachments"): its pages are plain, every reader opens it
  without a password, but MuPDF asks for one; we open it with the encryption dictionary unlinked (the
  attachments stay unreadable, nothing of ours reads them). An embedded file that is itself an encrypted
  PDF is no concern of the paper's;
- ``paper_corrupt``: MuPDF cannot open it, finds no pages, or cannot load one of its pages. A file whose
  cross-reference table is broken but which MuPDF repairs into loadable pages is accepted and marked
  ``repaired`` (readers like Acrobat and poppler do the same); the secretary can be told to check it;
- ``paper_too_many_pages``, ``paper_page_too_large``: over the limits given;
- ``paper_too_complex``: an embedded image declares more pixels than any real scan has (a decompression bomb
  seen before it is decoded), or MuPDF runs out of memory or hits one of its own limits. Bombs that only show
  while decoding (a content stream inflating to gigabytes) are stopped by the pool's timeout instead.

Pages that render wrong: MuPDF cannot decode every image (a JBIG2 image refined from an intermediate
region, say) and then draws the page as one flat colour, with a warning nobody sees. ``render_pages`` and
``check_pages`` collect MuPDF's warnings per page and look at the pixels: a page with images whose rendering
is one flat colour, or whose rendering made MuPDF warn about decoding, is drawn again by poppler
(``pdftoppm``, a second engine, with a timeout). If poppler's image is not flat it is the one kept; if it is
flat too (or poppler fails) the page keeps MuPDF's image and is reported in ``page_warnings`` so the
secretary is told at upload which pages may look wrong.

A broken outline is no reason to refuse a paper: MuPDF drops an /Outlines tree that loops back on itself (the
paper comes without bookmarks), and we keep at most 5000 entries with consistent levels.

Geometry: ``page.rect`` is the page as displayed (crop box, rotation applied), and MuPDF's text coordinates
are on the unrotated crop box with y down; ``page.rotation_matrix`` takes them to the displayed page, the
space the rendered images show. Words are stored normalised to 0..1 of the displayed page.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import re
import subprocess
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pymupdf

from ..vocabulary import ErrorCode

SNIFF_BYTES = 1024  # the PDF header may follow some junk, within the first KiB (as readers accept)
PDF_MAGIC = b"%PDF-"
WEBP_MAX_SIDE = 16383  # the WebP format's limit
MAX_OUTLINE_ENTRIES = 5000
MAX_TITLE_CHARS = 500
POPPLER_TIMEOUT = 10.0  # seconds for one page drawn by pdftoppm (a worker job's timeout is 20 s a page)
PROBE_WIDTH = 200  # pixels: the size at which check_pages looks at a page (a thumbnail's)
# MuPDF's words for an image it could not decode (jbig2dec, openjpeg, libjpeg, its own filters)
_DECODE_WARNING = re.compile(r"image|decod|jbig2|jpx|jpeg|ccitt|fax|flate|zlib|lzw|truncat", re.IGNORECASE)
# reasons of a page warning (docs/api.md, "Papers"): why the page may look wrong
DECODE_FAILED = "image_not_decoded"  # MuPDF could not decode an image and poppler drew nothing better
FLAT_PAGE = "flat_page"  # a page with images renders as one flat colour in both engines


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
        doc = open_document(path)
    if not doc.is_pdf:
        raise PaperRejected("paper_not_pdf")
    if doc.needs_pass:
        raise PaperRejected("paper_encrypted")
    return doc


def _attachments_only(doc: pymupdf.Document) -> bool:
    """True when the document's encryption covers its embedded files only: crypt filters (V 4 or 5) whose
    streams and strings filters are /Identity (the default when absent) and an /EFF for attachments."""
    kind, ref = doc.xref_get_key(-1, "Encrypt")
    if kind != "xref":
        return False
    xref = int(ref.split()[0])

    def value(key: str) -> str:
        return doc.xref_get_key(xref, key)[1]

    version = value("V")
    if not version.isdigit() or int(version) < 4 or value("EFF") in ("null", ""):
        return False
    return all(value(key) in ("null", "/Identity") for key in ("StmF", "StrF"))


def open_document(path: str) -> pymupdf.Document:
    """``pymupdf.open`` for a PDF, except that a file encrypted for its attachments only (see the module's
    docstring) opens as every reader opens it: without a password. Its bytes are read and the trailer's
    ``/Encrypt`` key renamed (same length: the cross-reference offsets hold), so MuPDF sees plain pages."""
    doc = pymupdf.open(path, filetype="pdf")
    if not (doc.needs_pass and _attachments_only(doc)):
        return doc
    doc.close()
    with open(path, "rb") as f:
        data = f.read().replace(b"/Encrypt", b"/Encrypx")
    return pymupdf.open(stream=data, filetype="pdf")


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
    image_pages: list[int] = []
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
        if images:
            image_pages.append(number + 1)
    metadata = doc.metadata or {}
    return {
        "page_count": page_count,
        "pages": pages,
        "outline": _outline(doc, page_count),
        "title": _clean_text(metadata.get("title")),
        "repaired": bool(doc.is_repaired),
        "image_pages": image_pages,  # for check_pages; not kept in meta.json
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


def _flat(image: Any) -> bool:
    """One colour over the whole image (every band's darkest and lightest value equal)."""
    extrema = image.getextrema()
    bands = extrema if isinstance(extrema[0], tuple) else (extrema,)
    return all(low == high for low, high in bands)


def poppler_image(path: str, number: int, width: int, height: int, rotation: int = 0) -> Any:
    """Page ``number`` (1-based) drawn by poppler at exactly ``width`` x ``height`` pixels (the crop box, as
    displayed: ``rotation`` is the page's), as an RGB Pillow image; None when pdftoppm fails, gives nothing or
    runs past POPPLER_TIMEOUT."""
    from PIL import Image

    across, down = (height, width) if rotation % 180 == 90 else (width, height)  # pdftoppm scales before turning
    command = ["pdftoppm", "-f", str(number), "-l", str(number), "-cropbox", "-scale-to-x", str(across),
               "-scale-to-y", str(down), "-png", "-singlefile", path]  # fmt: skip
    try:
        done = subprocess.run(
            command, capture_output=True, timeout=POPPLER_TIMEOUT, check=False, stdin=subprocess.DEVNULL
        )
    except (subprocess.TimeoutExpired, OSError):
        return None
    if done.returncode != 0 or not done.stdout:
        return None
    try:
        with Image.open(io.BytesIO(done.stdout)) as drawn:
            image = drawn.convert("RGB")
    except (OSError, ValueError, Image.DecompressionBombError):
        return None
    return image if image.size == (width, height) else image.resize((width, height))


@dataclass
class Drawing:
    """A page drawn at some sizes (``draw_page``)."""

    images: list[Any]  # RGB Pillow images, one per size asked
    reason: str  # why the page may look wrong: "" (it looks right), DECODE_FAILED or FLAT_PAGE
    pixmaps: list[pymupdf.Pixmap]  # the memory MuPDF's images share (not copied): kept as long as they are


def _mupdf_image(display: pymupdf.DisplayList, rect: pymupdf.Rect, w: int, h: int) -> tuple[Any, pymupdf.Pixmap]:
    """The display list drawn at ``w`` x ``h``, and the pixmap whose memory the image shares."""
    from PIL import Image

    matrix = pymupdf.Matrix(w / rect.width, h / rect.height)
    pix = display.get_pixmap(matrix=matrix, colorspace=pymupdf.csRGB, alpha=False)
    image = Image.frombuffer("RGB", (pix.width, pix.height), pix.samples_mv, "raw", "RGB", pix.stride, 1)
    if image.size != (w, h):  # MuPDF rounds the pixel box outwards: at most a pixel more
        image = image.crop((0, 0, w, h)) if pix.width >= w and pix.height >= h else image.resize((w, h))
    return image, pix


@contextlib.contextmanager
def mupdf_warnings() -> Iterator[list[str]]:
    """Collect the warnings MuPDF gives inside the block (for one page): the list holds their text after it."""
    pymupdf.mupdf.fz_flush_warnings()  # MuPDF swallows a warning repeating the previous one: start afresh
    pymupdf.TOOLS.reset_mupdf_warnings()
    got: list[str] = []
    try:
        yield got
    finally:
        pymupdf.mupdf.fz_flush_warnings()
        got.append(pymupdf.TOOLS.mupdf_warnings(reset=True) or "")


def second_opinion(page: pymupdf.Page, path: str, images: list[Any], warnings: str) -> tuple[list[Any], str]:
    """MuPDF's ``images`` of ``page`` (RGB, any sizes) as they should be served, and why the page may look
    wrong. If MuPDF warned about decoding while drawing them (``warnings``), or the page has images and came
    out one flat colour, poppler draws the page again and its images are served when they are not flat;
    otherwise MuPDF's are, and the reason is DECODE_FAILED or FLAT_PAGE (``""``: the page looks right)."""
    from PIL.Image import Resampling

    decode_failed = bool(_DECODE_WARNING.search(warnings))
    with _mupdf_errors(where=f"page {page.number + 1}"):
        has_images = bool(page.get_images())
    if not decode_failed and not (has_images and _flat(images[0])):  # (Pixmap.is_unicolor is Python, per pixel)
        return images, ""
    # poppler draws once, at the largest size, and the others are scaled from it: one pdftoppm per page
    # keeps the second engine's time within POPPLER_TIMEOUT, well inside the worker job's page timeout
    sizes: list[tuple[int, int]] = [image.size for image in images]
    largest = max(sizes, key=lambda size: size[0] * size[1])
    second = poppler_image(path, page.number + 1, largest[0], largest[1], page.rotation)
    if second is not None and not _flat(second):
        return [second if size == largest else second.resize(size, Resampling.LANCZOS) for size in sizes], ""
    return images, DECODE_FAILED if decode_failed else FLAT_PAGE


def draw_page(doc: pymupdf.Document, path: str, number: int, sizes: list[tuple[int, int]]) -> Drawing:
    """Page ``number`` at every ``(width, height)`` of ``sizes``: MuPDF draws it from one display list, then
    ``second_opinion`` decides whose images are served."""
    with mupdf_warnings() as warnings, _mupdf_errors(where=f"page {number}"):
        page = doc.load_page(number - 1)
        display = page.get_displaylist()
        drawn = [_mupdf_image(display, page.rect, w, h) for w, h in sizes]
    images, pixmaps = [image for image, _ in drawn], [pix for _, pix in drawn]
    served, reason = second_opinion(page, path, images, warnings[0])
    return Drawing(served, reason, pixmaps)


def check_pages(path: str, pages: list[int]) -> list[dict[str, Any]]:
    """Those of ``pages`` (1-based; the pages with images, ``inspect_pdf``'s ``image_pages``: a text-only
    page has nothing to decode) that may look wrong, as ``{"page", "reason"}``: each is drawn at
    PROBE_WIDTH by ``draw_page``."""
    doc = open_pdf(path)
    found: list[dict[str, Any]] = []
    for number in pages:
        with _mupdf_errors(where=f"page {number}"):
            rect = doc.load_page(number - 1).rect
        size = image_size(rect.width, rect.height, PROBE_WIDTH, 4_000_000)  # a long strip: narrower
        reason = draw_page(doc, path, number, [size]).reason
        if reason:
            found.append({"page": number, "reason": reason})
    return found


def render_pages(path: str, out_dir: str, jobs: list[tuple[int, list[int], bool]], settings: dict[str, Any]) -> int:
    """Render each ``(page, widths, thumbnail)`` of ``jobs`` to ``out_dir/pages/<page>-<width>.webp`` and
    ``out_dir/thumbs/<page>.webp``, skipping files that exist; returns the number of files written.

    A page is interpreted once into a display list and rasterised from it at every width: MuPDF rasterises
    a text page at 2048 px faster than Pillow could downscale one, so each width is drawn, not resized.
    A page MuPDF cannot draw right is drawn by poppler (``draw_page``).
    ``settings``: ``max_pixels``, ``quality``, ``method``, ``thumb_width``, ``thumb_quality``.
    """
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
            rect = doc.load_page(number - 1).rect
        sizes = [image_size(rect.width, rect.height, width, settings["max_pixels"]) for width, _, _ in targets]
        drawing = draw_page(doc, path, number, sizes)
        for image, (_, target, quality) in zip(drawing.images, targets, strict=True):
            buffer = io.BytesIO()
            image.save(buffer, "WEBP", quality=quality, method=settings["method"])
            _write_atomic(target, buffer.getvalue())
            written += 1
        del drawing, image  # the images before the pixmaps they share memory with
    return written
