"""How a signature looks on the page (Nghị định 30/2020, Phụ lục I: the signer's signature image between the
block's title and the name; the organisation's seal, red and at true size, over the left third of it).

The appearance is drawn with pymupdf as a one-page PDF the size of the field, then imported by pyHanko as the
field's appearance stream. Images are downscaled first (a 4000-pixel scan of a signature is a few hundred
kilobytes in every signed copy otherwise). Runs where signing runs: a thread or a worker, never the event loop.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

import pymupdf
from PIL import Image, UnidentifiedImageError
from pyhanko.pdf_utils.content import PdfContent
from pyhanko.pdf_utils.layout import BoxConstraints
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.pdf_utils.writer import BasePdfFileWriter
from pyhanko.stamp.static import StaticStampStyle

from ..domain.record_content import SignatureBox
from ..errors import AppError
from .trust import VIETNAM

MM = 72 / 25.4
SEAL_MM = 36.0
"""A round seal's true diameter (the common 36 mm of an ỦY BAN NHÂN DÂN seal); configurable per call."""
MAX_IMAGE_PIXELS = 600
"""Signature and seal images are downscaled to at most this many pixels a side (≈ 420 dpi at 36 mm)."""
MAX_IMAGE_BYTES = 10 * 1024 * 1024
SIGNATURE_BLUE = (0.05, 0.16, 0.6)
SEAL_RED = (0.8, 0.05, 0.05)

_FONT_FILES = (
    "/usr/share/fonts/truetype/liberation2/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/liberation/LiberationSerif-Regular.ttf",
    "/usr/share/fonts/truetype/noto/NotoSerif-Regular.ttf",
    "/usr/share/fonts/truetype/dejavu/DejaVuSerif.ttf",
)


@dataclass(frozen=True)
class Look:
    """What a signature shows: an image (PNG, transparent), or the text fallback (name and time) without one.
    `seal`: the organisation's seal; its field is then `seal_box(box)`, over the left third of the signer's."""

    image: bytes | None = None
    seal: bool = False
    seal_mm: float = SEAL_MM


def seal_box(signer_box: SignatureBox, diameter_mm: float = SEAL_MM) -> SignatureBox:
    """The seal's square: true size, vertically centred on the signer's box, covering its left third (the seal
    "trùm lên khoảng 1/3 chữ ký về phía bên trái")."""
    side = diameter_mm * MM
    width = signer_box.x1 - signer_box.x0
    right = signer_box.x0 + width / 3
    middle = (signer_box.y0 + signer_box.y1) / 2
    x0 = max(0.0, right - side)
    return SignatureBox(signer_box.page, x0, middle - side / 2, x0 + side, middle + side / 2)


def field_box(box: SignatureBox, look: Look) -> SignatureBox:
    return seal_box(box, look.seal_mm) if look.seal else box


def small_png(data: bytes) -> bytes:
    """The image, checked to be one, with transparency kept, at most MAX_IMAGE_PIXELS a side, as PNG."""
    if len(data) > MAX_IMAGE_BYTES:
        raise AppError.invalid("Ảnh chữ ký/con dấu quá lớn (tối đa 10 MB).", "The image is too large (10 MB at most).")
    try:
        with Image.open(io.BytesIO(data)) as image:
            if image.width * image.height > 50_000_000:
                raise UnidentifiedImageError("too many pixels")
            image.load()
            picture = image.convert("RGBA")
    except (UnidentifiedImageError, OSError, ValueError, Image.DecompressionBombError) as exc:
        raise AppError.invalid(
            "Ảnh chữ ký/con dấu không đọc được (cần tệp PNG).",
            "The signature/seal image cannot be read (PNG expected).",
        ) from exc
    picture.thumbnail((MAX_IMAGE_PIXELS, MAX_IMAGE_PIXELS))
    out = io.BytesIO()
    picture.save(out, "PNG", optimize=True)
    return out.getvalue()


def _readable_png(image: bytes | None) -> bytes | None:
    """A kept image as `small_png` makes it, or None (the text appearance) when it cannot be read: a stored
    image that no longer decodes must not stop a signature."""
    if image is None:
        return None
    try:
        return small_png(image)
    except AppError:
        return None


def _font_file() -> str | None:
    return next((f for f in _FONT_FILES if Path(f).is_file()), None)


def appearance_pdf(width: float, height: float, look: Look, name: str, at: datetime) -> bytes:
    """The field's appearance as a one-page PDF of `width` × `height` points."""
    document = pymupdf.open()
    page = document.new_page(width=width, height=height)
    rect = page.rect
    image = _readable_png(look.image)
    if image is not None:
        page.insert_image(rect, stream=image, keep_proportion=True)  # centred in the box
    else:
        colour = SEAL_RED if look.seal else SIGNATURE_BLUE
        font_file = _font_file()
        measure = pymupdf.Font(fontfile=font_file) if font_file else pymupdf.Font("tiro")
        lines = [name, f"Ký số: {at.astimezone(VIETNAM):%d/%m/%Y %H:%M:%S} (+07:00)"]
        size = max(5.0, min(11.0, height / 4, width / max(len(line) for line in lines) * 1.9))
        top = (height - 2.6 * size) / 2
        for index, line in enumerate(lines):
            x = max(1.0, (width - measure.text_length(line, fontsize=size)) / 2)
            page.insert_text(
                (x, top + size * (1 + 1.3 * index)),
                line,
                fontsize=size,
                fontname="signfont" if font_file else "tiro",
                fontfile=font_file,
                color=colour,
            )
        if look.seal:
            page.draw_circle(pymupdf.Point(width / 2, height / 2), min(width, height) / 2 - 1, color=colour, width=1.2)
    try:
        document.subset_fonts()  # a few dozen glyphs, not the whole face, in every signed copy
        return document.tobytes(garbage=3, deflate=True)
    finally:
        document.close()


class ImportedPage(PdfContent):
    """A PDF page (given as bytes) as a form XObject: pyHanko's own import takes a file name."""

    def __init__(self, pdf: bytes) -> None:
        super().__init__()
        self.pdf = pdf

    def render(self) -> bytes:
        writer: BasePdfFileWriter = self._ensure_writer
        xobject = writer.import_page_as_xobject(PdfFileReader(io.BytesIO(self.pdf)), page_ix=0)
        name = "/Appearance0"
        self.resources.xobject[name] = xobject
        x0, y0, x1, y1 = xobject.get_object()["/BBox"]
        self.box = BoxConstraints(width=abs(x1 - x0), height=abs(y1 - y0))
        return name.encode() + b" Do"


def stamp_style(box: SignatureBox, look: Look, name: str, at: datetime) -> StaticStampStyle:
    """pyHanko's stamp style drawing `look` into `box` (already the field's box: see `field_box`)."""
    pdf = appearance_pdf(box.x1 - box.x0, box.y1 - box.y0, look, name, at)
    return StaticStampStyle(background=ImportedPage(pdf), border_width=0, background_opacity=1.0)
