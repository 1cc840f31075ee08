"""Answers to the invitation (trả lời giấy mời): the pure rules. A command and the state give events or an
`AppError`.

Each invitee answers: attending (in the main hall, at one of the meeting's commune sites, or online), absent with
a reason, or sending a stand-in (cử người dự thay): a named, active colleague of the same unit, who is then added
to the invitees, answers for themselves and is shown as "dự thay cho …". A stand-in added this way has no voting
rights of their own (`stand_ins_added`, read by domain.attendance.membership_of); the member they represent is
represented by them in every vote (`stand_in_proxies`: a meeting-wide proxy, recorded with the answer). No chains:
a stand-in sends no stand-in of their own, and stands in for one invitee only.

An answer may be changed until the meeting ends; the organisers may record one on someone's behalf. The answers
live in the meeting state (`MeetingState.answers`: person id -> `Answer.to_dict()`); the log keeps every answer.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .. import protocol as p
from ..errors import AppError
from ..vocabulary import (
    ANSWER_ABSENT,
    ANSWER_ATTENDING,
    ANSWER_KINDS,
    ANSWER_STAND_IN,
    ANSWER_WORDS,
    AT_SITE,
    ATTENDANCE_PLACES,
    ATTENDANCE_WORDS,
    CLOSED_STATUSES,
    IN_PROGRESS,
    INVITATION_ANSWERS,
    SCHEDULED,
    AnswerKind,
    AttendancePlace,
    roles_with,
)
from .meetings import Audience, Event, MeetingState, update
from .votes import Proxy

MAX_REASON = 500
ANSWERABLE = frozenset({SCHEDULED, IN_PROGRESS})
# A reason for being absent is the organisers' business: the answers reach those who may read them all.
ORGANISERS = Audience(kind="roles", roles=roles_with(INVITATION_ANSWERS))


@dataclass(frozen=True)
class Person:
    """What the rules need of a person from the directory."""

    id: str
    unit_id: str | None = None
    active: bool = True
    name: str = ""


@dataclass(frozen=True)
class Answer:
    person_id: str
    kind: AnswerKind
    answered_at: str
    recorded_by: str  # the person themselves, or the organiser who recorded it for them
    mode: AttendancePlace | None = None  # attending: where
    site_id: str | None = None  # attending at a commune site: which
    reason: str = ""  # absent: required; sending a stand-in: optional
    stand_in_id: str | None = None
    stand_in_added: bool = False  # the stand-in was invited by this answer (so they have no vote of their own)

    def to_dict(self) -> dict[str, Any]:
        return {
            "person_id": self.person_id,
            "kind": self.kind,
            "mode": self.mode,
            "site_id": self.site_id,
            "reason": self.reason,
            "stand_in_id": self.stand_in_id,
            "stand_in_added": self.stand_in_added,
            "answered_at": self.answered_at,
            "recorded_by": self.recorded_by,
        }

    @classmethod
    def from_dict(cls, raw: Mapping[str, Any]) -> Answer:
        return cls(**{k: raw[k] for k in raw if k in cls.__dataclass_fields__})

    def line(self, names: Mapping[str, str] | None = None, lang: str = "vi") -> str:
        """How the answer reads on a list: "Tham dự trực tuyến", "Vắng mặt: Đi công tác", "Cử người dự thay: …"."""
        i = 0 if lang == "vi" else 1
        words = ANSWER_WORDS[self.kind][i]
        if self.kind == ANSWER_ATTENDING and self.mode:
            words = f"{words} {ATTENDANCE_WORDS[self.mode][i]}"
        elif self.kind == ANSWER_ABSENT:
            words = f"{words}: {self.reason}"
        elif self.kind == ANSWER_STAND_IN and self.stand_in_id:
            words = f"{words}: {(names or {}).get(self.stand_in_id, self.stand_in_id)}"
        return words


def answers_of(state: MeetingState) -> dict[str, Answer]:
    return {k: Answer.from_dict(v) for k, v in state.answers.items()}


def stands_in_for(state: MeetingState) -> dict[str, str]:
    """stand-in -> the invitee they stand in for (dự thay cho)."""
    return {a.stand_in_id: a.person_id for a in answers_of(state).values() if a.stand_in_id}


def stand_ins_added(state: MeetingState) -> frozenset[str]:
    """The people invited only as someone's stand-in: they have no voting rights of their own."""
    return frozenset(a.stand_in_id for a in answers_of(state).values() if a.stand_in_id and a.stand_in_added)


def stand_in_proxy(person_id: str, stand_in_id: str, at: datetime, recorded_by: str) -> Proxy:
    """The meeting-wide proxy an answer with a stand-in records: the invitee to their stand-in."""
    return Proxy(f"standin:{person_id}", person_id, stand_in_id, at, recorded_by, stand_in=True)


def stand_in_proxies(state: MeetingState) -> tuple[Proxy, ...]:
    """Every stand-in's proxy of the meeting, in the order they were answered."""
    out = []
    for a in sorted(answers_of(state).values(), key=lambda a: (a.answered_at, a.person_id)):
        if a.kind == ANSWER_STAND_IN and a.stand_in_id:
            at = datetime.fromisoformat(a.answered_at.replace("Z", "+00:00"))
            out.append(stand_in_proxy(a.person_id, a.stand_in_id, at, a.recorded_by))
    return tuple(out)


def stand_in_links_cut(state: MeetingState, invitee_ids: tuple[str, ...], guest_ids: tuple[str, ...]) -> list[str]:
    """Who an edit of the invitees or guests would cut out of a stand-in arrangement: a member who sent a stand-in,
    or a stand-in, taken off the list or made a guest. Their answer and the vote it gives would go stale (a stand-in
    left behind would even vote in their own right), so the edit is refused until the answer is changed first."""
    linked: set[str] = set()
    for a in answers_of(state).values():
        if a.kind == ANSWER_STAND_IN and a.stand_in_id:
            linked.update((a.person_id, a.stand_in_id))
    cut = {pid for pid in linked if pid not in invitee_ids or pid in guest_ids}
    return sorted(cut)


def is_invited(state: MeetingState, person: Person) -> bool:
    return person.id in state.invitee_ids or (person.unit_id is not None and person.unit_id in state.invited_unit_ids)


def unanswered(state: MeetingState) -> list[str]:
    """The invitees named in the meeting (stand-ins too: they answer for themselves) who have not answered. People
    invited through their unit are not reminded one by one: a whole unit is its office's business."""
    return [i for i in state.invitee_ids if i not in state.answers]


def _invalid(vi: str, en: str) -> AppError:
    return AppError.invalid(vi, en)


def _require_answerable(state: MeetingState) -> None:
    if state.status in CLOSED_STATUSES:
        raise AppError("meeting_closed")
    if state.status not in ANSWERABLE or not state.published:
        raise AppError(
            "conflict",
            detail="Cuộc họp chưa được lên lịch: chưa có giấy mời để trả lời.",
            detail_en="The meeting is not scheduled: there is no invitation to answer yet.",
            whole=True,
        )


def _check_shape(
    state: MeetingState,
    kind: str,
    mode: str | None,
    site_id: str | None,
    reason: str,
    stand_in: Person | None,
) -> None:
    if kind not in ANSWER_KINDS:
        raise _invalid(f"Câu trả lời không hợp lệ: {kind}", f"Unknown answer: {kind}")
    if kind == ANSWER_ATTENDING:
        if mode not in ATTENDANCE_PLACES:
            raise _invalid(
                "Hãy chọn hình thức tham dự: tại hội trường, tại điểm cầu hoặc trực tuyến.",
                "Choose how you attend: in the main hall, at a site or online.",
            )
        if (mode == AT_SITE) != (site_id is not None):
            raise _invalid(
                "Tham dự tại điểm cầu thì chọn một điểm cầu (và chỉ khi đó).",
                "Attending at a site names the site (and only then).",
            )
        if site_id is not None and site_id not in state.site_ids:
            raise AppError("not_found", what="site")
    elif mode is not None or site_id is not None:
        raise _invalid("Chỉ người tham dự mới chọn hình thức tham dự.", "Only an attending answer says how.")
    if kind == ANSWER_ABSENT and not reason:
        raise _invalid("Vắng mặt phải nêu lý do.", "An absence needs a reason.")
    if kind == ANSWER_ATTENDING and reason:
        raise _invalid("Tham dự thì không cần lý do.", "Attending needs no reason.")
    if (kind == ANSWER_STAND_IN) != (stand_in is not None):
        raise _invalid(
            "Cử người dự thay thì chọn người dự thay (và chỉ khi đó).",
            "Sending a stand-in names the stand-in (and only then).",
        )


def _check_stand_in(state: MeetingState, person: Person, stand_in: Person) -> None:
    if stand_in.id == person.id:
        raise _invalid("Không thể cử chính mình dự thay.", "One cannot stand in for oneself.")
    if not stand_in.active:
        raise _invalid("Người dự thay không còn hoạt động.", "The stand-in's account is not active.")
    if person.unit_id is None or stand_in.unit_id != person.unit_id:
        raise _invalid(
            "Người dự thay phải là người cùng đơn vị với người được mời.",
            "The stand-in must belong to the invitee's own unit.",
        )
    if stand_in.id in (state.chair_id, state.secretary_id, state.organizer_id):
        raise _invalid(
            "Người chủ trì, thư ký hay người tổ chức không dự thay người khác.",
            "The chair, the secretary or the organiser stands in for no one.",
        )
    standing = stands_in_for(state)
    if person.id in standing:
        raise _invalid(
            "Người dự thay không cử người khác dự thay (không ủy quyền tiếp).",
            "A stand-in sends no stand-in of their own (no chains).",
        )
    if standing.get(stand_in.id, person.id) != person.id:
        raise AppError(
            "conflict",
            detail="Người này đã dự thay cho một đại biểu khác.",
            detail_en="This person already stands in for another invitee.",
            whole=True,
        )
    own = state.answers.get(stand_in.id)
    if own is not None and own.get("kind") == ANSWER_STAND_IN:
        raise _invalid(
            "Người được chọn đã cử người khác dự thay mình (không ủy quyền tiếp).",
            "The person chosen has sent a stand-in of their own (no chains).",
        )


def answer(
    state: MeetingState,
    person: Person,
    *,
    kind: str,
    at: str,
    recorded_by: str,
    mode: AttendancePlace | None = None,
    site_id: str | None = None,
    reason: str = "",
    stand_in: Person | None = None,
) -> list[Event]:
    """The events of one answer: `invitation.answered` (the organisers'), then, when the stand-in changes, the
    `meeting.updated` that invites the new one (the mail outbox sends them the giấy mời) and drops the old one
    (when they were invited only as the stand-in). None when nothing changes (a second tap)."""
    _require_answerable(state)
    if not is_invited(state, person):
        raise _invalid(
            "Người này không có trong danh sách được mời.", "This person is not among the meeting's invitees."
        )
    reason = reason.strip()
    if len(reason) > MAX_REASON:
        raise _invalid(f"Lý do dài tối đa {MAX_REASON} ký tự.", f"A reason is at most {MAX_REASON} characters.")
    _check_shape(state, kind, mode, site_id, reason, stand_in)
    if stand_in is not None:
        _check_stand_in(state, person, stand_in)
    before = state.answers.get(person.id)
    old_stand_in = before.get("stand_in_id") if before else None
    old_added = bool(before and before.get("stand_in_added"))
    new_stand_in = stand_in.id if stand_in else None
    invitees = list(state.invitee_ids)
    answers = dict(state.answers)
    if old_stand_in and old_stand_in != new_stand_in and old_added:
        invitees = [i for i in invitees if i != old_stand_in]  # invited only as the stand-in: no longer
        answers.pop(old_stand_in, None)
    added = False
    if new_stand_in is not None:
        if new_stand_in == old_stand_in:
            added = old_added
        elif new_stand_in not in invitees:
            invitees.append(new_stand_in)
            added = True
    new = Answer(
        person_id=person.id,
        kind=kind,  # type: ignore[arg-type]  # checked against ANSWER_KINDS above
        answered_at=at,
        recorded_by=recorded_by,
        mode=mode,
        site_id=site_id,
        reason=reason,
        stand_in_id=new_stand_in,
        stand_in_added=added,
    )
    if before is not None and {**before, "answered_at": at, "recorded_by": recorded_by} == new.to_dict():
        return []
    answers[person.id] = new.to_dict()
    facts = {"person_id": person.id, "kind": kind, "recorded_by": recorded_by, "changed": before is not None}
    events = [Event(p.INVITATION_ANSWERED, {"patch": {"answers": answers}, **facts}, ORGANISERS)]
    if tuple(invitees) != state.invitee_ids:
        events += update(state, {"invitee_ids": invitees})
    return events


def remind(state: MeetingState, person_ids: Iterable[str] | None = None) -> list[Event]:
    """`invitation.reminded` for the invitees without an answer, or for the chosen ones (each must be invited);
    the mail outbox mails each a reminder."""
    _require_answerable(state)
    if person_ids is None:
        chosen = unanswered(state)
    else:
        chosen = list(dict.fromkeys(person_ids))
        strangers = [i for i in chosen if i not in state.invitee_ids]
        if strangers:
            raise _invalid(
                f"Không có trong danh sách được mời: {', '.join(strangers)}",
                f"Not among the invitees: {', '.join(strangers)}",
            )
    if not chosen:
        raise _invalid("Không còn ai chưa trả lời để nhắc.", "Everyone has answered: nobody to remind.")
    return [Event(p.INVITATION_REMINDED, {"person_ids": chosen}, ORGANISERS)]


def counts(state: MeetingState, invitees: Iterable[str]) -> dict[str, int]:
    """How many of these invitees answered each way, and how many have not answered ("none")."""
    out = {k: 0 for k in (*ANSWER_KINDS, "none")}
    for person_id in invitees:
        given = state.answers.get(person_id)
        out[given["kind"] if given else "none"] += 1
    return out
