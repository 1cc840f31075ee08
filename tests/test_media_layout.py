"""Who sees and hears whom (media/layout.py), and link tiers, as tables."""

from __future__ import annotations

import pytest

from meeting_server.media.layout import AUDIO_ONLY, GOOD, SMALL_ONLY, LinkTier, Publisher, audio_plan, video_plan

BOTH = frozenset({"audio", "video", "video_small"})
HALL, A, B, C = "site:s_huyen01", "site:s_xa00001", "site:s_xa00002", "site:s_xa00003"
CHAIR = "user:u_chair001"
PUBS = [
    Publisher(HALL, "Hội trường huyện", BOTH),
    Publisher(A, "Xã An Khang", BOTH),
    Publisher(B, "Xã Bình Yên", BOTH),
    Publisher(C, "Xã Chi Thiết", frozenset({"audio", "video"})),
    Publisher(CHAIR, "Chủ trì", BOTH),
]


def shown(plan: list) -> list[tuple[str | None, str, str]]:
    return [(a.source, a.stream, a.role) for a in plan]


@pytest.mark.parametrize(
    ("view", "me", "tier", "expected"),
    [
        # a hall's room PC and its TV: the main site big, the chair inset
        ("site", B, GOOD, [(A, "video", "main"), (CHAIR, "video_small", "chair")]),
        ("display", B, GOOD, [(A, "video", "main"), (CHAIR, "video_small", "chair")]),
        # the main hall itself sees the chair big
        ("site", A, GOOD, [(CHAIR, "video", "chair"), (None, "", "")]),
        # a poor downlink gets the small stream, then no video at all
        ("site", B, SMALL_ONLY, [(A, "video_small", "main"), (CHAIR, "video_small", "chair")]),
        ("site", B, AUDIO_ONLY, [(None, "", ""), (None, "", "")]),
        # the console: main big, then everyone else small, by name; a site without a small stream sends its big one
        (
            "console",
            CHAIR,
            GOOD,
            [
                (A, "video", "main"),
                (HALL, "video_small", "site"),
                (B, "video_small", "site"),
                (C, "video", "site"),
                (None, "", ""),
            ],
        ),
    ],
)
def test_video_plan(view: str, me: str, tier: int, expected: list) -> None:
    slots = len(expected)
    assert shown(video_plan(view, me, PUBS, A, CHAIR, slots, tier)) == expected


def test_a_probe_sees_itself_and_too_few_slots_show_the_first_ones() -> None:
    assert shown(video_plan("probe", B, PUBS, A, CHAIR, 1)) == [(B, "video", "self")]
    assert shown(video_plan("console", CHAIR, PUBS, A, CHAIR, 2)) == [
        (A, "video", "main"),
        (HALL, "video_small", "site"),
    ]
    # a main site that publishes no video leaves the big slot empty rather than showing someone else there
    quiet = [Publisher(A, "Xã An Khang", frozenset({"audio"})), *PUBS[2:]]
    assert shown(video_plan("site", B, quiet, A, CHAIR, 2)) == [(CHAIR, "video_small", "chair"), (None, "", "")]


def loud(key: str, loudness: float) -> Publisher:
    return Publisher(key, key, BOTH, loudness)


def test_audio_main_and_chair_first_then_the_loudest_never_oneself_or_the_muted() -> None:
    pubs = [loud(HALL, 5), loud(A, 1), loud(B, 80), loud(C, 60), loud(CHAIR, 0)]
    plan = audio_plan(B, pubs, frozenset({C}), A, CHAIR, 3)
    assert {a.source for a in plan} == {A, CHAIR, HALL}  # B is me, C is muted
    plan = audio_plan(HALL, pubs, frozenset(), None, None, 2)
    assert [a.source for a in plan] == [B, C]
    # fewer speakers than slots: the rest stay empty
    assert [a.source for a in audio_plan(HALL, pubs[:2], frozenset(), None, None, 3)] == [A, None, None]


def test_audio_slots_do_not_flap_between_speakers_of_about_the_same_loudness() -> None:
    current = [B, C]
    pubs = [loud(B, 40), loud(C, 41), loud(A, 44)]  # A is a little louder than C: not enough to take its slot
    assert [a.source for a in audio_plan(HALL, pubs, frozenset(), None, None, 2, current)] == [B, C]
    pubs = [loud(B, 40), loud(C, 30), loud(A, 70)]  # clearly louder: A takes C's slot, B keeps its own
    assert [a.source for a in audio_plan(HALL, pubs, frozenset(), None, None, 2, current)] == [B, A]


def test_link_tier_steps_down_on_loss_and_back_after_calm() -> None:
    tier = LinkTier()
    assert not tier.update(None)
    assert not tier.update(0.2)
    assert tier.update(0.2) and tier.tier == SMALL_ONLY
    assert not tier.update(0.05)  # in between: neither better nor worse
    tier.update(0.3)
    assert tier.update(0.3) and tier.tier == AUDIO_ONLY
    assert not tier.update(0.5) and not tier.update(0.5)  # nothing below audio only
    changes = [tier.update(0.0) for _ in range(10)]
    assert changes == [False] * 9 + [True] and tier.tier == SMALL_ONLY
    for _ in range(10):
        tier.update(0.01)
    assert tier.tier == GOOD
