"""PDFs for the paper tests, made here with pymupdf: good papers of every shape, and hostile ones.

Nothing is downloaded; every file is built in a few milliseconds and kept small (the decompression bombs
are a few KiB: zeros deflated twice).
"""

from __future__ import annotations

import io
import zlib

import pymupdf
from PIL import Image
from pypdf.generic import ArrayObject, DictionaryObject

SENTENCE = "Biên bản họp Ủy ban nhân dân tỉnh Tuyên Quang"

# (name, width, height, rotation) in points, before rotation
PAGES = [
    ("A4", 595.28, 841.89, 0),
    ("A3", 841.89, 1190.55, 0),
    ("Letter", 612.0, 792.0, 0),
    ("A4 landscape", 841.89, 595.28, 0),
    ("A4 rotated 90", 595.28, 841.89, 90),
    ("A4 rotated 180", 595.28, 841.89, 180),
    ("A4 rotated 270", 595.28, 841.89, 270),
    ("slide 16:9", 960.0, 540.0, 0),
]


def photo(width: int = 320, height: int = 200) -> bytes:
    """A photo-like JPEG: gradients and noise."""
    red = Image.linear_gradient("L").resize((width, height))
    green = Image.radial_gradient("L").resize((width, height))
    blue = Image.effect_noise((width, height), 40)
    out = io.BytesIO()
    Image.merge("RGB", (red, green, blue)).save(out, "JPEG", quality=85)
    return out.getvalue()


def paper(*, title: str = "Báo cáo kinh tế - xã hội tháng 11", outline: bool = True) -> bytes:
    """The good paper: one page per PAGES entry, each with the Vietnamese sentence and its own words,
    an image on two of them, a cropped page (box offset from the media box) among the rotated ones."""
    doc = pymupdf.open()
    for number, (name, width, height, rotation) in enumerate(PAGES, start=1):
        page = doc.new_page(width=width, height=height)
        html = (
            f"<h2>Trang {number}: {name}</h2>"
            f"<p style='font-size:16pt'>{SENTENCE} ngày 24 tháng 11 năm 2026.</p>"
            "<p>Thành phần: đồng chí Chủ tịch, các Phó Chủ tịch; thư ký cuộc họp ghi biên bản đầy đủ.</p>"
        )
        page.insert_htmlbox(pymupdf.Rect(60, 60, width - 60, height / 2), html)
        if number in (2, 5):
            page.insert_image(pymupdf.Rect(60, height / 2 + 20, 380, height / 2 + 220), stream=photo())
        if number == 6:
            page.set_cropbox(pymupdf.Rect(30, 20, width - 10, height - 40))
        page.set_rotation(rotation)
    if outline:
        doc.set_toc([[1, "Phần I. Tình hình chung", 1], [2, "1. Kinh tế", 2], [2, "2. Xã hội", 4],
                     [1, "Phần II. Nhiệm vụ tháng 12", 7]])  # fmt: skip
    doc.set_metadata({"title": title, "author": "Văn phòng HĐND và UBND huyện"})
    doc.subset_fonts()
    return doc.tobytes(garbage=3, deflate=True)


def simple(pages: int = 3, text: str = "Trang") -> bytes:
    doc = pymupdf.open()
    for number in range(1, pages + 1):
        page = doc.new_page()
        page.insert_text((72, 72), f"{text} {number}")
    return doc.tobytes()


def text_pages(pages: int) -> bytes:
    """Many A4 pages of Vietnamese text: enough rendering work to watch scheduling."""
    doc = pymupdf.open()
    body = " ".join([SENTENCE] * 40)
    for number in range(1, pages + 1):
        page = doc.new_page()
        page.insert_htmlbox(pymupdf.Rect(50, 50, 545, 800), f"<h1>Trang {number}</h1><p>{body}</p>")
    doc.subset_fonts()
    return doc.tobytes(garbage=3, deflate=True)


def zeros_deflated(n: int, chunk: int = 1 << 20) -> bytes:
    """A zlib stream of ``n`` zero bytes (``n`` a multiple of ``chunk``), built without compressing ``n``
    bytes: after a full flush every chunk of zeros compresses to the same bytes, so one is repeated."""
    assert n % chunk == 0 and n >= 2 * chunk
    c = zlib.compressobj(9)
    zeros = bytes(chunk)
    head = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    body = c.compress(zeros) + c.flush(zlib.Z_FULL_FLUSH)
    adler = ((n % 65521) << 16) | 1  # Adler-32 of n zeros: a = 1, b = n
    return head + body * (n // chunk - 1) + b"\x03\x00" + adler.to_bytes(4, "big")  # empty final block


def _stream_object(doc: pymupdf.Document, dictionary: str, data: bytes, filters: str) -> int:
    xref = doc.get_new_xref()
    doc.update_object(xref, dictionary)
    doc.update_stream(xref, data, compress=False)
    doc.xref_set_key(xref, "Filter", filters)
    return xref


def endless_content(depth: int = 40) -> bytes:
    """Page 1 draws a form that draws the form below it twice, ``depth`` forms deep: 2^40 drawings of a line,
    which neither rendering nor text extraction finishes on any machine (18 deep already costs a second); text
    extraction runs in constant memory, rendering fills the worker's memory limit. A few KiB on disk. MuPDF
    refuses around 50 nested forms, so 40 stays a bomb."""
    doc = pymupdf.open()
    page = doc.new_page()
    below = 0
    for _ in range(depth):
        form = doc.get_new_xref()
        resources = f"/Resources << /XObject << /F {below} 0 R >> >>" if below else ""
        doc.update_object(form, f"<< /Type /XObject /Subtype /Form /BBox [0 0 595 842] {resources} >>")
        doc.update_stream(form, b"/F Do /F Do\n" if below else b"72 72 m 500 700 l S\n")
        below = form
    contents = doc.get_new_xref()
    doc.update_object(contents, "<< >>")
    doc.update_stream(contents, b"/Bomb Do\n")
    doc.xref_set_key(page.xref, "Contents", f"{contents} 0 R")
    doc.xref_set_key(page.xref, "Resources", f"<< /XObject << /Bomb {below} 0 R >> >>")
    return doc.tobytes()


def image_bomb(side: int, page: int = 1, pages: int = 1) -> bytes:
    """An RGB image declaring ``side`` x ``side`` pixels whose data are zeros deflated twice, drawn on
    ``page`` of ``pages``: 40000 gives 4.8 GB to inflate, refused from its header; 20000 (1.2 GB) is
    accepted and takes MuPDF a few seconds per rendering."""
    doc = pymupdf.open()
    for number in range(1, pages + 1):
        target = doc.new_page()
        target.insert_text((72, 72), f"Trang {number}")
        if number != page:
            continue
        target.insert_image(pymupdf.Rect(72, 100, 520, 548), pixmap=pymupdf.Pixmap(pymupdf.csRGB, (0, 0, 1, 1)))
        placeholder = target.get_images()[0][0]
        size = side * side * 3
        size += -size % (1 << 20)
        data = zlib.compress(zeros_deflated(size), 9)
        header = f"<< /Type /XObject /Subtype /Image /Width {side} /Height {side} /ColorSpace /DeviceRGB "
        bomb = _stream_object(doc, header + "/BitsPerComponent 8 >>", data, "[/FlateDecode /FlateDecode]")
        doc.xref_copy(bomb, placeholder)
    return doc.tobytes()


def _ref(value: str) -> int:
    return int(value.split()[0])


def cyclic_outline(kind: str) -> bytes:
    """Three bookmarks whose /Outlines tree loops: ``next`` (the last one's /Next is the first),
    ``child`` (the first one's /First is itself), ``parent`` (the second one's /First is the root)."""
    doc = pymupdf.open()
    for number in range(3):
        doc.new_page().insert_text((72, 72), f"Trang {number + 1}")
    doc.set_toc([[1, "Một", 1], [1, "Hai", 2], [1, "Ba", 3]])
    doc = pymupdf.open("pdf", doc.tobytes())
    root = _ref(doc.xref_get_key(doc.pdf_catalog(), "Outlines")[1])
    first, last = _ref(doc.xref_get_key(root, "First")[1]), _ref(doc.xref_get_key(root, "Last")[1])
    second = _ref(doc.xref_get_key(first, "Next")[1])
    if kind == "next":
        doc.xref_set_key(last, "Next", f"{first} 0 R")
        doc.xref_set_key(first, "Prev", f"{last} 0 R")
    elif kind == "child":
        doc.xref_set_key(first, "First", f"{first} 0 R")
        doc.xref_set_key(first, "Last", f"{first} 0 R")
        doc.xref_set_key(first, "Count", "1")
    elif kind == "parent":
        doc.xref_set_key(second, "First", f"{root} 0 R")
        doc.xref_set_key(second, "Last", f"{root} 0 R")
        doc.xref_set_key(second, "Count", "3")
    else:
        raise ValueError(kind)
    return doc.tobytes()


def huge_page(inches: float = 200) -> bytes:
    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), "Trang 1")
    side = inches * 72
    doc.new_page(width=side, height=side).insert_text((72, 72), "Băng rôn khổ lớn")
    return doc.tobytes()


def garbled_xref() -> bytes:
    """A real PDF whose cross-reference table is overwritten with junk (the trailer after it is kept):
    MuPDF and poppler both rebuild it from the objects, so it is accepted, marked repaired."""
    data = simple(3)
    start = data.rindex(b"\nxref") + 1
    end = data.index(b"trailer", start)
    junk = bytes(byte if byte in b"\n " else (i * 37 + 11) % 26 + 97 for i, byte in enumerate(data[start:end]))
    return data[:start] + junk + data[end:]


def header_and_junk() -> bytes:
    """A PDF header, then nothing a PDF reader can make objects of: nothing to repair."""
    return b"%PDF-1.7\n" + bytes((i * 131 + 7) % 251 for i in range(20_000))


def broken_page_tree() -> bytes:
    """Valid objects, but no page tree: MuPDF finds no pages."""
    return simple(3).replace(b"/Type /Pages", b"/Type /Pagez").replace(b"/Kids", b"/Kidz")


def encrypted(user_password: str = "matkhau") -> bytes:
    doc = pymupdf.open("pdf", simple(2))
    # pymupdf copies MuPDF's constants onto itself at import: their static home is pymupdf.mupdf
    options: dict[str, int | str] = {"encryption": pymupdf.mupdf.PDF_ENCRYPT_AES_256, "owner_pw": "chu-so-huu"}
    if user_password:
        options["user_pw"] = user_password
    else:
        options["permissions"] = pymupdf.mupdf.PDF_PERM_PRINT  # printing only: still readable without a password
    return doc.tobytes(**options)


def text_file() -> bytes:
    return ("Biên bản họp: đây là tệp văn bản, không phải PDF.\n" * 50).encode()


# Reading PDFs back: pypdf types every lookup as a bare PdfObject, so the tests check what it must be.


def pdf_dict(obj: object) -> DictionaryObject:
    """A looked-up PDF object that must be a dictionary (a page is one too)."""
    assert isinstance(obj, DictionaryObject), obj
    return obj


def annotations_of(page: DictionaryObject) -> list[DictionaryObject]:
    """The page's annotation dictionaries (none when it has no /Annots)."""
    annots = page.get("/Annots")
    if annots is None:
        return []
    annots = annots.get_object()
    assert isinstance(annots, ArrayObject), annots
    return [pdf_dict(a.get_object()) for a in annots]


# Reading pixels: PIL types a pixel for every image mode at once, so the tests say which they expect.


def bands(pixel: object) -> tuple[int, ...]:
    """A pixel of a multi-band image (RGB, RGBA)."""
    assert isinstance(pixel, tuple), pixel
    return pixel


def level(value: object) -> float:
    """A pixel, or an extreme, of a one-band image (L)."""
    assert isinstance(value, int | float), value
    return value
