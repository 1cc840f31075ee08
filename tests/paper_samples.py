"""PDFs for the paper tests, made here with pymupdf: good papers of every shape, and hostile ones.

Nothing is downloaded; every file is built in a few milliseconds and kept small (the decompression bombs
are a few KiB: zeros deflated twice).
"""

from __future__ import annotations

import io
import os
import struct
import zlib

import pymupdf
from PIL import Image, ImageDraw, TiffImagePlugin
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


# JBIG2 (ITU T.88) in a PDF: segments without the file header (PDF 32000 §7.4.7). A segment header is its
# number, its type, the referred-to segments (a count in the top 3 bits, then their numbers), its page and
# the length of its data. Region segments start with width, height, x, y and a combination operator.
JBIG2_PAGE_INFO, JBIG2_END_OF_PAGE = 48, 49
JBIG2_INTERMEDIATE_GENERIC, JBIG2_IMMEDIATE_GENERIC, JBIG2_IMMEDIATE_REFINEMENT = 36, 38, 42
JBIG2_SIZE = (400, 200)  # pixels of the image, and points of its page (one pixel per point)


def _jbig2_segment(number: int, kind: int, data: bytes, refers_to: tuple[int, ...] = ()) -> bytes:
    referred = bytes([len(refers_to) << 5, *refers_to])
    return struct.pack(">IB", number, kind) + referred + b"\x01" + struct.pack(">I", len(data)) + data


def _jbig2_region(width: int, height: int) -> bytes:
    return struct.pack(">IIIIB", width, height, 0, 0, 0)  # at 0,0, combined by OR


def jbig2_frame() -> Image.Image:
    """The bilevel picture the JBIG2 samples hold: a thick black frame on white, white inside but for a
    black block in its top left corner (so a page turned the wrong way shows)."""
    image = Image.new("1", JBIG2_SIZE, 1)
    draw = ImageDraw.Draw(image)
    draw.rectangle((20, 20, 379, 179), fill=0)
    draw.rectangle((60, 60, 339, 139), fill=1)
    draw.rectangle((80, 75, 150, 120), fill=0)
    return image


def _mmr(image: Image.Image) -> bytes:
    """The picture coded as JBIG2's MMR generic region is: CCITT T.6 (Group 4), 1 meaning black. Pillow
    (libtiff) writes Group 4 TIFF; its strip is the coded picture. Written as BlackIsZero, the picture
    inverted, so that the coded 1s are the black pixels."""
    inverted = image.convert("L").point(lambda v: 255 - v).convert("1")
    out = io.BytesIO()
    inverted.save(out, "TIFF", compression="group4")
    tiff = Image.open(io.BytesIO(out.getvalue()))
    assert isinstance(tiff, TiffImagePlugin.TiffImageFile)
    tags = tiff.tag_v2
    assert tags[262] == 1, "Pillow wrote another photometric interpretation"  # BlackIsZero
    offset, length = (value if isinstance(value, int) else value[0] for value in (tags[273], tags[279]))
    return out.getvalue()[offset : offset + length]


def jbig2_refined(rotation: int = 0) -> bytes:
    """A one-page PDF whose only content is a JBIG2 image made by refinement: an intermediate generic region
    (segment 1, MMR-coded ``jbig2_frame``) is refined onto the page by an immediate generic refinement region
    (segment 2, template 0 with typical prediction on, so a refinement that changes nothing is almost no
    data). poppler decodes it; MuPDF's jbig2dec does not implement intermediate generic regions ("NYI"),
    warns, and draws the image as one flat colour. ``rotation``: the page's /Rotate."""
    width, height = JBIG2_SIZE
    page_info = struct.pack(">IIIIBH", width, height, 0, 0, 0, 0)
    generic = _jbig2_region(width, height) + b"\x01" + _mmr(jbig2_frame())  # flags: MMR
    refinement = _jbig2_region(width, height) + b"\x02" + bytes([0xFF, 0xFF, 0xFF, 0xFF]) + b"\x00" * 8
    data = (
        _jbig2_segment(0, JBIG2_PAGE_INFO, page_info)
        + _jbig2_segment(1, JBIG2_INTERMEDIATE_GENERIC, generic)
        + _jbig2_segment(2, JBIG2_IMMEDIATE_REFINEMENT, refinement, refers_to=(1,))
        + _jbig2_segment(3, JBIG2_END_OF_PAGE, b"")
    )
    return _bilevel_image_page(data, "/JBIG2Decode", rotation=rotation)


def jbig2_garbage(pages: int = 1) -> bytes:
    """A PDF whose first page's only content is a JBIG2 image of junk bytes: neither MuPDF nor poppler can
    decode it, both draw a flat page. The other pages have a line of text."""
    return _bilevel_image_page(bytes((i * 73 + 5) % 256 for i in range(600)), "/JBIG2Decode", pages)


def _bilevel_image_page(data: bytes, filters: str, pages: int = 1, rotation: int = 0) -> bytes:
    width, height = JBIG2_SIZE
    doc = pymupdf.open()
    for number in range(1, pages + 1):
        page = doc.new_page(width=width, height=height)
        if number > 1:
            page.insert_text((72, 72), f"Trang {number}")
            continue
        page.insert_image(page.rect, pixmap=pymupdf.Pixmap(pymupdf.csGRAY, (0, 0, 1, 1)))
        placeholder = page.get_images()[0][0]
        header = f"<< /Type /XObject /Subtype /Image /Width {width} /Height {height} /ColorSpace /DeviceGray "
        image = _stream_object(doc, header + "/BitsPerComponent 1 >>", data, filters)
        doc.xref_copy(image, placeholder)
        page.set_rotation(rotation)
    return doc.tobytes()


def _raw_pdf(objects: list[bytes], trailer: bytes = b"") -> bytes:
    """A PDF written byte by byte: ``objects`` numbered from 1 (1 is the catalog), a classic xref table."""
    out = bytearray(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n%s\nendobj\n" % (number, body)
    start = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R %s >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, trailer, start)
    return bytes(out)


def _stream(dictionary: bytes, data: bytes) -> bytes:
    return b"<< %s /Length %d >>\nstream\n%s\nendstream" % (dictionary, len(data), data)


def attachment_encrypted() -> bytes:
    """A one-page PDF encrypted for its attachment only, as Acrobat's "encrypt only file attachments" writes
    it: a user password is set (random /O and /U: no password opens them, the empty one neither), the crypt
    filter applies to embedded files (/EFF, opened on /EFOpen) and not to streams or strings (/Identity).
    The page itself is plain; the attachment's bytes are its ciphertext."""
    content = b"BT /F1 24 Tf 72 720 Td (Trang 1: to trinh) Tj ET"
    secret = os.urandom(64)
    crypt = (
        b"<< /Filter /Standard /V 4 /R 4 /Length 128 /P -4"
        b" /CF << /StdCF << /CFM /AESV2 /AuthEvent /EFOpen /Length 16 >> >>"
        b" /StmF /Identity /StrF /Identity /EFF /StdCF /O <%s> /U <%s> >>"
    ) % (os.urandom(32).hex().encode(), os.urandom(32).hex().encode())
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R /Names << /EmbeddedFiles << /Names [(phu-luc.txt) 6 0 R] >> >> >>",
        b"<< /Type /Pages /Kids [3 0 R] /Count 1 >>",
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 5 0 R >> >>"
        b" /Contents 4 0 R >>",
        _stream(b"", content),
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Type /Filespec /F (phu-luc.txt) /UF (phu-luc.txt) /EF << /F 7 0 R >> >>",
        _stream(b"/Type /EmbeddedFile /Filter [/Crypt] /DecodeParms [<< /Name /StdCF >>]", secret),
        crypt,
    ]
    file_id = b"<%s>" % os.urandom(16).hex().encode()
    return _raw_pdf(objects, b"/Encrypt 8 0 R /ID [%s %s]" % (file_id, file_id))


def with_encrypted_attachment() -> bytes:
    """A plain PDF carrying a password-protected PDF as an embedded file."""
    doc = pymupdf.open("pdf", simple(2))
    doc.embfile_add("bao-cao-mat.pdf", encrypted(), filename="bao-cao-mat.pdf")
    return doc.tobytes()


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


def agreement(image: Image.Image, picture: Image.Image) -> float:
    """The share of pixels on which a rendered page and the bilevel picture it should show agree."""
    ours = image.convert("L").resize(picture.size).point(lambda v: 255 if v >= 128 else 0)
    expected = picture.convert("L")
    same = sum(1 for a, b in zip(ours.get_flattened_data(), expected.get_flattened_data(), strict=True) if a == b)
    return same / (picture.width * picture.height)


# Reading pixels: PIL types a pixel for every image mode at once, so the tests say which they expect.


def bands(pixel: object) -> tuple[int, ...]:
    """A pixel of a multi-band image (RGB, RGBA)."""
    assert isinstance(pixel, tuple), pixel
    return pixel


def level(value: object) -> float:
    """A pixel, or an extreme, of a one-band image (L)."""
    assert isinstance(value, int | float), value
    return value
