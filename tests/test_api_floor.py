"""The floor over REST, on SQLite and PostgreSQL: a delegate asks to speak and withdraws, a hall's room PC asks
with its device token, the chair gives the floor, extends (the server's timer moves), the time runs out and the
speech ends by itself (`time_up`, the layout back); the speeches and speaking time for the minutes, as JSON and
CSV; and a speech whose time ran out while the server was down ends at start-up. The timer runs on a fake clock
(tests.floorkit): time moves only when the test moves it."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterator
from datetime import timedelta
from typing import Any

import pytest

from meeting_server.actions import floor as floor_actions
from meeting_server.storage.db import iso
from tests.floorkit import FakeClock, floor_meeting
from tests.helpers import ApiClient, LiveServer, make_meeting, wait_for


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Iterator[FakeClock]:
    """The floor's fake clock; a test names it before its server, so the server's timers start on it."""
    fake = FakeClock()
    monkeypatch.setattr(floor_actions.TIMERS, "clock", fake)
    yield fake


async def _snapshot(api: ApiClient, meeting_id: str) -> dict[str, Any]:
    status, body = await api.get(f"/api/meetings/{meeting_id}")
    assert status == 200, body
    return dict(body)


async def _last_speech_ended(api: ApiClient, meeting_id: str) -> bool:
    speeches = (await _snapshot(api, meeting_id))["floor"]["speeches"]
    return bool(speeches and speeches[-1]["ended_at"])


async def test_ask_give_extend_time_up_and_the_record(clock: FakeClock, any_server: LiveServer) -> None:
    made = await floor_meeting(any_server, items=2)
    admin, main, hall, other, mid, item = made.admin, made.main, made.hall, made.other, made.id, made.item
    base = f"/api/meetings/{mid}/floor"
    tablet = await any_server.client("daibieu")
    assert (await admin.post(f"/api/meetings/{mid}/start"))[0] == 200
    for muted in (hall, other):
        assert (await admin.post(f"/api/meetings/{mid}/conference/mute", {"participant": f"site:{muted}"}))[0] == 200

    # The delegate asks, changes their mind, asks again; a second waiting request is refused.
    status, asked = await tablet.post(f"{base}/requests", {"item_id": item, "kind": "speech", "site_id": hall})
    assert status == 201, asked
    status, _ = await tablet.post(f"{base}/requests/{asked['request_id']}/withdraw")
    assert status == 200
    status, asked = await tablet.post(
        f"{base}/requests", {"item_id": item, "kind": "reply", "topic": "Về vốn đầu tư công", "site_id": hall}
    )
    assert status == 201, asked
    status, twice = await tablet.post(f"{base}/requests", {"item_id": item})
    assert (status, twice["error"]["code"]) == (409, "conflict")
    status, refused = await tablet.post(f"{base}/requests/{asked['request_id']}/give")
    assert (status, refused["error"]["code"]) == (403, "forbidden")

    # Xã Yên Sơn's room PC asks for its hall with its device token.
    status, token = await admin.post(f"/api/sites/{other}/token")
    assert status == 200
    room = await any_server.client()
    device = {"Authorization": f"Bearer {token['token']}"}
    status, hall_asks = await room.post(f"{base}/site-requests", {"site_id": other, "item_id": item}, headers=device)
    assert status == 201, hall_asks

    assert (await admin.put(f"{base}/minutes", {"minutes": 2, "item_id": item}))[0] == 200
    start = clock.now()
    status, given = await admin.post(f"{base}/requests/{asked['request_id']}/give", {"only_speaker": True})
    assert status == 200, given
    assert given["main_site_id"] == hall and f"site:{hall}" not in given["conference"]["muted"]
    assert floor_actions.TIMERS.armed(mid) == (asked["request_id"], start + timedelta(minutes=2))

    await clock.advance(30)
    assert (await admin.post(f"{base}/extend", {"minutes": 1}))[0] == 200
    assert floor_actions.TIMERS.armed(mid) == (asked["request_id"], start + timedelta(minutes=3))
    await clock.advance(150)  # exactly the extended due time
    await wait_for(lambda: _last_speech_ended(admin, mid))
    state = await _snapshot(admin, mid)
    speech = state["floor"]["speeches"][-1]
    assert (speech["end_reason"], speech["ended_at"], speech["duration_seconds"]) == (
        "time_up",
        iso(start + timedelta(minutes=3)),
        180,
    )
    assert state["main_site_id"] == main
    assert f"site:{hall}" in state["conference"]["muted"] and f"site:{main}" not in state["conference"]["muted"]
    await wait_for(lambda: floor_actions.TIMERS.armed(mid) is None)

    # The hall speaks next, 45 s, and the chair ends it: no timer is left waiting.
    assert (await admin.post(f"{base}/requests/{hall_asks['request_id']}/give"))[0] == 200
    await clock.advance(45)
    status, ended = await admin.post(f"{base}/end")
    assert status == 200 and ended["floor"]["speeches"][-1]["end_reason"] == "ended_by_chair"
    assert floor_actions.TIMERS.armed(mid) is None

    status, record = await tablet.get(f"/api/meetings/{mid}/speeches")
    assert status == 200, record
    first, second = record["speeches"]
    assert (first["speaker_name"], first["site_name"], first["item_title"], first["topic"]) == (
        "Hà Thị Lan",
        "Xã Tân Trào",
        "Nội dung 1",
        "Về vốn đầu tư công",
    )
    assert (first["duration_seconds"], first["extended"], first["end_vi"]) == (180, True, "Hết giờ")
    assert (second["speaker_name"], second["duration_seconds"], second["extended"]) == ("Xã Yên Sơn", 45, False)
    totals = record["totals"]
    assert [(r["name"], r["seconds"], r["speeches"]) for r in totals["by_speaker"]] == [
        ("Hà Thị Lan", 180, 1),
        ("Xã Yên Sơn", 45, 1),
    ]
    assert [(r["name"], r["seconds"]) for r in totals["by_site"]] == [("Xã Tân Trào", 180), ("Xã Yên Sơn", 45)]
    assert [(r["title"], r["seconds"], r["speeches"]) for r in totals["by_item"]] == [("Nội dung 1", 225, 2)]

    response = await tablet.http.get(any_server.url + f"/api/meetings/{mid}/speeches?format=csv")
    assert response.status == 200 and response.content_type == "text/csv"
    text = (await response.read()).decode("utf-8")
    assert text.startswith("\ufeff")
    rows = list(csv.reader(io.StringIO(text[1:])))
    assert rows[1][:3] == ["TT", "Người phát biểu", "Điểm cầu"]
    assert rows[2][1:5] == ["Hà Thị Lan", "Xã Tân Trào", "Nội dung 1", "Tranh luận, trả lời"]
    assert rows[2][8:] == ["3:00", "180", "2", "1", "Hết giờ"]
    assert ["Cả cuộc họp", "2", "3:45", "225"] in rows
    status, bad = await tablet.get(f"/api/meetings/{mid}/speeches?format=xml")
    assert (status, bad["error"]["code"]) == (422, "invalid_input")


async def test_a_speech_whose_time_ran_out_while_the_server_was_down_ends_at_start_up(
    clock: FakeClock, any_server: LiveServer
) -> None:
    main = await any_server.create_site("Hội trường tỉnh")
    hall = await any_server.create_site("Xã Tân Trào")
    admin = await any_server.admin()
    meetings = []
    for minutes in (1, 30):
        meeting = await make_meeting(admin, site_ids=[main, hall], main_site_id=main, items=1)
        mid, item = meeting["id"], meeting["agenda"][0]["id"]
        assert (await admin.post(f"/api/meetings/{mid}/start"))[0] == 200
        assert (await admin.put(f"/api/meetings/{mid}/floor/minutes", {"minutes": minutes}))[0] == 200
        status, added = await admin.post(
            f"/api/meetings/{mid}/floor/queue", {"speaker": f"site:{hall}", "item_id": item}
        )
        assert status == 201, added
        assert (await admin.post(f"/api/meetings/{mid}/floor/requests/{added['request_id']}/give"))[0] == 200
        meetings.append(mid)
    start = clock.now()
    await any_server.stop()
    assert floor_actions.TIMERS.armed(meetings[0]) is None  # the stopped server waits for nothing

    await clock.advance(5 * 60)  # while no server runs
    again = LiveServer(any_server.database_url, any_server.tmp_dir)
    await again.start(migrate=False)
    try:
        admin = await again.admin()
        await wait_for(lambda: _last_speech_ended(admin, meetings[0]))
        state = await _snapshot(admin, meetings[0])
        speech = state["floor"]["speeches"][-1]
        assert (speech["end_reason"], speech["ended_at"]) == ("time_up", iso(start + timedelta(minutes=5)))
        assert state["main_site_id"] == main
        running = await _snapshot(admin, meetings[1])
        assert running["floor"]["speeches"][-1]["ended_at"] is None
        assert floor_actions.TIMERS.armed(meetings[1]) == (
            running["floor"]["speeches"][-1]["id"],
            start + timedelta(minutes=30),
        )
    finally:
        await again.stop()


async def test_a_speech_given_through_another_server_gets_a_timer_from_the_sweep(
    clock: FakeClock, live_server: LiveServer
) -> None:
    """A server whose timers never heard of a speech (it was given through another node) arms it on its next
    sweep and ends it at its time."""
    made = await floor_meeting(live_server)
    admin, base = made.admin, f"/api/meetings/{made.id}/floor"
    assert (await admin.post(f"/api/meetings/{made.id}/start"))[0] == 200
    status, added = await admin.post(f"{base}/queue", {"speaker": f"site:{made.hall}", "item_id": made.item})
    assert status == 201
    start = clock.now()
    assert (await admin.post(f"{base}/requests/{added['request_id']}/give"))[0] == 200
    floor_actions.TIMERS.drop(made.id)  # as on a node that only relayed the events
    assert floor_actions.TIMERS.armed(made.id) is None
    await clock.advance(floor_actions.SWEEP.total_seconds())
    await wait_for(lambda: floor_actions.TIMERS.armed(made.id) == (added["request_id"], start + timedelta(minutes=5)))
    await clock.advance(5 * 60 - floor_actions.SWEEP.total_seconds())  # to the due time exactly
    await wait_for(lambda: _last_speech_ended(admin, made.id))
    speech = (await _snapshot(admin, made.id))["floor"]["speeches"][-1]
    assert (speech["end_reason"], speech["ended_at"]) == ("time_up", iso(start + timedelta(minutes=5)))
