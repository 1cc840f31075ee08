"""The meeting aggregate: lifecycle, participants and agenda.

Every event carries `patch`, the snapshot fields it changed, so that `apply` is one merge here and in
every client (see `protocol.apply_patch`): no client needs to re-implement these rules to stay in step.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from .. import protocol as p
from ..errors import AppError
from ..vocabulary import (
    ADMIN,
    ARCHIVED,
    CANCELLED,
    CHAIR,
    CLOSED_STATUSES,
    DELEGATE,
    DRAFT,
    ENDED,
    IN_PROGRESS,
    INVITATION_ANSWERS,
    MEETING_ORGANIZE,
    MEETING_STATUSES,
    NAMED_PERMISSIONS,
    OBSERVER,
    ORGANIZER,
    ORGANIZER_ROLES,
    SCHEDULED,
    SECRETARY,
    SITE,
    SITE_BOOKED,
    SITE_OPERATOR,
    MeetingPermission,
    MeetingRole,
    MeetingStatus,
    meeting_capabilities,
)
from .actors import Actor

STATUSES = MEETING_STATUSES
CLOSED = CLOSED_STATUSES

# action -> (allowed from, goes to, event type)
TRANSITIONS: dict[str, tuple[frozenset[MeetingStatus], MeetingStatus, str]] = {
    "schedule": (frozenset({DRAFT}), SCHEDULED, p.MEETING_SCHEDULED),
    "unschedule": (frozenset({SCHEDULED}), DRAFT, p.MEETING_UNSCHEDULED),
    "start": (frozenset({SCHEDULED}), IN_PROGRESS, p.MEETING_STARTED),
    "end": (frozenset({IN_PROGRESS}), ENDED, p.MEETING_ENDED),
    "archive": (frozenset({ENDED}), ARCHIVED, p.MEETING_ARCHIVED),
    "cancel": (frozenset({DRAFT, SCHEDULED}), CANCELLED, p.MEETING_CANCELLED),
}

EDITABLE_FIELDS = (
    "title",
    "description",
    "location",
    "starts_at",
    "ends_at",
    "main_site_id",
    "sites",
    "invitee_ids",
    "invited_unit_ids",
    "chair_id",
    "secretary_id",
    "guest_ids",
    "quorum_rule",
)
ITEM_FIELDS = ("title", "presenter_id", "presenter_name", "planned_minutes", "description")
ORGANIZERS_AUDIENCE = ORGANIZER_ROLES  # a draft is theirs alone


@dataclass(frozen=True)
class Audience:
    """Who may receive an event: everyone in the meeting, some meeting roles, one user, or some roles plus named
    people ("people": a restricted paper reaches its managers and the people it lists, and no one else)."""

    kind: str = "all"
    roles: tuple[str, ...] = ()
    user_id: str | None = None
    user_ids: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        if self.kind not in ("all", "roles", "user", "people"):
            raise ValueError(f"audience kind {self.kind!r}")
        if set(self.roles) - set(p.MEETING_ROLES):
            raise ValueError(f"audience roles {self.roles!r}")
        if self.kind == "roles" and not self.roles:
            raise ValueError("a roles audience names its roles")
        if self.kind == "user" and not self.user_id:
            raise ValueError("a user audience names the user")
        if (
            (self.kind not in ("roles", "people") and self.roles)
            or (self.kind != "user" and self.user_id)
            or (self.kind != "people" and self.user_ids)
        ):
            raise ValueError(f"an audience of kind {self.kind!r} names no such members")

    def includes(self, role: str, user_id: str) -> bool:
        if self.kind == "all":
            return True
        if self.kind == "roles":
            return role in self.roles
        if self.kind == "people":
            return role in self.roles or user_id in self.user_ids
        return user_id == self.user_id

    def to_dict(self) -> dict[str, Any]:
        out: dict[str, Any] = {"kind": self.kind, "roles": list(self.roles), "user_id": self.user_id}
        if self.kind == "people":
            out["user_ids"] = list(self.user_ids)
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Audience:
        return cls(
            kind=raw["kind"],
            roles=tuple(raw.get("roles") or ()),
            user_id=raw.get("user_id"),
            user_ids=tuple(raw.get("user_ids") or ()),
        )


@dataclass(frozen=True)
class Event:
    type: str
    data: dict[str, Any]
    audience: Audience = Audience()

    @property
    def patch(self) -> dict[str, Any]:
        patch: dict[str, Any] = self.data.get("patch", {})
        return patch


@dataclass(frozen=True)
class AgendaItem:
    id: str
    title: str
    presenter_id: str | None = None
    presenter_name: str = ""
    planned_minutes: int = 0
    description: str = ""
    status: str = "pending"

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "presenter_id": self.presenter_id,
            "presenter_name": self.presenter_name,
            "planned_minutes": self.planned_minutes,
            "description": self.description,
            "status": self.status,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> AgendaItem:
        return cls(**{k: raw[k] for k in raw if k in cls.__dataclass_fields__})


@dataclass(frozen=True)
class MeetingState:
    id: str
    title: str
    organizer_id: str
    starts_at: str
    status: MeetingStatus = DRAFT
    description: str = ""
    location: str = ""
    ends_at: str | None = None
    main_site_id: str | None = None
    sites: tuple[dict[str, Any], ...] = ()
    invitee_ids: tuple[str, ...] = ()
    invited_unit_ids: tuple[str, ...] = ()
    chair_id: str | None = None
    secretary_id: str | None = None
    agenda: tuple[AgendaItem, ...] = ()
    current_item_id: str | None = None
    cancel_reason: str = ""
    published: bool = False  # ever scheduled: only then have invitees heard of it
    conference: dict[str, Any] = field(default_factory=dict)  # see domain.conference
    presentation: dict[str, Any] | None = None  # the paper, page and viewport being presented (domain.papers)
    floor: dict[str, Any] = field(default_factory=dict)  # requests, the current speech, the speeches (domain.floor)
    guest_ids: tuple[str, ...] = ()  # invitees without voting rights (khách mời): domain.attendance.membership_of
    quorum_rule: dict[str, Any] = field(default_factory=dict)  # domain.attendance.QuorumRule's fields; {}: > 1/2
    quorum: dict[str, Any] = field(default_factory=dict)  # the count now (domain.attendance.Quorum.to_dict)
    answers: dict[str, Any] = field(default_factory=dict)  # person id -> their answer (domain.answers.Answer)
    last_seq: int = 0

    def __post_init__(self) -> None:
        if self.status not in STATUSES:
            raise ValueError(f"status {self.status!r}")

    @property
    def site_ids(self) -> tuple[str, ...]:
        return tuple(s["id"] for s in self.sites)

    def item(self, item_id: str) -> AgendaItem:
        for item in self.agenda:
            if item.id == item_id:
                return item
        raise AppError("not_found", what="agenda_item")

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "title": self.title,
            "description": self.description,
            "location": self.location,
            "status": self.status,
            "starts_at": self.starts_at,
            "ends_at": self.ends_at,
            "organizer_id": self.organizer_id,
            "chair_id": self.chair_id,
            "secretary_id": self.secretary_id,
            "main_site_id": self.main_site_id,
            "sites": [dict(s) for s in self.sites],
            "invitee_ids": list(self.invitee_ids),
            "invited_unit_ids": list(self.invited_unit_ids),
            "agenda": [i.to_dict() for i in self.agenda],
            "current_item_id": self.current_item_id,
            "cancel_reason": self.cancel_reason,
            "published": self.published,
            "conference": dict(self.conference),
            "presentation": dict(self.presentation) if self.presentation else None,
            "floor": dict(self.floor),
            "guest_ids": list(self.guest_ids),
            "quorum_rule": dict(self.quorum_rule),
            "quorum": dict(self.quorum),
            "answers": {k: dict(v) for k, v in self.answers.items()},
            "last_seq": self.last_seq,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> MeetingState:
        return _with_patch(
            cls(id=raw["id"], title=raw["title"], organizer_id=raw["organizer_id"], starts_at=raw["starts_at"]), raw
        )


def _with_patch(state: MeetingState, patch: dict[str, Any]) -> MeetingState:
    changes: dict[str, Any] = {}
    for key, value in patch.items():
        if key not in MeetingState.__dataclass_fields__:
            continue
        if key == "agenda":
            value = tuple(AgendaItem.from_dict(i) for i in value)
        elif key == "sites":
            value = tuple(dict(s) for s in value)
        elif key in ("invitee_ids", "invited_unit_ids", "guest_ids"):
            value = tuple(value)
        elif key in ("conference", "floor", "quorum_rule", "quorum"):
            value = dict(value or {})
        elif key == "answers":
            value = {k: dict(v) for k, v in (value or {}).items()}
        elif key == "presentation":
            value = dict(value) if value else None
        changes[key] = value
    return replace(state, **changes)


def apply(state: MeetingState, event: Event) -> MeetingState:
    return _with_patch(state, event.patch)


def audience_for(state: MeetingState) -> Audience:
    """A draft is the organisers' business; once scheduled, every participant follows along. A draft that is
    cancelled before it was ever scheduled stays the organisers' business."""
    if state.status == DRAFT or not state.published:
        return Audience(kind="roles", roles=ORGANIZERS_AUDIENCE)
    return Audience()


# ---- role in a meeting, visibility and permission ---------------------------------------------------


def meeting_role(actor: Actor, state: MeetingState) -> MeetingRole | None:
    """The part the actor holds in this meeting, or None when it is none of their business."""
    if actor.kind == SITE:
        return SITE if actor.id in state.site_ids and state.status != DRAFT and state.published else None
    if actor.id == state.chair_id:
        return CHAIR
    if actor.id == state.secretary_id:
        return SECRETARY
    if actor.id == state.organizer_id:
        return ORGANIZER
    if actor.is_admin:
        return ADMIN
    if state.status == DRAFT or not state.published:
        return None
    as_delegate: MeetingRole = OBSERVER if OBSERVER in actor.roles and DELEGATE not in actor.roles else DELEGATE
    if actor.id in state.invitee_ids:
        return as_delegate
    # A commune's operator keeps their hall when the whole commune is invited (a province conference invites every
    # commune as a unit, and the operator is one of its people): they run the hall, they are not a delegate.
    operator = SITE_OPERATOR in actor.roles and DELEGATE not in actor.roles and actor.unit_id is not None
    if operator and any(s.get("unit_id") == actor.unit_id for s in state.sites):
        return SITE_OPERATOR
    if actor.unit_id is not None and actor.unit_id in state.invited_unit_ids:
        return as_delegate
    return None


def seat(actor: Actor, state: MeetingState) -> MeetingRole | None:
    """The part an open socket keeps in the meeting's live rooms: the actor's role, and while the meeting is
    back in draft the role they will hold once it is scheduled again (a draft's events go to its organisers
    only, so invitees hear nothing of it meanwhile). None once they are no longer part of it."""
    role = meeting_role(actor, state)
    if role is None and (state.status == DRAFT or not state.published):
        return meeting_role(actor, replace(state, status=SCHEDULED, published=True))
    return role


def capabilities(actor: Actor, role: str | None) -> frozenset[MeetingPermission]:
    """What this actor may do in a meeting where they hold `role` (vocabulary.MEETING_PERMISSIONS)."""
    return meeting_capabilities(role, actor.capabilities)


def snapshot(state: MeetingState, role: str | None, actor: Actor) -> dict[str, Any]:
    """The meeting as this actor is told it: the state, their part in it and what they may do there. Answers to
    the invitation (a reason for being absent) are the organisers'; anyone else is told their own answer and the
    one naming them as a stand-in."""
    caps = capabilities(actor, role)
    told = state.to_dict()
    if INVITATION_ANSWERS not in caps:
        told["answers"] = {k: v for k, v in told["answers"].items() if actor.id in (k, v.get("stand_in_id"))}
    return {**told, "my_role": role, "capabilities": sorted(caps)}


@dataclass(frozen=True)
class Members:
    """Who has this meeting on their list: people, units (everyone in them) and sites."""

    users: frozenset[str] = frozenset()
    units: frozenset[str] = frozenset()
    sites: frozenset[str] = frozenset()

    def __or__(self, other: Members) -> Members:
        return Members(self.users | other.users, self.units | other.units, self.sites | other.sites)


def members(state: MeetingState) -> Members:
    organisers = {u for u in (state.organizer_id, state.chair_id, state.secretary_id) if u}
    if state.status == DRAFT or not state.published:
        return Members(users=frozenset(organisers))
    units = set(state.invited_unit_ids) | {s["unit_id"] for s in state.sites if s.get("unit_id")}
    return Members(frozenset(organisers | set(state.invitee_ids)), frozenset(units), frozenset(state.site_ids))


def require_visible(actor: Actor, state: MeetingState) -> MeetingRole:
    role = meeting_role(actor, state)
    if role is None:
        raise AppError("not_found", what="meeting")
    return role


def require(actor: Actor, state: MeetingState, permission: MeetingPermission) -> MeetingRole:
    """The actor's role in the meeting when it grants `permission`; not_found when the meeting is not theirs."""
    role = require_visible(actor, state)
    if permission not in capabilities(actor, role):
        raise AppError("forbidden")
    return role


def require_or_named(
    actor: Actor, state: MeetingState, permission: MeetingPermission, named: bool
) -> MeetingRole | None:
    """`require`, except that the person the target names (`named`: a record's signature slot) holds a permission
    of NAMED_PERMISSIONS whatever their part: their role then (None when they hold no part)."""
    try:
        return require(actor, state, permission)
    except AppError:
        if named and permission in NAMED_PERMISSIONS:
            return meeting_role(actor, state)
        raise


def require_organizer(actor: Actor, state: MeetingState) -> MeetingRole:
    return require(actor, state, MEETING_ORGANIZE)


# ---- commands -----------------------------------------------------------------------------------------


def _check_times(starts_at: str, ends_at: str | None) -> None:
    if ends_at is not None and ends_at <= starts_at:
        raise AppError(
            "invalid_input",
            detail="giờ kết thúc phải sau giờ bắt đầu",
            detail_en="the end time must be after the start time",
        )


def _check_main_site(main_site_id: str | None, sites: tuple[dict[str, Any], ...]) -> None:
    if main_site_id is not None and main_site_id not in {s["id"] for s in sites}:
        raise AppError(
            "invalid_input",
            detail="điểm cầu chính phải nằm trong danh sách điểm cầu tham dự",
            detail_en="the main site must be one of the participating sites",
        )


def _check_guests(state: MeetingState) -> None:
    """Guests (khách mời) are invitees without voting rights: each must be invited, and the chair votes."""
    strangers = [g for g in state.guest_ids if g not in state.invitee_ids]
    if strangers:
        raise AppError.invalid(
            f"Khách mời phải có trong danh sách người được mời: {', '.join(strangers)}",
            f"A guest must be among the invitees: {', '.join(strangers)}",
        )
    if state.chair_id and state.chair_id in state.guest_ids:
        raise AppError.invalid("Người chủ trì không thể là khách mời.", "The chair cannot be a guest.")


def create(meeting_id: str, organizer_id: str, fields: dict[str, Any]) -> list[Event]:
    state = _with_patch(
        MeetingState(id=meeting_id, title=fields["title"], organizer_id=organizer_id, starts_at=fields["starts_at"]),
        fields,
    )
    _check_times(state.starts_at, state.ends_at)
    _check_main_site(state.main_site_id, state.sites)
    _check_guests(state)
    patch = {k: v for k, v in state.to_dict().items() if k != "last_seq"}
    return [Event(p.MEETING_CREATED, {"patch": patch}, audience_for(state))]


ASSUMED_LENGTH = timedelta(hours=2)  # a meeting with no end time is taken to hold its hall this long


def _span(state: MeetingState) -> tuple[datetime, datetime]:
    start = datetime.fromisoformat(state.starts_at)
    return start, datetime.fromisoformat(state.ends_at) if state.ends_at else start + ASSUMED_LENGTH


def site_clashes(state: MeetingState, others: Iterable[MeetingState], actor: Actor) -> list[dict[str, Any]]:
    """This meeting's sites that another open meeting has booked for an overlapping time: a warning for the
    organiser, not a refusal (two short meetings may share a hall; the organiser decides). The other meeting's
    title is named only to someone who may see that meeting."""
    if state.status in CLOSED or not state.sites:
        return []
    start, end = _span(state)
    mine = {s["id"]: s for s in state.sites}
    clashes = []
    for other in sorted(others, key=lambda o: (o.starts_at, o.id)):
        if other.id == state.id or other.status in CLOSED:
            continue
        other_start, other_end = _span(other)
        if not (other_start < end and start < other_end):
            continue
        title = other.title if meeting_role(actor, other) is not None else ""
        for site_id in (i for i in other.site_ids if i in mine):
            name = mine[site_id].get("name") or site_id
            what_vi = f"cuộc họp “{title}”" if title else "một cuộc họp khác"
            what_en = f"the meeting “{title}”" if title else "another meeting"
            clashes.append(
                {
                    "code": SITE_BOOKED,
                    "site_id": site_id,
                    "site_name": name,
                    "meeting_id": other.id if title else None,
                    "meeting_title": title,
                    "starts_at": other.starts_at,
                    "ends_at": other.ends_at,
                    "message": f"Điểm cầu {name} đã được xếp vào {what_vi} trùng giờ.",
                    "message_en": f"The site {name} is already booked into {what_en} at an overlapping time.",
                }
            )
    return clashes


def _require_open(state: MeetingState) -> None:
    if state.status in CLOSED:
        raise AppError("meeting_closed")


def update(state: MeetingState, changes: dict[str, Any]) -> list[Event]:
    _require_open(state)
    unknown = set(changes) - set(EDITABLE_FIELDS)
    if unknown:
        raise AppError(
            "invalid_input",
            detail=f"trường không được phép: {', '.join(sorted(unknown))}",
            detail_en=f"fields not allowed: {', '.join(sorted(unknown))}",
        )
    new = _with_patch(state, changes)
    _check_times(new.starts_at, new.ends_at)
    _check_main_site(new.main_site_id, new.sites)
    _check_guests(new)
    if state.status == IN_PROGRESS and new.starts_at != state.starts_at:
        raise AppError("invalid_transition", action="reschedule", status=state.status)
    patch = {k: v for k, v in new.to_dict().items() if k in changes and getattr(state, k) != getattr(new, k)}
    if not patch:
        return []
    return [Event(p.MEETING_UPDATED, {"patch": patch, "fields": sorted(patch)}, audience_for(new))]


def presentation_stopped() -> Event:
    """Nothing is presented any more (the presenter stopped, the paper went, or the meeting closed)."""
    return Event(p.PAPER_PRESENTATION_STOPPED, {"patch": {"presentation": None}})


def transition(state: MeetingState, action: str, reason: str = "") -> list[Event]:
    allowed_from, target, event_type = TRANSITIONS[action]
    if state.status not in allowed_from:
        raise AppError("invalid_transition", action=action, status=state.status)
    patch: dict[str, Any] = {"status": target}
    if action == "schedule" and not state.agenda:
        raise AppError(
            "invalid_input",
            detail="cuộc họp cần ít nhất một nội dung trước khi lên lịch",
            detail_en="a meeting needs at least one agenda item before it is scheduled",
        )
    if action == "cancel":
        patch["cancel_reason"] = reason
    if action == "schedule":
        patch["published"] = True
    if action == "end":
        patch["current_item_id"] = None
        patch["agenda"] = [(replace(i, status="done") if i.status == "current" else i).to_dict() for i in state.agenda]
        # Nothing keeps running after the meeting: recording stops, the roll call closes (kept for the record).
        conf = dict(state.conference)
        if conf.get("recording") or (conf.get("roll_call") or {}).get("open"):
            roll = conf.get("roll_call")
            patch["conference"] = {**conf, "recording": None, "roll_call": {**roll, "open": False} if roll else None}
    new = _with_patch(state, patch)
    if action in ("schedule", "unschedule"):
        # Invitees see the meeting from now on, so they get all of it in the one event they receive; but for the
        # answers to the invitation (a reason for being absent is the organisers': domain/answers.py).
        patch = {k: v for k, v in new.to_dict().items() if k not in ("last_seq", "answers")}
    # Leaving draft is news for everyone; going back to draft is still news for those who saw it scheduled.
    audience = Audience() if action == "unschedule" else audience_for(new)
    events = [Event(event_type, {"patch": patch}, audience)]
    if target in CLOSED and state.presentation:
        # A paper still presented stops with the meeting: its own event, so every screen clears its banner the
        # way it does when the presenter stops (an archive clears one left by a meeting ended before this rule).
        events.insert(0, presentation_stopped())
    return events


def add_item(state: MeetingState, item: AgendaItem, position: int | None = None) -> list[Event]:
    _require_open(state)
    agenda = list(state.agenda)
    index = len(agenda) if position is None else max(0, min(position, len(agenda)))
    agenda.insert(index, replace(item, status="pending"))
    return [_agenda_event(state, p.AGENDA_ITEM_ADDED, agenda, item_id=item.id)]


def update_item(state: MeetingState, item_id: str, changes: dict[str, Any]) -> list[Event]:
    _require_open(state)
    current = state.item(item_id)
    unknown = set(changes) - set(ITEM_FIELDS)
    if unknown:
        raise AppError(
            "invalid_input",
            detail=f"trường không được phép: {', '.join(sorted(unknown))}",
            detail_en=f"fields not allowed: {', '.join(sorted(unknown))}",
        )
    new_item = replace(current, **changes)
    if new_item == current:
        return []
    agenda = [new_item if i.id == item_id else i for i in state.agenda]
    changed = sorted(k for k in changes if getattr(current, k) != getattr(new_item, k))
    return [_agenda_event(state, p.AGENDA_ITEM_UPDATED, agenda, item_id=item_id, fields=changed)]


def remove_item(state: MeetingState, item_id: str) -> list[Event]:
    _require_open(state)
    state.item(item_id)
    agenda = [i for i in state.agenda if i.id != item_id]
    extra: dict[str, Any] = {}
    if state.current_item_id == item_id:
        extra["current_item_id"] = None
    return [_agenda_event(state, p.AGENDA_ITEM_REMOVED, agenda, item_id=item_id, **extra)]


def reorder(state: MeetingState, item_ids: list[str]) -> list[Event]:
    _require_open(state)
    if sorted(item_ids) != sorted(i.id for i in state.agenda) or len(set(item_ids)) != len(item_ids):
        raise AppError(
            "invalid_input",
            detail="danh sách phải gồm đúng các nội dung hiện có, mỗi nội dung một lần",
            detail_en="the list must hold exactly the existing agenda items, each once",
        )
    by_id = {i.id: i for i in state.agenda}
    agenda = [by_id[i] for i in item_ids]
    if agenda == list(state.agenda):
        return []
    return [_agenda_event(state, p.AGENDA_REORDERED, agenda, item_ids=item_ids)]


def set_current(state: MeetingState, item_id: str | None) -> list[Event]:
    if state.status != IN_PROGRESS:
        raise AppError("invalid_transition", action="set_current", status=state.status)
    if item_id is not None:
        state.item(item_id)
    if item_id == state.current_item_id:
        return []
    agenda = []
    for i in state.agenda:
        if i.id == item_id:
            agenda.append(replace(i, status="current"))
        elif i.id == state.current_item_id:
            agenda.append(replace(i, status="done"))
        else:
            agenda.append(i)
    return [_agenda_event(state, p.AGENDA_CURRENT_CHANGED, agenda, item_id=item_id, current_item_id=item_id)]


def _agenda_event(state: MeetingState, event_type: str, agenda: list[AgendaItem], **facts: Any) -> Event:
    patch: dict[str, Any] = {"agenda": [i.to_dict() for i in agenda]}
    if "current_item_id" in facts:
        patch["current_item_id"] = facts.pop("current_item_id")
    return Event(event_type, {"patch": patch, **facts}, audience_for(state))
