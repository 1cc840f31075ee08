"""Video frames put back together from RTP packets (media/frames.py), without waiting for the next frame."""

from __future__ import annotations

import random

from aiortc.codecs.vpx import Vp8Encoder

from meeting_server.media.frames import GIVE_UP_SECONDS, Unwrapper, VideoAssembler, is_keyframe

KEY = bytes([0x10, 0x02, 0x00, 0x9D, 0x01, 0x2A, 0x40, 0x01, 0xB4, 0x00]) + bytes(range(256)) * 12  # P bit 0
DELTA = bytes([0x11, 0x02, 0x00]) + bytes(range(200)) * 9  # two packets


# (seq, timestamp, marker, payload, descriptor-less data): the arguments of `VideoAssembler.add`
Packet = tuple[int, int, bool, bytes, bytes]


def packets_of(frame: bytes, first_seq: int, timestamp: int) -> list[Packet]:
    """(seq, timestamp, marker, payload, descriptor-less data) as aiortc's VP8 packetiser makes them."""
    payloads = Vp8Encoder._packetize(frame, picture_id=7)
    out: list[Packet] = []
    for n, payload in enumerate(payloads):
        from aiortc.codecs.vpx import vp8_depayload

        out.append(
            ((first_seq + n) % 65536, timestamp % (1 << 32), n == len(payloads) - 1, payload, vp8_depayload(payload))
        )
    return out


def stream(frames: list[bytes], seq: int = 65530, ts: int = (1 << 32) - 6000) -> list[list[Packet]]:
    out: list[list[Packet]] = []
    for n, frame in enumerate(frames):
        packets = packets_of(frame, seq, ts + n * 3000)
        seq += len(packets)
        out.append(packets)
    return out


def test_frames_come_out_whole_and_at_their_last_packet_across_wraps() -> None:
    frames = [KEY, DELTA, DELTA, KEY]
    assembler = VideoAssembler("VP8")
    got = []
    for packets in stream(frames):
        assert len(packets) > 1 or packets is not None
        for index, packet in enumerate(packets):
            out = assembler.add(*packet, now=0.0)
            if index < len(packets) - 1:
                assert out == []  # nothing before the frame's last packet ...
            else:
                assert len(out) == 1  # ... and the frame at once, not when the next one starts
                got.append(out[0])
    assert [f.data for f in got] == frames
    assert [f.keyframe for f in got] == [True, False, False, True]
    assert [f.timestamp - got[0].timestamp for f in got] == [0, 3000, 6000, 9000]  # unwrapped across 2**32


def test_reordered_packets_still_make_whole_frames_in_order() -> None:
    packets = [p for frame in stream([KEY, DELTA, DELTA]) for p in frame]
    shuffled = packets[:]
    random.Random(3).shuffle(shuffled)
    assembler = VideoAssembler("VP8")
    got = [f for p in shuffled for f in assembler.add(*p, now=0.0)]
    assert [f.data for f in got] == [KEY, DELTA, DELTA]


def test_a_lost_packet_is_waited_for_then_given_up_and_marked() -> None:
    first, second, third = stream([KEY, DELTA, DELTA])
    assembler = VideoAssembler("VP8")
    for packet in first:
        assembler.add(*packet, now=0.0)
    for packet in second[1:]:  # the second frame lost its first packet
        assert assembler.add(*packet, now=0.01) == []
    out = []
    for packet in third:  # a later frame is whole, but we still wait for a retransmission ...
        out += assembler.add(*packet, now=0.05)
    assert out == []
    late = assembler.add(*second[0], now=0.1)  # ... which arrives: both frames go out, in order
    assert [f.data for f in late] == [DELTA, DELTA] and not any(f.after_gap for f in late)
    fourth, fifth = stream([DELTA, DELTA], seq=(third[-1][0] + 2) % 65536, ts=third[0][1] + 6000)
    for packet in fourth[:-1]:  # this frame loses its last packet for good
        assembler.add(*packet, now=0.2)
    out = [f for p in fifth for f in assembler.add(*p, now=0.2 + GIVE_UP_SECONDS + 0.01)]
    assert [f.data for f in out] == [DELTA] and out[0].after_gap
    assert assembler.frames_lost == 1


def test_keyframes_and_unwrapping() -> None:
    assert is_keyframe("VP8", KEY) and not is_keyframe("VP8", DELTA) and not is_keyframe("VP8", b"")
    assert is_keyframe("H264", b"\x00\x00\x00\x01\x67\x42") and is_keyframe("H264", b"\x00\x00\x01\x65\x88")
    assert not is_keyframe("H264", b"\x00\x00\x00\x01\x41\x9a")
    assert is_keyframe("opus", b"\x78")
    unwrap = Unwrapper(16)
    assert [unwrap(v) for v in (65534, 65535, 0, 1, 65535, 2)] == [65534, 65535, 65536, 65537, 65535, 65538]


def test_a_frame_lost_whole_is_noticed_from_the_sequence_numbers() -> None:
    first, second, third = stream([KEY, DELTA, DELTA])
    assembler = VideoAssembler("VP8")
    assert [f.data for p in first for f in assembler.add(*p, now=0.0)] == [KEY]
    # every packet of the second frame is lost; the third is whole but does not follow the first
    assert [f for p in third for f in assembler.add(*p, now=0.01)] == []
    late = [f for p in second for f in assembler.add(*p, now=0.05)]  # retransmitted in time
    assert [f.data for f in late] == [DELTA, DELTA] and not any(f.after_gap for f in late)
    fourth, fifth = stream([DELTA, DELTA], seq=(third[-1][0] + 1) % 65536, ts=third[0][1] + 3000)
    assembler.add(*fourth[0], now=0.1)  # then a frame is lost for good, the next one waits, then goes
    assert [f for p in fifth for f in assembler.add(*p, now=0.11)] == []
    out = assembler.add(*fifth[-1], now=0.11 + GIVE_UP_SECONDS + 0.01)
    assert [f.data for f in out] == [DELTA] and out[0].after_gap
