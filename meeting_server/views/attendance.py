"""What anyone in a meeting may read of its attendance: the membership, each person's latest entry (with its
line, "Có mặt tại điểm cầu"), every entry in order (corrections kept), and the quorum line."""

from __future__ import annotations

from typing import Any

from ..actions.base import Services
from ..documents.attendance_list import AttendanceListData
from ..domain import attendance as domain
from ..domain.actors import Actor
from ..domain.meetings import require_organizer
from ..storage import attendance as store
from ..storage.db import now_iso
from .meetings import people_of, visible_in


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


async def attendance_list(services: Services, actor: Actor, meeting_id: str) -> AttendanceListData:
    """What the printed attendance list needs (the meeting's organisers only): every entry, the membership, the
    quorum, and the names of the people and halls the entries mention."""
    async with services.db.read() as session:
        state, _ = await visible_in(session, actor, meeting_id)
        require_organizer(actor, state)
        entries = await store.load_attendance(session, meeting_id)
        people = await people_of(session, state)
    membership = domain.membership_of(state)
    names = {s["id"]: s["name"] for s in state.sites} | {p["id"]: p["full_name"] for p in people}
    names |= {e.person_id: e.name for e in entries.entries if e.name and e.person_id not in names}
    return AttendanceListData(
        meeting_title=state.title,
        starts_at=state.starts_at,
        attendance=entries,
        membership=membership,
        quorum=domain.quorum(entries, membership, domain.quorum_rule_of(state)),
        names=names,
        printed_at=now_iso(),
    )
