"""The pure rules of answers to the invitation (meeting_server/domain/answers.py), as tables."""

from __future__ import annotations

from typing import Any

import pytest

from meeting_server import protocol as p
from meeting_server import vocabulary as v
from meeting_server.domain import answers as a
from meeting_server.domain import meetings as d
from meeting_server.domain.attendance import membership_of
from meeting_server.domain.meetings import MeetingState
from meeting_server.errors import AppError

T0 = "2026-12-07T01:00:00Z"
T1 = "2026-12-07T02:00:00Z"
UNIT, OTHER_UNIT = "un_soTC001", "un_soXD001"
SITES = ({"id": "s_hall0001", "name": "Hội trường tỉnh"}, {"id": "s_xa000001", "name": "Điểm cầu xã Tân Trào"})
A = a.Person("u_membera1", UNIT, name="Nguyễn Văn A")  # invited, a member
B = a.Person("u_memberb1", UNIT, name="Trần Thị B")  # invited, a member, same unit as A
C = a.Person("u_colleag1", UNIT, name="Lê Văn C")  # same unit, not invited
D = a.Person("u_outside1", OTHER_UNIT, name="Phạm D")  # another unit
E = a.Person("u_colleag2", UNIT, name="Hoàng E")  # same unit, not invited
GONE = a.Person("u_colleag3", UNIT, active=False)
UNIT_INVITEE = a.Person("u_byunit01", "un_xa000001")  # invited through their unit


def meeting(status: v.MeetingStatus = v.SCHEDULED, **kw: Any) -> MeetingState:
    base: dict[str, Any] = {
        "agenda": (d.AgendaItem(id="a_item01", title="Khai mạc"),),
        "id": "m_meeting1",
        "title": "Họp",
        "organizer_id": "u_secret01",
        "starts_at": T0,
        "status": status,
        "published": status != v.DRAFT,
        "sites": SITES,
        "invitee_ids": (A.id, B.id),
        "invited_unit_ids": ("un_xa000001",),
        "chair_id": "u_chair001",
        "secretary_id": "u_secret01",
    }
    base.update(kw)
    return MeetingState(**base)


def fold(state: MeetingState, events: list[d.Event]) -> MeetingState:
    for event in events:
        state = d.apply(state, event)
    return state


def answered(state: MeetingState, person: a.Person = A, **kw: Any) -> MeetingState:
    kw.setdefault("at", T0)
    kw.setdefault("recorded_by", person.id)
    return fold(state, a.answer(state, person, **kw))


def refusal(fn: Any, *args: Any, **kw: Any) -> AppError:
    with pytest.raises(AppError) as info:
        fn(*args, **kw)
    return info.value


# ---- the shape of an answer -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("given", "code"),
    [
        ({"kind": "attending", "mode": "in_hall"}, None),
        ({"kind": "attending", "mode": "remote"}, None),
        ({"kind": "attending", "mode": "at_site", "site_id": "s_xa000001"}, None),
        ({"kind": "attending"}, "invalid_input"),  # how?
        ({"kind": "attending", "mode": "at_site"}, "invalid_input"),  # which site?
        ({"kind": "attending", "mode": "remote", "site_id": "s_xa000001"}, "invalid_input"),
        ({"kind": "attending", "mode": "at_site", "site_id": "s_nowhere1"}, "not_found"),
        ({"kind": "attending", "mode": "in_hall", "reason": "vì"}, "invalid_input"),
        ({"kind": "absent", "reason": "Đi công tác tại Hà Nội"}, None),
        ({"kind": "absent"}, "invalid_input"),  # a reason is required
        ({"kind": "absent", "reason": "   "}, "invalid_input"),
        ({"kind": "absent", "reason": "x" * (a.MAX_REASON + 1)}, "invalid_input"),
        ({"kind": "absent", "reason": "Ốm", "mode": "remote"}, "invalid_input"),
        ({"kind": "stand_in", "stand_in": C}, None),
        ({"kind": "stand_in", "stand_in": C, "reason": "Bận họp Thường trực"}, None),
        ({"kind": "stand_in"}, "invalid_input"),  # who?
        ({"kind": "absent", "reason": "Ốm", "stand_in": C}, "invalid_input"),
        ({"kind": "maybe"}, "invalid_input"),
    ],
)
def test_an_answer_says_where_why_or_who(given: dict[str, Any], code: str | None) -> None:
    state = meeting()
    if code is None:
        after = answered(state, **given)
        kept = after.answers[A.id]
        assert kept["kind"] == given["kind"] and kept["answered_at"] == T0 and kept["recorded_by"] == A.id
        assert kept["reason"] == given.get("reason", "").strip()
    else:
        err = refusal(a.answer, state, A, at=T0, recorded_by=A.id, **given)
        assert err.code == code and err.message("vi") != err.message("en")


@pytest.mark.parametrize(
    ("status", "published", "code"),
    [
        (v.DRAFT, False, "conflict"),  # no invitation yet
        (v.DRAFT, True, "conflict"),  # back in draft
        (v.SCHEDULED, True, None),
        (v.IN_PROGRESS, True, None),  # changeable until the meeting ends
        (v.ENDED, True, "meeting_closed"),
        (v.ARCHIVED, True, "meeting_closed"),
        (v.CANCELLED, True, "meeting_closed"),
    ],
)
def test_answers_are_taken_until_the_meeting_ends(status: v.MeetingStatus, published: bool, code: str | None) -> None:
    state = meeting(status, published=published)
    given: dict[str, Any] = {"kind": "attending", "mode": "remote", "at": T0, "recorded_by": A.id}
    if code is None:
        assert a.answer(state, A, **given)
    else:
        assert refusal(a.answer, state, A, **given).code == code
        assert refusal(a.remind, state).code == code


@pytest.mark.parametrize(
    ("person", "ok"),
    [(A, True), (UNIT_INVITEE, True), (D, False), (C, False)],
)
def test_only_an_invitee_answers(person: a.Person, ok: bool) -> None:
    state = meeting()
    given: dict[str, Any] = {"kind": "absent", "reason": "Ốm", "at": T0, "recorded_by": "u_secret01"}
    if ok:
        assert answered(state, person, **given).answers[person.id]["recorded_by"] == "u_secret01"
    else:
        assert refusal(a.answer, state, person, **given).code == "invalid_input"


def test_changing_an_answer_keeps_one_and_the_same_again_is_nothing() -> None:
    state = answered(meeting(), kind="attending", mode="remote")
    again = a.answer(state, A, kind="attending", mode="remote", at=T1, recorded_by=A.id)
    assert again == []  # a second tap
    changed = a.answer(state, A, kind="absent", reason="Ốm", at=T1, recorded_by="u_secret01")
    assert [e.type for e in changed] == [p.INVITATION_ANSWERED]
    assert changed[0].data["changed"] is True and changed[0].audience.roles == v.ORGANIZER_ROLES
    assert fold(state, changed).answers[A.id]["kind"] == v.ANSWER_ABSENT


# ---- stand-ins ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("setup", "person", "stand_in", "code"),
    [
        ((), A, C, None),
        ((), A, B, None),  # an invitee of the same unit may stand in (and keeps their own vote)
        ((), A, D, "invalid_input"),  # another unit
        ((), A, A, "invalid_input"),  # oneself
        ((), A, GONE, "invalid_input"),  # an inactive account
        ((), UNIT_INVITEE, a.Person("u_byunit02", None), "invalid_input"),  # no unit in common
        ((), A, a.Person("u_chair001", UNIT), "invalid_input"),  # the chair stands in for no one
        (((B, C),), A, C, "conflict"),  # C already stands in for B
        (((A, C),), C, E, "invalid_input"),  # a stand-in sends no stand-in of their own
        (((B, C),), A, B, "invalid_input"),  # B has sent a stand-in: no chain
        (((A, C),), A, C, None),  # the same again: nothing new
    ],
)
def test_a_stand_in_is_a_colleague_of_the_same_unit_without_chains(
    setup: tuple[tuple[a.Person, a.Person], ...], person: a.Person, stand_in: a.Person, code: str | None
) -> None:
    state = meeting()
    for member, holder in setup:
        state = answered(state, member, kind="stand_in", stand_in=holder)
    given: dict[str, Any] = {"kind": "stand_in", "stand_in": stand_in, "at": T1, "recorded_by": person.id}
    if code is None:
        after = fold(state, a.answer(state, person, **given))
        assert a.stands_in_for(after)[stand_in.id] == person.id
    else:
        err = refusal(a.answer, state, person, **given)
        assert err.code == code and err.message("vi") != err.message("en")


def test_a_stand_in_is_invited_has_no_vote_of_their_own_and_holds_the_members_proxy() -> None:
    state = meeting()
    events = a.answer(state, A, kind="stand_in", stand_in=C, at=T0, recorded_by=A.id)
    assert [e.type for e in events] == [p.INVITATION_ANSWERED, p.MEETING_UPDATED]
    assert events[1].patch == {"invitee_ids": [A.id, B.id, C.id]}  # the mail outbox invites C
    after = fold(state, events)
    assert after.answers[A.id]["stand_in_added"] is True
    membership = membership_of(after)
    assert C.id not in membership.voting and membership.knows(C.id) and C.id in membership.stand_ins
    assert A.id in membership.voting  # still a member, represented
    (held,) = a.stand_in_proxies(after)
    assert (held.delegator, held.proxy, held.vote_id, held.stand_in) == (A.id, C.id, None, True)
    assert a.unanswered(after) == [B.id, C.id]  # the stand-in answers for themselves
    after = answered(after, C, kind="attending", mode="in_hall")
    assert a.unanswered(after) == [B.id]


def test_a_member_who_stands_in_keeps_their_vote() -> None:
    after = answered(meeting(), kind="stand_in", stand_in=B)
    assert after.answers[A.id]["stand_in_added"] is False and after.invitee_ids == (A.id, B.id)
    assert {A.id, B.id} <= membership_of(after).voting


@pytest.mark.parametrize(
    ("then", "invitees", "proxy_holders"),
    [
        ({"kind": "attending", "mode": "remote"}, (A.id, B.id), ()),  # C was only the stand-in: no longer invited
        ({"kind": "stand_in", "stand_in": E}, (A.id, B.id, E.id), (E.id,)),  # E instead of C
        ({"kind": "stand_in", "stand_in": C, "reason": "Bận"}, (A.id, B.id, C.id), (C.id,)),  # C kept
    ],
)
def test_changing_the_stand_in(then: dict[str, Any], invitees: tuple[str, ...], proxy_holders: tuple[str, ...]) -> None:
    state = answered(meeting(), kind="stand_in", stand_in=C)
    state = answered(state, C, kind="attending", mode="in_hall")
    after = fold(state, a.answer(state, A, at=T1, recorded_by=A.id, **then))
    assert after.invitee_ids == invitees
    assert tuple(x.proxy for x in a.stand_in_proxies(after)) == proxy_holders
    assert (C.id in after.answers) == (C.id in invitees)  # a stand-in dropped takes their answer with them


# ---- reminders and counts -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("chosen", "expected", "code"),
    [
        (None, [B.id], None),  # those without an answer
        ([A.id], [A.id], None),  # a chosen one, answered or not
        ([B.id, B.id], [B.id], None),
        ([D.id], None, "invalid_input"),  # not invited
    ],
)
def test_a_reminder_names_exactly_those_chosen_or_unanswered(
    chosen: list[str] | None, expected: list[str] | None, code: str | None
) -> None:
    state = answered(meeting(), kind="attending", mode="remote")
    if code is None:
        (event,) = a.remind(state, chosen)
        assert event.type == p.INVITATION_REMINDED and event.data == {"person_ids": expected}
    else:
        assert refusal(a.remind, state, chosen).code == code


def test_nobody_to_remind_is_said() -> None:
    state = answered(answered(meeting(), kind="attending", mode="remote"), B, kind="absent", reason="Ốm")
    assert refusal(a.remind, state).code == "invalid_input"


def test_counts_and_lines() -> None:
    state = answered(meeting(), kind="stand_in", stand_in=C)
    state = answered(state, B, kind="absent", reason="Đi công tác")
    ids = [*state.invitee_ids]
    assert a.counts(state, ids) == {"attending": 0, "absent": 1, "stand_in": 1, "none": 1}
    lines = {k: a.Answer.from_dict(x).line({C.id: C.name}) for k, x in state.answers.items()}
    assert lines == {A.id: "Cử người dự thay: Lê Văn C", B.id: "Vắng mặt: Đi công tác"}
    state = answered(state, C, kind="attending", mode="at_site", site_id="s_xa000001")
    assert a.Answer.from_dict(state.answers[C.id]).line(lang="en") == "Attending at the site"


def test_the_snapshot_tells_answers_to_the_organisers_only() -> None:
    from meeting_server.domain.actors import Actor

    state = answered(answered(meeting(), kind="stand_in", stand_in=C), B, kind="absent", reason="Ốm")
    secretary = Actor("user", "u_secret01", roles=frozenset({v.SECRETARY}))
    assert set(d.snapshot(state, v.SECRETARY, secretary)["answers"]) == {A.id, B.id}
    for person, seen in ((A, {A.id}), (C, {A.id}), (B, {B.id}), (D, set())):
        actor = Actor("user", person.id, roles=frozenset({v.DELEGATE}))
        assert set(d.snapshot(state, v.DELEGATE, actor)["answers"]) == seen


def test_a_rescheduled_meeting_tells_everyone_everything_but_the_answers() -> None:
    state = answered(meeting(), B, kind="absent", reason="Ốm")
    for action in ("unschedule", "schedule"):
        (event,) = d.transition(state, action)
        assert "answers" not in event.patch and "invitee_ids" in event.patch
        state = d.apply(state, event)
    assert state.answers[B.id]["reason"] == "Ốm"  # kept, for the organisers


@pytest.mark.parametrize(
    ("invitees", "guests", "cut"),
    [
        ((A.id, B.id, C.id), (), []),  # nothing cut: the list as it is
        ((A.id, C.id), (), []),  # B has no stand-in arrangement: taking B off cuts nothing
        ((B.id, C.id), (), [A.id]),  # the member who sent C taken off
        ((A.id, B.id), (), [C.id]),  # the stand-in taken off
        ((A.id, B.id, C.id), (C.id,), [C.id]),  # the stand-in made a guest
        ((B.id,), (), [A.id, C.id]),
    ],
)
def test_an_edit_that_cuts_a_stand_in_arrangement_is_named(
    invitees: tuple[str, ...], guests: tuple[str, ...], cut: list[str]
) -> None:
    state = fold(meeting(), a.answer(meeting(), A, kind="stand_in", stand_in=C, at=T0, recorded_by=A.id))
    assert a.stand_in_links_cut(state, invitees, guests) == sorted(cut)
