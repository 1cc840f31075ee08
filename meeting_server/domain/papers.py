"""Meeting papers (tài liệu họp): who may read which paper, its versions, the presenter's page, annotations,
comments on drafts and read receipts. Pure: commands give events, nothing here touches storage or sockets.

A paper's readers are decided here once, and the same answer gives both the REST access check (`can_read`) and the
audience of its events (`audience`), so a restricted paper's title never reaches someone who cannot open it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from typing import Any

from .. import protocol as p
from ..errors import AppError
from ..vocabulary import (
    ARCHIVED,
    CANCELLED,
    DRAFT,
    IN_PROGRESS,
    PAPER_MANAGE,
    PAPER_READ_RESTRICTED,
    PAPER_STATUSES,
    PUBLISHED,
    WITHDRAWN,
    PaperStatus,
    role_grants,
    roles_with,
)
from . import annotations as schema
from .meetings import Audience, Event, MeetingState, presentation_stopped

PAPER_MANAGERS = roles_with(PAPER_MANAGE)  # upload, publish, see every comment
RESTRICTED_READERS = roles_with(PAPER_READ_RESTRICTED)  # a restricted paper: these and the people it lists
ACCESS_MODES = ("all", "listed", "restricted")
STATUSES = PAPER_STATUSES
COMMENT_STATUSES = ("new", "accepted", "answered")
ANNOTATION_KINDS = schema.KINDS
LAYERS = ("private", "shared")
CLOSED_MEETING = (ARCHIVED, CANCELLED)
MAX_ZOOM = 8.0


@dataclass(frozen=True)
class Viewer:
    """Who is asking, as far as papers care: a person (user_id, unit) or a hall (site), and their meeting role."""

    role: str  # a vocabulary.MeetingRole
    user_id: str | None = None
    unit_id: str | None = None

    @property
    def manages(self) -> bool:
        return PAPER_MANAGE in role_grants(self.role)

    @property
    def reads_restricted(self) -> bool:
        return PAPER_READ_RESTRICTED in role_grants(self.role)


@dataclass(frozen=True)
class PaperVersion:
    version: int
    file_id: str  # the content's sha256: the cache key of its page images, never shown to readers
    filename: str
    bytes: int
    page_count: int
    pages: tuple[dict[str, Any], ...]  # {"width", "height" (points, as displayed), "rotation"}
    outline: tuple[dict[str, Any], ...] = ()
    uploaded_at: str = ""
    uploaded_by: str = ""
    converted_from: str = ""  # an office type ("docx", …) when the PDF was converted from it (documents/convert.py)
    original_id: str = ""  # then the original's sha256 (its own file, downloadable as it was uploaded)

    def to_dict(self, *, with_file: bool = False) -> dict[str, Any]:
        out = {
            "version": self.version,
            "filename": self.filename,
            "bytes": self.bytes,
            "page_count": self.page_count,
            "pages": [dict(x) for x in self.pages],
            "outline": [dict(x) for x in self.outline],
            "uploaded_at": self.uploaded_at,
            "uploaded_by": self.uploaded_by,
        }
        if self.converted_from:
            out["converted_from"] = self.converted_from
        if with_file:
            out["file_id"] = self.file_id
            if self.original_id:
                out["original_id"] = self.original_id
        return out

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> PaperVersion:
        return cls(
            version=raw["version"],
            file_id=raw["file_id"],
            filename=raw["filename"],
            bytes=raw["bytes"],
            page_count=raw["page_count"],
            pages=tuple(raw["pages"]),
            outline=tuple(raw.get("outline", ())),
            uploaded_at=raw.get("uploaded_at", ""),
            uploaded_by=raw.get("uploaded_by", ""),
            converted_from=raw.get("converted_from", ""),
            original_id=raw.get("original_id", ""),
        )


@dataclass(frozen=True)
class Paper:
    id: str
    meeting_id: str
    title: str
    versions: tuple[PaperVersion, ...]
    item_id: str | None = None
    access: str = "all"
    user_ids: tuple[str, ...] = ()
    unit_ids: tuple[str, ...] = ()
    status: PaperStatus = DRAFT
    position: int = 0
    created_by: str = ""
    created_at: str = ""

    def __post_init__(self) -> None:
        if self.access not in ACCESS_MODES:
            raise ValueError(f"paper access {self.access!r}")
        if self.status not in STATUSES:
            raise ValueError(f"paper status {self.status!r}")
        if not self.versions:
            raise ValueError("a paper has at least one version")

    @property
    def current(self) -> PaperVersion:
        return self.versions[-1]

    @property
    def restricted(self) -> bool:
        return self.access == "restricted"

    def version(self, number: int | None) -> PaperVersion:
        if number is None:
            return self.current
        for v in self.versions:
            if v.version == number:
                return v
        raise AppError("not_found", what="paper_version")

    def can_read(self, viewer: Viewer) -> bool:
        """Managers read every paper but a restricted one, which only the people running this meeting and the
        people it names read; others read published papers, listed ones only when named (themselves or their
        unit). Halls (sites) read papers open to all participants."""
        if self.restricted and viewer.reads_restricted:
            return True
        if viewer.manages and not self.restricted:
            return True
        if self.status != PUBLISHED:
            return False
        if self.access == "all":
            return True
        if viewer.user_id is None:
            return False
        return viewer.user_id in self.user_ids or (viewer.unit_id is not None and viewer.unit_id in self.unit_ids)

    def audience(self, unit_members: Iterable[str] = ()) -> Audience:
        """Who hears of this paper: `unit_members` are the people of its listed units, resolved by the caller."""
        if self.status != PUBLISHED:
            return Audience(kind="roles", roles=RESTRICTED_READERS if self.restricted else PAPER_MANAGERS)
        if self.access == "all":
            return Audience()
        people = tuple(sorted(set(self.user_ids) | set(unit_members)))
        return Audience(kind="people", roles=RESTRICTED_READERS if self.restricted else PAPER_MANAGERS, user_ids=people)

    def to_dict(self, *, with_files: bool = False) -> dict[str, Any]:
        return {
            "id": self.id,
            "meeting_id": self.meeting_id,
            "title": self.title,
            "item_id": self.item_id,
            "access": self.access,
            "user_ids": list(self.user_ids),
            "unit_ids": list(self.unit_ids),
            "status": self.status,
            "position": self.position,
            "created_by": self.created_by,
            "created_at": self.created_at,
            "current_version": self.current.version,
            "versions": [v.to_dict(with_file=with_files) for v in self.versions],
        }

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Paper:
        return cls(
            id=raw["id"],
            meeting_id=raw["meeting_id"],
            title=raw["title"],
            versions=tuple(PaperVersion.from_dict(v) for v in raw["versions"]),
            item_id=raw.get("item_id"),
            access=raw.get("access", "all"),
            user_ids=tuple(raw.get("user_ids", ())),
            unit_ids=tuple(raw.get("unit_ids", ())),
            status=raw.get("status", DRAFT),
            position=raw.get("position", 0),
            created_by=raw.get("created_by", ""),
            created_at=raw.get("created_at", ""),
        )

    def public(self, viewer: Viewer) -> dict[str, Any]:
        """What a reader is told: the listing of named people and units is the managers' business."""
        out = self.to_dict()
        if not viewer.manages:
            out["user_ids"], out["unit_ids"] = [], []
        return out


# ---- papers: commands -------------------------------------------------------------------------------------------


def _open_meeting(meeting: MeetingState) -> None:
    """Papers and their ink stay writable after the meeting ends (minutes, late reading), not once archived."""
    if meeting.status in CLOSED_MEETING:
        raise AppError("meeting_closed")


def _check_item(meeting: MeetingState, item_id: str | None) -> None:
    if item_id is not None:
        meeting.item(item_id)  # not_found when the agenda has no such item


def _check_access(access: str, user_ids: tuple[str, ...], unit_ids: tuple[str, ...]) -> None:
    if access != "all" and not user_ids and not unit_ids:
        raise AppError(
            "invalid_input",
            detail="tài liệu giới hạn phải nêu người hoặc đơn vị được xem",
            detail_en="a listed or restricted paper must name the people or units who may read it",
        )


def _paper_event(kind: str, paper: Paper, audience: Audience, **data: Any) -> Event:
    """An event that carries the paper's metadata (for managers with the listing, otherwise without it)."""
    body = paper.to_dict()
    if audience.kind != "roles":
        body["user_ids"], body["unit_ids"] = [], []
    return Event(kind, {"paper_id": paper.id, "paper": body, **data}, audience)


def add_paper(
    meeting: MeetingState,
    *,
    paper_id: str,
    title: str,
    item_id: str | None,
    access: str,
    user_ids: tuple[str, ...],
    unit_ids: tuple[str, ...],
    first: PaperVersion,
    position: int,
    actor_id: str,
    at: str,
) -> tuple[Paper, list[Event]]:
    _open_meeting(meeting)
    _check_item(meeting, item_id)
    _check_access(access, user_ids, unit_ids)
    paper = Paper(
        id=paper_id,
        meeting_id=meeting.id,
        title=title,
        versions=(first,),
        item_id=item_id,
        access=access,
        user_ids=user_ids,
        unit_ids=unit_ids,
        status=DRAFT,
        position=position,
        created_by=actor_id,
        created_at=at,
    )
    return paper, [_paper_event(p.PAPER_ADDED, paper, paper.audience())]


def add_version(
    meeting: MeetingState, paper: Paper, version: PaperVersion, unit_members: Iterable[str] = ()
) -> tuple[Paper, list[Event]]:
    """A new upload of the same paper: earlier versions (and the ink made on them) stay readable."""
    _open_meeting(meeting)
    if paper.status == WITHDRAWN:
        raise AppError("invalid_transition", action="add_version", status=paper.status)
    version = replace(version, version=paper.current.version + 1)
    new = replace(paper, versions=(*paper.versions, version))
    return new, [_paper_event(p.PAPER_VERSION_ADDED, new, new.audience(unit_members), version=version.version)]


def update_paper(
    meeting: MeetingState,
    paper: Paper,
    changes: dict[str, Any],
    unit_members_before: Iterable[str],
    unit_members_after: Iterable[str],
) -> tuple[Paper, list[Event]]:
    """Title, agenda item, position or access. Those who lose the paper hear that it is gone for them."""
    _open_meeting(meeting)
    if "item_id" in changes:
        _check_item(meeting, changes["item_id"])
    fields: dict[str, Any] = {k: (tuple(v) if k in ("user_ids", "unit_ids") else v) for k, v in changes.items()}
    new = replace(paper, **fields)
    _check_access(new.access, new.user_ids, new.unit_ids)
    if new == paper:
        return paper, []
    events = [_paper_event(p.PAPER_UPDATED, new, new.audience(unit_members_after))]
    lost = _lost(paper.audience(unit_members_before), new.audience(unit_members_after))
    if lost is not None:
        events.append(Event(p.PAPER_WITHDRAWN, {"paper_id": paper.id, "reason": "access"}, lost))
    return new, events


def _lost(before: Audience, after: Audience) -> Audience | None:
    """Who must hear that the paper is gone for them: the people named before and not after, or, when a paper
    open to everyone becomes listed, everyone (a reader who is still named fetches it again and keeps it)."""
    if after.kind == "all" or before.kind == "roles":
        return None
    if before.kind == "all":
        return Audience()
    gone = tuple(sorted(set(before.user_ids) - (set(after.user_ids) if after.kind == "people" else set())))
    return Audience(kind="people", user_ids=gone) if gone else None


def publish_paper(meeting: MeetingState, paper: Paper, unit_members: Iterable[str] = ()) -> tuple[Paper, list[Event]]:
    """Every reader allowed to see it gets it now (and their tablet starts fetching its pages)."""
    _open_meeting(meeting)
    if paper.status == PUBLISHED:
        return paper, []
    new = replace(paper, status=PUBLISHED)
    return new, [_paper_event(p.PAPER_PUBLISHED, new, new.audience(unit_members))]


def withdraw_paper(meeting: MeetingState, paper: Paper, unit_members: Iterable[str] = ()) -> tuple[Paper, list[Event]]:
    _open_meeting(meeting)
    if paper.status == WITHDRAWN:
        return paper, []
    audience = paper.audience(unit_members)  # everyone who had it hears it is gone
    new = replace(paper, status=WITHDRAWN)
    events = [Event(p.PAPER_WITHDRAWN, {"paper_id": paper.id, "reason": WITHDRAWN}, audience)]
    if meeting.presentation and meeting.presentation.get("paper_id") == paper.id:
        events.append(presentation_stopped())
    return new, events


# ---- follow the presenter ---------------------------------------------------------------------------------------


def may_present(meeting: MeetingState, paper: Paper, viewer: Viewer) -> bool:
    """Managers present any paper; a delegate presents the papers of the agenda item they present."""
    if viewer.manages:
        return True
    if viewer.user_id is None or paper.item_id is None:
        return False
    try:
        item = meeting.item(paper.item_id)
    except AppError:
        return False
    return item.presenter_id == viewer.user_id


def present(
    meeting: MeetingState,
    paper: Paper,
    viewer: Viewer,
    *,
    version: int | None,
    page: int,
    zoom: float,
    x: float,
    y: float,
    name: str,
    at: str,
    unit_members: Iterable[str] = (),
) -> list[Event]:
    """The presenter's page and viewport; every reader in follow mode moves with them. Only the paper's readers
    hear which paper, page and presenter: when it is not open to all, the others are told (once, on the switch
    from another paper) only that the earlier presentation stopped."""
    if meeting.status != IN_PROGRESS:
        raise AppError("invalid_transition", action="present", status=meeting.status)
    if not paper.can_read(viewer) or paper.status != PUBLISHED:
        raise AppError("not_found", what="paper")
    if not may_present(meeting, paper, viewer):
        raise AppError("forbidden")
    v = paper.version(version)
    if not 1 <= page <= v.page_count:
        raise AppError(
            "invalid_input",
            detail=f"trang {page} không có (tài liệu có {v.page_count} trang)",
            detail_en=f"there is no page {page} (the paper has {v.page_count} pages)",
        )
    if not (1.0 <= zoom <= MAX_ZOOM) or not (0.0 <= x <= 1.0 and 0.0 <= y <= 1.0):
        raise AppError(
            "invalid_input", detail="mức phóng hoặc vị trí không hợp lệ", detail_en="zoom or position out of range"
        )
    presentation = {
        "paper_id": paper.id,
        "version": v.version,
        "page": page,
        "zoom": round(zoom, 3),
        "x": round(x, 4),
        "y": round(y, 4),
        "by": viewer.user_id,
        "by_name": name,
        "at": at,
    }
    audience = paper.audience(unit_members)
    events = [Event(p.PAPER_PRESENTED, {"patch": {"presentation": presentation}}, audience)]
    before = meeting.presentation
    if audience.kind != "all" and before and before.get("paper_id") != paper.id:
        events.insert(0, presentation_stopped())
    return events


def as_told(meeting: MeetingState, presented: Paper | None, viewer: Viewer) -> MeetingState:
    """The meeting without its presentation when the paper presented (`presented`, None when it is gone) is
    one this viewer may not read: its id, page and presenter are the readers' business."""
    if not meeting.presentation or (presented is not None and presented.can_read(viewer)):
        return meeting
    return replace(meeting, presentation=None)


def stop_presenting(meeting: MeetingState, viewer: Viewer) -> list[Event]:
    current = meeting.presentation
    if not current:
        return []
    if not viewer.manages and current.get("by") != viewer.user_id:
        raise AppError("forbidden")
    return [presentation_stopped()]


# ---- annotations ------------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class Annotation:
    """Ink, a highlight or a sticky note, in the displayed page's coordinates (0..1, y down)."""

    id: str  # made by the client, so an offline tablet's replay is applied once
    paper_id: str
    version: int
    page: int
    kind: str
    owner_id: str
    layer: str = "private"
    data: dict[str, Any] = field(default_factory=dict)
    updated_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "paper_id": self.paper_id,
            "version": self.version,
            "page": self.page,
            "kind": self.kind,
            "owner_id": self.owner_id,
            "layer": self.layer,
            "data": dict(self.data),
            "updated_at": self.updated_at,
        }


def check_annotation_data(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """Shape and bounds of what a tablet sends (the one schema, domain.annotations); a bad one is refused whole,
    with the reason."""
    try:
        return schema.normalise(kind, data)
    except schema.AnnotationInvalid as exc:
        raise AppError("invalid_input", detail=exc.vi, detail_en=str(exc)) from None


def annotation_audience(annotation: Annotation, paper: Paper, unit_members: Iterable[str] = ()) -> Audience:
    """Private ink reaches only its owner's devices; shared ink whoever reads the paper."""
    if annotation.layer == "private":
        return Audience(kind="user", user_id=annotation.owner_id)
    return paper.audience(unit_members)


def save_annotation(
    meeting: MeetingState,
    paper: Paper,
    viewer: Viewer,
    annotation: Annotation,
    existing: Annotation | None,
    unit_members: Iterable[str] = (),
) -> list[Event]:
    _open_meeting(meeting)
    if not paper.can_read(viewer) or viewer.user_id is None:
        raise AppError("not_found", what="paper")
    v = paper.version(annotation.version)
    if not 1 <= annotation.page <= v.page_count:
        raise AppError("invalid_input", detail="trang không có trong tài liệu", detail_en="no such page")
    if annotation.layer == "shared" and not may_present(meeting, paper, viewer):
        raise AppError("forbidden")
    if existing is not None and existing.owner_id != viewer.user_id:
        raise AppError("not_found", what="annotation")
    if existing is not None and (existing.paper_id, existing.layer) != (annotation.paper_id, annotation.layer):
        raise AppError(
            "invalid_input",
            detail="không đổi được tài liệu hoặc lớp của chú thích",
            detail_en="an annotation keeps its paper and layer",
        )
    return [
        Event(
            p.ANNOTATION_SAVED,
            {"annotation": annotation.to_dict()},
            annotation_audience(annotation, paper, unit_members),
        )
    ]


def delete_annotation(
    paper: Paper, viewer: Viewer, existing: Annotation, unit_members: Iterable[str] = ()
) -> list[Event]:
    if existing.owner_id != viewer.user_id:
        raise AppError("not_found", what="annotation")
    return [
        Event(
            p.ANNOTATION_DELETED,
            {"annotation_id": existing.id, "paper_id": existing.paper_id},
            annotation_audience(existing, paper, unit_members),
        )
    ]


# ---- comments on drafts and read receipts ------------------------------------------------------------------------


@dataclass(frozen=True)
class Comment:
    id: str
    paper_id: str
    version: int
    page: int
    x: float
    y: float
    author_id: str
    author_name: str
    text: str
    status: str = "new"
    answer: str = ""
    created_at: str = ""
    updated_at: str = ""

    def to_dict(self) -> dict[str, Any]:
        return {
            "id": self.id,
            "paper_id": self.paper_id,
            "version": self.version,
            "page": self.page,
            "x": self.x,
            "y": self.y,
            "author_id": self.author_id,
            "author_name": self.author_name,
            "text": self.text,
            "status": self.status,
            "answer": self.answer,
            "created_at": self.created_at,
            "updated_at": self.updated_at,
        }


def comment_audience(comment: Comment) -> Audience:
    """A comment is between its author and the people who run the meeting."""
    return Audience(kind="people", roles=PAPER_MANAGERS, user_ids=(comment.author_id,))


def add_comment(meeting: MeetingState, paper: Paper, viewer: Viewer, comment: Comment) -> list[Event]:
    _open_meeting(meeting)
    if not paper.can_read(viewer) or viewer.user_id is None:
        raise AppError("not_found", what="paper")
    v = paper.version(comment.version)
    if not 1 <= comment.page <= v.page_count:
        raise AppError("invalid_input", detail="trang không có trong tài liệu", detail_en="no such page")
    return [Event(p.COMMENT_ADDED, {"comment": comment.to_dict()}, comment_audience(comment))]


def update_comment(
    meeting: MeetingState, viewer: Viewer, comment: Comment, status: str | None, answer: str | None, at: str
) -> tuple[Comment, list[Event]]:
    """The chair or secretary accepts a comment (tiếp thu) or answers it (giải trình)."""
    _open_meeting(meeting)
    if not viewer.manages:
        raise AppError("forbidden")
    new = replace(
        comment,
        status=status if status is not None else comment.status,
        answer=answer if answer is not None else comment.answer,
        updated_at=at,
    )
    if new.status not in COMMENT_STATUSES:
        raise AppError("invalid_input", detail="trạng thái góp ý không hợp lệ", detail_en="unknown comment status")
    if new == replace(comment, updated_at=at):
        return comment, []
    return new, [Event(p.COMMENT_UPDATED, {"comment": new.to_dict()}, comment_audience(new))]


def open_paper(paper: Paper, viewer: Viewer, version: int | None, first_time: bool, name: str, at: str) -> list[Event]:
    """A read receipt: the chair sees who has opened which paper. Only the first opening is an event."""
    if not paper.can_read(viewer) or viewer.user_id is None:
        raise AppError("not_found", what="paper")
    v = paper.version(version)
    if not first_time:
        return []
    return [
        Event(
            p.PAPER_OPENED,
            {"paper_id": paper.id, "version": v.version, "user_id": viewer.user_id, "name": name, "at": at},
            Audience(kind="roles", roles=PAPER_MANAGERS),
        )
    ]
