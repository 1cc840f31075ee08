"""What the wall displays showed, moment by moment, read back from a meeting's log (pure).

The programme file (media/programme.py) is composed after the meeting from the per-site recordings and this
timeline: replaying the log's patches as every client does, each event that changes what a wall shows starts a
new `Scene`: the main site (`conference.main_site_changed`, or the floor moving it), the chair's inset, the
speaker holding the floor (`floor.given` / `floor.ended`) and the agenda item under discussion
(`agenda.current_changed`). Chapters are the agenda items in the order they were taken up.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from .. import protocol as p
from ..vocabulary import SITE


@dataclass(frozen=True, slots=True)
class Scene:
    """From `start` (wall clock, UTC) until the next scene: what the walls showed."""

    start: datetime
    main: str | None  # participant key shown full frame ("site:<id>")
    inset: tuple[str, ...]  # who the chair's inset shows, in order of preference (its camera, else the host hall)
    lower_third: str  # "Name — Site" while someone has the floor, else ""
    heading: str  # the item under discussion, else ""


@dataclass(frozen=True, slots=True)
class Chapter:
    start: datetime
    title: str


@dataclass(frozen=True, slots=True)
class Timeline:
    title: str  # the meeting's
    names: dict[str, str]  # participant key -> name (the sites, the chair, the speakers), for the slates
    scenes: tuple[Scene, ...]
    chapters: tuple[Chapter, ...]

    def to_dict(self) -> dict[str, Any]:
        """Plain data (for the inputs' hash)."""
        return {
            "title": self.title,
            "names": dict(sorted(self.names.items())),
            "scenes": [
                {
                    "start": s.start.isoformat(),
                    "main": s.main,
                    "inset": list(s.inset),
                    "lower_third": s.lower_third,
                    "heading": s.heading,
                }
                for s in self.scenes
            ],
            "chapters": [{"start": c.start.isoformat(), "title": c.title} for c in self.chapters],
        }


def people_ids(entries: list[dict[str, Any]]) -> set[str]:
    """The user ids of the chair and of everyone given the floor (their names are looked up outside the domain)."""
    ids = set()
    for entry in entries:
        data = entry["data"]
        chair = (data.get("patch") or {}).get("chair_id")
        if chair:
            ids.add(str(chair))
        if entry["type"] == p.FLOOR_GIVEN:
            kind, _, ident = str(data.get("speaker", "")).partition(":")
            if kind == "user" and ident:
                ids.add(ident)
    return ids


def _at(entry: dict[str, Any]) -> datetime:
    return datetime.fromisoformat(str(entry["at"]))


def _view(snapshot: dict[str, Any], names: dict[str, str], site_names: dict[str, str]) -> tuple[Any, ...]:
    main_id = snapshot.get("main_site_id")
    main = f"{SITE}:{main_id}" if main_id else None
    sites = snapshot.get("sites") or []
    inset: list[str] = []
    chair_id = snapshot.get("chair_id")
    if chair_id:
        inset.append(f"user:{chair_id}")
    if sites:
        inset.append(f"{SITE}:{sites[0]['id']}")
    speeches = (snapshot.get("floor") or {}).get("speeches") or []
    lower = ""
    if speeches and not speeches[-1].get("ended_at"):
        speech = speeches[-1]
        speaker = str(speech.get("speaker", ""))
        name = names.get(speaker) or site_names.get(speaker) or speaker.partition(":")[2]
        site = site_names.get(f"{SITE}:{speech.get('site_id')}", "") if speech.get("site_id") else ""
        lower = f"{name} — {site}" if site and site != name else name
    current = snapshot.get("current_item_id")
    heading = next((str(i.get("title", "")) for i in snapshot.get("agenda") or [] if i.get("id") == current), "")
    return main, tuple(k for k in inset if k != main), lower, heading


def timeline(entries: list[dict[str, Any]], names: dict[str, str]) -> Timeline:
    """Replay the log (entries in sequence order, each with `type`, `data` and `at`) into scenes and chapters.

    `names` maps participant keys ("user:<id>") to people's names; sites are named from the meeting itself.
    """
    snapshot: dict[str, Any] = {}
    scenes: list[Scene] = []
    chapters: list[Chapter] = []
    site_names: dict[str, str] = {}
    last_item: str | None = None
    for entry in entries:
        snapshot = p.apply_patch(snapshot, entry)
        for site in snapshot.get("sites") or []:
            site_names[f"{SITE}:{site['id']}"] = str(site.get("name") or site["id"])
        main, inset, lower, heading = _view(snapshot, names, site_names)
        at = _at(entry)
        if not scenes or (scenes[-1].main, scenes[-1].inset, scenes[-1].lower_third, scenes[-1].heading) != (
            main,
            inset,
            lower,
            heading,
        ):
            if scenes and scenes[-1].start == at:
                scenes.pop()  # several changes in one transaction: one scene
            scenes.append(Scene(at, main, inset, lower, heading))
        item = snapshot.get("current_item_id")
        if item and item != last_item and heading:
            chapters.append(Chapter(at, heading))
        last_item = item
    return Timeline(str(snapshot.get("title", "")), {**names, **site_names}, tuple(scenes), tuple(chapters))
