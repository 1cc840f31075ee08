"""The thông báo kết luận's layout (Nghị định 30, Mẫu 1.4), read back with pdfplumber and pdftotext."""

from __future__ import annotations

from dataclasses import replace

import pytest

from meeting_server.documents import nd30
from meeting_server.documents.conclusion_pdf import render_conclusion
from meeting_server.domain.record_content import RenderedRecord, Signer
from meeting_server.vocabulary import SLOT_SEAL, SLOT_SIGNER
from tests import recordkit
from tests.pdflayout import MM, Layout, flat, pdftotext, read


@pytest.fixture(scope="module")
def rendered() -> RenderedRecord:
    return render_conclusion(recordkit.conclusion())


@pytest.fixture(scope="module")
def layout(rendered: RenderedRecord) -> Layout:
    return read(rendered.pdf)


def test_header_with_governing_body_number_and_italic_date_line(layout: Layout) -> None:
    governing = layout.find("ỦY BAN NHÂN DÂN TỈNH")
    issuer = layout.find("VĂN PHÒNG")
    assert not governing.bold and issuer.bold and governing.top < issuer.top
    assert layout.find("Số: 07/TB-VP").top > issuer.top
    dated = layout.find("Tuyên Quang, ngày 06 tháng 01 năm 2027")
    motto = layout.find("Độc lập - Tự do - Hạnh phúc")
    assert dated.italic and not dated.bold and dated.top > motto.bottom and abs(dated.centre - motto.centre) < 2
    assert 13 <= dated.size <= 14
    under_issuer = [r for r in layout.rules if r[0] == 0 and r[3] < 120 and r[2] < 280]
    assert len(under_issuer) == 1 and under_issuer[0][3] > issuer.bottom - 1
    width = under_issuer[0][2] - under_issuer[0][1]
    assert (issuer.x1 - issuer.x0) / 3 <= width <= (issuer.x1 - issuer.x0) / 2


@pytest.mark.parametrize(
    "body", ["Sở Nông nghiệp và Môi trường", "Ủy ban nhân dân phường Minh Xuân", "Văn phòng Đoàn ĐBQH và HĐND tỉnh"]
)
def test_the_issuing_body_rule_fits_its_wrapped_lines(body: str) -> None:
    issuer = replace(recordkit.OFFICE, issuing_body=body)
    layout = read(render_conclusion(recordkit.conclusion(issuer=issuer)).pdf)
    number = layout.find("Số: 07/TB-VP")
    lines = [ln for ln in layout.lines if ln.page == 0 and ln.bold and ln.x1 < 280 and ln.top < number.top]
    rules = [r for r in layout.rules if r[0] == 0 and r[2] < 280 and r[3] < number.top]
    assert len(rules) == 1
    widest, length = max(ln.x1 - ln.x0 for ln in lines), rules[0][2] - rules[0][1]
    assert widest / 3 <= length <= widest / 2, (widest, length)


def test_title_summary_body_and_margins(layout: Layout) -> None:
    title = layout.find("THÔNG BÁO")
    assert title.bold and title.size == 14
    assert layout.find("Kết luận của Chủ tịch UBND tỉnh").bold
    for _page, x0, x1, top, bottom in layout.chars:
        assert x0 >= 30 * MM - 0.5 and x1 <= layout.width - 20 * MM + 0.8
        assert top >= 20 * MM - 0.5 and bottom <= layout.height - 20 * MM + 0.5
    body = [ln for ln in layout.lines if "Thống nhất thông qua" in ln.text]
    assert body and all(ln.size == nd30.BODY_PT for ln in body)


def test_signer_right_with_authority_recipients_left(rendered: RenderedRecord, layout: Layout) -> None:
    authority, title, name = (
        layout.find("TL. CHỦ TỊCH"),
        layout.find("CHÁNH VĂN PHÒNG"),
        layout.find("Ma Thị Thanh Hoa"),
    )
    right_centre = nd30.CONTENT.x0 + nd30.LEFT_W + nd30.RIGHT_W / 2
    for ln in (authority, title, name):
        assert ln.bold and abs(ln.centre - right_centre) < 2
    assert authority.top < title.top < name.top
    recv = layout.find("Nơi nhận:")
    assert recv.bold and recv.italic and recv.size == 12 and recv.x0 < nd30.CONTENT.x0 + 1
    assert abs(recv.top - authority.top) < 3  # side by side, as Mẫu 1.4 sets them
    entries = [ln for ln in layout.lines if ln.page == recv.page and ln.top > recv.top and ln.x1 < right_centre - 60]
    assert [ln.size for ln in entries] == [11] * 4 and entries[-1].text == "- Lưu: VT, TH."
    box, seal = rendered.boxes[SLOT_SIGNER], rendered.boxes[SLOT_SEAL]
    top, bottom = layout.height - box.y1, layout.height - box.y0
    assert title.bottom <= top and bottom <= name.top
    assert box.x1 - box.x0 >= 55 * MM and box.y1 - box.y0 >= 30 * MM and box.x0 < title.centre < box.x1
    assert abs((seal.x1 - seal.x0) - 36 * MM) < 1 and abs((seal.y1 - seal.y0) - 36 * MM) < 1
    assert seal.page == box.page and seal.x0 == box.x0 and box.y0 <= seal.y0 and seal.y1 <= box.y1
    # over the left part of a signature centred in the box, leaving its right part clear
    assert seal.x1 <= box.x0 + 0.55 * (box.x1 - box.x0)


def test_an_unsealed_notice_has_no_seal_box_and_kt_prefix() -> None:
    signer = Signer(SLOT_SIGNER, "PHÓ CHỦ TỊCH", "Trần Quốc Hưng", authority="KT. CHỦ TỊCH")
    rendered = render_conclusion(recordkit.conclusion(signer=signer, sealed=False))
    assert set(rendered.boxes) == {SLOT_SIGNER}
    text = flat(pdftotext(rendered.pdf))
    assert text.index("KT. CHỦ TỊCH") < text.index("PHÓ CHỦ TỊCH") < text.index("Trần Quốc Hưng")


def test_text_with_diacritics_and_draft_mark(rendered: RenderedRecord) -> None:
    text = flat(pdftotext(rendered.pdf))
    for expected in (
        "THÔNG BÁO",
        "Kết luận của Chủ tịch UBND tỉnh tại cuộc họp Ủy ban nhân dân tỉnh tháng 01 năm 2027",
        "Chủ tịch UBND tỉnh kết luận như sau:",
        "1. Dự thảo Nghị quyết về phát triển kinh tế - xã hội số 1 năm 2027",
        "Văn phòng UBND tỉnh thông báo để các cơ quan, đơn vị biết, thực hiện./.",
    ):
        assert expected in text, expected
    assert "Phát biểu" not in text  # the notice prints only the conclusions
    draft = flat(pdftotext(render_conclusion(recordkit.conclusion(number=None)).pdf))
    assert "DỰ THẢO" in draft and "/TB-VP" in draft and "DỰ THẢO" not in text


def test_many_items_flow_and_keep_the_signer_with_the_closing() -> None:
    content = recordkit.conclusion(items=30)
    rendered = render_conclusion(replace(content, closing_html="<p>Thông báo để biết, thực hiện./.</p>"))
    layout = read(rendered.pdf)
    assert layout.pages >= 2
    closing = layout.find("Thông báo để biết, thực hiện./.")
    assert rendered.boxes[SLOT_SIGNER].page == closing.page == layout.find("Ma Thị Thanh Hoa").page
    numbers = [ln.text for ln in layout.lines if ln.top < nd30.MARGIN_TOP - 1]
    assert numbers == [str(n) for n in range(2, layout.pages + 1)]
