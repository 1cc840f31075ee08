"""What a given person may read of a meeting's papers: the listing, one paper with its version, their
annotations, comments, and (for the people running the meeting) who has opened which paper.

Each function is one database read: a tablet fetching a page asks for the meeting, the paper and, for a
restricted paper's watermark, the reader's unit, and nothing more; the paper is checked against the viewer
before anything else of it is read.
"""

from __future__ import annotations

import contextlib
from dataclasses import dataclass
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from ..actions.base import Services
from ..domain.actors import Actor
from ..domain.meetings import MeetingState
from ..domain.papers import Annotation, Comment, Paper, PaperVersion, Viewer
from ..errors import AppError
from ..storage import directory
from ..storage import papers as store
from ..storage.db import now_iso
from .meetings import as_told, people_of, viewer_of, visible_in


@dataclass
class Reading:
    """A viewer and the paper they asked for, after every check."""

    state: MeetingState
    viewer: Viewer
    name: str
    unit_name: str
    paper: Paper
    version: PaperVersion


async def _reading_in(
    session: AsyncSession, actor: Actor, meeting_id: str, paper_id: str, version: int | None
) -> Reading:
    state, role = await visible_in(session, actor, meeting_id)
    viewer = viewer_of(actor, role)
    paper = await store.get_paper(session, paper_id, state.id)
    if not paper.can_read(viewer):
        raise AppError("not_found", what="paper")
    unit_name = ""
    if paper.restricted and actor.kind == "user" and actor.unit_id:
        with contextlib.suppress(AppError):
            unit_name = (await directory.get_unit(session, actor.unit_id)).name
    return Reading(state, viewer, actor.name, unit_name, paper, paper.version(version))


async def reading(
    services: Services, actor: Actor, meeting_id: str, paper_id: str, version: int | None = None
) -> Reading:
    """The paper and the version asked for (the current one when None), for someone who may read it: every page
    a tablet fetches comes through here."""
    async with services.db.read() as session:
        return await _reading_in(session, actor, meeting_id, paper_id, version)


async def papers(services: Services, actor: Actor, meeting_id: str) -> tuple[MeetingState, Viewer, list[Paper]]:
    """The meeting's papers this person may read, in their order."""
    async with services.db.read() as session:
        state, role = await visible_in(session, actor, meeting_id)
        state = await as_told(session, state, role, actor)
        viewer = viewer_of(actor, role)
        found = [x for x in await store.list_papers(session, state.id) if x.can_read(viewer)]
    return state, viewer, found


async def annotated(
    services: Services, actor: Actor, meeting_id: str, paper_id: str, version: int
) -> tuple[Reading, list[Annotation]]:
    """One version of a paper with the reader's own annotations on it and the shared (presenter's) ones."""
    async with services.db.read() as session:
        found = await _reading_in(session, actor, meeting_id, paper_id, version)
        marks = await store.annotations_for(session, found.paper.id, found.viewer.user_id, found.version.version)
    return found, marks


async def my_annotations(
    services: Services, actor: Actor, meeting_id: str, paper_id: str, version: int | None
) -> list[Annotation]:
    """The reader's and the shared annotations on a paper: on one version, or on all when None."""
    async with services.db.read() as session:
        found = await _reading_in(session, actor, meeting_id, paper_id, None)
        return await store.annotations_for(session, found.paper.id, found.viewer.user_id, version)


async def comments(
    services: Services, actor: Actor, meeting_id: str, paper_id: str, *, every: bool = False
) -> tuple[Reading, list[Comment]]:
    """Comments on a paper: all of them for the people running the meeting, one's own for anyone else.
    `every` asks for all of them and is forbidden to others (the comment report)."""
    async with services.db.read() as session:
        found = await _reading_in(session, actor, meeting_id, paper_id, None)
        if every and not found.viewer.manages:
            raise AppError("forbidden")
        author = None if found.viewer.manages else (found.viewer.user_id or "")
        return found, await store.comments_for(session, found.paper.id, author)


async def receipts(services: Services, actor: Actor, meeting_id: str) -> dict[str, Any]:
    """Who has opened which published paper, beside who may read it (the chair's and secretary's view)."""
    async with services.db.read() as session:
        state, role = await visible_in(session, actor, meeting_id)
        if not viewer_of(actor, role).manages:
            raise AppError("forbidden")
        people = await people_of(session, state)
        published = [x for x in await store.list_papers(session, state.id) if x.status == "published"]
        reads = await store.reads_of(session, [x.id for x in published])
    by_paper: dict[str, dict[str, dict[str, Any]]] = {}
    for row in reads:
        by_paper.setdefault(row["paper_id"], {})[row["user_id"]] = row
    out = []
    for paper in published:
        readers = [
            x
            for x in people
            if x["role"] and paper.can_read(Viewer(role=x["role"], user_id=x["id"], unit_id=x.get("unit_id")))
        ]
        opened = by_paper.get(paper.id, {})
        out.append(
            {
                "paper_id": paper.id,
                "title": paper.title,
                "readers": [
                    {
                        "user_id": x["id"],
                        "name": x["full_name"],
                        "unit_name": x["unit_name"],
                        "opened": opened.get(x["id"]),
                    }
                    for x in readers
                ],
                "opened": sum(1 for x in readers if x["id"] in opened),
                "expected": len(readers),
            }
        )
    return {"papers": out, "at": now_iso()}
