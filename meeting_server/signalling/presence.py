"""Who is online in which meeting. Live state, not history: it is rebuilt as clients reconnect.

Changes are batched: a burst of forty sites joining at 07:55 becomes one `presence` message per flush
carrying what changed, not forty full lists to forty sites (which grows with the square of the meeting).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from ..vocabulary import SITE

Key = tuple[str, str]  # (kind, id)


@dataclass
class Presence:
    _online: dict[str, dict[Key, dict[str, Any]]] = field(default_factory=dict)
    _changed: dict[str, set[Key]] = field(default_factory=dict)  # meeting -> keys changed since the last flush

    def join(self, meeting_id: str, kind: str, ident: str, name: str, role: str) -> None:
        people = self._online.setdefault(meeting_id, {})
        entry = people.get((kind, ident))
        if entry is None:
            people[(kind, ident)] = {"kind": kind, "id": ident, "name": name, "role": role, "devices": 1}
        else:
            entry["devices"] += 1
        self._changed.setdefault(meeting_id, set()).add((kind, ident))

    def leave(self, meeting_id: str, kind: str, ident: str) -> None:
        people = self._online.get(meeting_id, {})
        entry = people.get((kind, ident))
        if entry is None:
            return
        entry["devices"] -= 1
        if entry["devices"] <= 0:
            del people[(kind, ident)]
            if not people:
                self._online.pop(meeting_id, None)
        self._changed.setdefault(meeting_id, set()).add((kind, ident))

    def online(self, meeting_id: str) -> list[dict[str, Any]]:
        entries = self._online.get(meeting_id, {}).values()
        return sorted((dict(e) for e in entries), key=lambda e: (e["kind"] != SITE, e["name"]))

    def take_changes(self, meeting_id: str) -> dict[str, list[dict[str, Any]]] | None:
        """What changed since the last call: entries now online (new or with a new device count) and keys
        that left. None when nothing did."""
        keys = self._changed.pop(meeting_id, set())
        if not keys:
            return None
        people = self._online.get(meeting_id, {})
        online = [dict(people[k]) for k in sorted(keys) if k in people]
        left = [{"kind": k[0], "id": k[1]} for k in sorted(keys) if k not in people]
        return {"online": online, "left": left}
