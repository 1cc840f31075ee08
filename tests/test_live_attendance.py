"""Attendance (điểm danh) through the real server on SQLite and PostgreSQL: 120 delegates check in at once over
REST and socket.io, with retried commands mixed in, and the count is exact; the desk records absences and
corrections; a commune hall's operator records only their own hall; a delegate demoted while their socket is open
is refused; every check-in carries the quorum line the console and the wall display show."""

from __future__ import annotations

import asyncio
from contextlib import AsyncExitStack
from typing import Any

from yarl import URL

from meeting_server import protocol as p
from meeting_server.api.common import AUTH
from meeting_server.auth import COOKIE
from tests.helpers import ApiClient, LiveServer, command_id, make_meeting
from tests.test_documents_invitation import pdftotext
from tests.test_live_authz import VI_FORBIDDEN, RawSocket, raw_socket, raw_socket_at

DELEGATES = 120
BY_SOCKET = 20  # of them check in over socket.io, the others over REST
RETRIED = 30  # of them send their command twice with the same id, at the same time


async def signed_in(server: LiveServer, user_id: str) -> tuple[ApiClient, str]:
    """A REST client holding a session issued without a password (as the benchmarks sign in their crowds)."""
    assert server.runner is not None
    cookie, csrf = await server.runner.app[AUTH].issue_session(user_id)
    client = ApiClient(server.url)
    server.clients.append(client)
    client.http.cookie_jar.update_cookies({COOKIE: cookie}, URL(server.url))
    client.csrf = csrf
    return client, f"{COOKIE}={cookie}"


async def command(sock: RawSocket, action: str, cid: str | None = None, **args: Any) -> dict[str, Any]:
    return await sock.call(p.COMMAND, {"command_id": cid or command_id(), "action": action, "args": args})


async def test_120_delegates_check_in_at_once_and_the_count_is_exact(any_server: LiveServer) -> None:
    admin = await any_server.admin()
    hall = await any_server.create_site("Hội trường UBND tỉnh Tuyên Quang")
    people = [
        await any_server.create_user(f"daibieu{n:03d}", f"Đại biểu {n:03d}", ["delegate"]) for n in range(DELEGATES)
    ]
    guest = await any_server.create_user("khachmoi", "Khách mời Báo Tuyên Quang", ["delegate"])
    ids = [u["id"] for u in people]
    meeting = await make_meeting(
        admin,
        invitee_ids=[*ids, guest["id"]],
        guest_ids=[guest["id"]],
        quorum_rule={"numerator": 1, "denominator": 2, "strict": True, "base": "members"},
        site_ids=[hall],
        main_site_id=hall,
    )
    mid = meeting["id"]
    assert meeting["guest_ids"] == [guest["id"]]
    assert meeting["quorum"]["line"] == "Có mặt 0/120 · chưa đủ điều kiện (cần 61)"  # the snapshot carries it
    status, before = await admin.get(f"/api/meetings/{mid}/attendance")
    assert status == 200
    assert before["quorum"]["line"] == "Có mặt 0/120 · chưa đủ điều kiện (cần 61)"
    assert len(before["membership"]["voting"]) == DELEGATES and before["membership"]["guests"] == [guest["id"]]

    clients = [await signed_in(any_server, uid) for uid in ids]
    async with AsyncExitStack() as stack:
        console = await stack.enter_async_context(raw_socket(any_server, admin))
        assert (await console.call(p.JOIN, {"meeting_id": mid, "after_seq": 0}))["ok"] is True

        async def over_rest(n: int) -> list[tuple[int, Any]]:
            api, _ = clients[n]
            cid = command_id()
            headers = {"Idempotency-Key": cid}
            body = {"place": "in_hall"}
            path = f"/api/meetings/{mid}/attendance/check-in"
            times = 2 if n < RETRIED else 1
            return list(await asyncio.gather(*(api.post(path, body, headers=headers) for _ in range(times))))

        tablets = {}  # the socket.io tablets are connected before the rush, as in the hall
        for n in range(DELEGATES - BY_SOCKET, DELEGATES):
            tablets[n] = await stack.enter_async_context(raw_socket_at(any_server.url, clients[n][1]))

        async def over_socket(n: int) -> list[tuple[int, Any]]:
            cid = command_id()
            both = await asyncio.gather(
                *(command(tablets[n], "attendance.check_in", cid, meeting_id=mid, place="in_hall") for _ in range(2))
            )
            return [(200 if "ok" in a else 400, a.get("result", a)) for a in both]

        answers = await asyncio.gather(
            *(over_socket(n) if n >= DELEGATES - BY_SOCKET else over_rest(n) for n in range(DELEGATES))
        )
        for n, pair in enumerate(answers):
            for status, body in pair:
                assert status == 200, (n, body)
                assert body["entry"]["person_id"] == ids[n] and body["entry"]["status"] == "checked_in"
        # The meeting has not started: everyone is simply present. The guest's check-in does not count.
        guest_api, _ = await signed_in(any_server, guest["id"])
        status, body = await guest_api.post(f"/api/meetings/{mid}/attendance/check-in", {"place": "in_hall"})
        assert status == 200 and body["quorum"]["present"] == DELEGATES
        await console.marker()
        # Events are published after their commits, so they may arrive out of order: the sequence orders them.
        recorded = sorted(
            (e for e in console.events(mid) if e["type"] == p.ATTENDANCE_RECORDED), key=lambda e: e["seq"]
        )

    # Each person once, retries included: 121 entries (the guest's too), 121 events, the last quorum exact.
    assert len(recorded) == DELEGATES + 1
    assert sorted(e["data"]["entry"]["person_id"] for e in recorded) == sorted([*ids, guest["id"]])
    counts = [e["data"]["patch"]["quorum"]["present"] for e in recorded]
    assert counts == [*range(1, DELEGATES + 1), DELEGATES]  # no two check-ins saw the same count
    assert recorded[-1]["data"]["voting"] is False and recorded[0]["data"]["voting"] is True
    status, after = await admin.get(f"/api/meetings/{mid}/attendance")
    assert status == 200
    assert len(after["entries"]) == DELEGATES + 1 and len(after["current"]) == DELEGATES + 1
    assert after["quorum"]["line"] == "Có mặt 120/120 · đủ điều kiện tiến hành"
    assert {c["line"] for c in after["current"]} == {"Có mặt tại hội trường"}


async def test_the_desk_corrects_the_site_records_its_own_hall_and_a_demoted_socket_is_refused(
    any_server: LiveServer,
) -> None:
    admin = await any_server.admin()
    commune = await any_server.create_unit("Xã Tân Trào")
    other_commune = await any_server.create_unit("Xã Minh Thanh")
    hall = await any_server.create_site("Điểm cầu xã Tân Trào", commune)
    other_hall = await any_server.create_site("Điểm cầu xã Minh Thanh", other_commune)
    await any_server.create_user("kythuat.tantrao", "Kỹ thuật Tân Trào", ["site_operator"], unit_id=commune)
    lan = await any_server.create_user("daibieu.lan", "Hà Thị Lan", ["delegate"], unit_id=commune)
    minh = await any_server.create_user("daibieu.minh", "Lý Văn Minh", ["delegate"], unit_id=other_commune)
    meeting = await make_meeting(
        admin, invitee_ids=[lan["id"], minh["id"]], site_ids=[hall, other_hall], main_site_id=hall
    )
    mid = meeting["id"]
    assert (await admin.post(f"/api/meetings/{mid}/start"))[0] == 200
    op_api = await any_server.client("kythuat.tantrao")

    # The operator records Lan in their own hall; a meeting under way long after its start: đến muộn.
    status, body = await op_api.post(f"/api/meetings/{mid}/attendance/site", {"site_id": hall, "person_id": lan["id"]})
    assert status == 200, body
    assert (body["entry"]["status"], body["entry"]["place"], body["entry"]["recorded_as"]) == (
        "late",
        "at_site",
        "site_desk",
    )
    # ...but not at another commune's hall.
    status, body = await op_api.post(
        f"/api/meetings/{mid}/attendance/site", {"site_id": other_hall, "person_id": minh["id"]}
    )
    assert status == 403 and body["error"]["code"] == "forbidden"
    # ...and not at the desk.
    status, body = await op_api.post(
        f"/api/meetings/{mid}/attendance", {"person_id": minh["id"], "status": "absent_unexcused"}
    )
    assert status == 403

    # The desk: an excused absence needs its reason, said in a sentence.
    status, body = await admin.post(
        f"/api/meetings/{mid}/attendance", {"person_id": minh["id"], "status": "absent_excused"}
    )
    assert status == 422 and body["error"]["message"] == "Vắng có lý do thì phải ghi lý do."
    status, body = await admin.post(
        f"/api/meetings/{mid}/attendance",
        {"person_id": minh["id"], "status": "absent_excused", "reason": "Đi công tác tại Hà Nội"},
    )
    assert status == 200 and body["quorum"]["line"] == "Có mặt 1/2 · chưa đủ điều kiện (cần 2)"
    # Minh becomes a guest: the rule's base shrinks, and the snapshot's line says so at once.
    status, changed = await admin.patch(f"/api/meetings/{mid}", {"guest_ids": [minh["id"]]})
    assert status == 200 and changed["quorum"]["line"] == "Có mặt 1/1 · đủ điều kiện tiến hành", changed
    # A correction (Lan was in fact on time) is a new entry; the first stays in the history.
    status, body = await admin.post(
        f"/api/meetings/{mid}/attendance",
        {
            "person_id": lan["id"],
            "status": "checked_in",
            "place": "at_site",
            "site_id": hall,
            "correction": True,
            "reason": "Đến đúng giờ, ghi nhầm",
        },
    )
    assert status == 200 and body["entry"]["correction"] is True
    status, listing = await admin.get(f"/api/meetings/{mid}/attendance")
    lan_entries = [e for e in listing["entries"] if e["person_id"] == lan["id"]]
    assert [e["status"] for e in lan_entries] == ["late", "checked_in"]
    assert {c["person_id"]: c["line"] for c in listing["current"]} == {
        lan["id"]: "Có mặt tại điểm cầu",
        minh["id"]: "Vắng có lý do",
    }

    # The desk's printed list and its CSV: names, states, who recorded, the correction; not for a delegate.
    status, pdf = await admin.get(f"/api/meetings/{mid}/attendance.pdf")
    assert status == 200 and pdf[:5] == b"%PDF-"
    text = " ".join(pdftotext(pdf).split())
    for words in ("Hà Thị Lan", "Lý Văn Minh", "Vắng có lý do", "Đính chính", "Có mặt 1/1 · đủ điều kiện tiến hành"):
        assert words in text, words
    status, csv = await admin.get(f"/api/meetings/{mid}/attendance.csv")
    assert status == 200 and csv.startswith("\ufeff".encode())
    assert "Hà Thị Lan" in csv.decode("utf-8-sig") and "Đi công tác tại Hà Nội" in csv.decode("utf-8-sig")
    lan_api, _ = await signed_in(any_server, lan["id"])
    status, body = await lan_api.get(f"/api/meetings/{mid}/attendance.pdf")
    assert status == 403 and body["error"]["code"] == "forbidden"

    # Minh's socket is open; he becomes an observer; checking in on that socket is refused and writes nothing.
    _, cookie = await signed_in(any_server, minh["id"])
    async with raw_socket_at(any_server.url, cookie) as tablet:
        assert (await tablet.call(p.JOIN, {"meeting_id": mid, "after_seq": 0}))["ok"] is True
        status, _ = await admin.patch(f"/api/users/{minh['id']}", {"roles": ["observer"]})
        assert status == 200
        refused = await command(tablet, "attendance.check_in", meeting_id=mid, place="remote")
        assert refused == {"error": {"code": "forbidden", "message": VI_FORBIDDEN}}
    status, again = await admin.get(f"/api/meetings/{mid}/attendance")
    assert again["entries"] == listing["entries"]
