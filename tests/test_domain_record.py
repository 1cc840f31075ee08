"""The record's pure rules: rich text reduced to the record's elements (hostile input refused or reduced), the
lifecycle's transitions and freezes, the stale-revision refusal, content to JSON and back unchanged."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from meeting_server.domain import record as rec
from meeting_server.domain.record_content import (
    Attendee,
    ConclusionContent,
    DocumentNumber,
    Issuer,
    ItemRecord,
    MinutesContent,
    Signer,
    Speech,
    VoteLine,
)
from meeting_server.domain.richtext import MAX_DEPTH, sanitize
from meeting_server.errors import AppError


@pytest.mark.parametrize(
    ("given", "kept"),
    [
        ('<p style="color:red" onclick="x()">A <b>b</b> <strong id=1>c</strong></p>', "<p>A b <strong>c</strong></p>"),
        ("<p>x<script>alert('y')</script><style>p{}</style>z</p>", "<p>xz</p>"),
        ('<a href="javascript:alert(1)">link</a><img src=x onerror=alert(1)>', "link"),
        ("<ul><li>một<li>hai</ul>", "<ul><li>một</li><li>hai</li></ul>"),
        ("<p>mở<em>nghiêng", "<p>mở<em>nghiêng</em></p>"),
        ("1 &lt; 2 &amp; <br/> 3", "1 &lt; 2 &amp; <br> 3"),
        ("</p></ul>chỉ chữ", "chỉ chữ"),
        ("<svg><p>ẩn</p></svg>hiện", "hiện"),
    ],
)
def test_rich_text_keeps_only_the_record_s_elements_without_attributes(given: str, kept: str) -> None:
    assert sanitize(given) == kept


def test_rich_text_too_long_or_too_deep_is_refused_with_a_sentence() -> None:
    with pytest.raises(AppError) as long:
        sanitize("<p>" + "a" * 1_000_000 + "</p>")
    assert "chưa được lưu" in long.value.message("vi") and "not saved" in long.value.message("en")
    with pytest.raises(AppError) as deep:
        sanitize("<ul>" * 10_000)
    assert f"{MAX_DEPTH} tầng" in deep.value.message("vi")
    assert sanitize("<ul><li>" * (MAX_DEPTH // 2)).count("<li>") == MAX_DEPTH // 2  # deep enough is kept


def test_lifecycle_moves_forward_and_nothing_changes_once_frozen() -> None:
    assert rec.transition("bien_ban", "draft", "submit") == "in_review"
    assert rec.transition("bien_ban", "in_review", "return") == "draft"
    assert rec.transition("bien_ban", "in_review", "approve") == "signing"
    with pytest.raises(AppError) as wrong:
        rec.transition("bien_ban", "draft", "approve")
    assert wrong.value.code == "invalid_input" and "Dự thảo" in wrong.value.message("vi")
    for status in ("signing", "issued"):
        for name in ("submit", "return", "approve"):
            with pytest.raises(AppError) as frozen:
                rec.transition("thong_bao", status, name)
            assert frozen.value.code == "record_frozen"
            assert frozen.value.message("vi").startswith("Thông báo kết luận đã được duyệt")
        with pytest.raises(AppError):
            rec.check_editable("bien_ban", status, reviewing=True)
    rec.check_editable("bien_ban", "in_review", reviewing=True)
    with pytest.raises(AppError):
        rec.check_editable("bien_ban", "in_review", reviewing=False)


def test_a_stale_base_names_who_saved_and_when_in_vietnam_time() -> None:
    assert rec.check_base(3, 3, "Lê Thị Hoa", "2027-01-05T02:15:00Z") == 4
    with pytest.raises(AppError) as stale:
        rec.check_base(3, 2, "Lê Thị Hoa", "2027-01-05T02:15:00Z")
    assert stale.value.code == "stale_revision"
    assert stale.value.message("vi") == (
        "Nội dung này đã được Lê Thị Hoa lưu lúc 09:15:00 ngày 05/01/2027; hãy xem bản mới nhất rồi lưu lại."
    )


def test_the_register_year_is_vietnam_s() -> None:
    assert rec.vietnam_date(datetime(2026, 12, 31, 17, 0, tzinfo=UTC)) == date(2027, 1, 1)
    assert rec.vietnam_date(datetime(2026, 12, 31, 16, 59, tzinfo=UTC)) == date(2026, 12, 31)


def test_slots_in_signing_order() -> None:
    secretary, chair = {"user_id": "u_secret01", "name": "Lê Thị Hoa"}, {"user_id": "u_chair001", "name": "Sơn"}
    signer = {"user_id": "u_chair001", "name": "Sơn", "title": "CHỦ TỊCH", "authority": "KT. CHỦ TỊCH"}
    minutes = rec.slots_for("bien_ban", secretary, chair, signer, "UBND TỈNH")
    assert [(s["slot"], s["title"]) for s in minutes] == [("secretary", "THƯ KÝ"), ("chair", "CHỦ TỌA")]
    notice = rec.slots_for("thong_bao", secretary, chair, signer, "UBND TỈNH")
    assert [(s["slot"], s["user_id"], s["authority"]) for s in notice] == [
        ("signer", "u_chair001", "KT. CHỦ TỊCH"),
        ("seal", None, ""),
    ]


def test_content_survives_json_unchanged() -> None:
    at = datetime(2027, 1, 5, 1, 0, tzinfo=UTC)
    item = ItemRecord(
        number="1",
        title="Kế hoạch đầu tư công",
        speeches=[Speech("Trần Văn An", "Xã Tân Trào", at, 125)],
        votes=[VoteLine("Thông qua", True, {"yes": 10, "no": 2}, 13, "Thông qua")],
        started_at=at,
        conclusion_html="<p>Đồng ý.</p>",
    )
    minutes = MinutesContent(
        issuer=Issuer("ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG", "UBND", "Tuyên Quang"),
        number=DocumentNumber("bien_ban", "UBND", 5, 2027),
        title="Cuộc họp",
        started_at=at,
        ended_at=None,
        place="Phòng họp số 1",
        chair=Attendee("Nguyễn Văn Sơn", "Chủ tịch"),
        secretary=Attendee("Lê Thị Hoa"),
        items=[item],
        signers=[Signer("secretary", "THƯ KÝ", "Lê Thị Hoa")],
        issued_on=date(2027, 1, 5),
    )
    assert rec.from_json(MinutesContent, rec.to_json(minutes)) == minutes
    signer = {"slot": "signer", "title": "CHỦ TỊCH", "name": "Sơn", "authority": "TL. CHỦ TỊCH"}
    notice = rec.build_conclusion(minutes, DocumentNumber("thong_bao", "UBND", 2, 2027), [signer], {})
    assert [i.title for i in notice.items] == ["Kế hoạch đầu tư công"] and notice.signer.authority == "TL. CHỦ TỊCH"
    assert rec.from_json(ConclusionContent, rec.to_json(notice)) == notice
