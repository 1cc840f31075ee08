"""Answers to the invitation end to end, on SQLite and PostgreSQL: answers over REST and socket.io, a stand-in
added and invited who then casts the member's ballot (the member's own refused), reminders naming exactly the
unanswered, the answers live to the organisers only, a member's own proxy from the tablet, and wrong roles refused
(also on a socket opened before the role changed)."""

from __future__ import annotations

from typing import Any

from meeting_server import protocol as p
from tests.helpers import ApiClient, LiveServer, check_in_everyone, command_id, make_meeting
from tests.test_live_authz import raw_socket


def _path(meeting: dict[str, Any], tail: str = "") -> str:
    return f"/api/meetings/{meeting['id']}{tail}"


async def _log(admin: ApiClient, meeting: dict[str, Any]) -> list[dict[str, Any]]:
    status, log = await admin.get(_path(meeting, "/events?after=1"))
    assert status == 200 and "events" in log, log
    return list(log["events"])


async def test_a_stand_in_is_invited_and_casts_the_members_ballot(any_server: LiveServer) -> None:
    unit = await any_server.create_unit("Sở Tài chính", kind="agency")
    member = await any_server.create_user("gd.taichinh", "Nguyễn Văn Giám Đốc", ["delegate"], unit_id=unit)
    other = await any_server.create_user("pgd.taichinh", "Trần Thị Phó", ["delegate"], unit_id=unit)
    deputy = await any_server.create_user("cv.taichinh", "Lê Văn Chuyên Viên", ["delegate"], unit_id=unit)
    outsider = await any_server.create_user("cv.xaydung", "Phạm Xây Dựng", ["delegate"])
    admin = await any_server.admin()
    meeting = await make_meeting(admin, invitee_ids=[member["id"], other["id"]], items=1)
    gd, pgd, cv = [await any_server.client(u["username"]) for u in (member, other, deputy)]

    status, mine = await gd.get(_path(meeting, "/answer"))
    assert status == 200 and mine["answer"] is None and mine["invited"] is True
    assert [c["id"] for c in mine["colleagues"]] == [deputy["id"], other["id"]]  # by name, never oneself
    status, body = await gd.post(_path(meeting, "/answer"), {"kind": "stand_in", "stand_in_id": outsider["id"]})
    assert status == 422 and body["error"]["code"] == "invalid_input" and "cùng đơn vị" in body["error"]["message"]
    status, body = await pgd.post(_path(meeting, "/answer"), {"kind": "absent"})
    assert status == 422 and "lý do" in body["error"]["message"]

    status, given = await gd.post(_path(meeting, "/answer"), {"kind": "stand_in", "stand_in_id": deputy["id"]})
    assert status == 200, given
    assert given["answer"]["stand_in_id"] == deputy["id"] and given["answer"]["stand_in_added"] is True
    status, body = await pgd.post(_path(meeting, "/answer"), {"kind": "absent", "reason": "Đi công tác Hà Nội"})
    assert status == 200 and body["answer"]["reason"] == "Đi công tác Hà Nội"

    # The stand-in is invited: the meeting.updated the mail outbox reads, their list of meetings, their own page.
    log = await _log(admin, meeting)
    answered = [i for i, e in enumerate(log) if e["type"] == p.INVITATION_ANSWERED]
    invited = [e for e in log if e["type"] == p.MEETING_UPDATED and deputy["id"] in e["data"]["patch"]["invitee_ids"]]
    assert len(answered) == 2 and len(invited) == 1
    assert invited[0]["seq"] == log[answered[0]]["seq"] + 1
    status, listed = await cv.get("/api/meetings")
    assert [m["id"] for m in listed["meetings"]] == [meeting["id"]]
    status, mine = await cv.get(_path(meeting, "/answer"))
    assert (mine["stands_in_for"], mine["stands_in_for_name"]) == (member["id"], "Nguyễn Văn Giám Đốc")
    status, snap = await cv.get(_path(meeting))
    assert set(snap["answers"]) == {member["id"]}  # the answer naming them; not the others' reasons

    status, table = await admin.get(_path(meeting, "/answers"))
    assert status == 200 and table["counts"] == {"attending": 0, "absent": 1, "stand_in": 1, "none": 1}
    rows = {r["person_id"]: r for r in table["people"]}
    assert rows[member["id"]]["line"] == "Cử người dự thay: Lê Văn Chuyên Viên"
    assert rows[other["id"]]["line"] == "Vắng mặt: Đi công tác Hà Nội"
    assert (rows[deputy["id"]]["stands_in_for_name"], rows[deputy["id"]]["line"]) == (
        "Nguyễn Văn Giám Đốc",
        "Chưa trả lời",
    )

    # The organiser cannot cut the arrangement from under the vote: taking the member off the list (the stand-in
    # would then vote in their own right) or making the stand-in a guest is refused until the answer changes.
    everyone = [member["id"], other["id"], deputy["id"]]
    for edit in ({"invitee_ids": [other["id"], deputy["id"]]}, {"guest_ids": [deputy["id"]]}):
        status, body = await admin.patch(_path(meeting), edit)
        assert status == 409 and "dự thay" in body["error"]["message"], body
    status, body = await admin.get(_path(meeting))
    assert sorted(body["invitee_ids"]) == sorted(everyone) and body["guest_ids"] == []

    # The reminder names exactly who has not answered: the stand-in.
    status, reminded = await admin.post(_path(meeting, "/remind"), {})
    assert status == 200 and reminded["person_ids"] == [deputy["id"]]
    assert (await _log(admin, meeting))[-1]["data"] == {"person_ids": [deputy["id"]]}
    status, body = await cv.post(_path(meeting, "/answer"), {"kind": "attending", "mode": "in_hall"})
    assert status == 200 and body["stands_in_for"] == member["id"]
    status, body = await admin.post(_path(meeting, "/remind"), {})
    assert status == 422 and body["error"]["code"] == "invalid_input"  # nobody left

    # In the vote: the stand-in casts the member's ballot; the member's own and the stand-in's own are refused.
    await admin.post(_path(meeting, "/start"))
    await check_in_everyone(admin, meeting["id"], [member["id"], deputy["id"]])
    status, made = await admin.post(
        _path(meeting, "/votes"), {"item_id": meeting["agenda"][0]["id"], "question": "Thông qua dự toán"}
    )
    base = _path(meeting, f"/votes/{made['vote']['id']}")
    status, opened = await admin.post(f"{base}/open")
    assert sorted(opened["vote"]["members"]) == sorted([member["id"], other["id"]])  # the stand-in is no member
    status, body = await gd.post(f"{base}/ballots", {"choices": ["yes"]})
    assert status == 403 and "ủy quyền" in body["error"]["message"]
    status, body = await cv.post(f"{base}/ballots", {"choices": ["yes"]})
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, body = await cv.post(f"{base}/ballots", {"choices": ["yes"], "voter": member["id"]})
    assert status == 200 and body == {"accepted": True, "meeting_id": meeting["id"]}
    status, closed = await admin.post(f"{base}/close")
    result = closed["vote"]["result"]
    assert (result["voted"], result["members"]) == (1, 2)
    assert [(x["delegator"], x["proxy"], x["stand_in"]) for x in result["proxies"]] == [
        (member["id"], deputy["id"], True)
    ]
    assert closed["vote"]["ballots"][0]["cast_by"] == deputy["id"]
    status, votes = await gd.get(_path(meeting, "/votes"))
    assert [x["id"] for x in votes["proxies"]] == [f"standin:{member['id']}"]


async def test_answers_reach_the_organisers_live_and_only_them(any_server: LiveServer) -> None:
    delegate = await any_server.create_user("daibieu.tl", "Đại biểu Trả Lời", ["delegate"])
    admin = await any_server.admin()
    meeting = await make_meeting(admin, invitee_ids=[delegate["id"]], items=1)
    dele = await any_server.client("daibieu.tl")
    async with raw_socket(any_server, admin) as desk, raw_socket(any_server, dele) as tablet:
        for s in (desk, tablet):
            assert (await s.call(p.JOIN, {"meeting_id": meeting["id"], "after_seq": 0}))["ok"] is True
        args = {"meeting_id": meeting["id"], "kind": "attending", "mode": "remote"}
        done = await tablet.call(p.COMMAND, {"command_id": command_id(), "action": "invitation.answer", "args": args})
        assert done["ok"] is True and done["result"]["answer"]["mode"] == "remote"
        await admin.post(_path(meeting, "/agenda"), {"title": "Kết luận"})  # a later event everyone gets
        await desk.marker()
        await tablet.marker()
        desk_types = [e["type"] for e in desk.events(meeting["id"])]
        tablet_types = [e["type"] for e in tablet.events(meeting["id"])]
    assert desk_types[-2:] == [p.INVITATION_ANSWERED, p.AGENDA_ITEM_ADDED]
    answered = desk.events(meeting["id"])[-2]
    assert answered["data"]["patch"]["answers"][delegate["id"]]["kind"] == "attending"
    assert tablet_types[-1] == p.AGENDA_ITEM_ADDED and p.INVITATION_ANSWERED not in tablet_types


async def test_wrong_roles_are_refused_also_on_a_socket_opened_before(any_server: LiveServer) -> None:
    delegate = await any_server.create_user("daibieu.sai", "Đại biểu", ["delegate"])
    guest = await any_server.create_user("khach.moi", "Khách mời", ["delegate"])
    stranger = await any_server.create_user("nguoi.ngoai", "Người ngoài", ["delegate"])
    chair = (await any_server.create_user("chutri.tl", "Chủ trì", ["chair"]))["id"]
    admin = await any_server.admin()
    meeting = await make_meeting(
        admin, invitee_ids=[delegate["id"], guest["id"]], guest_ids=[guest["id"]], chair_id=chair, items=1
    )
    dele, khach, ngoai = [await any_server.client(u["username"]) for u in (delegate, guest, stranger)]
    for path, body in (
        ("/answers", {"person_id": delegate["id"], "kind": "absent", "reason": "Ốm"}),
        ("/remind", {}),
    ):
        status, answer = await dele.post(_path(meeting, path), body)
        assert status == 403 and answer["error"]["code"] == "forbidden", (path, answer)
    status, answer = await dele.get(_path(meeting, "/answers"))
    assert status == 403 and answer["error"]["code"] == "forbidden"
    status, answer = await ngoai.post(_path(meeting, "/answer"), {"kind": "attending", "mode": "remote"})
    assert status == 404 and answer["error"]["code"] == "not_found"
    status, answer = await admin.post(_path(meeting, "/answer"), {"kind": "attending", "mode": "remote"})
    assert status == 422  # the organiser is not among the invitees: nothing to answer

    # The member's own proxy: to a member who is checked in, withdrawn by them; a guest gives none.
    await admin.post(_path(meeting, "/start"))
    status, answer = await dele.post(_path(meeting, "/my-proxy"), {"proxy": chair})
    assert status == 403 and "điểm danh" in answer["error"]["message"]  # the chair is not checked in
    await check_in_everyone(admin, meeting["id"], [chair, guest["id"]])
    status, answer = await khach.post(_path(meeting, "/my-proxy"), {"proxy": chair})
    assert status == 403 and answer["error"]["code"] == "forbidden"  # a guest has no vote to give
    status, answer = await dele.post(_path(meeting, "/my-proxy"), {"proxy": guest["id"]})
    assert status == 403  # nor holds one
    status, given = await dele.post(_path(meeting, "/my-proxy"), {"proxy": chair})
    assert status == 201 and given["proxy"]["delegator"] == delegate["id"]
    status, answer = await khach.post(_path(meeting, f"/my-proxy/{given['proxy']['id']}/withdraw"))
    assert status == 422 and answer["error"]["code"] == "invalid_input"  # not one they gave
    status, answer = await dele.post(_path(meeting, f"/my-proxy/{given['proxy']['id']}/withdraw"))
    assert status == 200 and answer["proxy"]["withdrawn_at"]

    async with raw_socket(any_server, dele) as sock:
        assert (await sock.call(p.JOIN, {"meeting_id": meeting["id"], "after_seq": 0}))["ok"] is True
        status, _ = await admin.patch(_path(meeting), {"invitee_ids": [guest["id"]]})
        assert status == 200
        for action, args in (
            ("invitation.answer", {"kind": "attending", "mode": "remote"}),
            ("proxy.authorise_own", {"proxy": chair}),
        ):
            sent = {"command_id": command_id(), "action": action, "args": {"meeting_id": meeting["id"], **args}}
            refused = await sock.call(p.COMMAND, sent)
            assert refused.get("error", {}).get("code") in ("forbidden", "not_found"), (action, refused)
    status, table = await admin.get(_path(meeting, "/answers"))
    assert delegate["id"] not in {r["person_id"] for r in table["people"]}


async def test_an_organisers_socket_opened_before_losing_the_part_is_refused(any_server: LiveServer) -> None:
    secretary = await any_server.create_user("thuky.tl", "Thư ký", ["secretary"])
    delegate = await any_server.create_user("daibieu.nh", "Đại biểu", ["delegate"])
    admin = await any_server.admin()
    meeting = await make_meeting(admin, invitee_ids=[delegate["id"]], secretary_id=secretary["id"], items=1)
    async with raw_socket(any_server, await any_server.client("thuky.tl")) as sock:
        assert (await sock.call(p.JOIN, {"meeting_id": meeting["id"], "after_seq": 0}))["ok"] is True
        absent = {"meeting_id": meeting["id"], "person_id": delegate["id"], "kind": "absent", "reason": "Ốm"}
        done = await sock.call(
            p.COMMAND, {"command_id": command_id(), "action": "invitation.answer_for", "args": absent}
        )
        assert done["ok"] is True and done["result"]["answer"]["recorded_by"] == secretary["id"]
        status, _ = await admin.patch(f"/api/users/{secretary['id']}", {"roles": ["delegate"]})
        assert status == 200  # no longer a secretary: the meeting is no longer theirs to run
        status, _ = await admin.patch(_path(meeting), {"secretary_id": None})
        assert status == 200
        for action, args in (("invitation.remind", {}), ("invitation.answer_for", absent)):
            sent = {"command_id": command_id(), "action": action, "args": {"meeting_id": meeting["id"], **args}}
            refused = await sock.call(p.COMMAND, sent)
            assert refused.get("error", {}).get("code") in ("forbidden", "not_found"), (action, refused)
    log = await _log(admin, meeting)
    assert [e["type"] for e in log].count(p.INVITATION_REMINDED) == 0


async def test_a_stand_in_and_a_proxy_for_the_same_member_exclude_each_other(any_server: LiveServer) -> None:
    unit = await any_server.create_unit("Ban Dân tộc", kind="agency")
    member = await any_server.create_user("tb.dantoc", "Trưởng Ban", ["delegate"], unit_id=unit)
    deputy = await any_server.create_user("pb.dantoc", "Phó Ban", ["delegate"], unit_id=unit)
    colleague = await any_server.create_user("cv.dantoc", "Chuyên Viên", ["delegate"], unit_id=unit)
    chair = await any_server.create_user("chutri.dt", "Chủ Trì", ["chair"])
    admin = await any_server.admin()
    meeting = await make_meeting(admin, invitee_ids=[member["id"], colleague["id"]], chair_id=chair["id"], items=1)
    given = {"delegator": member["id"], "proxy": chair["id"]}
    status, proxy = await admin.post(_path(meeting, "/proxies"), given)
    assert status == 201, proxy
    tb = await any_server.client("tb.dantoc")
    stand_in = {"kind": "stand_in", "stand_in_id": deputy["id"]}
    status, body = await tb.post(_path(meeting, "/answer"), stand_in)
    assert status == 409 and body["error"]["code"] == "conflict", body  # a proxy already stands for the member
    status, body = await admin.get(_path(meeting, "/answers"))
    assert body["counts"]["stand_in"] == 0 and deputy["id"] not in {r["person_id"] for r in body["people"]}
    await admin.post(_path(meeting, f"/proxies/{proxy['proxy']['id']}/withdraw"))
    status, body = await tb.post(_path(meeting, "/answer"), stand_in)
    assert status == 200 and body["answer"]["stand_in_id"] == deputy["id"]
    status, body = await admin.post(_path(meeting, "/proxies"), given)
    assert status == 409  # and now the stand-in stands for the member
    status, body = await admin.post(_path(meeting, "/proxies"), {"delegator": colleague["id"], "proxy": member["id"]})
    assert status == 403  # a member represented holds no proxy (no chain)
