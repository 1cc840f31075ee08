"""Meeting operations: create, edit, lifecycle, agenda."""

from __future__ import annotations

from typing import Any

from pydantic import Field
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain import answers as answers_domain
from ..domain import floor as floor_domain
from ..domain import meetings as domain
from ..domain.attendance import Attendance, QuorumRule
from ..domain.floor import Floor
from ..domain.meetings import AgendaItem, MeetingState
from ..domain.papers import as_told
from ..errors import AppError
from ..storage import attendance as attendance_store
from ..storage import checkin as checkin_store
from ..storage import directory
from ..storage import meetings as store
from ..storage import papers as paper_store
from ..storage import record as record_store
from ..storage import votes as vote_store
from ..storage.db import new_id, now_iso
from ..vocabulary import (
    BASE_MEMBERS,
    CHAIR,
    MEETING_CREATE,
    MEETING_ORGANIZE,
    RECORD_SIGNING,
    SECRETARY,
    VOTE_OPEN,
    QuorumBase,
)
from .attendance import with_quorum
from .base import Context, MeetingContext, Schema, action, meeting_action
from .papers import viewer_of
from .schemas import Id, Short, Text, Time, Title


class QuorumRuleFields(Schema):
    """More than (`strict`) or at least numerator/denominator of the base (domain.attendance.QuorumRule)."""

    numerator: int = Field(ge=1, le=100)
    denominator: int = Field(ge=1, le=100)
    strict: bool = True
    base: QuorumBase = BASE_MEMBERS


class MeetingFields(Schema):
    description: Text | None = None
    location: Short | None = None
    ends_at: Time | None = None
    main_site_id: Id | None = None
    site_ids: list[Id] | None = Field(default=None, max_length=200)
    invitee_ids: list[Id] | None = Field(default=None, max_length=2000)
    invited_unit_ids: list[Id] | None = Field(default=None, max_length=500)
    chair_id: Id | None = None
    secretary_id: Id | None = None
    guest_ids: list[Id] | None = Field(default=None, max_length=2000)
    quorum_rule: QuorumRuleFields | None = None


class CreateMeeting(MeetingFields):
    title: Title
    starts_at: Time


class UpdateMeeting(MeetingFields):
    meeting_id: Id
    title: Title | None = None
    starts_at: Time | None = None


class MeetingRef(Schema):
    meeting_id: Id


class CancelMeeting(MeetingRef):
    reason: Short = ""


class AddItem(MeetingRef):
    title: Title
    presenter_id: Id | None = None
    presenter_name: Short | None = None
    planned_minutes: int = Field(default=0, ge=0, le=600)
    position: int | None = Field(default=None, ge=0, le=1000)
    description: Text = ""


class UpdateItem(MeetingRef):
    item_id: Id
    title: Title | None = None
    presenter_id: Id | None = None
    presenter_name: Short | None = None
    planned_minutes: int | None = Field(default=None, ge=0, le=600)
    description: Text | None = None


class ItemRef(MeetingRef):
    item_id: Id


class Reorder(MeetingRef):
    item_ids: list[Id] = Field(max_length=200)


class SetCurrent(MeetingRef):
    item_id: Id | None


# What changes who counts for the quorum, or how.
COUNTING_FIELDS = frozenset({"invitee_ids", "guest_ids", "chair_id", "quorum_rule"})


def _bad(vi: str, en: str) -> AppError:
    return AppError("invalid_input", detail=vi, detail_en=en)


async def _resolve_fields(session: AsyncSession, given: dict[str, Any]) -> dict[str, Any]:
    """Turn ids into checked references; a wrong id is the caller's mistake, said plainly."""
    fields = {k: v for k, v in given.items() if k not in ("meeting_id", "site_ids")}
    if given.get("site_ids") is not None:
        ids = list(dict.fromkeys(given["site_ids"]))
        rows = await directory.sites_by_ids(session, ids)
        missing = [i for i in ids if i not in rows]
        if missing:
            raise _bad(f"không có điểm cầu {', '.join(missing)}", f"no such site {', '.join(missing)}")
        fields["sites"] = [{"id": i, "name": rows[i].name, "unit_id": rows[i].unit_id} for i in ids]
    if fields.get("quorum_rule") is not None:
        fields["quorum_rule"] = QuorumRule(**fields["quorum_rule"]).to_dict()  # a ratio outside (0, 1] is refused
    for key in ("invitee_ids", "invited_unit_ids", "guest_ids"):
        if fields.get(key) is not None:
            fields[key] = list(dict.fromkeys(fields[key]))
    if fields.get("invitee_ids"):
        users = await directory.users_by_ids(session, fields["invitee_ids"])
        missing = [i for i in fields["invitee_ids"] if i not in users]
        if missing:
            raise _bad(f"không có người dùng {', '.join(missing)}", f"no such user {', '.join(missing)}")
    for unit_id in fields.get("invited_unit_ids") or []:
        try:
            await directory.get_unit(session, unit_id)
        except AppError:
            raise _bad(f"không có đơn vị {unit_id}", f"no such unit {unit_id}") from None
    for key, role, vi in (("chair_id", CHAIR, "chủ trì"), ("secretary_id", SECRETARY, "thư ký")):
        if fields.get(key):
            user = (await directory.users_by_ids(session, [fields[key]])).get(fields[key])
            if user is None or role not in user.roles or not user.active:
                raise _bad(f"người được chọn làm {vi} phải có vai trò {vi}", f"the {role} must hold the {role} role")
    return fields


async def _with_warnings(ctx: Context, result: dict[str, Any], state: MeetingState) -> dict[str, Any]:
    """The answer, with `warnings`: sites booked into another meeting at an overlapping time (issue 9 §1.9)."""
    others = await store.booking_sites(ctx.session, list(state.site_ids), state.id)
    return {**result, "warnings": domain.site_clashes(state, others, ctx.actor)}


async def answer(ctx: MeetingContext, state: MeetingState) -> dict[str, Any]:
    """The meeting as the acting person now sees it: what most meeting actions answer (without the presentation
    of a paper they may not read)."""
    presented = await paper_store.presented_paper(ctx.session, state.presentation, state.id)
    return domain.snapshot(as_told(state, presented, viewer_of(ctx)), ctx.role, ctx.actor)


@action("meeting.create", CreateMeeting, MEETING_CREATE)
async def create_meeting(ctx: Context, cmd: CreateMeeting) -> dict[str, Any]:
    """Create a draft meeting; only its organisers see it until it is scheduled. `warnings` names sites booked
    into another meeting at an overlapping time."""
    fields = await _resolve_fields(ctx.session, cmd.model_dump(exclude_none=True))
    if CHAIR in ctx.actor.roles:
        fields.setdefault("chair_id", ctx.actor.id)
    if SECRETARY in ctx.actor.roles:
        fields.setdefault("secretary_id", ctx.actor.id)
    meeting_id = new_id("m")
    blank = MeetingState(id=meeting_id, title=cmd.title, organizer_id=ctx.actor.id, starts_at=fields["starts_at"])
    events = with_quorum(blank, domain.create(meeting_id, ctx.actor.id, fields), Attendance())
    row = await store.insert(ctx.session, blank)
    state = await ctx.append(row, None, events)
    await checkin_store.issue_key(ctx.session, meeting_id)  # its QR codes' secret, never told (storage/checkin.py)
    return await _with_warnings(ctx, domain.snapshot(state, domain.meeting_role(ctx.actor, state), ctx.actor), state)


@meeting_action("meeting.update", UpdateMeeting, MEETING_ORGANIZE)
async def update_meeting(ctx: MeetingContext, cmd: UpdateMeeting) -> dict[str, Any]:
    """Edit the title, time, place, sites or invitations; `warnings` names sites booked elsewhere at that time."""
    given = cmd.model_dump(exclude_unset=True)
    given = {k: v for k, v in given.items() if v is not None or k not in ("title", "starts_at")}
    changes = await _resolve_fields(ctx.session, given)
    await _keep_stand_ins(ctx, changes)
    events = domain.update(ctx.meeting, changes)
    if COUNTING_FIELDS & set(changes):  # who votes or the rule changed: the quorum line follows
        events = with_quorum(ctx.meeting, events, await attendance_store.load_attendance(ctx.session, ctx.meeting.id))
    state = await ctx.record(events)
    return await _with_warnings(ctx, await answer(ctx, state), state)


async def _keep_stand_ins(ctx: MeetingContext, changes: dict[str, Any]) -> None:
    """Refuse an edit of the invitees or guests that cuts a stand-in arrangement (domain.answers)."""
    if "invitee_ids" not in changes and "guest_ids" not in changes:
        return
    invitees = tuple(changes.get("invitee_ids", ctx.meeting.invitee_ids))
    guests = tuple(changes.get("guest_ids", ctx.meeting.guest_ids))
    cut = answers_domain.stand_in_links_cut(ctx.meeting, invitees, guests)
    if cut:
        people = await directory.users_by_ids(ctx.session, cut)
        names = ", ".join(people[pid].full_name if pid in people else pid for pid in cut)
        raise AppError(
            "conflict",
            detail=f"{names} đang cử người dự thay hoặc dự thay cho người khác; hãy đổi trả lời giấy mời trước",
            detail_en=f"{names} sent or are a stand-in; change the answer to the invitation first",
        )


async def _transition(ctx: MeetingContext, name: str, reason: str = "") -> dict[str, Any]:
    return await answer(ctx, await ctx.record(domain.transition(ctx.meeting, name, reason)))


@meeting_action("meeting.schedule", MeetingRef, MEETING_ORGANIZE)
async def schedule(ctx: MeetingContext, cmd: MeetingRef) -> dict[str, Any]:
    """Schedule a draft: invitees and sites now see it; the giấy mời takes its number from the register (the
    first time only)."""
    from .record import number_invitation  # the record builds on this module

    answer = await _transition(ctx, "schedule")
    await number_invitation(ctx)
    return answer


@meeting_action("meeting.unschedule", MeetingRef, MEETING_ORGANIZE)
async def unschedule(ctx: MeetingContext, cmd: MeetingRef) -> dict[str, Any]:
    """Return a scheduled meeting to draft."""
    return await _transition(ctx, "unschedule")


@meeting_action("meeting.start", MeetingRef, MEETING_ORGANIZE)
async def start(ctx: MeetingContext, cmd: MeetingRef) -> dict[str, Any]:
    """Open the meeting (in progress)."""
    return await _transition(ctx, "start")


@meeting_action("meeting.end", MeetingRef, MEETING_ORGANIZE)
async def end(ctx: MeetingContext, cmd: MeetingRef) -> dict[str, Any]:
    """End the meeting: a speech still running ends with it; refused while a vote is open (close it first)."""
    if any(row.status == VOTE_OPEN for row in await vote_store.votes_of(ctx.session, ctx.meeting.id)):
        raise AppError(
            "conflict",
            detail="còn biểu quyết đang mở; hãy kết thúc biểu quyết trước khi kết thúc cuộc họp",
            detail_en="a vote is still open; close it before ending the meeting",
        )
    asker = floor_domain.asker_for(ctx.actor, ctx.meeting)
    _, events = floor_domain.end_with_meeting(Floor.from_dict(ctx.meeting.floor or None), ctx.meeting, asker, now_iso())
    if events:
        await ctx.record(events)
    answer_ = await _transition(ctx, "end")
    meeting_id, programmes = ctx.meeting.id, ctx.services.programmes

    async def compose_programme() -> None:  # after publishing, which closed the media room's recordings
        programmes.meeting_ended(meeting_id)

    ctx.after_commit(compose_programme)
    return answer_


@meeting_action("meeting.archive", MeetingRef, MEETING_ORGANIZE)
async def archive(ctx: MeetingContext, cmd: MeetingRef) -> dict[str, Any]:
    """Archive an ended meeting: it is sealed (every later action refused, `meeting_archived`) and its dossier
    (hồ sơ cuộc họp) is built in the background (archive/jobs.py). Refused while a record document is being
    signed (approved and numbered, not yet signed by all): archiving would leave it unsigned for good. A meeting
    with no record, or with drafts only, may be archived; the dossier says which documents were never issued."""
    documents = await record_store.documents_of(ctx.session, ctx.meeting.id)
    if any(row.status == RECORD_SIGNING for row in documents):
        raise AppError(
            "conflict",
            detail="văn bản của cuộc họp đang được ký số; hãy ký xong trước khi lưu trữ",
            detail_en="a record document of the meeting is being signed; finish signing before archiving",
        )
    result = await _transition(ctx, "archive")
    jobs, meeting_id = ctx.services.dossiers, ctx.meeting.id

    async def build() -> None:
        jobs.start(meeting_id)

    ctx.after_commit(build)
    return result


@meeting_action("meeting.cancel", CancelMeeting, MEETING_ORGANIZE)
async def cancel(ctx: MeetingContext, cmd: CancelMeeting) -> dict[str, Any]:
    """Cancel a draft or scheduled meeting."""
    return await _transition(ctx, "cancel", cmd.reason)


async def _presenter(session: AsyncSession, presenter_id: str | None, name: str | None) -> dict[str, Any]:
    if presenter_id is None:
        return {"presenter_id": None, "presenter_name": name or ""}
    user = (await directory.users_by_ids(session, [presenter_id])).get(presenter_id)
    if user is None:
        raise _bad(f"không có người dùng {presenter_id}", f"no such user {presenter_id}")
    return {"presenter_id": presenter_id, "presenter_name": name or user.full_name}


@meeting_action("agenda.add_item", AddItem, MEETING_ORGANIZE)
async def add_item(ctx: MeetingContext, cmd: AddItem) -> dict[str, Any]:
    """Add an agenda item (at the end, or at `position`)."""
    presenter = await _presenter(ctx.session, cmd.presenter_id, cmd.presenter_name)
    item = AgendaItem(
        id=new_id("a"), title=cmd.title, planned_minutes=cmd.planned_minutes, description=cmd.description, **presenter
    )
    state = await ctx.record(domain.add_item(ctx.meeting, item, cmd.position))
    return {**await answer(ctx, state), "item_id": item.id}


@meeting_action("agenda.update_item", UpdateItem, MEETING_ORGANIZE)
async def update_item(ctx: MeetingContext, cmd: UpdateItem) -> dict[str, Any]:
    """Edit an agenda item."""
    changes = cmd.model_dump(exclude_unset=True, exclude={"meeting_id", "item_id"})
    if "presenter_id" in changes:
        changes.update(await _presenter(ctx.session, changes["presenter_id"], changes.get("presenter_name")))
    state = await ctx.record(domain.update_item(ctx.meeting, cmd.item_id, changes))
    return await answer(ctx, state)


@meeting_action("agenda.remove_item", ItemRef, MEETING_ORGANIZE)
async def remove_item(ctx: MeetingContext, cmd: ItemRef) -> dict[str, Any]:
    """Remove an agenda item."""
    state = await ctx.record(domain.remove_item(ctx.meeting, cmd.item_id))
    return await answer(ctx, state)


@meeting_action("agenda.reorder", Reorder, MEETING_ORGANIZE)
async def reorder(ctx: MeetingContext, cmd: Reorder) -> dict[str, Any]:
    """Put the agenda items in a new order."""
    state = await ctx.record(domain.reorder(ctx.meeting, cmd.item_ids))
    return await answer(ctx, state)


@meeting_action("agenda.set_current", SetCurrent, MEETING_ORGANIZE)
async def set_current(ctx: MeetingContext, cmd: SetCurrent) -> dict[str, Any]:
    """Mark the item being discussed now; the previous one becomes done."""
    state = await ctx.record(domain.set_current(ctx.meeting, cmd.item_id))
    return await answer(ctx, state)
