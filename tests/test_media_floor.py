"""The floor in a real conference (real aiortc room PCs over loopback, the real SFU): a commune hall's room PC asks
for the floor with its device token, the chair gives it with "only the speaker speaks" — that hall becomes the
main site every other hall decodes, its microphone is opened and its sound reaches them, and the main hall's sound
stops reaching anyone; the chair ends the speech — the hall is muted again and the previous main site is back."""

from __future__ import annotations

from typing import Any

import pytest

from tests.helpers import wait_for
from tests.mediakit import Conference, Peer, peers, start_conference
from tests.test_media_sfu import packets_other_than

pytestmark = pytest.mark.timeout(120)


def audio_source(conf: Conference, index: int) -> Any:
    """The SFU's audio source of one hall's room PC (its `muted` is what the SFU enforces)."""
    return next(c.sources["audio"] for c in conf.room().connections.values() if c.key == conf.key(index))


def heard(peer: Peer, key: str) -> int:
    """Audio frames of `key` the peer decoded (its picture, when it is shown, is counted apart)."""
    got = peer.media.received.get(key)
    return 0 if got is None else got.audio_frames


async def drained(listeners: tuple[Peer, ...], key: str) -> None:
    """What was on its way from `key` has arrived once later packets of the other streams have (the listeners
    are halls that receive a stream that flows: the main site's, while the other halls are muted)."""
    marks = {peer.index: packets_other_than(peer, key) for peer in listeners}
    await wait_for(lambda: all(packets_other_than(peer, key) > marks[peer.index] + 30 for peer in listeners))


async def test_a_hall_asks_the_chair_gives_the_floor_its_sound_reaches_the_others_then_back(live_server: Any) -> None:
    conf = await start_conference(live_server, 3)
    try:
        main, hall, other = await peers(conf, 3)
        for index in (1, 2):
            await conf.act("mute", {"participant": conf.key(index)})
        await wait_for(lambda: audio_source(conf, 1).muted and audio_source(conf, 2).muted)
        await wait_for(lambda: hall.main_colour() == 0 and other.main_colour() == 0, timeout=10)
        await drained((other,), conf.key(1))
        before = heard(other, conf.key(1))

        # Xã 2's room PC asks for its hall; the chair gives it the floor, only the speaker speaks.
        base = f"/api/meetings/{conf.meeting_id}/floor"
        device = {"Authorization": f"Bearer {conf.tokens[1]}"}
        item = (await conf.admin.get(f"/api/meetings/{conf.meeting_id}"))[1]["agenda"][0]["id"]
        status, asked = await conf.admin.post(
            f"{base}/site-requests", {"site_id": conf.site_ids[1], "item_id": item}, headers=device
        )
        assert status == 201, asked
        status, given = await conf.chair.post(f"{base}/requests/{asked['request_id']}/give", {"only_speaker": True})
        assert status == 200, given
        assert given["main_site_id"] == conf.site_ids[1]

        # The hall is the main site on the others' screens, unmuted, and its sound reaches them.
        await wait_for(lambda: main.main_colour() == 1 and other.main_colour() == 1, timeout=30)
        await wait_for(lambda: not audio_source(conf, 1).muted)
        await wait_for(lambda: heard(other, conf.key(1)) > before + 30 and heard(main, conf.key(1)) > 30, timeout=30)
        # The main hall is muted for the speech: after what was on its way, nothing more of it reaches anyone.
        await wait_for(lambda: audio_source(conf, 0).muted)
        await drained((other,), conf.key(0))
        quiet = {peer.index: heard(peer, conf.key(0)) for peer in (hall, other)}
        frames = audio_source(conf, 0).frames
        await wait_for(lambda: audio_source(conf, 0).frames > frames + 30)  # its PC keeps sending ...
        await drained((other,), conf.key(0))
        assert {peer.index: heard(peer, conf.key(0)) for peer in (hall, other)} == quiet  # ... none of it arrives

        # The chair ends the speech: the hall is muted again, the main site is back and heard again.
        status, ended = await conf.chair.post(f"{base}/end")
        assert status == 200, ended
        assert ended["main_site_id"] == conf.site_ids[0]
        await wait_for(lambda: audio_source(conf, 1).muted and not audio_source(conf, 0).muted)
        await wait_for(lambda: hall.main_colour() == 0 and other.main_colour() == 0, timeout=30)
        await wait_for(lambda: heard(other, conf.key(0)) > quiet[other.index] + 30, timeout=30)
        await drained((other,), conf.key(1))
        after = {peer.index: heard(peer, conf.key(1)) for peer in (main, other)}
        frames = audio_source(conf, 1).frames
        await wait_for(lambda: audio_source(conf, 1).frames > frames + 30)
        await drained((other,), conf.key(1))
        # Muted again: the hall's PC keeps sending, nothing of it reaches the others.
        assert {peer.index: heard(peer, conf.key(1)) for peer in (main, other)} == after
    finally:
        await conf.close()
