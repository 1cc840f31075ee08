"""The meeting aggregate, table-driven: lifecycle, agenda edits, update validation, and `apply` agreeing with
what clients do (`protocol.apply_patch`). Pure functions only: no database, no sockets, no event loop."""

from __future__ import annotations

import itertools
import json
from collections.abc import Callable
from dataclasses import replace
from datetime import UTC, datetime
from typing import Any

import pytest

from meeting_server import protocol as p
from meeting_server.domain import answers as an
from meeting_server.domain import attendance as at
from meeting_server.domain import checkin
from meeting_server.domain import conference as c
from meeting_server.domain import floor as fl
from meeting_server.domain import meetings as d
from meeting_server.domain import papers as pp
from meeting_server.domain import record as rec
from meeting_server.domain import votes as vv
from meeting_server.domain.actors import Actor
from meeting_server.domain.meetings import AgendaItem, Event, MeetingState
from meeting_server.errors import AppError
from meeting_server.vocabulary import ATTENDANCE_CHECK_IN_OTHERS, CHECKED_IN, IN_HALL, LEFT_EARLY, MeetingStatus

T_START = "2026-11-24T01:00:00Z"
T_END = "2026-11-24T04:00:00Z"
SITES = (
    {"id": "s_main01", "name": "Hội trường huyện", "unit_id": "un_huyen1"},
    {"id": "s_xa0001", "name": "UBND xã Tân Trào", "unit_id": "un_xa0001"},
)
ITEMS = ("a_item01", "a_item02", "a_item03")


def make_state(
    status: MeetingStatus = "draft",
    items: tuple[str, ...] = ITEMS,
    current: str | None = None,
    done: tuple[str, ...] = (),
    **fields: Any,
) -> MeetingState:
    agenda = tuple(
        AgendaItem(
            id=i,
            title=f"Nội dung {n + 1}",
            planned_minutes=15,
            status="current" if i == current else "done" if i in done else "pending",
        )
        for n, i in enumerate(items)
    )
    base = MeetingState(
        id="m_meeting1",
        title="Hội nghị giao ban quý IV",
        organizer_id="u_organizer",
        starts_at=T_START,
        ends_at=T_END,
        status=status,
        sites=SITES,
        main_site_id="s_main01",
        chair_id="u_chair001",
        secretary_id="u_secret01",
        invitee_ids=("u_delegat1",),
        agenda=agenda,
        current_item_id=current,
        published=status != "draft",
    )
    return replace(base, **fields)


def error_code(call: Callable[[], Any]) -> str:
    with pytest.raises(AppError) as info:
        call()
    return info.value.code


def one_event(events: list[Event]) -> Event:
    assert len(events) == 1, events
    return events[0]


def order(state: MeetingState) -> list[str]:
    return [i.id for i in state.agenda]


def statuses(state: MeetingState) -> dict[str, str]:
    return {i.id: i.status for i in state.agenda}


# ---- lifecycle ------------------------------------------------------------------------------------------

# Written out by hand on purpose: the domain's TRANSITIONS table is what is under test.
ALLOWED: dict[tuple[str, str], tuple[str, str]] = {
    ("draft", "schedule"): ("scheduled", "meeting.scheduled"),
    ("scheduled", "unschedule"): ("draft", "meeting.unscheduled"),
    ("scheduled", "start"): ("in_progress", "meeting.started"),
    ("in_progress", "end"): ("ended", "meeting.ended"),
    ("ended", "archive"): ("archived", "meeting.archived"),
    ("draft", "cancel"): ("cancelled", "meeting.cancelled"),
    ("scheduled", "cancel"): ("cancelled", "meeting.cancelled"),
}
EXPECTED_STATUSES = ("draft", "scheduled", "in_progress", "ended", "archived", "cancelled")
EXPECTED_ACTIONS = ("schedule", "unschedule", "start", "end", "archive", "cancel")


def test_the_lifecycle_vocabulary_is_the_one_this_file_covers() -> None:
    # A new status or transition must come with a row in ALLOWED, not slip past the matrix below.
    assert d.STATUSES == EXPECTED_STATUSES
    assert tuple(d.TRANSITIONS) == EXPECTED_ACTIONS
    assert set(ALLOWED) <= set(itertools.product(EXPECTED_STATUSES, EXPECTED_ACTIONS))


@pytest.mark.parametrize(
    ("status", "action"), list(itertools.product(EXPECTED_STATUSES, EXPECTED_ACTIONS)), ids=lambda v: str(v)
)
def test_transition_matrix(status: MeetingStatus, action: str) -> None:
    state = make_state(status, current="a_item02" if status == "in_progress" else None)
    if (status, action) not in ALLOWED:
        with pytest.raises(AppError) as info:
            d.transition(state, action)
        assert info.value.code == "invalid_transition"
        assert info.value.params == {"action": action, "status": status}
        return
    target, event_type = ALLOWED[(status, action)]
    event = one_event(d.transition(state, action, reason="Lý do" if action == "cancel" else ""))
    assert event.type == event_type
    assert event.patch["status"] == target
    new = d.apply(state, event)
    assert new.status == target
    assert order(new) == order(state)
    if action == "cancel":
        assert new.cancel_reason == "Lý do"


@pytest.mark.parametrize(
    ("status", "code"),
    [
        ("draft", "invalid_input"),  # the one thing stopping a draft from being scheduled
        ("scheduled", "invalid_transition"),
        ("in_progress", "invalid_transition"),
        ("ended", "invalid_transition"),
        ("archived", "invalid_transition"),
        ("cancelled", "invalid_transition"),
    ],
)
def test_schedule_needs_an_agenda(status: MeetingStatus, code: str) -> None:
    assert error_code(lambda: d.transition(make_state(status, items=()), "schedule")) == code


def test_empty_draft_may_still_be_cancelled() -> None:
    event = one_event(d.transition(make_state("draft", items=()), "cancel", "Hoãn"))
    assert event.patch == {"status": "cancelled", "cancel_reason": "Hoãn"}


@pytest.mark.parametrize("action", ["schedule", "unschedule"])
def test_schedule_and_unschedule_carry_the_whole_snapshot(action: str) -> None:
    state = make_state("draft" if action == "schedule" else "scheduled")
    event = one_event(d.transition(state, action))
    new = d.apply(state, event)
    # Invitees start (or stop) seeing the meeting with this one event, so it must hold everything (but the answers
    # to the invitation, which are the organisers': tests/test_domain_answers.py).
    assert event.patch == {k: v for k, v in new.to_dict().items() if k not in ("last_seq", "answers")}


@pytest.mark.parametrize(
    ("current", "done", "expected"),
    [
        ("a_item02", ("a_item01",), {"a_item01": "done", "a_item02": "done", "a_item03": "pending"}),
        (None, ("a_item01",), {"a_item01": "done", "a_item02": "pending", "a_item03": "pending"}),
        ("a_item03", ("a_item01", "a_item02"), {"a_item01": "done", "a_item02": "done", "a_item03": "done"}),
    ],
)
def test_end_closes_the_current_item(current: str | None, done: tuple[str, ...], expected: dict[str, str]) -> None:
    state = make_state("in_progress", current=current, done=done)
    new = d.apply(state, one_event(d.transition(state, "end")))
    assert new.status == "ended"
    assert new.current_item_id is None
    assert statuses(new) == expected


# ---- agenda edits ---------------------------------------------------------------------------------------

NEW = AgendaItem(id="a_newitem", title="Kết luận của chủ trì", planned_minutes=10, status="done")


@pytest.mark.parametrize(
    ("position", "expected"),
    [
        (None, ["a_item01", "a_item02", "a_item03", "a_newitem"]),
        (0, ["a_newitem", "a_item01", "a_item02", "a_item03"]),
        (1, ["a_item01", "a_newitem", "a_item02", "a_item03"]),
        (3, ["a_item01", "a_item02", "a_item03", "a_newitem"]),
        (4, ["a_item01", "a_item02", "a_item03", "a_newitem"]),
        (999, ["a_item01", "a_item02", "a_item03", "a_newitem"]),
    ],
    ids=["append", "at-0", "at-1", "at-len", "past-end-clamps", "far-past-end-clamps"],
)
@pytest.mark.parametrize("status", ["draft", "scheduled", "in_progress"])
def test_add_item(status: MeetingStatus, position: int | None, expected: list[str]) -> None:
    state = make_state(status)
    event = one_event(d.add_item(state, NEW, position))
    assert event.type == p.AGENDA_ITEM_ADDED
    assert event.data["item_id"] == "a_newitem"
    new = d.apply(state, event)
    assert order(new) == expected
    assert new.item("a_newitem").status == "pending"  # whatever the caller said, a new item is pending
    assert new.item("a_newitem").title == "Kết luận của chủ trì"


def test_add_item_to_an_empty_agenda() -> None:
    state = make_state(items=())
    assert order(d.apply(state, one_event(d.add_item(state, NEW, 5)))) == ["a_newitem"]


@pytest.mark.parametrize(
    ("changes", "fields"),
    [
        ({"title": "Báo cáo kinh tế - xã hội"}, ["title"]),
        ({"planned_minutes": 40, "description": "Tài liệu kèm theo"}, ["description", "planned_minutes"]),
        ({"presenter_id": "u_delegat1", "presenter_name": "Nguyễn Thị Hương"}, ["presenter_id", "presenter_name"]),
        ({"title": "Nội dung 2"}, None),  # unchanged: no event
        ({"planned_minutes": 15}, None),
        ({}, None),
    ],
)
def test_update_item(changes: dict[str, Any], fields: list[str] | None) -> None:
    state = make_state("scheduled")
    events = d.update_item(state, "a_item02", changes)
    if fields is None:
        assert events == []
        return
    event = one_event(events)
    assert event.type == p.AGENDA_ITEM_UPDATED
    assert (event.data["item_id"], event.data["fields"]) == ("a_item02", fields)
    new = d.apply(state, event)
    assert replace(new.item("a_item02"), **changes) == new.item("a_item02")
    for key, value in changes.items():
        assert getattr(new.item("a_item02"), key) == value
    assert [i for i in new.agenda if i.id != "a_item02"] == [i for i in state.agenda if i.id != "a_item02"]


@pytest.mark.parametrize(
    ("item_id", "changes", "code"),
    [
        ("a_missing", {"title": "X"}, "not_found"),
        ("a_item02", {"status": "done"}, "invalid_input"),  # statuses move only through set_current and end
        ("a_item02", {"id": "a_other1"}, "invalid_input"),
        ("a_item02", {"colour": "red"}, "invalid_input"),
    ],
)
def test_update_item_rejects(item_id: str, changes: dict[str, Any], code: str) -> None:
    assert error_code(lambda: d.update_item(make_state("scheduled"), item_id, changes)) == code


@pytest.mark.parametrize(
    ("current", "remove", "expected_order", "expected_current"),
    [
        (None, "a_item02", ["a_item01", "a_item03"], None),
        ("a_item01", "a_item02", ["a_item01", "a_item03"], "a_item01"),
        ("a_item02", "a_item02", ["a_item01", "a_item03"], None),  # removing the current item clears current
        (None, "a_item01", ["a_item02", "a_item03"], None),
    ],
)
def test_remove_item(current: str | None, remove: str, expected_order: list[str], expected_current: str | None) -> None:
    state = make_state("in_progress", current=current)
    event = one_event(d.remove_item(state, remove))
    assert (event.type, event.data["item_id"]) == (p.AGENDA_ITEM_REMOVED, remove)
    new = d.apply(state, event)
    assert order(new) == expected_order
    assert new.current_item_id == expected_current


def test_remove_unknown_item_is_not_found() -> None:
    assert error_code(lambda: d.remove_item(make_state(), "a_missing")) == "not_found"


@pytest.mark.parametrize(
    ("item_ids", "outcome"),
    [
        (["a_item03", "a_item01", "a_item02"], "event"),
        (["a_item02", "a_item01", "a_item03"], "event"),
        (["a_item01", "a_item02", "a_item03"], "no_event"),  # same order
        (["a_item01", "a_item02"], "invalid_input"),  # one missing
        (["a_item01", "a_item01", "a_item02", "a_item03"], "invalid_input"),  # a duplicate
        (["a_item01", "a_item01", "a_item03"], "invalid_input"),  # a duplicate in place of one missing
        (["a_item01", "a_item02", "a_item03", "a_unknown"], "invalid_input"),  # an unknown extra
        (["a_item01", "a_item02", "a_unknown"], "invalid_input"),  # an unknown in place of one
        ([], "invalid_input"),
    ],
)
def test_reorder(item_ids: list[str], outcome: str) -> None:
    state = make_state("scheduled")
    if outcome == "invalid_input":
        assert error_code(lambda: d.reorder(state, item_ids)) == "invalid_input"
        return
    events = d.reorder(state, item_ids)
    if outcome == "no_event":
        assert events == []
        return
    event = one_event(events)
    assert (event.type, event.data["item_ids"]) == (p.AGENDA_REORDERED, item_ids)
    new = d.apply(state, event)
    assert order(new) == item_ids
    assert {i.id: i for i in new.agenda} == {i.id: i for i in state.agenda}


def test_reorder_empty_agenda_with_empty_list_is_a_no_op() -> None:
    assert d.reorder(make_state(items=()), []) == []


@pytest.mark.parametrize(
    ("current", "target", "expected_statuses"),
    [
        (None, "a_item01", {"a_item01": "current", "a_item02": "pending", "a_item03": "pending"}),
        ("a_item01", "a_item02", {"a_item01": "done", "a_item02": "current", "a_item03": "pending"}),
        ("a_item02", "a_item01", {"a_item01": "current", "a_item02": "done", "a_item03": "pending"}),
        ("a_item02", None, {"a_item01": "pending", "a_item02": "done", "a_item03": "pending"}),
        ("a_item02", "a_item02", None),  # already current: no event
        (None, None, None),
    ],
)
def test_set_current(current: str | None, target: str | None, expected_statuses: dict[str, str] | None) -> None:
    state = make_state("in_progress", current=current)
    events = d.set_current(state, target)
    if expected_statuses is None:
        assert events == []
        return
    event = one_event(events)
    assert (event.type, event.data["item_id"]) == (p.AGENDA_CURRENT_CHANGED, target)
    new = d.apply(state, event)
    assert new.current_item_id == target
    assert statuses(new) == expected_statuses


@pytest.mark.parametrize("status", ["draft", "scheduled", "ended", "archived", "cancelled"])
def test_set_current_only_while_in_progress(status: MeetingStatus) -> None:
    with pytest.raises(AppError) as info:
        d.set_current(make_state(status), "a_item01")
    assert (info.value.code, info.value.params) == ("invalid_transition", {"action": "set_current", "status": status})


def test_set_current_unknown_item_is_not_found() -> None:
    assert error_code(lambda: d.set_current(make_state("in_progress"), "a_missing")) == "not_found"


EDITS: dict[str, Callable[[MeetingState], list[Event]]] = {
    "add_item": lambda s: d.add_item(s, NEW),
    "update_item": lambda s: d.update_item(s, "a_item01", {"title": "Đổi tên"}),
    "remove_item": lambda s: d.remove_item(s, "a_item01"),
    "reorder": lambda s: d.reorder(s, ["a_item03", "a_item02", "a_item01"]),
    "update": lambda s: d.update(s, {"location": "Phòng họp số 2"}),
}


@pytest.mark.parametrize(("status", "edit"), list(itertools.product(sorted(d.CLOSED), EDITS)))
def test_closed_meetings_cannot_be_edited(status: MeetingStatus, edit: str) -> None:
    assert error_code(lambda: EDITS[edit](make_state(status))) == "meeting_closed"


@pytest.mark.parametrize(("status", "edit"), list(itertools.product(["draft", "scheduled", "in_progress"], EDITS)))
def test_open_meetings_can_be_edited(status: MeetingStatus, edit: str) -> None:
    assert len(EDITS[edit](make_state(status))) == 1


# ---- update validation ----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("status", "changes", "outcome"),
    [
        ("draft", {"ends_at": "2026-11-24T00:30:00Z"}, "invalid_input"),  # ends before it starts
        ("draft", {"ends_at": T_START}, "invalid_input"),  # ends as it starts
        ("draft", {"starts_at": "2026-11-24T05:00:00Z"}, "invalid_input"),  # moved past its end
        ("draft", {"starts_at": "2026-11-24T05:00:00Z", "ends_at": "2026-11-24T06:00:00Z"}, ["ends_at", "starts_at"]),
        ("draft", {"ends_at": None}, ["ends_at"]),
        ("draft", {"main_site_id": "s_nowhere"}, "invalid_input"),  # not among the sites
        ("draft", {"sites": [SITES[1]]}, "invalid_input"),  # drops the main site
        ("draft", {"sites": [SITES[1]], "main_site_id": "s_xa0001"}, ["main_site_id", "sites"]),
        ("draft", {"main_site_id": None, "sites": []}, ["main_site_id", "sites"]),
        ("draft", {"agenda": []}, "invalid_input"),  # not an editable field
        ("draft", {"status": "scheduled"}, "invalid_input"),
        ("draft", {"title": "Hội nghị giao ban quý IV"}, []),  # unchanged: no event
        ("scheduled", {"starts_at": "2026-11-24T00:00:00Z"}, ["starts_at"]),
        ("in_progress", {"starts_at": "2026-11-24T00:00:00Z"}, "invalid_transition"),
        ("in_progress", {"ends_at": "2026-11-24T05:00:00Z", "location": "Hội trường B"}, ["ends_at", "location"]),
        ("in_progress", {"invitee_ids": ["u_delegat1", "u_delegat2"]}, ["invitee_ids"]),
        ("ended", {"title": "Khác"}, "meeting_closed"),
    ],
)
def test_update(status: MeetingStatus, changes: dict[str, Any], outcome: str | list[str]) -> None:
    state = make_state(status)
    if isinstance(outcome, str):
        assert error_code(lambda: d.update(state, changes)) == outcome
        return
    events = d.update(state, changes)
    if not outcome:
        assert events == []
        return
    event = one_event(events)
    assert event.type == p.MEETING_UPDATED
    assert event.data["fields"] == outcome
    assert sorted(event.patch) == outcome
    new = d.apply(state, event)
    for key, value in changes.items():
        assert new.to_dict()[key] == value


@pytest.mark.parametrize(
    ("fields", "code"),
    [
        ({"ends_at": "2026-11-24T00:00:00Z"}, "invalid_input"),
        ({"main_site_id": "s_main01"}, "invalid_input"),  # no sites at all
        ({"main_site_id": "s_main01", "sites": list(SITES)}, None),
    ],
)
def test_create_validates_like_update(fields: dict[str, Any], code: str | None) -> None:
    def create() -> list[Event]:
        return d.create("m_meeting1", "u_organizer", {"title": "Họp", "starts_at": T_START, **fields})

    if code:
        assert error_code(create) == code
    else:
        assert one_event(create()).type == p.MEETING_CREATED


# ---- apply: the server's fold and the clients' merge agree ----------------------------------------------

Command = Callable[[MeetingState], list[Event]]

LIFECYCLE: list[tuple[str, Command]] = [
    (
        "update",
        lambda s: d.update(
            s,
            {
                "title": "Hội nghị trực tuyến tỉnh Tuyên Quang",
                "invitee_ids": ["u_delegat1", "u_delegat2"],
                "invited_unit_ids": ["un_xa01"],
            },
        ),
    ),
    ("add first", lambda s: d.add_item(s, AgendaItem(id="a_item01", title="Khai mạc"))),
    (
        "add second",
        lambda s: d.add_item(
            s,
            AgendaItem(
                id="a_item02",
                title="Báo cáo",
                presenter_id="u_delegat1",
                presenter_name="Nguyễn Thị Hương",
                planned_minutes=30,
            ),
        ),
    ),
    ("add at 0", lambda s: d.add_item(s, AgendaItem(id="a_item00", title="Điểm danh"), 0)),
    ("update item", lambda s: d.update_item(s, "a_item02", {"planned_minutes": 45, "description": "Dự thảo"})),
    ("reorder", lambda s: d.reorder(s, ["a_item01", "a_item00", "a_item02"])),
    ("schedule", lambda s: d.transition(s, "schedule")),
    ("unschedule", lambda s: d.transition(s, "unschedule")),
    ("add third", lambda s: d.add_item(s, AgendaItem(id="a_item03", title="Kết luận"))),
    ("reschedule", lambda s: d.transition(s, "schedule")),
    ("move", lambda s: d.update(s, {"starts_at": "2026-11-24T00:30:00Z", "ends_at": "2026-11-24T03:30:00Z"})),
    ("start", lambda s: d.transition(s, "start")),
    ("current 1", lambda s: d.set_current(s, "a_item01")),
    ("current 2", lambda s: d.set_current(s, "a_item00")),
    ("remove current", lambda s: d.remove_item(s, "a_item00")),
    ("current 3", lambda s: d.set_current(s, "a_item02")),
    ("end", lambda s: d.transition(s, "end")),
    ("archive", lambda s: d.transition(s, "archive")),
]
CANCELLED: list[tuple[str, Command]] = [
    ("add", lambda s: d.add_item(s, AgendaItem(id="a_item01", title="Khai mạc"))),
    ("schedule", lambda s: d.transition(s, "schedule")),
    ("remove", lambda s: d.remove_item(s, "a_item01")),
    ("cancel", lambda s: d.transition(s, "cancel", "Thay đổi kế hoạch")),
]
DRAFT_CANCELLED: list[tuple[str, Command]] = [
    ("cancel", lambda s: d.transition(s, "cancel", "Không cần thiết")),
]
CONFERENCE: list[tuple[str, Command]] = [
    ("add", lambda s: d.add_item(s, AgendaItem(id="a_item01", title="Khai mạc"))),
    ("schedule", lambda s: d.transition(s, "schedule")),
    ("start", lambda s: d.transition(s, "start")),
    ("main", lambda s: c.set_main_site(s, SITES[1]["id"])),
    ("mute", lambda s: c.set_muted(s, f"site:{SITES[1]['id']}", True)),
    ("unmute", lambda s: c.set_muted(s, f"site:{SITES[1]['id']}", False)),
    ("lock", lambda s: c.set_locked(s, True, frozenset({"site:s_main01", "user:u_chair001"}))),
    ("remove", lambda s: c.remove_participant(s, "site:s_main01")),
    ("readmit", lambda s: c.readmit_participant(s, "site:s_main01")),
    ("unlock", lambda s: c.set_locked(s, False, frozenset())),
    ("record", lambda s: c.start_recording(s, "rec_abcdef1", T_START, "u_chair001")),
    ("stop", lambda s: c.stop_recording(s, T_END)),
    ("roll call", lambda s: c.start_roll_call(s, "rc_abcdef1", T_START)),
    ("answer", lambda s: c.answer_roll_call(s, "site:s_main01", "rc_abcdef1", T_START)),
    ("close", lambda s: c.close_roll_call(s)),
    ("record again", lambda s: c.start_recording(s, "rec_abcdef2", T_START, "u_chair001")),
    ("end", lambda s: d.transition(s, "end")),
]
FLOOR_CHAIR = Actor("user", "u_chair001", roles=frozenset({"chair"}))


def floor_step(command: Callable[..., Any], *args: Any, **kwargs: Any) -> Command:
    """A floor command on the state's floor, pressed by the chair; only its events matter to the scenario."""

    def run(s: MeetingState) -> list[Event]:
        out = command(fl.Floor.from_dict(s.floor or None), s, fl.asker_for(FLOOR_CHAIR, s), *args, **kwargs)
        events: list[Event] = out[-1]
        return events

    return run


FLOOR: list[tuple[str, Command]] = [
    ("add", lambda s: d.add_item(s, AgendaItem(id="a_item01", title="Thảo luận"))),
    ("schedule", lambda s: d.transition(s, "schedule")),
    ("start", lambda s: d.transition(s, "start")),
    ("minutes", floor_step(fl.set_minutes, 3, "a_item01")),
    (
        "request",
        floor_step(
            fl.request_floor,
            request_id="fr_abcdef1",
            speaker=f"site:{SITES[1]['id']}",
            item_id="a_item01",
            kind="speech",
            at=T_START,
        ),
    ),
    (
        "request again",
        floor_step(
            fl.request_floor,
            request_id="fr_abcdef2",
            speaker="user:u_chair001",
            item_id="a_item01",
            kind="reply",
            at=T_START,
        ),
    ),
    ("withdraw", floor_step(fl.withdraw, "fr_abcdef2", T_START)),
    ("give", floor_step(fl.give_floor, "fr_abcdef1", T_START, True)),
    ("extend", floor_step(fl.extend, 2)),
    ("end", floor_step(fl.end_speech, T_END)),
]
DESK = at.Recorder("u_secret01", permissions=frozenset({ATTENDANCE_CHECK_IN_OTHERS}))


def attendance_step(**given: Any) -> Command:
    """The desk records the chair (a voting member): only the events matter to the scenario."""

    def run(s: MeetingState) -> list[Event]:
        entries = at.Attendance()
        _, events = at.record(
            s, entries, at.membership_of(s), DESK, person_id="u_chair001", at=T_START, now=T_START, **given
        )
        return events

    return run


ATTENDANCE: list[tuple[str, Command]] = [
    ("add", lambda s: d.add_item(s, AgendaItem(id="a_item01", title="Điểm danh"))),
    ("schedule", lambda s: d.transition(s, "schedule")),
    ("check in", attendance_step(status=CHECKED_IN, place=IN_HALL)),
    ("start", lambda s: d.transition(s, "start")),
    ("correct", attendance_step(status=LEFT_EARLY, place=IN_HALL, reason="Ghi nhầm", correction=True)),
    ("renew the check-in key", lambda s: checkin.key_renewed(T_START)),
]
V1 = pp.PaperVersion(
    version=1,
    file_id="f" * 64,
    filename="du-thao.pdf",
    bytes=1000,
    page_count=4,
    pages=({"width": 595.0, "height": 842.0, "rotation": 0},) * 4,
)
DRAFT_PAPER = pp.Paper(
    id="pp_paper01", meeting_id="m_meeting1", title="Dự thảo nghị quyết", versions=(V1,), item_id="a_item01"
)
PAPER = replace(DRAFT_PAPER, status="published")
CHAIR = pp.Viewer(role="chair", user_id="u_chair001")
DELEGATE = pp.Viewer(role="delegate", user_id="u_deleg001", unit_id="un_xa00001")
INK = pp.Annotation(
    id="ink-00000001",
    paper_id=PAPER.id,
    version=1,
    page=2,
    kind="ink",
    owner_id="u_deleg001",
    data={"color": "#d32f2f", "strokes": [[[0.1, 0.1], [0.2, 0.2]]], "width": 0.004, "opacity": 1.0},
)
COMMENT = pp.Comment(
    id="cmt-0000001",
    paper_id=PAPER.id,
    version=1,
    page=1,
    x=0.5,
    y=0.5,
    author_id="u_deleg001",
    author_name="Đại biểu",
    text="Đề nghị bổ sung số liệu",
)
PAPERS: list[tuple[str, Command]] = [
    ("add", lambda s: d.add_item(s, AgendaItem(id="a_item01", title="Thông qua dự thảo"))),
    ("schedule", lambda s: d.transition(s, "schedule")),
    (
        "upload",
        lambda s: pp.add_paper(
            s,
            paper_id=DRAFT_PAPER.id,
            title=DRAFT_PAPER.title,
            item_id="a_item01",
            access="all",
            user_ids=(),
            unit_ids=(),
            first=V1,
            position=0,
            actor_id="u_secret01",
            at=T_START,
        )[1],
    ),
    ("publish", lambda s: pp.publish_paper(s, DRAFT_PAPER)[1]),
    ("version", lambda s: pp.add_version(s, PAPER, V1)[1]),
    ("rename", lambda s: pp.update_paper(s, PAPER, {"title": "Dự thảo (lần 2)"}, (), ())[1]),
    ("start", lambda s: d.transition(s, "start")),
    (
        "present",
        lambda s: pp.present(s, PAPER, CHAIR, version=None, page=3, zoom=1.5, x=0.2, y=0.3, name="Chủ trì", at=T_START),
    ),
    ("stop", lambda s: pp.stop_presenting(s, CHAIR)),
    ("open", lambda s: pp.open_paper(PAPER, DELEGATE, None, True, "Đại biểu", T_START)),
    ("ink", lambda s: pp.save_annotation(s, PAPER, DELEGATE, INK, None)),
    ("erase", lambda s: pp.delete_annotation(PAPER, DELEGATE, INK)),
    ("comment", lambda s: pp.add_comment(s, PAPER, DELEGATE, COMMENT)),
    ("answer", lambda s: pp.update_comment(s, CHAIR, COMMENT, "answered", "Đã bổ sung", T_END)[1]),
    (
        "present again",
        lambda s: pp.present(s, PAPER, CHAIR, version=1, page=1, zoom=1.0, x=0.0, y=0.0, name="Chủ trì", at=T_START),
    ),
    ("withdraw", lambda s: pp.withdraw_paper(s, PAPER)[1]),
]
# Votes: a named vote and a secret one, their ballots, a hall's tally and a proxy, as actions/votes.py logs them.
_OPENED_AT = datetime(2026, 11, 24, 1, 30, tzinfo=UTC)
_MEMBERS = frozenset({"u_deleg001", "u_deleg002", "u_deleg003"})
NAMED = vv.transition(vv.Vote("vot_named001", "a_item01", "Thông qua chương trình"), "open", _OPENED_AT, _MEMBERS)
SECRET = vv.transition(vv.Vote("vot_secret01", "a_item01", "Bầu Ủy viên", secret=True), "open", _OPENED_AT, _MEMBERS)
_PROXY = vv.Proxy("prx_proxy0001", "u_deleg003", "u_deleg002", _OPENED_AT, "u_secret01")
_TURNOUT = {"voted": 1, "of": 3, "line": "Đã biểu quyết 1/3", "line_en": "Voted 1/3"}


def _ballot(vote: vv.Vote, voter: str) -> list[Event]:
    events = vv.cast(
        vote,
        vv.Tally(vote.id),
        voter=voter,
        cast_by=voter,
        choices=["yes"],
        present=_MEMBERS,
        proxies=(),
        at=_OPENED_AT,
    )
    return vv.ballot_entries(make_state(), events, _TURNOUT)


def _hall(vote: vv.Vote) -> list[Event]:
    events = vv.enter_hall_tally(
        vote,
        vv.Tally(vote.id),
        site_id="s_site0001",
        operator="u_oper0001",
        hall_present=_MEMBERS,
        proxies=(),
        at=_OPENED_AT,
        voters=frozenset({"u_deleg001"}),
        counts={"no": 1},
    )
    return vv.ballot_entries(make_state(), events, _TURNOUT)


VOTES: list[tuple[str, Command]] = [
    ("prepare", lambda s: vv.vote_changed(s, "prepare", {"id": NAMED.id})),
    ("edit", lambda s: vv.vote_changed(s, "edit", {"id": NAMED.id})),
    ("open", lambda s: vv.vote_changed(s, "open", {"id": NAMED.id})),
    ("proxy", lambda s: vv.proxy_changed(s, "authorise", {"id": _PROXY.id})),
    ("named ballot", lambda s: _ballot(NAMED, "u_deleg001")),
    ("secret ballot", lambda s: _ballot(SECRET, "u_deleg001")),
    ("hall", lambda s: _hall(SECRET)),
    ("withdraw", lambda s: vv.proxy_changed(s, "withdraw", {"id": _PROXY.id})),
    ("close", lambda s: vv.vote_changed(s, "close", {"id": NAMED.id})),
    ("cancel", lambda s: vv.vote_changed(s, "cancel", {"id": SECRET.id})),
]
# Answers to the invitation: one attends, one sends a colleague of the same unit (who is invited with it), a reminder.
_UNIT = "un_xa00001"
ANSWERS: list[tuple[str, Command]] = [
    ("add", lambda s: d.add_item(s, AgendaItem(id="a_item01", title="Khai mạc"))),
    ("invite", lambda s: d.update(s, {"invitee_ids": ["u_deleg001", "u_deleg002"]})),
    ("schedule", lambda s: d.transition(s, "schedule")),
    (
        "attend",
        lambda s: an.answer(
            s, an.Person("u_deleg002", _UNIT), kind="attending", mode="remote", at=T_START, recorded_by="u_deleg002"
        ),
    ),
    (
        "stand-in",
        lambda s: an.answer(
            s,
            an.Person("u_deleg001", _UNIT),
            kind="stand_in",
            stand_in=an.Person("u_deleg009", _UNIT),
            at=T_START,
            recorded_by="u_deleg001",
        ),
    ),
    ("remind", lambda s: an.remind(s)),
]
RECORD: list[tuple[str, Command]] = [  # the record's page is told a document changed (actions/record.py)
    (
        "minutes drafted",
        lambda s: [rec.changed({"document_id": "rd_minutes1", "kind": "bien_ban", "status": "draft", "version": 1})],
    ),
]
SCENARIOS = {
    "record": RECORD,
    "answers": ANSWERS,
    "lifecycle": LIFECYCLE,
    "cancelled": CANCELLED,
    "draft_cancelled": DRAFT_CANCELLED,
    "conference": CONFERENCE,
    "papers": PAPERS,
    "floor": FLOOR,
    "attendance": ATTENDANCE,
    "votes": VOTES,
}
CREATE_FIELDS = {
    "title": "Hội nghị",
    "starts_at": T_START,
    "ends_at": T_END,
    "sites": list(SITES),
    "main_site_id": "s_main01",
    "chair_id": "u_chair001",
    "secretary_id": "u_secret01",
}


def run_scenario(steps: list[tuple[str, Command]]) -> list[tuple[MeetingState, list[Event]]]:
    """Each command sees the state folded so far; returns (state after, events) per command, create first."""
    events = d.create("m_meeting1", "u_organizer", CREATE_FIELDS)
    # What actions/meetings.py does: a placeholder row, then the created event applied over it.
    state = MeetingState(id="m_meeting1", title="", organizer_id="u_organizer", starts_at="")
    for event in events:
        state = d.apply(state, event)
    out = [(state, events)]
    for _, command in steps:
        events = command(state)
        assert events, "every step of a scenario changes something"
        for event in events:
            state = d.apply(state, event)
        out.append((state, events))
    return out


def wire(event: Event) -> dict[str, Any]:
    """The event as stored (JSON column) and sent to clients."""
    loaded: dict[str, Any] = json.loads(json.dumps(event.data))
    return loaded


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_client_and_server_agree_event_by_event(scenario: str) -> None:
    server = MeetingState(id="m_meeting1", title="", organizer_id="u_organizer", starts_at="")
    client: dict[str, Any] = {}
    seq = 0
    for _, events in run_scenario(SCENARIOS[scenario]):
        for event in events:
            seq += 1
            data = wire(event)
            # The server applies what it stored; it must be the same as applying the in-memory event.
            from_store = d.apply(server, Event(event.type, data, event.audience))
            server = d.apply(server, event)
            assert from_store == server
            server = replace(server, last_seq=seq)
            client = p.apply_patch(client, {"seq": seq, "type": event.type, "data": data})
            assert client == server.to_dict(), (scenario, seq, event.type)
            # and the snapshot a (re)joining client gets is the same state again
            assert MeetingState.from_dict(json.loads(json.dumps(server.to_dict()))) == server


@pytest.mark.parametrize("scenario", list(SCENARIOS))
def test_folding_the_log_gives_each_commands_state(scenario: str) -> None:
    steps = run_scenario(SCENARIOS[scenario])
    log = [event for _, events in steps for event in events]
    # Replaying any prefix of the log from scratch lands on the state the commands saw at that point.
    count = 0
    for state_after, events in steps:
        count += len(events)
        folded = MeetingState(id="m_meeting1", title="", organizer_id="u_organizer", starts_at="")
        for event in log[:count]:
            folded = d.apply(folded, event)
        assert folded == state_after
        assert MeetingState.from_dict(folded.to_dict()) == folded


def test_scenarios_cover_every_event_type() -> None:
    seen = {event.type for steps in SCENARIOS.values() for _, events in run_scenario(steps) for event in events}
    assert seen == set(p.EVENT_TYPES)


def test_lifecycle_scenario_ends_where_expected() -> None:
    final = run_scenario(LIFECYCLE)[-1][0]
    assert final.status == "archived"
    assert final.title == "Hội nghị trực tuyến tỉnh Tuyên Quang"
    assert final.starts_at == "2026-11-24T00:30:00Z"
    assert final.invitee_ids == ("u_delegat1", "u_delegat2")
    assert final.current_item_id is None
    assert statuses(final) == {"a_item01": "done", "a_item02": "done", "a_item03": "pending"}
    assert final.item("a_item02").planned_minutes == 45


def test_every_event_patch_names_only_snapshot_fields() -> None:
    snapshot_fields = set(make_state().to_dict()) - {"last_seq"}
    for steps in SCENARIOS.values():
        for _, events in run_scenario(steps):
            for event in events:
                assert set(event.patch) <= snapshot_fields, event.type
