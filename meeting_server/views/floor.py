"""Reading a meeting's speeches for the minutes: every speech (who, where, on which item, when, how long,
extended or not) and the speaking time per person, per site and per agenda item (domain.floor.speaking_time)."""

from __future__ import annotations

from typing import Any

from ..actions.base import Services
from ..domain.actors import Actor
from ..domain.conference import split_key
from ..domain.floor import Floor, Speech, speaking_time
from ..domain.meetings import MeetingState
from ..vocabulary import FLOOR_KIND_WORDS, SITE, SPEECH_END_WORDS
from .meetings import people_of, visible_in


def _names(state: MeetingState, people: list[dict[str, Any]]) -> dict[str, str]:
    """Participant key or site id -> name."""
    sites = {s["id"]: s.get("name", s["id"]) for s in state.sites}
    return {f"{SITE}:{i}": n for i, n in sites.items()} | sites | {f"user:{p['id']}": p["full_name"] for p in people}


def _speech(s: Speech, floor: Floor, state: MeetingState, names: dict[str, str]) -> dict[str, Any]:
    titles = {item.id: item.title for item in state.agenda}
    topic = next((r.topic for r in floor.requests if r.id == s.id), "")
    kind_vi, kind_en = FLOOR_KIND_WORDS[s.kind]
    end_vi, end_en = SPEECH_END_WORDS[s.end_reason] if s.end_reason else ("", "")
    return {
        "id": s.id,
        "speaker": s.speaker,
        "speaker_name": names.get(s.speaker, split_key(s.speaker)[1]),
        "site_id": s.site_id,
        "site_name": names.get(s.site_id, "") if s.site_id else "",
        "item_id": s.item_id,
        "item_title": titles.get(s.item_id, ""),
        "kind": s.kind,
        "kind_vi": kind_vi,
        "kind_en": kind_en,
        "topic": topic,
        "started_at": s.started_at,
        "ended_at": s.ended_at,
        "duration_seconds": s.duration_seconds,
        "planned_minutes": s.planned_minutes,
        "extra_minutes": s.extra_minutes,
        "extended": s.extra_minutes > 0,
        "end_reason": s.end_reason,
        "end_vi": end_vi,
        "end_en": end_en,
    }


def _totals(speeches: tuple[Speech, ...], names: dict[str, str], item_id: str | None = None) -> dict[str, Any]:
    time = speaking_time(speeches, item_id)
    return {
        "by_speaker": [
            {"speaker": k, "name": names.get(k, k), "seconds": v, "speeches": time.speeches[k]}
            for k, v in sorted(time.by_speaker.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "by_site": [
            {"site_id": k, "name": names.get(k, k), "seconds": v}
            for k, v in sorted(time.by_site.items(), key=lambda kv: (-kv[1], kv[0]))
        ],
        "seconds": sum(time.by_speaker.values()),
        "speeches": sum(time.speeches.values()),
    }


async def speeches(services: Services, actor: Actor, meeting_id: str) -> dict[str, Any]:
    """What GET /api/meetings/{id}/speeches answers (anyone who sees the meeting: the floor is in its snapshot)."""
    async with services.db.read() as session:
        state, _ = await visible_in(session, actor, meeting_id)
        people = await people_of(session, state)
    floor = Floor.from_dict(state.floor or None)
    names = _names(state, people)
    by_item = [
        {"item_id": item.id, "title": item.title, **_totals(floor.speeches, names, item.id)}
        for item in state.agenda
        if any(s.item_id == item.id for s in floor.speeches)
    ]
    return {
        "meeting_id": state.id,
        "title": state.title,
        "speeches": [_speech(s, floor, state, names) for s in floor.speeches],
        "totals": {**_totals(floor.speeches, names), "by_item": by_item},
    }
