"""Who receives a meeting's events and what part each actor holds in a meeting: table-driven, pure."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from typing import Any

import pytest

from meeting_server import protocol as p
from meeting_server.domain import meetings as d
from meeting_server.domain.actors import Actor
from meeting_server.domain.meetings import AgendaItem, Audience, Event, MeetingState
from meeting_server.errors import AppError
from meeting_server.vocabulary import MeetingStatus

ORGANISER_ROLES = ("organizer", "chair", "secretary", "admin")
EVERYONE_ELSE = ("delegate", "observer", "site_operator", "site")


def test_role_vocabulary() -> None:
    assert set(ORGANISER_ROLES) | set(EVERYONE_ELSE) == set(p.MEETING_ROLES)
    assert set(d.ORGANIZERS_AUDIENCE) == set(ORGANISER_ROLES) == set(p.ORGANIZER_ROLES)


# ---- Audience ------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "kwargs",
    [
        {"kind": "everyone"},
        {"kind": "ALL"},
        {"kind": ""},
        {"kind": "roles"},  # roles without any role
        {"kind": "roles", "roles": ()},
        {"kind": "roles", "roles": ("boss",)},
        {"kind": "roles", "roles": ("chair", "Chair")},
        {"kind": "roles", "roles": ("chair", "delegates")},
        {"kind": "user"},  # a user audience without the user
        {"kind": "user", "user_id": ""},
    ],
    ids=repr,
)
def test_bad_audiences_are_refused(kwargs: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        Audience(**kwargs)


@pytest.mark.parametrize(
    "kwargs",
    [
        {},
        {"kind": "all"},
        {"kind": "roles", "roles": ("chair",)},
        {"kind": "roles", "roles": p.MEETING_ROLES},
        {"kind": "user", "user_id": "u_owner001"},
    ],
    ids=repr,
)
def test_good_audiences_round_trip(kwargs: dict[str, Any]) -> None:
    audience = Audience(**kwargs)
    assert Audience.from_dict(audience.to_dict()) == audience


ALL = Audience()
ORGANISERS = Audience(kind="roles", roles=ORGANISER_ROLES)
CHAIR_SECRETARY = Audience(kind="roles", roles=("chair", "secretary"))
OWNER = Audience(kind="user", user_id="u_owner001")


@pytest.mark.parametrize(
    ("audience", "role", "user_id", "expected"),
    [
        *[(ALL, role, "u_someone1", True) for role in p.MEETING_ROLES],
        *[(ORGANISERS, role, "u_someone1", role in ORGANISER_ROLES) for role in p.MEETING_ROLES],
        (CHAIR_SECRETARY, "chair", "u_someone1", True),
        (CHAIR_SECRETARY, "secretary", "u_someone1", True),
        (CHAIR_SECRETARY, "organizer", "u_someone1", False),
        (CHAIR_SECRETARY, "admin", "u_someone1", False),
        (CHAIR_SECRETARY, "delegate", "u_someone1", False),
        (OWNER, "delegate", "u_owner001", True),
        (OWNER, "chair", "u_owner001", True),
        (OWNER, "chair", "u_someone1", False),  # a private layer is private even from the chair
        (OWNER, "admin", "u_someone1", False),
        (OWNER, "site", "s_owner001", False),
    ],
)
def test_includes(audience: Audience, role: str, user_id: str, expected: bool) -> None:
    assert audience.includes(role, user_id) is expected


# ---- which events go to whom ---------------------------------------------------------------------------


def meeting(status: MeetingStatus, current: str | None = None) -> MeetingState:
    agenda = tuple(
        AgendaItem(id=i, title=i, status="current" if i == current else "pending") for i in ("a_item01", "a_item02")
    )
    return MeetingState(
        id="m_meeting1",
        title="Họp",
        organizer_id="u_organizer",
        starts_at="2026-11-24T01:00:00Z",
        status=status,
        agenda=agenda,
        current_item_id=current,
        invitee_ids=("u_delegat1",),
        published=status != "draft",
    )


COMMANDS: dict[str, Callable[[MeetingState], list[Event]]] = {
    "update": lambda s: d.update(s, {"location": "Hội trường"}),
    "add_item": lambda s: d.add_item(s, AgendaItem(id="a_item03", title="Kết luận")),
    "update_item": lambda s: d.update_item(s, "a_item01", {"title": "Khai mạc"}),
    "remove_item": lambda s: d.remove_item(s, "a_item01"),
    "reorder": lambda s: d.reorder(s, ["a_item02", "a_item01"]),
}


def test_created_draft_goes_to_organisers_only() -> None:
    (event,) = d.create(
        "m_meeting1",
        "u_organizer",
        {"title": "Họp", "starts_at": "2026-11-24T01:00:00Z", "invitee_ids": ["u_delegat1"]},
    )
    assert event.audience == ORGANISERS


@pytest.mark.parametrize("command", list(COMMANDS))
@pytest.mark.parametrize(
    ("status", "expected"),
    [
        ("draft", ORGANISERS),
        ("scheduled", ALL),
        ("in_progress", ALL),
    ],
)
def test_edit_audience(status: MeetingStatus, expected: Audience, command: str) -> None:
    (event,) = COMMANDS[command](meeting(status))
    assert event.audience == expected
    receivers = {role for role in p.MEETING_ROLES if event.audience.includes(role, "u_delegat1")}
    assert receivers == (set(ORGANISER_ROLES) if status == "draft" else set(p.MEETING_ROLES))


@pytest.mark.parametrize(
    ("status", "action"),
    [
        ("draft", "schedule"),  # leaving draft is news for everyone
        ("scheduled", "unschedule"),  # still news for those who saw it scheduled
        ("scheduled", "start"),
        ("scheduled", "cancel"),
        ("in_progress", "end"),
        ("ended", "archive"),
    ],
)
def test_transition_audience_is_everyone(status: MeetingStatus, action: str) -> None:
    (event,) = d.transition(meeting(status), action)
    assert event.audience == ALL


def test_set_current_goes_to_everyone() -> None:
    (event,) = d.set_current(meeting("in_progress"), "a_item02")
    assert event.audience == ALL


# ---- meeting_role --------------------------------------------------------------------------------------

STATE = MeetingState(
    id="m_meeting1",
    title="Hội nghị",
    organizer_id="u_organizer",
    starts_at="2026-11-24T01:00:00Z",
    chair_id="u_chair001",
    secretary_id="u_secret01",
    invitee_ids=("u_delegat1", "u_observe1", "u_both0001", "u_opinvite"),
    invited_unit_ids=("un_invited",),
    sites=(
        {"id": "s_main01", "name": "Hội trường huyện", "unit_id": "un_district"},
        {"id": "s_xa0001", "name": "UBND xã", "unit_id": "un_commune1"},
        {"id": "s_xa0002", "name": "UBND xã được mời", "unit_id": "un_invited"},
    ),
    main_site_id="s_main01",
)


def user(uid: str, *roles: str, unit: str | None = "un_elsewhere") -> Actor:
    return Actor(kind="user", id=uid, roles=frozenset(roles), unit_id=unit)


# actor -> (role while draft, role once scheduled)
ROLES: dict[str, tuple[Actor, str | None, str | None]] = {
    "admin": (user("u_admin001", "admin"), "admin", "admin"),
    "chair of this meeting": (user("u_chair001", "chair"), "chair", "chair"),
    "secretary of this meeting": (user("u_secret01", "secretary"), "secretary", "secretary"),
    "organiser": (user("u_organizer", "secretary"), "organizer", "organizer"),
    "admin chairing": (user("u_chair001", "admin", "chair"), "chair", "chair"),
    "invited delegate": (user("u_delegat1", "delegate"), None, "delegate"),
    "delegate via invited unit": (user("u_unitdel1", "delegate", unit="un_invited"), None, "delegate"),
    "invited observer": (user("u_observe1", "observer"), None, "observer"),
    "observer via invited unit": (user("u_unitobs1", "observer", unit="un_invited"), None, "observer"),
    "invited delegate and observer": (user("u_both0001", "delegate", "observer"), None, "delegate"),
    "invited chair-role user": (user("u_delegat1", "chair"), None, "delegate"),
    "site operator of a participating site": (
        user("u_operat01", "site_operator", unit="un_commune1"),
        None,
        "site_operator",
    ),
    "site operator of the main site": (user("u_operat02", "site_operator", unit="un_district"), None, "site_operator"),
    # A province conference invites every commune as a unit; the commune's operator still runs its hall.
    "site operator of an invited commune's hall": (
        user("u_operat05", "site_operator", unit="un_invited"),
        None,
        "site_operator",
    ),
    "site operator, also invited": (user("u_opinvite", "site_operator", unit="un_commune1"), None, "delegate"),
    "site operator elsewhere": (user("u_operat03", "site_operator", unit="un_commune9"), None, None),
    "delegate of a participating site's unit": (user("u_delegat3", "delegate", unit="un_commune1"), None, None),
    "site operator without a unit": (user("u_operat04", "site_operator", unit=None), None, None),
    "site actor of a participating site": (Actor(kind="site", id="s_xa0001", unit_id="un_commune1"), None, "site"),
    "site actor elsewhere": (Actor(kind="site", id="s_xa0009", unit_id="un_commune1"), None, None),
    "uninvited delegate": (user("u_delegat2", "delegate"), None, None),
    "uninvited chair": (user("u_chair002", "chair"), None, None),
    "uninvited secretary": (user("u_secret02", "secretary"), None, None),
    "uninvited observer": (user("u_observe2", "observer"), None, None),
}
NOT_DRAFT = ("scheduled", "in_progress", "ended", "archived", "cancelled")


@pytest.mark.parametrize("status", ["draft", *NOT_DRAFT])
@pytest.mark.parametrize("who", list(ROLES))
def test_meeting_role(who: str, status: MeetingStatus) -> None:
    actor, in_draft, once_scheduled = ROLES[who]
    expected = in_draft if status == "draft" else once_scheduled
    state = replace(STATE, status=status, published=status != "draft")
    assert d.meeting_role(actor, state) == expected
    if expected is None:
        with pytest.raises(AppError) as info:
            d.require_visible(actor, state)
        assert info.value.code == "not_found"
    else:
        assert d.require_visible(actor, state) == expected


def test_admin_who_organised_is_organiser() -> None:
    assert d.meeting_role(user("u_organizer", "admin"), STATE) == "organizer"


@pytest.mark.parametrize(
    ("who", "status", "outcome"),
    [
        ("admin", "draft", "admin"),
        ("admin", "scheduled", "admin"),
        ("chair of this meeting", "draft", "chair"),
        ("secretary of this meeting", "scheduled", "secretary"),
        ("organiser", "in_progress", "organizer"),
        ("invited delegate", "draft", "not_found"),
        ("invited delegate", "scheduled", "forbidden"),
        ("invited chair-role user", "scheduled", "forbidden"),  # a chair elsewhere is a delegate here
        ("invited observer", "scheduled", "forbidden"),
        ("site operator of a participating site", "scheduled", "forbidden"),
        ("site actor of a participating site", "in_progress", "forbidden"),
        ("site actor of a participating site", "draft", "not_found"),
        ("uninvited chair", "scheduled", "not_found"),
        ("uninvited delegate", "scheduled", "not_found"),
    ],
)
def test_require_organizer(who: str, status: MeetingStatus, outcome: str) -> None:
    actor = ROLES[who][0]
    state = replace(STATE, status=status, published=status != "draft")
    if outcome in ("forbidden", "not_found"):
        with pytest.raises(AppError) as info:
            d.require_organizer(actor, state)
        assert info.value.code == outcome
    else:
        assert d.require_organizer(actor, state) == outcome


def test_organiser_who_lost_the_organising_roles_is_forbidden() -> None:
    actor = user("u_chair001", "delegate")  # still named chair of the meeting, no longer holds the role
    assert d.meeting_role(actor, STATE) == "chair"
    with pytest.raises(AppError) as info:
        d.require_organizer(actor, STATE)
    assert info.value.code == "forbidden"


def test_draft_cancelled_before_scheduling_stays_private() -> None:
    draft = replace(STATE, status="draft", agenda=(AgendaItem(id="a_item01", title="Khai mạc"),))
    (event,) = d.transition(draft, "cancel", "trùng lịch")
    assert event.audience == ORGANISERS
    cancelled = d.apply(draft, event)
    assert d.meeting_role(user("u_delegat1", "delegate"), cancelled) is None
    assert d.meeting_role(user("u_chair001", "chair"), cancelled) == "chair"
    (scheduled,) = d.transition(draft, "schedule")
    published = d.apply(draft, scheduled)
    (event,) = d.transition(published, "cancel", "trùng lịch")
    assert event.audience == ALL  # invitees heard of it, so they hear it is off
    assert d.meeting_role(user("u_delegat1", "delegate"), d.apply(published, event)) == "delegate"
