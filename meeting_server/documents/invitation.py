"""Vietnamese administrative invitation ("GIẤY MỜI") rendered to an A4 PDF with pymupdf's Story API.

Layout follows Vietnamese government documents (Nghị định 30/2020/NĐ-CP): issuing body and number
top-left, national title/motto and place+date top-right, centred title, "Kính gửi", the body, then
"Nơi nhận" and the signature block, kept together on one page and, where the body allows, never alone on
a page. User text is HTML-escaped; long content flows onto further pages (numbered from page 2).

A conference with many communes is written as an office writes it: the communes invited as units are
named as a group in "Kính gửi" ("Chủ tịch UBND các xã, phường thuộc tỉnh"), the sites are counted in
the body and listed in an annex after the signature ("DANH SÁCH ĐIỂM CẦU"). ``plan_lists`` decides
that, in pure code; the template only prints its answer. CPU-heavy: run it via ``DocumentWorkers``.
"""

from __future__ import annotations

import io
import itertools
import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

import pymupdf

from ..domain.units import DIVISION_TYPES
from . import nd30
from .nd30 import VIETNAM_TZ
from .pdfout import finished

_WEEKDAYS = ("thứ Hai", "thứ Ba", "thứ Tư", "thứ Năm", "thứ Sáu", "thứ Bảy", "Chủ nhật")
_PAGE = nd30.PAGE
_CONTENT = nd30.CONTENT  # margins 30 mm left, 20 mm others
_LEFT_W = nd30.LEFT_W
_RIGHT_W = nd30.RIGHT_W
_TITLE_BODY = re.compile(r"\s+(UBND|ỦY BAN NHÂN DÂN|SỞ)\s.*$")  # "CHỦ TỊCH UBND TỈNH" signs as "CHỦ TỊCH"
_ADMIN_LEVEL = re.compile(r"\s+(TỈNH|THÀNH PHỐ|HUYỆN|QUẬN|THỊ XÃ|XÃ|PHƯỜNG|THỊ TRẤN|ĐẶC KHU)\b.*$")

_CSS = (
    nd30.CSS
    + """
.annex-h { font-size: 14pt; font-weight: bold; text-align: center; margin: 0; }
.annex-ref { font-style: italic; text-align: center; margin: 2pt 0 10pt 0; }
.grid td { border: 0.6pt solid black; padding: 2pt 4pt; font-size: 12pt; }
.grid td.th { font-weight: bold; text-align: center; }
"""
)

GROUP_ABOVE = 10
"""More than this many communes of one area invited as units are named as a group in "Kính gửi"."""
SITES_INLINE_MAX = 20
"""Up to this many sites (besides the main one) are listed in the body; more are counted, listed in the annex."""

_COMMUNE_TYPES = DIVISION_TYPES["commune"]


@dataclass(frozen=True)
class InvitedUnit:
    """A unit invited as a whole (everyone in it). ``division_type`` is set for a commune-level unit (xã,
    phường, đặc khu); ``area`` names the unit above it inside a sentence ("tỉnh" for the issuer's own
    province, else e.g. "tỉnh Tuyên Quang") and ``area_size`` counts the commune-level units that area has."""

    authority: str  # "Ủy ban nhân dân xã Tân Trào"
    division_type: str = ""
    area: str = ""
    area_size: int = 0


@dataclass(frozen=True)
class SiteLine:
    """A participating site and the unit whose hall it is ("Xã Tân Trào", "xã")."""

    name: str
    unit: str = ""
    division_type: str = ""


@dataclass(frozen=True)
class Lists:
    """What the giấy mời prints for its addressees and sites: ``recipients`` after "Kính gửi"; either the
    ``sites`` inline or, when ``site_summary`` is set, that count in the body and ``annex_sites`` in the
    annex; ``annex_units`` lists the communes of a group that is only part of its area."""

    recipients: list[str]
    sites: list[str]
    site_summary: str = ""
    annex_sites: list[SiteLine] = field(default_factory=list)
    annex_units: list[str] = field(default_factory=list)


def _types_phrase(types: set[str]) -> str:
    """The division types present, in the order of the law's list: "xã, phường"."""
    return ", ".join(t for t in _COMMUNE_TYPES if t in types)


def plan_lists(named: Sequence[str], units: Sequence[InvitedUnit], sites: Sequence[SiteLine]) -> Lists:
    """Decide how "Kính gửi" and the sites read. People (and free text) stay named, in order. The communes
    of one area invited as units become one line when they are all of that area's communes (at least two)
    or more than ``GROUP_ABOVE`` of them; other units keep a line each. More than ``SITES_INLINE_MAX``
    sites (besides the main one) are counted in the body and listed in the annex."""
    lines = [n.strip() for n in named if n.strip()]
    by_area: dict[str, list[InvitedUnit]] = {}
    for u in units:
        if u.division_type in _COMMUNE_TYPES:
            by_area.setdefault(u.area, []).append(u)
    annex_units: list[str] = []
    grouped: set[str] = set()
    for u in units:
        members = by_area.get(u.area, []) if u.division_type in _COMMUNE_TYPES else []
        whole = len(members) >= 2 and len(members) >= u.area_size > 0
        if not (whole or len(members) > GROUP_ABOVE):
            lines.append(u.authority)
            continue
        if u.area in grouped:
            continue
        grouped.add(u.area)
        kinds = _types_phrase({m.division_type for m in members})
        within = f" thuộc {u.area}" if u.area else ""
        if whole:
            lines.append(f"Chủ tịch UBND các {kinds}{within}")
        else:
            lines.append(f"Chủ tịch UBND {len(members)} {kinds}{within} (danh sách kèm theo)")
            annex_units += [m.authority for m in members]
    listed = [s for s in sites if s.name.strip()]
    if len(listed) <= SITES_INLINE_MAX:
        return Lists(lines, [s.name.strip() for s in listed], annex_units=annex_units)
    types = {s.division_type for s in listed}
    kinds = _types_phrase(types) if types <= set(_COMMUNE_TYPES) else ""
    summary = f"{len(listed)} điểm cầu" + (f" {kinds}" if kinds else "")
    return Lists(lines, [], summary, listed, annex_units)


@dataclass(frozen=True)
class InvitationData:
    meeting_id: str
    title: str
    starts_at: datetime
    ends_at: datetime | None
    location: str
    main_site: str
    sites: list[SiteLine]  # besides the main one
    chair: str
    chair_title: str
    secretary: str
    issuing_unit: str
    parent_unit: str
    place_name: str
    recipients: list[str]  # people invited by name (or any line to print as it is), in order
    agenda: list[tuple[str, str, int]]  # (title, presenter, planned minutes)
    issued_at: datetime
    invited_units: list[InvitedUnit] = field(default_factory=list)
    issuer_abbreviation: str = (
        "UBND"  # after "GM-" in the number: "UBND" for a People's Committee, "STC" for Sở Tài chính
    )
    number: int | None = None  # from the register; None prints the blank "…/GM-UBND" for the office to fill in

    def __post_init__(self) -> None:
        for name in ("starts_at", "ends_at", "issued_at"):
            value = getattr(self, name)
            if value is not None and value.utcoffset() is None:
                raise ValueError(f"{name} must be timezone-aware")


def _story(html_text: str, css: str = _CSS) -> pymupdf.Story:
    return nd30.story(html_text, css)


_e = nd30.e  # user text escaped, without emoji (refused at input since issue 9; a title stored before may hold some)


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
    return nd30.date_line(place_name, dt)


NUMBER_BLANK = "…"
"""What the giấy mời prints for its number until the office's register of outgoing documents gives one: the
office writes the number in by hand ("Số: …/GM-UBND"), as it does for any document issued outside a register."""


def document_number(abbreviation: str, number: int | None = None) -> str:
    """ "07/GM-UBND" once the register gives the number (below 10 with a leading zero), "…/GM-UBND" until then:
    the document kind (GM, giấy mời) and the issuer after it."""
    shown = f"{number:02d}" if number is not None else NUMBER_BLANK
    return f"{shown}/GM-{abbreviation.strip() or 'UBND'}"


def issuer_abbreviation(kind: str, name: str, code: str) -> str:
    """What follows "GM-": a People's Committee (a province or commune issuing) is "UBND"; an agency its own
    code ("STC"), else the initials of its name ("Sở Tài chính" → "STC")."""
    if kind != "agency":
        return "UBND"
    if code.strip():
        return code.strip().upper()
    return "".join(word[0] for word in name.split() if word[:1].isalpha()).upper() or "UBND"


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
    number = f"Số: {document_number(d.issuer_abbreviation, d.number)}"
    dated = format_date_line(d.place_name, d.issued_at)
    return f"""{nd30.header_html(d.parent_unit, d.issuing_unit, number, dated)}
<p class="title">GIẤY MỜI</p>
<p class="subject" style="margin-bottom:12pt">Về việc dự họp: {_e(d.title)}</p>
"""


def _listed(items: list[str], attrs: str) -> str:
    last = len(items) - 1
    return "".join(f"<p {attrs}>- {_e(x)}{'.' if i == last else ';'}</p>" for i, x in enumerate(items))


def _recipients_html(recipients: list[str]) -> str:
    names = recipients or ["Các đại biểu có tên trong danh sách triệu tập"]
    if len(names) == 1:
        return f'<p class="c" style="margin-bottom:10pt">Kính gửi: {_e(names[0])}.</p>'
    # One row per addressee: a table row never splits, but the table does, so a long list flows on.
    last = len(names) - 1
    rows = "".join(
        f'<tr><td style="width:120pt;text-align:right;padding-right:6pt">{"Kính gửi:" if i == 0 else ""}</td>'
        f'<td style="width:{_CONTENT.width - 126}pt">- {_e(x)}{"." if i == last else ";"}</td></tr>'
        for i, x in enumerate(names)
    )
    return f'<table style="width:{_CONTENT.width}pt">{rows}</table><div style="height:8pt"></div>'


def _body_html(d: InvitationData, lists: Lists) -> str:
    numbers = itertools.count(1)

    def section(label: str, text: str = "") -> str:
        return f'<p class="para"><span class="label">{next(numbers)}. {label}:</span>{text}</p>'

    parts = [_header_html(d), _recipients_html(lists.recipients)]
    parts.append(f'<p class="para">Trân trọng kính mời dự cuộc họp <b>{_e(d.title)}</b>, cụ thể như sau:</p>')
    when = format_meeting_time(d.starts_at)
    if d.ends_at is not None:
        end = _vn(d.ends_at)
        same_day = end.date() == _vn(d.starts_at).date()
        end_day = "" if same_day else f", ngày {end:%d/%m/%Y}"
        when += f" (dự kiến kết thúc lúc {end:%H} giờ {end:%M} phút{end_day})"
    parts.append(section("Thời gian", f" {_e(when)}."))
    place, main = d.location.strip(), d.main_site.strip()
    main_text = f"điểm cầu chính: {_e(main)}" if main and main != place and not lists.site_summary else ""
    place_text = "; ".join(x for x in (_e(place), main_text) if x)
    if place_text:
        parts.append(section("Địa điểm", f" {place_text}."))
    if lists.site_summary:
        main_part = f" Điểm cầu chính: {_e(main)}; các điểm cầu:" if main else ""
        parts.append(section("Các điểm cầu tham dự", f"{main_part} {_e(lists.site_summary)} (danh sách kèm theo)."))
    elif lists.sites:
        parts += [section(f"Các điểm cầu tham dự ({len(lists.sites)})"), _listed(lists.sites, 'class="item"')]
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
    if lists.sites or lists.site_summary:
        closing += "; các điểm cầu hoàn thành kiểm tra kết nối trước giờ họp 30 phút"
    parts.append(f'<p class="para" style="margin-top:6pt">{closing}./.</p>')
    return "".join(parts)


def _closing_html(d: InvitationData) -> str:
    sign = "".join(f'<p class="sign">{_e(x)}</p>' for x in signature_lines(d.issuing_unit, d.chair_title))
    return f"""
<div style="height:12pt"></div>
<table style="width:{_CONTENT.width}pt"><tr>
<td style="width:{_LEFT_W}pt">{nd30.recipients_html(["Như trên"], "Lưu: VT.")}</td>
<td style="width:{_RIGHT_W}pt">{sign}<p class="sign" style="margin-top:64pt">{_e(d.chair)}</p></td>
</tr></table>
"""


def _annex_table(heading: str, columns: Sequence[tuple[str, float]], rows: Sequence[Sequence[str]]) -> str:
    """A numbered table: "STT" then ``columns`` (title, width in points); one row per entry of ``rows``."""
    cell = 'style="width:{}pt" class="{}"'
    head = "".join(f"<td {cell.format(w, 'th')}>{_e(t)}</td>" for t, w in (("STT", 36.0), *columns))
    body = "".join(
        f"<tr><td {cell.format(36.0, 'c')}>{n}</td>"
        + "".join(f"<td {cell.format(w, '')}>{_e(v)}</td>" for v, (_, w) in zip(row, columns, strict=True))
        + "</tr>"
        for n, row in enumerate(rows, start=1)
    )
    return f'<p class="annex-h">{_e(heading)}</p><table class="grid"><tr>{head}</tr>{body}</table>'


def _annex_html(d: InvitationData, lists: Lists) -> str:
    """The list sent with the giấy mời: a new page after the signature, referring back to it by number."""
    if not (lists.annex_sites or lists.annex_units):
        return ""
    issued = _vn(d.issued_at)
    ref = f"(Kèm theo Giấy mời số {document_number(d.issuer_abbreviation, d.number)} ngày {issued:%d/%m/%Y})"
    wide = _CONTENT.width - 36 - 8 * 3  # the number column and each cell's padding
    parts: list[str] = []
    if lists.annex_sites:
        site_rows = [(s.name, s.unit) for s in lists.annex_sites]
        columns = (("Điểm cầu", wide * 0.64), ("Đơn vị", wide * 0.36))
        parts.append(_annex_table("DANH SÁCH ĐIỂM CẦU", columns, site_rows))
    if lists.annex_units:
        unit_rows = [(u,) for u in lists.annex_units]
        parts.append(_annex_table("DANH SÁCH ĐƠN VỊ ĐƯỢC MỜI", (("Đơn vị", wide + 8),), unit_rows))
    first, *rest = parts
    return first.replace("</p>", f'</p><p class="annex-ref">{_e(ref)}</p>', 1) + "".join(
        f'<div style="height:14pt"></div>{p}' for p in rest
    )


_MAX_PAGES = 200
_LINE = 13 * 1.25  # one line of body text, in points


def _page_number(device: Any, page_no: int) -> None:
    nd30.page_number(device, page_no)


@dataclass
class _Page:
    body_end: float | None = None  # where the body's text ends on this page (None: no body text here)
    closing: bool = False  # "Nơi nhận" and the signature are drawn here


def _flow_main(
    writer: pymupdf.DocumentWriter | None, body: pymupdf.Story, closing: pymupdf.Story, cut: tuple[int, float] | None
) -> list[_Page]:
    """Place the body and then the closing block, page after page (drawn when ``writer`` is given).
    ``cut`` = (page index, y) ends the body's room on that page at y, to carry its last lines over."""
    body.reset()
    closing.reset()
    pages: list[_Page] = []
    body_more, closing_pending = True, True
    while body_more or closing_pending:
        if len(pages) >= _MAX_PAGES:
            raise RuntimeError("the giấy mời does not fit in a reasonable number of pages")
        page = _Page()
        pages.append(page)
        device = writer.begin_page(_PAGE) if writer else None
        if device is not None and len(pages) > 1:
            _page_number(device, len(pages))
        top = _CONTENT.y0
        if body_more:
            bottom = cut[1] if cut and cut[0] == len(pages) - 1 else _CONTENT.y1
            body_more, filled = body.place(pymupdf.Rect(_CONTENT.x0, _CONTENT.y0, _CONTENT.x1, bottom))
            body.draw(device)  # also without a device: drawing is what moves the story on
            top = page.body_end = filled[3] if not body_more else bottom
        if not body_more:
            fresh_page = top <= _CONTENT.y0 + 1
            closing_more, filled = 1, (0.0, 0.0, 0.0, 0.0)  # a near-zero-height rect would report "done"
            if _CONTENT.y1 - top > 20:
                closing_more, filled = closing.place(pymupdf.Rect(_CONTENT.x0, top, _CONTENT.x1, _CONTENT.y1))
            if fresh_page or (not closing_more and filled[3] <= _CONTENT.y1 + 1):
                closing.draw(device)
                page.closing = True
                closing_pending = bool(closing_more)
            else:  # keep "Nơi nhận" and the signature together: start a new page
                closing.reset()
        if writer is not None:
            writer.end_page()
    return pages


def _keep_closing_company(body: pymupdf.Story, closing: pymupdf.Story) -> tuple[int, float] | None:
    """Where to end the body early on the page before the closing block's, so that two lines of the body at
    least go over with it: alone on a page, or under a lone last line, it would look like an afterthought.
    None when no cut is needed or none helps."""
    pages = _flow_main(None, body, closing, None)
    signed = next(i for i, p in enumerate(pages) if p.closing)
    if signed == 0 or len(pages) > signed + 1:  # on page 1, or taller than a page: nothing to gain
        return None
    if _enough_company(pages, signed):
        return None
    y = (pages[signed - 1].body_end or _CONTENT.y1) - _LINE
    while y > _CONTENT.y0 + 60:  # never carry the whole page over
        trial = _flow_main(None, body, closing, (signed - 1, y))
        if len(trial) == signed + 1 and _enough_company(trial, signed):
            return signed - 1, y
        y -= _LINE / 2
    return None


def _enough_company(pages: list[_Page], signed: int) -> bool:
    carried = pages[signed].body_end
    return pages[signed].closing and carried is not None and carried - _CONTENT.y0 >= 2 * _LINE - 1


def _flow_annex(writer: pymupdf.DocumentWriter, annex: pymupdf.Story, first_page: int) -> None:
    more, page_no = True, first_page
    while more:
        device = writer.begin_page(_PAGE)
        _page_number(device, page_no)
        more, _ = annex.place(_CONTENT)
        annex.draw(device)
        writer.end_page()
        page_no += 1
        if page_no - first_page > _MAX_PAGES:
            raise RuntimeError("the annex does not fit in a reasonable number of pages")


def render_invitation_pdf(data: InvitationData) -> bytes:
    """Render the invitation as an A4 PDF and return its bytes."""
    lists = plan_lists(data.recipients, data.invited_units, data.sites)
    body, closing = _story(_body_html(data, lists)), _story(_closing_html(data))
    cut = _keep_closing_company(body, closing)
    buf = io.BytesIO()
    writer = pymupdf.DocumentWriter(buf)
    pages = _flow_main(writer, body, closing, cut)
    annex_html = _annex_html(data, lists)
    if annex_html:
        _flow_annex(writer, _story(annex_html), len(pages) + 1)
    writer.close()
    return finished(buf.getvalue(), {"title": f"Giấy mời - {data.title}", "author": data.issuing_unit})
