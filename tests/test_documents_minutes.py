"""The biên bản's layout as Nghị định 30 wants it, read back with pdfplumber and pdftotext (not pymupdf, which
wrote it). The rules are listed with these tests in docs/record.md, "Layout (Nghị định 30)"."""

from __future__ import annotations

import re
from dataclasses import replace
from datetime import date

import pytest

from meeting_server.documents import nd30
from meeting_server.documents.conclusion_pdf import render_conclusion
from meeting_server.documents.minutes_pdf import render_minutes
from meeting_server.documents.record_docx import conclusion_docx, minutes_docx
from meeting_server.documents.workers import DocumentWorkers
from meeting_server.domain.record_content import Attendee, Correction, DocumentNumber, RenderedRecord
from meeting_server.vocabulary import RECORD_MINUTES, SLOT_CHAIR, SLOT_SEAL, SLOT_SECRETARY, SLOT_SIGNER
from tests import recordkit
from tests.pdflayout import MM, Layout, Line, flat, pdftotext, read

A4 = (595.0, 842.0)


@pytest.fixture(scope="module")
def rendered() -> RenderedRecord:
    return render_minutes(recordkit.minutes())


@pytest.fixture(scope="module")
def layout(rendered: RenderedRecord) -> Layout:
    return read(rendered.pdf)


def body_lines(layout: Layout) -> list[Line]:
    return [ln for ln in layout.lines if ln.size == nd30.BODY_PT and ln.top > nd30.MARGIN_TOP - 1]


def test_a4_and_no_glyph_outside_the_margins(layout: Layout) -> None:
    assert (round(layout.width), round(layout.height)) == A4
    pages_numbered = 0
    for page, x0, x1, top, bottom in layout.chars:
        assert x0 >= 30 * MM - 0.5 and x1 <= layout.width - 15 * MM + 0.5, (page, x0, x1)
        assert x1 <= layout.width - 20 * MM + 0.8  # our right margin is 20 mm
        if top < 20 * MM - 0.5:  # only the page number lives in the top margin
            pages_numbered += 1
            assert page > 0
        assert bottom <= layout.height - 20 * MM + 0.5, (page, bottom)
    assert pages_numbered >= 1


def test_header_fonts_sizes_and_columns(layout: Layout) -> None:
    national = layout.find("CỘNG HÒA XÃ HỘI CHỦ NGHĨA VIỆT NAM")
    motto = layout.find("Độc lập - Tự do - Hạnh phúc")
    issuer = layout.find("ỦY BAN NHÂN DÂN TỈNH")
    number = layout.find("Số: 05/BB-UBND")
    assert national.bold and 12 <= national.size <= 13 and national.text == national.text.upper()
    assert motto.bold and 13 <= motto.size <= 14 and motto.top > national.top
    assert issuer.bold and issuer.size >= 12
    assert all("LiberationSerif" in f.replace(" ", "") for f in national.fonts | issuer.fonts | number.fonts)
    left_centre = nd30.CONTENT.x0 + nd30.LEFT_W / 2
    right_centre = nd30.CONTENT.x0 + nd30.LEFT_W + nd30.RIGHT_W / 2
    for ln in (issuer, number):
        assert abs(ln.centre - left_centre) < 2 and ln.x1 < right_centre - nd30.RIGHT_W / 2 + 1
    for ln in (national, motto):
        assert abs(ln.centre - right_centre) < 2 and ln.x0 > left_centre
    # Mẫu 1.9 dates the meeting in its body: no place/date line in the header.
    assert not [ln for ln in layout.lines if ln.page == 0 and ln.top < 130 and "ngày" in ln.text]


def test_rules_under_the_motto_and_the_issuing_body(layout: Layout) -> None:
    motto = layout.find("Độc lập - Tự do - Hạnh phúc")
    issuer_lines = [ln for ln in layout.lines if ln.page == 0 and ln.top < 90 and ln.bold and ln.x1 < 280]
    header_rules = [r for r in layout.rules if r[0] == 0 and r[3] < 120]
    under_motto = [r for r in header_rules if motto.bottom - 1 < r[3] < motto.bottom + 8 and r[1] > 280]
    assert len(under_motto) == 1
    _, x0, x1, _ = under_motto[0]
    assert abs(x0 - motto.x0) < 1.5 and abs(x1 - motto.x1) < 1.5  # exactly as long as the text
    widest = max(ln.x1 - ln.x0 for ln in issuer_lines)
    under_issuer = [r for r in header_rules if r[2] < 280]
    assert len(under_issuer) == 1
    length = under_issuer[0][2] - under_issuer[0][1]
    assert widest / 3 <= length <= widest / 2
    assert under_issuer[0][3] > max(ln.bottom for ln in issuer_lines) - 1


def test_title_body_and_recipients_sizes(layout: Layout) -> None:
    title, subject = layout.find("BIÊN BẢN"), layout.find("Cuộc họp Ủy ban nhân dân tỉnh tháng 01 năm 2027")
    assert title.bold and title.size == 14 and subject.bold and abs(title.centre - nd30.CONTENT.x0 - 226.6) < 3
    body = body_lines(layout)
    assert min(ln.size for ln in body) >= 13 and max(ln.size for ln in body) <= 14
    recv = layout.find("Nơi nhận:")
    assert recv.bold and recv.italic and recv.size == 12
    entries = [ln for ln in layout.lines if ln.page == recv.page and ln.top > recv.top and ln.x0 < recv.x0 + 1]
    assert [ln.size for ln in entries] == [11] * 4 and entries[-1].text == "- Lưu: VT, TH."


def test_first_line_indent_paragraph_spacing_and_line_spacing(layout: Layout) -> None:
    first = layout.find("Địa điểm:")
    following = [ln for ln in layout.lines if ln.page == first.page and ln.top > first.top][0]
    indent = first.x0 - following.x0
    assert 1 * 28.35 <= indent <= 1.27 * 28.35 + 0.5
    pitch = following.bottom - first.bottom
    assert pitch <= 1.5 * 13
    before = layout.find("Thời gian bắt đầu:")
    assert first.bottom - before.bottom >= pitch + 6 - 0.5  # ≥ 6 pt between paragraphs


def test_signature_blocks_secretary_left_chair_right_and_their_boxes(rendered: RenderedRecord, layout: Layout) -> None:
    secretary, chair = layout.find("THƯ KÝ"), layout.find("CHỦ TỌA")
    half = nd30.CONTENT.x0 + nd30.CONTENT.width / 2
    assert secretary.x1 < half < chair.x0 and secretary.bold and chair.bold
    assert abs(secretary.top - chair.top) < 1
    for slot, title, name in ((SLOT_SECRETARY, secretary, "Lê Thị Thu Hà"), (SLOT_CHAIR, chair, "Nguyễn Văn Sơn")):
        box = rendered.boxes[slot]
        named = layout.find(name, page=title.page)
        assert box.page == title.page == named.page
        top, bottom = layout.height - box.y1, layout.height - box.y0  # back to pdfplumber's top-down
        assert title.bottom <= top and bottom <= named.top  # between the title and the name
        assert box.y1 - box.y0 >= 30 * MM and box.x1 - box.x0 >= 55 * MM
        assert box.x0 < title.centre < box.x1 and abs((box.x0 + box.x1) / 2 - title.centre) < 2
    assert set(rendered.boxes) == {SLOT_SECRETARY, SLOT_CHAIR}


def test_text_with_diacritics_via_pdftotext(rendered: RenderedRecord) -> None:
    text = flat(pdftotext(rendered.pdf))
    for expected in (
        "BIÊN BẢN",
        "Thời gian bắt đầu: 08 giờ 00 phút, ngày 05/01/2027.",
        "Đỗ Minh Khôi, Giám đốc Sở Y tế (lý do: đi công tác)",
        "Vũ Thị Lan, Giám đốc Sở Giáo dục và Đào tạo (đến muộn lúc 08:20)",
        "Chủ trì: Nguyễn Văn Sơn, Chủ tịch UBND tỉnh.",
        "Thư ký: Lê Thị Thu Hà",
        "Phạm Thị Ngọc Ánh (điểm cầu Xã Tân Trào), bắt đầu lúc 08:19, thời lượng 3 phút 22 giây",
        "(bỏ phiếu kín): tán thành 12/15, không tán thành 2/15, không biểu quyết 1/15; kết quả: Thông qua",
        "Cuộc họp kết thúc vào 09 giờ 35 phút, ngày 05 tháng 01 năm 2027/.",
    ):
        assert expected in text, expected
    assert "DỰ THẢO" not in text


def test_rich_text_keeps_lists_bold_italic_underline(layout: Layout, rendered: RenderedRecord) -> None:
    bold = [ln for ln in layout.lines if "nguồn vốn đầu tư công" in ln.text]
    assert bold and any("Bold" in f for f in bold[0].fonts) and any("Italic" in f for f in bold[0].fonts)
    assert "• Sở Kế hoạch và Đầu tư đề nghị bổ sung số liệu;" in pdftotext(rendered.pdf)
    underlined = [r for r in layout.rules if r[0] == layout.find("hoàn thiện").page and r[3] > 100]
    assert underlined  # <u> draws its rule


def test_draft_says_so_and_leaves_the_number_blank() -> None:
    text = flat(pdftotext(render_minutes(recordkit.minutes(number=None)).pdf))
    assert "DỰ THẢO" in text and "/BB-UBND" in text and "Số: 05" not in text


def test_numbers_below_ten_have_a_leading_zero() -> None:
    assert DocumentNumber(RECORD_MINUTES, "UBND", 5).text() == "Số: 05/BB-UBND"
    assert DocumentNumber(RECORD_MINUTES, "UBND", 123).text() == "Số: 123/BB-UBND"
    assert nd30.date_line("Tuyên Quang", date(2027, 1, 5)) == "Tuyên Quang, ngày 05 tháng 01 năm 2027"
    assert nd30.date_line("Tuyên Quang", date(2027, 3, 15)) == "Tuyên Quang, ngày 15 tháng 3 năm 2027"


def test_a_correction_says_what_it_replaces() -> None:
    fixed = Correction(DocumentNumber(RECORD_MINUTES, "UBND", 1), date(2027, 1, 5), "sai tên đại biểu")
    text = flat(pdftotext(render_minutes(recordkit.minutes(number=2, correction=fixed)).pdf))
    assert "Thay thế Biên bản số 01/BB-UBND ngày 05/01/2027 (sai tên đại biểu)" in text


def test_long_meeting_flows_over_pages_and_keeps_the_signatures_with_text() -> None:
    rendered = render_minutes(recordkit.minutes(items=14, speeches=9))
    layout = read(rendered.pdf)
    assert layout.pages >= 5
    numbers = [ln for ln in layout.lines if ln.top < nd30.MARGIN_TOP - 1]
    assert [int(ln.text) for ln in numbers] == list(range(2, layout.pages + 1))  # from page 2, in order
    for ln in numbers:
        assert abs(ln.centre - layout.width / 2 + (nd30.MARGIN_RIGHT - nd30.MARGIN_LEFT) / 2) < 3
    closing = layout.find("Cuộc họp kết thúc vào")
    secretary = layout.find("THƯ KÝ", page=closing.page)
    assert closing.top < secretary.top and rendered.boxes[SLOT_SECRETARY].page == closing.page
    for slot in (SLOT_SECRETARY, SLOT_CHAIR):
        assert rendered.boxes[slot].page == layout.pages - 1


def test_the_closing_block_is_never_cut_wherever_the_body_ends() -> None:
    """One more attendee moves the body's end down by a line: 40 of them walk it over a page's whole height."""
    for extra in range(0, 40):
        people = [Attendee(f"Đại biểu số {n}", "Chuyên viên") for n in range(extra)]
        layout = read(render_minutes(recordkit.minutes(items=2, present=people)).pdf)
        assert max(bottom for *_, bottom in layout.chars) <= layout.height - 20 * MM + 0.5, extra
        archived = layout.find("- Lưu: VT, TH.")
        assert layout.find("THƯ KÝ").page == archived.page == layout.find("Cuộc họp kết thúc vào").page


def test_hostile_text_is_escaped_and_long_text_flows() -> None:
    hostile = '<script>alert("x")</script><img src=x onerror=alert(1)> 🎉 & <b>'
    huge = ("Ý kiến rất dài " * 700)[:10_000]
    item = replace(
        recordkit.item(1),
        title=hostile,
        discussion_html=f'<p onclick="x">{huge}</p><script>bad()</script><table><tr><td>ô</td></tr></table>',
        conclusion_html="<p>An <strong>toàn</strong> &lt;i&gt; 😀</p>",
    )
    content = recordkit.minutes(items=1, present=[Attendee("Nguyễn <i>Văn</i> A 🎉")])
    rendered = render_minutes(replace(content, items=[item]))
    text = flat(pdftotext(rendered.pdf))
    assert '<script>alert("x")</script><img src=x onerror=alert(1)> & <b>' in text  # printed, not obeyed
    assert "Nguyễn <i>Văn</i> A" in text and "An toàn <i>" in text and "ô" in text
    assert "bad()" not in text  # a script goes with its content, as the record's sanitizer keeps texts (one rule)
    assert "🎉" not in text and "😀" not in text
    assert text.count("Ý kiến rất dài") >= 600
    layout = read(rendered.pdf)
    assert layout.pages >= 3 and set(rendered.boxes) == {SLOT_SECRETARY, SLOT_CHAIR}


def test_a_word_longer_than_a_line_breaks_inside_the_margins() -> None:
    word, title = "x" * 10_000, "Y" * 300
    item = replace(recordkit.item(1), title=title, discussion_html=f"<p>{word}</p>")
    rendered = render_minutes(replace(recordkit.minutes(items=1), items=[item]))
    layout = read(rendered.pdf)
    assert max(x1 for _, _, x1, _, _ in layout.chars) <= layout.width - 20 * MM + 0.8
    letters = re.sub(r"[\s\d]", "", pdftotext(rendered.pdf))  # without the page numbers between its parts
    assert word in letters and title in letters  # every letter printed, none lost


async def test_the_record_renderers_run_in_a_document_worker() -> None:
    workers = DocumentWorkers(max_workers=1)
    try:
        rendered = await workers.run(render_minutes, recordkit.minutes(), timeout=60.0)
        notice = await workers.run(render_conclusion, recordkit.conclusion(), timeout=60.0)
        word = await workers.run(minutes_docx, recordkit.minutes(), timeout=60.0)
        word_notice = await workers.run(conclusion_docx, recordkit.conclusion(), timeout=60.0)
    finally:
        await workers.close()
    assert rendered.pdf.startswith(b"%PDF") and set(rendered.boxes) == {SLOT_SECRETARY, SLOT_CHAIR}
    assert notice.pdf.startswith(b"%PDF") and set(notice.boxes) == {SLOT_SIGNER, SLOT_SEAL}
    assert word.startswith(b"PK") and word_notice.startswith(b"PK")  # a .docx is a zip
