"""Names and payload shapes of the live channel, shared by the server and the room client.

A leaf module on purpose: `room_client` imports it without pulling in the server, so it may depend only on
the standard library and pydantic. `docs/protocol.md` documents every name here; a test keeps them in step.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

PROTOCOL_VERSION = 1
SOCKETIO_PATH = "socket.io"

# Client -> server
JOIN = "meeting:join"
SYNC = "meeting:sync"
LEAVE = "meeting:leave"
COMMAND = "command"
PING = "ping"
CLIENT_EVENTS = (JOIN, SYNC, LEAVE, COMMAND, PING)

# Server -> client
EVENT = "meeting:event"
PRESENCE = "presence"
REVOKED = "session:revoked"
MEETINGS_CHANGED = "meetings:changed"
SERVER_EVENTS = (EVENT, PRESENCE, REVOKED, MEETINGS_CHANGED)

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
)

# Who may hold which part of a meeting; also the audience vocabulary of the event log.
MEETING_ROLES = ("organizer", "chair", "secretary", "delegate", "observer", "site_operator", "site", "admin")
ORGANIZER_ROLES = ("organizer", "chair", "secretary", "admin")

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

    kind: Literal["user", "site"]
    id: str
    name: str
    role: str
    devices: int = 1


CLIENT_PAYLOADS: dict[str, type[BaseModel]] = {
    JOIN: JoinPayload,
    SYNC: SyncPayload,
    LEAVE: LeavePayload,
    COMMAND: CommandPayload,
    PING: PingPayload,
}


def apply_patch(snapshot: dict[str, Any], event: dict[str, Any]) -> dict[str, Any]:
    """How every client applies an event: merge `data.patch` into the snapshot and advance `last_seq`."""
    patched = dict(snapshot)
    patched.update(event.get("data", {}).get("patch", {}))
    patched["last_seq"] = max(int(snapshot.get("last_seq", 0)), int(event["seq"]))
    return patched
