"""Attendance (điểm danh) and quorum: who was there, who said so, and whether the meeting may proceed.

Pure rules. An attendance is an append-only list of entries; a person's latest entry counts and the earlier ones stay
(a correction is a new entry, marked as one). `record` checks the transition table and who may record what, and
returns the new attendance with the event for the meeting's log. `quorum` counts voting members only: guests and
observers are recorded like anyone but never count.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from .. import protocol as p
from ..errors import AppError
from ..vocabulary import (
    ABSENT_EXCUSED,
    ABSENT_UNEXCUSED,
    AT_SITE,
    ATTENDANCE_CHECK_IN_OTHERS,
    ATTENDANCE_CHECK_IN_SELF,
    ATTENDANCE_CHECK_IN_SITE,
    ATTENDANCE_PLACES,
    ATTENDANCE_STATUSES,
    ATTENDANCE_WORDS,
    BASE_MEMBERS,
    BASE_MEMBERS_NOT_EXCUSED,
    BASE_MEMBERS_PRESENT,
    BY_SECRETARY,
    BY_SELF,
    BY_SITE_OPERATOR,
    CHECKED_IN,
    ENDED,
    IN_PROGRESS,
    LATE,
    LEFT_EARLY,
    PRESENT_STATUSES,
    QUORUM_BASES,
    RECORDED_AS,
    SCHEDULED,
    AttendancePlace,
    AttendanceStatus,
    MeetingPermission,
    MeetingStatus,
    QuorumBase,
    RecordedAs,
)
from .answers import stand_ins_added
from .meetings import Event, MeetingState, audience_for

MAX_REASON = 500
MAX_NAME = 200

# status now -> the statuses a new (ordinary) entry may set. None: nothing recorded yet.
# Đến muộn is a kind of present; về sớm only after có mặt; one who left may come back; an absence ends on arrival,
# and a reason may be given later. Anything else (a mistake) is a correction: the secretary's, with a reason.
TRANSITIONS: dict[AttendanceStatus | None, frozenset[AttendanceStatus]] = {
    None: frozenset({CHECKED_IN, LATE, ABSENT_EXCUSED, ABSENT_UNEXCUSED}),
    CHECKED_IN: frozenset({CHECKED_IN, LEFT_EARLY}),
    LATE: frozenset({LATE, LEFT_EARLY}),
    LEFT_EARLY: frozenset({CHECKED_IN}),
    ABSENT_EXCUSED: frozenset({CHECKED_IN, LATE, ABSENT_EXCUSED}),
    ABSENT_UNEXCUSED: frozenset({CHECKED_IN, LATE, ABSENT_EXCUSED}),
}

# who records -> the statuses they may set. Oneself: arriving and leaving; absences are the desk's to record.
# A site's operator records the people in their hall: arriving there and leaving from there.
MAY_SET: dict[RecordedAs, frozenset[AttendanceStatus]] = {
    BY_SELF: frozenset({CHECKED_IN, LATE, LEFT_EARLY}),
    BY_SECRETARY: frozenset(ATTENDANCE_STATUSES),
    BY_SITE_OPERATOR: frozenset({CHECKED_IN, LATE, LEFT_EARLY}),
}

# While the meeting is scheduled (at the door) or under way; a correction also once it has ended, for the minutes.
RECORDING_STATUSES: frozenset[MeetingStatus] = frozenset({SCHEDULED, IN_PROGRESS})
CORRECTING_STATUSES: frozenset[MeetingStatus] = frozenset({SCHEDULED, IN_PROGRESS, ENDED})


def _word(key: str, lang: str) -> str:
    vi, en = ATTENDANCE_WORDS[key]
    return en if lang == "en" else vi


def _instant(value: str, name: str) -> datetime:
    try:
        return datetime.fromisoformat(value)
    except (TypeError, ValueError):
        raise AppError.invalid(
            f"Thời điểm “{name}” không hợp lệ: {value}", f"The time “{name}” is not valid: {value}"
        ) from None


@dataclass(frozen=True)
class Entry:
    """One fact about one person: their status, where, since when, and who recorded it when."""

    person_id: str
    status: AttendanceStatus
    at: str  # when it happened: the arrival, the leaving
    recorded_by: str  # the user id of whoever recorded it
    recorded_as: RecordedAs
    recorded_at: str
    place: AttendancePlace | None = None  # where the person is (for có mặt, đến muộn) or was (về sớm)
    site_id: str | None = None  # the site, for AT_SITE
    reason: str = ""  # required for vắng có lý do and for a correction
    name: str = ""  # a person counted in a hall who has no account
    correction: bool = False

    def __post_init__(self) -> None:
        if not self.person_id or not self.recorded_by:
            raise AppError.invalid("Thiếu người được điểm danh.", "The person is missing.")
        if self.status not in ATTENDANCE_STATUSES:
            raise AppError.invalid(
                f"Trạng thái điểm danh không hợp lệ: {self.status}", f"Not an attendance status: {self.status}"
            )
        if self.recorded_as not in RECORDED_AS:
            raise AppError.invalid(
                f"Cách ghi nhận không hợp lệ: {self.recorded_as}", f"Not a way of recording: {self.recorded_as}"
            )
        _instant(self.at, "at")
        _instant(self.recorded_at, "recorded_at")
        present = self.status in PRESENT_STATUSES or self.status == LEFT_EARLY
        if present and self.place not in ATTENDANCE_PLACES:
            raise AppError.invalid(
                "Cần cho biết có mặt ở đâu: tại hội trường, tại điểm cầu hay trực tuyến.",
                "Say where the person is: in the main hall, at a site or online.",
            )
        if not present and self.place is not None:
            raise AppError.invalid("Người vắng mặt không có nơi có mặt.", "An absent person has no place.")
        if (self.place == AT_SITE) != bool(self.site_id):
            raise AppError.invalid(
                "Điểm cầu chỉ đi cùng “tại điểm cầu”, và “tại điểm cầu” phải nêu điểm cầu.",
                "A site goes with “at the site” only, and “at the site” names its site.",
            )
        if len(self.reason) > MAX_REASON or len(self.name) > MAX_NAME:
            raise AppError.invalid(
                f"Lý do dài quá {MAX_REASON} ký tự hoặc tên dài quá {MAX_NAME} ký tự.",
                f"The reason is over {MAX_REASON} characters or the name over {MAX_NAME}.",
            )
        if self.status == ABSENT_EXCUSED and not self.reason.strip():
            raise AppError.invalid("Vắng có lý do thì phải ghi lý do.", "An excused absence needs its reason.")
        if self.correction and not self.reason.strip():
            raise AppError.invalid("Đính chính thì phải ghi lý do.", "A correction needs its reason.")

    @property
    def present(self) -> bool:
        return self.status in PRESENT_STATUSES

    def label(self, lang: str = "vi") -> str:
        """ "Có mặt tại điểm cầu", "Về sớm", "Vắng có lý do": the line the list shows (the site's name is the UI's)."""
        text = _word(self.status, lang)
        return f"{text} {_word(self.place, lang)}" if self.place and self.status != LEFT_EARLY else text

    def to_dict(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "status": self.status,
            "at": self.at,
            "recorded_by": self.recorded_by,
            "recorded_as": self.recorded_as,
            "recorded_at": self.recorded_at,
            "place": self.place,
            "site_id": self.site_id,
            "reason": self.reason,
            "name": self.name,
            "correction": self.correction,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Entry:
        return cls(**{k: raw[k] for k in cls.__dataclass_fields__ if k in raw})


def own_entry(entry: Entry | None) -> dict[str, Any] | None:
    """A person's latest entry as their own snapshot carries it (`my_attendance`), with its line."""
    return {**entry.to_dict(), "line": entry.label("vi"), "line_en": entry.label("en")} if entry else None


@dataclass(frozen=True)
class Attendance:
    """A meeting's attendance: every entry in the order recorded. The latest entry per person counts."""

    entries: tuple[Entry, ...] = ()

    def history(self, person_id: str) -> tuple[Entry, ...]:
        return tuple(e for e in self.entries if e.person_id == person_id)

    def latest(self, person_id: str) -> Entry | None:
        return next((e for e in reversed(self.entries) if e.person_id == person_id), None)

    def current(self) -> dict[str, Entry]:
        """Each person's latest entry."""
        out: dict[str, Entry] = {}
        for entry in self.entries:
            out[entry.person_id] = entry
        return out

    def present_ids(self) -> frozenset[str]:
        return frozenset(pid for pid, e in self.current().items() if e.present)

    def to_dict(self) -> dict[str, Any]:
        return {"entries": [e.to_dict() for e in self.entries]}

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> Attendance:
        return cls(tuple(Entry.from_dict(e) for e in (raw or {}).get("entries") or ()))


@dataclass(frozen=True)
class Membership:
    """Who belongs to the meeting: members with voting rights (thành viên có quyền biểu quyết) and guests
    (khách mời, observers). Only the first count for the quorum and vote."""

    voting: frozenset[str] = frozenset()
    guests: frozenset[str] = frozenset()
    stand_ins: frozenset[str] = frozenset()  # invited only as someone's stand-in (domain/answers.py): no own vote

    def __post_init__(self) -> None:
        both = self.voting & (self.guests | self.stand_ins)
        if both:
            raise AppError.invalid(
                f"Một người không thể vừa là thành viên biểu quyết vừa là khách mời: {', '.join(sorted(both))}",
                f"Nobody is both a voting member and a guest: {', '.join(sorted(both))}",
            )
        if "" in self.voting | self.guests:
            raise AppError.invalid("Mã thành viên không được để trống.", "A member id cannot be empty.")

    def has_vote(self, person_id: str) -> bool:
        return person_id in self.voting

    def knows(self, person_id: str) -> bool:
        return person_id in self.voting or person_id in self.guests or person_id in self.stand_ins


def membership_of(state: MeetingState) -> Membership:
    """The meeting's membership: the invited people and the chair have voting rights, but for the invitees the
    organiser marked as guests (`guest_ids`) and those invited only as someone's stand-in (they cast that
    member's ballot: domain/answers.py)."""
    guests = frozenset(state.guest_ids)
    chair = {state.chair_id} if state.chair_id else set()
    stand_ins = (stand_ins_added(state) & frozenset(state.invitee_ids)) - guests - chair
    voting = frozenset(state.invitee_ids) | chair
    return Membership(voting=voting - guests - stand_ins, guests=guests, stand_ins=stand_ins)


@dataclass(frozen=True)
class Recorder:
    """Who is recording: their user id, the attendance permissions they hold in the meeting, and for a site's
    operator the sites they run."""

    user_id: str
    permissions: frozenset[MeetingPermission] = frozenset()
    site_ids: frozenset[str] = frozenset()


def operated_sites(state: MeetingState, unit_id: str | None) -> frozenset[str]:
    """The meeting's sites a site operator of this unit runs (their unit's halls)."""
    return frozenset(s["id"] for s in state.sites if unit_id is not None and s.get("unit_id") == unit_id)


def recorded_as(recorder: Recorder, person_id: str) -> RecordedAs:
    """How this recorder records this person: for themselves, at the desk, or at their site; forbidden else."""
    if person_id == recorder.user_id and ATTENDANCE_CHECK_IN_SELF in recorder.permissions:
        return BY_SELF
    if ATTENDANCE_CHECK_IN_OTHERS in recorder.permissions:
        return BY_SECRETARY
    if ATTENDANCE_CHECK_IN_SITE in recorder.permissions and recorder.site_ids:
        return BY_SITE_OPERATOR
    raise AppError("forbidden")


def _refuse(now: AttendanceStatus | None, new: AttendanceStatus) -> AppError:
    vi_now, en_now = ATTENDANCE_WORDS[now] if now else ("Chưa điểm danh", "Not checked in")
    vi_new, en_new = ATTENDANCE_WORDS[new]
    return AppError.invalid(
        f"Không thể ghi “{vi_new}” cho người đang ở trạng thái “{vi_now}”.",
        f"Cannot record “{en_new}” for someone who is “{en_now}”.",
    )


def record(
    state: MeetingState,
    attendance: Attendance,
    membership: Membership,
    recorder: Recorder,
    *,
    person_id: str,
    status: AttendanceStatus,
    at: str,
    now: str,
    place: AttendancePlace | None = None,
    site_id: str | None = None,
    reason: str = "",
    name: str = "",
    correction: bool = False,
) -> tuple[Attendance, list[Event]]:
    """Record one person's attendance; the new attendance and its event (none when nothing changes).

    Refused: a meeting not scheduled or under way (a correction also once ended); a change the transition table
    does not allow, unless it is the desk's correction; a status the recorder may not set; a site operator's entry
    for a person or a site not theirs; a site not in the meeting; someone the membership does not know recorded
    without a name or by themselves (people counted in a hall are the desk's or the operator's, and are guests).
    """
    allowed_statuses = CORRECTING_STATUSES if correction else RECORDING_STATUSES
    if state.status not in allowed_statuses:
        raise AppError("invalid_transition", action="record_attendance", status=state.status)
    how = recorded_as(recorder, person_id)
    if correction and how != BY_SECRETARY:
        raise AppError("forbidden")
    if status not in MAY_SET[how]:
        raise AppError("forbidden")
    if site_id is not None and site_id not in state.site_ids:
        raise AppError("not_found", what="site")
    before = attendance.latest(person_id)
    if how == BY_SITE_OPERATOR:
        where = site_id if status != LEFT_EARLY else (before.site_id if before else None)
        if where not in recorder.site_ids or (status != LEFT_EARLY and place != AT_SITE):
            raise AppError("forbidden")
    if not membership.knows(person_id) and (how == BY_SELF or not (name or (before and before.name))):
        raise AppError.invalid(
            "Người này không có trong danh sách dự họp; người được đếm tại hội trường phải có tên.",
            "This person is not on the meeting's list; a person counted in a hall needs a name.",
        )
    if status == LEFT_EARLY and before is not None and place is None:
        place, site_id = before.place, before.site_id  # leaves from where they were
    reason = reason.strip()
    same = (status, place, site_id, reason)
    repeat = before is not None and (before.status, before.place, before.site_id, before.reason) == same
    if repeat and not correction:
        return attendance, []  # the same again (a second tap): nothing new to say
    now_status = before.status if before else None
    if not correction and status not in TRANSITIONS[now_status]:
        raise _refuse(now_status, status)
    entry = Entry(
        person_id=person_id,
        status=status,
        at=at,
        recorded_by=recorder.user_id,
        recorded_as=how,
        recorded_at=now,
        place=place,
        site_id=site_id,
        reason=reason,
        name=name.strip() or (before.name if before else ""),
        correction=correction,
    )
    new = replace(attendance, entries=(*attendance.entries, entry))
    event_type = p.ATTENDANCE_CORRECTED if correction else p.ATTENDANCE_RECORDED
    data: dict[str, Any] = {"entry": entry.to_dict(), "voting": membership.has_vote(person_id)}
    return new, [Event(event_type, data, audience_for(state))]


def arrival_status(starts_at: str, at: str, grace_minutes: int = 0) -> AttendanceStatus:
    """Có mặt, or đến muộn when the person arrives more than `grace_minutes` after the start."""
    if grace_minutes < 0:
        raise AppError.invalid("Thời gian cho phép đến muộn không được âm.", "The grace period cannot be negative.")
    arrived, start = _instant(at, "at"), _instant(starts_at, "starts_at")
    if (arrived.tzinfo is None) != (start.tzinfo is None):
        raise AppError.invalid(
            "Hai thời điểm phải cùng ghi múi giờ hoặc cùng không ghi.",
            "Both times must carry a time zone, or neither.",
        )
    late = (arrived - start).total_seconds() > grace_minutes * 60
    return LATE if late else CHECKED_IN


# ---- quorum ---------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QuorumRule:
    """More than (`strict`) or at least numerator/denominator of the base: "quá 1/2 tổng số thành viên" is
    QuorumRule(1, 2, strict=True), "ít nhất 2/3" QuorumRule(2, 3, strict=False)."""

    numerator: int = 1
    denominator: int = 2
    strict: bool = True
    base: QuorumBase = BASE_MEMBERS

    def __post_init__(self) -> None:
        if self.denominator <= 0 or not 0 < self.numerator <= self.denominator:
            raise AppError.invalid(
                "Tỉ lệ tối thiểu phải nằm trong khoảng (0, 1].", "The quorum ratio must lie in (0, 1]."
            )
        if self.base not in QUORUM_BASES:
            raise AppError.invalid(f"Cơ sở tính không hợp lệ: {self.base}", f"Not a quorum base: {self.base}")
        if self.strict and self.numerator == self.denominator:
            raise AppError.invalid("Không thể đòi hơn toàn bộ.", "A quorum cannot ask for more than everyone.")

    def needed(self, base: int) -> int:
        """The fewest present members that satisfy the rule on a base of `base` people."""
        exact, remainder = divmod(base * self.numerator, self.denominator)
        return exact + 1 if self.strict or remainder else exact

    def to_dict(self) -> dict[str, Any]:
        return {"numerator": self.numerator, "denominator": self.denominator, "strict": self.strict, "base": self.base}


def quorum_rule_of(state: MeetingState) -> QuorumRule:
    """The meeting's quorum rule: as the organiser set it, or more than half of the members."""
    return QuorumRule(**state.quorum_rule) if state.quorum_rule else QuorumRule()


@dataclass(frozen=True)
class Quorum:
    present: int
    base: int
    needed: int
    rule: QuorumRule = field(default_factory=QuorumRule)

    @property
    def met(self) -> bool:
        return self.present > 0 and self.present >= self.needed

    def line(self, lang: str = "vi") -> str:
        """What the console and the wall display show: "Có mặt 87/124 · đủ điều kiện tiến hành"."""
        if lang == "en":
            verdict = "quorum met" if self.met else f"no quorum yet ({self.needed} needed)"
            return f"Present {self.present}/{self.base} · {verdict}"
        verdict = "đủ điều kiện tiến hành" if self.met else f"chưa đủ điều kiện (cần {self.needed})"
        return f"Có mặt {self.present}/{self.base} · {verdict}"

    def to_dict(self) -> dict[str, Any]:
        return {
            "present": self.present,
            "base": self.base,
            "needed": self.needed,
            "met": self.met,
            "rule": self.rule.to_dict(),
            "line": self.line("vi"),
            "line_en": self.line("en"),
        }


def quorum(attendance: Attendance, membership: Membership, rule: QuorumRule) -> Quorum:
    """Count the voting members present (đến muộn included, về sớm not) against the rule's base."""
    current = attendance.current()
    present = sum(1 for pid in membership.voting if pid in current and current[pid].present)
    if rule.base == BASE_MEMBERS:
        base = len(membership.voting)
    elif rule.base == BASE_MEMBERS_NOT_EXCUSED:
        base = sum(1 for pid in membership.voting if pid not in current or current[pid].status != ABSENT_EXCUSED)
    else:
        assert rule.base == BASE_MEMBERS_PRESENT
        base = present
    return Quorum(present=present, base=base, needed=rule.needed(base), rule=rule)
