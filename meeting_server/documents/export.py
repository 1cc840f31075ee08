"""Export of meeting papers: annotated PDFs, watermarked page images of restricted papers, comment reports.

Everything here is CPU-heavy pymupdf/Pillow work meant to run in ``DocumentWorkers`` processes: the
functions are top-level and take and return plain data (paths, bytes, lists of dicts, str), so they
pickle across the process boundary. None of them may run on the event loop.

Coordinates (the contract with the tablets): annotations are drawn over the page *image*, so they are
in the displayed page (rotation applied, cropbox only, as ``page.get_pixmap()`` renders it), normalised
0..1 with x to the right and y down; pages are 1-based. pymupdf wants coordinates of the *unrotated*
page (cropbox origin, y down) and converts those to PDF user space itself (cropbox/mediabox offsets
included), so a displayed point becomes ``Point(x * rect.width, y * rect.height) * derotation_matrix``.

Annotation dicts (extra keys such as ids are ignored, so stored records can be passed as they are):

- ink: ``{"kind": "ink", "page": 3, "color": "#d32f2f", "width": 0.004, "opacity": 1.0,
  "strokes": [[[x, y], ...], ...]}``; width is relative to the displayed page width.
- highlight: ``{"kind": "highlight", "page": 2, "color": "#ffeb3b", "rects": [[x0, y0, x1, y1], ...]}``,
  one rect per line segment, exported as one Highlight annotation with one quad per rect.
- note: ``{"kind": "note", "page": 1, "x": .5, "y": .2, "text": "...", "color": "#fbc02d"}``: a sticky
  note (Text annotation, icon "Note") whose icon's top-left corner is at (x, y).
- comment: ``{"kind": "comment", "page": 4, "x": .., "y": .., "text": "...", "author": "...",
  "status": "new" | "accepted" | "answered", "answer": "..."}``: a Text annotation (icon "Comment").

All kinds may carry ``"author"`` (the annotation's title) and ``"created_at"`` (ISO 8601 with a UTC
offset); ``color``, ``width`` and ``opacity`` have defaults.
"""

from __future__ import annotations

import csv
import functools
import html
import io
import math
import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

import pymupdf
from PIL import Image, ImageDraw, ImageFont

from meeting_server.documents.invitation import VIETNAM_TZ
from meeting_server.documents.nd30 import fonts as _serif_fonts
from meeting_server.documents.pdfcheck import mupdf_warnings, open_document, second_opinion
from meeting_server.documents.pdfout import finished
from meeting_server.domain import annotations as schema

KINDS = (*schema.KINDS, "comment")
COMMENT_STATUS_LABELS = {"new": "Mới", "accepted": "Đã tiếp thu", "answered": "Đã trả lời"}
DEFAULT_COLORS = {**schema.DEFAULT_COLORS, "comment": "#1e88e5"}

# Ink, highlights and notes are checked by domain.annotations, the schema they were saved with.
COORD_TOLERANCE = schema.COORD_TOLERANCE  # tablets overshoot the page edge by a pixel or two
MAX_ANNOTATIONS = 20_000
MAX_TEXT = 10_000  # a comment or its answer in the report (annotations: domain.annotations.MAX_TEXT)
MAX_NAME = 300
DEFAULT_INK_WIDTH = schema.DEFAULT_INK_WIDTH

MIN_RENDER_WIDTH = 16  # as paperfiles.RenderSettings allows
MAX_RENDER_WIDTH = 4096
MAX_RENDER_PIXELS = 40_000_000  # a freak page shape (a long strip) must not eat the worker's memory
MAX_RENDER_SIDE = 16_383  # WebP's limit
MAX_WATERMARK_LINES = 8
MAX_WATERMARK_CHARS = 200
IMAGE_FORMATS = ("webp", "png")

NOTE_ICON_SIZE = 20.0  # points; the icon is drawn upright (NoRotate) with its top-left at the anchor

_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


# --------------------------------------------------------------------------------------------------
# Validation


def _fail(where: str, message: str) -> ValueError:
    return ValueError(f"{where}: {message}")


def _number(value: object, where: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise _fail(where, f"expected a number, got {type(value).__name__}")
    number = float(value)
    if not math.isfinite(number):
        raise _fail(where, "must be a finite number")
    return number


def _coordinate(value: object, where: str) -> float:
    """A 0..1 coordinate: tiny overshoots (a finger past the edge) are clamped, real ones refused."""
    number = _number(value, where)
    if number < -COORD_TOLERANCE or number > 1 + COORD_TOLERANCE:
        raise _fail(where, f"{number:g} is outside the page (0..1)")
    return min(1.0, max(0.0, number))


def _text(value: object, where: str, *, limit: int, required: bool = True) -> str:
    if value is None and not required:
        return ""
    if not isinstance(value, str):
        raise _fail(where, f"expected a string, got {type(value).__name__}")
    if len(value) > limit:
        raise _fail(where, f"longer than {limit} characters")
    return _CONTROL.sub("", unicodedata.normalize("NFC", value))


def _color(value: object, where: str) -> str:
    if not isinstance(value, str) or not _COLOR.fullmatch(value):
        raise _fail(where, f"expected a colour like '#d32f2f', got {value!r}")
    return value.lower()


def _created_at(value: object, where: str) -> str | None:
    if value is None or value == "":  # the domain's records default to ""
        return None
    if not isinstance(value, str):
        raise _fail(where, "expected an ISO 8601 string")
    try:
        moment = datetime.fromisoformat(value)
    except ValueError:
        raise _fail(where, f"not an ISO 8601 date-time: {value!r}") from None
    if moment.utcoffset() is None:
        raise _fail(where, "needs a UTC offset (e.g. '+07:00' or 'Z')")
    return moment.isoformat()


def normalise_annotation(raw: object, page_count: int | None = None, index: int = 0) -> dict[str, Any]:
    """Check one annotation dict and return a clean copy (defaults filled, coordinates clamped, NFC text).

    Raises ValueError naming the annotation and field. ``page_count`` None skips the page range check,
    so the API can validate an annotation before it is stored, without opening the paper.
    """
    at = f"annotation {index}"
    if not isinstance(raw, dict):
        raise _fail(at, f"expected an object, got {type(raw).__name__}")
    kind = raw.get("kind")
    if kind not in KINDS:
        raise _fail(at, f"unknown kind {kind!r} (expected one of {', '.join(KINDS)})")
    at = f"annotation {index} ({kind})"
    page = raw.get("page")
    if isinstance(page, bool) or not isinstance(page, int):
        raise _fail(at, f"page must be an integer, got {page!r}")
    if page < 1 or (page_count is not None and page > page_count):
        bound = f"1..{page_count}" if page_count is not None else ">= 1"
        raise _fail(at, f"page {page} out of range ({bound})")
    out: dict[str, Any] = {"kind": kind, "page": page}
    out["author"] = _text(_author(raw), f"{at} author", limit=MAX_NAME, required=False)
    out["created_at"] = _created_at(raw.get("created_at"), f"{at} created_at")
    opacity = _number(raw.get("opacity", 1.0), f"{at} opacity")
    if not 0 < opacity <= 1:
        raise _fail(f"{at} opacity", "must be in (0, 1]")
    out["opacity"] = opacity

    if kind in schema.KINDS:
        try:
            data = schema.normalise(kind, raw)
        except schema.AnnotationInvalid as exc:
            raise _fail(at, str(exc)) from None
        out.update(data, opacity=data.get("opacity", opacity))
        if kind == "ink":
            out["strokes"] = [[(x, y) for x, y in stroke] for stroke in data["strokes"]]
        elif kind == "highlight":
            out["rects"] = [tuple(r) for r in data["rects"]]
    else:  # a comment on a draft: its own record, not an annotation
        out["color"] = _color(raw.get("color", DEFAULT_COLORS[kind]), f"{at} color")
        out["x"] = _coordinate(raw.get("x"), f"{at} x")
        out["y"] = _coordinate(raw.get("y"), f"{at} y")
        out["text"] = _text(raw.get("text"), f"{at} text", limit=MAX_TEXT)
        status = raw.get("status", "new")
        if status not in COMMENT_STATUS_LABELS:
            raise _fail(f"{at} status", f"{status!r} is not one of {', '.join(COMMENT_STATUS_LABELS)}")
        out["status"] = status
        out["answer"] = _text(raw.get("answer"), f"{at} answer", limit=MAX_TEXT, required=False)
    return out


def _author(raw: dict[str, Any]) -> object:
    """``author``, else ``author_name`` (as the domain's Comment.to_dict() calls it)."""
    return raw.get("author") or raw.get("author_name")


def normalise_annotations(annotations: object, page_count: int | None = None) -> list[dict[str, Any]]:
    """Validate a whole list (all or nothing): the export must not write half of someone's notes."""
    if not isinstance(annotations, list):
        raise ValueError(f"annotations: expected a list, got {type(annotations).__name__}")
    if len(annotations) > MAX_ANNOTATIONS:
        raise ValueError(f"annotations: more than {MAX_ANNOTATIONS}")
    return [normalise_annotation(a, page_count, i) for i, a in enumerate(annotations)]


def _watermark_lines(lines: object) -> tuple[str, ...]:
    if not isinstance(lines, list | tuple) or not lines:
        raise ValueError("watermark: expected a non-empty list of lines")
    if len(lines) > MAX_WATERMARK_LINES:
        raise ValueError(f"watermark: more than {MAX_WATERMARK_LINES} lines")
    clean = tuple(_text(x, f"watermark line {i}", limit=MAX_WATERMARK_CHARS).strip() for i, x in enumerate(lines))
    if not any(clean):
        raise ValueError("watermark: all lines are empty")
    return clean


# --------------------------------------------------------------------------------------------------
# Writing annotations


def _rgb(color: str) -> tuple[float, float, float]:
    return int(color[1:3], 16) / 255, int(color[3:5], 16) / 255, int(color[5:7], 16) / 255


def _pdf_date(iso: str) -> str:
    """PDF date string (ISO 32000 7.9.4), e.g. D:20261122140500+07'00'."""
    moment = datetime.fromisoformat(iso)
    offset = moment.utcoffset()
    minutes = int(offset.total_seconds() // 60) if offset is not None else 0
    sign = "+" if minutes >= 0 else "-"
    hours, mins = divmod(abs(minutes), 60)
    return f"D:{moment:%Y%m%d%H%M%S}{sign}{hours:02d}'{mins:02d}'"


def _to_page(page: pymupdf.Page, x: float, y: float) -> pymupdf.Point:
    """Displayed 0..1 coordinates to pymupdf's unrotated page coordinates (see the module docstring)."""
    rect = page.rect
    return pymupdf.Point(x * rect.width, y * rect.height) * page.derotation_matrix


def _comment_text(ann: dict[str, Any]) -> str:
    parts = [ann["text"], "", f"Trạng thái: {COMMENT_STATUS_LABELS[ann['status']]}"]
    if ann["answer"]:
        parts.append(f"Trả lời: {ann['answer']}")
    return "\n".join(parts)


def _add_annotation(page: pymupdf.Page, ann: dict[str, Any]) -> None:
    kind = ann["kind"]
    rgb = _rgb(ann["color"])
    if kind == "ink":
        strokes = []
        for stroke in ann["strokes"]:
            points: list[tuple[float, float]] = []
            for x, y in stroke:
                point = _to_page(page, x, y)
                points.append((point.x, point.y))
            if len(points) == 1:  # a tap: a zero-length segment that round caps turn into a dot
                points.append(points[0])
            strokes.append(points)
        annot = page.add_ink_annot(strokes)
        annot.set_colors(stroke=rgb)
        annot.set_border(width=ann["width"] * page.rect.width)
    elif kind == "highlight":
        # Quad(displayed rect) * derotation keeps ul/ur/ll/lr in reading order on rotated pages, which is
        # what QuadPoints mean; a derotated Rect would be re-sorted by coordinates and lose the orientation.
        w, h = page.rect.width, page.rect.height
        quads = [
            pymupdf.Rect(x0 * w, y0 * h, x1 * w, y1 * h).quad * page.derotation_matrix
            for x0, y0, x1, y1 in ann["rects"]
        ]
        annot = page.add_highlight_annot(quads=quads)
        annot.set_colors(stroke=rgb)
    else:
        # MuPDF flags Text annotations NoRotate/NoZoom: readers draw the icon upright with its top-left
        # corner at the rect's PDF upper-left, which pymupdf puts at the point we give.
        size = NOTE_ICON_SIZE / max(page.rect.width, 1.0)
        x = min(ann["x"], max(0.0, 1.0 - size))  # keep the icon on the page
        y = min(ann["y"], max(0.0, 1.0 - NOTE_ICON_SIZE / max(page.rect.height, 1.0)))
        if kind == "note":
            annot = page.add_text_annot(_to_page(page, x, y), ann["text"], icon="Note")
        else:
            annot = page.add_text_annot(_to_page(page, x, y), _comment_text(ann), icon="Comment")
        annot.set_colors(stroke=rgb)
    info: dict[str, str] = {}
    if ann["author"]:
        info["title"] = ann["author"]
    if ann["created_at"]:
        info["creationDate"] = info["modDate"] = _pdf_date(ann["created_at"])
    if kind == "comment":
        info["subject"] = "Góp ý dự thảo"
    if info:
        annot.set_info(**info)
    if ann["opacity"] < 1:
        annot.set_opacity(ann["opacity"])
    annot.update()


def _annotate(page: pymupdf.Page, annotations: Iterable[dict[str, Any]], counts: dict[str, int]) -> None:
    for ann in annotations:
        _add_annotation(page, ann)
        counts[ann["kind"]] += 1


def _open_pdf(src: str) -> pymupdf.Document:
    doc = open_document(src)  # a paper encrypted for its attachments only opens as at upload
    if not doc.is_pdf:
        doc.close()
        raise ValueError(f"{Path(src).name}: not a PDF")
    if doc.needs_pass:
        doc.close()
        raise ValueError(f"{Path(src).name}: encrypted with a password")
    return doc


def export_annotated(
    src: str,
    annotations: list[dict[str, Any]],
    out: str,
    *,
    watermark: list[str] | None = None,
    render_width: int = 1600,
) -> dict[str, Any]:
    """Write ``out``: the paper ``src`` with ``annotations`` as real PDF annotations (Ink, Highlight, Text).

    With ``watermark`` lines (a restricted paper) nothing of the original's content streams, fonts,
    text or metadata is copied: every page is rasterised at ``render_width`` pixels with the watermark
    burnt in and placed as one image on a page of the same displayed size (rotation 0), and the
    annotations go on top. Everything is validated before anything is written; bad input raises
    ValueError. Returns ``{"pages": n, "annotations": {kind: count}, "watermarked": bool}``.
    """
    lines = _watermark_lines(watermark) if watermark is not None else None
    _check_width(render_width, "render_width")
    counts = dict.fromkeys(KINDS, 0)
    with _open_pdf(src) as doc:
        anns = normalise_annotations(annotations, doc.page_count)
        by_page: dict[int, list[dict[str, Any]]] = {}
        for ann in anns:
            by_page.setdefault(ann["page"], []).append(ann)
        if lines is None:
            for number, page_anns in sorted(by_page.items()):
                _annotate(doc[number - 1], page_anns, counts)
            doc.save(out, garbage=1, deflate=True)
        else:
            with pymupdf.open() as flat:
                for number, page in enumerate(doc, start=1):
                    image = _watermarked_image(page, render_width, lines, src)
                    buf = io.BytesIO()
                    image.save(buf, "JPEG", quality=80, subsampling=0)  # 4:4:4: coloured text and the mark stay crisp
                    target = flat.new_page(width=page.rect.width, height=page.rect.height)
                    target.insert_image(target.rect, stream=buf.getvalue(), keep_proportion=False)
                    _annotate(target, by_page.get(number, []), counts)
                flat.set_metadata({"creator": "meeting", "producer": "meeting"})
                flat.save(out, garbage=3, deflate=True)
        pages = doc.page_count
    return {"pages": pages, "annotations": counts, "watermarked": lines is not None}


# --------------------------------------------------------------------------------------------------
# Watermarked page images

_SANS_CANDIDATES = (
    ("/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf", "/usr/share/fonts/truetype/noto/NotoSans-Bold.ttf"),
    ("/usr/share/fonts/truetype/dejavu/DejaVuSans.ttf", "/usr/share/fonts/truetype/dejavu/DejaVuSans-Bold.ttf"),
    (
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Regular.ttf",
        "/usr/share/fonts/truetype/liberation2/LiberationSans-Bold.ttf",
    ),
)
_WATERMARK_RGB = (176, 24, 24)
_WATERMARK_ALPHA = 0.2  # the diagonal text: readable on white, leaves black text readable underneath
_FOOTER_BAND_ALPHA = 0.82
_FOOTER_TEXT_RGB = (40, 40, 40)


@functools.cache
def _font_bytes(bold: bool) -> bytes:
    """A sans font with Vietnamese glyphs (Noto Sans from fonts-noto-core, installed by `make`), else
    MuPDF's built-in Noto Serif, which always carries Vietnamese."""
    for regular, heavy in _SANS_CANDIDATES:
        path = Path(heavy if bold else regular)
        if path.is_file():
            return path.read_bytes()
    return bytes(pymupdf.Font(script=1).buffer)


@functools.lru_cache(maxsize=32)
def _font(size: int, bold: bool) -> ImageFont.FreeTypeFont:
    return ImageFont.truetype(io.BytesIO(_font_bytes(bold)), size)


def _check_width(width: object, name: str) -> int:
    if isinstance(width, bool) or not isinstance(width, int):
        raise ValueError(f"{name}: expected an integer")
    if not MIN_RENDER_WIDTH <= width <= MAX_RENDER_WIDTH:
        raise ValueError(f"{name}: {width} is outside {MIN_RENDER_WIDTH}..{MAX_RENDER_WIDTH}")
    return width


def _render(page: pymupdf.Page, width: int, src: str) -> Image.Image:
    """The page ``width`` px wide (narrower for freak shapes); where MuPDF cannot draw it right, poppler's
    drawing of it, as the ingest pipeline serves (``pdfcheck.second_opinion``; ``src`` is the file)."""
    rect = page.rect
    zoom = min(
        width / rect.width,
        math.sqrt(MAX_RENDER_PIXELS / (rect.width * rect.height)),
        MAX_RENDER_SIDE / rect.height,
    )
    with mupdf_warnings() as warnings:
        pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False)
    if pix.n != 3:  # e.g. a page whose group forces another colourspace
        pix = pymupdf.Pixmap(pymupdf.csRGB, pix)
    image = Image.frombytes("RGB", (pix.width, pix.height), pix.samples, "raw", "RGB", pix.stride)
    return second_opinion(page, src, [image], warnings[0])[0][0]


def _fit_font(text: str, size: int, max_width: float, bold: bool) -> ImageFont.FreeTypeFont:
    font = _font(size, bold)
    length = font.getlength(text)
    if length > max_width and length > 0:
        font = _font(max(6, int(size * max_width / length)), bold)
    return font


@functools.lru_cache(maxsize=4)  # ~30 MB each at 2048 px (Pillow keeps RGB in 4 bytes a pixel)
def watermark_overlay(width: int, height: int, lines: tuple[str, ...]) -> tuple[Image.Image, Image.Image]:
    """The watermark for a ``width`` x ``height`` page image as an RGB colour image and its "L" alpha
    (0 = pixel untouched): repeated diagonal translucent text, then a footer line on a white band.

    Burning it in is one masked paste (a few ms; three separate layers took ~75 ms per image). Cached:
    a reader turning the pages of one paper asks for the same size and lines again and again. Public so
    tests can check that the watermark changes the pixels under the alpha and no others.
    """
    size = max(10, round(math.sqrt(width * height) / 36))
    font = _font(size, True)
    block = "\n".join(x for x in lines if x)
    spacing = size // 3
    probe = ImageDraw.Draw(Image.new("L", (1, 1)))
    box = [round(v) for v in probe.multiline_textbbox((0, 0), block, font=font, spacing=spacing, align="center")]
    pad = size // 2
    tile = Image.new("L", (box[2] - box[0] + 2 * pad, box[3] - box[1] + 2 * pad), 0)
    ImageDraw.Draw(tile).multiline_text(
        (pad - box[0], pad - box[1]), block, font=font, fill=255, spacing=spacing, align="center"
    )
    tile = tile.rotate(30, resample=Image.Resampling.BILINEAR, expand=True)
    solid = Image.new("L", tile.size, round(255 * _WATERMARK_ALPHA))
    diagonal = Image.new("L", (width, height), 0)
    step_x = max(tile.width + size, width // 2)
    step_y = max(round(tile.height * 0.75), height // 5)
    for row, top in enumerate(range(-step_y // 2, height, step_y)):
        for left in range(-tile.width + (row % 2) * step_x // 2, width, step_x):
            diagonal.paste(solid, (left, top), tile)  # "over": where tiles overlap, alpha stays the same
    color = Image.new("RGB", (width, height), _WATERMARK_RGB)

    footer = "  ·  ".join(x for x in lines if x)
    fsize = max(8, round(width / 75))
    ffont = _fit_font(footer, fsize, width * 0.94, False)
    fbox = [round(v) for v in probe.textbbox((0, 0), footer, font=ffont)]
    band_h = min(height, (fbox[3] - fbox[1]) + 2 * max(3, fsize // 2))
    top = height - band_h
    # Only the footer strip mixes colours: compose it small, then put it into the page-size images.
    strip_alpha = diagonal.crop((0, top, width, height))
    strip = Image.merge("RGBA", (*(Image.new("L", (width, band_h), c) for c in _WATERMARK_RGB), strip_alpha))
    strip.alpha_composite(Image.new("RGBA", (width, band_h), (255, 255, 255, round(255 * _FOOTER_BAND_ALPHA))))
    x = (width - (fbox[2] - fbox[0])) // 2 - fbox[0]
    y = (band_h - (fbox[3] - fbox[1])) // 2 - fbox[1]
    text = Image.new("RGBA", (width, band_h), (*_FOOTER_TEXT_RGB, 0))
    ImageDraw.Draw(text).text((x, y), footer, font=ffont, fill=(*_FOOTER_TEXT_RGB, 255))
    strip.alpha_composite(text)
    color.paste(strip.convert("RGB"), (0, top))
    diagonal.paste(strip.getchannel("A"), (0, top))
    return color, diagonal


def _burn(image: Image.Image, lines: tuple[str, ...]) -> Image.Image:
    color, alpha = watermark_overlay(image.width, image.height, lines)
    image.paste(color, (0, 0), alpha)
    return image


def _watermarked_image(page: pymupdf.Page, width: int, lines: tuple[str, ...], src: str) -> Image.Image:
    return _burn(_render(page, width, src), lines)


def render_watermarked(
    src: str, page: int, width: int, lines: list[str], fmt: str = "webp", *, quality: int = 80
) -> bytes:
    """One page (1-based) of a restricted paper as a ``fmt`` image ``width`` px wide, with ``lines``
    (viewer's name and unit, time, "TÀI LIỆU MẬT") burnt in as repeated diagonal translucent text
    and a footer line, so a photo or screenshot of the tablet names who leaked it.

    Per request, so it is tuned for speed: lossy WebP at ``quality`` with the fastest method (method 0
    costs about a third of method 4 and the files are ~15 % larger), as the ingest pipeline's
    RenderSettings. Freak page shapes (a long strip) are rendered narrower than ``width`` to stay within
    MAX_RENDER_PIXELS and MAX_RENDER_SIDE.
    """
    if fmt not in IMAGE_FORMATS:
        raise ValueError(f"fmt: {fmt!r} is not one of {', '.join(IMAGE_FORMATS)}")
    _check_width(width, "width")
    clean = _watermark_lines(lines)
    if isinstance(quality, bool) or not isinstance(quality, int) or not 1 <= quality <= 100:
        raise ValueError("quality: expected an integer in 1..100")
    with _open_pdf(src) as doc:
        if isinstance(page, bool) or not isinstance(page, int) or not 1 <= page <= doc.page_count:
            raise ValueError(f"page {page!r} out of range (1..{doc.page_count})")
        image = _watermarked_image(doc[page - 1], width, clean, src)
    buf = io.BytesIO()
    if fmt == "webp":
        image.save(buf, "WEBP", quality=quality, method=0)
    else:
        image.save(buf, "PNG", compress_level=1)
    return buf.getvalue()


# --------------------------------------------------------------------------------------------------
# Comments on a draft: the secretary's report (PDF) and spreadsheet (CSV)


@dataclass(frozen=True)
class _Row:
    page: int | None
    author: str
    unit: str
    text: str
    status: str
    answer: str
    created_at: str


def _comment_rows(rows: object) -> list[_Row]:
    if not isinstance(rows, list):
        raise ValueError(f"rows: expected a list, got {type(rows).__name__}")
    clean = []
    for i, row in enumerate(rows):
        at = f"row {i}"
        if not isinstance(row, dict):
            raise _fail(at, "expected an object")
        page = row.get("page")
        if page is not None and (isinstance(page, bool) or not isinstance(page, int) or page < 1):
            raise _fail(f"{at} page", f"expected a page number >= 1 or null, got {page!r}")
        status = row.get("status", "new")
        if status not in COMMENT_STATUS_LABELS:
            raise _fail(f"{at} status", f"{status!r} is not one of {', '.join(COMMENT_STATUS_LABELS)}")
        created = _created_at(row.get("created_at"), f"{at} created_at")
        clean.append(
            _Row(
                page=page,
                author=_text(_author(row), f"{at} author", limit=MAX_NAME, required=False),
                unit=_text(row.get("unit"), f"{at} unit", limit=MAX_NAME, required=False),
                text=_text(row.get("text"), f"{at} text", limit=MAX_TEXT),
                status=status,
                answer=_text(row.get("answer"), f"{at} answer", limit=MAX_TEXT, required=False),
                created_at=_local_time(created) if created else "",
            )
        )
    return clean


def _local_time(iso: str) -> str:
    """Vietnam time as the secretary writes it, e.g. "22/11/2026 14:05"."""
    return f"{datetime.fromisoformat(iso).astimezone(VIETNAM_TZ):%d/%m/%Y %H:%M}"


_REPORT_PAGE = pymupdf.paper_rect("a4")
_REPORT_BODY = pymupdf.Rect(42, 48, _REPORT_PAGE.width - 42, _REPORT_PAGE.height - 50)
_REPORT_COLUMNS = (  # (header, width in points); they add up to the body width
    ("TT", 22.0),
    ("Trang", 32.0),
    ("Người góp ý", 90.0),
    ("Nội dung góp ý", 160.0),
    ("Trạng thái", 64.0),
    ("Trả lời / giải trình", _REPORT_BODY.width - 22 - 32 - 90 - 160 - 64),
)
_REPORT_CSS = """
body { font-size: 10pt; line-height: 1.2; margin: 0; }
h1 { font-size: 13pt; font-weight: bold; text-align: center; margin: 0 0 4pt 0; }
.sub { font-size: 11pt; text-align: center; margin: 0 0 4pt 0; }
.sum { font-size: 10pt; font-style: italic; text-align: center; margin: 0 0 10pt 0; }
table { border-collapse: collapse; border-spacing: 0; }
th, td { border: 0.6pt solid black; padding: 2pt 3pt; vertical-align: top; text-align: left; }
th { font-weight: bold; text-align: center; background-color: #eeeeee; }
.n { text-align: center; }
.unit { font-size: 9pt; font-style: italic; }
.pageno { font-size: 9pt; text-align: center; }
"""


_LONG_WORD = re.compile(r"\S{25,}")
MAX_REPORT_PAGES = 2_000  # a guard: the rows are chunked so that each fits a page
ROW_CHUNK = 700  # characters of one cell per table row: MuPDF's Story cannot split a row across pages


def _e(text: str) -> str:
    """Escape for the Story's HTML; long words (URLs) get zero-width spaces so they wrap in narrow cells."""
    text = _LONG_WORD.sub(lambda m: "\u200b".join(m[0][i : i + 20] for i in range(0, len(m[0]), 20)), text)
    return html.escape(text, quote=True).replace("\n", "<br>")


def _chunks(text: str, size: int = ROW_CHUNK) -> list[str]:
    """Split a long cell text at whitespace into pieces of at most ``size`` characters (one per row):
    a row taller than the page would be cut off, not continued."""
    pieces: list[str] = []
    while len(text) > size:
        cut = max(text.rfind(" ", 0, size), text.rfind("\n", 0, size))
        cut = cut if cut > size // 2 else size
        pieces.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    return [*pieces, text] if text or not pieces else pieces


def _report_story(html_text: str) -> pymupdf.Story:
    font_css, archive = _serif_fonts()  # the invitation's Vietnamese serif faces (Liberation/Noto Serif)
    return pymupdf.Story(html=html_text, user_css=font_css + _REPORT_CSS, archive=archive)


def _report_html(title: str, rows: Sequence[_Row]) -> str:
    counts = {key: sum(1 for r in rows if r.status == key) for key in COMMENT_STATUS_LABELS}
    summary = f"Tổng số: {len(rows)} ý kiến; " + "; ".join(
        f"{label.lower()}: {counts[key]}" for key, label in COMMENT_STATUS_LABELS.items()
    )
    # CSS widths are content widths: padding (2 x 3pt) and the border come on top
    head = "".join(f'<th style="width:{w - 7}pt">{_e(h)}</th>' for h, w in _REPORT_COLUMNS)
    body = []
    for i, r in enumerate(rows, start=1):
        who = _e(r.author) + (f'<br><span class="unit">{_e(r.unit)}</span>' if r.unit else "")
        texts, answers = _chunks(r.text), _chunks(r.answer)
        for part in range(max(len(texts), len(answers))):
            first = part == 0
            cells = (
                f'<td class="n">{i if first else ""}</td>',
                f'<td class="n">{(r.page if r.page is not None else "-") if first else ""}</td>',
                f"<td>{who if first else ''}</td>",
                f"<td>{_e(texts[part]) if part < len(texts) else ''}</td>",
                f"<td>{_e(COMMENT_STATUS_LABELS[r.status]) if first else ''}</td>",
                f"<td>{_e(answers[part]) if part < len(answers) else ''}</td>",
            )
            body.append("<tr>" + "".join(cells) + "</tr>")
    if not rows:
        body.append(f'<tr><td colspan="{len(_REPORT_COLUMNS)}" class="n">Chưa có ý kiến góp ý.</td></tr>')
    return (
        "<h1>TỔNG HỢP Ý KIẾN GÓP Ý</h1>"
        f'<p class="sub">Dự thảo: {_e(title)}</p>'
        f'<p class="sum">{_e(summary)}</p>'
        f'<table style="width:{_REPORT_BODY.width}pt"><tr>{head}</tr>{"".join(body)}</table>'
    )


def comments_report(title: str, rows: list[dict[str, Any]], out: str) -> None:
    """Write the secretary's summary of the comments on a draft (``title``) to ``out`` as an A4 PDF.

    Rows: ``{"page": int | None, "author": str, "unit": str?, "text": str, "status": "new" | "accepted" |
    "answered", "answer": str?, "created_at": str?}``, in the order they should be listed; the domain's
    ``Comment.to_dict()`` fits as it is (``author_name`` stands in for ``author``, other keys are ignored).
    """
    clean_title = _text(title, "title", limit=MAX_NAME * 2)
    clean = _comment_rows(rows)
    story = _report_story(_report_html(clean_title, clean))
    buf = io.BytesIO()
    writer = pymupdf.DocumentWriter(buf)
    more, page_no = 1, 0
    while more and page_no < MAX_REPORT_PAGES:
        device = writer.begin_page(_REPORT_PAGE)
        page_no += 1
        more, _ = story.place(_REPORT_BODY)
        story.draw(device)
        number = _report_story(f'<p class="pageno">Trang {page_no}</p>')
        number.place(pymupdf.Rect(_REPORT_BODY.x0, _REPORT_BODY.y1 + 14, _REPORT_BODY.x1, _REPORT_PAGE.height))
        number.draw(device)
        writer.end_page()
    writer.close()
    Path(out).write_bytes(finished(buf.getvalue(), {"title": f"Tổng hợp ý kiến góp ý - {clean_title}"}))


_FORMULA_START = ("=", "+", "-", "@", "\t", "\r")


def _csv_cell(value: str) -> str:
    """Neutralise spreadsheet formulas: a comment starting with '=' must not run in the secretary's Excel."""
    return "'" + value if value.startswith(_FORMULA_START) else value


def comments_csv(rows: list[dict[str, Any]]) -> bytes:
    """The same rows as a CSV for Excel: UTF-8 with BOM (else Excel shows Vietnamese as mojibake), CRLF."""
    clean = _comment_rows(rows)
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow(
        ["TT", "Trang", "Người góp ý", "Đơn vị", "Nội dung góp ý", "Trạng thái", "Trả lời / giải trình", "Thời gian"]
    )
    for i, r in enumerate(clean, start=1):
        writer.writerow(
            [
                i,
                r.page if r.page is not None else "",
                _csv_cell(r.author),
                _csv_cell(r.unit),
                _csv_cell(r.text),
                COMMENT_STATUS_LABELS[r.status],
                _csv_cell(r.answer),
                r.created_at,
            ]
        )
    return buf.getvalue().encode("utf-8-sig")
