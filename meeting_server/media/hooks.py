"""Where the SFU hooks into aiortc (pinned to 1.16): at the receiver's packet stage and the sender's frame stage.

aiortc's receiver decodes every frame in a thread and `MediaRelay` re-encodes per subscriber; an SFU must do
neither. `ForwardingReceiver` replaces `RTCRtpReceiver._handle_rtp_packet`: it keeps what the receiver does for
the link (statistics for receiver reports, NACKs, REMB, RTX unwrapping) and hands each packet to a sink instead
of the jitter buffer and decoder (whose thread is stopped as soon as it starts). `ForwardingSender` replaces
`RTCRtpSender._next_encoded_frame`: its track yields already-encoded frames, which are only packetised; and
`_send_keyframe`, so a subscriber's PLI/FIR reaches the publisher instead of an encoder that does not exist.

Both are swapped onto the instances aiortc creates (`adopt`), right after `setRemoteDescription` and before the
transports start. The receiver hook reads aiortc's private (name-mangled) attributes; `check_aiortc()` fails at
start-up, naming what is missing, if an aiortc upgrade moved them (tests/test_media_hooks.py runs it).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

import aiortc
from aiortc import RTCRtpReceiver, RTCRtpSender
from aiortc.codecs import depayload, is_rtx
from aiortc.codecs.h264 import H264Encoder
from aiortc.codecs.vpx import Vp8Encoder
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtcrtpreceiver import StreamStatistics
from aiortc.rtcrtpsender import RTCEncodedFrame
from aiortc.rtp import RTCP_PSFB_APP, RtcpPsfbPacket, RtpPacket, pack_remb_fci, unwrap_rtx

log = logging.getLogger(__name__)

PINNED = "1.16."
_R = "_RTCRtpReceiver__"
RECEIVER_ATTRIBUTES = (
    "codecs",
    "remote_streams",
    "rtx_ssrc",
    "nack_generator",
    "remote_bitrate_estimator",
    "rtcp_ssrc",
    "active_ssrc",
    "kind",
    "stop_decoder",
)


class PacketSink(Protocol):
    def __call__(self, packet: RtpPacket, codec: RTCRtpCodecParameters, data: bytes) -> None: ...


class OutgoingFrame(Protocol):
    """What a forwarding sender's track yields: an encoded frame with its outgoing RTP timestamp."""

    data: bytes
    timestamp: int
    audio_level: int | None


def check_aiortc() -> None:
    """Fail loudly, at start-up, if this aiortc is not the one the hooks were written for."""
    if not aiortc.__version__.startswith(PINNED):
        raise RuntimeError(f"the SFU hooks are written for aiortc {PINNED}x; found {aiortc.__version__}")
    missing = [
        name
        for name in ("_handle_rtp_packet", "receive", "_send_rtcp", "_send_rtcp_pli", "_send_rtcp_nack")
        if not hasattr(RTCRtpReceiver, name)
    ]
    missing += [
        name for name in ("_next_encoded_frame", "_send_keyframe", "_run_rtp") if not hasattr(RTCRtpSender, name)
    ]
    if not hasattr(RTCRtpReceiver, _R + "stop_decoder"):
        missing.append(_R + "stop_decoder")
    if missing:
        raise RuntimeError(f"aiortc {aiortc.__version__} lacks what the SFU hooks use: {', '.join(missing)}")


class ForwardingReceiver(RTCRtpReceiver):
    """A receiver that keeps the link bookkeeping and hands packets to a sink; it never decodes."""

    _sink: PacketSink | None = None

    def set_sink(self, sink: PacketSink | None) -> None:
        self._sink = sink

    async def receive(self, parameters: Any) -> None:
        await super().receive(parameters)
        # The decoder thread aiortc just started has nothing to do here: stop it (it ends the unused track).
        getattr(self, _R + "stop_decoder")()

    async def _handle_rtp_packet(self, packet: RtpPacket, arrival_time_ms: int) -> None:
        if not self._enabled:
            return
        estimator = getattr(self, _R + "remote_bitrate_estimator")
        rtcp_ssrc = getattr(self, _R + "rtcp_ssrc")
        if estimator is not None and packet.extensions.abs_send_time is not None:
            remb = estimator.add(
                abs_send_time=packet.extensions.abs_send_time,
                arrival_time_ms=arrival_time_ms,
                payload_size=len(packet.payload) + packet.padding_size,
                ssrc=packet.ssrc,
            )
            if rtcp_ssrc is not None and remb is not None:
                await self._send_rtcp(
                    RtcpPsfbPacket(fmt=RTCP_PSFB_APP, ssrc=rtcp_ssrc, media_ssrc=0, fci=pack_remb_fci(*remb))
                )
        codecs: dict[int, RTCRtpCodecParameters] = getattr(self, _R + "codecs")
        codec = codecs.get(packet.payload_type)
        if codec is None:
            return
        streams = getattr(self, _R + "remote_streams")
        stream = streams.get(packet.ssrc)
        if stream is None:
            stream = streams[packet.ssrc] = StreamStatistics(codec.clockRate)
        stream.add(packet)
        if is_rtx(codec):
            original_ssrc = getattr(self, _R + "rtx_ssrc").get(packet.ssrc)
            apt = codec.parameters.get("apt")
            if original_ssrc is None or len(packet.payload) < 2 or not isinstance(apt, int) or apt not in codecs:
                return
            packet = unwrap_rtx(packet, payload_type=apt, ssrc=original_ssrc)
            codec = codecs[apt]
        nack = getattr(self, _R + "nack_generator")
        if nack is not None and nack.add(packet):
            await self._send_rtcp_nack(packet.ssrc, sorted(nack.missing))
        try:
            data = depayload(codec, packet.payload) if packet.payload else b""
        except ValueError:
            return
        sink = self._sink
        if sink is not None:
            try:
                sink(packet, codec, data)
            except Exception:  # one bad stream must not stop the transport's packet loop
                log.exception("forwarding a packet failed")

    async def request_keyframe(self, media_ssrc: int) -> None:
        await self._send_rtcp_pli(media_ssrc)


def packetize(codec_name: str, data: bytes, picture_id: int) -> list[bytes]:
    name = codec_name.upper()
    if name == "VP8":
        return Vp8Encoder._packetize(data, picture_id)
    if name == "H264":
        return H264Encoder._packetize(H264Encoder._split_bitstream(data))
    return [data]


class ForwardingSender(RTCRtpSender):
    """A sender whose track yields encoded frames: they are packetised and sent; nothing is encoded."""

    _on_keyframe_request: Callable[[], None] | None = None
    _picture_id: int = 0
    frames_sent: int = 0

    def on_keyframe_request(self, callback: Callable[[], None] | None) -> None:
        self._on_keyframe_request = callback

    async def _next_encoded_frame(self, codec: RTCRtpCodecParameters) -> RTCEncodedFrame | None:
        track = self.track
        frame: OutgoingFrame = await track.recv()  # type: ignore[assignment]
        if not self._enabled:
            return None
        payloads = packetize(codec.name, frame.data, self._picture_id)
        self._picture_id = (self._picture_id + 1) % (1 << 15)
        self.frames_sent += 1
        # aiortc writes -audio_level into the RFC 6464 extension: give it the level as dBov (<= 0).
        level = -frame.audio_level if frame.audio_level is not None else None
        return RTCEncodedFrame(payloads, frame.timestamp & 0xFFFFFFFF, level)  # type: ignore[arg-type]

    def _send_keyframe(self) -> None:
        if self._on_keyframe_request is not None:
            self._on_keyframe_request()


def adopt(receiver: RTCRtpReceiver | None = None, sender: RTCRtpSender | None = None) -> None:
    """Turn aiortc's own receiver/sender instances into forwarding ones (before their transports start)."""
    if receiver is not None and not isinstance(receiver, ForwardingReceiver):
        receiver.__class__ = ForwardingReceiver
    if sender is not None and not isinstance(sender, ForwardingSender):
        sender.__class__ = ForwardingSender
