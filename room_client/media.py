"""The room PC's side of the media: one peer connection to the SFU, publishing and receiving.

It offers sending transceivers for the microphone, the camera and the camera's small copy, and receive-only
ones (slots) that the server fills with the main site, the chair and the loudest speakers; `media:layout` says
which slot shows whom. Received frames are decoded here (this is an endpoint: it has a screen to show them on),
and counted per remote participant for the operator's status line and `--stats-json`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from dataclasses import dataclass, field
from typing import Any

import socketio
from aiortc import (
    MediaStreamTrack,
    RTCBundlePolicy,
    RTCConfiguration,
    RTCIceServer,
    RTCPeerConnection,
    RTCRtpTransceiver,
    RTCSessionDescription,
)
from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamError

from meeting_server import protocol as p
from meeting_server.media import consent

log = logging.getLogger(__name__)
consent.install()  # a late answer to an ICE consent check must not close a busy room PC's connection


class MediaRefused(Exception):
    def __init__(self, error: dict[str, str]) -> None:
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.code = error.get("code", "")
        self.message = error.get("message", "")


@dataclass
class Received:
    """What arrived from one remote participant."""

    frames: int = 0
    audio_frames: int = 0
    packets: int = 0
    bytes: int = 0
    last_frame_at: float = 0.0
    last_frame: Any = None  # the last decoded video frame (av.VideoFrame)
    _bits_window: list[tuple[float, int]] = field(default_factory=list)

    def bitrate_kbps(self, now: float) -> float:
        window = [(t, b) for t, b in self._bits_window if now - t <= 2.0]
        self._bits_window = window
        return round(sum(b for _, b in window) * 8 / 2000, 1)


def ice_configuration(servers: list[dict[str, Any]]) -> RTCConfiguration:
    """Always an explicit list: aiortc otherwise asks a public Google STUN server, which a hall may not reach.
    One transport for everything (max-bundle): fewer ports through the hall's firewall, one ICE check."""
    return RTCConfiguration(
        iceServers=[
            RTCIceServer(urls=s["urls"], username=s.get("username"), credential=s.get("credential")) for s in servers
        ],
        bundlePolicy=RTCBundlePolicy.MAX_BUNDLE,
    )


class MediaSession:
    def __init__(
        self,
        sio: socketio.AsyncClient,
        meeting_id: str,
        *,
        view: str = "site",
        audio: MediaStreamTrack | None = None,
        video: MediaStreamTrack | None = None,
        video_small: MediaStreamTrack | None = None,
        video_slots: int = 2,
        audio_slots: int = 3,
        ice_servers: list[dict[str, Any]] | None = None,
        join_event: str = p.MEDIA_JOIN,
        tap: bool = False,
    ) -> None:
        self.sio = sio
        self.meeting_id = meeting_id
        self.view = view
        self.tracks = {"audio": audio, "video": video, "video_small": video_small}
        self.video_slots = video_slots
        self.audio_slots = audio_slots
        self.join_event = join_event
        self.pc = RTCPeerConnection(ice_configuration(ice_servers or []))
        self.layout: dict[str, dict[str, Any]] = {}  # mid -> slot as in media:layout
        self.layout_version = 0  # the server numbers layouts; the answer may arrive after a newer one
        self.tier = 0
        self.received: dict[str, Received] = {}  # remote participant key -> counters
        self.frames_by_mid: dict[str, int] = {}
        self.last_frame_by_mid: dict[str, Any] = {}
        self.closed = asyncio.Event()
        self.close_reason = ""
        self.participant = ""
        self.publishes = False
        self.stats: dict[str, Any] = {}  # the last media:stats seen (consoles and probes get them)
        self.layout_changed = asyncio.Event()
        self._tasks: list[asyncio.Task[None]] = []
        self._publish_mids: dict[str, str] = {}
        self.senders: dict[str, Any] = {}  # stream -> RTCRtpSender, e.g. to cap the small stream's bitrate
        self._tap = tap
        self._taps: dict[str, MediaStreamTrack] = {}  # kind -> a copy of the first slot of that kind
        self._receive: dict[str, list[str]] = {"audio": [], "video": []}
        sio.on(p.MEDIA_LAYOUT, self._on_layout)
        sio.on(p.MEDIA_CLOSED, self._on_closed)
        sio.on(p.MEDIA_STATS, self._on_stats)

        @self.pc.on("connectionstatechange")
        async def on_state() -> None:
            if self.pc.connectionState in ("failed", "closed"):
                self.close_reason = self.close_reason or f"connection_{self.pc.connectionState}"
                self.closed.set()

        @self.pc.on("track")
        def on_track(track: MediaStreamTrack) -> None:
            transceiver = next((t for t in self.pc.getTransceivers() if t.receiver.track is track), None)
            if transceiver is not None and transceiver.mid is not None:
                if self._tap and track.kind not in self._taps:
                    # The first slot of each kind is what the hall's screen shows: the main site and the sound.
                    relay = MediaRelay()
                    self._taps[track.kind] = relay.subscribe(track, buffered=False)
                    track = relay.subscribe(track, buffered=False)
                self._tasks.append(asyncio.ensure_future(self._consume(transceiver.mid, track)))

    async def start(self, timeout: float = 30.0) -> dict[str, Any]:
        sending: list[tuple[str, RTCRtpTransceiver]] = []
        for stream in ("audio", "video", "video_small"):
            track = self.tracks[stream]
            if track is not None:
                kind = "audio" if stream == "audio" else "video"
                transceiver = self.pc.addTransceiver(track, direction="sendonly")
                sending.append((stream, transceiver))
                self.senders[stream] = transceiver.sender
                assert track.kind == kind
        receiving: list[tuple[str, RTCRtpTransceiver]] = []
        for _ in range(self.audio_slots):
            receiving.append(("audio", self.pc.addTransceiver("audio", direction="recvonly")))
        for _ in range(self.video_slots):
            receiving.append(("video", self.pc.addTransceiver("video", direction="recvonly")))
        for _, transceiver in receiving:
            self._count_packets(transceiver)
        offer = await self.pc.createOffer()
        await self.pc.setLocalDescription(offer)  # aiortc gathers every ICE candidate here (no trickle)
        self._publish_mids = {stream: str(t.mid) for stream, t in sending}
        self._receive = {
            "audio": [str(t.mid) for k, t in receiving if k == "audio"],
            "video": [str(t.mid) for k, t in receiving if k == "video"],
        }
        payload: dict[str, Any] = {
            "type": "offer",
            "sdp": self.pc.localDescription.sdp,
            "publish": self._publish_mids,
            "receive": self._receive,
        }
        if self.join_event == p.MEDIA_JOIN:
            payload.update({"meeting_id": self.meeting_id, "view": self.view})
        answer = await self.sio.call(self.join_event, payload, timeout=timeout)
        if "error" in answer:
            await self.pc.close()
            raise MediaRefused(answer["error"])
        self.participant = answer.get("participant", "")
        self.meeting_id = answer.get("room", self.meeting_id)  # a probe runs in a room of its own
        self.publishes = bool(answer.get("publishes"))
        self._take_layout(answer.get("slots", []), answer.get("layout_version"))
        await self.pc.setRemoteDescription(RTCSessionDescription(sdp=answer["sdp"], type="answer"))
        return answer

    async def wait_connected(self, timeout: float = 20.0) -> None:
        deadline = time.monotonic() + timeout
        while self.pc.connectionState != "connected":
            if self.closed.is_set() or time.monotonic() > deadline:
                raise TimeoutError(f"media not connected ({self.pc.connectionState}, {self.close_reason})")
            await asyncio.sleep(0.05)

    def _count_packets(self, transceiver: RTCRtpTransceiver) -> None:
        """Count packets and bytes per slot as they arrive, before decoding (for bitrate per remote site)."""
        receiver = transceiver.receiver
        original = receiver._handle_rtp_packet

        async def counting(packet: Any, arrival_time_ms: int) -> None:
            mid = transceiver.mid
            source = self.layout.get(str(mid), {}).get("source") if mid is not None else None
            if source:
                rec = self.received.setdefault(source, Received())
                rec.packets += 1
                rec.bytes += len(packet.payload)
                rec._bits_window.append((time.monotonic(), len(packet.payload)))
            await original(packet, arrival_time_ms)

        receiver._handle_rtp_packet = counting  # type: ignore[method-assign]

    async def _consume(self, mid: str, track: MediaStreamTrack) -> None:
        with contextlib.suppress(MediaStreamError, asyncio.CancelledError):
            while True:
                frame = await track.recv()
                source = self.layout.get(mid, {}).get("source")
                self.frames_by_mid[mid] = self.frames_by_mid.get(mid, 0) + 1
                if track.kind == "video":
                    self.last_frame_by_mid[mid] = frame
                if source:
                    rec = self.received.setdefault(source, Received())
                    rec.last_frame_at = time.monotonic()
                    if track.kind == "video":
                        rec.frames += 1
                        rec.last_frame = frame
                    else:
                        rec.audio_frames += 1

    def _take_layout(self, slots: list[dict[str, Any]], version: Any = None) -> bool:
        """Keep the newest layout: a numbered one older than what we have is dropped."""
        if isinstance(version, int):
            if version <= self.layout_version:
                return False
            self.layout_version = version
        self.layout = {s["mid"]: s for s in slots}
        self.layout_changed.set()
        return True

    async def _on_layout(self, message: dict[str, Any]) -> None:
        if message.get("meeting_id") == self.meeting_id and self._take_layout(
            message.get("slots", []), message.get("version")
        ):
            self.tier = int(message.get("tier", 0))

    async def _on_closed(self, message: dict[str, Any]) -> None:
        if message.get("meeting_id") == self.meeting_id:
            self.close_reason = str(message.get("reason", "closed"))
            self.closed.set()

    async def _on_stats(self, message: dict[str, Any]) -> None:
        if message.get("meeting_id") == self.meeting_id:
            self.stats = message

    def tap_main(self) -> list[MediaStreamTrack]:
        """Copies of the main video slot and the first audio slot (for a local recording); needs `tap=True`."""
        return list(self._taps.values())

    def showing(self, role: str | None = None, kind: str = "video") -> list[dict[str, Any]]:
        return [
            s
            for s in self.layout.values()
            if s["kind"] == kind and s.get("source") and (role is None or s.get("role") == role)
        ]

    def set_sending(self, stream: str, enabled: bool) -> None:
        """Stop or resume sending one stream (a muted microphone sends nothing at all)."""
        for transceiver in self.pc.getTransceivers():
            if transceiver.mid == self._publish_mids.get(stream):
                transceiver.sender._enabled = enabled

    def summary(self) -> dict[str, Any]:
        now = time.monotonic()
        return {
            key: {
                "frames": r.frames,
                "audio_frames": r.audio_frames,
                "packets": r.packets,
                "bitrate_kbps": r.bitrate_kbps(now),
                "last_frame_s": round(now - r.last_frame_at, 1) if r.last_frame_at else None,
            }
            for key, r in sorted(self.received.items())
        }

    async def close(self) -> None:
        for task in self._tasks:
            task.cancel()
        if self.join_event == p.MEDIA_JOIN:
            with contextlib.suppress(Exception):
                await self.sio.emit(p.MEDIA_LEAVE, {"meeting_id": self.meeting_id})
        await self.pc.close()
        self.closed.set()
