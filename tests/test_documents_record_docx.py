"""The biên bản and thông báo as .docx: they open with python-docx and carry the PDF's text, margins, fonts and
sizes, the header table, the signature blocks and "Nơi nhận"."""

from __future__ import annotations

import io
import re
import unicodedata
from dataclasses import replace
from pathlib import Path

import docx
import pymupdf
import pytest
from docx.document import Document as DocxDocument
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.shared import Cm, Mm, Pt
from docx.text.run import Run

from meeting_server.documents import nd30
from meeting_server.documents.conclusion_pdf import render_conclusion
from meeting_server.documents.convert import Converter
from meeting_server.documents.minutes_pdf import render_minutes
from meeting_server.documents.record_docx import conclusion_docx, minutes_docx
from tests import recordkit
from tests.pdflayout import flat, pdftotext
from tests.test_documents_convert import shared_dir


def opened(data: bytes) -> DocxDocument:
    return docx.Document(io.BytesIO(data))


def all_text(doc: DocxDocument) -> str:
    parts = [p.text for p in doc.paragraphs]
    for table in doc.tables:
        for row in table.rows:
            parts += [p.text for cell in row.cells for p in cell.paragraphs]
    return flat(" ".join(parts))


def runs_of(doc: DocxDocument, text: str) -> list[Run]:
    found = []
    paragraphs = list(doc.paragraphs)
    for table in doc.tables:
        for row in table.rows:
            for cell in row.cells:
                paragraphs += cell.paragraphs
    for p in paragraphs:
        found += [r for r in p.runs if text in r.text]
    assert found, text
    return found


@pytest.fixture(scope="module")
def minutes() -> DocxDocument:
    return opened(minutes_docx(recordkit.minutes()))


def test_page_margins_and_font(minutes: DocxDocument) -> None:
    section = minutes.sections[0]
    measured = [section.page_width, section.page_height, section.top_margin, section.bottom_margin]
    measured += [section.left_margin, section.right_margin]
    expected = (Mm(210), Mm(297), Mm(20), Mm(20), Mm(30), Mm(20))
    assert all(m is not None and abs(m - e) < Mm(0.05) for m, e in zip(measured, expected, strict=True))  # twips
    normal = minutes.styles["Normal"]
    assert normal.font.name == nd30.font_choice().family in ("Times New Roman", "Liberation Serif")
    assert normal.font.size == Pt(13)
    assert normal.paragraph_format.space_after >= Pt(6) and normal.paragraph_format.line_spacing <= 1.5


def test_header_table_rules_and_sizes(minutes: DocxDocument) -> None:
    left, right = minutes.tables[0].rows[0].cells
    assert left.paragraphs[0].text == "ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG" and left.paragraphs[0].runs[0].bold
    assert "Số: 05/BB-UBND" in [p.text for p in left.paragraphs]
    assert right.paragraphs[0].text == "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
    assert right.paragraphs[0].runs[0].bold and right.paragraphs[0].runs[0].font.size == Pt(12)
    motto = right.paragraphs[1]
    assert motto.text == nd30.MOTTO and motto.runs[0].bold and motto.runs[0].font.size == Pt(14)
    rule = right.paragraphs[2]
    assert rule.text == "" and rule._p.pPr.find(docx.oxml.ns.qn("w:pBdr")) is not None
    width = nd30.RIGHT_W - rule.paragraph_format.left_indent.pt - rule.paragraph_format.right_indent.pt
    assert abs(width - nd30.text_width(nd30.MOTTO, 14, bold=True)) < 1  # as long as the tiêu ngữ
    assert all(p.alignment == WD_ALIGN_PARAGRAPH.CENTER for p in left.paragraphs + right.paragraphs)
    children = [el.tag.split("}")[1] for el in rule._p.pPr]
    assert children.index("pBdr") < children.index("spacing") < children.index("ind") < children.index("jc")


def test_body_title_indent_signatures_and_recipients(minutes: DocxDocument) -> None:
    title = next(p for p in minutes.paragraphs if p.text == "BIÊN BẢN")
    assert title.runs[0].bold and title.runs[0].font.size == Pt(14)
    place = next(p for p in minutes.paragraphs if p.text.startswith("Địa điểm:"))
    assert place.paragraph_format.first_line_indent == Cm(1.27)
    secretary, chair = minutes.tables[1].rows[0].cells
    assert secretary.paragraphs[0].text == "THƯ KÝ" and chair.paragraphs[0].text == "CHỦ TỌA"
    assert secretary.paragraphs[-1].text == "Lê Thị Thu Hà" and chair.paragraphs[-1].text == "Nguyễn Văn Sơn"
    closing = next(p for p in minutes.paragraphs if p.text.startswith("Cuộc họp kết thúc vào"))
    assert closing.paragraph_format.keep_with_next
    assert "<w:cantSplit/>" in minutes.tables[1].rows[0]._tr.xml  # the signature row stays whole
    recv = runs_of(minutes, "Nơi nhận:")[0]
    assert recv.bold and recv.italic and recv.font.size == Pt(12)
    entries = minutes.tables[2].rows[0].cells[0].paragraphs[1:]
    assert [p.runs[0].font.size for p in entries] == [Pt(11)] * 4 and entries[-1].text == "- Lưu: VT, TH."
    assert runs_of(minutes, "nguồn vốn đầu tư công")[0].bold and runs_of(minutes, "tiến độ giải ngân")[0].italic
    assert runs_of(minutes, "hoàn thiện hồ sơ")[0].underline


def test_page_numbers_from_page_two(minutes: DocxDocument) -> None:
    section = minutes.sections[0]
    assert section.different_first_page_header_footer
    assert not section.first_page_header.paragraphs[0].text
    assert 'w:instr="PAGE"' in section.header._element.xml


def words(text: str) -> set[str]:
    """The words, without the page numbers and list numbers the two formats number differently."""
    return {w for w in re.findall(r"[^\W_]+", unicodedata.normalize("NFC", text)) if not (w.isdigit() and len(w) < 2)}


@pytest.mark.parametrize("which", ["minutes", "conclusion"])
def test_the_docx_carries_the_pdf_text(which: str) -> None:
    if which == "minutes":
        content = recordkit.minutes()
        pdf, doc = render_minutes(content).pdf, opened(minutes_docx(content))
    else:
        notice = recordkit.conclusion()
        pdf, doc = render_conclusion(notice).pdf, opened(conclusion_docx(notice))
    pdf_words, docx_words = words(pdftotext(pdf)), words(all_text(doc))
    assert sorted(pdf_words ^ docx_words) == []
    assert len(pdf_words) > 100


def test_conclusion_signer_right_recipients_left_and_date_italic() -> None:
    doc = opened(conclusion_docx(recordkit.conclusion()))
    recv, sign = doc.tables[-1].rows[0].cells
    assert recv.paragraphs[0].text == "Nơi nhận:"
    assert [p.text for p in sign.paragraphs][:2] == ["TL. CHỦ TỊCH", "CHÁNH VĂN PHÒNG"]
    assert sign.paragraphs[-1].text == "Ma Thị Thanh Hoa"
    dated = runs_of(doc, "Tuyên Quang, ngày 06 tháng 01 năm 2027")[0]
    assert dated.italic
    governing = doc.tables[0].rows[0].cells[0].paragraphs
    assert governing[0].text == "ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG" and not governing[0].runs[0].bold
    assert governing[1].text == "VĂN PHÒNG" and governing[1].runs[0].bold


def test_hostile_text_becomes_plain_text_in_word() -> None:
    item = replace(recordkit.item(1), title="<w:t>x</w:t> \x07 🎉 & <b>", conclusion_html="<p>ok<script>y</script></p>")
    doc = opened(minutes_docx(replace(recordkit.minutes(items=1), items=[item])))
    text = all_text(doc)
    assert "<w:t>x</w:t> & <b>" in text and "🎉" not in text and "oky" in text


@pytest.mark.parametrize("which", ["minutes", "conclusion"])
async def test_libreoffice_opens_the_docx_and_prints_its_words(which: str, tmp_path: Path) -> None:
    """The .docx is meant to be opened in Word or LibreOffice and edited: LibreOffice (the server's own sandboxed
    converter, documents/convert.py) reads it and prints it on A4 with every word python-docx reads in it."""
    docx_bytes = minutes_docx(recordkit.minutes()) if which == "minutes" else conclusion_docx(recordkit.conclusion())
    with shared_dir("record-docx-", 0o711) as work:
        source = work / f"{which}.docx"
        source.write_bytes(docx_bytes)
        source.chmod(0o644)
        target = tmp_path / f"{which}.pdf"
        await Converter(work_dir=work).convert(source, "docx", target)
    printed = target.read_bytes()
    assert words(all_text(opened(docx_bytes))) <= words(pdftotext(printed))
    with pymupdf.open(stream=printed, filetype="pdf") as pdf:
        assert pdf.page_count >= 1
        assert {(round(p.rect.width / 72 * 25.4), round(p.rect.height / 72 * 25.4)) for p in pdf} == {(210, 297)}
