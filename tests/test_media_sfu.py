"""The SFU with real aiortc peers over loopback: forwarding, switching, muting, keyframes, faults."""

from __future__ import annotations

import asyncio
import json
import random
import subprocess
import time
from collections.abc import Callable
from typing import Any

import pytest
import socketio
from aioice import ice

from meeting_server import protocol as p
from meeting_server.media.hooks import ForwardingReceiver, ForwardingSender
from room_client.feed import MeetingFeed
from room_client.media import MediaRefused, MediaSession
from tests.helpers import LiveServer, make_meeting, wait_for
from tests.mediakit import COLOURS, ColourTrack, Peer, nearest_colour, peers, start_conference

pytestmark = pytest.mark.timeout(120)

SWITCH_SECONDS = 1.0  # the goal for a switch of the main site and a late subscriber's first picture


def packets_other_than(peer: Peer, key: str) -> int:
    """Packets the peer received of every stream but ``key``'s: they show that time has passed for it."""
    return sum(r.packets for k, r in peer.media.received.items() if k != key)


async def test_every_site_decodes_the_main_site_and_follows_a_switch_within_a_second(live_server: LiveServer) -> None:
    conf = await start_conference(live_server, 3)
    try:
        a, b, c = await peers(conf, 3)
        # Sites 2 and 3 see site 1 (main, red) big; everyone decodes real frames of it.
        await wait_for(lambda: b.main_colour() == 0 and c.main_colour() == 0, timeout=10)
        for peer in (b, c):
            assert peer.session is not None
            assert peer.session.received[conf.key(0)].frames > 0
            assert [s["source"] for s in peer.session.showing("main")] == [conf.key(0)]
        switched = time.monotonic()
        await conf.act("main-site", {"site_id": conf.site_ids[1]})
        await wait_for(lambda: a.main_colour() == 1 and c.main_colour() == 1, timeout=30, interval=0.01)
        took = time.monotonic() - switched
        # The product's figure is 1 s (a fraction of it on a quiet machine); 10x, so a loaded CI holds it.
        assert took < SWITCH_SECONDS * 10, f"the wall displays switched after {took:.2f} s"
        assert a.session is not None and [s["source"] for s in a.session.showing("main")] == [conf.key(1)]
    finally:
        await conf.close()


async def test_nothing_is_decoded_or_encoded_on_the_forwarding_path(live_server: LiveServer) -> None:
    conf = await start_conference(live_server, 3)
    try:
        await peers(conf, 3)
        await wait_for(lambda: all(p.main_colour() == 0 for p in conf.peers[1:]), timeout=10)
        room = conf.room()
        senders = [s for c in room.connections.values() for s in c.senders]
        receivers = [r for c in room.connections.values() for r in c.receivers.values()]
        assert senders and receivers
        assert all(isinstance(s, ForwardingSender) for s in senders)
        assert all(isinstance(r, ForwardingReceiver) for r in receivers)
        # aiortc creates a sender's encoder on its first frame and a receiver's decoder thread on start: the
        # forwarding ones never made the first and stopped the second at once.
        assert sum(s.frames_sent for s in senders) > 50
        assert all(s._RTCRtpSender__encoder is None for s in senders)
        assert all(r._RTCRtpReceiver__decoder_thread is None for r in receivers)
    finally:
        await conf.close()


async def test_a_muted_site_is_not_heard_even_if_its_room_pc_keeps_sending(live_server: LiveServer) -> None:
    conf = await start_conference(live_server, 3)
    try:
        a, b, c = await peers(conf, 3)
        muted = conf.key(1)
        assert c.session is not None and a.session is not None
        await wait_for(
            lambda: c.session.received.get(muted) is not None and c.session.received[muted].audio_frames > 20,
            timeout=10,
        )
        await conf.act("mute", {"participant": muted})
        source = next(c_.sources["audio"] for c_ in conf.room().connections.values() if c_.key == muted)
        await wait_for(lambda: source.muted)  # the SFU enforces it from now on
        marks = {peer.index: packets_other_than(peer, muted) for peer in (a, c)}
        # What was on its way to them when the mute came has arrived once other streams' later packets have.
        await wait_for(lambda: all(packets_other_than(peer, muted) > marks[peer.index] + 30 for peer in (a, c)))
        before = {peer.index: peer.media.received[muted].packets for peer in (a, c) if muted in peer.media.received}
        frames_before = source.frames
        # Site 2's PC never heard of the mute (these peers ignore commands) and keeps sending ...
        await wait_for(lambda: source.frames > frames_before + 30)
        marks = {peer.index: packets_other_than(peer, muted) for peer in (a, c)}
        await wait_for(lambda: all(packets_other_than(peer, muted) > marks[peer.index] + 30 for peer in (a, c)))
        # ... but nothing of it reaches anyone (while packets sent after it did).
        for peer in (a, c):
            got = peer.media.received.get(muted)
            assert got is None or got.packets == before.get(peer.index, 0), peer.index
        assert all(s["source"] != muted for p_ in (a, c) for s in p_.media.showing(kind="audio"))
        await conf.act("unmute", {"participant": muted})
        await wait_for(
            lambda: c.session.received[muted].packets > before.get(2, 0) + 20,
            timeout=30,
        )
    finally:
        await conf.close()


async def test_silence_is_not_forwarded(live_server: LiveServer) -> None:
    conf = await start_conference(live_server, 2)
    try:
        speaking = Peer(conf, 0)
        quiet = Peer(conf, 1, silent=True)
        conf.peers += [speaking, quiet]
        await speaking.start()
        await quiet.start()
        assert speaking.session is not None and quiet.session is not None
        await wait_for(
            lambda: (
                quiet.session.received.get(conf.key(0)) is not None
                and quiet.session.received[conf.key(0)].audio_frames > 25
            ),
            timeout=10,
        )
        source = next(c.sources["audio"] for c in conf.room().connections.values() if c.key == conf.key(1))
        await wait_for(lambda: source.silent_frames > 25, timeout=10)  # the quiet hall joined second
        assert source.silent_frames == source.frames
        # the quiet hall has an audio slot at the speaking one, but not a packet of its silence went there
        assert any(s["source"] == conf.key(1) for s in speaking.session.showing(kind="audio"))
        got = speaking.session.received.get(conf.key(1))
        assert got is None or (got.audio_frames == 0 and got.packets == 0)
    finally:
        await conf.close()


async def test_a_late_subscriber_gets_a_decodable_picture_within_a_second(live_server: LiveServer) -> None:
    conf = await start_conference(live_server, 3)
    try:
        _, b = await peers(conf, 2)
        await wait_for(lambda: b.main_colour() == 0)
        main = next(c.sources["video"] for c in conf.room().connections.values() if c.key == conf.key(0))
        shown = main.frames
        await wait_for(lambda: main.frames > shown + 15)  # a second of frames past the first keyframe
        late = Peer(conf, 2)
        conf.peers.append(late)
        await late.start()
        connected = time.monotonic()
        await wait_for(lambda: late.main_colour() == 0, timeout=30, interval=0.01)
        took = time.monotonic() - connected
        assert took < SWITCH_SECONDS * 10, f"first decodable picture after {took:.2f} s"  # 10x: a loaded CI
    finally:
        await conf.close()


async def test_the_small_stream_then_audio_only_on_a_lossy_downlink(live_server: LiveServer) -> None:
    conf = await start_conference(live_server, 2)
    try:
        a, b = await peers(conf, 2)
        assert b.session is not None
        await wait_for(lambda: b.main_colour() == 0, timeout=10)
        assert b.session.showing("main")[0]["quality"] == "big"
        # b's network starts losing a third of what reaches it: its receiver reports say so.
        rng = random.Random(7)
        for transceiver in b.session.pc.getTransceivers():
            receiver = transceiver.receiver
            original = receiver._handle_rtp_packet

            async def lossy(packet: Any, arrival_time_ms: int, original: Any = original) -> None:
                if rng.random() > 0.35:
                    await original(packet, arrival_time_ms=arrival_time_ms)

            receiver._handle_rtp_packet = lossy  # type: ignore[method-assign]
        await wait_for(lambda: b.session.tier >= 1, timeout=15)
        assert b.session.showing("main")[0]["quality"] == "small"
        await wait_for(lambda: b.session.tier == 2, timeout=15)
        assert b.session.showing(kind="video") == []
        assert b.session.showing(kind="audio"), "audio first: the site still hears the meeting"
    finally:
        await conf.close()


async def test_recording_writes_each_sites_streams_as_received(live_server: LiveServer) -> None:
    conf = await start_conference(live_server, 2)
    try:
        await peers(conf, 2)
        await wait_for(lambda: conf.peers[1].main_colour() == 0, timeout=10)
        recorded = next(c.sources["video"] for c in conf.room().connections.values() if c.key == conf.key(0))
        await conf.act("recording/start")
        await wait_for(lambda: recorded.recorder is not None)
        start = recorded.frames
        await wait_for(lambda: recorded.frames > start + 38)  # 2.5 s at 15 frames a second
        await conf.act("recording/stop")
        status, listing = await conf.chair.get(f"/api/meetings/{conf.meeting_id}/recordings")
        assert status == 200
        files = {f["name"]: f for rec in listing["recordings"] for f in rec["files"]}
        video = f"site-{conf.site_ids[0]}.video.webm"
        audio = f"site-{conf.site_ids[0]}.audio.webm"
        assert video in files and audio in files, files
        path = live_server.tmp_dir / "recordings" / conf.meeting_id / listing["recordings"][0]["id"] / video
        probe = json.loads(
            await asyncio.to_thread(
                lambda: (
                    subprocess.run(
                        ["ffprobe", "-v", "error", "-show_streams", "-show_format", "-of", "json", str(path)],
                        capture_output=True,
                        check=True,
                        text=True,
                    ).stdout
                )
            )
        )
        stream = probe["streams"][0]
        assert stream["codec_name"] == "vp8" and (stream["width"], stream["height"]) == (320, 180)
        assert 1.5 < float(probe["format"]["duration"]) < 30  # media time: 2.5 s, and more on a loaded machine
        status, body = await conf.chair.get(files[video]["url"])
        assert status == 200 and body[:4] == b"\x1a\x45\xdf\xa3"  # EBML: a Matroska/WebM file
        status, _ = await conf.admin.get(f"/api/meetings/{conf.meeting_id}/recordings/x/..%2F..%2Fmeetings.sqlite3")
        assert status == 404
    finally:
        await conf.close()


async def test_roll_call_answers_are_in_the_log(live_server: LiveServer) -> None:
    conf = await start_conference(live_server, 3)
    try:
        feeds = [MeetingFeed(live_server.url, conf.meeting_id, token=t) for t in conf.tokens]
        for feed in feeds:
            await feed.connect()
        started = await conf.act("roll-call")
        for feed in feeds[:2]:
            await feed.command("conference.answer_roll_call", {"roll_call_id": started["roll_call_id"]})
        await conf.act("roll-call/close")
        await wait_for(lambda: not (feeds[2].snapshot["conference"]["roll_call"] or {}).get("open", True))
        answered = feeds[2].snapshot["conference"]["roll_call"]["answered"]
        assert set(answered) == {conf.key(0), conf.key(1)}
        with pytest.raises(Exception, match="invalid_transition"):
            await feeds[2].command("conference.answer_roll_call", {"roll_call_id": started["roll_call_id"]})
        for feed in feeds:
            await feed.close()
    finally:
        await conf.close()


# ---- faults ---------------------------------------------------------------------------------------------


async def _offer(feed: MeetingFeed, meeting_id: str, mangle: Any = None, **overrides: Any) -> dict[str, Any]:
    session = MediaSession(feed.sio, meeting_id, audio_slots=1, video_slots=1)
    session.pc.addTransceiver("audio", direction="recvonly")
    offer = await session.pc.createOffer()
    await session.pc.setLocalDescription(offer)
    sdp = session.pc.localDescription.sdp
    payload = {
        "meeting_id": meeting_id,
        "view": "site",
        "type": "offer",
        "sdp": mangle(sdp) if mangle else sdp,
        "receive": {"audio": ["0"]},
        **overrides,
    }
    answer: dict[str, Any] = await feed.sio.call(p.MEDIA_JOIN, payload, timeout=20)
    await session.pc.close()
    return answer


async def test_bad_offers_get_a_clear_error_and_disturb_nobody(live_server: LiveServer) -> None:
    conf = await start_conference(live_server, 3)
    try:
        a, b = await peers(conf, 2)
        intruder = MeetingFeed(live_server.url, conf.meeting_id, token=conf.tokens[2])
        await intruder.connect()
        cases: list[tuple[dict[str, Any], str]] = [
            ({"sdp": "v=0\r\nthis is not sdp at all\r\n"}, "invalid_sdp"),
            ({"receive": {"audio": ["9"]}}, "invalid_sdp"),  # a mid the offer does not have
            ({"publish": {"video": "0"}, "receive": {}}, "invalid_sdp"),  # an audio m-line named as video
            ({"view": "console"}, "forbidden"),  # a site is not the chair
            ({"view": "theatre"}, "invalid_input"),
            ({"sdp": "x" * (p.MAX_SDP_CHARS + 1)}, "invalid_input"),
        ]
        mangled = [  # ICE candidates are in the SDP (no trickle): broken ones, and none that can be reached
            lambda sdp: sdp.replace("a=candidate:", "a=candidate:x y z "),
            lambda sdp: sdp.replace("a=ice-ufrag:", "a=ice-ufrag-gone:"),
        ]
        for mangle in mangled:
            answer = await _offer(intruder, conf.meeting_id, mangle)
            assert answer.get("error", {}).get("code") == "invalid_sdp", answer
        for overrides, code in cases:
            frames = b.media.received[conf.key(0)].frames
            answer = await _offer(intruder, conf.meeting_id, **overrides)
            assert answer.get("error", {}).get("code") == code, (overrides, answer)
            assert answer["error"]["message"]
            await wait_for(lambda n=frames: b.media.received[conf.key(0)].frames > n)
        assert len(conf.room().connections) == 2
        await intruder.close()
    finally:
        await conf.close()


async def test_only_participants_of_a_meeting_under_way_may_connect_media(live_server: LiveServer) -> None:
    conf = await start_conference(live_server, 2)
    admin = conf.admin
    other_site = await live_server.create_site("Điểm cầu xã khác")
    status, body = await admin.post(f"/api/sites/{other_site}/token")
    other_token = body["token"]
    other = await make_meeting(admin, site_ids=[other_site])  # scheduled, not started
    try:
        # A bad offer to a meeting nobody has joined yet leaves no room behind.
        first = MeetingFeed(live_server.url, conf.meeting_id, token=conf.tokens[1])
        await first.connect()
        assert (await _offer(first, conf.meeting_id, sdp="v=0\r\nbroken\r\n"))["error"]["code"] == "invalid_sdp"
        assert conf.room() is None
        await first.close()
        # A site of another meeting cannot see this one at all.
        feed = MeetingFeed(live_server.url, other["id"], token=other_token)
        await feed.connect()
        answer = await _offer(feed, conf.meeting_id)
        assert answer["error"]["code"] == "not_found"
        # Its own meeting has not started: nothing to connect to yet.
        answer = await _offer(feed, other["id"])
        assert answer["error"]["code"] == "conference_not_live"
        await feed.close()
        # A wrong token does not even get a socket.
        bad = MeetingFeed(live_server.url, conf.meeting_id, token="x" * 40)
        with pytest.raises(socketio.exceptions.ConnectionError):
            await bad.connect(timeout=3)
        assert bad.refused and bad.refused["error"]["code"] == "unauthenticated"
        # A revoked token: the room PC's socket and media are cut at once.
        (peer,) = await peers(conf, 1)
        assert peer.session is not None
        status, _ = await admin.delete(f"/api/sites/{conf.site_ids[0]}/token")
        assert status == 200
        await wait_for(lambda: not conf.room() or conf.key(0) not in conf.room().connected_keys(), timeout=30)
        assert peer.feed is not None and peer.feed.revoked
    finally:
        await conf.close()


async def test_removed_locked_and_full(live_server: LiveServer) -> None:
    live_server.settings_overrides["media_max_participants"] = 3
    await live_server.stop()
    await live_server.start(migrate=False)
    conf = await start_conference(live_server, 5)
    try:
        a, b = await peers(conf, 2)
        await conf.act("remove", {"participant": b.key})
        assert b.session is not None
        await wait_for(lambda: b.session.closed.is_set(), timeout=30)
        assert b.session.close_reason == "removed"
        again = Peer(conf, 1)
        with pytest.raises(MediaRefused) as refused:
            await again.start()
        assert refused.value.code == "participant_removed"
        await again.stop()
        await conf.act("readmit", {"participant": b.key})
        await conf.act("lock")
        newcomer = Peer(conf, 2)
        with pytest.raises(MediaRefused) as refused:
            await newcomer.start()
        assert refused.value.code == "conference_locked"
        assert "khóa" in refused.value.message
        await newcomer.stop()
        # Site 1 was in when the meeting was locked: after a drop it comes back.
        await a.stop()
        back = Peer(conf, 0)
        conf.peers.append(back)
        await back.start()
        await conf.act("unlock")
        for index in (1, 2):
            peer = Peer(conf, index)
            conf.peers.append(peer)
            await peer.start()
        over = Peer(conf, 3)
        with pytest.raises(MediaRefused) as refused:
            await over.start()
        assert refused.value.code == "media_full"
        assert "3" in refused.value.message
        await over.stop()
        assert len(conf.room().connections) == 3
    finally:
        await conf.close()


async def test_a_restarted_room_pc_replaces_its_old_connection_at_once(live_server: LiveServer) -> None:
    conf = await start_conference(live_server, 2)
    try:
        a, b = await peers(conf, 2)
        # The room PC dies without a word (no media:leave): its socket and peer connection are just gone.
        assert b.session is not None and b.feed is not None
        await b.feed.sio.eio.disconnect(abort=True)
        await b.session.pc.close()
        restarted = Peer(conf, 1)
        conf.peers.append(restarted)
        began = time.monotonic()
        await restarted.start()
        await wait_for(lambda: restarted.main_colour() == 0, timeout=20)
        assert time.monotonic() - began < 20  # at once: not after the old connection's ICE gives up (30 s)
        room = conf.room()
        assert restarted.feed is not None
        assert [c.sid for c in room.connections.values() if c.key == b.key] == [restarted.feed.sio.get_sid()]
    finally:
        await conf.close()


def answer_only_retransmissions(pc: Any) -> Callable[[], int]:
    """Make one end of a peer connection a busy computer: it answers no STUN check at the first try (the answer
    comes too late, as from an event loop running behind), only the check's retransmission. Returns a counter
    of the checks it answered."""
    connection = pc.getTransceivers()[0].sender.transport.transport._connection  # the aioice Connection
    original = connection.request_received
    seen: set[bytes] = set()
    answered = [0]

    def late(message: Any, addr: Any, protocol: Any) -> None:
        if message.transaction_id not in seen:
            seen.add(message.transaction_id)
            return
        answered[0] += 1
        original(message, addr, protocol)

    connection.request_received = late
    return lambda: answered[0]


async def test_a_site_that_answers_consent_checks_late_stays_connected(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A commune hall on a slow PC (or a loaded server) answers ICE consent checks late. aioice alone sent each
    check once, gave up after 0.5 s and closed the connection after six such checks: the hall showed "Chưa kết
    nối" on the chair's console for good. A late answer to a retransmitted check now keeps consent, both ways."""
    monkeypatch.setattr(ice, "CONSENT_INTERVAL", 0.5)  # a check every 0.5 s instead of 5 s ...
    monkeypatch.setattr(ice, "CONSENT_FAILURES", 12)  # ... consent lapses after 6 s unanswered (RFC 7675: 30 s)
    conf = await start_conference(live_server, 1)
    try:
        (site,) = await peers(conf, 1)
        (server_side,) = conf.room().connections.values()
        await wait_for(lambda: server_side.pc.connectionState == "connected", timeout=20)
        hall_answers = answer_only_retransmissions(site.media.pc)  # the server's checks of the hall
        server_answers = answer_only_retransmissions(server_side.pc)  # the hall's checks of the server
        enough = ice.CONSENT_FAILURES + 1  # more checks than aioice alone survives unanswered

        def settled() -> bool:
            gone = site.media.closed.is_set() or server_side.pc.connectionState != "connected"
            return gone or (hall_answers() >= enough and server_answers() >= enough)

        await wait_for(settled, timeout=120)
        assert not site.media.closed.is_set(), site.media.close_reason
        assert server_side.pc.connectionState == "connected"
        assert site.media.pc.connectionState == "connected"
        assert [c.key for c in conf.room().connections.values()] == [site.key]
    finally:
        await conf.close()


def test_colours_are_told_apart() -> None:
    import av
    import numpy as np

    for index, colour in enumerate(COLOURS):
        image = np.zeros((90, 160, 3), np.uint8)
        image[:, :] = colour
        assert nearest_colour(av.VideoFrame.from_ndarray(image, format="rgb24")) == index
    assert ColourTrack(COLOURS[0]).kind == "video"


async def test_a_room_that_missed_an_event_catches_up_on_the_next_join(
    live_server: LiveServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The race a join can lose: an event commits after the joiner's state was read but before its room existed.
    Simulated by hiding one event from the SFU; the next join reads the meeting again and the room catches up."""
    conf = await start_conference(live_server, 3)
    try:
        a, b = await peers(conf, 2)
        await wait_for(lambda: b.main_colour() == 0, timeout=10)
        sfu = live_server.hub.media
        original = sfu.on_events

        hidden: list[list[dict[str, Any]]] = []

        async def deaf(meeting_id: str, entries: list[dict[str, Any]]) -> None:
            hidden.append(entries)

        monkeypatch.setattr(sfu, "on_events", deaf)
        await conf.act("main-site", {"site_id": conf.site_ids[1]})
        await wait_for(lambda: bool(hidden))  # the event reached the SFU, which did not listen
        assert conf.room().main == conf.key(0)  # the room did not hear of it
        monkeypatch.setattr(sfu, "on_events", original)
        late = Peer(conf, 2)
        conf.peers.append(late)
        await late.start()
        assert conf.room().main == conf.key(1)
        await wait_for(lambda: a.main_colour() == 1 and late.main_colour() == 1, timeout=30)
    finally:
        await conf.close()


async def test_a_site_taken_off_the_meeting_loses_its_media_at_once(live_server: LiveServer) -> None:
    conf = await start_conference(live_server, 3)
    try:
        a, b = await peers(conf, 2)
        kept = [conf.site_ids[0], conf.site_ids[2]]
        status, answer = await conf.chair.patch(f"/api/meetings/{conf.meeting_id}", {"site_ids": kept})
        assert status == 200, answer
        await wait_for(lambda: b.media.close_reason == "not_invited")
        assert conf.key(1) not in conf.room().connected_keys()
        assert conf.key(0) in conf.room().connected_keys()
    finally:
        await conf.close()
