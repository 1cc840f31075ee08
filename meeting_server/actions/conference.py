"""Conference operations: main site, mute, lock, remove, recording and roll call.

The chair's decisions go through here like every other change (schema and permission beside the code, events
in the log); the SFU learns them from the log and enforces them, so a room PC that ignores a mute is muted anyway.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from ..domain import conference as domain
from ..storage.db import new_id, now_iso
from .base import Context, Schema, action
from .meetings import snapshot
from .schemas import Id

ParticipantKey = Annotated[str, Field(pattern=r"^(site|user):[a-z]{1,3}_[A-Za-z0-9]{6,40}$", max_length=50)]


class MeetingRef(Schema):
    meeting_id: Id


class SetMain(MeetingRef):
    site_id: Id | None


class ParticipantRef(MeetingRef):
    participant: ParticipantKey


class RollCallAnswer(MeetingRef):
    roll_call_id: Id


@action("conference.set_main_site", SetMain, "meeting_organizer")
async def set_main_site(ctx: Context, cmd: SetMain) -> dict[str, Any]:
    """Choose the main site (điểm cầu chính) that every wall display shows big."""
    assert ctx.meeting is not None
    state = await ctx.record(domain.set_main_site(ctx.meeting, cmd.site_id))
    return snapshot(state, ctx.meeting_role)


def _mute(muted: bool) -> None:
    async def handler(ctx: Context, cmd: ParticipantRef) -> dict[str, Any]:
        assert ctx.meeting is not None
        state = await ctx.record(domain.set_muted(ctx.meeting, cmd.participant, muted))
        return snapshot(state, ctx.meeting_role)

    handler.__doc__ = (
        "Mute a participant's microphone: the server stops forwarding its sound."
        if muted
        else "Unmute a participant's microphone."
    )
    action("conference.mute" if muted else "conference.unmute", ParticipantRef, "meeting_organizer")(handler)


_mute(True)
_mute(False)


def _lock(locked: bool) -> None:
    async def handler(ctx: Context, cmd: MeetingRef) -> dict[str, Any]:
        assert ctx.meeting is not None
        connected = ctx.services.media.connected(cmd.meeting_id)
        state = await ctx.record(domain.set_locked(ctx.meeting, locked, connected))
        return snapshot(state, ctx.meeting_role)

    handler.__doc__ = (
        "Lock the meeting: sites connected now may come back, no new site may join."
        if locked
        else "Unlock the meeting."
    )
    action("conference.lock" if locked else "conference.unlock", MeetingRef, "meeting_organizer")(handler)


_lock(True)
_lock(False)


@action("conference.remove", ParticipantRef, "meeting_organizer")
async def remove(ctx: Context, cmd: ParticipantRef) -> dict[str, Any]:
    """Remove a participant: its media is cut at once and refused until it is readmitted."""
    assert ctx.meeting is not None
    state = await ctx.record(domain.remove_participant(ctx.meeting, cmd.participant))
    return snapshot(state, ctx.meeting_role)


@action("conference.readmit", ParticipantRef, "meeting_organizer")
async def readmit(ctx: Context, cmd: ParticipantRef) -> dict[str, Any]:
    """Let a removed participant join again."""
    assert ctx.meeting is not None
    state = await ctx.record(domain.readmit_participant(ctx.meeting, cmd.participant))
    return snapshot(state, ctx.meeting_role)


@action("conference.start_recording", MeetingRef, "meeting_organizer")
async def start_recording(ctx: Context, cmd: MeetingRef) -> dict[str, Any]:
    """Start recording every participant's incoming streams as they arrive (no transcoding)."""
    assert ctx.meeting is not None
    state = await ctx.record(domain.start_recording(ctx.meeting, new_id("rec"), now_iso(), ctx.actor.id))
    return snapshot(state, ctx.meeting_role)


@action("conference.stop_recording", MeetingRef, "meeting_organizer")
async def stop_recording(ctx: Context, cmd: MeetingRef) -> dict[str, Any]:
    """Stop recording; the files stay with the meeting."""
    assert ctx.meeting is not None
    state = await ctx.record(domain.stop_recording(ctx.meeting, now_iso()))
    return snapshot(state, ctx.meeting_role)


@action("conference.start_roll_call", MeetingRef, "meeting_organizer")
async def start_roll_call(ctx: Context, cmd: MeetingRef) -> dict[str, Any]:
    """Ask every site to answer (điểm danh); the console shows who did."""
    assert ctx.meeting is not None
    roll_call_id = new_id("rc")
    state = await ctx.record(domain.start_roll_call(ctx.meeting, roll_call_id, now_iso()))
    return {**snapshot(state, ctx.meeting_role), "roll_call_id": roll_call_id}


@action("conference.close_roll_call", MeetingRef, "meeting_organizer")
async def close_roll_call(ctx: Context, cmd: MeetingRef) -> dict[str, Any]:
    """Close the roll call; answers are kept in the log."""
    assert ctx.meeting is not None
    state = await ctx.record(domain.close_roll_call(ctx.meeting))
    return snapshot(state, ctx.meeting_role)


@action("conference.answer_roll_call", RollCallAnswer, "meeting_visible")
async def answer_roll_call(ctx: Context, cmd: RollCallAnswer) -> dict[str, Any]:
    """Answer the open roll call for oneself (a site's room PC, or a person)."""
    assert ctx.meeting is not None
    key = domain.participant_key(ctx.actor)
    state = await ctx.record(domain.answer_roll_call(ctx.meeting, key, cmd.roll_call_id, now_iso()))
    return snapshot(state, ctx.meeting_role)
