"""The floor (đăng ký phát biểu): ask to speak, withdraw, give the floor, extend, end, the time per speaker.

The rules are domain/floor.py's; the floor is kept in the meeting's state (`MeetingState.floor`), so the log
holds every request and speech, and `floor.given` / `floor.ended` carry the main site and the microphones in
the same patch: the SFU and every screen follow the one event, as they follow conference.set_main_site.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Annotated, Any, Protocol

from pydantic import Field

from ..domain import floor as domain
from ..domain.floor import Floor
from ..domain.meetings import Event
from ..storage import meetings as meeting_store
from ..storage.db import iso, new_id, utc_now
from ..vocabulary import CHAIR, FLOOR_MANAGE, FLOOR_REQUEST, FLOOR_REQUEST_SITE, FLOOR_SPEECH, FloorKind
from .base import MeetingContext, Services, meeting_action
from .conference import MeetingRef, ParticipantKey
from .meetings import answer
from .schemas import Id
from .votes import SYSTEM

log = logging.getLogger(__name__)

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


def now_iso() -> str:
    """The floor's clock (the timer's, so a test's fake clock moves both)."""
    return iso(TIMERS.clock.now())


async def _record(ctx: MeetingContext, events: list[Event], **extra: Any) -> dict[str, Any]:
    state = await ctx.record(events)
    services, meeting_id, floor = ctx.services, state.id, Floor.from_dict(state.floor or None)

    async def follow() -> None:
        TIMERS.follow(services, meeting_id, floor)

    ctx.after_commit(follow)
    return {**await answer(ctx, state), **extra}


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


# ---- the timer: a speech ends when its time runs out -----------------------------------------------------------


class Clock(Protocol):
    def now(self) -> datetime: ...

    async def sleep_until(self, moment: datetime) -> None: ...


class SystemClock:
    def now(self) -> datetime:
        return utc_now()

    async def sleep_until(self, moment: datetime) -> None:
        delay = (moment - self.now()).total_seconds()
        if delay > 0:
            await asyncio.sleep(delay)


RETRY = timedelta(seconds=0.5)  # another node's clock may be a little behind the stored due time
SWEEP = timedelta(seconds=30)  # how often each server looks for running speeches it has no timer for


async def end_due(services: Services, meeting_id: str, speech_id: str) -> bool:
    """End the speech if it is still the running one and its time has run out (the timer's work). True when
    there is nothing left to do: it ended it, or the speech had already ended (by the chair, another node)."""
    async with services.db.write() as session:
        row = await meeting_store.load(session, meeting_id, for_update=True)
        state = meeting_store.state_of(row)
        floor = Floor.from_dict(state.floor or None)
        if floor.current is None or floor.current.id != speech_id:
            return True
        _, ended, events = domain.time_up(floor, state, now_iso())
        if ended is None:
            return False
        ctx = MeetingContext(
            services=services, actor=SYSTEM, session=session, meeting_row=row, meeting=state, role=CHAIR
        )
        await ctx.record(events)
    for mid, entries in ctx._published:
        await services.notifier.publish(mid, entries)
    return True


@dataclass
class _Armed:
    speech_id: str
    due_at: datetime
    task: asyncio.Task[None] | None = None
    firing: bool = False  # past its due time, ending the speech: let it finish (it checks the speech itself)


class FloorTimers:
    """One timer per meeting with a running speech, in this process."""

    def __init__(self, clock: Clock | None = None) -> None:
        self.clock: Clock = clock or SystemClock()
        self._armed: dict[str, _Armed] = {}

    def armed(self, meeting_id: str) -> tuple[str, datetime] | None:
        """(speech id, due time) this process waits for in the meeting, or None."""
        entry = self._armed.get(meeting_id)
        return None if entry is None else (entry.speech_id, entry.due_at)

    def follow(self, services: Services, meeting_id: str, floor: Floor) -> None:
        """After a commit: wait for the running speech's due time (again, if an extension moved it), or for
        nothing once no speech runs."""
        speech = floor.current
        entry = self._armed.get(meeting_id)
        if speech is None:
            self.drop(meeting_id)
        elif entry is None or (entry.speech_id, entry.due_at) != (speech.id, speech.due_at):
            self.arm(services, meeting_id, speech.id, speech.due_at)

    def arm(self, services: Services, meeting_id: str, speech_id: str, due_at: datetime) -> None:
        entry = _Armed(speech_id, due_at)

        async def run() -> None:
            await self.clock.sleep_until(due_at)
            entry.firing = True
            try:
                for _ in range(20):
                    try:
                        if await end_due(services, meeting_id, speech_id):
                            return
                    except Exception:
                        log.exception("ending speech %s at its time failed", speech_id)
                    await self.clock.sleep_until(self.clock.now() + RETRY)
            finally:
                if self._armed.get(meeting_id) is entry:
                    del self._armed[meeting_id]

        self.drop(meeting_id)
        entry.task = asyncio.create_task(run())
        self._armed[meeting_id] = entry

    def drop(self, meeting_id: str) -> None:
        entry = self._armed.pop(meeting_id, None)
        if entry is not None and entry.task is not None and not entry.firing:
            entry.task.cancel()

    async def rearm(self, services: Services) -> int:
        """At start-up: every meeting's running speech gets its timer; one whose time passed ends now."""
        async with services.db.read() as session:
            meetings = await meeting_store.in_progress(session)
        count = 0
        for state in meetings:
            floor = Floor.from_dict(state.floor or None)
            if floor.current is not None:
                self.follow(services, state.id, floor)
                count += 1
        return count

    async def sweep_forever(self, services: Services, every: timedelta = SWEEP) -> None:
        """Every `every`, arm the running speeches this process has no timer for: given through another server
        (its events reach this one's sockets, not its timers), so a speech still ends when that server is gone."""
        while True:
            await self.clock.sleep_until(self.clock.now() + every)
            try:
                await self.rearm(services)
            except Exception:
                log.exception("looking for running speeches failed")

    def cancel_all(self) -> None:
        """At shutdown: every timer stops, firing or not."""
        for entry in self._armed.values():
            if entry.task is not None:
                entry.task.cancel()
        self._armed.clear()


TIMERS = FloorTimers()
