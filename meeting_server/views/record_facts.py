"""What the record is made of, read from the log in the caller's session: the log's facts per agenda item and for
the meeting (`facts_of`), the issuing unit and its header (`issuer_of`, the giấy mời's), and a document's content
from the facts and the texts (`draft_content`: what the approval freezes, what a draft's PDF prints).

Both sides use it: `actions/record.py` freezes the content in the approving transaction, `views/record.py` shows the
facts and renders a draft. It imports neither of them, so neither imports the other (tests/test_layers.py).
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any, cast

from sqlalchemy.ext.asyncio import AsyncSession

from .. import protocol as p
from ..documents.invitation import plan_lists
from ..domain import attendance as attendance_domain
from ..domain import record as domain
from ..domain.floor import Floor
from ..domain.meetings import MeetingState
from ..domain.record import VIETNAM
from ..domain.record_content import Correction, DocumentNumber, Issuer
from ..storage import attendance as attendance_store
from ..storage import directory
from ..storage import papers as paper_store
from ..storage import record as store
from ..storage import votes as vote_store
from ..storage.models import RecordDocumentRow
from ..vocabulary import (
    ABSENT_EXCUSED,
    ABSENT_UNEXCUSED,
    ANSWER_ABSENT,
    LATE,
    PUBLISHED,
    RECORD_CONCLUSION,
    RECORD_MINUTES,
    SLOT_CHAIR,
    SLOT_SECRETARY,
    VOTE_CLOSED,
    RecordKind,
)
from .meetings import invitation_of, people_of

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


def kind_of(row: RecordDocumentRow) -> RecordKind:
    """A stored document's kind, as the vocabulary types it (the column holds only RECORD_KINDS)."""
    return cast(RecordKind, row.kind)


async def issuer_of(session: AsyncSession, state: MeetingState) -> tuple[str, Issuer]:
    """The issuing unit and how the header names it: the giấy mời's (the chair's unit, else the organiser's)."""
    data = await invitation_of(session, state)
    unit_id = await issuing_unit_id(session, state)
    issuer = Issuer(
        issuing_body=data.issuing_unit,
        symbol=data.issuer_abbreviation,
        place=data.place_name,
        governing_body=data.parent_unit,
    )
    return unit_id, issuer


async def issuing_unit_id(session: AsyncSession, state: MeetingState) -> str:
    """The unit whose register numbers the meeting's documents: its chair's, else its organiser's ("" for none)."""
    ids = [i for i in (state.chair_id, state.organizer_id) if i]
    people = await directory.users_by_ids(session, ids)
    return next((people[i].unit_id for i in ids if i in people and people[i].unit_id), None) or ""


async def draft_content(
    session: AsyncSession, row: RecordDocumentRow, state: MeetingState, number: int | None = None, issued_on: Any = None
) -> dict[str, Any]:
    """The document's content as JSON from the log and texts now (what the approval freezes; a draft's PDF)."""
    _, issuer = await issuer_of(session, state)
    doc_number = DocumentNumber(
        kind=kind_of(row),
        issuer_symbol=issuer.symbol,
        number=number,
        year=issued_on.year if issued_on else None,
        confidential=row.confidential,
    )
    correction = None
    if row.replaces_id:
        first = await store.load(session, row.replaces_id)
        if first.number is not None and first.issued_on:
            correction = Correction(
                replaces=DocumentNumber(
                    kind=kind_of(first),
                    issuer_symbol=issuer.symbol,
                    number=first.number,
                    year=first.year,
                    confidential=first.confidential,
                ),
                replaces_issued_on=date.fromisoformat(first.issued_on),
                reason=row.correction_reason,
            )
    facts = await facts_of(session, state)
    recipients = await recipients_of(session, row, state)
    minutes_row = row
    if row.kind == RECORD_CONCLUSION:  # the conclusions are the minutes' (the latest version of them)
        minutes = [d for d in await store.documents_of(session, state.id) if d.kind == RECORD_MINUTES]
        minutes_row = minutes[-1] if minutes else row
    texts = {(t.part, t.field): t.html for t in await store.texts_of(session, minutes_row.id)}
    minutes_slots = minutes_row.slots if minutes_row.kind == RECORD_MINUTES else row.slots
    content = domain.build_minutes(
        issuer=issuer,
        number=doc_number,
        facts=facts,
        texts=texts,
        slots=[s for s in minutes_slots if s["slot"] in (SLOT_SECRETARY, SLOT_CHAIR)],
        issued_on=issued_on,
        correction=correction,
        recipients=recipients,
    )
    if row.kind == RECORD_CONCLUSION:
        own = {(t.part, t.field): t.html for t in await store.texts_of(session, row.id)}
        return dict(domain.to_json(domain.build_conclusion(content, doc_number, row.slots, own, recipients)))
    return dict(domain.to_json(content))


async def default_recipients(session: AsyncSession, row: RecordDocumentRow, state: MeetingState) -> list[str]:
    """ "Nơi nhận" until the secretary edits it: a biên bản's the chair and the members; a thông báo's the invited
    people and units as the giấy mời's "Kính gửi" groups them (a province's communes on one line)."""
    if row.kind != RECORD_CONCLUSION:
        return list(domain.MINUTES_RECIPIENTS)
    data = await invitation_of(session, state)
    return plan_lists(data.recipients, data.invited_units, []).recipients or ["Các thành viên dự họp"]


async def recipients_of(session: AsyncSession, row: RecordDocumentRow, state: MeetingState) -> list[str]:
    """The document's "Nơi nhận" as it prints: the edited list, else the defaults."""
    return list(row.recipients) if row.recipients is not None else await default_recipients(session, row, state)


async def defaults_of(session: AsyncSession, row: RecordDocumentRow, state: MeetingState) -> dict[str, Any]:
    """What the page starts an unsaved opening/closing part and "Nơi nhận" from: the same the PDF prints."""
    facts = await facts_of(session, state)
    chair = domain.attendee(facts.get("chair") or {})  # not vocabulary: a field
    texts = domain.default_texts(row.kind, chair, datetime.fromisoformat(facts["started_at"]), facts["title"])
    return {
        "texts": [{"part": part, "field": field, "html": html} for (part, field), html in texts.items()],
        "recipients": await default_recipients(session, row, state),
    }
