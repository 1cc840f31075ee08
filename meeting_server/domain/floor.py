"""The floor (đăng ký phát biểu): requests to speak, the queue per agenda item, speeches and what they do to the
conference.

Pure rules, like `conference.py`: each command takes the floor and the meeting and returns the new floor with the
events for the meeting's log (one event per press, whose patch carries `floor` and, when a speech starts or
ends, the `main_site_id` and `conference` it decides, so the SFU and every screen follow it in one merge).
Speakers and askers are named by the conference's participant keys, ``user:<id>`` or ``site:<id>``.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from .. import protocol as p
from ..errors import AppError
from ..vocabulary import (
    FLOOR_GIVEN,
    FLOOR_KINDS,
    FLOOR_MANAGE,
    FLOOR_REPLY,
    FLOOR_REQUEST,
    FLOOR_REQUEST_SITE,
    FLOOR_REQUEST_STATES,
    FLOOR_WAITING,
    FLOOR_WITHDRAWN,
    IN_PROGRESS,
    SCHEDULED,
    SITE,
    SPEECH_ENDED_BY_CHAIR,
    SPEECH_ENDS,
    SPEECH_MEETING_ENDED,
    SPEECH_NEXT_SPEAKER,
    SPEECH_TIME_UP,
    USER,
    FloorKind,
    FloorRequestState,
    MeetingPermission,
    SpeechEnd,
)
from .actors import Actor
from .conference import Conference, conference_of, participant_key, split_key
from .meetings import Event, MeetingState, audience_for, capabilities, meeting_role

MAX_TOPIC = 200  # one line on the chair's queue
DEFAULT_MINUTES = 5  # a speaker's time when neither the item nor the meeting sets one
MAX_MINUTES = 120
DONE_ITEM = "done"  # an agenda item the meeting has moved past (domain.meetings.set_current)


def _invalid(vi: str, en: str) -> AppError:
    return AppError("invalid_input", detail=vi, detail_en=en)


def _at(when: str) -> datetime:
    try:
        return datetime.fromisoformat(when)
    except ValueError:
        raise _invalid(f"thời điểm không hợp lệ: {when}", f"not a time: {when}") from None


def _minutes(value: int) -> int:
    if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= MAX_MINUTES:
        raise _invalid(
            f"số phút phải từ 1 đến {MAX_MINUTES}", f"the minutes must be a whole number from 1 to {MAX_MINUTES}"
        )
    return value


@dataclass(frozen=True)
class FloorRequest:
    """One request to speak on one agenda item, by a person or for a hall."""

    id: str
    item_id: str
    speaker: str  # participant key of who will speak: user:<id>, or site:<id> for a hall
    kind: FloorKind
    requested_at: str
    requested_by: str  # participant key of who asked: the speaker, the hall's operator, or the chair's side
    topic: str = ""
    site_id: str | None = None  # where the speaker sits (a hall's own request: that hall); None when online
    status: FloorRequestState = FLOOR_WAITING
    closed_at: str | None = None  # when it was given or withdrawn
    closed_by: str | None = None

    def __post_init__(self) -> None:
        if self.kind not in FLOOR_KINDS:
            raise _invalid(f"loại đăng ký không hợp lệ: {self.kind}", f"unknown kind of request: {self.kind}")
        if self.status not in FLOOR_REQUEST_STATES:
            raise ValueError(f"floor request status {self.status!r}")
        kind, ident = split_key(self.speaker)
        split_key(self.requested_by)
        if kind == SITE and self.site_id != ident:
            raise ValueError("a hall's request sits at that hall")
        if len(self.topic) > MAX_TOPIC or "\n" in self.topic or "\r" in self.topic:
            raise _invalid(
                f"nội dung đăng ký phải là một dòng, tối đa {MAX_TOPIC} ký tự",
                f"the topic must be one line of at most {MAX_TOPIC} characters",
            )
        _at(self.requested_at)

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "item_id": self.item_id,
            "speaker": self.speaker,
            "kind": self.kind,
            "requested_at": self.requested_at,
            "requested_by": self.requested_by,
            "topic": self.topic,
            "site_id": self.site_id,
            "status": self.status,
            "closed_at": self.closed_at,
            "closed_by": self.closed_by,
        }


@dataclass(frozen=True)
class Speech:
    """One speech: who, where, on which item, for how long; and what giving the floor changed in the conference,
    so that ending it undoes exactly that."""

    id: str  # the request's id
    speaker: str
    site_id: str | None
    item_id: str
    kind: FloorKind
    planned_minutes: int
    started_at: str
    given_by: str
    extra_minutes: int = 0
    ended_at: str | None = None
    end_reason: SpeechEnd | None = None
    ended_by: str | None = None
    main_before: str | None = None  # the main site before the floor moved it (when it did)
    moved_main: bool = False
    unmuted: str | None = None  # the key the floor unmuted (it was muted before): muted again at the end
    muted_others: tuple[str, ...] = ()  # the sites "only the speaker speaks" muted: unmuted again at the end

    def __post_init__(self) -> None:
        split_key(self.speaker)
        _at(self.started_at)
        if self.end_reason is not None and self.end_reason not in SPEECH_ENDS:
            raise ValueError(f"speech end {self.end_reason!r}")
        if (self.ended_at is None) != (self.end_reason is None):
            raise ValueError("an ended speech has its end time and reason, a running one neither")

    @property
    def due_at(self) -> datetime:
        return _at(self.started_at) + timedelta(minutes=self.planned_minutes + self.extra_minutes)

    def remaining_seconds(self, now: str) -> int:
        """Seconds left on the countdown (negative once over time)."""
        return int((self.due_at - _at(now)).total_seconds())

    @property
    def duration_seconds(self) -> int | None:
        if self.ended_at is None:
            return None
        return int((_at(self.ended_at) - _at(self.started_at)).total_seconds())

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "speaker": self.speaker,
            "site_id": self.site_id,
            "item_id": self.item_id,
            "kind": self.kind,
            "planned_minutes": self.planned_minutes,
            "started_at": self.started_at,
            "given_by": self.given_by,
            "extra_minutes": self.extra_minutes,
            "due_at": self.due_at.isoformat(),
            "ended_at": self.ended_at,
            "end_reason": self.end_reason,
            "ended_by": self.ended_by,
            "duration_seconds": self.duration_seconds,
            "main_before": self.main_before,
            "moved_main": self.moved_main,
            "unmuted": self.unmuted,
            "muted_others": list(self.muted_others),
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Speech:
        fields = {k: raw[k] for k in raw if k in cls.__dataclass_fields__}
        fields["muted_others"] = tuple(fields.get("muted_others") or ())
        return cls(**fields)


@dataclass(frozen=True)
class Floor:
    requests: tuple[FloorRequest, ...] = ()
    speeches: tuple[Speech, ...] = ()  # every speech, in the order given; at most one (the last) still running
    default_minutes: int = DEFAULT_MINUTES  # the meeting's time per speaker
    item_minutes: dict[str, int] = field(default_factory=dict)  # agenda item id -> its time per speaker

    def __post_init__(self) -> None:
        if sum(1 for s in self.speeches if s.ended_at is None) > 1:
            raise ValueError("one speech at a time")

    @property
    def current(self) -> Speech | None:
        last = self.speeches[-1] if self.speeches else None
        return last if last is not None and last.ended_at is None else None

    def request(self, request_id: str) -> FloorRequest:
        for r in self.requests:
            if r.id == request_id:
                return r
        raise AppError("not_found", what="floor_request")

    def minutes_for(self, item_id: str) -> int:
        return self.item_minutes.get(item_id, self.default_minutes)

    def to_dict(self) -> dict[str, Any]:
        return {
            "requests": [r.to_dict() for r in self.requests],
            "speeches": [s.to_dict() for s in self.speeches],
            "default_minutes": self.default_minutes,
            "item_minutes": dict(self.item_minutes),
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any] | None) -> Floor:
        raw = raw or {}
        return cls(
            requests=tuple(
                FloorRequest(**{k: r[k] for k in r if k in FloorRequest.__dataclass_fields__})
                for r in raw.get("requests") or ()
            ),
            speeches=tuple(Speech.from_dict(s) for s in raw.get("speeches") or ()),
            default_minutes=int(raw.get("default_minutes", DEFAULT_MINUTES)),
            item_minutes=dict(raw.get("item_minutes") or {}),
        )


# ---- who is asking ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Asker:
    """Who presses the button: their participant key, their meeting permissions and the halls they speak for."""

    key: str
    caps: frozenset[MeetingPermission]
    halls: frozenset[str] = frozenset()  # site ids: a room PC's own, or the sites of a site operator's unit


def asker_for(actor: Actor, state: MeetingState) -> Asker:
    role = meeting_role(actor, state)
    caps = capabilities(actor, role)
    if actor.kind == SITE:
        halls = frozenset({actor.id}) if role is not None else frozenset()
    elif FLOOR_REQUEST_SITE in caps and actor.unit_id is not None:
        halls = frozenset(s["id"] for s in state.sites if s.get("unit_id") == actor.unit_id)
    else:
        halls = frozenset()
    return Asker(participant_key(actor), caps, halls)


def may_ask_for(asker: Asker, speaker: str) -> bool:
    """A delegate asks for themselves, a hall's room PC or operator for that hall, the chair's side for anyone."""
    if FLOOR_MANAGE in asker.caps:
        return True
    kind, ident = split_key(speaker)
    if kind == USER:
        return speaker == asker.key and FLOOR_REQUEST in asker.caps
    return FLOOR_REQUEST_SITE in asker.caps and ident in asker.halls


def may_withdraw(asker: Asker, request: FloorRequest) -> bool:
    return FLOOR_MANAGE in asker.caps or (request.requested_by == asker.key or may_ask_for(asker, request.speaker))


def _require_manager(asker: Asker) -> None:
    if FLOOR_MANAGE not in asker.caps:
        raise AppError("forbidden")


# ---- the queue ----------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class QueueEntry:
    position: int  # 1 is next
    request: FloorRequest
    waiting_seconds: int

    def to_dict(self) -> dict[str, Any]:
        return {"position": self.position, "waiting_seconds": self.waiting_seconds, **self.request.to_dict()}


def _queue_order(r: FloorRequest) -> tuple[bool, datetime, str]:
    return (r.kind != FLOOR_REPLY, _at(r.requested_at), r.id)


def queue(floor: Floor, item_id: str, now: str) -> list[QueueEntry]:
    """The waiting requests on one item: replies (tranh luận, trả lời) first, each group in order of arrival."""
    waiting = sorted(
        (r for r in floor.requests if r.item_id == item_id and r.status == FLOOR_WAITING), key=_queue_order
    )
    at = _at(now)
    return [QueueEntry(i, r, max(0, int((at - _at(r.requested_at)).total_seconds()))) for i, r in enumerate(waiting, 1)]


def place_in_queue(floor: Floor, speaker: str, item_id: str, now: str) -> int | None:
    """Where this speaker stands in the item's queue (their tablet shows it), or None when not waiting."""
    return next((e.position for e in queue(floor, item_id, now) if e.request.speaker == speaker), None)


# ---- commands -----------------------------------------------------------------------------------------------------


def _event(state: MeetingState, event_type: str, floor: Floor, extra_patch: dict[str, Any], **facts: Any) -> Event:
    return Event(event_type, {"patch": {"floor": floor.to_dict(), **extra_patch}, **facts}, audience_for(state))


def _require_open_for_requests(state: MeetingState, action: str) -> None:
    if state.status not in (SCHEDULED, IN_PROGRESS):
        raise AppError("invalid_transition", action=action, status=state.status)


def _require_live(state: MeetingState, action: str) -> None:
    if state.status != IN_PROGRESS:
        raise AppError("invalid_transition", action=action, status=state.status)


def request_floor(
    floor: Floor,
    state: MeetingState,
    asker: Asker,
    *,
    request_id: str,
    speaker: str,
    item_id: str,
    kind: FloorKind,
    at: str,
    topic: str = "",
    site_id: str | None = None,
) -> tuple[Floor, list[Event]]:
    """Ask to speak (for oneself, for one's hall, or, from the chair's side, for anyone) on an agenda item.

    One open request per speaker per item: a second is refused (withdraw the first to change its kind)."""
    _require_open_for_requests(state, "request_floor")
    if not may_ask_for(asker, speaker):
        raise AppError("forbidden")
    item = state.item(item_id)
    if item.status == DONE_ITEM:
        raise _invalid(
            "nội dung họp này đã kết thúc, không nhận đăng ký phát biểu nữa",
            "this agenda item is over and takes no more requests to speak",
        )
    kind_of, ident = split_key(speaker)
    where = ident if kind_of == SITE else site_id
    if where is not None and where not in state.site_ids:
        raise AppError("not_found", what=SITE)
    if any(r.speaker == speaker and r.item_id == item_id and r.status == FLOOR_WAITING for r in floor.requests):
        raise AppError(
            "conflict",
            detail="người (điểm cầu) này đã đăng ký phát biểu ở nội dung này và đang chờ",
            detail_en="this speaker already has a waiting request on this agenda item",
        )
    if any(r.id == request_id for r in floor.requests):
        raise AppError("conflict", detail=f"mã đăng ký {request_id}", detail_en=f"request id {request_id}")
    request = FloorRequest(
        id=request_id,
        item_id=item_id,
        speaker=speaker,
        kind=kind,
        requested_at=at,
        requested_by=asker.key,
        topic=topic.strip(),
        site_id=where,
    )
    new = replace(floor, requests=(*floor.requests, request))
    return new, [_event(state, p.FLOOR_REQUESTED, new, {}, request_id=request_id, speaker=speaker, item_id=item_id)]


def _close_request(floor: Floor, request_id: str, status: FloorRequestState, at: str, by: str) -> Floor:
    requests = tuple(
        replace(r, status=status, closed_at=at, closed_by=by) if r.id == request_id else r for r in floor.requests
    )
    return replace(floor, requests=requests)


def withdraw(floor: Floor, state: MeetingState, asker: Asker, request_id: str, at: str) -> tuple[Floor, list[Event]]:
    """The speaker (or who asked for them) withdraws a waiting request; the chair's side may withdraw any."""
    request = floor.request(request_id)
    if not may_withdraw(asker, request):
        raise AppError("forbidden")
    if request.status != FLOOR_WAITING:
        return floor, []
    new = _close_request(floor, request_id, FLOOR_WITHDRAWN, at, asker.key)
    return new, [_event(state, p.FLOOR_WITHDRAWN, new, {}, request_id=request_id, speaker=request.speaker)]


def set_minutes(
    floor: Floor, state: MeetingState, asker: Asker, minutes: int, item_id: str | None = None
) -> tuple[Floor, list[Event]]:
    """The time per speaker: for the whole meeting (item_id None) or for one agenda item."""
    _require_manager(asker)
    _minutes(minutes)
    if item_id is None:
        new = replace(floor, default_minutes=minutes)
    else:
        state.item(item_id)
        new = replace(floor, item_minutes={**floor.item_minutes, item_id: minutes})
    if new == floor:
        return floor, []
    return new, [_event(state, p.FLOOR_MINUTES_SET, new, {}, item_id=item_id, minutes=minutes)]


@dataclass(frozen=True)
class ConferenceChange:
    """What a speech does to the conference, as data: the main site and who is muted afterwards."""

    main_site_id: str | None
    muted: tuple[str, ...]

    def patch(self, state: MeetingState) -> dict[str, Any]:
        """The snapshot fields this changes (nothing when it changes nothing)."""
        out: dict[str, Any] = {}
        if self.main_site_id != state.main_site_id:
            out["main_site_id"] = self.main_site_id
        conf = conference_of(state)
        if self.muted != conf.muted:
            out["conference"] = replace(conf, muted=self.muted).to_dict()
        return out


def _with_change(state: MeetingState, change: ConferenceChange) -> MeetingState:
    conf: Conference = conference_of(state)
    return replace(state, main_site_id=change.main_site_id, conference=replace(conf, muted=change.muted).to_dict())


def _end(
    floor: Floor, state: MeetingState, at: str, reason: SpeechEnd, by: str | None
) -> tuple[Floor, Speech, ConferenceChange]:
    """End the running speech and undo what giving it did, unless the chair changed that since: the main site
    goes back if it is still the speaker's, the speaker is muted again if the floor unmuted them, the sites
    "only the speaker speaks" muted are unmuted again."""
    speech = floor.current
    if speech is None:
        raise AppError("invalid_transition", action="end_speech", status="closed")
    ended = replace(speech, ended_at=at, end_reason=reason, ended_by=by)
    if _at(at) < _at(speech.started_at):
        raise _invalid("giờ kết thúc phải sau giờ bắt đầu", "the end time must be after the start time")
    main = state.main_site_id
    if speech.moved_main and main == speech.site_id:
        main = speech.main_before
    muted = set(conference_of(state).muted) - set(speech.muted_others)
    if speech.unmuted is not None:
        muted.add(speech.unmuted)
    new = replace(floor, speeches=(*floor.speeches[:-1], ended))
    return new, ended, ConferenceChange(main, tuple(sorted(muted)))


def give_floor(
    floor: Floor,
    state: MeetingState,
    asker: Asker,
    request_id: str,
    at: str,
    only_speaker: bool = False,
) -> tuple[Floor, Speech, ConferenceChange, list[Event]]:
    """The chair's one press: the request's speaker has the floor.

    Their site becomes the main site and is unmuted (a person with no site: their own key is unmuted); with
    `only_speaker` every other site is muted. A speech still running ends first (`next_speaker`), its changes
    undone, so ending the new one brings back the layout from before either."""
    _require_manager(asker)
    _require_live(state, "give_floor")
    request = floor.request(request_id)
    if request.status != FLOOR_WAITING:
        raise AppError("invalid_transition", action="give_floor", status="closed")
    original = state  # what every client holds now: the event's patch is against this
    ended_facts: dict[str, Any] = {}
    if floor.current is not None:
        floor, previous, undo = _end(floor, state, at, SPEECH_NEXT_SPEAKER, asker.key)
        state = _with_change(state, undo)
        ended_facts = {"ended_speech_id": previous.id}
    before = state
    conf = conference_of(state)
    site_key = f"{SITE}:{request.site_id}" if request.site_id is not None else None
    voice = site_key or request.speaker  # the key whose microphone is opened
    main = request.site_id if request.site_id is not None else state.main_site_id
    muted = set(conf.muted)
    unmuted = voice if voice in muted else None
    muted.discard(voice)
    others: tuple[str, ...] = ()
    if only_speaker:
        others = tuple(sorted(k for i in state.site_ids if (k := f"{SITE}:{i}") != voice and k not in muted))
        muted.update(others)
    change = ConferenceChange(main, tuple(sorted(muted)))
    speech = Speech(
        id=request.id,
        speaker=request.speaker,
        site_id=request.site_id,
        item_id=request.item_id,
        kind=request.kind,
        planned_minutes=floor.minutes_for(request.item_id),
        started_at=at,
        given_by=asker.key,
        main_before=before.main_site_id,
        moved_main=main != before.main_site_id,
        unmuted=unmuted,
        muted_others=others,
    )
    new = replace(_close_request(floor, request.id, FLOOR_GIVEN, at, asker.key), speeches=(*floor.speeches, speech))
    event = _event(
        original,
        p.FLOOR_GIVEN,
        new,
        change.patch(original),
        speech_id=speech.id,
        speaker=speech.speaker,
        site_id=speech.site_id,
        only_speaker=only_speaker,
        **ended_facts,
    )
    return new, speech, change, [event]


def extend(floor: Floor, state: MeetingState, asker: Asker, minutes: int) -> tuple[Floor, list[Event]]:
    _require_manager(asker)
    _minutes(minutes)
    speech = floor.current
    if speech is None:
        raise AppError("invalid_transition", action="extend_speech", status="closed")
    longer = replace(speech, extra_minutes=speech.extra_minutes + minutes)
    new = replace(floor, speeches=(*floor.speeches[:-1], longer))
    return new, [_event(state, p.FLOOR_EXTENDED, new, {}, speech_id=speech.id, minutes=minutes)]


def end_speech(
    floor: Floor, state: MeetingState, asker: Asker, at: str
) -> tuple[Floor, Speech, ConferenceChange, list[Event]]:
    """The chair ends the speech: the layout and the microphones go back (see `_end`)."""
    _require_manager(asker)
    new, ended, change = _end(floor, state, at, SPEECH_ENDED_BY_CHAIR, asker.key)
    facts = {"speech_id": ended.id, "reason": ended.end_reason}
    return new, ended, change, [_event(state, p.FLOOR_ENDED, new, change.patch(state), **facts)]


def end_with_meeting(floor: Floor, state: MeetingState, asker: Asker, at: str) -> tuple[Floor, list[Event]]:
    """The meeting is ending: a speech still running ends first (the layout and microphones go back), so the
    record of speeches is closed and no timer is left to end it later; nothing when no one is speaking. Whoever
    may end the meeting may do this (the meeting's action checked that)."""
    if floor.current is None:
        return floor, []
    new, ended, change = _end(floor, state, at, SPEECH_MEETING_ENDED, asker.key)
    facts = {"speech_id": ended.id, "reason": ended.end_reason}
    return new, [_event(state, p.FLOOR_ENDED, new, change.patch(state), **facts)]


def time_up(floor: Floor, state: MeetingState, now: str) -> tuple[Floor, Speech | None, list[Event]]:
    """The server's clock ends a speech whose time (with its extensions) has run out; nothing before that."""
    speech = floor.current
    if speech is None or _at(now) < speech.due_at:
        return floor, None, []
    new, ended, change = _end(floor, state, now, SPEECH_TIME_UP, None)
    facts = {"speech_id": ended.id, "reason": ended.end_reason}
    return new, ended, [_event(state, p.FLOOR_ENDED, new, change.patch(state), **facts)]


# ---- for the minutes ----------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class SpeakingTime:
    by_speaker: dict[str, int]  # participant key -> seconds spoken
    by_site: dict[str, int]  # site id -> seconds spoken there (speeches with no site are left out)
    speeches: dict[str, int]  # participant key -> how many speeches


def speaking_time(speeches: Iterable[Speech], item_id: str | None = None) -> SpeakingTime:
    """Speaking time of ended speeches, per speaker and per site, for the whole meeting or one agenda item."""
    by_speaker: dict[str, int] = {}
    by_site: dict[str, int] = {}
    count: dict[str, int] = {}
    for s in speeches:
        if s.duration_seconds is None or (item_id is not None and s.item_id != item_id):
            continue
        by_speaker[s.speaker] = by_speaker.get(s.speaker, 0) + s.duration_seconds
        count[s.speaker] = count.get(s.speaker, 0) + 1
        if s.site_id is not None:
            by_site[s.site_id] = by_site.get(s.site_id, 0) + s.duration_seconds
    return SpeakingTime(by_speaker, by_site, count)
