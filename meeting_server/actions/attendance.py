"""Attendance (điểm danh): checking in oneself, the secretary's desk recording anyone (and correcting), a commune
site's operator recording the people in their hall.

The rules are domain/attendance.py's. Each entry is kept append-only in `attendance_entries`, at the sequence
number of the event that tells it (`attendance.recorded` / `attendance.corrected`), and every such event patches
the meeting's `quorum` (the count after it), so the console and the wall display follow the count live.
"""

from __future__ import annotations

from dataclasses import replace
from typing import Any

from pydantic import Field

from ..domain import attendance as domain
from ..domain import checkin
from ..domain.attendance import Attendance, Entry, Recorder
from ..domain.meetings import Event, MeetingState, apply, capabilities
from ..storage import attendance as store
from ..storage import checkin as checkin_store
from ..storage.db import now_iso
from ..vocabulary import (
    ABSENT_EXCUSED,
    ABSENT_UNEXCUSED,
    AT_SITE,
    ATTENDANCE_CHECK_IN_OTHERS,
    ATTENDANCE_CHECK_IN_SELF,
    ATTENDANCE_CHECK_IN_SITE,
    CHECKED_IN,
    IN_HALL,
    IN_PROGRESS,
    LATE,
    LEFT_EARLY,
    ArrivalStatus,
    AttendancePlace,
    AttendanceStatus,
)
from .base import MeetingContext, Schema, meeting_action
from .schemas import Id, Short

# Arriving more than this after the start is đến muộn, when one checks in oneself or is checked in at a site.
LATE_AFTER_MINUTES = 15

Reason = Field(default="", max_length=domain.MAX_REASON)


class CheckIn(Schema):
    meeting_id: Id
    status: ArrivalStatus = CHECKED_IN
    place: AttendancePlace = IN_HALL
    site_id: Id | None = None


class CheckInWithCode(Schema):
    meeting_id: Id
    code: str = Field(min_length=1, max_length=200)


class MeetingRef(Schema):
    meeting_id: Id


class RecordAtSite(Schema):
    meeting_id: Id
    site_id: Id
    person_id: Id
    status: ArrivalStatus = CHECKED_IN
    name: Short = ""  # a person counted in the hall who has no account (then `person_id` is the hall's own id)


class RecordAttendance(Schema):
    meeting_id: Id
    person_id: Id
    status: AttendanceStatus
    place: AttendancePlace | None = None
    site_id: Id | None = None
    reason: str = Reason
    name: Short = ""
    correction: bool = False


def _recorder(ctx: MeetingContext) -> Recorder:
    caps = capabilities(ctx.actor, ctx.role)
    sites = domain.operated_sites(ctx.meeting, ctx.actor.unit_id)
    return Recorder(user_id=ctx.actor.id, permissions=caps, site_ids=sites)


def _arrival(ctx: MeetingContext, status: AttendanceStatus, before: Entry | None, now: str) -> AttendanceStatus:
    """Có mặt becomes đến muộn for a first arrival well after a started meeting's start."""
    first = before is None or before.status in (ABSENT_EXCUSED, ABSENT_UNEXCUSED)
    if status == CHECKED_IN and first and ctx.meeting.status == IN_PROGRESS:
        return domain.arrival_status(ctx.meeting.starts_at, now, LATE_AFTER_MINUTES)
    return status if status != LATE or first else CHECKED_IN


async def _record(ctx: MeetingContext, person_id: str, status: AttendanceStatus, **given: Any) -> dict[str, Any]:
    """Record one entry: check it, append its event with the quorum after it, keep the entry at that event's
    sequence number. A second identical tap records nothing and answers the same."""
    attendance = await store.load_attendance(ctx.session, ctx.meeting.id)
    membership = domain.membership_of(ctx.meeting)
    if person_id == ctx.actor.id and not membership.knows(person_id):
        # In the meeting but not on its list (invited through their unit, or an organiser): present as a guest.
        membership = replace(membership, guests=membership.guests | {person_id})
    now = now_iso()
    if not given.get("correction"):
        status = _arrival(ctx, status, attendance.latest(person_id), now)
    new, events = domain.record(
        ctx.meeting,
        attendance,
        membership,
        _recorder(ctx),
        person_id=person_id,
        status=status,
        at=now,
        now=now,
        **given,
    )
    quorum = domain.quorum(new, membership, domain.quorum_rule_of(ctx.meeting)).to_dict()
    if events:
        told = [Event(e.type, {**e.data, "patch": {"quorum": quorum}}, e.audience) for e in events]
        await ctx.record(told)
        await store.add_entry(ctx.session, ctx.meeting.id, ctx.meeting_row.last_seq, new.entries[-1])
    latest = new.latest(person_id)
    entry = latest.to_dict() if latest else None
    return {"meeting_id": ctx.meeting.id, "entry": entry, "recorded": bool(events), "quorum": quorum}


@meeting_action("attendance.check_in", CheckIn, ATTENDANCE_CHECK_IN_SELF)
async def check_in(ctx: MeetingContext, cmd: CheckIn) -> dict[str, Any]:
    """Check oneself in on one's tablet (in the main hall, at a site, online), or say one leaves early (from where
    one was, unless `place` says otherwise)."""
    if cmd.status == LEFT_EARLY and "place" not in cmd.model_fields_set:
        return await _record(ctx, ctx.actor.id, cmd.status)
    site_id = cmd.site_id if cmd.place == AT_SITE else None
    return await _record(ctx, ctx.actor.id, cmd.status, place=cmd.place, site_id=site_id)


@meeting_action("attendance.check_in_with_code", CheckInWithCode, ATTENDANCE_CHECK_IN_SELF)
async def check_in_with_code(ctx: MeetingContext, cmd: CheckInWithCode) -> dict[str, Any]:
    """Check oneself in with a hall's scanned code: recorded tại hội trường, or tại điểm cầu of the code's site."""
    key = await checkin_store.key_of(ctx.session, ctx.meeting.id)
    place = checkin.read_checkin_code(key or "", cmd.code, ctx.meeting.id)
    if place.site_id is not None and place.site_id not in ctx.meeting.site_ids:
        raise checkin.refused()  # a hall taken out of the meeting since the code was printed
    return await _record(ctx, ctx.actor.id, CHECKED_IN, place=place.place, site_id=place.site_id)


@meeting_action("attendance.renew_checkin_key", MeetingRef, ATTENDANCE_CHECK_IN_OTHERS)
async def renew_checkin_key(ctx: MeetingContext, cmd: MeetingRef) -> dict[str, Any]:
    """Replace the meeting's check-in key: every QR code shown or printed before stops checking anyone in."""
    renewed_at = await checkin_store.issue_key(ctx.session, ctx.meeting.id)
    await ctx.record(checkin.key_renewed(renewed_at))
    return {"meeting_id": ctx.meeting.id, "renewed_at": renewed_at}


@meeting_action("attendance.record_at_site", RecordAtSite, ATTENDANCE_CHECK_IN_SITE)
async def record_at_site(ctx: MeetingContext, cmd: RecordAtSite) -> dict[str, Any]:
    """A site operator records a person in their own hall (arrived, or left early)."""
    return await _record(ctx, cmd.person_id, cmd.status, place=AT_SITE, site_id=cmd.site_id, name=cmd.name)


@meeting_action("attendance.record", RecordAttendance, ATTENDANCE_CHECK_IN_OTHERS)
async def record(ctx: MeetingContext, cmd: RecordAttendance) -> dict[str, Any]:
    """The secretary's desk records anyone: present (where), late, left early, absent with or without a reason;
    `correction` (with a reason) sets any state, also once the meeting has ended, and is kept as a correction."""
    return await _record(
        ctx,
        cmd.person_id,
        cmd.status,
        place=cmd.place,
        site_id=cmd.site_id,
        reason=cmd.reason,
        name=cmd.name,
        correction=cmd.correction,
    )


def with_quorum(before: MeetingState, events: list[Event], attendance: Attendance) -> list[Event]:
    """The meeting's events, the last one also patching `quorum` when they change who counts or the rule."""
    if not events:
        return events
    after = before
    for event in events:
        after = apply(after, event)
    quorum = domain.quorum(attendance, domain.membership_of(after), domain.quorum_rule_of(after)).to_dict()
    if quorum == after.quorum:
        return events
    last = events[-1]
    data = {**last.data, "patch": {**last.patch, "quorum": quorum}}
    return [*events[:-1], Event(last.type, data, last.audience)]
