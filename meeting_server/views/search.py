"""Search across everything a person may read (docs/search.md): their scope from their part in each meeting, the
query run with that scope inside it (storage/search.py), the hits with marked snippets and where each one opens."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any

from ..actions.base import Services
from ..documents.nd30 import VIETNAM_TZ
from ..domain.actors import Actor
from ..domain.meetings import MeetingState, capabilities, meeting_role
from ..search.highlight import snippet
from ..storage import search as store
from ..storage.db import iso
from ..vocabulary import ADMIN, PAPER_MANAGE, PAPER_READ_RESTRICTED, RECORD_READ, USER
from .meetings import candidates

PAGE_SIZE = 20
Filters = store.Filters


def has_words(query: str) -> bool:
    """Whether the query has anything to search for (letters or digits)."""
    return bool(store.query_tokens(query))


def _vietnam_midnight(day: date) -> str:
    """The UTC moment a Vietnam calendar day begins (meetings are stored in UTC)."""
    return iso(datetime.combine(day, time(), VIETNAM_TZ))


def filters(
    kinds: tuple[str, ...], meeting_id: str | None, unit_id: str | None, since: date | None, until: date | None
) -> Filters:
    """The filters of a search; `since` and `until` are Vietnam calendar days, both included."""
    return Filters(
        kinds=kinds,
        meeting_id=meeting_id,
        unit_id=unit_id,
        since=_vietnam_midnight(since) if since else None,
        until=_vietnam_midnight(until + timedelta(days=1)) if until else None,
    )


@dataclass(frozen=True)
class Found:
    total: int  # exact unless `more`: then the cap (Settings.search_count_cap)
    more: bool
    hits: list[dict[str, Any]]


async def scope_of(services: Services, actor: Actor) -> store.Scope:
    """The meetings where the actor holds a part, grouped by what that part lets them read. An administrator holds
    one (ADMIN) in every meeting; the parts they hold by name (organiser, chair, secretary) grant all ADMIN does
    and restricted papers besides, so "every meeting" plus those named ones is exact."""
    async with services.db.read() as session:
        rows = await candidates(session, actor, everything=False, scope="all")
    held: dict[str, frozenset[str]] = {}
    for row in rows:
        # the stored state as it is: a part in the meeting needs none of what state_of adds (its log's last seq)
        role = meeting_role(actor, MeetingState.from_dict(row.state))
        if role is not None:
            held[row.id] = frozenset(capabilities(actor, role))

    def having(permission: str) -> store.MeetingSet:
        if actor.is_admin and permission in capabilities(actor, ADMIN):
            return store.MeetingSet(every=True)
        return store.MeetingSet(frozenset(m for m, caps in held.items() if permission in caps))

    return store.Scope(
        user_id=actor.id if actor.kind == USER else None,
        unit_id=actor.unit_id if actor.kind == USER else None,
        visible=store.MeetingSet(frozenset(held), every=actor.is_admin),
        managed=having(PAPER_MANAGE),
        restricted=having(PAPER_READ_RESTRICTED),
        record=having(RECORD_READ),
    )


def link_of(hit: store.Hit) -> str:
    """Where the hit opens in the app: the reader at the page, the record page, the meeting."""
    if hit.kind in ("page", "comment"):
        return f"/meetings/{hit.meeting_id}/papers/{hit.paper_id}?v={hit.version}&page={hit.page}"
    if hit.kind == "record":
        return f"/meetings/{hit.meeting_id}/record"
    return f"/meetings/{hit.meeting_id}"


async def search(services: Services, actor: Actor, query: str, filters: store.Filters, page: int) -> Found:
    """One page of the hits the actor may read, best first, and how many there are in all."""
    scope = await scope_of(services, actor)
    index = store.index_for(services.db.is_sqlite)
    async with services.db.read() as session:
        results = await index.search(
            session, query, scope, filters, PAGE_SIZE, (page - 1) * PAGE_SIZE, services.settings.search_count_cap
        )
    phrase = store.query_tokens(query)
    return Found(
        total=results.total,
        more=results.more,
        hits=[
            {
                "kind": h.kind,
                "meeting_id": h.meeting_id,
                "meeting_title": h.meeting_title,
                "at": h.at,
                "title": h.title,
                "paper_id": h.paper_id,
                "version": h.version,
                "page": h.page,
                "ref_id": h.ref_id,
                "snippet": snippet(h.body, phrase, h.folded),
                "link": link_of(h),
                "rank": h.rank,
            }
            for h in results.hits
        ],
    )
