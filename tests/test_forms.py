"""What the admin and organiser forms are told when the server refuses a save: a sentence naming the field
(never "roles: độ dài không hợp lệ"), over-long titles refused with their limit, emoji refused in anything an
official document prints (issue 9, items 5 and 11)."""

from __future__ import annotations

import pytest

from meeting_server.domain.text import has_pictographs, without_pictographs
from tests.helpers import LiveServer, make_meeting

START = "2026-11-24T08:00:00+07:00"


async def test_removing_the_only_role_is_refused_with_a_sentence(live_server: LiveServer) -> None:
    admin = await live_server.admin()
    user_id = (await live_server.create_user("ct.tantrao", "Hà Văn Khiêm", ["delegate"]))["id"]
    status, body = await admin.patch(f"/api/users/{user_id}", {"roles": []})
    assert status == 422, body
    assert body == {"error": {"code": "invalid_input", "message": "Người dùng phải có ít nhất một vai trò."}}
    status, body = await admin.patch(f"/api/users/{user_id}?lang=en", {"roles": []})
    assert body["error"]["message"] == "A user needs at least one role."


@pytest.mark.parametrize(
    ("path", "payload", "message"),
    [
        ("/api/sites", {"name": "Phòng họp xã Tân Trào"}, "Thiếu đơn vị."),
        (
            "/api/sites",
            {"name": "Phòng họp", "unit_id": "un_abc123", "capacity": -1},
            "Sức chứa phải lớn hơn hoặc bằng 0.",
        ),
        ("/api/sites", {"name": "", "unit_id": "un_abc123"}, "Tên không được để trống."),
        (
            "/api/meetings",
            {"title": "Giao ban", "starts_at": "2026-11-24T08:00"},
            "Thời gian bắt đầu cần ghi kèm múi giờ, ví dụ +07:00.",
        ),
        (
            "/api/users",
            {
                "username": "Ct Tân Trào",
                "full_name": "Hà Văn Khiêm",
                "password": "mat-khau-2026",
                "roles": ["delegate"],
            },
            "Tên đăng nhập gồm 3–40 chữ thường không dấu, chữ số, dấu chấm, gạch ngang hoặc gạch dưới.",
        ),
        ("/api/units", {"name": "Sở Y tế", "kind": "agency", "colour": "red"}, "Không có trường “colour”."),
    ],
)
async def test_field_errors_read_as_sentences(live_server: LiveServer, path: str, payload: dict, message: str) -> None:
    admin = await live_server.admin()
    status, body = await admin.post(path, payload)
    assert (status, body) == (422, {"error": {"code": "invalid_input", "message": message}})


async def test_an_over_long_title_is_refused_with_its_limit_not_cut(live_server: LiveServer) -> None:
    admin = await live_server.admin()
    title = "Hội nghị trực tuyến đánh giá tình hình thực hiện nhiệm vụ phát triển kinh tế - xã hội " * 4  # 348
    status, body = await admin.post("/api/meetings", {"title": title, "starts_at": START})
    assert status == 422, body
    assert (
        body["error"]["message"] == f"Tiêu đề dài tối đa 300 ký tự (đang có {len(title.strip())} ký tự); hãy rút gọn."
    )
    meeting = await make_meeting(admin, items=0, schedule=False)
    status, body = await admin.post(f"/api/meetings/{meeting['id']}/agenda", {"title": title})
    assert status == 422 and "Tiêu đề dài tối đa 300 ký tự" in body["error"]["message"], body
    status, body = await admin.post("/api/meetings", {"title": title[:300], "starts_at": START})
    assert status == 201 and body["title"] == title[:300].strip(), body


@pytest.mark.parametrize("title", ["Giao ban 🎉 cuối năm", "Họp khẩn ⚠️", "Chúc mừng 👍🏽", "Giao ban 🇻🇳"])
async def test_emoji_are_refused_in_what_an_official_document_prints(live_server: LiveServer, title: str) -> None:
    admin = await live_server.admin()
    emoji_sentence = (
        "không được chứa biểu tượng cảm xúc (emoji) hay ký hiệu hình ảnh: "
        "văn bản hành chính không in được các ký tự này."
    )
    status, body = await admin.post("/api/meetings", {"title": title, "starts_at": START})
    assert status == 422 and body["error"]["message"] == f"Tiêu đề {emoji_sentence}", body
    meeting = await make_meeting(admin, items=0, schedule=False)
    for path, payload, label in (
        (f"/api/meetings/{meeting['id']}", {"location": title}, "Địa điểm"),
        (f"/api/meetings/{meeting['id']}/agenda", {"title": title}, "Tiêu đề"),
        ("/api/sites", {"name": title, "unit_id": live_server.unit_id}, "Tên"),
    ):
        status, body = await admin.request(
            "PATCH" if "agenda" not in path and "sites" not in path else "POST", path, payload
        )
        assert status == 422 and body["error"]["message"] == f"{label} {emoji_sentence}", (path, body)


def test_pictographs_are_told_from_vietnamese_text() -> None:
    for text in ("Hội nghị trực tuyến UBND tỉnh – “giao ban” © 2026 ™", "Số 30/2020/NĐ-CP; 1 ≤ 2 → 3", "Đắk Lắk ½"):
        assert not has_pictographs(text), text
        assert without_pictographs(text) == text
    assert without_pictographs("Giao ban 🎉 cuối năm 👨‍👩‍👧 ⭐️") == "Giao ban cuối năm"
