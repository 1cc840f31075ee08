"""Papers, uploads, annotations, comments and read receipts: the projections the paper events describe.

They change in the same transaction as the meeting's event log (the actions hold the meeting row), so what a
reader fetches after an event is always at least as new as the event.
"""

from __future__ import annotations

from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..domain.papers import Annotation, Comment, Paper
from ..errors import AppError
from .db import now_iso
from .models import AnnotationRow, CommentRow, PaperReadRow, PaperRow, PaperUploadRow, UserRow

UPLOAD_LIFETIME_S = 24 * 3600


# ---- papers -----------------------------------------------------------------------------------------------------


async def get_paper(session: AsyncSession, paper_id: str, meeting_id: str | None = None) -> Paper:
    row = await session.get(PaperRow, paper_id)
    if row is None or (meeting_id is not None and row.meeting_id != meeting_id):
        raise AppError("not_found", what="paper")
    return Paper.from_dict(row.state)


async def presented_paper(session: AsyncSession, presentation: dict[str, Any] | None, meeting_id: str) -> Paper | None:
    """The paper a meeting's presentation shows, or None (no presentation, or the paper is gone)."""
    if not presentation:
        return None
    row = await session.get(PaperRow, str(presentation.get("paper_id")))
    return Paper.from_dict(row.state) if row is not None and row.meeting_id == meeting_id else None


async def list_papers(session: AsyncSession, meeting_id: str) -> list[Paper]:
    rows = (await session.execute(select(PaperRow).where(PaperRow.meeting_id == meeting_id))).scalars()
    papers = [Paper.from_dict(r.state) for r in rows]
    return sorted(papers, key=lambda x: (x.position, x.created_at, x.id))


async def save_paper(session: AsyncSession, paper: Paper) -> None:
    row = await session.get(PaperRow, paper.id)
    state = paper.to_dict(with_files=True)
    if row is None:
        session.add(PaperRow(id=paper.id, meeting_id=paper.meeting_id, state=state, updated_at=now_iso()))
    else:
        row.state = state
        row.updated_at = now_iso()
    await session.flush()


async def unit_members(session: AsyncSession, unit_ids: tuple[str, ...]) -> list[str]:
    """The active people of the listed units: a listed paper's events reach them by name."""
    if not unit_ids:
        return []
    rows = await session.execute(select(UserRow.id).where(UserRow.unit_id.in_(unit_ids), UserRow.active.is_(True)))
    return [r[0] for r in rows]


# ---- uploads ----------------------------------------------------------------------------------------------------


async def add_upload(session: AsyncSession, upload_id: str, actor_id: str, file_id: str, info: dict[str, Any]) -> None:
    session.add(PaperUploadRow(id=upload_id, actor_id=actor_id, file_id=file_id, info=info, created_at=now_iso()))
    await session.flush()


async def take_upload(session: AsyncSession, upload_id: str, actor_id: str) -> PaperUploadRow:
    """The upload, once: it is deleted as it is used. Another person's upload is as good as missing."""
    row = await session.get(PaperUploadRow, upload_id)
    if row is None or row.actor_id != actor_id:
        raise AppError("not_found", what="upload")
    await session.delete(row)
    await session.flush()
    return row


async def forget_old_uploads(session: AsyncSession, before: str) -> int:
    result = await session.execute(delete(PaperUploadRow).where(PaperUploadRow.created_at < before))
    return int(getattr(result, "rowcount", 0) or 0)


# ---- annotations ------------------------------------------------------------------------------------------------


def _annotation(row: AnnotationRow) -> Annotation:
    return Annotation(
        id=row.id,
        paper_id=row.paper_id,
        version=row.version,
        page=row.page,
        kind=row.kind,
        owner_id=row.owner_id,
        layer=row.layer,
        data=dict(row.data),
        updated_at=row.updated_at,
    )


async def get_annotation(session: AsyncSession, annotation_id: str) -> Annotation | None:
    row = await session.get(AnnotationRow, annotation_id)
    return _annotation(row) if row is not None else None


async def save_annotation(session: AsyncSession, meeting_id: str, annotation: Annotation) -> None:
    row = await session.get(AnnotationRow, annotation.id)
    if row is None:
        session.add(
            AnnotationRow(
                id=annotation.id,
                meeting_id=meeting_id,
                paper_id=annotation.paper_id,
                version=annotation.version,
                page=annotation.page,
                kind=annotation.kind,
                owner_id=annotation.owner_id,
                layer=annotation.layer,
                data=annotation.data,
                updated_at=annotation.updated_at,
            )
        )
    else:
        row.version, row.page, row.kind = annotation.version, annotation.page, annotation.kind
        row.data, row.updated_at = annotation.data, annotation.updated_at
    await session.flush()


async def delete_annotation(session: AsyncSession, annotation_id: str) -> None:
    await session.execute(delete(AnnotationRow).where(AnnotationRow.id == annotation_id))


async def annotations_for(
    session: AsyncSession,
    paper_id: str,
    user_id: str | None,
    version: int | None = None,
    *,
    include_shared: bool = True,
) -> list[Annotation]:
    """A reader's own layer plus the shared one (the presenter's), oldest first."""
    query = select(AnnotationRow).where(AnnotationRow.paper_id == paper_id)
    if version is not None:
        query = query.where(AnnotationRow.version == version)
    rows = (await session.execute(query.order_by(AnnotationRow.updated_at, AnnotationRow.id))).scalars()
    return [
        _annotation(r)
        for r in rows
        if (user_id is not None and r.owner_id == user_id and r.layer == "private")
        or (include_shared and r.layer == "shared")
    ]


# ---- comments ---------------------------------------------------------------------------------------------------


def _comment(row: CommentRow) -> Comment:
    return Comment(**row.state)


async def get_comment(session: AsyncSession, comment_id: str) -> Comment | None:
    row = await session.get(CommentRow, comment_id)
    return _comment(row) if row is not None else None


async def save_comment(session: AsyncSession, meeting_id: str, comment: Comment) -> None:
    row = await session.get(CommentRow, comment.id)
    if row is None:
        session.add(
            CommentRow(
                id=comment.id,
                meeting_id=meeting_id,
                paper_id=comment.paper_id,
                author_id=comment.author_id,
                state=comment.to_dict(),
                created_at=comment.created_at,
            )
        )
    else:
        row.state = comment.to_dict()
    await session.flush()


async def comments_for(session: AsyncSession, paper_id: str, author_id: str | None = None) -> list[Comment]:
    """All comments on a paper (managers), or one person's own."""
    query = select(CommentRow).where(CommentRow.paper_id == paper_id)
    if author_id is not None:
        query = query.where(CommentRow.author_id == author_id)
    rows = (await session.execute(query.order_by(CommentRow.created_at, CommentRow.id))).scalars()
    return [_comment(r) for r in rows]


# ---- read receipts ----------------------------------------------------------------------------------------------


async def note_read(session: AsyncSession, paper_id: str, user_id: str, version: int, at: str) -> bool:
    """Record an opening; returns whether it was this person's first."""
    row = await session.get(PaperReadRow, (paper_id, user_id))
    if row is None:
        session.add(
            PaperReadRow(paper_id=paper_id, user_id=user_id, first_at=at, last_at=at, opens=1, last_version=version)
        )
        await session.flush()
        return True
    row.last_at, row.opens, row.last_version = at, row.opens + 1, version
    return False


async def reads_of(session: AsyncSession, paper_ids: list[str]) -> list[dict[str, Any]]:
    if not paper_ids:
        return []
    rows = (await session.execute(select(PaperReadRow).where(PaperReadRow.paper_id.in_(paper_ids)))).scalars()
    return [
        {
            "paper_id": r.paper_id,
            "user_id": r.user_id,
            "first_at": r.first_at,
            "last_at": r.last_at,
            "opens": r.opens,
            "version": r.last_version,
        }
        for r in rows
    ]
