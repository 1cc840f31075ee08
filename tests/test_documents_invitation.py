"""The GIẤY MỜI PDF: real rendering, checked through poppler's pdftotext (an independent PDF reader)."""

from __future__ import annotations

import dataclasses
import re
import shutil
import subprocess
from datetime import UTC, datetime

import pymupdf
import pytest

from meeting_server import demo_data as demo
from meeting_server.documents import nd30
from meeting_server.documents.invitation import (
    InvitationData,
    InvitedUnit,
    Lists,
    SiteLine,
    format_date_line,
    format_meeting_time,
    issuer_abbreviation,
    plan_lists,
    render_invitation_pdf,
    signature_lines,
    vietnamese_weekday,
)
from meeting_server.domain.text import has_pictographs
from meeting_server.domain.units import authority_name
from tests.pdflayout import MM, read
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
        "Số: …/GM-UBND",
        "Sơn Dương, ngày 22 tháng 11 năm 2026",
        "Về việc dự họp: Giao ban trực tuyến tháng 11 & <chuẩn bị> năm 2027",
        "Kính gửi:",
        "Thường trực Huyện ủy;",
        "08 giờ 00 phút, thứ Ba, ngày 24/11/2026",
        "dự kiến kết thúc lúc 11 giờ 30 phút",
        "Hội trường tầng 3, trụ sở Ủy ban nhân dân huyện",
        "điểm cầu chính: Điểm cầu tỉnh Tuyên Quang",
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


def page_texts(pdf: bytes) -> list[str]:
    with pymupdf.open("pdf", pdf) as doc:
        return [flat(page.get_text()).strip() for page in doc.pages()]


def assert_pages_numbered_and_filled(pages: list[str]) -> None:
    """Page numbers from page 2, and no page holds nothing but its number."""
    assert not re.match(r"\d", pages[0])
    for n, text in enumerate(pages[1:], start=2):
        assert text.startswith(f"{n} ") and len(text) > 40, (n, text[:80])


@pytest.mark.parametrize("agenda_items", range(14, 24))
def test_closing_block_is_never_split_or_lost(agenda_items: int) -> None:
    pdf = render_invitation_pdf(sample_invitation(agenda_items=agenda_items))
    pages = page_texts(pdf)
    assert sum("Nơi nhận:" in p for p in pages) == 1
    assert "Nơi nhận:" in pages[-1] and "TM. ỦY BAN NHÂN DÂN" in pages[-1] and "Phạm Minh Tuấn" in pages[-1]
    assert_pages_numbered_and_filled(pages)
    assert len(pages) == 1 or body_lines_above_closing(pdf) >= 2


def body_lines_above_closing(pdf: bytes) -> int:
    """How many lines of text stand above "Nơi nhận" on its page (the page number not counted)."""
    with pymupdf.open("pdf", pdf) as doc:
        page = next(p for p in doc.pages() if p.search_for("Nơi nhận:"))
        (recv,) = page.search_for("Nơi nhận:")
        return len({round(w[3]) for w in page.get_text("words") if 57 < w[3] < recv.y0})


def closing_page(pdf: bytes) -> int:
    with pymupdf.open("pdf", pdf) as doc:
        return next(i for i, p in enumerate(doc.pages()) if p.search_for("Nơi nhận:"))


def test_a_body_that_fills_page_one_takes_its_last_paragraph_along_with_the_signature() -> None:
    """The title grows a word at a time until the closing block no longer fits under the body on page 1: from
    that length on it is never alone at the top of page 2, its page holds the body's last paragraph whole."""

    def titled(words: int) -> bytes:
        title = "Giao ban trực tuyến tháng 11 năm 2026" + " về công tác chuyển đổi số" * words
        return render_invitation_pdf(sample_invitation(agenda_items=2, sites=SITES[:4], title=title))

    low, high = 0, 40  # page 1 holds everything at 0 words, not at 40: find the first length that does not
    assert closing_page(titled(low)) == 0 and closing_page(titled(high)) == 1
    while high - low > 1:
        middle = (low + high) // 2
        low, high = (middle, high) if closing_page(titled(middle)) == 0 else (low, middle)
    for words in (high, high + 1):
        pdf = titled(words)
        pages = page_texts(pdf)
        signed = closing_page(pdf)
        assert signed == 1, words
        above = pages[signed].split("Nơi nhận:")[0]
        last_paragraph = "Đề nghị các đại biểu sắp xếp công việc, tham dự đầy đủ, đúng thời gian; các điểm cầu "
        assert last_paragraph in above and "./." in above, (words, above)
        assert body_lines_above_closing(pdf) >= 2


def test_the_number_is_left_blank_for_the_office_with_the_issuer_after_gm() -> None:
    text = flat(pdftotext(render_invitation_pdf(sample_invitation())))
    assert "Số: …/GM-UBND" in text and "2F9C1A" not in text.upper()
    agency = sample_invitation(issuing_unit="SỞ TÀI CHÍNH", parent_unit="ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG")
    agency = dataclasses.replace(agency, issuer_abbreviation=issuer_abbreviation("agency", "Sở Tài chính", ""))
    assert "Số: …/GM-STC" in flat(pdftotext(render_invitation_pdf(agency)))
    assert issuer_abbreviation("province", "Tỉnh Tuyên Quang", "TQ") == "UBND"
    assert issuer_abbreviation("commune", "Xã Tân Trào", "") == "UBND"
    assert issuer_abbreviation("agency", "Văn phòng UBND tỉnh", "VP") == "VP"
    assert issuer_abbreviation("agency", "Sở Nông nghiệp và Môi trường", "") == "SNNVMT"


def test_emoji_stored_before_the_rule_never_reach_the_pdf() -> None:
    data = sample_invitation(
        agenda_items=1,
        title="Giao ban 🎉 cuối năm ⭐️",
        location="Hội trường 🏛 tầng 3",
        agenda=[("Tổng kết 👍🏽 năm 2026", "Nguyễn Thị Hương 🇻🇳", 20)],
    )
    text = flat(pdftotext(render_invitation_pdf(data)))
    assert "Về việc dự họp: Giao ban cuối năm" in text and "Hội trường tầng 3" in text
    assert "Tổng kết năm 2026 (trình bày: Nguyễn Thị Hương;" in text
    assert not has_pictographs(text), [ch for ch in text if has_pictographs(ch)]


def test_builtin_font_fallback_still_carries_diacritics(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(nd30, "_FONT_CANDIDATES", ())
    nd30.font_choice.cache_clear()
    try:
        text = flat(pdftotext(render_invitation_pdf(sample_invitation())))
    finally:
        nd30.font_choice.cache_clear()
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


# --------------------------------------------------------------------------- grouping (pure)

TQ_COMMUNES = [u for u in demo.UNITS if u.kind == "commune"]


def communes(count: int, *, area: str = "tỉnh", size: int = len(TQ_COMMUNES)) -> list[InvitedUnit]:
    return [
        InvitedUnit(authority_name("commune", u.name, u.division_type), u.division_type, area, size)
        for u in TQ_COMMUNES[:count]
    ]


def halls(count: int) -> list[SiteLine]:
    return [SiteLine(f"Phòng họp trực tuyến UBND {u.name}", u.name, u.division_type) for u in TQ_COMMUNES[:count]]


AGENCY = InvitedUnit("Sở Tài chính")
SON_DUONG = [InvitedUnit(f"Ủy ban nhân dân xã {n}", "xã", "tỉnh Tuyên Quang", 3) for n in ("A", "B", "C")]
ISLAND = InvitedUnit("Ủy ban nhân dân đặc khu Cồn Cỏ", "đặc khu", "tỉnh", 40)


@pytest.mark.parametrize(
    ("named", "units", "recipients"),
    [
        ([], [], []),
        ([" ", "Giám đốc Sở Y tế Lý Thị Hồng Vân"], [], ["Giám đốc Sở Y tế Lý Thị Hồng Vân"]),
        # Every commune of the province, as units: one line, after the people named.
        (
            ["Giám đốc Sở Y tế Lý Thị Hồng Vân"],
            [AGENCY, *communes(len(TQ_COMMUNES))],
            ["Giám đốc Sở Y tế Lý Thị Hồng Vân", "Sở Tài chính", "Chủ tịch UBND các xã, phường thuộc tỉnh"],
        ),
        # A few communes stay named; only the division types actually invited are written.
        ([], communes(3), [u.authority for u in communes(3)]),
        ([], communes(10, size=10), ["Chủ tịch UBND các xã thuộc tỉnh"]),
        ([], [*communes(10), ISLAND], ["Chủ tịch UBND 11 xã, đặc khu thuộc tỉnh (danh sách kèm theo)"]),
        ([], communes(10), [u.authority for u in communes(10)]),
        # All the communes of an area other than the issuer's own, and the one commune of a tiny area.
        ([], [*SON_DUONG, AGENCY], ["Chủ tịch UBND các xã thuộc tỉnh Tuyên Quang", "Sở Tài chính"]),
        ([], SON_DUONG[:2], [u.authority for u in SON_DUONG[:2]]),
        ([], [InvitedUnit("Ủy ban nhân dân xã A", "xã", "tỉnh", 1)], ["Ủy ban nhân dân xã A"]),
        # Twelve agencies are twelve addressees: only communes are grouped.
        ([], [InvitedUnit(f"Sở {n}") for n in range(12)], [f"Sở {n}" for n in range(12)]),
    ],
)
def test_recipients_are_grouped_by_area(named: list[str], units: list[InvitedUnit], recipients: list[str]) -> None:
    assert plan_lists(named, units, []).recipients == recipients


def test_a_partial_group_is_listed_in_the_annex() -> None:
    lists = plan_lists([], communes(11), [])
    assert lists.annex_units == [u.authority for u in communes(11)]
    assert plan_lists([], communes(len(TQ_COMMUNES)), []).annex_units == []


@pytest.mark.parametrize(
    ("sites", "expected"),
    [
        ([], Lists([], [])),
        (halls(20), Lists([], [s.name for s in halls(20)])),
        ([SiteLine(" "), *halls(2)], Lists([], [s.name for s in halls(2)])),
        (halls(21), Lists([], [], "21 điểm cầu xã", halls(21))),
        (halls(len(TQ_COMMUNES)), Lists([], [], "124 điểm cầu xã, phường", halls(len(TQ_COMMUNES)))),
        ([*halls(21), SiteLine("Hội trường Sở Y tế", "Sở Y tế")], Lists([], [], "22 điểm cầu", [*halls(21)])),
    ],
)
def test_many_sites_are_counted_and_annexed(sites: list[SiteLine], expected: Lists) -> None:
    lists = plan_lists([], [], sites)
    if len(sites) == 22:  # the agency's hall is listed too, only the count does not name its kind
        expected = Lists([], [], expected.site_summary, sites)
    assert lists == expected


# --------------------------------------------------------------------------- the province conference

HEADS = [
    f"{p.title} {p.full_name}"
    for p in demo.PEOPLE
    if p.username in ("chanhvanphong", "tp.taichinh", "gd.noivu", "gd.yte", "gd.giaoduc", "gd.nongnghiep")
]


def province_conference(**changes: object) -> InvitationData:
    fields: dict[str, object] = {
        "recipients": HEADS,
        "invited_units": communes(len(TQ_COMMUNES)),
        "sites": halls(len(TQ_COMMUNES)),
        "issuing_unit": "ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG",
        "parent_unit": "",
        "place_name": "Tuyên Quang",
        "chair": "Hoàng Văn Thắng",
        "chair_title": "Chủ tịch UBND tỉnh",
        "location": "Tầng 3, trụ sở UBND tỉnh Tuyên Quang",
        "main_site": "Phòng họp trực tuyến UBND tỉnh",
    }
    fields.update(changes)
    return sample_invitation(**fields)  # type: ignore[arg-type]


@pytest.fixture(scope="module")
def province_pages() -> list[str]:
    pdf = render_invitation_pdf(province_conference())
    by_poppler = flat(pdftotext(pdf))
    pages = page_texts(pdf)
    # poppler, an independent reader, finds the very same letters (in its own reading order)
    assert sorted("".join(pages).replace(" ", "")) == sorted(by_poppler.replace(" ", ""))
    return pages


def test_page_one_holds_the_addressees_and_the_start_of_the_body(province_pages: list[str]) -> None:
    first = province_pages[0]
    assert "GIẤY MỜI" in first and "Kính gửi:" in first
    for head in HEADS:
        assert head in first
    assert "- Chủ tịch UBND các xã, phường thuộc tỉnh." in first
    assert "Trân trọng kính mời dự cuộc họp" in first and "1. Thời gian:" in first
    assert "3. Các điểm cầu tham dự: Điểm cầu chính: Phòng họp trực tuyến UBND tỉnh; các điểm cầu: " in first
    assert "124 điểm cầu xã, phường (danh sách kèm theo)." in first
    body = " ".join(province_pages)
    assert "Ủy ban nhân dân xã Tân Trào" not in body  # no longer one line per commune


def test_the_annex_follows_the_signature_on_a_new_page(province_pages: list[str]) -> None:
    assert_pages_numbered_and_filled(province_pages)
    signed = next(i for i, p in enumerate(province_pages) if "Nơi nhận:" in p)
    annex = next(i for i, p in enumerate(province_pages) if "DANH SÁCH ĐIỂM CẦU" in p)
    assert annex == signed + 1 and sum("Nơi nhận:" in p for p in province_pages) == 1
    assert "Hoàng Văn Thắng" in province_pages[signed] and "./." in province_pages[signed]
    head = province_pages[annex]
    assert head.startswith(f"{annex + 1} DANH SÁCH ĐIỂM CẦU (Kèm theo Giấy mời số …/GM-UBND ngày 22/11/2026)")
    assert "STT Điểm cầu Đơn vị 1 " in head
    rows = " ".join(re.sub(r"^\d+ ", "", p) for p in province_pages[annex:])  # without the page numbers
    expected = " ".join(f"{n} {s.name} {s.unit}" for n, s in enumerate(halls(len(TQ_COMMUNES)), start=1))
    assert expected.replace(" ", "") in rows.replace(" ", "")  # a full cell's text may touch the next one


@pytest.mark.parametrize("agenda_items", range(2, 9))
def test_the_signature_has_body_text_above_it(agenda_items: int) -> None:
    """Whatever the body's length, the closing block keeps two lines of the body at least above it (on page
    1 it has the whole body), and the annex starts on the next page."""
    pdf = render_invitation_pdf(province_conference(agenda_items=agenda_items))
    pages = page_texts(pdf)
    assert body_lines_above_closing(pdf) >= 2
    signed = next(i for i, p in enumerate(pages) if "Nơi nhận:" in p)
    assert "DANH SÁCH ĐIỂM CẦU" in pages[signed + 1]
    assert_pages_numbered_and_filled(pages)


def test_long_recipient_lists_flow_across_pages() -> None:
    people = [f"Đồng chí Nguyễn Văn {n}, Bí thư Đảng ủy" for n in range(70)]
    pages = page_texts(render_invitation_pdf(province_conference(recipients=people, invited_units=[])))
    assert "Kính gửi: - Đồng chí Nguyễn Văn 0, Bí thư Đảng ủy;" in pages[0]
    assert "Nguyễn Văn 69, Bí thư Đảng ủy." in pages[1] and "Trân trọng kính mời" in pages[1]
    assert_pages_numbered_and_filled(pages)


def test_a_partial_group_of_communes_is_annexed_without_its_sites() -> None:
    units = communes(11)
    pages = page_texts(render_invitation_pdf(province_conference(invited_units=units, sites=halls(3))))
    assert "- Chủ tịch UBND 11 xã thuộc tỉnh (danh sách kèm theo)." in pages[0]
    assert "3. Các điểm cầu tham dự (3): " in " ".join(pages)  # three sites: still listed inline
    annex = pages[-1]
    assert annex.startswith(f"{len(pages)} DANH SÁCH ĐƠN VỊ ĐƯỢC MỜI (Kèm theo Giấy mời số …/GM-UBND")
    assert "DANH SÁCH ĐIỂM CẦU" not in annex and "Nơi nhận:" in pages[-2]
    numbered = " ".join(f"{n} {u.authority}" for n, u in enumerate(units, start=1))
    assert f"STT Đơn vị {numbered}".replace(" ", "") in annex.replace(" ", "")


def test_a_small_meeting_keeps_its_inline_lists() -> None:
    units = communes(3)
    data = sample_invitation(agenda_items=1, invited_units=units, sites=halls(3), recipients=["Thường trực Huyện ủy"])
    pages = page_texts(render_invitation_pdf(data))
    assert len(pages) == 1 and "DANH SÁCH" not in pages[0] and "kèm theo" not in pages[0]
    lines = ["Thường trực Huyện ủy;", *(f"- {u.authority};" for u in units[:2]), f"- {units[2].authority}."]
    assert " ".join(lines) in pages[0]
    assert "3. Các điểm cầu tham dự (3): " + " ".join(f"- {s.name};" for s in halls(2)) in pages[0]


def test_a_register_number_prints_everywhere_the_number_appears() -> None:
    pdf = render_invitation_pdf(province_conference(number=7))
    text = flat(pdftotext(pdf))
    assert "Số: 07/GM-UBND" in text and "(Kèm theo Giấy mời số 07/GM-UBND ngày 22/11/2026)" in text
    assert "…/GM" not in text


def test_the_giay_moi_follows_the_nghi_dinh_30_layout() -> None:
    layout = read(render_invitation_pdf(sample_invitation(agenda_items=5)))
    national, motto = layout.find("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM"), layout.find("Độc lập - Tự do - Hạnh phúc")
    assert national.bold and 12 <= national.size <= 13 and motto.bold and 13 <= motto.size <= 14
    rule = [r for r in layout.rules if r[0] == 0 and r[1] > 280 and motto.bottom - 1 < r[3] < motto.bottom + 8]
    assert len(rule) == 1 and abs(rule[0][1] - motto.x0) < 1.5 and abs(rule[0][2] - motto.x1) < 1.5
    dated = layout.find("ngày 22 tháng 11 năm 2026")
    assert dated.italic and abs(dated.centre - motto.centre) < 2
    recv = layout.find("Nơi nhận:")
    assert recv.bold and recv.italic and recv.size == 12
    assert [ln.size for ln in layout.all("- Lưu: VT.")] == [11]
    for page, x0, x1, top, bottom in layout.chars:
        assert x0 >= 30 * MM - 0.5 and x1 <= layout.width - 20 * MM + 0.8
        assert bottom <= layout.height - 20 * MM + 0.5 and (top >= 20 * MM - 0.5 or page > 0)
