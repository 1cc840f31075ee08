"""Answers to the invitation (trả lời giấy mời): an invitee answers for themselves, an organiser records an answer
on someone's behalf, and the organisers remind those who have not answered. The rules are domain/answers.py's.

An answer that names a stand-in (cử người dự thay) also invites the stand-in (`meeting.updated` on `invitee_ids`:
the mail outbox sends them the giấy mời, their list of meetings gains it) and, for a member with voting rights,
gives the stand-in the member's ballot in every vote (a meeting-wide proxy: storage.votes.proxies_with_stand_ins).
"""

from __future__ import annotations

from typing import Any

from pydantic import Field

from ..domain import answers as domain
from ..domain.answers import Person
from ..domain.attendance import membership_of
from ..domain.meetings import MeetingState
from ..domain.votes import authorise
from ..errors import AppError
from ..storage import directory
from ..storage.attendance import load_attendance
from ..storage.db import now_iso
from ..storage.votes import proxies_of
from ..vocabulary import (
    INVITATION_ANSWER,
    INVITATION_ANSWER_FOR,
    INVITATION_REMIND,
    AnswerKind,
    AttendancePlace,
)
from .attendance import with_quorum
from .base import MeetingContext, Schema, meeting_action
from .schemas import Id
from .votes import now


class GiveAnswer(Schema):
    meeting_id: Id
    kind: AnswerKind
    mode: AttendancePlace | None = None  # attending: in_hall, at_site (with site_id) or remote
    site_id: Id | None = None
    reason: str = Field(default="", max_length=domain.MAX_REASON)  # absent: required
    stand_in_id: Id | None = None  # stand_in: the colleague of the same unit


class AnswerFor(GiveAnswer):
    person_id: Id


class Remind(Schema):
    meeting_id: Id
    person_ids: list[Id] | None = Field(default=None, min_length=1, max_length=2000)  # None: all without an answer


async def _people(ctx: MeetingContext, *ids: str | None) -> dict[str, Person]:
    wanted = [i for i in ids if i]
    rows = await directory.users_by_ids(ctx.session, wanted)
    missing = [i for i in wanted if i not in rows]
    if missing:
        raise AppError.invalid(f"Không có người dùng {', '.join(missing)}", f"No such user {', '.join(missing)}")
    return {r.id: Person(r.id, r.unit_id, r.active, r.full_name) for r in rows.values()}


def told(state: MeetingState, person_id: str) -> dict[str, Any]:
    """One person's answer and whom they stand in for, as the answer of an action and GET …/answer tell it."""
    given = state.answers.get(person_id)
    return {
        "meeting_id": state.id,
        "answer": dict(given) if given else None,
        "stands_in_for": domain.stands_in_for(state).get(person_id),
    }


async def _answer(ctx: MeetingContext, person_id: str, cmd: GiveAnswer) -> dict[str, Any]:
    people = await _people(ctx, person_id, cmd.stand_in_id)
    events = domain.answer(
        ctx.meeting,
        people[person_id],
        kind=cmd.kind,
        at=now_iso(),
        recorded_by=ctx.actor.id,
        mode=cmd.mode,
        site_id=cmd.site_id,
        reason=cmd.reason,
        stand_in=people.get(cmd.stand_in_id) if cmd.stand_in_id else None,
    )
    if len(events) > 1:  # the stand-in changed: who counts for the quorum may too
        events = with_quorum(ctx.meeting, events, await load_attendance(ctx.session, ctx.meeting.id))
    if cmd.stand_in_id is not None and events and membership_of(ctx.meeting).has_vote(person_id):
        # The member's ballot goes to the stand-in: the proxy rules hold (no second proxy, no chains or cycles).
        others = tuple(p for p in domain.stand_in_proxies(ctx.meeting) if p.delegator != person_id)
        proxy = domain.stand_in_proxy(person_id, cmd.stand_in_id, now(), ctx.actor.id)
        authorise((*await proxies_of(ctx.session, ctx.meeting.id), *others), proxy, membership_of(ctx.meeting).voting)
    state = await ctx.record(events)
    return told(state, person_id)


@meeting_action("invitation.answer", GiveAnswer, INVITATION_ANSWER)
async def answer(ctx: MeetingContext, cmd: GiveAnswer) -> dict[str, Any]:
    """Answer one's invitation: attending (where), absent (why) or sending a stand-in; changeable until the end."""
    return await _answer(ctx, ctx.actor.id, cmd)


@meeting_action("invitation.answer_for", AnswerFor, INVITATION_ANSWER_FOR)
async def answer_for(ctx: MeetingContext, cmd: AnswerFor) -> dict[str, Any]:
    """Record an invitee's answer on their behalf (the organisers, e.g. after a phone call)."""
    return await _answer(ctx, cmd.person_id, cmd)


@meeting_action("invitation.remind", Remind, INVITATION_REMIND)
async def remind(ctx: MeetingContext, cmd: Remind) -> dict[str, Any]:
    """Remind the invitees without an answer (or the chosen ones): `invitation.reminded`, mailed by the outbox."""
    events = domain.remind(ctx.meeting, cmd.person_ids)
    await ctx.record(events)
    return {"meeting_id": ctx.meeting.id, "person_ids": events[0].data["person_ids"]}
