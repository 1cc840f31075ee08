"""Reading a meeting's votes: every vote with its turnout (and, once closed, its result) and the authorisations.
A secret vote shows who voted and, only after the close, the counts; a named vote its ballots."""

from __future__ import annotations

from typing import Any

from ..actions.base import Services
from ..domain.actors import Actor
from ..errors import AppError
from ..storage import votes as store
from .meetings import visible_in


async def meeting_votes(services: Services, actor: Actor, meeting_id: str) -> dict[str, Any]:
    async with services.db.read() as session:
        state, _ = await visible_in(session, actor, meeting_id)
        rows = await store.votes_of(session, meeting_id)
        proxies = await store.proxies_with_stand_ins(session, state)
    return {"votes": [store.public_vote(r) for r in rows], "proxies": [store.proxy_to_dict(p) for p in proxies]}


async def shown(services: Services, meeting_id: str) -> list[dict[str, Any]]:
    """The votes a snapshot carries (the caller has checked the meeting is visible)."""
    async with services.db.read() as session:
        return await store.shown(session, meeting_id)


async def closed_vote(services: Services, actor: Actor, meeting_id: str, vote_id: str) -> tuple[str, dict[str, Any]]:
    """The meeting's title and a closed vote with its result (for the result sheet); `conflict` before the close."""
    async with services.db.read() as session:
        state, _ = await visible_in(session, actor, meeting_id)
        vote = store.public_vote(await store.load_row(session, meeting_id, vote_id))
    if vote["result"] is None:
        raise AppError(
            "conflict", detail="biểu quyết chưa kết thúc, chưa có kết quả", detail_en="the vote has no result yet"
        )
    return state.title, vote
