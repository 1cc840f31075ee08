"""The record as its writers read it: the log's facts per agenda item and for the meeting (views: one read each),
the documents with their texts, comments and slots, and the register.

`facts_of` is what the minutes are built from (domain/record.build_minutes); the approving action calls it in its
own transaction so the frozen content is the log at that moment.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from .. import protocol as p
from ..actions.base import Services
from ..domain import attendance as attendance_domain
from ..domain import signing as signing_rules
from ..domain.actors import Actor
from ..domain.floor import Floor
from ..domain.meetings import MeetingState, require, require_or_named
from ..domain.record import VIETNAM
from ..errors import AppError
from ..storage import attendance as attendance_store
from ..storage import meetings as meeting_store
from ..storage import papers as paper_store
from ..storage import record as store
from ..storage import register as register_store
from ..storage import votes as vote_store
from ..vocabulary import (
    ABSENT_EXCUSED,
    ABSENT_UNEXCUSED,
    ANSWER_ABSENT,
    LATE,
    PUBLISHED,
    RECORD_READ,
    REGISTER_READ,
    VOTE_CLOSED,
    MeetingPermission,
)
from .meetings import people_of, visible_in

_MARKS = (p.MEETING_STARTED, p.MEETING_ENDED, p.AGENDA_CURRENT_CHANGED)


async def _timeline(session: AsyncSession, meeting_id: str) -> tuple[str | None, str | None, dict[str, list[str]]]:
    """The meeting's start and end, and per agenda item when it became current and when it stopped being."""
    rows = await store.log_marks(session, meeting_id, _MARKS)
    started = ended = None
    spans: dict[str, list[str]] = {}
    current: str | None = None
    for kind, data, at in rows:
        if kind == p.MEETING_STARTED:
            started = started or at
            continue
        if kind == p.MEETING_ENDED:
            ended = at
            if current:
                spans[current][1:] = [at]
            current = None
            continue
        new = (data.get("patch") or {}).get("current_item_id")
        if current and current != new:
            spans[current][1:] = [at]
        if new:
            spans.setdefault(new, [at])
            spans[new][1:] = []
        current = new
    return started, ended, spans


def _vote_line(vote: dict[str, Any]) -> dict[str, Any] | None:
    result = vote.get("result")
    if vote.get("status") != VOTE_CLOSED or not result:
        return None
    counts = {str(c.get("choice")): int(c.get("count", 0)) for c in result.get("counts", [])}
    counts["not_voted"] = max(0, int(result.get("base_size", 0)) - int(result.get("voted", 0)))
    return {
        "question": vote["question"],
        "secret": bool(vote["secret"]),
        "counts": counts,
        "members": int(vote.get("members_count") or result.get("base_size", 0)),  # not vocabulary: a field
        "outcome": "Thông qua" if result.get("passed") else "Không thông qua",
        "rule": str(vote.get("rule", "")),
    }


async def facts_of(session: AsyncSession, state: MeetingState) -> dict[str, Any]:
    """What the log knows for the minutes: the meeting's times, sites and attendance, and per agenda item its
    times, presenter, papers presented, speeches and closed votes (a secret vote: its counts only)."""
    started, ended, spans = await _timeline(session, state.id)
    people = {x["id"]: x for x in await people_of(session, state)}
    sites = {s["id"]: s.get("name", s["id"]) for s in state.sites}
    names = {f"user:{k}": v["full_name"] for k, v in people.items()} | {f"site:{k}": v for k, v in sites.items()}
    floor = Floor.from_dict(state.floor or None)
    votes = [vote_store.public_vote(r) for r in await vote_store.votes_of(session, state.id)]
    shown = await store.log_marks(session, state.id, (p.PAPER_PRESENTED,))
    presented = {((d.get("patch") or {}).get("presentation") or {}).get("paper_id") for _, d, _ in shown}
    papers = [
        x for x in await paper_store.list_papers(session, state.id) if x.status == PUBLISHED and x.id in presented
    ]
    entries = (await attendance_store.load_attendance(session, state.id)).current()
    membership = attendance_domain.membership_of(state)

    def person(pid: str, note: str = "") -> dict[str, Any]:
        who = people.get(pid, {})
        entry = entries.get(pid)
        return {
            "name": who.get("full_name", pid),
            "position": who.get("title", ""),
            "unit": who.get("unit_name", ""),
            "site": sites.get(entry.site_id or "", "") if entry else "",  # not vocabulary: a field
            "note": note,
        }

    present, absent, late = [], [], []
    for pid in sorted(
        membership.voting | membership.guests | membership.stand_ins,
        key=lambda i: people.get(i, {}).get("full_name", i),
    ):
        entry = entries.get(pid)
        answer = state.answers.get(pid) or {}
        if entry is not None and entry.status == LATE:
            late.append(person(pid, f"đến muộn lúc {_clock(entry.at)}"))
            present.append(person(pid))
        elif entry is not None and entry.present:
            present.append(person(pid))
        elif entry is not None and entry.status in (ABSENT_EXCUSED, ABSENT_UNEXCUSED):
            absent.append(
                person(pid, entry.reason or ("có lý do" if entry.status == ABSENT_EXCUSED else "không lý do"))
            )
        elif answer.get("kind") == ANSWER_ABSENT:
            absent.append(person(pid, answer.get("reason", "")))
        else:
            absent.append(person(pid, "không điểm danh"))
    items = []
    for item in state.agenda:
        span = spans.get(item.id, [])
        items.append(
            {
                "item_id": item.id,
                "title": item.title,
                "presenter": item.presenter_name,
                "papers": [x.title for x in papers if getattr(x, "item_id", None) == item.id],
                "started_at": span[0] if span else None,
                "ended_at": span[1] if len(span) > 1 else None,
                "speeches": [
                    {
                        "speaker": names.get(s.speaker, s.speaker),
                        "site": sites.get(s.site_id or "", ""),  # not vocabulary: a field
                        "started_at": s.started_at,
                        "seconds": int(s.duration_seconds or 0),
                    }
                    for s in floor.speeches
                    if s.item_id == item.id and s.started_at
                ],
                "votes": [line for v in votes if v.get("item_id") == item.id and (line := _vote_line(v))],
            }
        )
    host = sites.get(state.main_site_id or "", "")
    return {
        "meeting_id": state.id,
        "title": state.title,
        "status": state.status,
        "started_at": started or state.starts_at,
        "ended_at": ended,
        "place": ", ".join(x for x in (state.location, _online(len(state.sites))) if x),
        "host_site": host,
        "sites_connected": [n for i, n in sites.items() if i != state.main_site_id],
        "chair": person(state.chair_id) if state.chair_id else {},  # not vocabulary: a field
        "secretary": person(state.secretary_id) if state.secretary_id else {},  # not vocabulary: a field
        "present": present,
        "absent": absent,
        "late": late,  # not vocabulary: a field
        "items": items,
    }


def _online(sites: int) -> str:
    """What the place says of a conference: "trực tuyến đến 124 điểm cầu" (every site, the host's included)."""
    return f"trực tuyến đến {sites} điểm cầu" if sites > 1 else ""


def _clock(iso: str) -> str:
    return datetime.fromisoformat(iso).astimezone(VIETNAM).strftime("%H:%M")


async def meeting_record(services: Services, actor: Actor, meeting_id: str) -> dict[str, Any]:
    """GET /api/meetings/{id}/record: the meeting's documents and the log's facts."""
    async with services.db.read() as session:
        state, _ = await visible_in(session, actor, meeting_id)
        require(actor, state, RECORD_READ)
        documents = [store.document_dict(d) for d in await store.documents_of(session, meeting_id)]
        facts = await facts_of(session, state)
    return {"meeting_id": meeting_id, "documents": documents, "facts": facts}


async def _readable(
    session: AsyncSession, actor: Actor, document_id: str, permission: MeetingPermission = RECORD_READ
) -> Any:
    """The document and its meeting, if the actor holds `permission` there (reading, or signing it: RECORD_SIGN,
    which a person its signature slots name holds whatever their part: vocabulary.NAMED_PERMISSIONS)."""
    row = await store.load(session, document_id)
    state = meeting_store.state_of(await meeting_store.load(session, row.meeting_id))
    require_or_named(actor, state, permission, signing_rules.names(row.slots, actor.id))
    return row, state


async def document(services: Services, actor: Actor, document_id: str) -> dict[str, Any]:
    """GET /api/record/{id}: status, version, number, texts with revisions, comments, slots (and frozen content)."""
    async with services.db.read() as session:
        row, _ = await _readable(session, actor, document_id)
        texts = [store.text_dict(t) for t in await store.texts_of(session, document_id)]
        comments = [store.comment_dict(c) for c in await store.comments_of(session, document_id)]
    return {
        **store.document_dict(row),
        "texts": texts,
        "comments": comments,
        "content": row.content,
        "boxes": row.boxes,
    }


async def meeting_of_document(services: Services, document_id: str) -> str:
    async with services.db.read() as session:
        return await store.meeting_of(session, document_id)


async def pdf_source(
    services: Services, actor: Actor, document_id: str, permission: MeetingPermission = RECORD_READ
) -> dict[str, Any]:
    """What the PDF route needs: the stored PDF, or what to render (frozen content, or a draft's from now); a
    signer (RECORD_SIGN) gets the PDF they sign."""
    return await _source(services, actor, document_id, stored=True, permission=permission)


async def docx_source(services: Services, actor: Actor, document_id: str) -> dict[str, Any]:
    """What the .docx is made from: the frozen content, or a draft's from now."""
    return await _source(services, actor, document_id, stored=False)


async def _source(
    services: Services, actor: Actor, document_id: str, stored: bool, permission: MeetingPermission = RECORD_READ
) -> dict[str, Any]:
    from ..actions.record import draft_content  # the same builder the approval freezes with

    async with services.db.read() as session:
        row, state = await _readable(session, actor, document_id, permission)
        if stored and row.pdf is not None:
            return {"pdf": row.pdf, "kind": row.kind, "is_draft": False}
        if row.content is not None:
            return {"content": row.content, "kind": row.kind, "is_draft": False}
        return {"content": await draft_content(session, row, state), "kind": row.kind, "is_draft": True}


def register_scope(actor: Actor, unit_id: str | None) -> str | None:
    """The unit whose register the actor may read: an administrator any (None: all), a secretary their own."""
    if REGISTER_READ not in actor.capabilities:
        raise AppError("forbidden")
    if actor.is_admin:
        return unit_id
    if not actor.unit_id or (unit_id is not None and unit_id != actor.unit_id):
        raise AppError("forbidden")
    return actor.unit_id


async def register(
    services: Services, actor: Actor, unit_id: str | None, kind: str | None, year: int | None, confidential: bool | None
) -> list[dict[str, Any]]:
    """The register's lines the actor may read, each with its document link and the signer."""
    scope = register_scope(actor, unit_id)
    async with services.db.read() as session:
        rows = await register_store.listing(session, unit_id=scope, kind=kind, year=year, confidential=confidential)
        meetings = await store.meeting_titles(session, {r.meeting_id for r in rows if r.meeting_id})
    return [
        {
            **register_store.entry_dict(r),
            "meeting_title": meetings.get(r.meeting_id or "", ""),
            "link": f"/api/record/{r.document_id}/pdf"
            if r.document_id
            else f"/api/meetings/{r.meeting_id}/invitation.pdf",
        }
        for r in rows
    ]
