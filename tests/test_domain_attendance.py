"""Attendance and quorum, as tables: every transition, who may record whom, corrections, quorum boundaries."""

from __future__ import annotations

from dataclasses import replace
from typing import Any

import pytest

from meeting_server import protocol as p
from meeting_server import vocabulary as v
from meeting_server.domain import attendance as a
from meeting_server.domain.meetings import MeetingState
from meeting_server.errors import AppError

T0 = "2026-12-07T08:00:00+07:00"
T1 = "2026-12-07T08:20:00+07:00"
T2 = "2026-12-07T10:30:00+07:00"

STATE = MeetingState(
    id="m_meeting1",
    title="Kỳ họp thứ 5",
    organizer_id="u_org",
    starts_at=T0,
    status=v.IN_PROGRESS,
    published=True,
    sites=({"id": "s_xa1", "unit_id": "n_xa1"}, {"id": "s_xa2", "unit_id": "n_xa2"}),
)
MEMBERS = a.Membership(voting=frozenset({"u_a", "u_b", "u_c"}), guests=frozenset({"u_guest"}))

SELF = a.Recorder("u_a", frozenset({v.ATTENDANCE_CHECK_IN_SELF}))
DESK = a.Recorder("u_sec", v.role_grants(v.SECRETARY))
OPERATOR = a.Recorder("u_op", v.role_grants(v.SITE_OPERATOR), frozenset({"s_xa1"}))

PLACE_OF: dict[str, dict[str, Any]] = {
    v.CHECKED_IN: {"place": v.IN_HALL},
    v.LATE: {"place": v.REMOTE},
    v.LEFT_EARLY: {},
    v.ABSENT_EXCUSED: {"reason": "Đi công tác"},
    v.ABSENT_UNEXCUSED: {},
}


def rec(
    attendance: a.Attendance, status: str, recorder: a.Recorder = DESK, person: str = "u_a", **kw: Any
) -> tuple[a.Attendance, list[Any]]:
    args: dict[str, Any] = {**PLACE_OF[status], **kw}
    return a.record(STATE, attendance, MEMBERS, recorder, person_id=person, status=status, at=T1, now=T1, **args)  # type: ignore[arg-type]


def reach(status: str | None) -> a.Attendance:
    """An attendance where u_a's latest entry has this status (recorded by the desk)."""
    if status is None:
        return a.Attendance()
    path = {
        v.CHECKED_IN: [v.CHECKED_IN],
        v.LATE: [v.LATE],
        v.LEFT_EARLY: [v.CHECKED_IN, v.LEFT_EARLY],
        v.ABSENT_EXCUSED: [v.ABSENT_EXCUSED],
        v.ABSENT_UNEXCUSED: [v.ABSENT_UNEXCUSED],
    }[status]
    att = a.Attendance()
    for step in path:
        att, _ = rec(att, step)
    return att


ALLOWED = {
    (None, v.CHECKED_IN),
    (None, v.LATE),
    (None, v.ABSENT_EXCUSED),
    (None, v.ABSENT_UNEXCUSED),
    (v.CHECKED_IN, v.LEFT_EARLY),
    (v.LATE, v.LEFT_EARLY),
    (v.LEFT_EARLY, v.CHECKED_IN),
    (v.ABSENT_EXCUSED, v.CHECKED_IN),
    (v.ABSENT_EXCUSED, v.LATE),
    (v.ABSENT_UNEXCUSED, v.CHECKED_IN),
    (v.ABSENT_UNEXCUSED, v.LATE),
    (v.ABSENT_UNEXCUSED, v.ABSENT_EXCUSED),
}
SAME = {(s, s) for s in v.ATTENDANCE_STATUSES}  # recording the same again says nothing
PAIRS = [(before, after) for before in (None, *v.ATTENDANCE_STATUSES) for after in v.ATTENDANCE_STATUSES]


@pytest.mark.parametrize(("before", "after"), PAIRS)
def test_every_transition_is_allowed_or_refused_by_the_table(before: str | None, after: str) -> None:
    att = reach(before)
    if (before, after) in SAME:
        assert rec(att, after) == (att, [])
    elif (before, after) in ALLOWED:
        new, events = rec(att, after)
        assert new.latest("u_a") is not None and new.latest("u_a").status == after  # type: ignore[union-attr]
        assert [e.type for e in events] == [p.ATTENDANCE_RECORDED]
        assert len(new.history("u_a")) == len(att.history("u_a")) + 1
    else:
        with pytest.raises(AppError) as err:
            rec(att, after)
        assert err.value.code == "invalid_input"
        assert "Không thể ghi" in err.value.message("vi") and "Cannot record" in err.value.message("en")


def test_the_table_is_the_one_tested() -> None:
    table = {(b, s) for b, targets in a.TRANSITIONS.items() for s in targets}
    assert table == ALLOWED | {(s, s) for s in v.ATTENDANCE_STATUSES if (s, s) in table}


# who records -> (person, status, extra) -> allowed
WHO = [
    # oneself on the tablet: arriving (on time or late, anywhere) and leaving; no absences; nobody else
    (SELF, "u_a", v.CHECKED_IN, {"place": v.IN_HALL}, v.BY_SELF),
    (SELF, "u_a", v.LATE, {"place": v.AT_SITE, "site_id": "s_xa2"}, v.BY_SELF),
    (SELF, "u_a", v.ABSENT_EXCUSED, {}, None),
    (SELF, "u_a", v.ABSENT_UNEXCUSED, {}, None),
    (SELF, "u_b", v.CHECKED_IN, {}, None),
    # the desk: anyone, anything
    (DESK, "u_b", v.CHECKED_IN, {"place": v.AT_SITE, "site_id": "s_xa1"}, v.BY_SECRETARY),
    (DESK, "u_b", v.ABSENT_EXCUSED, {}, v.BY_SECRETARY),
    (DESK, "u_guest", v.ABSENT_UNEXCUSED, {}, v.BY_SECRETARY),
    # a site's operator: people at their own site, arriving there
    (OPERATOR, "u_b", v.CHECKED_IN, {"place": v.AT_SITE, "site_id": "s_xa1"}, v.BY_SITE_OPERATOR),
    (OPERATOR, "u_b", v.LATE, {"place": v.AT_SITE, "site_id": "s_xa1"}, v.BY_SITE_OPERATOR),
    (OPERATOR, "u_b", v.CHECKED_IN, {"place": v.AT_SITE, "site_id": "s_xa2"}, None),  # another commune's hall
    (OPERATOR, "u_b", v.CHECKED_IN, {"place": v.IN_HALL}, None),
    (OPERATOR, "u_b", v.CHECKED_IN, {"place": v.REMOTE}, None),
    (OPERATOR, "u_b", v.ABSENT_UNEXCUSED, {}, None),
    (OPERATOR, "u_b", v.ABSENT_EXCUSED, {}, None),
    # someone holding no attendance permission (an observer)
    (a.Recorder("u_guest", v.role_grants(v.OBSERVER)), "u_guest", v.CHECKED_IN, {}, None),
]


@pytest.mark.parametrize(("recorder", "person", "status", "extra", "expected"), WHO)
def test_who_may_record_what(
    recorder: a.Recorder, person: str, status: str, extra: dict[str, Any], expected: str | None
) -> None:
    if expected is None:
        with pytest.raises(AppError) as err:
            rec(a.Attendance(), status, recorder, person, **extra)
        assert err.value.code == "forbidden"
        return
    new, events = rec(a.Attendance(), status, recorder, person, **extra)
    entry = new.latest(person)
    assert entry is not None and entry.recorded_as == expected and entry.recorded_by == recorder.user_id
    assert events[0].data["entry"] == entry.to_dict()


def test_an_operator_records_leaving_only_from_their_own_site() -> None:
    at_home, _ = rec(a.Attendance(), v.CHECKED_IN, OPERATOR, "u_b", place=v.AT_SITE, site_id="s_xa1")
    left, _ = rec(at_home, v.LEFT_EARLY, OPERATOR, "u_b")
    gone = left.latest("u_b")
    assert gone is not None and gone.place == v.AT_SITE and gone.site_id == "s_xa1"  # left from where they were
    elsewhere, _ = rec(a.Attendance(), v.CHECKED_IN, DESK, "u_b", place=v.AT_SITE, site_id="s_xa2")
    with pytest.raises(AppError) as err:
        rec(elsewhere, v.LEFT_EARLY, OPERATOR, "u_b")
    assert err.value.code == "forbidden"


@pytest.mark.parametrize(
    ("kw", "vi"),
    [
        ({"status": v.ABSENT_EXCUSED, "reason": "  "}, "phải ghi lý do"),
        ({"status": v.CHECKED_IN, "place": None}, "có mặt ở đâu"),
        ({"status": v.CHECKED_IN, "place": v.AT_SITE}, "phải nêu điểm cầu"),
        ({"status": v.CHECKED_IN, "place": v.IN_HALL, "site_id": "s_xa1"}, "chỉ đi cùng"),
        ({"status": v.ABSENT_UNEXCUSED, "place": v.IN_HALL}, "không có nơi"),
        ({"status": v.CHECKED_IN, "place": v.IN_HALL, "at": "hôm qua"}, "không hợp lệ"),
        ({"status": v.ABSENT_EXCUSED, "reason": "x" * (a.MAX_REASON + 1)}, "dài quá"),
    ],
)
def test_an_entry_validates_itself(kw: dict[str, Any], vi: str) -> None:
    args: dict[str, Any] = {"person_id": "u_a", "at": T1, "now": T1, **kw}
    with pytest.raises(AppError) as err:
        a.record(STATE, a.Attendance(), MEMBERS, DESK, **args)
    assert err.value.code == "invalid_input" and vi in err.value.message("vi")
    assert err.value.message("en") != err.value.message("vi")


def test_a_site_must_be_the_meeting_s() -> None:
    with pytest.raises(AppError) as err:
        rec(a.Attendance(), v.CHECKED_IN, DESK, "u_b", place=v.AT_SITE, site_id="s_other")
    assert err.value.code == "not_found"


@pytest.mark.parametrize(
    ("status", "correction", "ok"),
    [
        (v.DRAFT, False, False),
        (v.SCHEDULED, False, True),  # at the door before the start
        (v.IN_PROGRESS, False, True),
        (v.ENDED, False, False),
        (v.ENDED, True, True),  # corrected for the minutes
        (v.ARCHIVED, True, False),
        (v.CANCELLED, False, False),
    ],
)
def test_when_attendance_may_be_recorded(status: str, correction: bool, ok: bool) -> None:
    state = replace(STATE, status=status)  # type: ignore[arg-type]
    extra = {"reason": "ghi nhầm"} if correction else {}
    call = lambda: a.record(  # noqa: E731
        state, a.Attendance(), MEMBERS, DESK, person_id="u_a", status=v.CHECKED_IN, place=v.IN_HALL, at=T1,
        now=T1, correction=correction, **extra,
    )  # fmt: skip
    if ok:
        assert call()[1]
    else:
        with pytest.raises(AppError) as err:
            call()
        assert err.value.code == "invalid_transition"
        assert "ghi điểm danh" in err.value.message("vi")


def test_a_correction_is_a_new_entry_and_the_latest_counts() -> None:
    att, _ = rec(a.Attendance(), v.CHECKED_IN)
    att, _ = rec(att, v.LEFT_EARLY)
    # left early is not undone into "absent" by the table, but the desk may correct a mistake, with a reason
    with pytest.raises(AppError):
        rec(att, v.ABSENT_UNEXCUSED)
    with pytest.raises(AppError) as err:
        rec(att, v.ABSENT_UNEXCUSED, correction=True)
    assert "Đính chính" in err.value.message("vi")
    fixed, events = rec(att, v.ABSENT_UNEXCUSED, correction=True, reason="Ghi nhầm người")
    assert [e.type for e in events] == [p.ATTENDANCE_CORRECTED]
    assert [e.status for e in fixed.history("u_a")] == [v.CHECKED_IN, v.LEFT_EARLY, v.ABSENT_UNEXCUSED]
    latest = fixed.latest("u_a")
    assert latest is not None and latest.correction and latest.reason == "Ghi nhầm người"
    assert "u_a" not in fixed.present_ids()
    # only the desk corrects
    with pytest.raises(AppError) as err:
        rec(att, v.CHECKED_IN, SELF, correction=True, reason="tôi có mặt")
    assert err.value.code == "forbidden"
    # and the whole history survives the trip through the log
    assert a.Attendance.from_dict(fixed.to_dict()) == fixed


def test_people_counted_in_a_hall_need_a_name_and_are_guests() -> None:
    with pytest.raises(AppError) as err:
        rec(a.Attendance(), v.CHECKED_IN, OPERATOR, "h_xa1_1", place=v.AT_SITE, site_id="s_xa1")
    assert "phải có tên" in err.value.message("vi")
    att, events = rec(
        a.Attendance(), v.CHECKED_IN, OPERATOR, "h_xa1_1", place=v.AT_SITE, site_id="s_xa1", name="Bà Lò Thị Mai"
    )
    assert events[0].data["voting"] is False
    left, _ = rec(att, v.LEFT_EARLY, OPERATOR, "h_xa1_1")  # the name is remembered
    assert left.latest("h_xa1_1").name == "Bà Lò Thị Mai"  # type: ignore[union-attr]
    assert a.quorum(att, MEMBERS, a.QuorumRule()).present == 0


@pytest.mark.parametrize(
    ("at", "grace", "expected"),
    [(T0, 0, v.CHECKED_IN), ("2026-12-07T08:00:01+07:00", 0, v.LATE), (T1, 20, v.CHECKED_IN), (T1, 19, v.LATE)],
)
def test_arrival_status(at: str, grace: int, expected: str) -> None:
    assert a.arrival_status(T0, at, grace) == expected


@pytest.mark.parametrize(("at", "grace"), [("2026-12-07T08:30:00", 0), ("lúc 8 giờ", 0), (T1, -1)])
def test_arrival_status_refuses_what_it_cannot_compare(at: str, grace: int) -> None:
    with pytest.raises(AppError) as err:
        a.arrival_status(T0, at, grace)
    assert err.value.code == "invalid_input"


@pytest.mark.parametrize(
    ("status", "place", "vi", "en"),
    [
        (v.CHECKED_IN, v.IN_HALL, "Có mặt tại hội trường", "Present in the main hall"),
        (v.LATE, v.REMOTE, "Đến muộn trực tuyến", "Arrived late online"),
        (v.ABSENT_EXCUSED, None, "Vắng có lý do", "Absent with a reason"),
    ],
)
def test_entry_labels(status: str, place: str | None, vi: str, en: str) -> None:
    entry = a.Entry("u_a", status, T1, "u_sec", v.BY_SECRETARY, T1, place=place, reason="ốm")  # type: ignore[arg-type]
    assert (entry.label("vi"), entry.label("en")) == (vi, en)


# ---- membership and quorum ------------------------------------------------------------------------------------


def test_membership_refuses_a_voting_guest() -> None:
    with pytest.raises(AppError) as err:
        a.Membership(voting=frozenset({"u_a"}), guests=frozenset({"u_a"}))
    assert "vừa là thành viên" in err.value.message("vi")


def hall(present: int, members: int = 124, excused: int = 0, guests: int = 0) -> tuple[a.Attendance, a.Membership]:
    voting = [f"u_m{i}" for i in range(members)]
    guest_ids = [f"u_g{i}" for i in range(guests)]
    entries = [a.Entry(pid, v.CHECKED_IN, T1, "u_sec", v.BY_SECRETARY, T1, place=v.IN_HALL) for pid in voting[:present]]
    entries += [
        a.Entry(pid, v.ABSENT_EXCUSED, T1, "u_sec", v.BY_SECRETARY, T1, reason="ốm")
        for pid in voting[present : present + excused]
    ]
    entries += [a.Entry(pid, v.CHECKED_IN, T1, "u_sec", v.BY_SECRETARY, T1, place=v.REMOTE) for pid in guest_ids]
    return a.Attendance(tuple(entries)), a.Membership(frozenset(voting), frozenset(guest_ids))


HALF = a.QuorumRule(1, 2, strict=True)
TWO_THIRDS = a.QuorumRule(2, 3, strict=False)


@pytest.mark.parametrize(
    ("present", "members", "excused", "guests", "rule", "base", "needed", "met"),
    [
        (62, 124, 0, 0, HALF, 124, 63, False),  # exactly half is not more than half
        (63, 124, 0, 0, HALF, 124, 63, True),
        (62, 124, 0, 40, HALF, 124, 63, False),  # guests never count
        (87, 124, 0, 0, HALF, 124, 63, True),
        (82, 124, 0, 0, TWO_THIRDS, 124, 83, False),  # 2/3 of 124 is 82.67
        (83, 124, 0, 0, TWO_THIRDS, 124, 83, True),
        (80, 120, 0, 0, TWO_THIRDS, 120, 80, True),  # at least 2/3 of 120 is exactly 80
        (79, 120, 0, 0, TWO_THIRDS, 120, 80, False),
        (61, 124, 4, 0, replace(HALF, base=v.BASE_MEMBERS_NOT_EXCUSED), 120, 61, True),
        (60, 124, 4, 0, replace(HALF, base=v.BASE_MEMBERS_NOT_EXCUSED), 120, 61, False),
        (10, 124, 0, 5, replace(HALF, base=v.BASE_MEMBERS_PRESENT), 10, 6, True),
        (0, 124, 0, 5, replace(HALF, base=v.BASE_MEMBERS_PRESENT), 0, 1, False),  # nobody is not a quorum
        (0, 0, 0, 0, a.QuorumRule(1, 2, strict=False), 0, 0, False),
    ],
)
def test_quorum(
    present: int, members: int, excused: int, guests: int, rule: a.QuorumRule, base: int, needed: int, met: bool
) -> None:
    att, membership = hall(present, members, excused, guests)
    q = a.quorum(att, membership, rule)
    assert (q.present, q.base, q.needed, q.met) == (present, base, needed, met)


def test_late_counts_and_left_early_does_not() -> None:
    att, members = hall(63)
    assert a.quorum(att, members, HALF).met
    first = "u_m0"
    left = replace(
        att,
        entries=(*att.entries, a.Entry(first, v.LEFT_EARLY, T2, "u_sec", v.BY_SECRETARY, T2, place=v.IN_HALL)),
    )
    assert a.quorum(left, members, HALF).present == 62
    back = replace(
        left, entries=(*left.entries, a.Entry(first, v.LATE, T2, "u_sec", v.BY_SECRETARY, T2, place=v.REMOTE))
    )
    assert a.quorum(back, members, HALF).present == 63


@pytest.mark.parametrize(
    ("present", "vi", "en"),
    [
        (87, "Có mặt 87/124 · đủ điều kiện tiến hành", "Present 87/124 · quorum met"),
        (62, "Có mặt 62/124 · chưa đủ điều kiện (cần 63)", "Present 62/124 · no quorum yet (63 needed)"),
    ],
)
def test_the_summary_line(present: int, vi: str, en: str) -> None:
    att, members = hall(present)
    q = a.quorum(att, members, HALF)
    assert (q.line("vi"), q.line("en")) == (vi, en)
    assert q.to_dict()["line"] == vi and q.to_dict()["met"] == q.met


@pytest.mark.parametrize(
    "kw", [{"numerator": 0}, {"numerator": 3, "denominator": 2}, {"denominator": 0}, {"numerator": 2, "denominator": 2}]
)
def test_a_quorum_rule_validates_itself(kw: dict[str, int]) -> None:
    with pytest.raises(AppError) as err:
        a.QuorumRule(**kw)  # type: ignore[arg-type]
    assert err.value.code == "invalid_input"


def test_the_vocabulary_names_every_state_and_place() -> None:
    assert set(v.ATTENDANCE_WORDS) == set(v.ATTENDANCE_STATUSES) | set(v.ATTENDANCE_PLACES) | set(v.RECORDED_AS)
    assert set(v.ATTENDANCE_STATUSES) > v.PRESENT_STATUSES
    assert set(a.TRANSITIONS) == {None, *v.ATTENDANCE_STATUSES}
    assert set(a.MAY_SET) == set(v.RECORDED_AS)
