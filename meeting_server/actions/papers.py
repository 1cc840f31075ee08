"""Meeting papers: add (from an upload), new versions, access, publish, withdraw; follow the presenter; private and
shared annotations; comments on drafts; read receipts.

Every action that names a paper checks that the actor may read it, and answers `not_found` when not, so a
restricted paper's existence is not given away by the error either.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Annotated, Any, Literal

from pydantic import Field

from ..domain import papers as domain
from ..domain.actors import Actor
from ..domain.annotations import AnnotationKind
from ..domain.meetings import Event
from ..domain.papers import Annotation, Comment, Paper, PaperVersion, Viewer
from ..errors import AppError
from ..inputs import MAX_DB_INT
from ..storage import papers as store
from ..storage.db import iso, new_id, now_iso
from ..vocabulary import MEETING_ORGANIZE, MEETING_VIEW, USER
from .base import MeetingContext, Schema, Services, meeting_action
from .schemas import Id, Text, Title

ClientId = Annotated[str, Field(pattern=r"^[A-Za-z0-9_-]{8,64}$")]
Page = Annotated[int, Field(ge=1, le=100_000)]
Version = Annotated[int, Field(ge=1, le=MAX_DB_INT)]
Unit = Annotated[float, Field(ge=0.0, le=1.0)]
Access = Literal["all", "listed", "restricted"]
People = Annotated[list[Id], Field(max_length=2000)]


def viewer_of(ctx: MeetingContext) -> Viewer:
    actor = ctx.actor
    return Viewer(
        role=ctx.role or "",  # no part (only a NAMED_PERMISSIONS action runs so): sees no paper
        user_id=actor.id if actor.kind == USER else None,
        unit_id=actor.unit_id if actor.kind == USER else None,
    )


async def readable(ctx: MeetingContext, paper_id: str) -> Paper:
    """The paper, if this actor may read it; otherwise it does not exist for them."""
    paper = await store.get_paper(ctx.session, paper_id, ctx.meeting.id)
    if not paper.can_read(viewer_of(ctx)):
        raise AppError("not_found", what="paper")
    return paper


async def _members(ctx: MeetingContext, paper: Paper) -> list[str]:
    return await store.unit_members(ctx.session, paper.unit_ids)


def _version_from(upload: Any, actor_id: str, at: str) -> PaperVersion:
    info = upload.info
    return PaperVersion(
        version=1,
        file_id=upload.file_id,
        filename=str(info.get("filename") or "tai-lieu.pdf"),
        bytes=int(info["bytes"]),
        page_count=int(info["page_count"]),
        pages=tuple(info["pages"]),
        outline=tuple(info.get("outline") or ()),
        uploaded_at=at,
        uploaded_by=actor_id,
        converted_from=str(info.get("converted_from") or ""),
        original_id=str(info.get("original_id") or ""),
    )


# ---- uploads ----------------------------------------------------------------------------------------------------


async def stash_upload(services: Services, actor: Actor, info: dict[str, Any]) -> str:
    """Keep a checked, ingested file for `paper.add` / `paper.add_version` to use once. Not a client command:
    only the upload route, which ingested the file itself, can name what it holds, so a client can never attach
    a file it did not upload (say, a restricted paper of another meeting) by naming its content hash."""
    upload_id = new_id("up")
    stale = iso(datetime.now(UTC) - timedelta(seconds=store.UPLOAD_LIFETIME_S))
    async with services.db.write() as session:
        await store.forget_old_uploads(session, stale)  # abandoned uploads (their files stay cached by content)
        await store.add_upload(session, upload_id, actor.id, info["sha256"], info)
    return upload_id


# ---- papers -----------------------------------------------------------------------------------------------------


class AddPaper(Schema):
    meeting_id: Id
    upload_id: Id
    title: Title
    item_id: Id | None = None
    access: Access = "all"
    user_ids: People = []
    unit_ids: People = []
    publish: bool = False


@meeting_action("paper.add", AddPaper, MEETING_ORGANIZE)
async def add_paper(ctx: MeetingContext, cmd: AddPaper) -> dict[str, Any]:
    """Add a paper (from a checked upload) to the meeting, optionally under an agenda item; a draft until published."""
    upload = await store.take_upload(ctx.session, cmd.upload_id, ctx.actor.id)
    at = now_iso()
    position = len(await store.list_papers(ctx.session, ctx.meeting.id))
    paper, events = domain.add_paper(
        ctx.meeting,
        paper_id=new_id("pp"),
        title=cmd.title,
        item_id=cmd.item_id,
        access=cmd.access,
        user_ids=tuple(dict.fromkeys(cmd.user_ids)),
        unit_ids=tuple(dict.fromkeys(cmd.unit_ids)),
        first=_version_from(upload, ctx.actor.id, at),
        position=position,
        actor_id=ctx.actor.id,
        at=at,
    )
    if cmd.publish:
        paper, more = domain.publish_paper(ctx.meeting, paper, await _members(ctx, paper))
        events += more
    await store.save_paper(ctx.session, paper)
    await ctx.record(events)
    return {"meeting_id": cmd.meeting_id, "paper": paper.public(viewer_of(ctx))}


class PaperRef(Schema):
    meeting_id: Id
    paper_id: Id


class AddVersion(PaperRef):
    upload_id: Id


@meeting_action("paper.add_version", AddVersion, MEETING_ORGANIZE)
async def add_version(ctx: MeetingContext, cmd: AddVersion) -> dict[str, Any]:
    """A new upload of the same paper becomes its next version; earlier versions and their ink stay readable."""
    paper = await readable(ctx, cmd.paper_id)
    upload = await store.take_upload(ctx.session, cmd.upload_id, ctx.actor.id)
    return await _save_and_answer(
        ctx,
        cmd,
        *domain.add_version(
            ctx.meeting, paper, _version_from(upload, ctx.actor.id, now_iso()), await _members(ctx, paper)
        ),
    )


class UpdatePaper(PaperRef):
    title: Title | None = None
    item_id: Id | None = None
    clear_item: bool = False
    access: Access | None = None
    user_ids: People | None = None
    unit_ids: People | None = None
    position: Annotated[int, Field(ge=0, le=10_000)] | None = None


@meeting_action("paper.update", UpdatePaper, MEETING_ORGANIZE)
async def update_paper(ctx: MeetingContext, cmd: UpdatePaper) -> dict[str, Any]:
    """Rename a paper, move it to another agenda item or place, or change who may read it."""
    paper = await readable(ctx, cmd.paper_id)
    changes: dict[str, Any] = cmd.model_dump(exclude_none=True, exclude={"meeting_id", "paper_id", "clear_item"})
    if cmd.clear_item:
        changes["item_id"] = None
    for key in ("user_ids", "unit_ids"):
        if key in changes:
            changes[key] = tuple(dict.fromkeys(changes[key]))
    before = await _members(ctx, paper)
    after = await store.unit_members(ctx.session, tuple(changes.get("unit_ids", paper.unit_ids)))
    return await _save_and_answer(ctx, cmd, *domain.update_paper(ctx.meeting, paper, changes, before, after))


async def _save_and_answer(ctx: MeetingContext, cmd: Any, paper: Paper, events: list[Event]) -> dict[str, Any]:
    """Store the paper and record its events (if anything changed); answer with the paper as this actor sees it."""
    if events:
        await store.save_paper(ctx.session, paper)
        await ctx.record(events)
    return {"meeting_id": cmd.meeting_id, "paper": paper.public(viewer_of(ctx))}


@meeting_action("paper.publish", PaperRef, MEETING_ORGANIZE)
async def publish_paper(ctx: MeetingContext, cmd: PaperRef) -> dict[str, Any]:
    """Publish a paper: every reader allowed to see it gets it now, and tablets start fetching its pages."""
    paper = await readable(ctx, cmd.paper_id)
    return await _save_and_answer(ctx, cmd, *domain.publish_paper(ctx.meeting, paper, await _members(ctx, paper)))


@meeting_action("paper.withdraw", PaperRef, MEETING_ORGANIZE)
async def withdraw_paper(ctx: MeetingContext, cmd: PaperRef) -> dict[str, Any]:
    """Withdraw a paper: readers lose it (its files and annotations are kept for the record)."""
    paper = await readable(ctx, cmd.paper_id)
    return await _save_and_answer(ctx, cmd, *domain.withdraw_paper(ctx.meeting, paper, await _members(ctx, paper)))


# ---- follow the presenter ---------------------------------------------------------------------------------------


class Present(PaperRef):
    version: Version | None = None
    page: Page
    zoom: Annotated[float, Field(ge=1.0, le=domain.MAX_ZOOM)] = 1.0
    x: Unit = 0.0
    y: Unit = 0.0


@meeting_action("paper.present", Present, MEETING_VIEW)
async def present(ctx: MeetingContext, cmd: Present) -> dict[str, Any]:
    """Show a page to everyone following: the chair, the secretary, or the presenter of the paper's agenda item."""
    paper = await readable(ctx, cmd.paper_id)
    events = domain.present(
        ctx.meeting,
        paper,
        viewer_of(ctx),
        version=cmd.version,
        page=cmd.page,
        zoom=cmd.zoom,
        x=cmd.x,
        y=cmd.y,
        name=ctx.actor.name,
        at=now_iso(),
        unit_members=await _members(ctx, paper),
    )
    state = await ctx.record(events)
    return {"meeting_id": cmd.meeting_id, "presentation": state.presentation, "last_seq": state.last_seq}


class MeetingRef(Schema):
    meeting_id: Id


@meeting_action("paper.stop_presenting", MeetingRef, MEETING_VIEW)
async def stop_presenting(ctx: MeetingContext, cmd: MeetingRef) -> dict[str, Any]:
    """Stop presenting; followers stay on the page they were shown."""
    events = domain.stop_presenting(ctx.meeting, viewer_of(ctx))
    if events:
        await ctx.record(events)
    return {"meeting_id": cmd.meeting_id, "presentation": None}


class OpenPaper(PaperRef):
    version: Version | None = None


@meeting_action("paper.open", OpenPaper, MEETING_VIEW)
async def open_paper(ctx: MeetingContext, cmd: OpenPaper) -> dict[str, Any]:
    """A read receipt: the reader opened this paper (the chair sees who has, before and during the meeting)."""
    paper = await readable(ctx, cmd.paper_id)
    viewer = viewer_of(ctx)
    if viewer.user_id is None:  # a hall's screen is not a reader
        return {"meeting_id": cmd.meeting_id, "first": False}
    at = now_iso()
    version = paper.version(cmd.version).version
    first = await store.note_read(ctx.session, paper.id, viewer.user_id, version, at)
    events = domain.open_paper(paper, viewer, version, first, ctx.actor.name, at)
    if events:
        await ctx.record(events)
    return {"meeting_id": cmd.meeting_id, "first": first}


# ---- annotations ------------------------------------------------------------------------------------------------


class SaveAnnotation(Schema):
    meeting_id: Id
    id: ClientId
    paper_id: Id
    version: Version
    page: Page
    kind: AnnotationKind
    layer: Literal["private", "shared"] = "private"
    data: dict[str, Any]


@meeting_action("annotation.save", SaveAnnotation, MEETING_VIEW)
async def save_annotation(ctx: MeetingContext, cmd: SaveAnnotation) -> dict[str, Any]:
    """Save ink, a highlight or a sticky note (private to its owner's devices, or on the presenter's shared layer).
    The id is the client's: a tablet replaying what it drew offline changes nothing the second time."""
    paper = await readable(ctx, cmd.paper_id)
    viewer = viewer_of(ctx)
    data = domain.check_annotation_data(cmd.kind, cmd.data)
    existing = await store.get_annotation(ctx.session, cmd.id)
    annotation = Annotation(
        id=cmd.id,
        paper_id=paper.id,
        version=cmd.version,
        page=cmd.page,
        kind=cmd.kind,
        owner_id=viewer.user_id or "",
        layer=cmd.layer,
        data=data,
        updated_at=now_iso(),
    )
    if (
        existing is not None
        and existing.owner_id == viewer.user_id
        and (existing.version, existing.page, existing.kind, existing.data)
        == (annotation.version, annotation.page, annotation.kind, annotation.data)
    ):
        return {"meeting_id": cmd.meeting_id, "annotation": existing.to_dict(), "changed": False}
    events = domain.save_annotation(ctx.meeting, paper, viewer, annotation, existing, await _members(ctx, paper))
    await store.save_annotation(ctx.session, ctx.meeting.id, annotation)
    await ctx.record(events)
    return {"meeting_id": cmd.meeting_id, "annotation": annotation.to_dict(), "changed": True}


class DeleteAnnotation(Schema):
    meeting_id: Id
    id: ClientId


@meeting_action("annotation.delete", DeleteAnnotation, MEETING_VIEW)
async def delete_annotation(ctx: MeetingContext, cmd: DeleteAnnotation) -> dict[str, Any]:
    """Delete one's own annotation (deleting one already gone is not an error: offline replays)."""
    existing = await store.get_annotation(ctx.session, cmd.id)
    if existing is None:
        return {"meeting_id": cmd.meeting_id, "deleted": False}
    paper = await readable(ctx, existing.paper_id)
    events = domain.delete_annotation(paper, viewer_of(ctx), existing, await _members(ctx, paper))
    await store.delete_annotation(ctx.session, existing.id)
    await ctx.record(events)
    return {"meeting_id": cmd.meeting_id, "deleted": True}


# ---- comments on drafts -----------------------------------------------------------------------------------------


class AddComment(Schema):
    meeting_id: Id
    id: ClientId
    paper_id: Id
    version: Version
    page: Page
    x: Unit
    y: Unit
    text: Annotated[str, Field(min_length=1, max_length=5000)]


@meeting_action("comment.add", AddComment, MEETING_VIEW)
async def add_comment(ctx: MeetingContext, cmd: AddComment) -> dict[str, Any]:
    """Pin a comment on a draft (góp ý dự thảo) to a place on a page; the chair and secretary see it."""
    existing = await store.get_comment(ctx.session, cmd.id)
    if existing is not None:
        if existing.author_id != ctx.actor.id:
            raise AppError("conflict", detail="mã góp ý đã được dùng", detail_en="the comment id is taken")
        return {"meeting_id": cmd.meeting_id, "comment": existing.to_dict(), "changed": False}
    paper = await readable(ctx, cmd.paper_id)
    at = now_iso()
    comment = Comment(
        id=cmd.id,
        paper_id=paper.id,
        version=cmd.version,
        page=cmd.page,
        x=cmd.x,
        y=cmd.y,
        author_id=ctx.actor.id,
        author_name=ctx.actor.name,
        text=cmd.text,
        created_at=at,
        updated_at=at,
    )
    events = domain.add_comment(ctx.meeting, paper, viewer_of(ctx), comment)
    await store.save_comment(ctx.session, ctx.meeting.id, comment)
    await ctx.record(events)
    return {"meeting_id": cmd.meeting_id, "comment": comment.to_dict(), "changed": True}


class UpdateComment(Schema):
    meeting_id: Id
    comment_id: ClientId
    status: Literal["new", "accepted", "answered"] | None = None
    answer: Text | None = None


@meeting_action("comment.update", UpdateComment, MEETING_ORGANIZE)
async def update_comment(ctx: MeetingContext, cmd: UpdateComment) -> dict[str, Any]:
    """Mark a comment accepted (tiếp thu) or answered (giải trình), with the answer."""
    comment = await store.get_comment(ctx.session, cmd.comment_id)
    if comment is None:
        raise AppError("not_found", what="comment")
    await readable(ctx, comment.paper_id)
    comment, events = domain.update_comment(ctx.meeting, viewer_of(ctx), comment, cmd.status, cmd.answer, now_iso())
    if events:
        await store.save_comment(ctx.session, ctx.meeting.id, comment)
        await ctx.record(events)
    return {"meeting_id": cmd.meeting_id, "comment": comment.to_dict()}
