"""The GIẤY MỜI PDF: real rendering, checked through poppler's pdftotext (an independent PDF reader)."""

from __future__ import annotations

import re
import shutil
import subprocess
from datetime import UTC, datetime

import pymupdf
import pytest

from meeting_server.documents import invitation
from meeting_server.documents.invitation import (
    InvitationData,
    format_date_line,
    format_meeting_time,
    render_invitation_pdf,
    signature_lines,
    vietnamese_weekday,
)
from tests.worker_fns import SITES, VN, sample_invitation


def pdftotext(pdf: bytes) -> str:
    exe = shutil.which("pdftotext")
    if exe is None:
        pytest.fail("pdftotext (poppler-utils) is required: apt-get install poppler-utils")
    out = subprocess.run([exe, "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def flat(text: str) -> str:
    """Collapse whitespace so that strings wrapped across lines still match."""
    return re.sub(r"\s+", " ", text)


@pytest.fixture(scope="module")
def sample_text() -> str:
    data = sample_invitation(agenda_items=5, title="Giao ban trực tuyến tháng 11 & <chuẩn bị> năm 2027")
    assert len(data.sites) == 14
    return flat(pdftotext(render_invitation_pdf(data)))


@pytest.mark.parametrize(
    "expected",
    [
        "GIẤY MỜI",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Độc lập - Tự do - Hạnh phúc",
        "TỈNH TUYÊN QUANG",
        "ỦY BAN NHÂN DÂN HUYỆN SƠN DƯƠNG",
        "Số: 2F9C1A/GM-UBND",
        "Sơn Dương, ngày 22 tháng 11 năm 2026",
        "Về việc dự họp: Giao ban trực tuyến tháng 11 & <chuẩn bị> năm 2027",
        "Kính gửi:",
        "Thường trực Huyện ủy;",
        "08 giờ 00 phút, thứ Ba, ngày 24/11/2026",
        "dự kiến kết thúc lúc 11 giờ 30 phút",
        "Hội trường tầng 3, trụ sở Ủy ban nhân dân huyện",
        "điểm cầu chính: Điểm cầu huyện Sơn Dương",
        "Điểm cầu xã Hợp Thành;",
        "Điểm cầu xã Thượng Ấm.",
        "Chủ trì: Đồng chí Phạm Minh Tuấn - Phó Chủ tịch",
        "Thư ký cuộc họp: Vũ Thị Lan",
        "Nội dung",
        "1. Báo cáo tình hình kinh tế - xã hội tháng 11, nhiệm vụ trọng tâm tháng 12",
        "trình bày: Nguyễn Thị Hương; thời lượng: 20 phút",
        "5. Kết luận của đồng chí chủ trì",
        "Nơi nhận:",
        "TM. ỦY BAN NHÂN DÂN",
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
    ],
)
def test_vietnamese_text_survives_extraction(sample_text: str, expected: str) -> None:
    assert expected in sample_text


def test_every_site_is_listed(sample_text: str) -> None:
    for site in SITES:
        assert site in sample_text


def test_user_text_is_escaped_not_interpreted() -> None:
    data = sample_invitation(agenda_items=1, title="<b>Họp</b> & <script>x</script>", recipients=["A&B"])
    text = flat(pdftotext(render_invitation_pdf(data)))
    assert "<b>Họp</b> & <script>x</script>" in text
    assert "Kính gửi: A&B." in text


def test_pdf_is_a4_with_vietnamese_capable_fonts() -> None:
    doc = pymupdf.open("pdf", render_invitation_pdf(sample_invitation()))
    assert doc.page_count >= 1
    assert (round(doc[0].rect.width), round(doc[0].rect.height)) == (595, 842)
    assert doc.metadata is not None and doc.metadata["title"].startswith("Giấy mời - ")
    fonts = {f[3] for page in doc.pages() for f in page.get_fonts()}
    assert any("Bold" in f for f in fonts) and any("Italic" in f for f in fonts)


def test_long_agenda_flows_onto_more_pages() -> None:
    short = pymupdf.open("pdf", render_invitation_pdf(sample_invitation(agenda_items=1, sites=[])))
    assert short.page_count == 1
    pdf = render_invitation_pdf(sample_invitation(agenda_items=60))
    doc = pymupdf.open("pdf", pdf)
    assert doc.page_count > 1
    text = flat(pdftotext(pdf))
    assert "60. " in text and text.count("Nguyễn Thị Hương") == 12
    # The signature block is drawn once, on the last page, together with "Nơi nhận".
    last = flat(doc[-1].get_text())
    assert "Nơi nhận:" in last and "PHÓ CHỦ TỊCH" in last and "Phạm Minh Tuấn" in last


@pytest.mark.parametrize("agenda_items", range(14, 24))
def test_closing_block_is_never_split_or_lost(agenda_items: int) -> None:
    doc = pymupdf.open("pdf", render_invitation_pdf(sample_invitation(agenda_items=agenda_items)))
    pages = [flat(page.get_text()) for page in doc.pages()]
    assert sum("Nơi nhận:" in p for p in pages) == 1
    assert "Nơi nhận:" in pages[-1] and "TM. ỦY BAN NHÂN DÂN" in pages[-1] and "Phạm Minh Tuấn" in pages[-1]
    assert all(str(n) in pages[n - 1][:20] for n in range(2, len(pages) + 1))  # page numbers from page 2


def test_builtin_font_fallback_still_carries_diacritics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(invitation, "_FONT_CANDIDATES", ())
    invitation._fonts.cache_clear()
    try:
        text = flat(pdftotext(render_invitation_pdf(sample_invitation())))
    finally:
        invitation._fonts.cache_clear()
    for expected in (
        "GIẤY MỜI",
        "CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM",
        "Điểm cầu xã Hợp Thành",
        "Nguyễn Thị Hương",
    ):
        assert expected in text


@pytest.mark.parametrize(
    ("moment", "weekday"),
    [
        (datetime(2026, 11, 23, 1, 0, tzinfo=UTC), "thứ Hai"),
        (datetime(2026, 11, 24, 1, 0, tzinfo=UTC), "thứ Ba"),
        (datetime(2026, 11, 23, 18, 0, tzinfo=UTC), "thứ Ba"),  # Monday in UTC, 01:00 Tuesday in Vietnam
        (datetime(2026, 11, 28, 9, 0, tzinfo=VN), "thứ Bảy"),
        (datetime(2026, 11, 29, 9, 0, tzinfo=VN), "Chủ nhật"),
    ],
)
def test_weekday_is_computed_in_vietnam_time(moment: datetime, weekday: str) -> None:
    assert vietnamese_weekday(moment) == weekday


def test_meeting_time_and_date_line_formats() -> None:
    assert format_meeting_time(datetime(2026, 11, 23, 18, 5, tzinfo=UTC)) == "01 giờ 05 phút, thứ Ba, ngày 24/11/2026"
    assert (
        format_date_line("Sơn Dương", datetime(2026, 2, 4, 20, 0, tzinfo=UTC)) == "Sơn Dương, ngày 05 tháng 02 năm 2026"
    )
    assert format_date_line("Hợp Thành", datetime(2026, 11, 22, tzinfo=VN)) == "Hợp Thành, ngày 22 tháng 11 năm 2026"


def test_weekday_reaches_the_pdf_for_a_utc_evening_start() -> None:
    data = sample_invitation(starts_at=datetime(2026, 11, 23, 18, 0, tzinfo=UTC), ends_at=None)
    assert "01 giờ 00 phút, thứ Ba, ngày 24/11/2026" in flat(pdftotext(render_invitation_pdf(data)))


def test_signature_block_follows_the_chair_title() -> None:
    assert signature_lines("ỦY BAN NHÂN DÂN HUYỆN SƠN DƯƠNG", "Phó Chủ tịch") == [
        "TM. ỦY BAN NHÂN DÂN",
        "KT. CHỦ TỊCH",
        "PHÓ CHỦ TỊCH",
    ]
    assert signature_lines("ỦY BAN NHÂN DÂN XÃ HỢP THÀNH", "Chủ tịch") == ["TM. ỦY BAN NHÂN DÂN", "CHỦ TỊCH"]


def test_naive_datetimes_are_rejected() -> None:
    with pytest.raises(ValueError, match="starts_at"):
        sample_invitation(starts_at=datetime(2026, 11, 24, 8, 0))
    assert isinstance(sample_invitation(), InvitationData)


def test_fonts_are_subset_to_keep_the_file_small() -> None:
    assert len(render_invitation_pdf(sample_invitation())) < 400_000
