"""Top-level helpers for the document tests: picklable, so spawned worker processes can import them."""

from __future__ import annotations

import os
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from meeting_server.documents import pdfcheck
from meeting_server.documents.invitation import InvitationData, SiteLine, render_invitation_pdf

VN = timezone(timedelta(hours=7))

SITES = [
    f"Điểm cầu xã {name}"
    for name in (
        "Hợp Thành", "Kháng Nhật", "Hợp Hòa", "Thiện Kế", "Sơn Nam", "Đại Phú", "Phúc Ứng",
        "Tú Thịnh", "Đông Thọ", "Quyết Thắng", "Vĩnh Lợi", "Trường Sinh", "Hồng Lạc", "Thượng Ấm",
    )
]  # fmt: skip

AGENDA = [
    ("Báo cáo tình hình kinh tế - xã hội tháng 11, nhiệm vụ trọng tâm tháng 12", "Nguyễn Thị Hương", 20),
    ("Tiến độ chuyển đổi số cấp xã; ý kiến của các điểm cầu", "Trần Văn Đức", 30),
    ("Kế hoạch phòng chống thiên tai, tìm kiếm cứu nạn", "Lê Quang Vinh", 15),
    ("Thảo luận, kiến nghị của Ủy ban nhân dân các xã", "Đại diện các xã", 40),
    ("Kết luận của đồng chí chủ trì", "Phạm Minh Tuấn", 15),
]


def sample_invitation(*, agenda_items: int = 5, **changes: object) -> InvitationData:
    agenda = [AGENDA[i % len(AGENDA)] for i in range(agenda_items)]
    fields: dict[str, object] = {
        "meeting_id": "2f9c1a7e-5b",
        "title": "Giao ban trực tuyến tháng 11 năm 2026",
        "starts_at": datetime(2026, 11, 24, 1, 0, tzinfo=UTC),  # 08:00 Tuesday in Vietnam
        "ends_at": datetime(2026, 11, 24, 11, 30, tzinfo=VN),
        "location": "Hội trường tầng 3, trụ sở Ủy ban nhân dân huyện",
        "main_site": "Điểm cầu tỉnh Tuyên Quang",
        "sites": [SiteLine(name) for name in SITES],
        "chair": "Phạm Minh Tuấn",
        "chair_title": "Phó Chủ tịch",
        "secretary": "Vũ Thị Lan",
        "issuing_unit": "ỦY BAN NHÂN DÂN HUYỆN SƠN DƯƠNG",
        "parent_unit": "TỈNH TUYÊN QUANG",
        "place_name": "Sơn Dương",
        "recipients": ["Thường trực Huyện ủy", "Các phòng, ban, ngành thuộc huyện", "Ủy ban nhân dân các xã"],
        "agenda": agenda,
        "issued_at": datetime(2026, 11, 22, 9, 0, tzinfo=VN),
    }
    fields.update(changes)
    fields["sites"] = [SiteLine(s) if isinstance(s, str) else s for s in fields["sites"]]  # type: ignore[attr-defined]
    return InvitationData(**fields)  # type: ignore[arg-type]


def render_sample_invitation(agenda_items: int) -> bytes:
    return render_invitation_pdf(sample_invitation(agenda_items=agenda_items))


def add(a: int, b: int) -> int:
    return a + b


def hold(held: str, release: str = "") -> int:
    """A job that ends when the test says so, or never: create the file ``held`` (the test knows a worker has
    the job), then wait until the file ``release`` exists, forever without one. Returns the worker's pid."""
    with open(held, "x") as marker:
        marker.write(str(os.getpid()))
    _wait_for_file(release)
    return os.getpid()


def _wait_for_file(release: str) -> None:
    while not (release and os.path.exists(release)):
        time.sleep(0.01)


def exit_hard(code: int) -> None:
    os._exit(code)


def allocate(nbytes: int) -> int:
    block = bytearray(nbytes)
    return len(block)


def raise_value_error(message: str) -> None:
    raise ValueError(message)


def worker_pid() -> int:
    return os.getpid()


def huge_pixmap() -> None:
    import pymupdf

    pymupdf.Pixmap(pymupdf.csRGB, pymupdf.IRect(0, 0, 60000, 60000))  # MuPDF refuses: not picklable error


def meet_pid(directory: str, jobs: int) -> int:
    """Which worker ran the job; returns only when ``jobs`` such jobs are running at once, so they ran on
    ``jobs`` different workers."""
    Path(directory, str(os.getpid())).touch()
    while len(os.listdir(directory)) < jobs:
        time.sleep(0.01)
    return os.getpid()


@dataclass(frozen=True)
class HeldRender:
    """``pdfcheck.render_pages`` (a ``PaperPipeline``'s ``render_pages``), except that a job with page ``page``
    in it is held: it creates the file ``held`` (so a test knows a worker holds it), then waits until the file
    ``release`` exists, forever if it never does (a page too heavy for any timeout, however fast the machine).
    With ``once``, only the first such job is held: a retry renders."""

    page: int
    held: str
    release: str = ""
    once: bool = False

    def __call__(
        self,
        path: str,
        out_dir: str,
        jobs: list[tuple[int, list[int], bool]],
        settings: dict[str, Any],
    ) -> int:
        if any(number == self.page for number, _, _ in jobs):
            try:
                with open(self.held, "x") as marker:
                    marker.write(str(os.getpid()))
            except FileExistsError:
                if self.once:
                    return pdfcheck.render_pages(path, out_dir, jobs, settings)
            _wait_for_file(self.release)
        return pdfcheck.render_pages(path, out_dir, jobs, settings)
