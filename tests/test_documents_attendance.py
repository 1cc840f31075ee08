"""The attendance list as PDF (read back with poppler's pdftotext), as CSV (as Excel would open it: UTF-8 with a BOM),
and the check-in QR code; the PDF made in a document worker, off the event loop."""

from __future__ import annotations

import csv
import io
import re
from pathlib import Path
from typing import Any

import pytest

from meeting_server import vocabulary as v
from meeting_server.documents.attendance_list import (
    AttendanceListData,
    attendance_csv,
    checkin_qr_svg,
    qr_box,
    qr_modules,
    render_attendance_pdf,
    render_checkin_sheet,
)
from meeting_server.documents.workers import DocumentWorkers
from meeting_server.domain import attendance as a
from meeting_server.domain.meetings import MeetingState
from tests.test_documents_export import poppler_pages
from tests.test_documents_invitation import pdftotext

T0 = "2026-12-07T08:00:00+07:00"
NOW = "2026-12-07T08:05:00+07:00"
STATE = MeetingState(
    id="m1", title="Kỳ họp thứ 5", organizer_id="u_org", starts_at=T0, status=v.IN_PROGRESS, published=True,
    sites=({"id": "s_xa1", "unit_id": "n_xa1"},),
)  # fmt: skip
MEMBERS = a.Membership(voting=frozenset({"u_an", "u_binh", "u_cuong"}), guests=frozenset({"u_khach"}))
DESK = a.Recorder("u_sec", v.role_grants(v.SECRETARY))
OPERATOR = a.Recorder("u_op", v.role_grants(v.SITE_OPERATOR), frozenset({"s_xa1"}))
NAMES = {
    "u_an": "Nguyễn Văn An",
    "u_binh": "Trần Thị Bình",
    "u_cuong": "Lê Văn Cường",
    "u_khach": "Phạm Khách Mời",
    "u_sec": "Hoàng Thư Ký",
    "u_op": "Đỗ Điều Hành",
    "s_xa1": "Xã Tân Trào",
}


def _data() -> AttendanceListData:
    att = a.Attendance()
    steps: list[tuple[a.Recorder, str, v.AttendanceStatus, dict[str, Any]]] = [
        (a.Recorder("u_an", frozenset({v.ATTENDANCE_CHECK_IN_SELF})), "u_an", v.CHECKED_IN, {"place": v.IN_HALL}),
        (OPERATOR, "u_binh", v.CHECKED_IN, {"place": v.AT_SITE, "site_id": "s_xa1"}),
        (DESK, "u_cuong", v.ABSENT_EXCUSED, {"reason": "Đi công tác"}),
        (DESK, "u_an", v.ABSENT_UNEXCUSED, {"reason": "Ghi nhầm người", "correction": True}),
    ]
    for recorder, person, status, kw in steps:
        att, _ = a.record(STATE, att, MEMBERS, recorder, person_id=person, status=status, at=NOW, now=NOW, **kw)
    rule = a.QuorumRule()
    return AttendanceListData(
        "Kỳ họp thứ 5", T0, att, MEMBERS, a.quorum(att, MEMBERS, rule), NAMES, printed_at="2026-12-07T09:00:00+07:00"
    )


@pytest.fixture(scope="module")
def pdf_text() -> str:
    return re.sub(r"\s+", " ", pdftotext(render_attendance_pdf(_data())))


@pytest.mark.parametrize(
    "expected",
    [
        "DANH SÁCH ĐIỂM DANH",
        "Kỳ họp thứ 5",
        "Có mặt 1/3 · chưa đủ điều kiện (cần 2)",
        "Trần Thị Bình",
        "Có mặt tại điểm cầu Xã",  # the cell wraps: "Tân Trào" on its next line
        "Tân Trào",
        "Đỗ Điều Hành (điểm cầu ghi",
        "Vắng có lý do — Đi công tác",
        "Đính chính: Hoàng Thư Ký (thư ký ghi nhận",
        "Vắng không lý do — Ghi nhầm người",
        "Trước đó: Có mặt tại hội trường",
        "Nguyễn Văn An (tự điểm danh",
        "Phạm Khách Mời",
        "Khách mời",
        "Chưa điểm danh",
        "08:05 07/12/2026",
    ],
)
def test_the_pdf_prints_every_entry_who_recorded_it_and_the_quorum(pdf_text: str, expected: str) -> None:
    assert expected in pdf_text


def test_members_come_before_guests_in_the_pdf(pdf_text: str) -> None:
    assert pdf_text.index("Lê Văn Cường") < pdf_text.index("Phạm Khách Mời")


def test_the_csv_opens_in_excel_with_its_diacritics_and_every_entry() -> None:
    raw = attendance_csv(_data())
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert rows[0] == ["Có mặt 1/3 · chưa đủ điều kiện (cần 2)"]
    assert rows[1][:3] == ["TT", "Mã", "Họ và tên"]
    an = [r for r in rows[2:] if r[1] == "u_an"]
    assert [r[4] for r in an] == ["Có mặt tại hội trường", "Vắng không lý do — Ghi nhầm người"]
    assert [r[7] for r in an] == ["", "có"] and [r[8] for r in an] == ["", "có"]
    assert an[0][6].startswith("Nguyễn Văn An (tự điểm danh")
    khach = [r for r in rows[2:] if r[1] == "u_khach"]
    assert khach == [["4", "u_khach", "Phạm Khách Mời", "Khách mời", "Chưa điểm danh", "", "", "", "có"]]


async def test_the_pdf_is_made_in_a_worker() -> None:
    async with DocumentWorkers(max_workers=1) as workers:
        pdf = await workers.run(render_attendance_pdf, _data())
    assert "DANH SÁCH ĐIỂM DANH" in pdftotext(pdf)


def test_the_qr_code_is_an_svg() -> None:
    svg = checkin_qr_svg("https://hop.example.vn/m/m1/checkin?c=m1.main.abc")
    assert svg.startswith("<svg") and "path" in svg


def test_the_door_sheet_prints_the_hall_and_a_qr_code_of_the_address(tmp_path: Path) -> None:
    url = "https://hop.example.vn/meetings/m1/checkin?c=m1.s_xa1.AbCdEfGhIjKlMnOp"
    pdf = tmp_path / "sheet.pdf"
    pdf.write_bytes(render_checkin_sheet("Kỳ họp thứ 5", "Điểm cầu xã Tân Trào", url))
    text = re.sub(r"\s+", " ", pdftotext(pdf.read_bytes()))
    for expected in ("ĐIỂM DANH", "Kỳ họp thứ 5", "Điểm cầu xã Tân Trào", "Quét mã bằng máy tính bảng", url):
        assert expected in text
    # poppler draws the page at 72 dpi (1 px = 1 pt): the centre of every module is dark exactly where the code's is
    (image,) = poppler_pages(pdf, tmp_path)
    modules, box = qr_modules(url), qr_box()
    size = box.width / len(modules)
    grey = image.convert("L")

    def dark(x: int, y: int) -> bool:
        value = grey.getpixel((int(box.x0 + (x + 0.5) * size), int(box.y0 + (y + 0.5) * size)))
        assert isinstance(value, int)
        return value < 128

    seen = [[dark(x, y) for x in range(len(modules))] for y in range(len(modules))]
    assert seen == modules
