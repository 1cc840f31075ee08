"""Votes (biểu quyết) and proxies (ủy quyền): prepare, edit, open, close, cancel; cast; authorise, withdraw; a
hall's show of hands. The rules are domain/votes.py's; storage/votes.py keeps a secret vote unlinkable (no row
per ballot; counts updated in place in the ballot's transaction; counts reach the log only in the close event).

A vote with a duration closes itself: `VoteTimers` arms a timer when it opens and re-arms every open vote at
start-up (`rearm`), closing at once those whose time passed while the server was down.
"""

from __future__ import annotations

import asyncio
import logging
from dataclasses import asdict, dataclass, field
from datetime import datetime
from typing import Annotated, Any

from pydantic import Field

from ..domain import votes as domain
from ..domain.actors import Actor
from ..domain.answers import stands_in_for
from ..domain.attendance import membership_of
from ..errors import AppError
from ..storage import meetings as meeting_store
from ..storage import papers as paper_store
from ..storage import votes as store
from ..storage.attendance import load_attendance
from ..storage.db import new_id, utc_now
from ..storage.models import VoteRow
from ..vocabulary import (
    BASE_MEMBERS,
    CHAIR,
    DRAFT,
    IN_PROGRESS,
    MORE_THAN_HALF,
    OPTIONS,
    VOTE_AUTHORISE_OWN,
    VOTE_CAST,
    VOTE_HALL_TALLY,
    VOTE_MANAGE,
    VOTE_OPEN,
    YES_NO_ABSTAIN,
    ChoiceKind,
    PassRule,
    VoteBase,
)
from .base import MeetingContext, Schema, Services, meeting_action
from .schemas import Id, Short

log = logging.getLogger(__name__)

Question = Annotated[str, Field(min_length=1, max_length=domain.MAX_QUESTION)]
ChoiceId = Annotated[str, Field(min_length=1, max_length=64)]
SYSTEM = Actor(kind="user", id="system", name="Hệ thống")  # the timer's close


class MeetingRef(Schema):
    meeting_id: Id


class VoteFields(Schema):
    question: Question | None = None
    kind: ChoiceKind | None = None
    options: list[Short] | None = Field(default=None, max_length=domain.MAX_OPTIONS)
    max_choices: int | None = Field(default=None, ge=1, le=domain.MAX_OPTIONS)
    secret: bool | None = None
    changeable: bool | None = None
    duration_s: int | None = Field(default=None, ge=10, le=24 * 3600)
    chair_closes: bool | None = None  # true: no duration, the chair closes it
    rule: PassRule | None = None
    base: VoteBase | None = None
    paper_id: Id | None = None  # a paper of the vote's agenda item


class PrepareVote(VoteFields):
    meeting_id: Id
    item_id: Id
    question: Question


class EditVote(VoteFields):
    meeting_id: Id
    vote_id: Id


class VoteRef(MeetingRef):
    vote_id: Id


class CastBallot(VoteRef):
    choices: list[ChoiceId] = Field(min_length=1, max_length=domain.MAX_OPTIONS)
    voter: Id | None = None  # a proxy casting for the person they represent


class Authorise(MeetingRef):
    delegator: Id
    proxy: Id
    vote_id: Id | None = None  # None: the whole meeting


class AuthoriseOwn(MeetingRef):
    proxy: Id
    vote_id: Id | None = None  # None: the whole meeting


class ProxyRef(MeetingRef):
    proxy_id: Id


class HallTally(VoteRef):
    site_id: Id
    by_person: dict[Id, list[ChoiceId]] | None = Field(default=None, max_length=2000)  # a named vote
    voters: list[Id] | None = Field(default=None, max_length=2000)  # a secret vote: who took part
    counts: dict[ChoiceId, int] | None = Field(default=None, max_length=domain.MAX_OPTIONS)  # and the counts


def now() -> datetime:
    return utc_now()


async def electorate(ctx: MeetingContext) -> tuple[frozenset[str], frozenset[str]]:
    """(members with voting rights, those of them and of the stand-ins present now): the meeting's membership
    (domain.attendance.membership_of) and its attendance (đến muộn counts, về sớm does not). A stand-in present
    casts the ballot of the member they stand in for (domain/answers.py)."""
    members = membership_of(ctx.meeting).voting
    attendance = await load_attendance(ctx.session, ctx.meeting.id)
    return members, attendance.present_ids() & (members | frozenset(stands_in_for(ctx.meeting)))


async def hall_present(ctx: MeetingContext, site_id: str) -> frozenset[str]:
    """The members with voting rights present at one commune hall now (checked in there, by its operator or
    themselves): whose show of hands its operator may enter."""
    members = membership_of(ctx.meeting).voting
    attendance = await load_attendance(ctx.session, ctx.meeting.id)
    here = attendance.current().items()
    return frozenset(pid for pid, e in here if e.present and e.site_id == site_id and pid in members)


def _choices(kind: ChoiceKind, options: list[str] | None) -> tuple[domain.Choice, ...]:
    if kind == YES_NO_ABSTAIN:
        return domain.yes_no_abstain()
    return tuple(domain.Choice(f"o{i + 1}", label) for i, label in enumerate(options or ()))


def _vote(vote_id: str, item_id: str, fields: dict[str, Any]) -> domain.Vote:
    kind: ChoiceKind = fields.get("kind") or YES_NO_ABSTAIN
    duration = None if fields.get("chair_closes") else fields.get("duration_s")
    return domain.Vote(
        id=vote_id,
        item_id=item_id,
        question=fields["question"],
        kind=kind,
        choices=_choices(kind, fields.get("options")),  # not vocabulary: the field
        max_choices=fields.get("max_choices") or 1,
        secret=bool(fields.get("secret")),
        changeable=bool(fields.get("changeable")),
        duration_s=duration,
        rule=fields.get("rule") or MORE_THAN_HALF,
        base=fields.get("base") or BASE_MEMBERS,
        paper_id=fields.get("paper_id"),
    )


async def _check_paper(ctx: MeetingContext, vote: domain.Vote) -> None:
    """A vote's paper is one of the meeting's, on the vote's agenda item."""
    if vote.paper_id is None:
        return
    paper = await paper_store.get_paper(ctx.session, vote.paper_id, ctx.meeting.id)
    if paper.item_id != vote.item_id:
        raise AppError.invalid(
            "Tài liệu phải thuộc nội dung chương trình của biểu quyết.",
            "The paper must belong to the vote's agenda item.",
        )


def result_dict(result: domain.Result) -> dict[str, Any]:
    out = asdict(result)
    out["proxies"] = [store.proxy_to_dict(p) for p in result.proxies]
    return out


async def _saved(ctx: MeetingContext, change: str, row: VoteRow, vote: domain.Vote) -> dict[str, Any]:
    """Store the vote after `change`, log it for every screen, and answer with it."""
    await store.save_vote(ctx.session, row, vote)
    shown = store.public_vote(row)
    await ctx.record(domain.vote_changed(ctx.meeting, change, store.event_vote(shown)))
    return {"meeting_id": ctx.meeting.id, "vote": shown}


async def _load(ctx: MeetingContext, vote_id: str) -> tuple[VoteRow, domain.Vote]:
    row = await store.load_row(ctx.session, ctx.meeting.id, vote_id)
    return row, store.vote_from_dict(row.state)


@meeting_action("vote.prepare", PrepareVote, VOTE_MANAGE)
async def prepare(ctx: MeetingContext, cmd: PrepareVote) -> dict[str, Any]:
    """Prepare a vote on an agenda item (a draft until it is opened)."""
    ctx.meeting.item(cmd.item_id)
    vote = _vote(new_id("vot"), cmd.item_id, cmd.model_dump(exclude_none=True))
    await _check_paper(ctx, vote)
    row = await store.insert(ctx.session, ctx.meeting.id, vote)
    return await _saved(ctx, "prepare", row, vote)


@meeting_action("vote.edit", EditVote, VOTE_MANAGE)
async def edit(ctx: MeetingContext, cmd: EditVote) -> dict[str, Any]:
    """Edit a draft vote (its question, choices, rule, timing)."""
    row, vote = await _load(ctx, cmd.vote_id)
    if vote.status != DRAFT:
        raise AppError("conflict", detail="chỉ sửa được biểu quyết chưa mở", detail_en="only a draft vote is edited")
    old = store.vote_to_dict(vote)
    fields: dict[str, Any] = {
        "question": old["question"],
        "kind": old["kind"],
        "options": [c["label"] for c in old["choices"]] if old["kind"] == OPTIONS else None,  # not vocabulary
        "max_choices": old["max_choices"],
        "secret": old["secret"],
        "changeable": old["changeable"],
        "duration_s": old["duration_s"],
        "rule": old["rule"],
        "base": old["base"],
        "paper_id": old["paper_id"],
        **cmd.model_dump(exclude_none=True, exclude={"meeting_id", "vote_id"}),
    }
    new = _vote(vote.id, vote.item_id, fields)
    await _check_paper(ctx, new)
    if new.secret != vote.secret:
        raise AppError.invalid(
            "Không đổi được giữa biểu quyết công khai và bỏ phiếu kín; hãy tạo biểu quyết mới.",
            "A vote cannot switch between named and secret; prepare a new one.",
        )
    if new.secret:
        await store.reset_counts(ctx.session, row, new)
    return await _saved(ctx, "edit", row, new)


@meeting_action("vote.open", VoteRef, VOTE_MANAGE)
async def open_vote(ctx: MeetingContext, cmd: VoteRef) -> dict[str, Any]:
    """Open the vote: the members with voting rights are fixed, and with a duration its closing time. Only in a
    meeting under way (and an ended meeting has no open vote: meeting.end waits for its close)."""
    if ctx.meeting.status != IN_PROGRESS:
        raise AppError("invalid_transition", action="open_vote", status=ctx.meeting.status)
    row, vote = await _load(ctx, cmd.vote_id)
    members, _ = await electorate(ctx)
    opened = domain.transition(vote, "open", now(), members)
    answer = await _saved(ctx, "open", row, opened)
    if opened.closes_at is not None:
        services, meeting_id, closes = ctx.services, ctx.meeting.id, opened.closes_at

        async def arm() -> None:
            TIMERS.arm(services, meeting_id, opened.id, closes)

        ctx.after_commit(arm)
    return answer


async def _close(ctx: MeetingContext, row: VoteRow, vote: domain.Vote, at: datetime) -> dict[str, Any]:
    closed = domain.transition(vote, "close", at)
    _, present = await electorate(ctx)
    proxies = await store.proxies_with_stand_ins(ctx.session, ctx.meeting)
    tally = await store.tally_of(ctx.session, row)
    await store.save_result(ctx.session, row, result_dict(domain.result(closed, tally, present, proxies)))
    return await _saved(ctx, "close", row, closed)


@meeting_action("vote.close", VoteRef, VOTE_MANAGE)
async def close(ctx: MeetingContext, cmd: VoteRef) -> dict[str, Any]:
    """Close the vote and publish its result; a ballot ordered after the close is refused with vote_closed."""
    row, vote = await _load(ctx, cmd.vote_id)
    return await _close(ctx, row, vote, now())


@meeting_action("vote.cancel", VoteRef, VOTE_MANAGE)
async def cancel(ctx: MeetingContext, cmd: VoteRef) -> dict[str, Any]:
    """Cancel a draft or open vote; no result is given."""
    row, vote = await _load(ctx, cmd.vote_id)
    return await _saved(ctx, "cancel", row, domain.transition(vote, "cancel", now()))


def _turnout(vote: domain.Vote, tally: domain.Tally, present: frozenset[str], proxies: Any) -> dict[str, Any]:
    of = domain.eligible(vote, present, proxies) | tally.voted
    vi, en = domain.turnout(tally, of)
    return {"voted": len(tally.voted), "of": len(of), "line": vi, "line_en": en}


async def _store_ballot(
    ctx: MeetingContext,
    row: VoteRow,
    vote: domain.Vote,
    events: tuple[domain.VoteEvent, ...],
    present: frozenset[str],
    proxies: tuple[domain.Proxy, ...],
) -> None:
    tally = await store.apply_ballot(ctx.session, row, events)
    turnout = _turnout(vote, tally, present, proxies)
    await ctx.record(domain.ballot_entries(ctx.meeting, events, turnout))


@dataclass
class _Ballots:
    """What a group of ballots on one vote shares: read once, folded in memory, written once."""

    row: VoteRow
    vote: domain.Vote
    tally: domain.Tally
    present: frozenset[str]
    proxies: tuple[domain.Proxy, ...]
    events: list[domain.VoteEvent] = field(default_factory=list)


class BallotGroup:
    """Concurrent ballots on one vote in one transaction (base.Group): the vote, the electorate and the proxies
    read once; each ballot checked by domain.cast against the tally with the group's earlier ballots in it; the
    tally written once, a secret vote's counts once per choice, and one log entry for the group."""

    def key(self, payload: CastBallot) -> str:
        return payload.vote_id

    async def begin(self, ctx: MeetingContext, payload: CastBallot) -> _Ballots:
        row, vote = await _load(ctx, payload.vote_id)
        _, present = await electorate(ctx)
        proxies = await store.proxies_with_stand_ins(ctx.session, ctx.meeting)  # a stand-in casts the member's
        return _Ballots(row, vote, domain.Tally.from_dict(row.tally), present, proxies)

    async def add(self, ctx: MeetingContext, shared: _Ballots, actor: Actor, payload: CastBallot) -> dict[str, Any]:
        events = domain.cast(
            shared.vote,
            shared.tally,
            voter=payload.voter or actor.id,
            cast_by=actor.id,
            choices=payload.choices,
            present=shared.present,
            proxies=shared.proxies,
            at=now(),
        )
        for event in events:
            if not isinstance(event, domain.CountsAdded):  # a secret vote's counts stay out of the tally
                shared.tally = domain.apply(shared.tally, event)
        shared.events.extend(events)
        return {"accepted": True, "meeting_id": ctx.meeting.id}

    async def finish(self, ctx: MeetingContext, shared: _Ballots) -> None:
        if shared.events:
            b = shared
            await _store_ballot(ctx, b.row, b.vote, tuple(b.events), b.present, b.proxies)


BALLOTS = BallotGroup()


@meeting_action("vote.cast_ballot", CastBallot, VOTE_CAST, group=BALLOTS)
async def cast(ctx: MeetingContext, cmd: CastBallot) -> dict[str, Any]:
    """Cast a ballot, for oneself or (`voter`) for a person one represents. The answer says only "accepted".
    Concurrent ballots on one vote are applied together, in one transaction (BallotGroup)."""
    shared = await BALLOTS.begin(ctx, cmd)
    answer = await BALLOTS.add(ctx, shared, ctx.actor, cmd)
    await BALLOTS.finish(ctx, shared)
    return answer


@meeting_action("vote.enter_hall_tally", HallTally, VOTE_HALL_TALLY)
async def hall_tally(ctx: MeetingContext, cmd: HallTally) -> dict[str, Any]:
    """Enter a hall's show of hands: per person on a named vote, who took part and the counts on a secret one."""
    row, vote = await _load(ctx, cmd.vote_id)
    if cmd.site_id not in ctx.meeting.site_ids:
        raise AppError("not_found", what="site")
    _, present = await electorate(ctx)
    proxies = await store.proxies_with_stand_ins(ctx.session, ctx.meeting)
    events = domain.enter_hall_tally(
        vote,
        await store.tally_of(ctx.session, row),
        site_id=cmd.site_id,
        operator=ctx.actor.id,
        hall_present=await hall_present(ctx, cmd.site_id),
        proxies=proxies,
        at=now(),
        by_person=cmd.by_person,
        voters=frozenset(cmd.voters or ()),
        counts=cmd.counts,
    )
    await _store_ballot(ctx, row, vote, events, present, proxies)
    return {"accepted": True, "meeting_id": ctx.meeting.id}


async def _authorise(
    ctx: MeetingContext, delegator: str, holder: str, vote_id: str | None, present_holder: bool = False
) -> dict[str, Any]:
    if vote_id is not None:
        await store.load_row(ctx.session, ctx.meeting.id, vote_id)
    members, present = await electorate(ctx)
    proxies = await store.proxies_with_stand_ins(ctx.session, ctx.meeting)
    new = domain.Proxy(new_id("prx"), delegator, holder, now(), ctx.actor.id, vote_id)
    domain.authorise(proxies, new, members)
    if present_holder and holder not in present:
        raise AppError(
            "forbidden",
            detail="Chỉ ủy quyền cho thành viên đã điểm danh có mặt.",
            detail_en="Authorise only a member who is checked in.",
            whole=True,
        )
    await store.add_proxy(ctx.session, ctx.meeting.id, new)
    await ctx.record(domain.proxy_changed(ctx.meeting, "authorise", store.proxy_to_dict(new)))
    return {"meeting_id": ctx.meeting.id, "proxy": store.proxy_to_dict(new)}


async def _withdraw(ctx: MeetingContext, proxy_id: str, delegator: str | None = None) -> dict[str, Any]:
    at = now()
    recorded = await store.proxies_of(ctx.session, ctx.meeting.id)
    if delegator is not None and not any(p.id == proxy_id and p.delegator == delegator for p in recorded):
        raise AppError.invalid(
            "Bạn không có ủy quyền đang hiệu lực với mã này.", "You have no standing proxy with this id."
        )
    proxies = domain.withdraw(recorded, proxy_id, at)
    await store.withdraw_proxy(ctx.session, proxy_id, at)
    done = next(store.proxy_to_dict(p) for p in proxies if p.id == proxy_id)
    await ctx.record(domain.proxy_changed(ctx.meeting, "withdraw", done))
    return {"meeting_id": ctx.meeting.id, "proxy": done}


@meeting_action("proxy.authorise", Authorise, VOTE_MANAGE)
async def authorise(ctx: MeetingContext, cmd: Authorise) -> dict[str, Any]:
    """Record an authorisation (ủy quyền) for the whole meeting or one vote; chains and cycles are refused."""
    return await _authorise(ctx, cmd.delegator, cmd.proxy, cmd.vote_id)


@meeting_action("proxy.withdraw", ProxyRef, VOTE_MANAGE)
async def withdraw(ctx: MeetingContext, cmd: ProxyRef) -> dict[str, Any]:
    """Withdraw an authorisation; it stays listed, marked with its time."""
    return await _withdraw(ctx, cmd.proxy_id)


@meeting_action("proxy.authorise_own", AuthoriseOwn, VOTE_AUTHORISE_OWN)
async def authorise_own(ctx: MeetingContext, cmd: AuthoriseOwn) -> dict[str, Any]:
    """A member authorises another member who is checked in, for the meeting or one vote (from the tablet)."""
    return await _authorise(ctx, ctx.actor.id, cmd.proxy, cmd.vote_id, present_holder=True)


@meeting_action("proxy.withdraw_own", ProxyRef, VOTE_AUTHORISE_OWN)
async def withdraw_own(ctx: MeetingContext, cmd: ProxyRef) -> dict[str, Any]:
    """A member withdraws an authorisation they gave; it stays listed, marked with its time."""
    return await _withdraw(ctx, cmd.proxy_id, ctx.actor.id)


# ---- the timer --------------------------------------------------------------------------------------------------


async def close_due(services: Services, meeting_id: str, vote_id: str) -> bool:
    """Close the vote if it is still open and its time has come (the timer's work); True when it closed it."""
    async with services.db.write() as session:
        meeting_row = await meeting_store.load(session, meeting_id, for_update=True)
        state = meeting_store.state_of(meeting_row)
        ctx = MeetingContext(
            services=services, actor=SYSTEM, session=session, meeting_row=meeting_row, meeting=state, role=CHAIR
        )
        row = await store.load_row(session, meeting_id, vote_id)
        vote = store.vote_from_dict(row.state)
        at = now()
        if vote.status != VOTE_OPEN or vote.closes_at is None or at < vote.closes_at:
            return False
        await _close(ctx, row, vote, at)
    for mid, entries in ctx._published:
        await services.notifier.publish(mid, entries)
    return True


class VoteTimers:
    """One timer per open vote with a duration, in this process."""

    def __init__(self) -> None:
        self._tasks: dict[str, asyncio.Task[None]] = {}

    def arm(self, services: Services, meeting_id: str, vote_id: str, closes_at: datetime) -> None:
        async def run() -> None:
            delay = (closes_at - now()).total_seconds()
            if delay > 0:
                await asyncio.sleep(delay)
            for _ in range(20):  # the clock may be a little behind the stored time: try again shortly after
                try:
                    if await close_due(services, meeting_id, vote_id):
                        return
                    row_closed = await _is_done(services, meeting_id, vote_id)
                    if row_closed:
                        return
                except Exception:
                    log.exception("closing vote %s failed", vote_id)
                await asyncio.sleep(0.5)
            self._tasks.pop(vote_id, None)

        old = self._tasks.pop(vote_id, None)
        if old is not None:
            old.cancel()
        self._tasks[vote_id] = asyncio.create_task(run())

    async def rearm(self, services: Services) -> int:
        """At start-up: every open vote with a closing time gets its timer; one whose time passed closes now."""
        async with services.db.read() as session:
            due = await store.due(session)
        for meeting_id, vote_id, closes_at in due:
            self.arm(services, meeting_id, vote_id, datetime.fromisoformat(closes_at.replace("Z", "+00:00")))
        return len(due)

    def cancel_all(self) -> None:
        for task in self._tasks.values():
            task.cancel()
        self._tasks.clear()


async def _is_done(services: Services, meeting_id: str, vote_id: str) -> bool:
    async with services.db.read() as session:
        row = await store.load_row(session, meeting_id, vote_id)
        return bool(row.status != VOTE_OPEN)


TIMERS = VoteTimers()
