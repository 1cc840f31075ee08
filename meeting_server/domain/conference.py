"""The conference part of a meeting: who is main, who is muted or removed, the lock, recording and roll call.

These are decisions, so they live here and travel as events in the meeting's log; `media/` only enforces them
(it applies the same patches any client applies). Participants are named by a key, ``site:<id>`` for a hall's
room PC and ``user:<id>`` for a person's browser, so one rule covers both.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from typing import Any

from .. import protocol as p
from ..errors import AppError
from ..vocabulary import (
    ACTOR_KINDS,
    CONFERENCE_CONSOLE,
    CONFERENCE_PUBLISH,
    CONSOLE,
    DISPLAY,
    IN_PROGRESS,
    SITE,
    VIEWS,
    role_grants,
)
from .actors import Actor
from .meetings import Event, MeetingState, audience_for


def participant_key(actor: Actor) -> str:
    return f"{actor.kind}:{actor.id}"


def split_key(key: str) -> tuple[str, str]:
    kind, _, ident = key.partition(":")
    if kind not in ACTOR_KINDS or not ident:
        raise AppError(
            "invalid_input", detail=f"mã người tham gia không hợp lệ: {key}", detail_en=f"not a participant key: {key}"
        )
    return kind, ident


@dataclass(frozen=True)
class RollCall:
    id: str
    started_at: str
    open: bool = True
    answered: dict[str, str] = field(default_factory=dict)  # participant key -> when

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "started_at": self.started_at, "open": self.open, "answered": dict(self.answered)}


@dataclass(frozen=True)
class Recording:
    id: str
    started_at: str
    started_by: str

    def to_dict(self) -> dict[str, Any]:
        return {"id": self.id, "started_at": self.started_at, "started_by": self.started_by}


@dataclass(frozen=True)
class Conference:
    muted: tuple[str, ...] = ()
    locked: bool = False
    locked_with: tuple[str, ...] = ()  # who was in when the chair locked: they may come back after a drop
    removed: tuple[str, ...] = ()
    recording: Recording | None = None
    roll_call: RollCall | None = None

    def to_dict(self) -> dict[str, Any]:
        return {
            "muted": list(self.muted),
            "locked": self.locked,
            "locked_with": list(self.locked_with),
            "removed": list(self.removed),
            "recording": self.recording.to_dict() if self.recording else None,
            "roll_call": self.roll_call.to_dict() if self.roll_call else None,
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> Conference:
        raw = raw or {}
        rec, roll = raw.get("recording"), raw.get("roll_call")
        return cls(
            muted=tuple(raw.get("muted") or ()),
            locked=bool(raw.get("locked", False)),
            locked_with=tuple(raw.get("locked_with") or ()),
            removed=tuple(raw.get("removed") or ()),
            recording=Recording(**rec) if rec else None,
            roll_call=RollCall(
                id=roll["id"],
                started_at=roll["started_at"],
                open=roll.get("open", True),
                answered=dict(roll.get("answered") or {}),
            )
            if roll
            else None,
        )


def conference_of(state: MeetingState) -> Conference:
    return Conference.from_dict(state.conference)


# ---- admission: decided here, enforced by media/ --------------------------------------------------------


def check_admission(state: MeetingState, key: str, role: str, view: str, connected: frozenset[str]) -> bool:
    """Whether this participant may connect its media now; returns whether it may also publish.

    Raises the error the person sees: a meeting not under way, a removed participant, a locked meeting
    (unless they were in when it was locked, or are connected already, e.g. a second device or a reconnect).
    """
    if view not in VIEWS:
        raise AppError("invalid_input", detail=f"chế độ xem không hợp lệ: {view}", detail_en=f"unknown view: {view}")
    if state.status != IN_PROGRESS:
        raise AppError("conference_not_live", status=state.status)
    may = role_grants(role)
    if view == CONSOLE and CONFERENCE_CONSOLE not in may:
        raise AppError("forbidden")
    conf = conference_of(state)
    if key in conf.removed:
        raise AppError("participant_removed")
    if conf.locked and key not in conf.locked_with and key not in connected and CONFERENCE_CONSOLE not in may:
        raise AppError("conference_locked")
    return CONFERENCE_PUBLISH in may and view != DISPLAY


def _require_live(state: MeetingState) -> None:
    if state.status != IN_PROGRESS:
        raise AppError("conference_not_live", status=state.status)


def _require_participant(state: MeetingState, key: str) -> None:
    kind, ident = split_key(key)
    if kind == SITE and ident not in state.site_ids:
        raise AppError("not_found", what="site")


def _event(state: MeetingState, event_type: str, conf: Conference, **facts: Any) -> Event:
    return Event(event_type, {"patch": {"conference": conf.to_dict()}, **facts}, audience_for(state))


# ---- commands -------------------------------------------------------------------------------------------


def set_main_site(state: MeetingState, site_id: str | None) -> list[Event]:
    """The main site is what every wall display shows big; it must be one of the meeting's sites."""
    _require_live(state)
    if site_id is not None and site_id not in state.site_ids:
        raise AppError("not_found", what="site")
    if site_id == state.main_site_id:
        return []
    return [
        Event(
            p.CONFERENCE_MAIN_SITE_CHANGED,
            {"patch": {"main_site_id": site_id}, "site_id": site_id},
            audience_for(state),
        )
    ]


def set_muted(state: MeetingState, key: str, muted: bool) -> list[Event]:
    _require_live(state)
    _require_participant(state, key)
    conf = conference_of(state)
    if (key in conf.muted) == muted:
        return []
    new_muted = tuple(sorted({*conf.muted, key})) if muted else tuple(k for k in conf.muted if k != key)
    event_type = p.CONFERENCE_MUTED if muted else p.CONFERENCE_UNMUTED
    return [_event(state, event_type, replace(conf, muted=new_muted), participant=key)]


def mute_sites(state: MeetingState) -> list[Event]:
    """Mute every site but the main one (the hall that has the floor): "Tắt tiếng tất cả xã", one event that
    patches `muted` as the single mute does, so the SFU, the room PCs and every console follow it the same way."""
    _require_live(state)
    conf = conference_of(state)
    keys = [f"{SITE}:{i}" for i in state.site_ids if i != state.main_site_id and f"{SITE}:{i}" not in conf.muted]
    if not keys:
        return []
    muted = tuple(sorted({*conf.muted, *keys}))
    return [_event(state, p.CONFERENCE_MUTED, replace(conf, muted=muted), participants=keys)]


def set_locked(state: MeetingState, locked: bool, connected: frozenset[str]) -> list[Event]:
    _require_live(state)
    conf = conference_of(state)
    if conf.locked == locked:
        return []
    if locked:
        new = replace(conf, locked=True, locked_with=tuple(sorted(connected)))
        return [_event(state, p.CONFERENCE_LOCKED, new, participants=len(connected))]
    return [_event(state, p.CONFERENCE_UNLOCKED, replace(conf, locked=False, locked_with=()))]


def remove_participant(state: MeetingState, key: str) -> list[Event]:
    """Removed participants are cut off at once and refused until readmitted; main stays a decision of its own."""
    _require_live(state)
    _require_participant(state, key)
    conf = conference_of(state)
    if key in conf.removed:
        return []
    new = replace(
        conf, removed=tuple(sorted({*conf.removed, key})), locked_with=tuple(k for k in conf.locked_with if k != key)
    )
    return [_event(state, p.CONFERENCE_PARTICIPANT_REMOVED, new, participant=key)]


def readmit_participant(state: MeetingState, key: str) -> list[Event]:
    _require_live(state)
    conf = conference_of(state)
    if key not in conf.removed:
        return []
    new = replace(
        conf,
        removed=tuple(k for k in conf.removed if k != key),
        locked_with=tuple(sorted({*conf.locked_with, key})) if conf.locked else conf.locked_with,
    )
    return [_event(state, p.CONFERENCE_PARTICIPANT_READMITTED, new, participant=key)]


def start_recording(state: MeetingState, recording_id: str, at: str, by: str) -> list[Event]:
    _require_live(state)
    conf = conference_of(state)
    if conf.recording is not None:
        return []
    new = replace(conf, recording=Recording(id=recording_id, started_at=at, started_by=by))
    return [_event(state, p.CONFERENCE_RECORDING_STARTED, new, recording_id=recording_id)]


def stop_recording(state: MeetingState, at: str) -> list[Event]:
    conf = conference_of(state)
    if conf.recording is None:
        return []
    return [
        _event(
            state,
            p.CONFERENCE_RECORDING_STOPPED,
            replace(conf, recording=None),
            recording_id=conf.recording.id,
            stopped_at=at,
        )
    ]


def start_roll_call(state: MeetingState, roll_call_id: str, at: str) -> list[Event]:
    """A new roll call replaces the previous one: the chair asks again, every site answers again."""
    _require_live(state)
    new = replace(conference_of(state), roll_call=RollCall(id=roll_call_id, started_at=at))
    return [_event(state, p.CONFERENCE_ROLL_CALL_STARTED, new, roll_call_id=roll_call_id)]


def answer_roll_call(state: MeetingState, key: str, roll_call_id: str, at: str) -> list[Event]:
    _require_live(state)
    conf = conference_of(state)
    roll = conf.roll_call
    if roll is None or roll.id != roll_call_id:
        raise AppError("not_found", what="roll_call")
    if not roll.open:
        raise AppError("invalid_transition", action="answer_roll_call", status="closed")
    if key in roll.answered:
        return []
    new = replace(conf, roll_call=replace(roll, answered={**roll.answered, key: at}))
    return [_event(state, p.CONFERENCE_ROLL_CALL_ANSWERED, new, roll_call_id=roll.id, participant=key)]


def close_roll_call(state: MeetingState) -> list[Event]:
    conf = conference_of(state)
    if conf.roll_call is None or not conf.roll_call.open:
        return []
    new = replace(conf, roll_call=replace(conf.roll_call, open=False))
    return [
        _event(
            state,
            p.CONFERENCE_ROLL_CALL_CLOSED,
            new,
            roll_call_id=conf.roll_call.id,
            answered=len(conf.roll_call.answered),
        )
    ]
