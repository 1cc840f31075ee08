"""Conference decisions as pure rules: admission, main site, mute, lock, removal, recording, roll call."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from meeting_server import protocol as p
from meeting_server.domain import conference as c
from meeting_server.domain import meetings as d
from meeting_server.domain.meetings import MeetingState
from meeting_server.errors import AppError
from meeting_server.vocabulary import MeetingStatus

SITES = (
    {"id": "s_huyen01", "name": "Hội trường huyện", "unit_id": "un_huyen1"},
    {"id": "s_xa00001", "name": "UBND xã Tân Trào", "unit_id": "un_xa0001"},
)
HALL, COMMUNE = "site:s_huyen01", "site:s_xa00001"


def live(**conference: Any) -> MeetingState:
    state = MeetingState(
        id="m_meeting1",
        title="Họp",
        organizer_id="u_organizer",
        starts_at="2026-11-24T01:00:00Z",
        status="in_progress",
        published=True,
        sites=SITES,
        main_site_id="s_huyen01",
        chair_id="u_chair001",
    )
    return replace(state, conference=c.Conference(**conference).to_dict())


def code(fn: Any) -> str:
    with pytest.raises(AppError) as err:
        fn()
    return err.value.code


def fold(state: MeetingState, events: list[d.Event]) -> MeetingState:
    for event in events:
        state = d.apply(state, event)
    return state


@pytest.mark.parametrize(
    ("role", "view", "conference", "connected", "outcome"),
    [
        ("site", "site", {}, set(), True),
        ("delegate", "delegate", {}, set(), True),
        ("observer", "delegate", {}, set(), False),  # watches, never publishes
        ("site_operator", "display", {}, set(), False),
        ("site", "display", {}, set(), False),  # a hall's TV only receives
        ("chair", "console", {}, set(), True),
        ("secretary", "console", {}, set(), True),
        ("delegate", "console", {}, set(), "forbidden"),
        ("site", "console", {}, set(), "forbidden"),
        ("site", "theatre", {}, set(), "invalid_input"),
        ("site", "site", {"removed": (COMMUNE,)}, set(), "participant_removed"),
        ("site", "site", {"locked": True}, set(), "conference_locked"),
        ("site", "site", {"locked": True, "locked_with": (COMMUNE,)}, set(), True),  # was in when locked
        ("site", "site", {"locked": True}, {COMMUNE}, True),  # already connected: a second device
        ("chair", "console", {"locked": True}, set(), True),  # the chair is never locked out
    ],
)
def test_admission(role: str, view: str, conference: dict[str, Any], connected: set[str], outcome: bool | str) -> None:
    state = live(**conference)
    if isinstance(outcome, str):
        assert code(lambda: c.check_admission(state, COMMUNE, role, view, frozenset(connected))) == outcome
    else:
        assert c.check_admission(state, COMMUNE, role, view, frozenset(connected)) is outcome


@pytest.mark.parametrize("status", ["draft", "scheduled", "ended", "archived", "cancelled"])
def test_nothing_connects_or_changes_unless_the_meeting_is_under_way(status: MeetingStatus) -> None:
    state = replace(live(), status=status)
    assert code(lambda: c.check_admission(state, HALL, "site", "site", frozenset())) == "conference_not_live"
    assert code(lambda: c.set_main_site(state, "s_xa00001")) == "conference_not_live"
    assert code(lambda: c.set_muted(state, HALL, True)) == "conference_not_live"
    assert code(lambda: c.start_recording(state, "rec_abcdef1", "t", "u_chair001")) == "conference_not_live"


def test_main_site_must_take_part_and_repeating_it_changes_nothing() -> None:
    state = live()
    assert code(lambda: c.set_main_site(state, "s_other001")) == "not_found"
    assert c.set_main_site(state, "s_huyen01") == []
    (event,) = c.set_main_site(state, "s_xa00001")
    assert event.type == p.CONFERENCE_MAIN_SITE_CHANGED and event.patch == {"main_site_id": "s_xa00001"}


def test_mute_names_a_participant_of_the_meeting() -> None:
    state = live()
    assert code(lambda: c.set_muted(state, "site:s_other001", True)) == "not_found"
    assert code(lambda: c.set_muted(state, "room:s_huyen01", True)) == "invalid_input"
    muted = fold(state, c.set_muted(state, COMMUNE, True))
    assert c.conference_of(muted).muted == (COMMUNE,)
    assert c.set_muted(muted, COMMUNE, True) == []
    assert c.conference_of(fold(muted, c.set_muted(muted, COMMUNE, False))).muted == ()
    # a person's browser can be muted too
    assert c.conference_of(fold(state, c.set_muted(state, "user:u_delegat1", True))).muted == ("user:u_delegat1",)


def test_mute_all_communes_mutes_every_site_but_the_main_one_in_one_event() -> None:
    """Issue 9 §1.13: "Tắt tiếng tất cả xã" for a province meeting, as one command."""
    sites = SITES + tuple({"id": f"s_xa{n:05d}", "name": f"Xã {n}", "unit_id": "un_xa0001"} for n in range(2, 125))
    state = replace(live(muted=("user:u_deleg001", "site:s_xa00007")), sites=sites)
    events = c.mute_sites(state)
    assert [e.type for e in events] == [p.CONFERENCE_MUTED]
    after = fold(state, events)
    muted = set(c.conference_of(after).muted)
    assert HALL not in muted and {f"site:{s['id']}" for s in sites[1:]} <= muted and "user:u_deleg001" in muted
    assert len(events[0].data["participants"]) == 123  # those newly muted; s_xa00007 already was
    assert c.mute_sites(after) == []  # again: nothing to do
    assert code(lambda: c.mute_sites(replace(state, status="ended"))) == "conference_not_live"


def test_lock_remembers_who_was_in_and_removal_takes_them_off_that_list() -> None:
    state = fold(live(), c.set_locked(live(), True, frozenset({HALL, COMMUNE})))
    conf = c.conference_of(state)
    assert conf.locked and conf.locked_with == (HALL, COMMUNE)
    state = fold(state, c.remove_participant(state, COMMUNE))
    assert c.conference_of(state).locked_with == (HALL,)
    assert code(lambda: c.check_admission(state, COMMUNE, "site", "site", frozenset())) == "participant_removed"
    state = fold(state, c.readmit_participant(state, COMMUNE))
    # readmitted while locked: the chair let it back in, so the lock lets it in too
    assert c.check_admission(state, COMMUNE, "site", "site", frozenset()) is True
    state = fold(state, c.set_locked(state, False, frozenset()))
    assert c.conference_of(state).locked_with == ()


def test_recording_and_roll_call_end_with_the_meeting() -> None:
    state = live()
    state = fold(state, c.start_recording(state, "rec_abcdef1", "2026-11-24T01:05:00Z", "u_chair001"))
    assert c.start_recording(state, "rec_abcdef2", "x", "u_chair001") == []  # one recording at a time
    state = fold(state, c.start_roll_call(state, "rc_abcdef1", "2026-11-24T01:06:00Z"))
    state = fold(state, c.answer_roll_call(state, HALL, "rc_abcdef1", "2026-11-24T01:06:05Z"))
    assert c.answer_roll_call(state, HALL, "rc_abcdef1", "later") == []  # answered once
    assert code(lambda: c.answer_roll_call(state, HALL, "rc_other01", "t")) == "not_found"
    ended = fold(state, d.transition(state, "end"))
    conf = c.conference_of(ended)
    assert conf.recording is None
    assert (
        conf.roll_call is not None
        and not conf.roll_call.open
        and conf.roll_call.answered == {HALL: "2026-11-24T01:06:05Z"}
    )
    assert (
        code(lambda: c.answer_roll_call(replace(ended, status="in_progress"), COMMUNE, "rc_abcdef1", "t"))
        == "invalid_transition"
    )
