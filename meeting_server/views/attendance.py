"""What anyone in a meeting may read of its attendance: the membership, each person's latest entry (with its
line, "Có mặt tại điểm cầu"), every entry in order (corrections kept), and the quorum line."""

from __future__ import annotations

from typing import Any

from ..actions.base import Services
from ..domain import attendance as domain
from ..domain.actors import Actor
from ..storage import attendance as store
from .meetings import visible_in


async def attendance(services: Services, actor: Actor, meeting_id: str) -> dict[str, Any]:
    async with services.db.read() as session:
        state, _ = await visible_in(session, actor, meeting_id)
        entries = await store.load_attendance(session, meeting_id)
    membership = domain.membership_of(state)
    quorum = domain.quorum(entries, membership, domain.quorum_rule_of(state))
    current = [
        {**entry.to_dict(), "line": entry.label("vi"), "line_en": entry.label("en"), "voting": membership.has_vote(pid)}
        for pid, entry in sorted(entries.current().items())
    ]
    return {
        "membership": {"voting": sorted(membership.voting), "guests": sorted(membership.guests)},
        "quorum": quorum.to_dict(),
        "current": current,
        "entries": [e.to_dict() for e in entries.entries],
    }
