"""The layout every document we issue shares, as Nghị định 30/2020/NĐ-CP (Phụ lục I) sets it: A4, the margins, a
Times-metric serif with Vietnamese letters, the sizes of each element, the header's two columns (issuing body and
number on the left, quốc hiệu and tiêu ngữ on the right, each with its rule), the italic place/date line, page
numbers centred at the top from page 2, "Nơi nhận" and the signature blocks.

The giấy mời (documents/invitation.py), the biên bản (minutes_pdf.py) and the thông báo kết luận
(conclusion_pdf.py) are written with it; record_docx.py writes the same rules into a .docx. The rules are
listed, each with the test checking it, in docs/record.md ("Layout (Nghị định 30)"). CPU-heavy: callers run in
the document workers.
"""

from __future__ import annotations

import functools
import html
import io
import re
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

import pymupdf

from ..domain.record_content import SignatureBox
from ..domain.richtext import Reducer
from ..domain.text import without_pictographs
from ..vocabulary import SLOT_SEAL
from .pdfout import finished

VIETNAM_TZ = timezone(timedelta(hours=7), "ICT")
MM = 72 / 25.4  # points per millimetre

PAGE = pymupdf.paper_rect("a4")
MARGIN_TOP, MARGIN_BOTTOM, MARGIN_LEFT, MARGIN_RIGHT = 20 * MM, 20 * MM, 30 * MM, 20 * MM
CONTENT = pymupdf.Rect(MARGIN_LEFT, MARGIN_TOP, PAGE.width - MARGIN_RIGHT, PAGE.height - MARGIN_BOTTOM)
LEFT_W = 185.0  # the header's left column (issuing body, number); the right column takes the rest
RIGHT_W = CONTENT.width - LEFT_W

BODY_PT = 13.0
LINE_HEIGHT = 1.25  # of the font size; the decree allows single to 1.5
INDENT_PT = 1.27 / 2.54 * 72  # first-line indent, 1.27 cm
PARA_AFTER_PT = 6.0
NATIONAL_TITLE = "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"
MOTTO = "Độc lập - Tự do - Hạnh phúc"
QUOC_HIEU_PT, MOTTO_PT, ISSUER_PT, TITLE_PT, RECV_PT, RECV_ITEM_PT = 12.0, 14.0, 13.0, 14.0, 12.0, 11.0

BREAK_EVERY = 24  # characters between break points in a word longer than twice that (no line holds it)
SIGN_GAP_PT = 118.0  # between a block's title and its name: the signature and the seal go here
BOX_W, BOX_H = 200.0, 110.0  # the signature box (≥ 55 mm × 30 mm), centred in that gap
SEAL_PT = 36 * MM  # a seal's true size

# Serif families whose regular/bold/italic/bold-italic faces cover Vietnamese, Times-like first. MuPDF's
# built-in serif (Charis SIL) lacks precomposed Vietnamese letters and substitutes a regular-weight Noto
# Serif for them (bold words would mix weights), so it is only the last resort.
_FONT_DIRS = ("/usr/share/fonts/truetype/{}", "/usr/share/fonts/{}", "/usr/local/share/fonts/{}")
_FONT_CANDIDATES: tuple[tuple[tuple[str, ...], tuple[str, str, str, str]], ...] = (
    # (folders under the font directories, (regular, bold, italic, bold italic) file names without ".ttf")
    (
        ("msttcorefonts", "times-new-roman"),
        ("Times_New_Roman", "Times_New_Roman_Bold", "Times_New_Roman_Italic", "Times_New_Roman_Bold_Italic"),
    ),
    (
        ("liberation2", "liberation-serif"),
        ("LiberationSerif-Regular", "LiberationSerif-Bold", "LiberationSerif-Italic", "LiberationSerif-BoldItalic"),
    ),
    (
        ("noto", "google-noto", "noto-serif"),
        ("NotoSerif-Regular", "NotoSerif-Bold", "NotoSerif-Italic", "NotoSerif-BoldItalic"),
    ),
    (
        ("dejavu", "dejavu-serif-fonts"),
        (
            "DejaVuSerifCondensed",
            "DejaVuSerifCondensed-Bold",
            "DejaVuSerifCondensed-Italic",
            "DejaVuSerifCondensed-BoldItalic",
        ),
    ),
)
_VIETNAMESE_SAMPLE = "ẢẠẤẦẨẪẬẮẰẲẴẶĐẺẼẸẾỀỂỄỆỈỊỎỌỐỒỔỖỘƠỚỜỞỠỢỦỤƯỨỪỬỮỰỲỶỸỴơưđ"


@dataclass(frozen=True)
class FontChoice:
    css: str  # selects the family in a Story
    archive: pymupdf.Archive | None  # its files (None: MuPDF's built-in serif)
    files: tuple[Path, ...]  # regular, bold, italic, bold italic; () for the built-in one
    family: str  # the family name a .docx asks Word for


@functools.cache
def font_choice() -> FontChoice:
    """The document serif: the first installed family of `_FONT_CANDIDATES` carrying all Vietnamese letters."""
    for subdirs, names in _FONT_CANDIDATES:
        for folder in (Path(pattern.format(sub)) for sub in subdirs for pattern in _FONT_DIRS):
            files = tuple(folder / f"{name}.ttf" for name in names)
            if not all(f.is_file() for f in files):
                continue
            try:
                font = pymupdf.Font(fontfile=str(files[0]))
            except RuntimeError:
                continue
            if not all(font.has_glyph(ord(ch)) for ch in _VIETNAMESE_SAMPLE):
                continue
            styles = (("normal", "normal"), ("bold", "normal"), ("normal", "italic"), ("bold", "italic"))
            css = "".join(
                f"@font-face {{font-family: VNSerif; src: url({n}.ttf); font-weight: {w}; font-style: {s}}}\n"
                for n, (w, s) in zip(names, styles, strict=True)
            )
            family = font.name.replace("-Regular", "").replace("Regular", "").strip() or names[0]
            return FontChoice(css + "* { font-family: VNSerif, serif; }\n", pymupdf.Archive(str(folder)), files, family)
    return FontChoice("* { font-family: serif; }\n", None, (), "Times New Roman")


def fonts() -> tuple[str, pymupdf.Archive | None]:
    """CSS selecting the document font and the archive holding its files (None: built-in fonts)."""
    choice = font_choice()
    return choice.css, choice.archive


def text_width(text: str, size: float, *, bold: bool = False) -> float:
    """How wide `text` prints in the document font, in points (to size rules to their text)."""
    files = font_choice().files
    font = pymupdf.Font(fontfile=str(files[1 if bold else 0])) if files else pymupdf.Font("tibo" if bold else "tiro")
    return float(font.text_length(text, fontsize=size))


CSS = f"""
body {{ font-size: {BODY_PT}pt; line-height: {LINE_HEIGHT}; margin: 0; }}
table {{ border-collapse: collapse; border-spacing: 0; margin: 0; }}
p {{ margin: 0 0 {PARA_AFTER_PT}pt 0; }}
td {{ padding: 0; vertical-align: top; }}
ul, ol {{ margin: 0 0 {PARA_AFTER_PT}pt 0; padding-left: {INDENT_PT + 14}pt; }}
li {{ margin: 0 0 2pt 0; text-align: justify; }}
.c {{ text-align: center; }}
.hdr {{ font-size: {ISSUER_PT}pt; margin: 0; line-height: 1.15; }}
.qh {{ font-size: {QUOC_HIEU_PT}pt; font-weight: bold; margin: 0; line-height: 1.15; }}
.motto {{ font-size: {MOTTO_PT}pt; font-weight: bold; margin: 0; line-height: 1.15; }}
.rule {{ border-top: 0.7pt solid black; height: 0; margin-top: 2pt; }}
.dateline {{ font-style: italic; margin: 6pt 0 0 0; }}
.title {{ font-size: {TITLE_PT}pt; font-weight: bold; text-align: center; margin: 16pt 0 0 0; }}
.subject {{ font-size: {TITLE_PT}pt; font-weight: bold; text-align: center; margin: 0 0 2pt 0; }}
.draft-mark {{ font-size: 14pt; font-weight: bold; text-align: center; color: #b00000; margin: 0 0 4pt 0; }}
.para {{ text-align: justify; text-indent: {INDENT_PT}pt; }}
.item {{ text-align: justify; padding-left: 48pt; text-indent: -20pt; margin-bottom: 2pt; }}
.label {{ font-weight: bold; }}
.recv {{ font-size: {RECV_PT}pt; font-weight: bold; font-style: italic; margin: 0; line-height: 1.15; }}
.small {{ font-size: {RECV_ITEM_PT}pt; margin: 0; line-height: 1.15; }}
.sign {{ font-weight: bold; text-align: center; margin: 0; line-height: 1.15; }}
.pageno {{ text-align: center; font-size: {BODY_PT}pt; }}
"""


def story(html_text: str, css: str = CSS) -> pymupdf.Story:
    font_css, archive = fonts()
    return pymupdf.Story(html=html_text, user_css=font_css + css, archive=archive)


_LONG_WORD = re.compile(rf"\S{{{2 * BREAK_EVERY},}}")


def _breakable(word: re.Match[str]) -> str:
    text = word.group(0)
    return "\u200b".join(text[i : i + BREAK_EVERY] for i in range(0, len(text), BREAK_EVERY))


def e(text: str) -> str:
    """User text as a document prints it: escaped, without emoji, and a word too long for a line given places
    to break (zero-width spaces, which readers and pdftotext leave out) so that it never runs past the margin."""
    return html.escape(_LONG_WORD.sub(_breakable, without_pictographs(text)), quote=True)


class _Printed(Reducer):
    """domain/richtext's reduction, written as a document prints it: paragraphs of `paragraph_class`, a paragraph
    or list ending whatever was open (not inside a list item), loose text made a paragraph, text escaped by `e`."""

    def __init__(self, paragraph_class: str) -> None:
        super().__init__()
        self.paragraph_class = paragraph_class

    def start(self, tag: str) -> str:
        return f'<p class="{self.paragraph_class}">' if tag == "p" else f"<{tag}>"

    def void(self, tag: str) -> str:
        return f"<{tag}/>"

    def begin(self, tag: str) -> None:
        if tag in ("p", "ul", "ol") and "li" not in self.open:  # a block starts: whatever was open ends
            self.close_all()
        super().begin(tag)

    def data(self, data: str) -> None:
        if not data.strip():
            self.out.append(" " if data and self.open else "")
            return
        if not self.open:  # loose text becomes a paragraph
            self.out.append(self.start("p"))
            self.open.append("p")
        lead, trail = " " if data[0].isspace() else "", " " if data[-1].isspace() else ""
        self.out.append(lead + e(data).strip() + trail)


def rich(html_text: str, paragraph_class: str = "para") -> str:
    """The secretary's rich text as the document prints it: paragraphs, lists, bold, italic, underline; text not
    in a paragraph or list becomes one; every other element's tags are dropped (their text stays, escaped), and a
    script's or style's content with them (domain/richtext.Reducer, the one reduction)."""
    return _Printed(paragraph_class).reduce(html_text)


@dataclass(frozen=True)
class Run:
    text: str
    bold: bool = False
    italic: bool = False


@dataclass(frozen=True)
class Block:
    """One paragraph of a document's body, for the PDF and the .docx alike: `style` is "para" (justified, first
    line indented), "item" (a list line), "title", "subject", "draft-mark", "note" (centred italic) or "rich" (`html`
    holds the secretary's rich text)."""

    style: str
    runs: tuple[Run, ...] = ()
    html: str = ""


DRAFT_MARK = Block("draft-mark", (Run("DỰ THẢO"),))
"""What a document without its register number yet prints under the header."""


def para(*parts: str | Run, style: str = "para") -> Block:
    return Block(style, tuple(Run(p) if isinstance(p, str) else p for p in parts))


def blocks_html(blocks: list[Block]) -> str:
    """The blocks as Story HTML; every text escaped."""
    out = []
    for b in blocks:
        if b.style == "rich":
            out.append(rich(b.html))
            continue
        text = "".join(
            (f"<b>{e(r.text)}</b>" if r.bold else e(r.text)) if not r.italic else f"<i>{e(r.text)}</i>" for r in b.runs
        )
        cls = {"note": "c", "draft-mark": "draft-mark", "title": "title", "subject": "subject", "item": "item"}.get(
            b.style, "para"
        )
        extra = ' style="margin-top:10pt"' if b.style == "draft-mark" else ""
        out.append(f'<p class="{cls}"{extra}>{text}</p>' if b.style != "note" else f'<p class="c"><i>{text}</i></p>')
    return "".join(out)


def _vn(moment: datetime) -> datetime:
    return moment.astimezone(VIETNAM_TZ)


def date_line(place: str, day: date | datetime) -> str:
    """ "Tuyên Quang, ngày 05 tháng 01 năm 2027": days below 10 and months 1–2 with a leading zero (Vietnam time)."""
    local = _vn(day).date() if isinstance(day, datetime) else day
    month = f"{local.month:02d}" if local.month < 3 else str(local.month)
    return f"{place}, ngày {local.day:02d} tháng {month} năm {local.year}"


def clock(moment: datetime) -> str:
    """ "08 giờ 05 phút, ngày 05/01/2027" in Vietnam time."""
    local = _vn(moment)
    return f"{local:%H} giờ {local:%M} phút, ngày {local:%d/%m/%Y}"


def widest_line(text: str, size: float, width: float, *, bold: bool = False) -> float:
    """How wide the widest line of `text` is once wrapped at spaces into lines of `width` points."""
    widest, line = 0.0, ""
    for word in text.split():
        trial = f"{line} {word}".strip()
        if line and text_width(trial, size, bold=bold) > width:
            widest, line = max(widest, text_width(line, size, bold=bold)), word
        else:
            line = trial
    return min(width, max(widest, text_width(line, size, bold=bold)))


def issuer_rule(issuer: str) -> float:
    """The rule under the issuing body: 2/5 (between 1/3 and 1/2) of its widest line in the header's left column."""
    return 0.4 * widest_line(issuer.upper(), ISSUER_PT, LEFT_W, bold=True)


def header_html(governing_body: str, issuing_body: str, number: str, dated: str | None) -> str:
    """The two header columns: governing body (upper case) over the issuing body (bold upper case, a rule 2/5 of
    its width under it) and "Số: …" on the left; quốc hiệu, tiêu ngữ with its rule exactly as long as the text,
    and the italic place/date line (when the form has one) on the right."""
    issuer = issuing_body.upper()
    issuer_pad = (LEFT_W - issuer_rule(issuer)) / 2
    motto_pad = (RIGHT_W - text_width(MOTTO, MOTTO_PT, bold=True)) / 2  # the rule: as long as the tiêu ngữ
    governing = f'<p class="hdr">{e(governing_body.upper())}</p>' if governing_body.strip() else ""
    date_p = f'<p class="dateline">{e(dated)}</p>' if dated else ""
    return f"""
<table style="width:{CONTENT.width}pt"><tr>
<td style="width:{LEFT_W}pt" class="c">
  {governing}<p class="hdr" id="hdr-issuer"><b>{e(issuer)}</b></p>
  <div class="rule" style="margin-left:{issuer_pad:.2f}pt;margin-right:{issuer_pad:.2f}pt"></div>
  <p class="hdr" style="margin-top:6pt">{e(number)}</p>
</td>
<td style="width:{RIGHT_W}pt" class="c">
  <p class="qh">{NATIONAL_TITLE}</p>
  <p class="motto">{MOTTO}</p>
  <div class="rule" style="margin-left:{motto_pad:.2f}pt;margin-right:{motto_pad:.2f}pt"></div>
  {date_p}
</td>
</tr></table>
"""


def recipients_html(recipients: list[str], archive_line: str) -> str:
    """ "Nơi nhận:" (12 pt bold italic) and its entries (11 pt), each "- …;", the last "- Lưu: VT, …"."""
    entries = [r.strip().rstrip(";.") for r in recipients if r.strip()]
    lines = [f'<p class="small">- {e(r)};</p>' for r in entries]
    lines.append(f'<p class="small">- {e(archive_line.strip() or "Lưu: VT.")}</p>')
    return '<p class="recv">Nơi nhận:</p>' + "".join(lines)


def signature_block_html(slot: str, lines: list[str], name: str) -> str:
    """A signature block: its title lines (bold, upper case), the room for the signature, the name (bold). The
    ids let `render` find where the room is."""
    titles = "".join(f'<p class="sign">{e(x)}</p>' for x in lines)
    return (
        f'<div id="sig-{slot}-title">{titles}</div>'
        f'<p class="sign" id="sig-{slot}-name" style="margin-top:{SIGN_GAP_PT}pt">{e(name)}</p>'
    )


_MAX_PAGES = 300


def page_number(device: Any, page_no: int) -> None:
    """The page number, centred in the top margin (from page 2)."""
    number = story(f'<p class="pageno">{page_no}</p>')
    number.place(pymupdf.Rect(CONTENT.x0, MARGIN_TOP - 30, CONTENT.x1, CONTENT.y0))
    number.draw(device)


@dataclass
class _Where:
    page: int
    rect: tuple[float, float, float, float]


def render(
    body_html: str, closing_html: str, metadata: dict[str, str], slots: list[str], seal_in: str | None = None
) -> tuple[bytes, dict[str, SignatureBox]]:
    """Flow `body_html`, then `closing_html` kept whole on one page (a new page when it does not fit where the
    body ends; the closing starts with the body's last paragraph so it never stands alone), numbering pages from
    2. Returns the PDF and, per slot in `slots`, the signature box between that block's title and name (and, with
    `seal_in`, a SLOT_SEAL box: the seal's place over the left part of that slot's box)."""
    body, closing = story(body_html), story(closing_html)
    where: dict[str, _Where] = {}
    state = {"page": 0}

    def recorder(pos: Any) -> None:
        if pos.id and pos.id.startswith("sig-") and pos.open_close & 1:
            where[pos.id] = _Where(state["page"], tuple(pos.rect))

    buf = io.BytesIO()
    writer = pymupdf.DocumentWriter(buf)
    more, page_no = True, 0
    top = CONTENT.y0
    while more:
        device = writer.begin_page(PAGE)
        if page_no > 0:
            page_number(device, page_no + 1)
        more, filled = body.place(CONTENT)
        body.draw(device)
        top = filled[3] if not more else CONTENT.y1
        if more:
            writer.end_page()
            page_no += 1
            if page_no > _MAX_PAGES:
                raise RuntimeError("the document does not fit in a reasonable number of pages")
    state["page"] = page_no
    closing_more, filled = closing.place(pymupdf.Rect(CONTENT.x0, top, CONTENT.x1, CONTENT.y1))
    # MuPDF may call a table that ran past the rect's bottom placed: what ran past counts as not fitting
    if closing_more or filled[3] > CONTENT.y1 + 1:  # not whole where the body ends: a fresh page for it
        writer.end_page()
        page_no += 1
        closing = story(closing_html)
        device = writer.begin_page(PAGE)
        page_number(device, page_no + 1)
        state["page"] = page_no
        closing_more, _ = closing.place(CONTENT)
        while closing_more:  # taller than a page (a huge last paragraph): let it flow on
            closing.element_positions(recorder)
            closing.draw(device)
            writer.end_page()
            page_no += 1
            device = writer.begin_page(PAGE)
            page_number(device, page_no + 1)
            state["page"] = page_no
            closing_more, _ = closing.place(CONTENT)
    closing.element_positions(recorder)
    closing.draw(device)
    writer.end_page()
    writer.close()
    return finished(buf.getvalue(), metadata), _boxes(where, slots, seal_in)


def _boxes(where: dict[str, _Where], slots: list[str], seal_in: str | None) -> dict[str, SignatureBox]:
    boxes: dict[str, SignatureBox] = {}
    for slot in slots:
        title, name = where.get(f"sig-{slot}-title"), where.get(f"sig-{slot}-name")
        if title is None or name is None:
            continue
        cx = (title.rect[0] + title.rect[2]) / 2
        gap_top, gap_bottom = title.rect[3], name.rect[1]
        cy = (gap_top + gap_bottom) / 2
        top, bottom = cy - BOX_H / 2, cy + BOX_H / 2
        boxes[slot] = SignatureBox(
            page=name.page, x0=cx - BOX_W / 2, y0=PAGE.height - bottom, x1=cx + BOX_W / 2, y1=PAGE.height - top
        )
    if seal_in is not None and seal_in in boxes:
        box = boxes[seal_in]
        mid = (box.y0 + box.y1) / 2
        boxes[SLOT_SEAL] = SignatureBox(box.page, box.x0, mid - SEAL_PT / 2, box.x0 + SEAL_PT, mid + SEAL_PT / 2)
    return boxes
