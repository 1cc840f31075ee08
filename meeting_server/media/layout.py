"""Who sees and hears whom: pure functions of the room, so the rules can be read and tested on their own.

- The chair's console sees the main site big and every other participant small.
- A wall display, a room PC and a delegate's browser see the main site big and the chair inset.
- A subscriber on a poor link gets the main site's small stream, then no video at all (audio first).
- Sound: the main site and the chair when unmuted, then the loudest others, up to the number of audio slots,
  so forty sites do not mean forty times thirty-nine audio streams.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from ..vocabulary import CHAIR, SITE

GOOD, SMALL_ONLY, AUDIO_ONLY = 0, 1, 2
# A new speaker takes a slot from a current one only when louder by this much (of 127), so slots do not flap.
SPEAKER_MARGIN = 6.0
SPEAKING = 12.0  # loudness above which a participant counts as speaking


@dataclass(frozen=True)
class Publisher:
    key: str
    name: str
    streams: frozenset[str] = field(default_factory=frozenset)  # "audio", "video", "video_small"
    loudness: float = 0.0


@dataclass(frozen=True)
class Assignment:
    source: str | None  # publisher key
    stream: str = ""  # "video" | "video_small" | "audio"
    role: str = ""  # main, chair, site, speaker


def _video_stream(pub: Publisher, small: bool) -> str | None:
    wanted, other = ("video_small", "video") if small else ("video", "video_small")
    if wanted in pub.streams:
        return wanted
    if other in pub.streams:
        return other
    return None


def video_plan(
    view: str,
    me: str,
    publishers: Sequence[Publisher],
    main: str | None,
    chair: str | None,
    slots: int,
    tier: int = GOOD,
) -> list[Assignment]:
    """What each of a subscriber's `slots` video slots shows, in slot order (unused slots show nothing)."""
    by_key = {p.key: p for p in publishers}
    plan: list[Assignment] = []

    def add(key: str | None, small: bool, role: str) -> None:
        pub = by_key.get(key or "")
        if pub is None or len(plan) >= slots:
            return
        stream = _video_stream(pub, small)
        if stream is not None:
            plan.append(Assignment(pub.key, stream, role))

    if tier < AUDIO_ONLY:
        if view == "probe":  # a link check: the participant's own streams come back to it
            add(me, tier == SMALL_ONLY, "self")
        elif view == "console":
            add(main, tier == SMALL_ONLY, "main")
            for pub in sorted(publishers, key=lambda p: (p.name, p.key)):
                if pub.key not in (me, main):
                    add(pub.key, True, SITE)
        else:
            big = main if main != me else (chair if chair != me else None)
            add(big, tier == SMALL_ONLY, "main" if big == main else CHAIR)
            if chair not in (me, big):
                add(chair, True, CHAIR)
    plan += [Assignment(None)] * (slots - len(plan))
    return plan


def audio_plan(
    me: str,
    publishers: Sequence[Publisher],
    muted: frozenset[str],
    main: str | None,
    chair: str | None,
    slots: int,
    current: Sequence[str | None] = (),
) -> list[Assignment]:
    """Which publishers' sound a subscriber receives. Kept slots stay in place so no one is cut mid-word."""
    candidates = [p for p in publishers if p.key != me and p.key not in muted and "audio" in p.streams]
    if not candidates or slots <= 0:
        return [Assignment(None)] * slots

    def priority(p: Publisher) -> float:
        bonus = 1000.0 if p.key in (main, chair) else 0.0
        return bonus + p.loudness + (SPEAKER_MARGIN if p.key in current else 0.0)

    chosen = sorted(candidates, key=priority, reverse=True)[:slots]
    chosen_keys = {p.key for p in chosen}
    plan: list[Assignment | None] = [None] * slots
    # Keep a chosen publisher in the slot it already has.
    for index, key in enumerate(list(current)[:slots]):
        if key in chosen_keys:
            plan[index] = Assignment(key, "audio", "speaker")
            chosen_keys.discard(key)
    for p in chosen:
        if p.key in chosen_keys:
            index = plan.index(None)
            plan[index] = Assignment(p.key, "audio", "speaker")
    return [a if a is not None else Assignment(None) for a in plan]


@dataclass
class LinkTier:
    """Steps a subscriber's video down on loss its receiver reports, and back up after a calm spell."""

    tier: int = GOOD
    bad_for: int = 0
    good_for: int = 0
    down_after: int = 2  # consecutive bad seconds
    up_after: int = 10  # consecutive good seconds
    bad_loss: float = 0.08
    good_loss: float = 0.02

    def update(self, loss: float | None) -> bool:
        """Feed one second's loss fraction (None: no report); returns whether the tier changed."""
        if loss is None:
            return False
        if loss >= self.bad_loss:
            self.bad_for += 1
            self.good_for = 0
        elif loss <= self.good_loss:
            self.good_for += 1
            self.bad_for = 0
        else:
            self.bad_for = self.good_for = 0
        if self.bad_for >= self.down_after and self.tier < AUDIO_ONLY:
            self.tier += 1
            self.bad_for = 0
            return True
        if self.good_for >= self.up_after and self.tier > GOOD:
            self.tier -= 1
            self.good_for = 0
            return True
        return False
