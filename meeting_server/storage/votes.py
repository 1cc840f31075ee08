"""Votes and proxies: one row per vote (its definition and tally), a secret vote's counts per choice, and the
authorisations. A secret ballot changes two things in one transaction: its voter joins the vote's sorted
`voted` set and each chosen count goes up by one in place (docs/votes.md, the threat model)."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import delete, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain import votes as domain
from ..domain.answers import stand_in_proxies
from ..domain.meetings import MeetingState
from ..errors import AppError
from .db import iso, utc_now
from .models import ProxyRow, VoteCountRow, VoteRow


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value.replace("Z", "+00:00")) if value else None


def _iso(moment: datetime | None) -> str | None:
    return iso(moment) if moment is not None else None


def vote_to_dict(vote: domain.Vote) -> dict[str, Any]:
    return {
        "id": vote.id,
        "item_id": vote.item_id,
        "question": vote.question,
        "kind": vote.kind,
        "choices": [{"id": c.id, "label": c.label} for c in vote.choices],
        "max_choices": vote.max_choices,
        "secret": vote.secret,
        "changeable": vote.changeable,
        "duration_s": vote.duration_s,
        "rule": vote.rule,
        "base": vote.base,
        "status": vote.status,
        "members": sorted(vote.members),  # not vocabulary: the field
        "opened_at": _iso(vote.opened_at),
        "closes_at": _iso(vote.closes_at),
        "closed_at": _iso(vote.closed_at),
        "paper_id": vote.paper_id,
    }


def vote_from_dict(raw: dict[str, Any]) -> domain.Vote:
    return domain.Vote(
        id=raw["id"],
        item_id=raw["item_id"],
        question=raw["question"],
        kind=raw["kind"],
        choices=tuple(domain.Choice(c["id"], c["label"]) for c in raw["choices"]),
        max_choices=raw["max_choices"],
        secret=raw["secret"],
        changeable=raw["changeable"],
        duration_s=raw["duration_s"],
        rule=raw["rule"],
        base=raw["base"],
        status=raw["status"],
        members=frozenset(raw["members"]),  # not vocabulary: the field
        opened_at=_time(raw["opened_at"]),
        closes_at=_time(raw["closes_at"]),
        closed_at=_time(raw["closed_at"]),
        paper_id=raw.get("paper_id"),  # votes prepared before it existed have none
    )


def proxy_to_dict(p: domain.Proxy) -> dict[str, Any]:
    return {
        "id": p.id,
        "delegator": p.delegator,
        "proxy": p.proxy,
        "vote_id": p.vote_id,
        "given_at": iso(p.given_at),
        "recorded_by": p.recorded_by,
        "withdrawn_at": _iso(p.withdrawn_at),
        "stand_in": p.stand_in,  # from an answer to the invitation (domain/answers.py), never a row here
    }


def _proxy_of(row: ProxyRow) -> domain.Proxy:
    given = _time(row.given_at)
    assert given is not None
    return domain.Proxy(
        id=row.id,
        delegator=row.delegator,
        proxy=row.proxy,
        given_at=given,
        recorded_by=row.recorded_by,
        vote_id=row.vote_id,
        withdrawn_at=_time(row.withdrawn_at),
    )


def public_vote(row: VoteRow) -> dict[str, Any]:
    """A vote as every screen sees it: the definition, the turnout, and the result once closed."""
    out = {**row.state, "voted": len(row.tally.get("voted") or ())}
    out["members_count"] = len(row.state.get("members") or ())  # not vocabulary: the field
    if not row.state["secret"]:
        out["ballots"] = row.tally.get("ballots") or []
    out["result"] = row.result
    return out


def event_vote(shown: dict[str, Any]) -> dict[str, Any]:
    """A vote as its events carry it to every screen: the list's view but its `members` (500 ids to each of
    500 screens at the open; `members_count` says how many)."""
    return {k: v for k, v in shown.items() if k != "members"}  # not vocabulary: the field


async def load_row(session: AsyncSession, meeting_id: str, vote_id: str) -> VoteRow:
    row = await session.get(VoteRow, vote_id)
    if row is None or row.meeting_id != meeting_id:
        raise AppError("not_found", what="vote")
    return row


async def tally_of(session: AsyncSession, row: VoteRow) -> domain.Tally:
    tally = domain.Tally.from_dict(row.tally)
    if row.state["secret"]:
        counts = (await session.execute(select(VoteCountRow).where(VoteCountRow.vote_id == row.id))).scalars()
        tally = domain.Tally.from_dict({**row.tally, "counts": {c.choice: c.n for c in counts}})
    return tally


def _created_now() -> str:
    """When a vote is prepared, to the microsecond: votes are listed in the order they were prepared, and two
    prepared within one second (the secretary preparing a meeting's votes in a row) keep theirs."""
    return utc_now().strftime("%Y-%m-%dT%H:%M:%S.%fZ")


async def insert(session: AsyncSession, meeting_id: str, vote: domain.Vote) -> VoteRow:
    row = VoteRow(
        id=vote.id,
        meeting_id=meeting_id,
        status=vote.status,
        closes_at=None,
        state=vote_to_dict(vote),
        tally=domain.Tally(vote.id).to_dict(),
        result=None,
        created_at=_created_now(),
    )
    session.add(row)
    await session.flush()  # the vote row before its count rows
    if vote.secret:
        session.add_all(VoteCountRow(vote_id=vote.id, choice=c.id, n=0) for c in vote.choices)
        await session.flush()
    return row


async def save_vote(session: AsyncSession, row: VoteRow, vote: domain.Vote) -> None:
    row.state = vote_to_dict(vote)
    row.status = vote.status
    row.closes_at = _iso(vote.closes_at)
    await session.flush()


async def apply_ballot(session: AsyncSession, row: VoteRow, events: tuple[domain.VoteEvent, ...]) -> domain.Tally:
    """Fold ballot events (one ballot's, or a group's) into the stored tally. `CountsAdded` only bumps the count
    rows in place, once per choice with the group's sum."""
    tally = domain.Tally.from_dict(row.tally)
    added: dict[str, int] = {}
    for event in events:
        if isinstance(event, domain.CountsAdded):
            for choice, n in event.counts:
                added[choice] = added.get(choice, 0) + n
        else:
            tally = domain.apply(tally, event)
    for choice in sorted(added):
        await session.execute(
            update(VoteCountRow)
            .where(VoteCountRow.vote_id == row.id, VoteCountRow.choice == choice)
            .values(n=VoteCountRow.n + added[choice])
        )
    row.tally = tally.to_dict()
    await session.flush()
    return tally


async def reset_counts(session: AsyncSession, row: VoteRow, vote: domain.Vote) -> None:
    """A draft secret vote's choices changed: one zero count per choice again."""
    await session.execute(delete(VoteCountRow).where(VoteCountRow.vote_id == row.id))
    await session.flush()
    session.add_all(VoteCountRow(vote_id=vote.id, choice=c.id, n=0) for c in vote.choices)


async def save_result(session: AsyncSession, row: VoteRow, result: dict[str, Any]) -> None:
    row.result = result
    await session.flush()


async def votes_of(session: AsyncSession, meeting_id: str) -> list[VoteRow]:
    query = select(VoteRow).where(VoteRow.meeting_id == meeting_id).order_by(VoteRow.created_at, VoteRow.id)
    return list((await session.execute(query)).scalars())


async def shown(session: AsyncSession, meeting_id: str) -> list[dict[str, Any]]:
    """Every vote of the meeting as screens see it (what a snapshot carries, so a tablet back online learns results)."""
    return [public_vote(r) for r in await votes_of(session, meeting_id)]


async def proxies_of(session: AsyncSession, meeting_id: str) -> tuple[domain.Proxy, ...]:
    query = select(ProxyRow).where(ProxyRow.meeting_id == meeting_id).order_by(ProxyRow.given_at, ProxyRow.id)
    return tuple(_proxy_of(r) for r in (await session.execute(query)).scalars())


async def proxies_with_stand_ins(session: AsyncSession, state: MeetingState) -> tuple[domain.Proxy, ...]:
    """Every authorisation of the meeting: the recorded ones and those its stand-ins hold (domain/answers.py)."""
    return (*await proxies_of(session, state.id), *stand_in_proxies(state))


async def add_proxy(session: AsyncSession, meeting_id: str, p: domain.Proxy) -> None:
    d = {k: v for k, v in proxy_to_dict(p).items() if k != "stand_in"}
    session.add(ProxyRow(meeting_id=meeting_id, **d))
    await session.flush()


async def withdraw_proxy(session: AsyncSession, proxy_id: str, at: datetime) -> None:
    await session.execute(update(ProxyRow).where(ProxyRow.id == proxy_id).values(withdrawn_at=iso(at)))


async def due(session: AsyncSession) -> list[tuple[str, str, str]]:
    """(meeting id, vote id, closes at) of every open vote with a closing time: the timer's work at start-up."""
    query = select(VoteRow.meeting_id, VoteRow.id, VoteRow.closes_at).where(
        VoteRow.status == "open", VoteRow.closes_at.is_not(None)
    )
    return [(m, v, str(c)) for m, v, c in (await session.execute(query)).all()]
