"""The floor (đăng ký phát biểu): ask to speak, withdraw, give the floor, extend, end, the time per speaker.

The rules are domain/floor.py's; the floor is kept in the meeting's state (`MeetingState.floor`), so the log
holds every request and speech, and `floor.given` / `floor.ended` carry the main site and the microphones in
the same patch: the SFU and every screen follow the one event, as they follow conference.set_main_site.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import Field

from ..domain import floor as domain
from ..domain.floor import Floor
from ..domain.meetings import Event
from ..storage.db import new_id, now_iso
from ..vocabulary import FLOOR_MANAGE, FLOOR_REQUEST, FLOOR_REQUEST_SITE, FLOOR_SPEECH, FloorKind
from .base import MeetingContext, meeting_action
from .conference import MeetingRef, ParticipantKey
from .meetings import answer
from .schemas import Id

Topic = Annotated[str, Field(max_length=200)]
Minutes = Annotated[int, Field(ge=1, le=120)]


class AskToSpeak(MeetingRef):
    item_id: Id
    kind: FloorKind = FLOOR_SPEECH
    topic: Topic = ""
    site_id: Id | None = None  # the hall the delegate sits in; none when online


class AskForSite(AskToSpeak):
    site_id: Id


class AddSpeaker(AskToSpeak):
    speaker: ParticipantKey


class RequestRef(MeetingRef):
    request_id: Id


class GiveFloor(RequestRef):
    only_speaker: bool = False


class Extend(MeetingRef):
    minutes: Minutes


class SetMinutes(MeetingRef):
    minutes: Minutes
    item_id: Id | None = None


def _floor(ctx: MeetingContext) -> tuple[Floor, domain.Asker]:
    return Floor.from_dict(ctx.meeting.floor or None), domain.asker_for(ctx.actor, ctx.meeting)


async def _record(ctx: MeetingContext, events: list[Event], **extra: Any) -> dict[str, Any]:
    return {**await answer(ctx, await ctx.record(events)), **extra}


async def _ask(ctx: MeetingContext, cmd: AskToSpeak, speaker: str, site_id: str | None) -> dict[str, Any]:
    floor, asker = _floor(ctx)
    request_id = new_id("fr")
    _, events = domain.request_floor(
        floor,
        ctx.meeting,
        asker,
        request_id=request_id,
        speaker=speaker,
        item_id=cmd.item_id,
        kind=cmd.kind,
        at=now_iso(),
        topic=cmd.topic,
        site_id=site_id,
    )
    return await _record(ctx, events, request_id=request_id)


@meeting_action("floor.request", AskToSpeak, FLOOR_REQUEST)
async def request(ctx: MeetingContext, cmd: AskToSpeak) -> dict[str, Any]:
    """A delegate asks to speak on an agenda item (phát biểu, tranh luận/trả lời, kiến nghị), with a topic."""
    key = domain.participant_key(ctx.actor)
    return await _ask(ctx, cmd, key, cmd.site_id)


@meeting_action("floor.request_site", AskForSite, FLOOR_REQUEST_SITE)
async def request_site(ctx: MeetingContext, cmd: AskForSite) -> dict[str, Any]:
    """A hall's room PC or site operator asks for the hall ("Điểm cầu xã X xin phát biểu")."""
    return await _ask(ctx, cmd, f"site:{cmd.site_id}", cmd.site_id)


@meeting_action("floor.add", AddSpeaker, FLOOR_MANAGE)
async def add(ctx: MeetingContext, cmd: AddSpeaker) -> dict[str, Any]:
    """The chair or secretary puts anyone in the queue."""
    return await _ask(ctx, cmd, cmd.speaker, cmd.site_id)


async def _withdraw(ctx: MeetingContext, cmd: RequestRef) -> dict[str, Any]:
    floor, asker = _floor(ctx)
    _, events = domain.withdraw(floor, ctx.meeting, asker, cmd.request_id, now_iso())
    return await _record(ctx, events)


@meeting_action("floor.withdraw", RequestRef, FLOOR_REQUEST)
async def withdraw(ctx: MeetingContext, cmd: RequestRef) -> dict[str, Any]:
    """A delegate withdraws their own request."""
    return await _withdraw(ctx, cmd)


@meeting_action("floor.withdraw_site", RequestRef, FLOOR_REQUEST_SITE)
async def withdraw_site(ctx: MeetingContext, cmd: RequestRef) -> dict[str, Any]:
    """A hall's room PC or site operator withdraws the hall's request."""
    return await _withdraw(ctx, cmd)


@meeting_action("floor.remove", RequestRef, FLOOR_MANAGE)
async def remove(ctx: MeetingContext, cmd: RequestRef) -> dict[str, Any]:
    """The chair's side takes any request off the queue."""
    return await _withdraw(ctx, cmd)


@meeting_action("floor.give", GiveFloor, FLOOR_MANAGE)
async def give(ctx: MeetingContext, cmd: GiveFloor) -> dict[str, Any]:
    """Give the floor in one press: the speaker's site becomes the main site and is unmuted."""
    floor, asker = _floor(ctx)
    _, speech, _, events = domain.give_floor(floor, ctx.meeting, asker, cmd.request_id, now_iso(), cmd.only_speaker)
    return await _record(ctx, events, speech_id=speech.id)


@meeting_action("floor.extend", Extend, FLOOR_MANAGE)
async def extend(ctx: MeetingContext, cmd: Extend) -> dict[str, Any]:
    """Give the current speaker more minutes."""
    floor, asker = _floor(ctx)
    _, events = domain.extend(floor, ctx.meeting, asker, cmd.minutes)
    return await _record(ctx, events)


@meeting_action("floor.end", MeetingRef, FLOOR_MANAGE)
async def end(ctx: MeetingContext, cmd: MeetingRef) -> dict[str, Any]:
    """End the speech: the previous main site comes back and the speaker's site is muted again."""
    floor, asker = _floor(ctx)
    _, _, _, events = domain.end_speech(floor, ctx.meeting, asker, now_iso())
    return await _record(ctx, events)


@meeting_action("floor.set_minutes", SetMinutes, FLOOR_MANAGE)
async def set_minutes(ctx: MeetingContext, cmd: SetMinutes) -> dict[str, Any]:
    """The planned minutes per speaker, for one agenda item or for the whole meeting."""
    floor, asker = _floor(ctx)
    _, events = domain.set_minutes(floor, ctx.meeting, asker, cmd.minutes, cmd.item_id)
    return await _record(ctx, events)
