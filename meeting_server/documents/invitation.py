"""Vietnamese administrative invitation ("GIẤY MỜI") rendered to an A4 PDF with pymupdf's Story API.

Layout follows Vietnamese government documents (Nghị định 30/2020/NĐ-CP): issuing body and number
top-left, national title/motto and place+date top-right, centred title, "Kính gửi", the body, then
"Nơi nhận" and the signature block, kept together on one page. User text is HTML-escaped; long
content flows onto further pages (numbered from page 2). CPU-heavy: run it via ``DocumentWorkers``.
"""

from __future__ import annotations

import functools
import html
import io
import itertools
import re
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pymupdf

VIETNAM_TZ = timezone(timedelta(hours=7), "ICT")

_WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
_PAGE = pymupdf.paper_rect("a4")
_CONTENT = pymupdf.Rect(85, 57, _PAGE.width - 57, _PAGE.height - 57)  # margins 30 mm left, 20 mm others
_LEFT_W = 185.0
_RIGHT_W = _CONTENT.width - _LEFT_W
_TITLE_BODY = re.compile(r"\s+(UBND|ỦY BAN NHÂN DÂN|SỞ)\s.*$")  # "CHỦ TỊCH UBND TỈNH" signs as "CHỦ TỊCH"
_ADMIN_LEVEL = re.compile(r"\s+(TỈNH|THÀNH PHỐ|HUYỆN|QUẬN|THỊ XÃ|XÃ|PHƯỜNG|THỊ TRẤN|ĐẶC KHU)\b.*$")

# Serif families whose regular/bold/italic/bold-italic faces cover Vietnamese, Times-like first. MuPDF's
# built-in serif (Charis SIL) lacks precomposed Vietnamese letters and substitutes a regular-weight Noto
# Serif for them (bold words would mix weights), so it is only the last resort.
_FONT_DIRS = ("/usr/share/fonts/truetype/{}", "/usr/share/fonts/{}", "/usr/local/share/fonts/{}")
_FONT_CANDIDATES = (
    (("liberation2", "liberation-serif"), "LiberationSerif-Regular", "LiberationSerif-"),
    (("noto", "google-noto", "noto-serif"), "NotoSerif-Regular", "NotoSerif-"),
    (("dejavu", "dejavu-serif-fonts"), "DejaVuSerifCondensed", "DejaVuSerifCondensed-"),
)
_VIETNAMESE_SAMPLE = "ẢẠẤẦẨẪẬẮẰẲẴẶĐẺẼẸẾỀỂỄỆỈỊỎỌỐỒỔỖỘƠỚỜỞỠỢỦỤƯỨỪỬỮỰỲỶỸỴơưđ"

_CSS = """
body { font-size: 13pt; line-height: 1.25; margin: 0; }
table { border-collapse: collapse; border-spacing: 0; margin: 0; }
p { margin: 0 0 4pt 0; }
td { padding: 0; vertical-align: top; }
.c { text-align: center; }
.hdr { font-size: 12pt; margin: 0; }
.rule { border-top: 0.7pt solid black; height: 0; margin-top: 3pt; }
.title { font-size: 14pt; font-weight: bold; text-align: center; margin: 16pt 0 0 0; }
.subject { font-weight: bold; text-align: center; margin: 0 0 12pt 0; }
.para { text-align: justify; text-indent: 28pt; }
.item { text-align: justify; padding-left: 48pt; text-indent: -20pt; margin-bottom: 2pt; }
.label { font-weight: bold; }
.recv { font-size: 12pt; font-weight: bold; font-style: italic; margin: 0; }
.small { font-size: 11pt; margin: 0; }
.sign { font-weight: bold; text-align: center; margin: 0; }
.pageno { text-align: center; font-size: 13pt; }
"""


@dataclass(frozen=True)
class InvitationData:
    meeting_id: str
    title: str
    starts_at: datetime
    ends_at: datetime | None
    location: str
    main_site: str
    sites: list[str]
    chair: str
    chair_title: str
    secretary: str
    issuing_unit: str
    parent_unit: str
    place_name: str
    recipients: list[str]
    agenda: list[tuple[str, str, int]]  # (title, presenter, planned minutes)
    issued_at: datetime

    def __post_init__(self) -> None:
        for name in ("starts_at", "ends_at", "issued_at"):
            value = getattr(self, name)
            if value is not None and value.utcoffset() is None:
                raise ValueError(f"{name} must be timezone-aware")


@functools.cache
def _fonts() -> tuple[str, pymupdf.Archive | None]:
    """CSS selecting the document font and the archive holding its files (None: built-in fonts)."""
    for subdirs, regular, prefix in _FONT_CANDIDATES:
        files = (regular, f"{prefix}Bold", f"{prefix}Italic", f"{prefix}BoldItalic")
        for folder in (Path(pattern.format(sub)) for sub in subdirs for pattern in _FONT_DIRS):
            if not all((folder / f"{name}.ttf").is_file() for name in files):
                continue
            try:
                font = pymupdf.Font(fontfile=str(folder / f"{regular}.ttf"))
            except RuntimeError:
                continue
            if not all(font.has_glyph(ord(ch)) for ch in _VIETNAMESE_SAMPLE):
                continue
            styles = (("normal", "normal"), ("bold", "normal"), ("normal", "italic"), ("bold", "italic"))
            css = "".join(
                f"@font-face {{font-family: VNSerif; src: url({n}.ttf); font-weight: {w}; font-style: {s}}}\n"
                for n, (w, s) in zip(files, styles, strict=True)
            )
            return css + "* { font-family: VNSerif, serif; }\n", pymupdf.Archive(str(folder))
    return "* { font-family: serif; }\n", None


def _story(html_text: str) -> pymupdf.Story:
    font_css, archive = _fonts()
    return pymupdf.Story(html=html_text, user_css=font_css + _CSS, archive=archive)


def _e(text: str) -> str:
    return html.escape(text, quote=True)


def _vn(dt: datetime) -> datetime:
    return dt.astimezone(VIETNAM_TZ)


def vietnamese_weekday(dt: datetime) -> str:
    """Weekday in Vietnam time as written mid-sentence: "thứ Hai" … "thứ Bảy", "Chủ nhật"."""
    return _WEEKDAYS[_vn(dt).weekday()]


def format_meeting_time(dt: datetime) -> str:
    """E.g. "08 giờ 00 phút, thứ Ba, ngày 24/11/2026" (Vietnam time, UTC+7)."""
    local = _vn(dt)
    return f"{local:%H} giờ {local:%M} phút, {vietnamese_weekday(dt)}, ngày {local:%d/%m/%Y}"


def format_date_line(place_name: str, dt: datetime) -> str:
    """E.g. "Tuyên Quang, ngày 22 tháng 11 năm 2026" (days < 10 and months 1-2 get a leading zero)."""
    local = _vn(dt)
    month = f"{local.month:02d}" if local.month < 3 else str(local.month)
    return f"{place_name}, ngày {local.day:02d} tháng {month} năm {local.year}"


def short_number(meeting_id: str) -> str:
    """Number for "Số: …/GM-UBND": the id itself if numeric, else its first 6 ASCII alphanumerics."""
    if meeting_id.isdigit():
        return str(int(meeting_id))
    compact = "".join(ch for ch in meeting_id if ch.isascii() and ch.isalnum())
    return (compact[:6] or "…").upper()


def signature_lines(issuing_unit: str, chair_title: str) -> list[str]:
    """E.g. ["TM. ỦY BAN NHÂN DÂN", "KT. CHỦ TỊCH", "PHÓ CHỦ TỊCH"] for "Phó Chủ tịch UBND tỉnh" signing for
    Ủy ban nhân dân tỉnh ...; the committee signs collectively (TM.), an agency through its head
    (["KT. GIÁM ĐỐC", "PHÓ GIÁM ĐỐC"] for a Phó Giám đốc Sở). The title drops the body it names."""
    body = _ADMIN_LEVEL.sub("", issuing_unit.strip().upper()) or issuing_unit.strip().upper()
    title = _TITLE_BODY.sub("", chair_title.strip().upper())
    lines = [f"TM. {body}"] if body.startswith("ỦY BAN NHÂN DÂN") else []
    if title.startswith("PHÓ "):
        return [*lines, f"KT. {title[4:].strip()}", title]
    return [*lines, title] if title else lines or [body]


def _header_html(d: InvitationData) -> str:
    return f"""
<table style="width:{_CONTENT.width}pt"><tr>
<td style="width:{_LEFT_W}pt" class="c">
  <p class="hdr">{_e(d.parent_unit.upper())}</p>
  <p class="hdr"><b>{_e(d.issuing_unit.upper())}</b></p>
  <div class="rule" style="margin-left:58pt;margin-right:58pt"></div>
  <p class="hdr" style="margin-top:6pt">Số: {_e(short_number(d.meeting_id))}/GM-UBND</p>
</td>
<td style="width:{_RIGHT_W}pt" class="c">
  <p class="hdr"><b>CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM</b></p>
  <p class="hdr" style="font-size:13pt"><b>Độc lập - Tự do - Hạnh phúc</b></p>
  <div class="rule" style="margin-left:44pt;margin-right:44pt"></div>
  <p class="hdr" style="margin-top:6pt"><i>{_e(format_date_line(d.place_name, d.issued_at))}</i></p>
</td>
</tr></table>
<p class="title">GIẤY MỜI</p>
<p class="subject">Về việc dự họp: {_e(d.title)}</p>
"""


def _listed(items: list[str], attrs: str) -> str:
    last = len(items) - 1
    return "".join(f"<p {attrs}>- {_e(x)}{'.' if i == last else ';'}</p>" for i, x in enumerate(items))


def _recipients_html(recipients: list[str]) -> str:
    names = [r.strip() for r in recipients if r.strip()] or ["Các đại biểu có tên trong danh sách triệu tập"]
    if len(names) == 1:
        return f'<p class="c" style="margin-bottom:10pt">Kính gửi: {_e(names[0])}.</p>'
    items = _listed(names, 'style="margin:0"')
    return (
        f'<table style="width:{_CONTENT.width}pt"><tr>'
        '<td style="width:120pt;text-align:right;padding-right:6pt"><p style="margin:0">Kính gửi:</p></td>'
        f'<td style="width:{_CONTENT.width - 126}pt">{items}</td>'
        '</tr></table><div style="height:8pt"></div>'
    )


def _body_html(d: InvitationData) -> str:
    numbers = itertools.count(1)

    def section(label: str, text: str = "") -> str:
        return f'<p class="para"><span class="label">{next(numbers)}. {label}:</span>{text}</p>'

    parts = [_header_html(d), _recipients_html(d.recipients)]
    parts.append(f'<p class="para">Trân trọng kính mời dự cuộc họp <b>{_e(d.title)}</b>, cụ thể như sau:</p>')
    when = format_meeting_time(d.starts_at)
    if d.ends_at is not None:
        end = _vn(d.ends_at)
        same_day = end.date() == _vn(d.starts_at).date()
        end_day = "" if same_day else f", ngày {end:%d/%m/%Y}"
        when += f" (dự kiến kết thúc lúc {end:%H} giờ {end:%M} phút{end_day})"
    parts.append(section("Thời gian", f" {_e(when)}."))
    place, main = d.location.strip(), d.main_site.strip()
    main_text = f"điểm cầu chính: {_e(main)}" if main and main != place else ""
    place_text = "; ".join(x for x in (_e(place), main_text) if x)
    if place_text:
        parts.append(section("Địa điểm", f" {place_text}."))
    sites = [s.strip() for s in d.sites if s.strip()]
    if sites:
        parts += [section(f"Các điểm cầu tham dự ({len(sites)})"), _listed(sites, 'class="item"')]
    chair = f"Đồng chí {_e(d.chair)}" + (f" - {_e(d.chair_title)}" if d.chair_title.strip() else "")
    parts.append(section("Chủ trì", f" {chair}."))
    if d.secretary.strip():
        parts.append(f'<p class="para"><span class="label">Thư ký cuộc họp:</span> {_e(d.secretary)}.</p>')
    if d.agenda:
        parts.append(section("Nội dung"))
    for i, (item, presenter, minutes) in enumerate(d.agenda, start=1):
        who = f"trình bày: {_e(presenter)}; " if presenter.strip() else ""
        parts.append(f'<p class="item">{i}. {_e(item)} ({who}thời lượng: {int(minutes)} phút).</p>')
    closing = "Đề nghị các đại biểu sắp xếp công việc, tham dự đầy đủ, đúng thời gian"
    if sites:
        closing += "; các điểm cầu hoàn thành kiểm tra kết nối trước giờ họp 30 phút"
    parts.append(f'<p class="para" style="margin-top:6pt">{closing}./.</p>')
    return "".join(parts)


def _closing_html(d: InvitationData) -> str:
    sign = "".join(f'<p class="sign">{_e(x)}</p>' for x in signature_lines(d.issuing_unit, d.chair_title))
    return f"""
<div style="height:12pt"></div>
<table style="width:{_CONTENT.width}pt"><tr>
<td style="width:{_LEFT_W}pt">
  <p class="recv">Nơi nhận:</p><p class="small">- Như trên;</p><p class="small">- Lưu: VT.</p>
</td>
<td style="width:{_RIGHT_W}pt">{sign}<p class="sign" style="margin-top:64pt">{_e(d.chair)}</p></td>
</tr></table>
"""


def render_invitation_pdf(data: InvitationData) -> bytes:
    """Render the invitation as an A4 PDF and return its bytes."""
    body, closing = _story(_body_html(data)), _story(_closing_html(data))
    buf = io.BytesIO()
    writer = pymupdf.DocumentWriter(buf)
    page_no, body_more, closing_pending = 0, True, True
    while body_more or closing_pending:
        device = writer.begin_page(_PAGE)
        page_no += 1
        if page_no > 1:
            number = _story(f'<p class="pageno">{page_no}</p>')
            number.place(pymupdf.Rect(_CONTENT.x0, 25, _CONTENT.x1, _CONTENT.y0))
            number.draw(device)
        top = _CONTENT.y0
        if body_more:
            body_more, filled = body.place(_CONTENT)
            body.draw(device)
            top = filled[3]
        if not body_more:
            fresh_page = top <= _CONTENT.y0 + 1
            closing_more, filled = 1, (0.0, 0.0, 0.0, 0.0)  # a near-zero-height rect would report "done"
            if _CONTENT.y1 - top > 20:
                closing_more, filled = closing.place(pymupdf.Rect(_CONTENT.x0, top, _CONTENT.x1, _CONTENT.y1))
            if fresh_page or (not closing_more and filled[3] <= _CONTENT.y1 + 1):
                closing.draw(device)
                closing_pending = bool(closing_more)
            else:  # keep "Nơi nhận" and the signature together: start a new page
                closing.reset()
        writer.end_page()
    writer.close()
    doc = pymupdf.open("pdf", buf.getvalue())
    doc.set_metadata({"title": f"Giấy mời - {data.title}", "author": data.issuing_unit, "creator": "meeting"})
    try:
        doc.subset_fonts()  # embedded whole, the four faces weigh over 1 MB
        return doc.tobytes(garbage=3, deflate=True)
    finally:
        doc.close()
