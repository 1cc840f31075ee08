"""The floor as pure rules: requests and their queue, who may do what, giving the floor (main site and mute),
ending it (restored), time up, extension and speaking-time statistics."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from meeting_server import protocol as p
from meeting_server.domain import floor as f
from meeting_server.domain import meetings as d
from meeting_server.domain.actors import Actor
from meeting_server.domain.conference import Conference, conference_of
from meeting_server.domain.meetings import AgendaItem, MeetingState
from meeting_server.errors import AppError
from meeting_server.vocabulary import FloorKind, MeetingStatus

SITES = (
    {"id": "s_huyen01", "name": "Hội trường huyện", "unit_id": "un_huyen1"},
    {"id": "s_xa00001", "name": "UBND xã Tân Trào", "unit_id": "un_xa0001"},
    {"id": "s_xa00002", "name": "UBND xã Minh Thanh", "unit_id": "un_xa0002"},
)
HALL, TAN_TRAO, MINH_THANH = "site:s_huyen01", "site:s_xa00001", "site:s_xa00002"
DELEGATE, OTHER = "user:u_delegate", "user:u_other01"
T0 = "2026-11-24T02:00:00+00:00"


def at(minutes: float) -> str:
    """T0 plus some minutes, as the ISO time the actions pass in."""
    from datetime import datetime, timedelta

    return (datetime.fromisoformat(T0) + timedelta(minutes=minutes)).isoformat()


def live(status: MeetingStatus = "in_progress", muted: tuple[str, ...] = (TAN_TRAO, MINH_THANH)) -> MeetingState:
    return MeetingState(
        id="m_meeting1",
        title="Họp HĐND",
        organizer_id="u_organizer",
        starts_at="2026-11-24T01:00:00Z",
        status=status,
        published=True,
        sites=SITES,
        main_site_id="s_huyen01",
        chair_id="u_chair001",
        secretary_id="u_secret01",
        invitee_ids=("u_delegate", "u_other01", "u_observer"),
        agenda=(
            AgendaItem(id="ai_done01", title="Khai mạc", status="done"),
            AgendaItem(id="ai_item01", title="Báo cáo kinh tế - xã hội", status="current"),
            AgendaItem(id="ai_item02", title="Dự toán ngân sách"),
        ),
        current_item_id="ai_item01",
        conference=Conference(muted=muted).to_dict(),
    )


ACTORS = {
    "chair": Actor("user", "u_chair001", roles=frozenset({"chair"})),
    "secretary": Actor("user", "u_secret01", roles=frozenset({"secretary"})),
    "delegate": Actor("user", "u_delegate", roles=frozenset({"delegate"})),
    "other": Actor("user", "u_other01", roles=frozenset({"delegate"})),
    "observer": Actor("user", "u_observer", roles=frozenset({"observer"})),
    "operator": Actor("user", "u_operat01", roles=frozenset({"site_operator"}), unit_id="un_xa0001"),
    "room_pc": Actor("site", "s_xa00001"),
    "other_pc": Actor("site", "s_xa00002"),
}


def asker(name: str, state: MeetingState | None = None) -> f.Asker:
    return f.asker_for(ACTORS[name], state or live())


def code(fn: Any) -> str:
    with pytest.raises(AppError) as err:
        fn()
    return err.value.code


def ask(
    floor: f.Floor,
    rid: str,
    speaker: str,
    minute: float = 0,
    kind: FloorKind = "speech",
    by: str = "chair",
    item: str = "ai_item01",
    state: MeetingState | None = None,
    site_id: str | None = None,
    **extra: Any,
) -> f.Floor:
    state = state or live()
    new, events = f.request_floor(
        floor,
        state,
        asker(by, state),
        request_id=rid,
        speaker=speaker,
        item_id=item,
        kind=kind,
        at=at(minute),
        site_id=site_id,
        **extra,
    )
    assert [e.type for e in events] == [p.FLOOR_REQUESTED]
    assert f.Floor.from_dict(events[0].patch["floor"]) == new, "the event's patch is the new floor"
    return new


def fold(state: MeetingState, events: list[d.Event]) -> MeetingState:
    for event in events:
        state = d.apply(state, event)
    return state


# ---- the queue ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arrivals", "order"),
    [
        ([("r1", "speech"), ("r2", "speech"), ("r3", "proposal")], ["r1", "r2", "r3"]),  # arrival order
        ([("r1", "speech"), ("r2", "reply")], ["r2", "r1"]),  # a reply goes ahead
        ([("r1", "reply"), ("r2", "speech"), ("r3", "reply")], ["r1", "r3", "r2"]),  # replies in their own order
        ([("r1", "proposal"), ("r2", "reply"), ("r3", "speech"), ("r4", "reply")], ["r2", "r4", "r1", "r3"]),
    ],
)
def test_queue_puts_replies_first_then_arrival(arrivals: list[tuple[str, FloorKind]], order: list[str]) -> None:
    speakers = ["user:u_a00001", "user:u_a00002", "user:u_a00003", "user:u_a00004"]
    floor = f.Floor()
    for minute, ((rid, kind), speaker) in enumerate(zip(arrivals, speakers, strict=False)):
        floor = ask(floor, rid, speaker, minute=minute, kind=kind)
    entries = f.queue(floor, "ai_item01", at(10))
    assert [e.request.id for e in entries] == order
    assert [e.position for e in entries] == list(range(1, len(order) + 1))
    waited = {e.request.id: e.waiting_seconds for e in entries}
    assert waited == {rid: (10 - i) * 60 for i, (rid, _) in enumerate(arrivals)}


def test_queue_is_per_item_and_shows_place_and_site() -> None:
    floor = ask(f.Floor(), "r1", DELEGATE, site_id="s_xa00001", by="delegate")
    floor = ask(floor, "r2", TAN_TRAO, minute=1, by="operator", topic="  Giao thông nông thôn  ")
    floor = ask(floor, "r3", OTHER, minute=2, item="ai_item02", by="other")
    assert [e.request.id for e in f.queue(floor, "ai_item01", at(3))] == ["r1", "r2"]
    assert [e.request.id for e in f.queue(floor, "ai_item02", at(3))] == ["r3"]
    assert f.place_in_queue(floor, TAN_TRAO, "ai_item01", at(3)) == 2
    assert f.place_in_queue(floor, OTHER, "ai_item01", at(3)) is None
    hall = floor.request("r2")
    assert (hall.site_id, hall.topic, hall.requested_by) == ("s_xa00001", "Giao thông nông thôn", "user:u_operat01")
    assert floor.request("r1").site_id == "s_xa00001"  # a delegate sitting at the commune's hall


def test_withdraw_leaves_the_queue_and_allows_asking_again() -> None:
    state = live()
    floor = ask(f.Floor(), "r1", DELEGATE, by="delegate")
    floor = ask(floor, "r2", OTHER, minute=1, by="other")
    new, events = f.withdraw(floor, state, asker("delegate"), "r1", at(2))
    assert [e.type for e in events] == [p.FLOOR_WITHDRAWN]
    assert [e.request.id for e in f.queue(new, "ai_item01", at(3))] == ["r2"]
    gone = new.request("r1")
    assert (gone.status, gone.closed_at, gone.closed_by) == ("withdrawn", at(2), DELEGATE)
    assert f.withdraw(new, state, asker("delegate"), "r1", at(3)) == (new, [])  # already withdrawn: nothing
    again = ask(new, "r3", DELEGATE, minute=4, by="delegate")  # a new request is taken
    assert [e.request.id for e in f.queue(again, "ai_item01", at(5))] == ["r2", "r3"]


@pytest.mark.parametrize(
    ("first", "second", "outcome"),
    [
        (("r1", DELEGATE, "ai_item01", "speech"), ("r2", DELEGATE, "ai_item01", "speech"), "conflict"),
        (("r1", DELEGATE, "ai_item01", "speech"), ("r2", DELEGATE, "ai_item01", "reply"), "conflict"),  # any kind
        (("r1", TAN_TRAO, "ai_item01", "speech"), ("r2", TAN_TRAO, "ai_item01", "proposal"), "conflict"),
        (("r1", DELEGATE, "ai_item01", "speech"), ("r1", OTHER, "ai_item01", "speech"), "conflict"),  # same id
        (("r1", DELEGATE, "ai_item01", "speech"), ("r2", DELEGATE, "ai_item02", "speech"), None),  # another item
        (("r1", DELEGATE, "ai_item01", "speech"), ("r2", OTHER, "ai_item01", "speech"), None),  # another person
    ],
)
def test_one_open_request_per_speaker_per_item(
    first: tuple[str, str, str, FloorKind], second: tuple[str, str, str, FloorKind], outcome: str | None
) -> None:
    floor = ask(f.Floor(), first[0], first[1], item=first[2], kind=first[3])
    if outcome is None:
        ask(floor, second[0], second[1], minute=1, item=second[2], kind=second[3])
    else:
        assert code(lambda: ask(floor, second[0], second[1], minute=1, item=second[2], kind=second[3])) == outcome


@pytest.mark.parametrize(
    ("by", "speaker", "outcome"),
    [
        ("delegate", DELEGATE, None),  # for oneself
        ("delegate", OTHER, "forbidden"),  # not for someone else
        ("delegate", TAN_TRAO, "forbidden"),  # nor for a hall
        ("observer", "user:u_observer", "forbidden"),  # observers watch
        ("operator", TAN_TRAO, None),  # "Điểm cầu xã Tân Trào xin phát biểu"
        ("operator", MINH_THANH, "forbidden"),  # not another commune's hall
        ("operator", "user:u_operat01", "forbidden"),  # speaks through the hall
        ("room_pc", TAN_TRAO, None),  # the hall's room PC for its hall
        ("room_pc", MINH_THANH, "forbidden"),
        ("chair", OTHER, None),  # the chair's side adds anyone
        ("chair", MINH_THANH, None),
        ("secretary", DELEGATE, None),
        ("chair", "site:s_nowhere", "not_found"),  # a hall not in this meeting
        ("chair", "team:x", "invalid_input"),  # not a participant key
    ],
)
def test_who_may_ask_for_whom(by: str, speaker: str, outcome: str | None) -> None:
    if outcome is None:
        assert ask(f.Floor(), "r1", speaker, by=by).request("r1").requested_by.endswith(ACTORS[by].id)
    else:
        assert code(lambda: ask(f.Floor(), "r1", speaker, by=by)) == outcome


@pytest.mark.parametrize(
    ("requested_by", "speaker", "withdrawn_by", "outcome"),
    [
        ("delegate", DELEGATE, "delegate", None),
        ("delegate", DELEGATE, "other", "forbidden"),
        ("chair", DELEGATE, "delegate", None),  # added by the chair, withdrawn by the person
        ("delegate", DELEGATE, "chair", None),  # the chair may withdraw anyone's
        ("delegate", DELEGATE, "secretary", None),
        ("operator", TAN_TRAO, "room_pc", None),  # the hall's own request, from either of its ends
        ("operator", TAN_TRAO, "other_pc", "forbidden"),
        ("room_pc", TAN_TRAO, "delegate", "forbidden"),
    ],
)
def test_who_may_withdraw(requested_by: str, speaker: str, withdrawn_by: str, outcome: str | None) -> None:
    floor = ask(f.Floor(), "r1", speaker, by=requested_by)
    if outcome is None:
        new, _ = f.withdraw(floor, live(), asker(withdrawn_by), "r1", at(1))
        assert new.request("r1").status == "withdrawn"
    else:
        assert code(lambda: f.withdraw(floor, live(), asker(withdrawn_by), "r1", at(1))) == outcome


@pytest.mark.parametrize(
    ("case", "outcome"),
    [
        ({"item": "ai_done01"}, "invalid_input"),  # an item the meeting has moved past
        ({"item": "ai_nowhere"}, "not_found"),
        ({"topic": "x" * (f.MAX_TOPIC + 1)}, "invalid_input"),
        ({"topic": "hai\ndòng"}, "invalid_input"),
        ({"topic": "x" * f.MAX_TOPIC}, None),
        ({"kind": "speak"}, "invalid_input"),
        ({"site_id": "s_nowhere"}, "not_found"),
        ({"state": live(status="scheduled")}, None),  # registering before the meeting opens
        ({"state": live(status="ended")}, "invalid_transition"),
        ({"state": live(status="draft")}, "invalid_transition"),
    ],
)
def test_what_a_request_may_carry(case: dict[str, Any], outcome: str | None) -> None:
    def run() -> f.Floor:
        return ask(f.Floor(), "r1", DELEGATE, **case)

    if outcome is None:
        assert run().request("r1").status == "waiting"
    else:
        assert code(run) == outcome


# ---- giving the floor -----------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("speaker", "site", "only_speaker", "main", "muted"),
    [
        # a commune's hall: it becomes the main site and is unmuted; the other commune stays muted
        (TAN_TRAO, None, False, "s_xa00001", (MINH_THANH,)),
        # ... and with "only the speaker speaks" the district hall is muted too
        (TAN_TRAO, None, True, "s_xa00001", (HALL, MINH_THANH)),
        # a delegate sitting at Minh Thanh's hall: that hall is main and unmuted
        (DELEGATE, "s_xa00002", False, "s_xa00002", (TAN_TRAO,)),
        # a delegate in the district hall: the main site stays, nothing was muted there
        (DELEGATE, "s_huyen01", False, "s_huyen01", (TAN_TRAO, MINH_THANH)),
        (DELEGATE, "s_huyen01", True, "s_huyen01", (TAN_TRAO, MINH_THANH)),
        # a delegate online (no hall): the main site stays, the other halls muted when only they speak
        (DELEGATE, None, True, "s_huyen01", (HALL, TAN_TRAO, MINH_THANH)),
    ],
)
def test_giving_the_floor_moves_main_and_microphones(
    speaker: str, site: str | None, only_speaker: bool, main: str, muted: tuple[str, ...]
) -> None:
    state = live()
    floor = ask(f.Floor(), "r1", speaker, site_id=None if speaker.startswith("site:") else site)
    new, speech, change, events = f.give_floor(floor, state, asker("chair"), "r1", at(5), only_speaker=only_speaker)
    assert (change.main_site_id, change.muted) == (main, tuple(sorted(muted)))
    assert [e.type for e in events] == [p.FLOOR_GIVEN]
    after = fold(state, events)  # the one event carries the decisions: the SFU and screens merge its patch
    assert (after.main_site_id, conference_of(after).muted) == (main, tuple(sorted(muted)))
    assert new.current == speech and new.request("r1").status == "given"
    assert (speech.speaker, speech.item_id, speech.started_at, speech.planned_minutes) == (
        speaker,
        "ai_item01",
        at(5),
        f.DEFAULT_MINUTES,
    )
    assert f.queue(new, "ai_item01", at(6)) == []


@pytest.mark.parametrize("only_speaker", [False, True])
def test_ending_restores_the_layout_and_mutes_the_hall_again(only_speaker: bool) -> None:
    state = live()
    floor = ask(f.Floor(), "r1", TAN_TRAO)
    floor, _, _, given = f.give_floor(floor, state, asker("chair"), "r1", at(1), only_speaker=only_speaker)
    during = fold(state, given)
    floor, ended, change, events = f.end_speech(floor, during, asker("secretary"), at(4))
    after = fold(during, events)
    assert (after.main_site_id, conference_of(after).muted) == (state.main_site_id, conference_of(state).muted)
    assert (change.main_site_id, change.muted) == ("s_huyen01", (TAN_TRAO, MINH_THANH))
    assert (ended.ended_at, ended.end_reason, ended.duration_seconds) == (at(4), "ended_by_chair", 180)
    assert floor.current is None and [e.type for e in events] == [p.FLOOR_ENDED]


def test_the_meeting_ending_ends_the_speech_and_restores_the_layout() -> None:
    state = live()
    floor = ask(f.Floor(), "r1", TAN_TRAO)
    floor, _, _, given = f.give_floor(floor, state, asker("chair"), "r1", at(1), only_speaker=True)
    during = fold(state, given)
    floor, events = f.end_with_meeting(floor, during, asker("secretary"), at(3))
    after = fold(during, events)
    assert (after.main_site_id, conference_of(after).muted) == (state.main_site_id, conference_of(state).muted)
    ended = floor.speeches[-1]
    assert (ended.ended_at, ended.end_reason, ended.duration_seconds) == (at(3), "meeting_ended", 120)
    assert floor.current is None and [e.type for e in events] == [p.FLOOR_ENDED]
    # No one speaking: nothing to end, nothing recorded.
    assert f.end_with_meeting(floor, after, asker("secretary"), at(4)) == (floor, [])


def test_ending_keeps_what_the_chair_changed_meanwhile() -> None:
    """Only what the floor did is undone: a main site the chair moved, a hall the chair unmuted, stay so."""
    state = live(muted=(TAN_TRAO,))
    floor = ask(f.Floor(), "r1", TAN_TRAO)
    floor, _, _, given = f.give_floor(floor, state, asker("chair"), "r1", at(1), only_speaker=True)
    during = fold(state, given)
    assert conference_of(during).muted == (HALL, MINH_THANH)
    during = replace(during, main_site_id="s_xa00002", conference=Conference(muted=(HALL,)).to_dict())
    _, _, change, _ = f.end_speech(floor, during, asker("chair"), at(2))
    assert change.main_site_id == "s_xa00002"  # the chair moved it: it stays
    assert change.muted == (TAN_TRAO,)  # the district hall unmuted again, the speaker muted again


def test_the_hall_that_was_not_muted_is_not_muted_after() -> None:
    state = live(muted=())
    floor = ask(f.Floor(), "r1", TAN_TRAO)
    floor, speech, _, given = f.give_floor(floor, state, asker("chair"), "r1", at(1))
    assert speech.unmuted is None
    _, _, change, _ = f.end_speech(floor, fold(state, given), asker("chair"), at(2))
    assert (change.main_site_id, change.muted) == ("s_huyen01", ())


def test_the_next_speaker_ends_the_current_one_and_the_layout_from_before_returns() -> None:
    state = live()
    floor = ask(f.Floor(), "r1", TAN_TRAO)
    floor = ask(floor, "r2", MINH_THANH, minute=1)
    floor, _, _, first = f.give_floor(floor, state, asker("chair"), "r1", at(2))
    s1 = fold(state, first)
    floor, second_speech, change, second = f.give_floor(floor, s1, asker("chair"), "r2", at(5))
    s2 = fold(s1, second)
    assert (s2.main_site_id, conference_of(s2).muted) == ("s_xa00002", (TAN_TRAO,))
    assert floor.speeches[0].end_reason == "next_speaker" and floor.speeches[0].duration_seconds == 180
    assert second[0].data["ended_speech_id"] == "r1" and floor.current == second_speech
    _, _, _, ended = f.end_speech(floor, s2, asker("chair"), at(6))
    s3 = fold(s2, ended)
    assert (s3.main_site_id, conference_of(s3).muted) == ("s_huyen01", (TAN_TRAO, MINH_THANH))


@pytest.mark.parametrize(
    ("by", "request_status", "state", "outcome"),
    [
        ("delegate", "waiting", live(), "forbidden"),
        ("room_pc", "waiting", live(), "forbidden"),
        ("secretary", "waiting", live(), None),
        ("chair", "withdrawn", live(), "invalid_transition"),
        ("chair", "waiting", live(status="scheduled"), "invalid_transition"),  # no conference yet
    ],
)
def test_who_gives_the_floor_and_when(by: str, request_status: str, state: MeetingState, outcome: str | None) -> None:
    floor = ask(f.Floor(), "r1", DELEGATE, state=live(status="scheduled"))
    if request_status == "withdrawn":
        floor, _ = f.withdraw(floor, state, asker("chair"), "r1", at(1))

    def run() -> Any:
        return f.give_floor(floor, state, asker(by, state), "r1", at(2))

    if outcome is None:
        assert run()[1].given_by == "user:u_secret01"
    else:
        assert code(run) == outcome


# ---- time ---------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("default", "item_minutes", "planned"),
    [(None, None, f.DEFAULT_MINUTES), (3, None, 3), (3, 7, 7), (None, 2, 2)],
)
def test_planned_minutes_per_item_or_per_meeting(default: int | None, item_minutes: int | None, planned: int) -> None:
    state = live()
    floor = f.Floor()
    if default is not None:
        floor, events = f.set_minutes(floor, state, asker("chair"), default)
        assert [e.type for e in events] == [p.FLOOR_MINUTES_SET]
    if item_minutes is not None:
        floor, _ = f.set_minutes(floor, state, asker("chair"), item_minutes, item_id="ai_item01")
    floor = ask(floor, "r1", DELEGATE)
    _, speech, _, _ = f.give_floor(floor, state, asker("chair"), "r1", at(0))
    assert speech.planned_minutes == planned
    assert speech.remaining_seconds(at(1)) == (planned - 1) * 60


@pytest.mark.parametrize(
    ("minutes", "outcome"), [(0, "invalid_input"), (121, "invalid_input"), (True, "invalid_input")]
)
def test_minutes_are_checked(minutes: Any, outcome: str) -> None:
    assert code(lambda: f.set_minutes(f.Floor(), live(), asker("chair"), minutes)) == outcome
    assert code(lambda: f.set_minutes(f.Floor(), live(), asker("delegate"), 5)) == "forbidden"


@pytest.mark.parametrize(
    ("extensions", "now", "ends"),
    [
        ((), 4.99, False),
        ((), 5, True),  # exactly at its time
        ((2,), 6, False),  # extended: still speaking
        ((2,), 7, True),
        ((1, 2), 7.5, False),
        ((1, 2), 8, True),
    ],
)
def test_time_up_with_extensions(extensions: tuple[int, ...], now: float, ends: bool) -> None:
    state = live()
    floor = ask(f.Floor(), "r1", TAN_TRAO)
    floor, _, _, given = f.give_floor(floor, state, asker("chair"), "r1", at(0))
    during = fold(state, given)
    for minutes in extensions:
        floor, events = f.extend(floor, during, asker("chair"), minutes)
        assert [e.type for e in events] == [p.FLOOR_EXTENDED]
    new, ended, events = f.time_up(floor, during, at(now))
    if not ends:
        assert (new, ended, events) == (floor, None, [])
        return
    assert ended is not None and ended.end_reason == "time_up" and ended.ended_at == at(now)
    after = fold(during, events)
    assert (after.main_site_id, conference_of(after).muted) == ("s_huyen01", (TAN_TRAO, MINH_THANH))


def test_extend_and_end_need_a_speech_and_the_chair() -> None:
    state = live()
    assert code(lambda: f.extend(f.Floor(), state, asker("chair"), 2)) == "invalid_transition"
    assert code(lambda: f.end_speech(f.Floor(), state, asker("chair"), at(1))) == "invalid_transition"
    assert f.time_up(f.Floor(), state, at(1)) == (f.Floor(), None, [])
    floor, _, _, _ = f.give_floor(ask(f.Floor(), "r1", DELEGATE), state, asker("chair"), "r1", at(0))
    assert code(lambda: f.extend(floor, state, asker("delegate"), 2)) == "forbidden"
    assert code(lambda: f.end_speech(floor, state, asker("room_pc"), at(1))) == "forbidden"


# ---- the record ---------------------------------------------------------------------------------------------------


def test_every_speech_is_kept_and_counted() -> None:
    state = live()
    floor = f.Floor()
    plan = [  # request id, speaker, site, item, start, end (minutes)
        ("r1", TAN_TRAO, None, "ai_item01", 0, 3),
        ("r2", DELEGATE, "s_huyen01", "ai_item01", 3, 5),
        ("r3", TAN_TRAO, None, "ai_item02", 10, 11.5),
        ("r4", DELEGATE, None, "ai_item02", 12, 13),  # online: counted for the person, no hall
    ]
    for rid, speaker, site, item, start, end in plan:
        floor = ask(floor, rid, speaker, minute=start, item=item, site_id=site)
        floor, _, _, given = f.give_floor(floor, state, asker("chair"), rid, at(start))
        floor, _, _, _ = f.end_speech(floor, fold(state, given), asker("chair"), at(end))
    kept = [(s.speaker, s.site_id, s.item_id, s.started_at, s.ended_at, s.duration_seconds) for s in floor.speeches]
    assert kept == [
        (TAN_TRAO, "s_xa00001", "ai_item01", at(0), at(3), 180),
        (DELEGATE, "s_huyen01", "ai_item01", at(3), at(5), 120),
        (TAN_TRAO, "s_xa00001", "ai_item02", at(10), at(11.5), 90),
        (DELEGATE, None, "ai_item02", at(12), at(13), 60),
    ]
    total = f.speaking_time(floor.speeches)
    assert total.by_speaker == {TAN_TRAO: 270, DELEGATE: 180}
    assert total.by_site == {"s_xa00001": 270, "s_huyen01": 120}
    assert total.speeches == {TAN_TRAO: 2, DELEGATE: 2}
    assert f.speaking_time(floor.speeches, item_id="ai_item02").by_speaker == {TAN_TRAO: 90, DELEGATE: 60}
    assert f.Floor.from_dict(floor.to_dict()) == floor  # what the log's patch carries reads back the same


def test_a_running_speech_is_not_counted_yet() -> None:
    floor, _, _, _ = f.give_floor(ask(f.Floor(), "r1", DELEGATE), live(), asker("chair"), "r1", at(0))
    assert f.speaking_time(floor.speeches).by_speaker == {}
