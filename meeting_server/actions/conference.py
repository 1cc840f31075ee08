"""Conference operations: main site, mute, lock, remove, recording and roll call.

The chair's decisions go through here like every other change (schema and permission beside the code, events
in the log); the SFU learns them from the log and enforces them, so a room PC that ignores a mute is muted anyway.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from ..domain import conference as domain
from ..storage.db import new_id, now_iso
from ..vocabulary import MEETING_ORGANIZE, MEETING_VIEW
from .base import MeetingContext, Schema, meeting_action
from .meetings import answer
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


@meeting_action("conference.set_main_site", SetMain, MEETING_ORGANIZE)
async def set_main_site(ctx: MeetingContext, cmd: SetMain) -> dict[str, Any]:
    """Choose the main site (điểm cầu chính) that every wall display shows big."""
    state = await ctx.record(domain.set_main_site(ctx.meeting, cmd.site_id))
    return await answer(ctx, state)


@meeting_action("conference.mute", ParticipantRef, MEETING_ORGANIZE)
async def mute(ctx: MeetingContext, cmd: ParticipantRef) -> dict[str, Any]:
    """Mute a participant's microphone: the server stops forwarding its sound."""
    return await answer(ctx, await ctx.record(domain.set_muted(ctx.meeting, cmd.participant, True)))


@meeting_action("conference.unmute", ParticipantRef, MEETING_ORGANIZE)
async def unmute(ctx: MeetingContext, cmd: ParticipantRef) -> dict[str, Any]:
    """Unmute a participant's microphone."""
    return await answer(ctx, await ctx.record(domain.set_muted(ctx.meeting, cmd.participant, False)))


@meeting_action("conference.mute_sites", MeetingRef, MEETING_ORGANIZE)
async def mute_sites(ctx: MeetingContext, cmd: MeetingRef) -> dict[str, Any]:
    """Mute every site but the main one ("Tắt tiếng tất cả xã"), in one event."""
    return await answer(ctx, await ctx.record(domain.mute_sites(ctx.meeting)))


async def _lock(ctx: MeetingContext, locked: bool) -> dict[str, Any]:
    connected = ctx.services.media.connected(ctx.meeting.id)
    return await answer(ctx, await ctx.record(domain.set_locked(ctx.meeting, locked, connected)))


@meeting_action("conference.lock", MeetingRef, MEETING_ORGANIZE)
async def lock(ctx: MeetingContext, cmd: MeetingRef) -> dict[str, Any]:
    """Lock the meeting: sites connected now may come back, no new site may join."""
    return await _lock(ctx, True)


@meeting_action("conference.unlock", MeetingRef, MEETING_ORGANIZE)
async def unlock(ctx: MeetingContext, cmd: MeetingRef) -> dict[str, Any]:
    """Unlock the meeting."""
    return await _lock(ctx, False)


@meeting_action("conference.remove", ParticipantRef, MEETING_ORGANIZE)
async def remove(ctx: MeetingContext, cmd: ParticipantRef) -> dict[str, Any]:
    """Remove a participant: its media is cut at once and refused until it is readmitted."""
    state = await ctx.record(domain.remove_participant(ctx.meeting, cmd.participant))
    return await answer(ctx, state)


@meeting_action("conference.readmit", ParticipantRef, MEETING_ORGANIZE)
async def readmit(ctx: MeetingContext, cmd: ParticipantRef) -> dict[str, Any]:
    """Let a removed participant join again."""
    state = await ctx.record(domain.readmit_participant(ctx.meeting, cmd.participant))
    return await answer(ctx, state)


@meeting_action("conference.start_recording", MeetingRef, MEETING_ORGANIZE)
async def start_recording(ctx: MeetingContext, cmd: MeetingRef) -> dict[str, Any]:
    """Start recording every participant's incoming streams as they arrive (no transcoding)."""
    state = await ctx.record(domain.start_recording(ctx.meeting, new_id("rec"), now_iso(), ctx.actor.id))
    return await answer(ctx, state)


@meeting_action("conference.stop_recording", MeetingRef, MEETING_ORGANIZE)
async def stop_recording(ctx: MeetingContext, cmd: MeetingRef) -> dict[str, Any]:
    """Stop recording; the files stay with the meeting."""
    state = await ctx.record(domain.stop_recording(ctx.meeting, now_iso()))
    return await answer(ctx, state)


@meeting_action("conference.start_roll_call", MeetingRef, MEETING_ORGANIZE)
async def start_roll_call(ctx: MeetingContext, cmd: MeetingRef) -> dict[str, Any]:
    """Ask every site to answer (điểm danh); the console shows who did."""
    roll_call_id = new_id("rc")
    state = await ctx.record(domain.start_roll_call(ctx.meeting, roll_call_id, now_iso()))
    return {**await answer(ctx, state), "roll_call_id": roll_call_id}


@meeting_action("conference.close_roll_call", MeetingRef, MEETING_ORGANIZE)
async def close_roll_call(ctx: MeetingContext, cmd: MeetingRef) -> dict[str, Any]:
    """Close the roll call; answers are kept in the log."""
    state = await ctx.record(domain.close_roll_call(ctx.meeting))
    return await answer(ctx, state)


@meeting_action("conference.answer_roll_call", RollCallAnswer, MEETING_VIEW)
async def answer_roll_call(ctx: MeetingContext, cmd: RollCallAnswer) -> dict[str, Any]:
    """Answer the open roll call for oneself (a site's room PC, or a person)."""
    key = domain.participant_key(ctx.actor)
    state = await ctx.record(domain.answer_roll_call(ctx.meeting, key, cmd.roll_call_id, now_iso()))
    return await answer(ctx, state)
