"""Meetings: the current state as one JSON document per meeting, its member index, and its event log.

The event log and the state change in the same transaction (`append_events`), so a committed event always
describes a committed state and the sequence has no gap: on SQLite the write transaction holds the database
lock, on PostgreSQL `load_for_update` holds the meeting row's lock until commit.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, or_, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.meetings import Audience, Event, MeetingState, apply
from ..errors import AppError
from ..vocabulary import CLOSED_STATUSES, IN_PROGRESS, OPEN_STATUSES, SITE
from .db import now_iso
from .models import MeetingEventRow, MeetingMemberRow, MeetingRow

MEMBERSHIP_FIELDS = frozenset({"invitee_ids", "invited_unit_ids", "sites", "chair_id", "secretary_id"})


async def load(session: AsyncSession, meeting_id: str, *, for_update: bool = False) -> MeetingRow:
    query = select(MeetingRow).where(MeetingRow.id == meeting_id)
    if for_update:
        query = query.with_for_update()
    row = (await session.execute(query)).scalar_one_or_none()
    if row is None:
        raise AppError("not_found", what="meeting")
    return row


def state_of(row: MeetingRow) -> MeetingState:
    state = MeetingState.from_dict(row.state)
    return MeetingState.from_dict({**state.to_dict(), "last_seq": row.last_seq})


async def insert(session: AsyncSession, state: MeetingState) -> MeetingRow:
    now = now_iso()
    row = MeetingRow(
        id=state.id,
        title=state.title,
        status=state.status,
        starts_at=state.starts_at,
        organizer_id=state.organizer_id,
        last_seq=0,
        state=state.to_dict(),
        created_at=now,
        updated_at=now,
    )
    session.add(row)
    await session.flush()
    return row


async def append_events(
    session: AsyncSession, row: MeetingRow, events: list[Event], actor_id: str | None
) -> tuple[MeetingState, list[dict[str, Any]]]:
    """Apply events to the meeting, append them to its log and return the new state and the stored entries."""
    state = state_of(row)
    stored: list[dict[str, Any]] = []
    touched_members = False
    at = now_iso()
    for event in events:
        state = apply(state, event)
        row.last_seq += 1
        touched_members = touched_members or bool(MEMBERSHIP_FIELDS & set(event.patch))
        entry = MeetingEventRow(
            meeting_id=row.id,
            seq=row.last_seq,
            type=event.type,
            data=event.data,
            audience=event.audience.to_dict(),
            actor_id=actor_id,
            at=at,
        )
        session.add(entry)
        stored.append(event_dict(entry))
    if events and not any(event.patch for event in events):
        # Nothing in the state changed (a ballot, a vote's entry): the sequence moves, the JSON is not rewritten
        # (state_of reads last_seq from its column).
        await session.flush()
        return MeetingState.from_dict({**state.to_dict(), "last_seq": row.last_seq}), stored
    if events:
        row.state = {**state.to_dict(), "last_seq": row.last_seq}
        row.title = state.title
        row.status = state.status
        row.starts_at = state.starts_at
        row.updated_at = at
        if touched_members or row.last_seq == len(events):
            await _index_members(session, state)
        await session.flush()
    return MeetingState.from_dict(row.state), stored


async def _index_members(session: AsyncSession, state: MeetingState) -> None:
    await session.execute(delete(MeetingMemberRow).where(MeetingMemberRow.meeting_id == state.id))
    members: set[tuple[str, str]] = {("user", state.organizer_id)}
    members.update(("user", uid) for uid in state.invitee_ids)
    members.update(("user", uid) for uid in (state.chair_id, state.secretary_id) if uid)
    members.update(("unit", uid) for uid in state.invited_unit_ids)
    members.update((SITE, s["id"]) for s in state.sites)
    members.update(("unit_site", s["unit_id"]) for s in state.sites if s.get("unit_id"))
    session.add_all(MeetingMemberRow(meeting_id=state.id, kind=k, ref_id=r) for k, r in sorted(members))


def event_dict(row: MeetingEventRow) -> dict[str, Any]:
    return {
        "meeting_id": row.meeting_id,
        "seq": row.seq,
        "type": row.type,
        "data": row.data,
        "at": row.at,
        "actor_id": row.actor_id,
        "audience": row.audience,
    }


def public_event(entry: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in entry.items() if k != "audience"}


async def events_after(session: AsyncSession, meeting_id: str, after_seq: int, limit: int) -> list[dict[str, Any]]:
    rows = (
        await session.execute(
            select(MeetingEventRow)
            .where(MeetingEventRow.meeting_id == meeting_id, MeetingEventRow.seq > after_seq)
            .order_by(MeetingEventRow.seq)
            .limit(limit)
        )
    ).scalars()
    return [event_dict(r) for r in rows]


def visible(entry: dict[str, Any], role: str, user_id: str) -> bool:
    return Audience.from_dict(entry["audience"]).includes(role, user_id)


async def candidate_ids(
    session: AsyncSession,
    *,
    user_id: str | None,
    unit_id: str | None,
    site_id: str | None,
    operator: bool,
    everything: bool,
    scope: str,
) -> list[MeetingRow]:
    """Meetings a person might see, by the member index; the domain then decides on each one."""
    query = select(MeetingRow)
    if not everything:
        conditions = []
        if user_id:
            conditions.append((MeetingMemberRow.kind == "user") & (MeetingMemberRow.ref_id == user_id))
        if unit_id:
            conditions.append((MeetingMemberRow.kind == "unit") & (MeetingMemberRow.ref_id == unit_id))
            if operator:
                conditions.append((MeetingMemberRow.kind == "unit_site") & (MeetingMemberRow.ref_id == unit_id))
        if site_id:
            conditions.append((MeetingMemberRow.kind == SITE) & (MeetingMemberRow.ref_id == site_id))
        if not conditions:
            return []
        member_ids = select(MeetingMemberRow.meeting_id).where(or_(*conditions))
        query = query.where(MeetingRow.id.in_(member_ids))
    if scope == "upcoming":
        query = query.where(MeetingRow.status.in_(OPEN_STATUSES)).order_by(MeetingRow.starts_at)
    elif scope == "past":
        query = query.where(MeetingRow.status.in_(sorted(CLOSED_STATUSES))).order_by(MeetingRow.starts_at.desc())
    else:
        query = query.order_by(MeetingRow.starts_at.desc())
    return list((await session.execute(query.limit(500))).scalars())


async def booking_sites(session: AsyncSession, site_ids: list[str], but: str) -> list[MeetingState]:
    """Open meetings other than `but` that have any of these sites (their times are the domain's to compare)."""
    if not site_ids:
        return []
    booked = select(MeetingMemberRow.meeting_id).where(
        MeetingMemberRow.kind == SITE, MeetingMemberRow.ref_id.in_(site_ids)
    )
    query = select(MeetingRow).where(
        MeetingRow.id.in_(booked), MeetingRow.id != but, MeetingRow.status.in_(OPEN_STATUSES)
    )
    return [state_of(row) for row in (await session.execute(query.order_by(MeetingRow.starts_at).limit(200))).scalars()]


async def in_progress(session: AsyncSession) -> list[MeetingState]:
    """Every meeting in progress (the floor's timer re-arms their running speeches at start-up)."""
    rows = (await session.execute(select(MeetingRow).where(MeetingRow.status == IN_PROGRESS))).scalars()
    return [state_of(row) for row in rows]
