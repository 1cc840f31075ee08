"""The archive's reads (docs/archive.md): archived meetings a person may see, by year, unit and kind, each with
its dossier's state for those who may download it."""

from __future__ import annotations

from typing import Any, Protocol

from ..actions.base import Services
from ..archive.dossier import dossier_path
from ..domain.actors import Actor
from ..domain.meetings import MeetingState, meeting_role
from ..storage import archive as archive_store
from ..storage import directory
from ..vocabulary import DOSSIER_DOWNLOAD, MEETING_PERMISSIONS

# What kind of meeting it was: with sites (a video conference) or in one hall.
KINDS: dict[str, tuple[str, str]] = {
    "online": ("Họp trực tuyến", "video conference"),
    "in_person": ("Họp tại chỗ", "in-person meeting"),
}


class Builds(Protocol):
    failures: dict[str, str]

    def status(self, meeting_id: str) -> str: ...


def kind_of(state: MeetingState) -> str:
    return "online" if len(state.sites) > 1 else "in_person"


def dossier_state(services: Services, builder: Builds, meeting_id: str) -> dict[str, Any]:
    """`building` (đang lập hồ sơ), `ready` (with its size and download link) or `failed` (with the reason)."""
    status = builder.status(meeting_id)
    out: dict[str, Any] = {"meeting_id": meeting_id, "status": status}
    if status == "ready":
        path = dossier_path(services, meeting_id)
        out |= {"bytes": path.stat().st_size, "url": f"/api/meetings/{meeting_id}/dossier.zip"}
    if status == "failed":
        out["reason"] = builder.failures.get(meeting_id, "")
    return out


async def archived(
    services: Services,
    actor: Actor,
    *,
    year: str | None,
    unit_id: str | None,
    kind: str | None,
    builder: Builds,
) -> dict[str, Any]:
    """The archived meetings the actor may see (as in "my meetings"), the filters applied; each with its unit (the
    organiser's), its kind, and its dossier's state when the actor may download it. `facets`: what to filter by."""
    async with services.db.read() as session:
        states = await archive_store.archived_meetings(session)
        seen = [(s, role) for s in states if (role := meeting_role(actor, s)) is not None]
        organisers = await directory.users_by_ids(session, list({s.organizer_id for s, _ in seen}))
        units = {u["id"]: u for u in await directory.list_units(session)}
    rows = []
    for state, role in seen:
        organiser = organisers.get(state.organizer_id)
        unit = units.get(organiser.unit_id or "") if organiser else None
        row: dict[str, Any] = {
            "id": state.id,
            "title": state.title,
            "starts_at": state.starts_at,
            "year": state.starts_at[:4],
            "unit_id": unit["id"] if unit else None,
            "unit_name": unit["name"] if unit else "",
            "kind": kind_of(state),
            "role": role,
            "dossier": None,
        }
        if role in MEETING_PERMISSIONS[DOSSIER_DOWNLOAD]:
            row["dossier"] = dossier_state(services, builder, state.id)
        rows.append(row)
    facets = {
        "years": sorted({r["year"] for r in rows}, reverse=True),
        "units": sorted({(r["unit_id"], r["unit_name"]) for r in rows if r["unit_id"]}, key=lambda u: u[1]),
        "kinds": sorted({r["kind"] for r in rows}),
    }
    chosen = [
        r
        for r in rows
        if (year is None or r["year"] == year)
        and (unit_id is None or r["unit_id"] == unit_id)
        and (kind is None or r["kind"] == kind)
    ]
    return {
        "meetings": chosen,
        "facets": {**facets, "units": [{"id": i, "name": n} for i, n in facets["units"]]},
    }
