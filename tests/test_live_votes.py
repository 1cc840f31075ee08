"""Votes live over socket.io and REST, on SQLite and PostgreSQL: 120 delegates, 118 ballots at once with retries
mixed in, the turnout (never a count) live on a secret vote and the result to every screen at the close; a socket
opened before its person lost their part in the meeting is refused vote commands."""

from __future__ import annotations

import asyncio
import uuid
from typing import Any

from meeting_server import protocol as p
from tests.helpers import LiveServer, check_in_everyone, command_id, make_meeting
from tests.test_live_authz import raw_socket


async def test_118_concurrent_ballots_with_retries_on_a_secret_vote(any_server: LiveServer) -> None:
    people = [await any_server.create_user(f"db{i:03d}", f"Đại biểu số {i}", ["delegate"]) for i in range(120)]
    clients = [await any_server.client(x["username"]) for x in people[:118]]
    admin = await any_server.admin()
    meeting = await make_meeting(admin, invitee_ids=[x["id"] for x in people], items=1)
    await check_in_everyone(admin, meeting["id"], [x["id"] for x in people])  # the 120 are in the hall
    assert (await admin.post(f"/api/meetings/{meeting['id']}/start"))[0] == 200
    votes = f"/api/meetings/{meeting['id']}/votes"
    body = {"item_id": meeting["agenda"][0]["id"], "question": "Bầu Trưởng ban", "secret": True}
    status, made = await admin.post(votes, body)
    vote_id = made["vote"]["id"]
    base = f"{votes}/{vote_id}"
    await admin.post(f"{base}/open")
    choice = {i: ("yes" if i % 4 else "no") if i % 10 else "abstain" for i in range(118)}
    keys = {i: f"c-{uuid.uuid4().hex}" for i in range(118)}
    async with raw_socket(any_server, clients[0]) as screen, raw_socket(any_server, clients[1]) as sock:
        for s in (screen, sock):
            assert (await s.call(p.JOIN, {"meeting_id": meeting["id"], "after_seq": 0}))["ok"] is True

        async def over_rest(i: int) -> Any:
            status, answer = await clients[i].post(
                f"{base}/ballots", {"choices": [choice[i]]}, headers={"Idempotency-Key": keys[i]}
            )
            return answer if status == 200 else {"status": status, **answer}

        async def over_socket(i: int) -> Any:  # one socket carries person 1's ballot, sent twice with one id
            args = {"meeting_id": meeting["id"], "vote_id": vote_id, "choices": [choice[i]]}
            answer = await sock.call(p.COMMAND, {"command_id": keys[i], "action": "vote.cast_ballot", "args": args})
            return answer["result"] if answer.get("ok") else answer

        sends = [over_rest(i) for i in range(118) if i != 1] + [over_socket(1), over_socket(1)]
        sends += [over_rest(i) for i in range(0, 118, 5)]  # retries (same id) mixed in
        answers = await asyncio.gather(*sends)
        assert all(a == {"accepted": True, "meeting_id": meeting["id"]} for a in answers), answers
        status, closed = await admin.post(f"{base}/close")
        assert status == 200, closed
        status, late = await (await any_server.client("db118")).post(f"{base}/ballots", {"choices": ["yes"]})
        assert status == 409 and late["error"]["code"] == "vote_closed"
        await screen.marker()
        pushed = screen.events(meeting["id"])
    result = closed["vote"]["result"]
    want = {"yes": 0, "no": 0, "abstain": 0}
    for c in choice.values():
        want[c] += 1
    assert {c["choice"]: c["count"] for c in result["counts"]} == want
    assert (result["voted"], result["members"]) == (118, 120)
    turnout = [e for e in pushed if e["type"] == "vote.turnout"]
    # each ballot once, retries applied nowhere; concurrent ballots share an entry (one transaction, one event)
    assert sorted(v for e in turnout for v in e["data"]["voters"]) == sorted(x["id"] for x in people[:118])
    assert all(e["data"]["cast_by"] == {} for e in turnout)  # everyone cast their own
    assert len(turnout) < 118  # grouped: 118 ballots at once are not 118 events to every screen
    assert {e["data"]["line"] for e in turnout} >= {"Đã biểu quyết 118/120"}
    assert all("counts" not in e["data"] and "choices" not in e["data"] for e in turnout)
    async with raw_socket(any_server, clients[2]) as back:  # a tablet that was offline joins afresh
        joined = await back.call(p.JOIN, {"meeting_id": meeting["id"], "after_seq": 0})
        assert [v["result"] for v in joined["snapshot"]["votes"]] == [result]
    closing = [e for e in pushed if e["type"] == "vote.closed"]
    assert len(closing) == 1 and closing[0]["data"]["vote"]["result"] == result
    assert "members" not in closing[0]["data"]["vote"] and closing[0]["data"]["vote"]["members_count"] == 120


async def test_a_socket_opened_before_losing_the_part_is_refused_vote_commands(any_server: LiveServer) -> None:
    sec = await any_server.create_user("thuky.bq", "Thư ký Hội nghị", ["secretary"])
    voter = await any_server.create_user("daibieu.bq", "Đại biểu Biểu quyết", ["delegate"])
    admin = await any_server.admin()
    meeting = await make_meeting(admin, invitee_ids=[voter["id"]], secretary_id=sec["id"], items=1)
    await check_in_everyone(admin, meeting["id"], [voter["id"]])
    assert (await admin.post(f"/api/meetings/{meeting['id']}/start"))[0] == 200
    votes = f"/api/meetings/{meeting['id']}/votes"
    status, made = await admin.post(votes, {"item_id": meeting["agenda"][0]["id"], "question": "Thông qua"})
    vote_id = made["vote"]["id"]
    secretary, delegate = await any_server.client("thuky.bq"), await any_server.client("daibieu.bq")
    async with raw_socket(any_server, secretary) as sec_sock, raw_socket(any_server, delegate) as del_sock:
        for s in (sec_sock, del_sock):
            assert (await s.call(p.JOIN, {"meeting_id": meeting["id"], "after_seq": 0}))["ok"] is True
        args = {"meeting_id": meeting["id"], "vote_id": vote_id}
        opened = await sec_sock.call(p.COMMAND, {"command_id": command_id(), "action": "vote.open", "args": args})
        assert opened["ok"] is True  # with vote.manage, as the meeting's secretary
        status, _ = await admin.patch(f"/api/meetings/{meeting['id']}", {"secretary_id": None, "invitee_ids": []})
        assert status == 200
        closing = await sec_sock.call(p.COMMAND, {"command_id": command_id(), "action": "vote.close", "args": args})
        assert closing.get("error", {}).get("code") in ("forbidden", "not_found"), closing
        ballot = {**args, "choices": ["yes"]}
        cast = await del_sock.call(
            p.COMMAND, {"command_id": command_id(), "action": "vote.cast_ballot", "args": ballot}
        )
        assert cast.get("error", {}).get("code") in ("forbidden", "not_found"), cast
    status, listed = await admin.get(votes)
    assert listed["votes"][0]["status"] == "open" and listed["votes"][0]["voted"] == 0
