"""Votes and proxies end to end over REST, on SQLite and PostgreSQL: lifecycle, concurrent ballots with retries,
the close ordered against ballots, a secret vote that stores no link from a voter to a choice, proxies."""

from __future__ import annotations

import asyncio
import csv
import io
import json
import re
import subprocess
from pathlib import Path
from typing import Any

from sqlalchemy import inspect, text

from tests.helpers import ApiClient, LiveServer, check_in_everyone, command_id, make_meeting, one_page_pdf


async def _delegates(server: LiveServer, n: int, prefix: str = "dbieu") -> list[tuple[dict[str, Any], ApiClient]]:
    people = [await server.create_user(f"{prefix}{i:03d}", f"Đại biểu số {i}", ["delegate"]) for i in range(n)]
    clients = [await server.client(p["username"]) for p in people]  # sign-ins are rate-limited when concurrent
    return list(zip(people, clients, strict=True))


async def _meeting(server: LiveServer, people: list[dict[str, Any]]) -> tuple[ApiClient, dict[str, Any]]:
    admin = await server.admin()
    meeting = await make_meeting(admin, invitee_ids=[p["id"] for p in people], items=1)
    await check_in_everyone(admin, meeting["id"], [p["id"] for p in people])
    assert (await admin.post(f"/api/meetings/{meeting['id']}/start"))[0] == 200  # votes open in a meeting under way
    return admin, meeting


def _votes_path(meeting: dict[str, Any]) -> str:
    return f"/api/meetings/{meeting['id']}/votes"


async def _prepare(admin: ApiClient, meeting: dict[str, Any], **fields: Any) -> dict[str, Any]:
    body = {"item_id": meeting["agenda"][0]["id"], "question": "Thông qua Nghị quyết về kế hoạch đầu tư công", **fields}
    status, answer = await admin.post(_votes_path(meeting), body)
    assert status == 201, answer
    assert answer["vote"]["status"] == "draft"
    return dict(answer["vote"])


async def test_named_vote_concurrent_ballots_retries_once_and_late_ballot_refused(any_server: LiveServer) -> None:
    voters = await _delegates(any_server, 12)
    admin, meeting = await _meeting(any_server, [p for p, _ in voters])
    vote = await _prepare(admin, meeting)
    base = f"{_votes_path(meeting)}/{vote['id']}"
    status, body = await voters[0][1].post(f"{base}/ballots", {"choices": ["yes"]})
    assert status == 409 and body["error"]["code"] == "conflict"  # not open yet
    status, opened = await admin.post(f"{base}/open")
    assert status == 200 and opened["vote"]["status"] == "open" and len(opened["vote"]["members"]) == 12

    choice = ["yes"] * 7 + ["no"] * 3 + ["abstain"] * 1  # eleven vote, one stays silent
    ids = [command_id() for _ in choice]

    async def ballot(i: int) -> tuple[int, Any]:
        return await voters[i][1].post(f"{base}/ballots", {"choices": [choice[i]]}, headers={"Idempotency-Key": ids[i]})

    answers = await asyncio.gather(*(ballot(i) for i in range(len(choice))), *(ballot(i) for i in range(0, 11, 2)))
    assert all(a == (200, {"accepted": True, "meeting_id": meeting["id"]}) for a in answers), answers
    status, body = await voters[1][1].post(f"{base}/ballots", {"choices": ["no"]})  # a second ballot, new id
    assert status == 409 and body["error"]["code"] == "conflict"

    status, closed = await admin.post(f"{base}/close")
    assert status == 200, closed
    result = closed["vote"]["result"]
    assert {c["choice"]: c["count"] for c in result["counts"]} == {"yes": 7, "no": 3, "abstain": 1}
    assert (result["voted"], result["base_size"], result["passed"], result["tie"]) == (11, 12, True, False)
    assert result["counts"][0]["percent"] == 58.33
    assert result["turnout_vi"] == "Đã biểu quyết 11/12"

    status, body = await voters[11][1].post(f"{base}/ballots", {"choices": ["no"]})
    assert status == 409 and body["error"]["code"] == "vote_closed"
    assert "không được tính" in body["error"]["message"]
    status, listed = await voters[11][1].get(_votes_path(meeting))
    again = listed["votes"][0]
    assert again["result"] == result and again["voted"] == 11 and len(again["ballots"]) == 11
    status, snap = await voters[11][1].get(f"/api/meetings/{meeting['id']}")  # a tablet back online
    assert [v["result"] for v in snap["votes"]] == [result]
    status, log = await admin.get(f"/api/meetings/{meeting['id']}/events?after=1")
    types = [e["type"] for e in log["events"]]
    logged = [b["voter"] for e in log["events"] if e["type"] == "vote.ballot_cast" for b in e["data"]["ballots"]]
    assert sorted(logged) == sorted(person["id"] for person, _ in voters[:11])  # each ballot once, retries nowhere
    assert types[-1] == "vote.closed"


async def test_result_sheet_pdf_and_csv(live_server: LiveServer, tmp_path: Path) -> None:
    """The result sheet in Vietnamese: a PDF made off the event loop (read back with pdftotext) and a CSV."""
    voters = await _delegates(live_server, 3)
    admin, meeting = await _meeting(live_server, [p for p, _ in voters])
    vote = await _prepare(admin, meeting)
    base = f"{_votes_path(meeting)}/{vote['id']}"
    status, body = await admin.get(f"{base}/result")
    assert status == 409 and body["error"]["code"] == "conflict"  # no result before the close
    await admin.post(f"{base}/open")
    for (_, client), choice in zip(voters, ("yes", "yes", "no"), strict=True):
        await client.post(f"{base}/ballots", {"choices": [choice]})
    await admin.post(f"{base}/close")
    status, pdf = await voters[0][1].get(f"{base}/result?format=pdf")
    assert status == 200 and pdf.startswith(b"%PDF")
    (tmp_path / "kq.pdf").write_bytes(pdf)
    done = await asyncio.to_thread(
        subprocess.run, ["pdftotext", "-enc", "UTF-8", str(tmp_path / "kq.pdf"), "-"], capture_output=True, check=True
    )
    sheet = done.stdout.decode()
    for words in ("PHIẾU KẾT QUẢ BIỂU QUYẾT", "Thông qua Nghị quyết về kế hoạch đầu tư công", "Đồng ý", "66.67%"):
        assert words in sheet, (words, sheet)
    assert "Kết quả: Thông qua" in " ".join(sheet.split())
    status, csv_body = await voters[0][1].get(f"{base}/result?format=csv")
    rows = list(csv.reader(io.StringIO(csv_body.decode("utf-8-sig"))))
    assert ["Không đồng ý", "1", "33.33"] in rows and ["Số đã biểu quyết", "3"] in rows


async def test_close_and_concurrent_ballots_are_ordered(any_server: LiveServer) -> None:
    """Each ballot is either counted (acked before the close committed) or refused with vote_closed: none both."""
    voters = await _delegates(any_server, 20)
    admin, meeting = await _meeting(any_server, [p for p, _ in voters])
    vote = await _prepare(admin, meeting, secret=True)
    base = f"{_votes_path(meeting)}/{vote['id']}"
    await admin.post(f"{base}/open")
    results = await asyncio.gather(
        *(c.post(f"{base}/ballots", {"choices": ["yes"]}) for _, c in voters[:10]),
        admin.post(f"{base}/close"),
        *(c.post(f"{base}/ballots", {"choices": ["yes"]}) for _, c in voters[10:]),
    )
    close_status, closed = results[10]
    assert close_status == 200
    ballots = results[:10] + results[11:]
    accepted = sum(1 for s, _ in ballots if s == 200)
    refused = sum(1 for s, b in ballots if s == 409 and b["error"]["code"] == "vote_closed")
    assert accepted + refused == 20
    result = closed["vote"]["result"]
    assert result["voted"] == accepted and {c["choice"]: c["count"] for c in result["counts"]}["yes"] == accepted


async def _every_row(server: LiveServer) -> dict[str, list[dict[str, Any]]]:
    """Every row of every table the database lists."""
    assert server.services is not None
    async with server.services.db.read() as session:
        conn = await session.connection()
        names = await conn.run_sync(lambda c: inspect(c).get_table_names())
        out = {}
        for name in names:
            rows = (await session.execute(text(f'SELECT * FROM "{name}"'))).mappings().all()
            out[name] = [dict(r) for r in rows]
    return out


async def _secret_vote(
    server: LiveServer, voters: list[tuple[dict[str, Any], ApiClient]], picks: list[str], tag: str
) -> tuple[dict[str, Any], dict[str, Any]]:
    """A secret election among known voters, casting `picks` in the voters' order; its meeting and closed vote."""
    admin, meeting = await _meeting(server, [p for p, _ in voters])
    vote = await _prepare(
        admin, meeting, secret=True, kind="options", options=["Ứng viên A", "Ứng viên B", "Ứng viên C"]
    )
    base = f"{_votes_path(meeting)}/{vote['id']}"
    await admin.post(f"{base}/open")
    for i, ((_, client), pick) in enumerate(zip(voters, picks, strict=False)):
        headers = {"Idempotency-Key": f"c-secret-{tag}-{i}"}
        for _ in range(2):  # sent, and retried
            status, ack = await client.post(f"{base}/ballots", {"choices": [pick]}, headers=headers)
            assert (status, ack) == (200, {"accepted": True, "meeting_id": meeting["id"]})
        status, live = await client.get(_votes_path(meeting))
        assert live["votes"][0]["result"] is None and "ballots" not in live["votes"][0]  # no running count
    status, closed = await admin.post(f"{base}/close")
    assert status == 200
    return meeting, closed["vote"]


def _normal(blob: str, meeting: dict[str, Any], vote: dict[str, Any], tag: str) -> str:
    """A stored row with what differs by construction between two meetings made alike replaced: their ids, the
    command ids' tag, times, the meeting's random check-in key (drawn when the meeting is made, before any vote),
    the register line of each meeting's giấy mời (its id and its number, one more for the second meeting)."""
    for key, value in (("M", meeting["id"]), ("V", vote["id"]), ("I", meeting["agenda"][0]["id"])):
        blob = blob.replace(value, key)
    blob = blob.replace(f"c-secret-{tag}-", "c-secret-")
    blob = re.sub(r'"key": "[A-Za-z0-9_-]{32,}"', '"key": "K"', blob)
    blob = re.sub(r"\b(ml|nt)_[A-Za-z0-9]{14}\b", "MAIL", blob)  # the invitation mail and notice rows' own ids
    # Each meeting's giấy mời takes the next number of the register (the second meeting's is one more).
    blob = re.sub(r'"id": "rg_[A-Za-z0-9]{14}"', '"id": "REG"', blob)
    blob = re.sub(r'("kind": "giay_moi", "meeting_id": "M", "number": )\d+', r"\1N", blob)
    return re.sub(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?(Z|\+00:00)?", "T", blob)


async def test_secret_vote_stores_no_link_from_voter_to_choice(any_server: LiveServer, caplog: Any) -> None:
    """The same three known voters, in the same order, cast the choices of two secret votes differently
    (A,B,C → o1,o2,o3, then o3,o1,o2; counts are 1,1,1 both times). Afterwards every row of every table about
    either vote, the event log and the kept answers of the retried commands read the same once ids and times are
    set aside: nothing stored pairs a voter with a choice or keeps the order choices came in. No log line of the
    server carries a choice."""
    caplog.set_level("DEBUG")  # even turned up, no log line carries a choice (docs/votes.md "Logs")
    voters = await _delegates(any_server, 4)
    first = await _secret_vote(any_server, voters[:3], ["o1", "o2", "o3"], "one")
    second = await _secret_vote(any_server, voters[:3], ["o3", "o1", "o2"], "two")
    for _, vote in (first, second):
        assert {c["choice"]: c["count"] for c in vote["result"]["counts"]} == {"o1": 1, "o2": 1, "o3": 1}
        assert vote["result"]["voted"] == 3

    rows = await _every_row(any_server)
    assert {"votes", "vote_counts", "meeting_events", "commands"} <= set(rows)
    seen: list[list[str]] = []
    for (meeting, vote), tag in ((first, "one"), (second, "two")):
        mine = []
        for table, table_rows in sorted(rows.items()):
            for row in table_rows:
                blob = json.dumps(row, default=str, ensure_ascii=False, sort_keys=True)
                if meeting["id"] in blob or vote["id"] in blob or f"c-secret-{tag}-" in blob:
                    mine.append(f"{table}: {_normal(blob, meeting, vote, tag)}")
        seen.append(sorted(mine))
    assert any(line.startswith("vote_counts:") for line in seen[0])
    assert seen[0] == seen[1]
    assert all(
        r["result"] in ({"accepted": True}, '{"accepted": true}')
        for r in rows["commands"]
        if r["action"] == "vote.cast"
    )

    assert any("/ballots" in r.getMessage() for r in caplog.records)  # the access log saw the ballots
    for record in caplog.records:
        assert not re.search(r"\bo[123]\b", record.getMessage()), record.getMessage()


async def test_proxies_delegator_refused_chains_refused_result_lists_them(any_server: LiveServer) -> None:
    voters = await _delegates(any_server, 4)
    (a, ca), (b, cb), (c, cc), (d, _) = voters
    admin, meeting = await _meeting(any_server, [p for p, _ in voters])
    vote = await _prepare(admin, meeting)
    base = f"{_votes_path(meeting)}/{vote['id']}"
    proxies = f"/api/meetings/{meeting['id']}/proxies"
    status, given = await admin.post(proxies, {"delegator": a["id"], "proxy": b["id"]})
    assert status == 201, given
    status, body = await admin.post(proxies, {"delegator": b["id"], "proxy": c["id"]})  # A→B→C
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, body = await admin.post(proxies, {"delegator": c["id"], "proxy": a["id"]})  # C→A while A delegates
    assert status == 403 and body["error"]["code"] == "forbidden"
    status, body = await admin.post(proxies, {"delegator": a["id"], "proxy": c["id"], "vote_id": vote["id"]})
    assert status == 409 and body["error"]["code"] == "conflict"  # a second proxy for the same vote
    status, body = await cb.post(proxies, {"delegator": c["id"], "proxy": d["id"]})
    assert status == 403  # a delegate does not record proxies (vote.manage)
    status, other = await admin.post(proxies, {"delegator": c["id"], "proxy": d["id"], "vote_id": vote["id"]})
    assert status == 201
    status, _ = await admin.post(f"{proxies}/{other['proxy']['id']}/withdraw")
    assert status == 200

    await admin.post(f"{base}/open")
    status, body = await ca.post(f"{base}/ballots", {"choices": ["yes"]})
    assert status == 403 and body["error"]["code"] == "forbidden"  # A's proxy B votes for A
    assert (await cb.post(f"{base}/ballots", {"choices": ["yes"], "voter": a["id"]}))[0] == 200
    assert (await cb.post(f"{base}/ballots", {"choices": ["no"]}))[0] == 200
    status, body = await cc.post(f"{base}/ballots", {"choices": ["yes"], "voter": a["id"]})
    assert status == 403  # C holds no proxy from A
    assert (await cc.post(f"{base}/ballots", {"choices": ["yes"]}))[0] == 200  # C's proxy to D was withdrawn
    status, closed = await admin.post(f"{base}/close")
    result = closed["vote"]["result"]
    listed = sorted((p["delegator"], p["proxy"], p["withdrawn_at"] is not None) for p in result["proxies"])
    assert listed == sorted([(a["id"], b["id"], False), (c["id"], d["id"], True)])
    ballots = {x["voter"]: x for x in closed["vote"]["ballots"]}
    assert ballots[a["id"]]["cast_by"] == b["id"] and ballots[b["id"]]["choices"] == ["no"]


async def test_only_members_present_vote_and_a_guest_never(any_server: LiveServer) -> None:
    """Attendance is the electorate: a member not checked in is refused, checked in may vote, gone early is
    refused again; a guest who checked in is never a member of the vote."""
    (lan, lan_api), (minh, minh_api), (guest, guest_api) = await _delegates(any_server, 3, prefix="dmoi")
    admin = await any_server.admin()
    ids = [lan["id"], minh["id"], guest["id"]]
    meeting = await make_meeting(admin, invitee_ids=ids, guest_ids=[guest["id"]], items=1)
    mid = meeting["id"]
    vote = await _prepare(admin, meeting)
    base = f"{_votes_path(meeting)}/{vote['id']}"
    assert (await admin.post(f"/api/meetings/{mid}/start"))[0] == 200
    for api in (lan_api, guest_api):
        status, _ = await api.post(f"/api/meetings/{mid}/attendance/check-in", {"place": "in_hall"})
        assert status == 200
    status, opened = await admin.post(f"{base}/open")
    assert status == 200 and sorted(opened["vote"]["members"]) == sorted([lan["id"], minh["id"]])
    refusal = "Chỉ thành viên có quyền biểu quyết đã điểm danh có mặt mới được bỏ phiếu."
    for api in (minh_api, guest_api):  # not checked in; a guest
        status, body = await api.post(f"{base}/ballots", {"choices": ["yes"]})
        assert status == 403 and body["error"]["message"] == refusal, body
    status, _ = await minh_api.post(f"/api/meetings/{mid}/attendance/check-in", {"place": "remote"})
    assert status == 200
    status, _ = await lan_api.post(f"/api/meetings/{mid}/attendance/check-in", {"status": "left_early"})
    assert status == 200
    status, body = await lan_api.post(f"{base}/ballots", {"choices": ["yes"]})
    assert status == 403 and body["error"]["message"] == refusal
    status, body = await minh_api.post(f"{base}/ballots", {"choices": ["no"]})
    assert status == 200 and body == {"accepted": True, "meeting_id": mid}


async def test_a_vote_names_a_paper_of_its_own_agenda_item(live_server: LiveServer) -> None:
    admin = await live_server.admin()
    meeting = await make_meeting(admin, items=2)
    first, second = (x["id"] for x in meeting["agenda"])
    fields = {"title": "Dự thảo Nghị quyết", "item_id": second, "publish": "1"}
    content = one_page_pdf("Du thao")
    status, up = await admin.upload(f"/api/meetings/{meeting['id']}/papers", content, "du-thao.pdf", fields)
    assert status == 201, up
    paper_id = up["paper"]["id"]
    votes = _votes_path(meeting)
    status, body = await admin.post(votes, {"item_id": first, "question": "Thông qua", "paper_id": paper_id})
    assert status == 422 and body["error"]["code"] == "invalid_input"  # a paper of another item
    assert "nội dung chương trình" in body["error"]["message"]
    status, body = await admin.post(votes, {"item_id": second, "question": "Thông qua", "paper_id": "pap_nothere"})
    assert status == 404 and body["error"]["code"] == "not_found"
    status, made = await admin.post(votes, {"item_id": second, "question": "Thông qua", "paper_id": paper_id})
    assert status == 201 and made["vote"]["paper_id"] == paper_id
    status, edited = await admin.patch(f"{votes}/{made['vote']['id']}", {"question": "Thông qua Nghị quyết"})
    assert status == 200 and edited["vote"]["paper_id"] == paper_id  # kept through an edit
    status, plain = await admin.post(votes, {"item_id": first, "question": "Thông qua chương trình"})
    assert status == 201 and plain["vote"]["paper_id"] is None


async def test_votes_are_listed_in_the_order_they_were_prepared(any_server: LiveServer) -> None:
    """The secretary prepares a meeting's votes in a row, several within one second: the list (and so every
    screen that takes "the latest vote") keeps the order they were prepared in, not the order of their ids."""
    voters = await _delegates(any_server, 1)
    admin, meeting = await _meeting(any_server, [p for p, _ in voters])
    item = meeting["agenda"][0]["id"]
    made = []
    for n in range(8):
        status, body = await admin.post(_votes_path(meeting), {"item_id": item, "question": f"Nội dung {n + 1}"})
        assert status == 201, body
        made.append(body["vote"]["id"])
    status, listed = await admin.get(_votes_path(meeting))
    assert status == 200 and [v["id"] for v in listed["votes"]] == made
