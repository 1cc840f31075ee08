"""Who is online in which meeting. Live state, not history: it is rebuilt as clients reconnect."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass
class Presence:
    # meeting_id -> (kind, id) -> entry with a device count
    _online: dict[str, dict[tuple[str, str], dict[str, Any]]] = field(default_factory=dict)

    def join(self, meeting_id: str, kind: str, ident: str, name: str, role: str) -> bool:
        """Returns True when this is the first device of that person or site."""
        people = self._online.setdefault(meeting_id, {})
        entry = people.get((kind, ident))
        if entry is None:
            people[(kind, ident)] = {"kind": kind, "id": ident, "name": name, "role": role, "devices": 1}
            return True
        entry["devices"] += 1
        return False

    def leave(self, meeting_id: str, kind: str, ident: str) -> bool:
        """Returns True when the person or site has no device left in the meeting."""
        people = self._online.get(meeting_id, {})
        entry = people.get((kind, ident))
        if entry is None:
            return False
        entry["devices"] -= 1
        if entry["devices"] > 0:
            return False
        del people[(kind, ident)]
        if not people:
            self._online.pop(meeting_id, None)
        return True

    def online(self, meeting_id: str) -> list[dict[str, Any]]:
        entries = self._online.get(meeting_id, {}).values()
        return sorted((dict(e) for e in entries), key=lambda e: (e["kind"] != "site", e["name"]))
