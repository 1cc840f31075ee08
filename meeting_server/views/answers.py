"""Reading the answers to a meeting's invitation: every invitee with their answer and the counts (the organisers),
and one's own answer with whom one stands in for and the colleagues one may send instead (the delegate's page)."""

from __future__ import annotations

from typing import Any

from ..actions.answers import told
from ..actions.base import Services
from ..domain import answers as domain
from ..domain.actors import Actor
from ..domain.meetings import require
from ..storage import directory
from ..vocabulary import INVITATION_ANSWERS, USER
from .meetings import visible_in


def _line(given: dict[str, Any] | None, names: dict[str, str], lang: str) -> str:
    if given is None:
        return domain.ANSWER_WORDS["none"][0 if lang == "vi" else 1]
    return domain.Answer.from_dict(given).line(names, lang)


async def answers(services: Services, actor: Actor, meeting_id: str) -> dict[str, Any]:
    """Every invitee named in the meeting (and anyone invited through their unit who answered), with their answer,
    how it reads, the stand-in or whom they stand in for, and the count of each kind."""
    async with services.db.read() as session:
        state, _ = await visible_in(session, actor, meeting_id)
        require(actor, state, INVITATION_ANSWERS)
        ids = list(dict.fromkeys([*state.invitee_ids, *state.answers]))
        users = await directory.users_by_ids(session, ids)
        units = {u["id"]: u["name"] for u in await directory.list_units(session)}
    names = {i: (users[i].full_name if i in users else i) for i in ids}
    standing = domain.stands_in_for(state)
    sites = {s["id"]: s.get("name", s["id"]) for s in state.sites}
    people = []
    for person_id in ids:
        given = state.answers.get(person_id)
        user = users.get(person_id)
        member = standing.get(person_id)
        people.append(
            {
                "person_id": person_id,
                "full_name": names[person_id],
                "unit_name": units.get(user.unit_id or "", "") if user else "",
                "answer": dict(given) if given else None,
                "kind": given["kind"] if given else None,
                "site_name": sites.get(given.get("site_id") or "", "") if given else "",
                "stand_in_name": names.get(given.get("stand_in_id") or "", "") if given else "",
                "stands_in_for": member,
                "stands_in_for_name": names.get(member or "", ""),
                "line": _line(given, names, "vi"),
                "line_en": _line(given, names, "en"),
            }
        )
    return {"meeting_id": state.id, "people": people, "counts": domain.counts(state, ids)}


async def my_answer(services: Services, actor: Actor, meeting_id: str) -> dict[str, Any]:
    """My answer (None before I answer), whom I stand in for, and the active colleagues of my unit I may send."""
    async with services.db.read() as session:
        state, _ = await visible_in(session, actor, meeting_id)
        colleagues = await directory.users_in_units(session, [actor.unit_id] if actor.unit_id else [])
        member = domain.stands_in_for(state).get(actor.id)
        names = await directory.users_by_ids(session, [member] if member else [])
    mine = told(state, actor.id)
    return {
        **mine,
        "invited": actor.kind == USER and domain.is_invited(state, domain.Person(actor.id, actor.unit_id)),
        "stands_in_for_name": names[member].full_name if member and member in names else "",
        "colleagues": [
            {"id": u.id, "full_name": u.full_name, "title": u.title}
            for u in sorted(colleagues, key=lambda u: u.full_name)
            if u.active and u.id != actor.id
        ],
    }
