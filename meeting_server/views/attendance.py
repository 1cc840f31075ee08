"""What anyone in a meeting may read of its attendance: the membership, each person's latest entry (with its
line, "Có mặt tại điểm cầu"), every entry in order (corrections kept), and the quorum line."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ..actions.base import Services
from ..documents.attendance_list import AttendanceListData
from ..domain import attendance as domain
from ..domain import checkin
from ..domain.actors import Actor
from ..domain.meetings import MeetingState, capabilities, require_organizer
from ..errors import AppError
from ..storage import attendance as store
from ..storage import checkin as checkin_store
from ..storage import directory
from ..storage import meetings as meeting_store
from ..storage.db import now_iso
from .meetings import people_of, visible_in


async def attendance(services: Services, actor: Actor, meeting_id: str) -> dict[str, Any]:
    async with services.db.read() as session:
        state, _ = await visible_in(session, actor, meeting_id)
        entries = await store.load_attendance(session, meeting_id)
        recorders = await _recorder_names(session, entries)
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
        "recorders": recorders,
    }


async def _recorder_names(session: AsyncSession, entries: domain.Attendance) -> dict[str, str]:
    """The names of whoever recorded an entry (a hall's operator or an administrator is not on the meeting's list)."""
    found = await directory.users_by_ids(session, sorted({e.recorded_by for e in entries.entries}))
    return {uid: row.full_name for uid, row in found.items()}


async def attendance_list(services: Services, actor: Actor, meeting_id: str) -> AttendanceListData:
    """What the printed attendance list needs (the meeting's organisers only): every entry, the membership, the
    quorum, and the names of the people and halls the entries mention."""
    async with services.db.read() as session:
        state, _ = await visible_in(session, actor, meeting_id)
        require_organizer(actor, state)
        entries = await store.load_attendance(session, meeting_id)
        people = await people_of(session, state)
        recorders = await _recorder_names(session, entries)
    membership = domain.membership_of(state)
    names = recorders | {s["id"]: s["name"] for s in state.sites} | {p["id"]: p["full_name"] for p in people}
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


def hall_name(state: MeetingState, site_id: str | None) -> str:
    """The hall a code checks people in at, as the screens and the door sheet name it."""
    if site_id is None:
        return f"Hội trường · {state.location}" if state.location else "Hội trường"
    return next((str(s["name"]) for s in state.sites if s["id"] == site_id), site_id)


@dataclass(frozen=True)
class HallCode:
    meeting_title: str
    hall: str
    code: str


async def hall_code(services: Services, actor: Actor, meeting_id: str, site_id: str | None) -> HallCode:
    """A hall's check-in code for the screens that show it (domain/checkin.may_show_code says who)."""
    async with services.db.read() as session:
        state, role = await visible_in(session, actor, meeting_id)
        key = await checkin_store.key_of(session, meeting_id)
    if site_id is not None and site_id not in state.site_ids:
        raise AppError("not_found", what="site")
    operated = domain.operated_sites(state, actor.unit_id)
    if not checkin.may_show_code(capabilities(actor, role), role, actor.id, operated, site_id):
        raise AppError("forbidden")
    if key is None:
        raise AppError.invalid(
            "Cuộc họp chưa có mã điểm danh: hãy bấm “Tạo mã mới”.", "The meeting has no check-in code yet: renew it."
        )
    code = checkin.checkin_code(key, checkin.CheckinPlace(meeting_id, site_id))
    return HallCode(state.title, hall_name(state, site_id), code)


async def code_page(services: Services, actor: Actor, code: str) -> dict[str, Any]:
    """What the check-in page shows for a scanned code: the meeting and the hall, and the person's own entry.
    A forged code, another key's or a hall no longer in the meeting is refused with one sentence; a genuine code
    of a meeting the person is not in says so."""
    meeting_id = checkin.code_meeting(code)
    async with services.db.read() as session:
        try:
            row = await meeting_store.load(session, meeting_id or "")
        except AppError:
            raise checkin.refused() from None
        key = await checkin_store.key_of(session, row.id)
        place = checkin.read_checkin_code(key or "", code, row.id)
        state = meeting_store.state_of(row)
        if place.site_id is not None and place.site_id not in state.site_ids:
            raise checkin.refused()
        try:
            state, role = await visible_in(session, actor, row.id)
        except AppError:
            raise AppError(
                "forbidden",
                detail="Bạn không có tên trong danh sách dự cuộc họp này nên không điểm danh được bằng mã này.",
                detail_en="You are not on this meeting's list, so this code cannot check you in.",
                whole=True,
            ) from None
        entries = await store.load_attendance(session, row.id)
    return {
        "meeting_id": state.id,
        "title": state.title,
        "starts_at": state.starts_at,
        "status": state.status,
        "site_id": place.site_id,
        "place": place.place,
        "hall": hall_name(state, place.site_id),
        "my_attendance": domain.own_entry(entries.latest(actor.id)),
        "capabilities": sorted(capabilities(actor, role)),
    }
