"""The attendance list (danh sách điểm danh) for the minutes: an A4 PDF in Vietnamese and a CSV for Excel, and the
check-in QR code as SVG.

Both lists print one row per person (their latest entry: status, where, when, who recorded it and how) and under it
every earlier entry and correction, so nothing recorded is hidden; the quorum line heads the list. The PDF is
pymupdf's Story work: run `render_attendance_pdf` via `DocumentWorkers`. The CSV is UTF-8 with a byte-order mark,
which Excel needs to show diacritics.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime

import pymupdf
import segno

from ..domain.attendance import Attendance, Entry, Membership, Quorum
from ..vocabulary import ATTENDANCE_WORDS
from .invitation import VIETNAM_TZ, _e, _story
from .nd30 import fonts as _fonts
from .pdfout import finish, finished, flow

_PAGE = pymupdf.paper_rect("a4")
_CONTENT = pymupdf.Rect(57, 57, _PAGE.width - 42, _PAGE.height - 57)

_CSS = """
body { font-size: 11pt; line-height: 1.2; margin: 0; }
.title { font-size: 14pt; font-weight: bold; text-align: center; margin: 0; }
.sub { text-align: center; margin: 2pt 0 6pt 0; }
.quorum { font-weight: bold; text-align: center; margin: 0 0 8pt 0; }
table { border-collapse: collapse; }
td { border: 0.5pt solid black; padding: 2pt 3pt; vertical-align: top; font-size: 10pt; }
td.th { font-weight: bold; text-align: center; }
.old { font-style: italic; font-size: 9pt; }
"""

_COLUMNS = (
    ("TT", 22),
    ("Họ và tên", 120),
    ("Tư cách", 52),
    ("Trạng thái", 110),
    ("Thời điểm", 56),
    ("Người ghi nhận", 136),
)


@dataclass(frozen=True)
class AttendanceListData:
    """What the list prints: `names` maps user ids (and site ids) to the names to print; people on the membership
    who have no entry are listed as not checked in."""

    meeting_title: str
    starts_at: str
    attendance: Attendance
    membership: Membership
    quorum: Quorum
    names: Mapping[str, str] = field(default_factory=dict)
    printed_at: str = ""


def _local(iso: str) -> str:
    """ "08:20 07/12/2026" in Vietnam time; the text as it is when it is not a time."""
    try:
        moment = datetime.fromisoformat(iso)
    except (TypeError, ValueError):
        return iso
    if moment.tzinfo is not None:
        moment = moment.astimezone(VIETNAM_TZ)
    return f"{moment:%H:%M %d/%m/%Y}"


def _status(entry: Entry | None, names: Mapping[str, str]) -> str:
    if entry is None:
        return "Chưa điểm danh"
    text = entry.label("vi")
    if entry.site_id:
        text += f" {names.get(entry.site_id, entry.site_id)}"
    if entry.reason:
        text += f" — {entry.reason}"
    return text


def _recorder(entry: Entry | None, names: Mapping[str, str]) -> str:
    if entry is None:
        return ""
    who = names.get(entry.recorded_by, entry.recorded_by)
    how = ATTENDANCE_WORDS[entry.recorded_as][0]
    text = f"{who} ({how}, {_local(entry.recorded_at)})"
    return f"Đính chính: {text}" if entry.correction else text


@dataclass(frozen=True)
class _Line:
    number: int
    person_id: str
    name: str
    standing: str
    latest: Entry | None
    earlier: tuple[Entry, ...]


def _lines(data: AttendanceListData) -> list[_Line]:
    """Voting members first, then guests, then people counted in a hall; by name within each."""
    current = data.attendance.current()
    people = data.membership.voting | data.membership.guests | data.membership.stand_ins | frozenset(current)

    def name_of(pid: str) -> str:
        entry = current.get(pid)
        return data.names.get(pid) or (entry.name if entry else "") or pid

    def order(pid: str) -> tuple[int, str]:
        rank = 0 if data.membership.has_vote(pid) else 1 if pid in data.membership.guests else 2
        return rank, name_of(pid).casefold()

    out = []
    for number, pid in enumerate(sorted(people, key=order), start=1):
        history = data.attendance.history(pid)
        standing = (
            "Thành viên"
            if data.membership.has_vote(pid)
            else "Người dự thay"
            if pid in data.membership.stand_ins
            else "Khách mời"
        )
        out.append(_Line(number, pid, name_of(pid), standing, current.get(pid), history[:-1]))
    return out


def attendance_csv(data: AttendanceListData) -> bytes:
    """The list as CSV: one row per entry (the latest marked), UTF-8 with BOM so Excel shows Vietnamese."""
    buf = io.StringIO()
    writer = csv.writer(buf, lineterminator="\r\n")
    writer.writerow([data.quorum.line("vi")])
    writer.writerow(
        ["TT", "Mã", "Họ và tên", "Tư cách", "Trạng thái", "Thời điểm", "Người ghi nhận", "Đính chính", "Hiện hành"]
    )
    for line in _lines(data):
        entries: tuple[Entry | None, ...] = (*line.earlier, line.latest)
        for entry in entries:
            writer.writerow(
                [
                    line.number,
                    line.person_id,
                    line.name,
                    line.standing,
                    _status(entry, data.names),
                    _local(entry.at) if entry else "",
                    _recorder(entry, data.names),
                    "có" if entry and entry.correction else "",
                    "có" if entry is line.latest else "",
                ]
            )
    return ("\ufeff" + buf.getvalue()).encode("utf-8")


def _html(data: AttendanceListData) -> str:
    head = "".join(f'<td class="th" style="width:{w}pt">{_e(t)}</td>' for t, w in _COLUMNS)
    rows = []
    for line in _lines(data):
        cells = [
            str(line.number),
            _e(line.name),
            _e(line.standing),
            _e(_status(line.latest, data.names)),
            _e(_local(line.latest.at)) if line.latest else "",
            _e(_recorder(line.latest, data.names)),
        ]
        rows.append("<tr>" + "".join(f"<td>{c}</td>" for c in cells) + "</tr>")
        for old in line.earlier:
            was = f"Trước đó: {_status(old, data.names)}, {_local(old.at)} — {_recorder(old, data.names)}"
            rows.append(f'<tr><td></td><td colspan="5" class="old">{_e(was)}</td></tr>')
    printed = f" · In lúc {_local(data.printed_at)}" if data.printed_at else ""
    return (
        '<p class="title">DANH SÁCH ĐIỂM DANH</p>'
        f'<p class="sub">{_e(data.meeting_title)} · {_e(_local(data.starts_at))}{_e(printed)}</p>'
        f'<p class="quorum">{_e(data.quorum.line("vi"))}</p>'
        f"<table><tr>{head}</tr>{''.join(rows)}</table>"
    )


def render_attendance_pdf(data: AttendanceListData) -> bytes:
    """The list as an A4 PDF (CPU-heavy: run it via `DocumentWorkers`)."""
    pdf = flow(_story(_html(data), _CSS), _PAGE, _CONTENT)
    return finished(pdf, {"title": f"Danh sách điểm danh - {data.meeting_title}"})


_SHEET_CSS = """
body { margin: 0; text-align: center; }
.big { font-size: 28pt; font-weight: bold; margin: 0 0 6pt 0; }
.meeting { font-size: 16pt; margin: 0 0 4pt 0; }
.hall { font-size: 20pt; font-weight: bold; margin: 0; }
.how { font-size: 14pt; margin: 0 0 4pt 0; }
.en { font-size: 11pt; font-style: italic; margin: 0 0 8pt 0; }
.url { font-size: 9pt; margin: 0; }
"""
QR_SIDE = 340.0  # points: 12 cm, scanned from an arm's length
_QR_TOP = 200.0


def _checkin_qr(url: str) -> segno.QRCode:
    return segno.make(url, error="m")


def qr_modules(url: str) -> list[list[bool]]:
    """The QR code's dark modules, row by row, without its quiet zone (what the door sheet draws)."""
    return [[bool(cell) for cell in row] for row in _checkin_qr(url).matrix]


def qr_box() -> pymupdf.Rect:
    """Where the door sheet draws the QR code (its modules, without the quiet zone)."""
    left = (_PAGE.width - QR_SIDE) / 2
    return pymupdf.Rect(left, _QR_TOP, left + QR_SIDE, _QR_TOP + QR_SIDE)


def _place_html(page: pymupdf.Page, html_text: str, where: pymupdf.Rect) -> None:
    font_css, archive = _fonts()
    page.insert_htmlbox(where, html_text, css=font_css + _SHEET_CSS, archive=archive)


def render_checkin_sheet(meeting_title: str, hall: str, url: str) -> bytes:
    """The sheet for the hall's door: "ĐIỂM DANH", the meeting, the hall, a 12 cm QR code of the check-in page's
    address and how to use it, in Vietnamese then English, and the address in small print for typing."""
    doc = pymupdf.open()
    try:
        page = doc.new_page(width=_PAGE.width, height=_PAGE.height)
        head = f'<p class="big">ĐIỂM DANH</p><p class="meeting">{_e(meeting_title)}</p><p class="hall">{_e(hall)}</p>'
        foot = (
            f'<p class="how">Quét mã bằng máy tính bảng đã đăng nhập để điểm danh tại {_e(hall)}.</p>'
            '<p class="en">Scan the code with your signed-in tablet to check in here.</p>'
            f'<p class="url">{_e(url)}</p>'
        )
        box = qr_box()
        _place_html(page, head, pymupdf.Rect(_CONTENT.x0, 60, _CONTENT.x1, _QR_TOP - 10))
        _place_html(page, foot, pymupdf.Rect(_CONTENT.x0, box.y1 + 24, _CONTENT.x1, _CONTENT.y1))
        modules = qr_modules(url)
        size = box.width / len(modules)
        shape = page.new_shape()
        for y, row in enumerate(modules):
            for x, dark in enumerate(row):
                if dark:
                    x0, y0 = box.x0 + x * size, box.y0 + y * size
                    shape.draw_rect(pymupdf.Rect(x0, y0, x0 + size, y0 + size))
        shape.finish(color=None, fill=(0, 0, 0), width=0)
        shape.commit()
        return finish(doc, {"title": f"Điểm danh - {meeting_title} - {hall}"})
    finally:
        doc.close()


def checkin_qr_svg(url: str) -> str:
    """The check-in page's address as a QR code (SVG), for the hall's TV, the wall display and the door sheet."""
    return _checkin_qr(url).svg_inline(scale=8, border=2)


def checkin_qr_svg_file(url: str) -> str:
    """The QR code as an SVG document of its own (with its namespace, so a browser shows it as an <img>)."""
    out = io.BytesIO()
    _checkin_qr(url).save(out, kind="svg", scale=8, border=2, xmldecl=False)
    return out.getvalue().decode()


def checkin_qr_png(url: str) -> bytes:
    """The same QR code as a PNG (for a TV or a projector that shows pictures, not SVG): 12 pixels a module."""
    out = io.BytesIO()
    _checkin_qr(url).save(out, kind="png", scale=12, border=2)
    return out.getvalue()
