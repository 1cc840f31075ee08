"""What a given person may read of meetings: their meetings, one meeting, the events they missed, its
participants, its giấy mời.

Reads check visibility with the same domain rules the actions use, so REST and socket.io agree.
"""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from .. import auth  # the module, not its names: auth → actions → actions.record → views/record_facts → here
from ..actions.base import Services
from ..documents.ics import render_ics
from ..documents.invitation import InvitationData, InvitedUnit, SiteLine, issuer_abbreviation
from ..domain.actors import Actor
from ..domain.attendance import own_entry
from ..domain.meetings import MeetingState, meeting_role, require_visible, snapshot
from ..domain.papers import Viewer
from ..domain.papers import as_told as told
from ..domain.units import DIVISION_TYPES, authority_name, local_name, place_name
from ..storage import attendance as attendance_store
from ..storage import directory
from ..storage import meetings as store
from ..storage import papers as paper_store
from ..storage import register as register_store
from ..storage import votes as vote_store
from ..storage.db import parse_iso
from ..storage.models import MeetingRow
from ..vocabulary import CANCELLED, DRAFT, RECORD_INVITATION, SITE, SITE_OPERATOR, USER


async def visible_meeting(services: Services, actor: Actor, meeting_id: str) -> tuple[MeetingState, str]:
    async with services.db.read() as session:
        return await visible_in(session, actor, meeting_id)


async def visible_in(session: AsyncSession, actor: Actor, meeting_id: str) -> tuple[MeetingState, str]:
    """The meeting and the actor's role in it, inside a read the caller holds (not_found when it is hidden).
    What is shown of it to the actor goes through `as_told`."""
    state = store.state_of(await store.load(session, meeting_id))
    return state, require_visible(actor, state)


def viewer_of(actor: Actor, role: str) -> Viewer:
    return Viewer(
        role=role,
        user_id=actor.id if actor.kind == USER else None,
        unit_id=actor.unit_id if actor.kind == USER else None,
    )


async def as_told(session: AsyncSession, state: MeetingState, role: str, actor: Actor) -> MeetingState:
    """The meeting as this person may be told it: without the presentation of a paper they may not read."""
    presented = await paper_store.presented_paper(session, state.presentation, state.id)
    return told(state, presented, viewer_of(actor, role))


async def full_snapshot(session: AsyncSession, told: MeetingState, role: str, actor: Actor) -> dict[str, Any]:
    """The meeting's snapshot as sent to this person: the state as they may be told it, their role and
    capabilities, the votes (a tablet back online learns the results) and their own latest attendance entry
    (`my_attendance`: never another person's)."""
    mine = await attendance_store.latest_of(session, told.id, actor.id) if actor.kind == USER else None
    return {
        **snapshot(told, role, actor),
        "votes": await vote_store.shown(session, told.id),
        "my_attendance": own_entry(mine),
    }


async def meeting_snapshot(services: Services, actor: Actor, meeting_id: str) -> dict[str, Any]:
    """GET /api/meetings/{id}: the snapshot as sent to this person (`full_snapshot`)."""
    async with services.db.read() as session:
        state, role = await visible_in(session, actor, meeting_id)
        return await full_snapshot(session, await as_told(session, state, role, actor), role, actor)


async def candidates(session: AsyncSession, actor: Actor, *, everything: bool, scope: str) -> list[MeetingRow]:
    """The meetings this person might hold a part in (by the member index); `meeting_role` then decides."""
    return await store.candidate_ids(
        session,
        user_id=actor.id if actor.kind == USER else None,
        unit_id=actor.unit_id if actor.kind == USER else None,
        site_id=actor.id if actor.kind == SITE else None,
        operator=SITE_OPERATOR in actor.roles,
        everything=everything,
        scope=scope,
    )


async def my_meetings(services: Services, actor: Actor, scope: str) -> list[dict[str, Any]]:
    async with services.db.read() as session:
        rows = await candidates(session, actor, everything=actor.is_admin, scope=scope)
        result = []
        for row in rows:
            state = store.state_of(row)
            role = meeting_role(actor, state)
            if role is not None:
                snap = snapshot(await as_told(session, state, role, actor), role, actor)
                snap["agenda_count"] = len(state.agenda)
                result.append(snap)
    return result


async def catch_up(services: Services, actor: Actor, meeting_id: str, after_seq: int) -> tuple[dict[str, Any], str]:
    """Missed events for this person (and their role in the meeting), or a snapshot when they are too far
    behind to replay."""
    async with services.db.read() as session:
        row = await store.load(session, meeting_id)
        state = store.state_of(row)
        role = require_visible(actor, state)
        last_seq = row.last_seq
        behind = last_seq - after_seq
        if after_seq <= 0 or behind > services.settings.snapshot_after or after_seq > last_seq:
            snap = await full_snapshot(session, await as_told(session, state, role, actor), role, actor)
            return {"last_seq": last_seq, "snapshot": snap}, role
        entries = await store.events_after(session, meeting_id, after_seq, behind)
    events = [store.public_event(e) for e in entries if store.visible(e, role, actor.id)]
    return {"last_seq": last_seq, "events": events}, role


async def participants(services: Services, actor: Actor, meeting_id: str) -> dict[str, Any]:
    async with services.db.read() as session:
        state, _ = await visible_in(session, actor, meeting_id)
        people = await people_of(session, state)
    return {"people": people, "sites": [dict(s) for s in state.sites]}


async def people_of(session: AsyncSession, state: MeetingState) -> list[dict[str, Any]]:
    """Everyone the meeting names, directly or through their unit, with their unit's name and meeting role."""
    direct = await directory.users_by_ids(
        session, [i for i in (*state.invitee_ids, state.chair_id, state.secretary_id) if i]
    )
    by_unit = await directory.users_in_units(session, list(state.invited_unit_ids))
    units = {u["id"]: u for u in await directory.list_units(session)}
    people: dict[str, dict[str, Any]] = {}
    for user in [*direct.values(), *by_unit]:
        if user.id in people:
            continue
        people[user.id] = {
            "id": user.id,
            "full_name": user.full_name,
            "title": user.title,
            "unit_id": user.unit_id,
            "unit_name": units.get(user.unit_id or "", {}).get("name", ""),
            "role": meeting_role(auth.actor_of_user(user), state),
            "invited_via": "unit" if user.id not in direct else "direct",
        }
    return list(people.values())


def _authority(unit: dict[str, Any]) -> str:
    return authority_name(unit["kind"], unit["name"], unit["division_type"])


def _commune_type(unit: dict[str, Any] | None) -> str:
    """The division type of a commune-level unit (xã, phường, đặc khu); "" for any other unit."""
    if unit is None or unit["kind"] != "commune" or unit["division_type"] not in DIVISION_TYPES["commune"]:
        return ""
    return str(unit["division_type"])


def _invited_units(state: MeetingState, units: dict[str, dict[str, Any]], own_id: str | None) -> list[InvitedUnit]:
    """The units invited as a whole, each with the area above it ("tỉnh" for the issuer's own province) and
    how many commune-level units that area has, so the giấy mời can name all of them as one group."""
    sizes = Counter(u["parent_id"] for u in units.values() if _commune_type(u) and u["parent_id"])
    invited = []
    for u in (units[i] for i in state.invited_unit_ids if i in units):
        parent = units.get(u["parent_id"] or "")
        area = ""
        if parent is not None:
            area = (
                parent["division_type"]
                if parent["id"] == own_id
                else local_name(parent["name"], parent["division_type"])
            )
        invited.append(InvitedUnit(_authority(u), _commune_type(u), area, sizes[u["parent_id"]]))
    return invited


def _site_line(site: dict[str, Any], units: dict[str, dict[str, Any]]) -> SiteLine:
    unit = units.get(site.get("unit_id") or "")
    return SiteLine(site["name"], unit["name"] if unit else "", _commune_type(unit))


async def invitation_data(services: Services, actor: Actor, meeting_id: str) -> tuple[InvitationData, MeetingState]:
    """Everything the giấy mời names, resolved from ids to the names and titles printed on paper (and the
    meeting it came from, for the calendar file)."""
    async with services.db.read() as session:
        state, _ = await visible_in(session, actor, meeting_id)
        return await invitation_of(session, state), state


async def invitation_of(session: AsyncSession, state: MeetingState) -> InvitationData:
    """The giấy mời's contents for a meeting already loaded (the mail sender's, with no actor)."""
    people = await directory.users_by_ids(
        session, [i for i in (state.organizer_id, state.chair_id, state.secretary_id, *state.invitee_ids) if i]
    )
    units = {u["id"]: u for u in await directory.list_units(session)}
    organizer = people.get(state.organizer_id)
    chair = people.get(state.chair_id or "")
    secretary = people.get(state.secretary_id or "")
    signer = chair or organizer
    home = units.get(signer.unit_id or "") if signer is not None else None
    parent = units.get(home["parent_id"] or "") if home else None
    # A province or commune issues as its People's Committee; an agency as itself, under its parent's committee.
    issuing = _authority(home) if home else "Ủy ban nhân dân"
    above = _authority(parent) if parent and home and home["kind"] == "agency" else (parent or {}).get("name", "")
    place_unit = parent if home and home["kind"] == "agency" and parent else home
    main_site = next((s["name"] for s in state.sites if s["id"] == state.main_site_id), "")
    recipients = [
        f"{u.title} {u.full_name}".strip() if u.title else u.full_name
        for uid in state.invitee_ids
        if (u := people.get(uid))
    ]
    data = InvitationData(
        meeting_id=state.id,
        title=state.title,
        starts_at=parse_iso(state.starts_at),
        ends_at=parse_iso(state.ends_at) if state.ends_at else None,
        location=state.location,
        main_site=main_site,
        sites=[_site_line(s, units) for s in state.sites if s["id"] != state.main_site_id],
        chair=chair.full_name if chair else "",
        chair_title=chair.title if chair else "",
        secretary=secretary.full_name if secretary else "",
        issuing_unit=issuing.upper(),
        parent_unit=above.upper(),
        place_name=place_name(place_unit["name"], place_unit["division_type"]) if place_unit else "",
        recipients=recipients,
        agenda=[(i.title, i.presenter_name, i.planned_minutes) for i in state.agenda],
        issued_at=datetime.now(UTC),
        invited_units=_invited_units(state, units, place_unit["id"] if place_unit else None),
        issuer_abbreviation=issuer_abbreviation(home["kind"], home["name"], home["code"] or "") if home else "UBND",
        number=numbered.number
        if (numbered := await register_store.entry_of_meeting(session, state.id, RECORD_INVITATION))
        else None,
    )
    return data


def calendar_file(data: InvitationData, state: MeetingState, base_url: str, method: str = "PUBLISH") -> str:
    """The meeting's .ics (one UID per meeting, SEQUENCE its last event's number, so every later file supersedes
    the earlier ones): downloaded from the API and attached to the invitation mails (METHOD:CANCEL when cancelled)."""
    status = {CANCELLED: "CANCELLED", DRAFT: "TENTATIVE"}.get(state.status, "CONFIRMED")
    agenda = "\n".join(
        f"{n}. {title} ({who}, {minutes} phút)" for n, (title, who, minutes) in enumerate(data.agenda, 1)
    )
    return render_ics(
        uid=f"{state.id}@meeting-server",
        title=state.title,
        starts_at=data.starts_at,
        ends_at=data.ends_at,
        location=", ".join(x for x in (data.main_site, state.location) if x),
        description=agenda,
        organizer_name=data.chair or data.issuing_unit,
        organizer_email=None,
        status=status,
        sequence=state.last_seq,
        url=f"{base_url.rstrip('/')}/meetings/{state.id}",
        dtstamp=datetime.now(UTC),
        method=method,
    )
