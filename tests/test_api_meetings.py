"""REST end to end against a real server, on SQLite and on PostgreSQL."""

from __future__ import annotations

from tests.helpers import LiveServer, command_id, make_meeting


async def test_health_and_openapi(any_server: LiveServer) -> None:
    anon = await any_server.client()
    status, body = await anon.get("/api/health")
    assert (status, body["status"], body["database"]) == (200, "ok", "ok")
    status, doc = await anon.get("/api/openapi.json")
    assert status == 200 and doc["openapi"].startswith("3.1")
    assert "/api/meetings/{meeting_id}/agenda" in doc["paths"]


async def test_schedule_meeting_and_delegate_sees_it(any_server: LiveServer) -> None:
    delegate = await any_server.create_user("tp.taichinh", "Nguyễn Thị Hương", ["delegate"])
    await any_server.create_user("khach", "Trần Văn Khách", ["delegate"])
    admin = await any_server.admin()
    meeting = await make_meeting(admin, invitee_ids=[delegate["id"]], items=0, schedule=False)
    status, meeting = await admin.post(
        f"/api/meetings/{meeting['id']}/agenda",
        {"title": "Báo cáo tình hình kinh tế - xã hội", "planned_minutes": 30, "presenter_id": delegate["id"]},
    )
    assert status == 201
    assert meeting["agenda"][0]["presenter_name"] == "Nguyễn Thị Hương"

    reader = await any_server.client("tp.taichinh")
    status, mine = await reader.get("/api/meetings")
    assert status == 200 and mine["meetings"] == []  # a draft is the organisers' business

    status, meeting = await admin.post(f"/api/meetings/{meeting['id']}/schedule")
    assert status == 200 and meeting["status"] == "scheduled"
    status, mine = await reader.get("/api/meetings")
    assert [m["id"] for m in mine["meetings"]] == [meeting["id"]]
    assert mine["meetings"][0]["my_role"] == "delegate"
    status, snap = await reader.get(f"/api/meetings/{meeting['id']}")
    assert status == 200 and snap["agenda"][0]["title"] == "Báo cáo tình hình kinh tế - xã hội"

    other = await any_server.client("khach")
    status, body = await other.get(f"/api/meetings/{meeting['id']}")
    assert status == 404 and body["error"]["code"] == "not_found"
    assert body["error"]["message"] == "Không tìm thấy cuộc họp."

    status, body = await reader.post(f"/api/meetings/{meeting['id']}/start")
    assert status == 403 and body["error"]["code"] == "forbidden"


async def test_event_log_is_gap_free_and_replays(any_server: LiveServer) -> None:
    admin = await any_server.admin()
    meeting = await make_meeting(admin, items=3)
    status, log = await admin.get(f"/api/meetings/{meeting['id']}/events?after=1")
    assert status == 200
    seqs = [e["seq"] for e in log["events"]]
    assert seqs == list(range(2, log["last_seq"] + 1))
    assert [e["type"] for e in log["events"]] == ["agenda.item_added"] * 3 + ["meeting.scheduled"]


async def test_idempotency_key_applies_once(any_server: LiveServer) -> None:
    admin = await any_server.admin()
    meeting = await make_meeting(admin, items=1)
    key = command_id()
    first = await admin.post(
        f"/api/meetings/{meeting['id']}/agenda", {"title": "Kết luận"}, headers={"Idempotency-Key": key}
    )
    again = await admin.post(
        f"/api/meetings/{meeting['id']}/agenda", {"title": "Kết luận"}, headers={"Idempotency-Key": key}
    )
    assert first == again
    status, snap = await admin.get(f"/api/meetings/{meeting['id']}")
    assert [i["title"] for i in snap["agenda"]] == ["Nội dung 1", "Kết luận"]


async def test_bad_input_gets_one_error_shape_and_changes_nothing(any_server: LiveServer) -> None:
    admin = await any_server.admin()
    meeting = await make_meeting(admin, items=1)
    path = f"/api/meetings/{meeting['id']}/agenda"
    cases = [
        ({"title": "X", "colour": "red"}, 422, "invalid_input"),
        ({"title": 5}, 422, "invalid_input"),
        ({"title": "X", "planned_minutes": "30"}, 422, "invalid_input"),
        ({"title": "X", "planned_minutes": -1}, 422, "invalid_input"),
    ]
    for body, status_, code in cases:
        status, answer = await admin.post(path, body)
        assert (status, answer["error"]["code"]) == (status_, code), answer
        assert set(answer) == {"error"} and set(answer["error"]) == {"code", "message"}
    status, answer = await admin.post(path, raw=b"{not json")
    assert (status, answer["error"]["code"]) == (400, "malformed_json")
    status, answer = await admin.post(path, raw=b'{"title": "' + b"x" * (2 * 1024 * 1024) + b'"}')
    assert (status, answer["error"]["code"]) == (413, "payload_too_large")
    status, snap = await admin.get(f"/api/meetings/{meeting['id']}")
    assert len(snap["agenda"]) == 1 and snap["last_seq"] == meeting["last_seq"]


async def test_errors_speak_english_when_asked(any_server: LiveServer) -> None:
    anon = await any_server.client(lang="en")
    status, body = await anon.get("/api/meetings")
    assert status == 401 and body["error"]["message"] == "Please sign in to continue."
    anon_vi = await any_server.client()
    status, body = await anon_vi.get("/api/meetings")
    assert body["error"]["message"] == "Bạn cần đăng nhập để tiếp tục."


async def test_participants_lists_people_invited_directly_and_by_unit(any_server: LiveServer) -> None:
    commune = await any_server.create_unit("Xã Sầm Dương")
    head = await any_server.create_user("tp.noivu", "Vũ Thị Thanh", ["delegate"])
    await any_server.create_user("ct.samduong", "Hà Văn Lợi", ["delegate"], unit_id=commune)
    await any_server.create_user("kt.samduong", "Triệu Văn Kiên", ["site_operator"], unit_id=commune)
    site = await any_server.create_site("Phòng họp UBND xã Sầm Dương", unit_id=commune)
    admin = await any_server.admin()
    meeting = await make_meeting(admin, invitee_ids=[head["id"]], invited_unit_ids=[commune], site_ids=[site])
    reader = await any_server.client("tp.noivu")
    status, body = await reader.get(f"/api/meetings/{meeting['id']}/participants")
    assert status == 200
    by_name = {p["full_name"]: p for p in body["people"]}
    assert by_name["Vũ Thị Thanh"]["invited_via"] == "direct" and by_name["Vũ Thị Thanh"]["role"] == "delegate"
    assert by_name["Hà Văn Lợi"]["invited_via"] == "unit" and by_name["Hà Văn Lợi"]["unit_name"] == "Xã Sầm Dương"
    # Invited with the whole commune, its operator still runs the commune's hall (domain.meetings.meeting_role).
    assert by_name["Triệu Văn Kiên"]["role"] == "site_operator"
    assert body["sites"] == [{"id": site, "name": "Phòng họp UBND xã Sầm Dương", "unit_id": commune}]


async def test_a_command_id_reused_for_another_action_is_refused(any_server: LiveServer) -> None:
    admin = await any_server.admin()
    meeting = await make_meeting(admin, items=1)
    key = {"Idempotency-Key": command_id()}
    status, _ = await admin.post(f"/api/meetings/{meeting['id']}/agenda", {"title": "Kết luận"}, headers=key)
    assert status == 201
    status, body = await admin.post(f"/api/meetings/{meeting['id']}/start", headers=key)
    assert (status, body["error"]["code"]) == (422, "invalid_input")
    assert "agenda.add_item" in body["error"]["message"]
    status, snap = await admin.get(f"/api/meetings/{meeting['id']}")
    assert snap["status"] == "scheduled"


async def test_capabilities_say_what_the_person_may_do_and_the_server_agrees(any_server: LiveServer) -> None:
    """`capabilities` on the session (GET /api/auth/session) and on the meeting snapshot are the permissions the
    server then enforces; a chair whose chair role is taken away keeps the part (my_role) but no longer runs the
    meeting, in both places."""
    chair = await any_server.create_user("ct.hopthanh", "Lê Văn Chủ", ["chair"])
    delegate = await any_server.create_user("tp.taichinh", "Nguyễn Thị Hương", ["delegate"])
    admin = await any_server.admin()
    meeting = await make_meeting(admin, invitee_ids=[delegate["id"]], chair_id=chair["id"])
    path = f"/api/meetings/{meeting['id']}"

    status, me = await admin.get("/api/auth/session")
    assert status == 200 and me["user"]["capabilities"] == [
        "account.edit",
        "directory.manage",
        "meeting.create",
        "register.read",
    ]
    reader = await any_server.client("tp.taichinh")
    _, me = await reader.get("/api/auth/session")
    assert me["user"]["capabilities"] == ["account.edit"]
    _, snap = await reader.get(path)
    assert (snap["my_role"], snap["capabilities"]) == (
        "delegate",
        [
            "attendance.check_in_self",
            "conference.publish",
            "floor.request",
            "invitation.answer",
            "meeting.view",
            "record.sign",  # every person's part; only the slot's own person gets past the turn check
            "vote.authorise_own",
            "vote.cast",
        ],
    )
    status, _ = await reader.post(f"{path}/start")
    assert status == 403

    chairing = await any_server.client("ct.hopthanh")
    _, snap = await chairing.get(path)
    assert snap["my_role"] == "chair"
    assert {"meeting.organize", "paper.manage", "conference.console"} <= set(snap["capabilities"])
    status, _ = await admin.patch(f"/api/users/{chair['id']}", {"roles": ["delegate"]})
    assert status == 200
    _, snap = await chairing.get(path)
    assert snap["my_role"] == "chair" and "meeting.organize" not in snap["capabilities"]
    status, body = await chairing.post(f"{path}/start")
    assert status == 403 and body["error"]["code"] == "forbidden"


async def test_a_hall_booked_into_overlapping_meetings_is_a_warning(any_server: LiveServer) -> None:
    """Issue 9 §1.9: adding a site already booked into an overlapping meeting told the organiser nothing."""
    hall = await any_server.create_site("Phòng họp UBND xã Hợp Thành")
    other_hall = await any_server.create_site("Phòng họp UBND xã Tân Trào")
    await any_server.create_user("thuky", "Lê Thị Thư", ["secretary"])
    admin = await any_server.admin()
    first = await make_meeting(admin, title="Giao ban tháng 11", site_ids=[hall])  # 08:00–11:00

    status, second = await admin.post(
        "/api/meetings",
        {"title": "Họp chuyên đề", "starts_at": "2026-11-24T10:30:00+07:00", "site_ids": [other_hall, hall]},
    )
    assert status == 201, second
    assert [(w["code"], w["site_id"], w["meeting_id"], w["meeting_title"]) for w in second["warnings"]] == [
        ("site_booked", hall, first["id"], "Giao ban tháng 11")
    ]
    assert second["warnings"][0]["message"] == (
        "Điểm cầu Phòng họp UBND xã Hợp Thành đã được xếp vào cuộc họp “Giao ban tháng 11” trùng giờ."
    )
    # Moved to the afternoon: no clash any more.
    status, moved = await admin.patch(f"/api/meetings/{second['id']}", {"starts_at": "2026-11-24T14:00:00+07:00"})
    assert status == 200 and moved["warnings"] == [], moved
    # Someone who may not see the other meeting is warned without its title.
    secretary = await any_server.client("thuky")
    status, third = await secretary.post(
        "/api/meetings",
        {
            "title": "Họp tổ",
            "starts_at": "2026-11-24T09:00:00+07:00",
            "ends_at": "2026-11-24T09:30:00+07:00",
            "site_ids": [hall],
        },
    )
    assert status == 201, third
    assert [(w["meeting_id"], w["meeting_title"]) for w in third["warnings"]] == [(None, "")]
    assert "một cuộc họp khác" in third["warnings"][0]["message"]
