"""The biên bản and the thông báo kết luận as editable .docx files (python-docx), for offices that finish documents
in Word; the PDF stays the record. Same Nghị định 30 rules as the PDF (documents/nd30.py): A4, the margins, the
serif and its sizes, the header table with its rules, first-line indent and spacing, page numbers at the top from
page 2, the signature blocks, "Nơi nhận". The text comes from the same blocks the PDF prints.
"""

from __future__ import annotations

import io
from html.parser import HTMLParser

from docx import Document
from docx.document import Document as DocxDocument
from docx.enum.section import WD_SECTION_START
from docx.enum.table import WD_TABLE_ALIGNMENT
from docx.enum.text import WD_ALIGN_PARAGRAPH
from docx.oxml import OxmlElement
from docx.oxml.ns import qn
from docx.shared import Cm, Mm, Pt, RGBColor
from docx.table import _Cell
from docx.text.paragraph import Paragraph

from ..domain.record_content import RICH_TEXT_TAGS, ConclusionContent, MinutesContent
from ..domain.text import without_pictographs
from . import conclusion_pdf, minutes_pdf, nd30
from .nd30 import Block

_ALIGN = {
    "title": WD_ALIGN_PARAGRAPH.CENTER,
    "subject": WD_ALIGN_PARAGRAPH.CENTER,
    "draft-mark": WD_ALIGN_PARAGRAPH.CENTER,
    "note": WD_ALIGN_PARAGRAPH.CENTER,
}


def _clean(text: str) -> str:
    """Text Word can hold: no emoji, no control characters XML refuses."""
    return "".join(ch for ch in without_pictographs(text) if ch in "\t\n" or ord(ch) >= 32)


def _document() -> DocxDocument:
    doc = Document()
    section = doc.sections[0]
    section.start_type = WD_SECTION_START.NEW_PAGE
    section.page_width, section.page_height = Mm(210), Mm(297)
    section.top_margin, section.bottom_margin = Mm(20), Mm(20)
    section.left_margin, section.right_margin = Mm(30), Mm(20)
    normal = doc.styles["Normal"]
    family = nd30.font_choice().family
    normal.font.name = family
    normal.font.size = Pt(nd30.BODY_PT)
    rpr = normal.element.get_or_add_rPr()
    fonts = rpr.find(qn("w:rFonts"))
    if fonts is None:
        fonts = OxmlElement("w:rFonts")
        rpr.append(fonts)
    for attr in ("w:ascii", "w:hAnsi", "w:cs", "w:eastAsia"):
        fonts.set(qn(attr), family)
    fmt = normal.paragraph_format
    fmt.space_before, fmt.space_after = Pt(0), Pt(nd30.PARA_AFTER_PT)
    fmt.line_spacing = nd30.LINE_HEIGHT
    # Page numbers centred at the top from page 2: the first page has its own (empty) header.
    section.different_first_page_header_footer = True
    header = section.header.paragraphs[0]
    header.alignment = WD_ALIGN_PARAGRAPH.CENTER
    field = OxmlElement("w:fldSimple")
    field.set(qn("w:instr"), "PAGE")
    run = OxmlElement("w:r")
    text = OxmlElement("w:t")
    text.text = "2"
    run.append(text)
    field.append(run)
    header._p.append(field)
    section.header_distance = Mm(10)
    return doc


def _p(
    where: DocxDocument | _Cell,
    text: str = "",
    *,
    size: float | None = None,
    bold: bool = False,
    italic: bool = False,
    align: int | None = WD_ALIGN_PARAGRAPH.CENTER,
    after: float = 0,
) -> Paragraph:
    p = where.add_paragraph()
    p.alignment = align
    p.paragraph_format.space_after = Pt(after)
    p.paragraph_format.line_spacing = 1.0
    if text:
        run = p.add_run(_clean(text))
        run.bold, run.italic = bold, italic
        if size:
            run.font.size = Pt(size)
    return p


def _rule(cell: _Cell, width: float, column: float) -> None:
    """A rule `width` points long, centred in a column `column` points wide: an empty paragraph's bottom border."""
    p = _p(cell, after=0)
    pad = Pt(max(0.0, (column - width) / 2))
    p.paragraph_format.left_indent = pad
    p.paragraph_format.right_indent = pad
    p.paragraph_format.line_spacing = Pt(3)
    borders = OxmlElement("w:pBdr")
    bottom = OxmlElement("w:bottom")
    for key, value in (("w:val", "single"), ("w:sz", "6"), ("w:space", "1"), ("w:color", "000000")):
        bottom.set(qn(key), value)
    borders.append(bottom)
    p._p.get_or_add_pPr().append(borders)


def _no_borders(table: object) -> None:
    tbl = table._tbl  # type: ignore[attr-defined]
    borders = OxmlElement("w:tblBorders")
    for edge in ("top", "left", "bottom", "right", "insideH", "insideV"):
        el = OxmlElement(f"w:{edge}")
        el.set(qn("w:val"), "nil")
        borders.append(el)
    tbl.tblPr.append(borders)


def _two_columns(doc: DocxDocument, left: float, right: float) -> tuple[_Cell, _Cell]:
    table = doc.add_table(rows=1, cols=2)
    table.alignment = WD_TABLE_ALIGNMENT.CENTER
    table.autofit = False
    _no_borders(table)
    cells = table.rows[0].cells
    for cell, width in zip(cells, (left, right), strict=True):
        cell.width = Pt(width)
        cell.paragraphs[0].paragraph_format.space_after = Pt(0)
    return cells[0], cells[1]


def _header(doc: DocxDocument, governing: str, issuing: str, number: str, dated: str | None) -> None:
    left, right = _two_columns(doc, nd30.LEFT_W, nd30.RIGHT_W)
    first = left.paragraphs[0]
    first.alignment = WD_ALIGN_PARAGRAPH.CENTER
    if governing.strip():
        first.add_run(_clean(governing.upper())).font.size = Pt(nd30.ISSUER_PT)
        _p(left, issuing.upper(), size=nd30.ISSUER_PT, bold=True)
    else:
        run = first.add_run(_clean(issuing.upper()))
        run.bold, run.font.size = True, Pt(nd30.ISSUER_PT)
    _rule(left, nd30.issuer_rule(issuing), nd30.LEFT_W)
    _p(left, number, size=nd30.ISSUER_PT).paragraph_format.space_before = Pt(6)
    top = right.paragraphs[0]
    top.alignment = WD_ALIGN_PARAGRAPH.CENTER
    run = top.add_run(nd30.NATIONAL_TITLE)
    run.bold, run.font.size = True, Pt(nd30.QUOC_HIEU_PT)
    _p(right, nd30.MOTTO, size=nd30.MOTTO_PT, bold=True)
    _rule(right, nd30.text_width(nd30.MOTTO, nd30.MOTTO_PT, bold=True), nd30.RIGHT_W)
    if dated:
        _p(right, dated, size=nd30.BODY_PT, italic=True).paragraph_format.space_before = Pt(6)


class _RichRuns(HTMLParser):
    """The secretary's rich text as Word paragraphs: <p> and <li> open one (list items with "- "), <strong>,
    <em>, <u> style the runs; other elements' tags are dropped, their text kept."""

    def __init__(self, doc: DocxDocument) -> None:
        super().__init__(convert_charrefs=True)
        self.doc = doc
        self.paragraph: Paragraph | None = None
        self.styles: list[str] = []
        self.lists: list[list[int]] = []  # per open list: [is_ordered, counter]

    def _new(self, prefix: str = "", indent: bool = True) -> None:
        self.paragraph = _body_paragraph(self.doc, "para" if indent else "item")
        if prefix:
            self.paragraph.add_run(prefix)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag not in RICH_TEXT_TAGS:
            return
        if tag == "p":
            self._new()
        elif tag in ("ul", "ol"):
            self.lists.append([tag == "ol", 0])
        elif tag == "li":
            ordered = self.lists[-1] if self.lists else [False, 0]
            ordered[1] += 1
            self._new(f"{ordered[1]}. " if ordered[0] else "- ", indent=False)
        elif tag == "br" and self.paragraph is not None:
            self.paragraph.add_run().add_break()
        elif tag in ("strong", "em", "u"):
            self.styles.append(tag)

    def handle_endtag(self, tag: str) -> None:
        if tag in ("p", "li"):
            self.paragraph = None
        elif tag in ("ul", "ol") and self.lists:
            self.lists.pop()
        elif tag in ("strong", "em", "u") and tag in self.styles:
            self.styles.remove(tag)

    def handle_data(self, data: str) -> None:
        if not data.strip() and self.paragraph is None:
            return
        if self.paragraph is None:
            self._new()
        assert self.paragraph is not None
        run = self.paragraph.add_run(_clean(data))
        run.bold = "strong" in self.styles or None
        run.italic = "em" in self.styles or None
        run.underline = "u" in self.styles or None


def _body_paragraph(doc: DocxDocument, style: str) -> Paragraph:
    p = doc.add_paragraph()
    fmt = p.paragraph_format
    if style == "para":
        p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        fmt.first_line_indent = Cm(1.27)
    elif style == "item":
        p.alignment = WD_ALIGN_PARAGRAPH.JUSTIFY
        fmt.left_indent, fmt.first_line_indent = Pt(48), Pt(-20)
        fmt.space_after = Pt(2)
    else:
        p.alignment = _ALIGN[style]
        fmt.space_after = Pt(2)
        if style == "title":
            fmt.space_before = Pt(16)
    return p


def _blocks(doc: DocxDocument, blocks: list[Block]) -> None:
    for b in blocks:
        if b.style == "rich":
            parser = _RichRuns(doc)
            parser.feed(b.html)
            parser.close()
            continue
        p = _body_paragraph(doc, b.style)
        for r in b.runs:
            run = p.add_run(_clean(r.text))
            run.bold = r.bold or b.style in ("title", "subject", "draft-mark") or None
            run.italic = r.italic or b.style == "note" or None
            if b.style in ("title", "subject", "draft-mark"):
                run.font.size = Pt(nd30.TITLE_PT)
            if b.style == "draft-mark":
                run.font.color.rgb = RGBColor(0xB0, 0, 0)


def _signature(cell: _Cell, lines: list[str], name: str) -> None:
    first = cell.paragraphs[0]
    first.alignment = WD_ALIGN_PARAGRAPH.CENTER
    first.paragraph_format.space_after = Pt(0)
    for i, line in enumerate(lines):
        p = first if i == 0 else _p(cell)
        p.add_run(_clean(line)).bold = True
    gap = _p(cell)
    gap.paragraph_format.space_before = Pt(nd30.SIGN_GAP_PT - nd30.BODY_PT)  # the signature and the seal go here
    _p(cell, name, bold=True)


def _recipients(cell: _Cell, recipients: list[str], archive_line: str) -> None:
    first = cell.paragraphs[0]
    first.paragraph_format.space_after = Pt(0)
    run = first.add_run("Nơi nhận:")
    run.bold, run.italic, run.font.size = True, True, Pt(nd30.RECV_PT)
    for r in [r.strip().rstrip(";.") for r in recipients if r.strip()]:
        _p(cell, f"- {r};", size=nd30.RECV_ITEM_PT, align=WD_ALIGN_PARAGRAPH.LEFT)
    _p(cell, f"- {archive_line.strip() or 'Lưu: VT.'}", size=nd30.RECV_ITEM_PT, align=WD_ALIGN_PARAGRAPH.LEFT)


def _keep_with_next(p: Paragraph) -> None:
    p.paragraph_format.keep_with_next = True


def _bytes(doc: DocxDocument, title: str, author: str) -> bytes:
    doc.core_properties.title = _clean(title)
    doc.core_properties.author = _clean(author)
    buf = io.BytesIO()
    doc.save(buf)
    return buf.getvalue()


def minutes_docx(content: MinutesContent) -> bytes:
    """The biên bản as a .docx: same text as `render_minutes`, THƯ KÝ left, CHỦ TỌA right, then "Nơi nhận"."""
    doc = _document()
    _header(doc, content.issuer.governing_body, content.issuer.issuing_body, content.number.text(), None)
    _blocks(doc, minutes_pdf.body_blocks(content))
    closing = _body_paragraph(doc, "para")
    closing.add_run(_clean(minutes_pdf.closing_sentence(content)))
    _keep_with_next(closing)  # the signatures never stand alone on a page
    half = nd30.CONTENT.width / 2
    left, right = _two_columns(doc, half, half)
    (_, left_lines, left_name), (_, right_lines, right_name) = minutes_pdf.signers(content)
    _signature(left, left_lines, left_name)
    _signature(right, right_lines, right_name)
    recv, _ = _two_columns(doc, nd30.LEFT_W, nd30.RIGHT_W)
    _recipients(recv, content.recipients, content.archive_line)
    return _bytes(doc, f"Biên bản - {content.title}", content.issuer.issuing_body)


def conclusion_docx(content: ConclusionContent) -> bytes:
    """The thông báo kết luận as a .docx: same text as `render_conclusion`, Nơi nhận left, the signer right."""
    doc = _document()
    issuer = content.issuer
    _header(doc, issuer.governing_body, issuer.issuing_body, content.number.text(), conclusion_pdf.date_text(content))
    _blocks(doc, conclusion_pdf.body_blocks(content))
    if content.closing_html.strip():
        _blocks(doc, [Block("rich", html=content.closing_html)])
    if doc.paragraphs:
        _keep_with_next(doc.paragraphs[-1])
    recv, sign = _two_columns(doc, nd30.LEFT_W, nd30.RIGHT_W)
    _recipients(recv, content.recipients, content.archive_line)
    _signature(sign, conclusion_pdf.signer_lines(content), content.signer.name)
    return _bytes(doc, f"Thông báo - {content.summary}", issuer.issuing_body)
