"""Names and payload shapes of the live channel, shared by the server and the room client.

A leaf module on purpose: `room_client` imports it without pulling in the server, so it may depend only on
the standard library, pydantic and `vocabulary` (itself standard library only). `docs/protocol.md` documents every
name here; a test keeps them in step.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from .vocabulary import MEETING_ROLES as MEETING_ROLES  # who may hold which part; the audience vocabulary
from .vocabulary import ORGANIZER_ROLES as ORGANIZER_ROLES
from .vocabulary import SITE, ActorKind, View

PROTOCOL_VERSION = 1
SOCKETIO_PATH = "socket.io"

# Client -> server
JOIN = "meeting:join"
SYNC = "meeting:sync"
LEAVE = "meeting:leave"
COMMAND = "command"
PING = "ping"
MEDIA_JOIN = "media:join"
MEDIA_LEAVE = "media:leave"
MEDIA_PROBE = "media:probe"
CLIENT_EVENTS = (JOIN, SYNC, LEAVE, COMMAND, PING, MEDIA_JOIN, MEDIA_LEAVE, MEDIA_PROBE)

# Server -> client
EVENT = "meeting:event"
SEQ = "meeting:seq"  # sequence numbers used by events this socket will not receive: not a hole to sync
PRESENCE = "presence"
REVOKED = "session:revoked"
MEETINGS_CHANGED = "meetings:changed"
MEDIA_LAYOUT = "media:layout"
MEDIA_STATS = "media:stats"
MEDIA_CLOSED = "media:closed"
NOTICES_CHANGED = "notices:changed"  # a person has new in-app notices (actions/mail.py): read GET /api/notices
SERVER_EVENTS = (
    EVENT,
    SEQ,
    PRESENCE,
    REVOKED,
    MEETINGS_CHANGED,
    MEDIA_LAYOUT,
    MEDIA_STATS,
    MEDIA_CLOSED,
    NOTICES_CHANGED,
)

# Event log entry types.
MEETING_CREATED = "meeting.created"
MEETING_UPDATED = "meeting.updated"
MEETING_SCHEDULED = "meeting.scheduled"
MEETING_UNSCHEDULED = "meeting.unscheduled"
MEETING_STARTED = "meeting.started"
MEETING_ENDED = "meeting.ended"
MEETING_ARCHIVED = "meeting.archived"
MEETING_CANCELLED = "meeting.cancelled"
AGENDA_ITEM_ADDED = "agenda.item_added"
AGENDA_ITEM_UPDATED = "agenda.item_updated"
AGENDA_ITEM_REMOVED = "agenda.item_removed"
AGENDA_REORDERED = "agenda.reordered"
AGENDA_CURRENT_CHANGED = "agenda.current_changed"
CONFERENCE_MAIN_SITE_CHANGED = "conference.main_site_changed"
CONFERENCE_MUTED = "conference.muted"
CONFERENCE_UNMUTED = "conference.unmuted"
CONFERENCE_LOCKED = "conference.locked"
CONFERENCE_UNLOCKED = "conference.unlocked"
CONFERENCE_PARTICIPANT_REMOVED = "conference.participant_removed"
CONFERENCE_PARTICIPANT_READMITTED = "conference.participant_readmitted"
CONFERENCE_RECORDING_STARTED = "conference.recording_started"
CONFERENCE_RECORDING_STOPPED = "conference.recording_stopped"
CONFERENCE_ROLL_CALL_STARTED = "conference.roll_call_started"
CONFERENCE_ROLL_CALL_ANSWERED = "conference.roll_call_answered"
CONFERENCE_ROLL_CALL_CLOSED = "conference.roll_call_closed"
PAPER_ADDED = "paper.added"
PAPER_VERSION_ADDED = "paper.version_added"
PAPER_UPDATED = "paper.updated"
PAPER_PUBLISHED = "paper.published"
PAPER_WITHDRAWN = "paper.withdrawn"
PAPER_PRESENTED = "paper.presented"
PAPER_PRESENTATION_STOPPED = "paper.presentation_stopped"
PAPER_OPENED = "paper.opened"
ANNOTATION_SAVED = "annotation.saved"
ANNOTATION_DELETED = "annotation.deleted"
COMMENT_ADDED = "comment.added"
COMMENT_UPDATED = "comment.updated"
# votes (biểu quyết) and proxies (ủy quyền): actions/votes.py
VOTE_PREPARED = "vote.prepared"
VOTE_EDITED = "vote.edited"
VOTE_OPENED = "vote.opened"
VOTE_BALLOT_CAST = "vote.ballot_cast"  # a named vote's ballot (the person and their choices)
VOTE_TURNOUT = "vote.turnout"  # a secret vote: who voted, never a choice
VOTE_HALL_ENTERED = "vote.hall_entered"
VOTE_CLOSED_EVENT = "vote.closed"  # with the result: the only place a secret vote's counts enter the log
VOTE_CANCELLED = "vote.cancelled"
PROXY_AUTHORISED = "proxy.authorised"
PROXY_WITHDRAWN = "proxy.withdrawn"
# ---- attendance ----
ATTENDANCE_RECORDED = "attendance.recorded"
ATTENDANCE_CORRECTED = "attendance.corrected"
ATTENDANCE_CHECKIN_KEY_RENEWED = "attendance.checkin_key_renewed"  # never the key: the QR screens fetch the new code
# the floor (domain/floor.py): each patches `floor`; giving and ending also patch `main_site_id` and `conference`
FLOOR_REQUESTED = "floor.requested"
FLOOR_WITHDRAWN = "floor.withdrawn"
FLOOR_GIVEN = "floor.given"
FLOOR_EXTENDED = "floor.extended"
FLOOR_ENDED = "floor.ended"
FLOOR_MINUTES_SET = "floor.minutes_set"
# answers to the invitation (domain/answers.py): answered patches `answers` (organisers only: a reason is theirs);
# reminded carries {"person_ids": [...]} for the mail outbox
INVITATION_ANSWERED = "invitation.answered"
INVITATION_REMINDED = "invitation.reminded"
# the record (actions/record.py): a document was created, a text saved, its status changed or a comment added;
# {"document_id", "kind", "status", "version", …}: the page reads GET /api/record/{id} (organisers only)
RECORD_CHANGED = "record.changed"
EVENT_TYPES = (
    MEETING_CREATED,
    MEETING_UPDATED,
    MEETING_SCHEDULED,
    MEETING_UNSCHEDULED,
    MEETING_STARTED,
    MEETING_ENDED,
    MEETING_ARCHIVED,
    MEETING_CANCELLED,
    AGENDA_ITEM_ADDED,
    AGENDA_ITEM_UPDATED,
    AGENDA_ITEM_REMOVED,
    AGENDA_REORDERED,
    AGENDA_CURRENT_CHANGED,
    CONFERENCE_MAIN_SITE_CHANGED,
    CONFERENCE_MUTED,
    CONFERENCE_UNMUTED,
    CONFERENCE_LOCKED,
    CONFERENCE_UNLOCKED,
    CONFERENCE_PARTICIPANT_REMOVED,
    CONFERENCE_PARTICIPANT_READMITTED,
    CONFERENCE_RECORDING_STARTED,
    CONFERENCE_RECORDING_STOPPED,
    CONFERENCE_ROLL_CALL_STARTED,
    CONFERENCE_ROLL_CALL_ANSWERED,
    CONFERENCE_ROLL_CALL_CLOSED,
    PAPER_ADDED,
    PAPER_VERSION_ADDED,
    PAPER_UPDATED,
    PAPER_PUBLISHED,
    PAPER_WITHDRAWN,
    PAPER_PRESENTED,
    PAPER_PRESENTATION_STOPPED,
    PAPER_OPENED,
    ANNOTATION_SAVED,
    ANNOTATION_DELETED,
    COMMENT_ADDED,
    COMMENT_UPDATED,
    FLOOR_REQUESTED,
    FLOOR_WITHDRAWN,
    FLOOR_GIVEN,
    FLOOR_EXTENDED,
    FLOOR_ENDED,
    FLOOR_MINUTES_SET,
    ATTENDANCE_RECORDED,
    ATTENDANCE_CORRECTED,
    ATTENDANCE_CHECKIN_KEY_RENEWED,
    VOTE_PREPARED,
    VOTE_EDITED,
    VOTE_OPENED,
    VOTE_BALLOT_CAST,
    VOTE_TURNOUT,
    VOTE_HALL_ENTERED,
    VOTE_CLOSED_EVENT,
    VOTE_CANCELLED,
    PROXY_AUTHORISED,
    PROXY_WITHDRAWN,
    INVITATION_ANSWERED,
    INVITATION_REMINDED,
    RECORD_CHANGED,
)
# Made by domain/attendance.py and recorded by actions/attendance.py (they are in EVENT_TYPES).
ATTENDANCE_EVENT_TYPES = (ATTENDANCE_RECORDED, ATTENDANCE_CORRECTED, ATTENDANCE_CHECKIN_KEY_RENEWED)
# Made by domain/floor.py and recorded by actions/floor.py (they are in EVENT_TYPES).
# Made by domain/answers.py and recorded by actions/answers.py (they are in EVENT_TYPES).
INVITATION_EVENT_TYPES = (INVITATION_ANSWERED, INVITATION_REMINDED)
FLOOR_EVENT_TYPES = (FLOOR_REQUESTED, FLOOR_WITHDRAWN, FLOOR_GIVEN, FLOOR_EXTENDED, FLOOR_ENDED, FLOOR_MINUTES_SET)


COMMAND_ID_PATTERN = r"^[A-Za-z0-9_.:-]{8,100}$"
ID_PATTERN = r"^[a-z]{1,3}_[A-Za-z0-9]{6,40}$"


class _Strict(BaseModel):
    model_config = ConfigDict(extra="forbid", strict=True)


class JoinPayload(_Strict):
    meeting_id: str = Field(pattern=ID_PATTERN)
    after_seq: int = Field(default=0, ge=0)


class SyncPayload(JoinPayload):
    pass


class LeavePayload(_Strict):
    meeting_id: str = Field(pattern=ID_PATTERN)


class CommandPayload(_Strict):
    command_id: str = Field(pattern=COMMAND_ID_PATTERN)
    action: str = Field(min_length=1, max_length=64)
    args: dict[str, Any] = Field(default_factory=dict)


class PingPayload(_Strict):
    pass


class EventMessage(BaseModel):
    """One event log entry as it travels to clients."""

    model_config = ConfigDict(extra="ignore")

    meeting_id: str
    seq: int
    type: str
    data: dict[str, Any]
    at: str
    actor_id: str | None = None


class PresenceEntry(BaseModel):
    model_config = ConfigDict(extra="ignore")

    kind: ActorKind
    id: str
    name: str
    role: str
    devices: int = 1


MAX_SDP_CHARS = 200_000
MID_PATTERN = r"^[A-Za-z0-9_.-]{1,32}$"


class MediaPublish(_Strict):
    """Which of the offer's sending transceivers (by mid) carry the microphone, the camera and its small copy."""

    audio: str | None = Field(default=None, pattern=MID_PATTERN)
    video: str | None = Field(default=None, pattern=MID_PATTERN)
    video_small: str | None = Field(default=None, pattern=MID_PATTERN)


class MediaReceive(_Strict):
    """The offer's receive-only transceivers (by mid): the slots the server fills with other participants."""

    audio: list[str] = Field(default_factory=list, max_length=8)
    video: list[str] = Field(default_factory=list, max_length=100)


class MediaJoinPayload(_Strict):
    meeting_id: str = Field(pattern=ID_PATTERN)
    view: View = SITE
    type: Literal["offer"] = "offer"
    sdp: str = Field(min_length=10, max_length=MAX_SDP_CHARS)
    publish: MediaPublish = Field(default_factory=MediaPublish)
    receive: MediaReceive = Field(default_factory=MediaReceive)


class MediaProbePayload(_Strict):
    """`room-client check`: a loopback call with the server alone, to measure the link before the meeting day."""

    type: Literal["offer"] = "offer"
    sdp: str = Field(min_length=10, max_length=MAX_SDP_CHARS)
    publish: MediaPublish = Field(default_factory=MediaPublish)
    receive: MediaReceive = Field(default_factory=MediaReceive)


class MediaLeavePayload(_Strict):
    meeting_id: str = Field(pattern=ID_PATTERN)


class MediaSlot(BaseModel):
    """What one receive slot shows now (`media:layout`)."""

    model_config = ConfigDict(extra="ignore")

    mid: str
    kind: Literal["audio", "video"]
    source: str | None = None  # participant key, e.g. "site:st_..." or "user:us_..."
    name: str = ""
    quality: Literal["big", "small", "audio"] = "big"
    role: str = ""  # why it is shown: main, chair, site, speaker


CLIENT_PAYLOADS: dict[str, type[BaseModel]] = {
    JOIN: JoinPayload,
    SYNC: SyncPayload,
    LEAVE: LeavePayload,
    COMMAND: CommandPayload,
    PING: PingPayload,
    MEDIA_JOIN: MediaJoinPayload,
    MEDIA_LEAVE: MediaLeavePayload,
    MEDIA_PROBE: MediaProbePayload,
}


def apply_patch(snapshot: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    """How every client applies an event: merge `data.patch` into the snapshot and advance `last_seq`."""
    patched = dict(snapshot)
    patched.update(event.get("data", {}).get("patch", {}))
    patched["last_seq"] = max(int(snapshot.get("last_seq", 0)), int(event["seq"]))
    return patched
