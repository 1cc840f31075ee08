"""Office files for the conversion tests, made here: Word documents with python-docx, slides and spreadsheets as
flat OpenDocument XML that LibreOffice itself turns into .pptx / .xlsx (python-pptx and openpyxl are not
installed), and hostile packages (an external image link, a billion-laughs DTD, a zip bomb) built with zipfile.
"""

from __future__ import annotations

import io
import os
import shutil
import subprocess
import tempfile
import zipfile
from collections.abc import Sequence
from pathlib import Path
from xml.sax.saxutils import escape

import docx
from docx.opc.constants import RELATIONSHIP_TYPE as RT
from docx.shared import Cm
from PIL import Image

HEADER = "ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG"
FOOTER = "Trang chân: Văn phòng Ủy ban nhân dân"
BODY = "Nghị quyết về kế hoạch phát triển kinh tế - xã hội năm 2027"
CELLS = [("Chỉ tiêu", "Kế hoạch"), ("Tăng trưởng GRDP", "8,5%"), ("Thu ngân sách", "4.200 tỷ đồng")]
SHEET = [("Xã", "Số dân"), ("Yên Sơn", "12.500"), ("Hàm Yên", "9.800")]  # short: a cell prints within its column


def _png(colour: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    out = io.BytesIO()
    Image.new("RGB", (120, 80), colour).save(out, "PNG")
    return out.getvalue()


def _save(document: docx.document.Document) -> bytes:
    out = io.BytesIO()
    document.save(out)
    return out.getvalue()


def vietnamese_docx() -> bytes:
    """Header and footer, a heading, a paragraph, a table and an embedded image, all with diacritics."""
    document = docx.Document()
    section = document.sections[0]
    section.header.paragraphs[0].text = HEADER
    section.footer.paragraphs[0].text = FOOTER
    document.add_heading("Nghị quyết", level=1)
    document.add_paragraph(BODY)
    table = document.add_table(rows=len(CELLS), cols=2)
    for row, (a, b) in zip(table.rows, CELLS, strict=True):
        row.cells[0].text, row.cells[1].text = a, b
    document.add_picture(io.BytesIO(_png()), width=Cm(4))
    document.add_paragraph("Hình 1: biểu đồ thu ngân sách")
    return _save(document)


def linked_image_docx(url: str) -> bytes:
    """A picture whose image is not in the package but at ``url`` (``<a:blip r:link>`` to an external relation),
    as Word writes a "link to file" picture."""
    document = docx.Document()
    document.add_paragraph("Ảnh liên kết ngoài")
    shape = document.add_picture(io.BytesIO(_png()), width=Cm(4))
    rel = document.part.relate_to(url, RT.IMAGE, is_external=True)
    blip = shape._inline.graphic.graphicData.pic.blipFill.blip  # noqa: SLF001  python-docx has no API for links
    embed = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}embed"
    link = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}link"
    del blip.attrib[embed]
    blip.set(link, rel)
    return _save(document)


def _replace_member(package: bytes, name: str, content: bytes) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(package))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for item in source.infolist():
            target.writestr(item.filename, content if item.filename == name else source.read(item.filename))
    return out.getvalue()


def billion_laughs_docx() -> bytes:
    """word/document.xml with nine levels of ten entities each: 10^9 "lol"s once expanded."""
    entities = ['<!ENTITY lol0 "lol">'] + [
        f'<!ENTITY lol{n} "{("&lol" + str(n - 1) + ";") * 10}">' for n in range(1, 10)
    ]
    xml = (
        '<?xml version="1.0" encoding="UTF-8" standalone="yes"?>\n'
        f"<!DOCTYPE w:document [{''.join(entities)}]>\n"
        '<w:document xmlns:w="http://schemas.openxmlformats.org/wordprocessingml/2006/main">'
        "<w:body><w:p><w:r><w:t>&lol9;</w:t></w:r></w:p></w:body></w:document>"
    )
    return _replace_member(vietnamese_docx(), "word/document.xml", xml.encode())


def zip_bomb_docx(unpacked_mib: int) -> bytes:
    """A valid .docx plus a media part of ``unpacked_mib`` MiB of zeros (about a thousandth of that packed)."""
    package = io.BytesIO(vietnamese_docx())
    with (
        zipfile.ZipFile(package, "a", zipfile.ZIP_DEFLATED) as z,
        z.open("word/media/bomb.bin", "w", force_zip64=True) as f,
    ):
        block = bytes(1 << 20)
        for _ in range(unpacked_mib):
            f.write(block)
    return package.getvalue()


# ---- slides and spreadsheets through LibreOffice ----------------------------------------------------------------

_OFFICE_NS = (
    'xmlns:office="urn:oasis:names:tc:opendocument:xmlns:office:1.0" '
    'xmlns:draw="urn:oasis:names:tc:opendocument:xmlns:drawing:1.0" '
    'xmlns:text="urn:oasis:names:tc:opendocument:xmlns:text:1.0" '
    'xmlns:table="urn:oasis:names:tc:opendocument:xmlns:table:1.0" '
    'xmlns:svg="urn:oasis:names:tc:opendocument:xmlns:svg-compatible:1.0" '
    'xmlns:presentation="urn:oasis:names:tc:opendocument:xmlns:presentation:1.0" '
    'xmlns:style="urn:oasis:names:tc:opendocument:xmlns:style:1.0" '
    'xmlns:fo="urn:oasis:names:tc:opendocument:xmlns:xsl-fo-compatible:1.0" office:version="1.3"'
)


def flat_presentation(slides: list[str]) -> str:
    """A flat OpenDocument presentation (.fodp): one slide per text, the text in a frame."""
    pages = "".join(
        f'<draw:page draw:name="slide{n}" draw:master-page-name="Default">'
        '<draw:frame svg:x="2cm" svg:y="2cm" svg:width="20cm" svg:height="4cm">'
        f"<draw:text-box><text:p>{escape(text)}</text:p></draw:text-box></draw:frame></draw:page>"
        for n, text in enumerate(slides, start=1)
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document {_OFFICE_NS} '
        'office:mimetype="application/vnd.oasis.opendocument.presentation">'
        '<office:automatic-styles><style:page-layout style:name="PM1"><style:page-layout-properties '
        'fo:page-width="28cm" fo:page-height="15.75cm" style:print-orientation="landscape"/>'
        "</style:page-layout></office:automatic-styles>"
        '<office:master-styles><style:master-page style:name="Default" style:page-layout-name="PM1"/>'
        f"</office:master-styles><office:body><office:presentation>{pages}</office:presentation></office:body>"
        "</office:document>"
    )


def flat_spreadsheet(rows: Sequence[Sequence[str]]) -> str:
    """A flat OpenDocument spreadsheet (.fods) with one sheet of text cells."""
    body = "".join(
        "<table:table-row>"
        + "".join(
            f'<table:table-cell office:value-type="string"><text:p>{escape(c)}</text:p></table:table-cell>' for c in row
        )
        + "</table:table-row>"
        for row in rows
    )
    return (
        f'<?xml version="1.0" encoding="UTF-8"?><office:document {_OFFICE_NS} '
        'office:mimetype="application/vnd.oasis.opendocument.spreadsheet"><office:body><office:spreadsheet>'
        f'<table:table table:name="Bang1">{body}</table:table></office:spreadsheet></office:body></office:document>'
    )


def through_libreoffice(flat_xml: str, suffix: str, target: str) -> bytes:
    """Save ``flat_xml`` (a .fodp or .fods) as ``target`` ("pptx", "xlsx", "odp"…) with LibreOffice, outside the
    server's sandbox: the test's own tool for making files python cannot write."""
    work = Path(tempfile.mkdtemp(prefix="office-sample-"))
    try:
        source = work / f"sample.{suffix}"
        source.write_text(flat_xml, encoding="utf-8")
        subprocess.run(
            ["soffice", "--headless", "--norestore", f"-env:UserInstallation={(work / 'profile').as_uri()}",
             "--convert-to", target, "--outdir", str(work), str(source)],
            check=True, capture_output=True, timeout=120, env={**os.environ, "HOME": str(work)},
        )  # fmt: skip
        return (work / f"sample.{target}").read_bytes()
    finally:
        shutil.rmtree(work, ignore_errors=True)
