"""The selective forwarding unit: one peer connection per participant, encoded media forwarded as it is.

A participant offers one peer connection with its sending transceivers (microphone, camera, the camera's small
copy) and some receive-only ones (slots). The server answers, keeps the sending side as sources and fills the
slots with other participants' streams as the layout rules say. Admission (meeting under way, not removed,
not locked out, may publish) is decided by `domain.conference`; the SFU only enforces it and the site cap.
"""

from __future__ import annotations

import asyncio
import logging
import time
from pathlib import Path
from typing import Any

from aiortc import RTCPeerConnection, RTCSessionDescription
from aiortc.codecs import is_rtx
from aiortc.rtcrtpparameters import RTCRtpCodecParameters
from aiortc.rtp import RtpPacket

from .. import protocol as p
from ..config import Settings
from ..domain import conference
from ..domain.actors import Actor
from ..domain.meetings import MeetingState
from ..errors import AppError
from ..vocabulary import ENDED, IN_PROGRESS, SITE
from . import consent
from .frames import EncodedFrame, Unwrapper, VideoAssembler
from .hooks import ForwardingReceiver, ForwardingSender, adopt, check_aiortc
from .ice import server_configuration
from .room import Connection, Emit, MediaRoom, RecorderFactory
from .streams import Slot, Source

log = logging.getLogger(__name__)

STREAM_KINDS = {"audio": "audio", "video": "video", "video_small": "video"}
PROBES_AT_ONCE = 4
PROBE_SECONDS = 60.0


def _bad_sdp(vi: str, en: str) -> AppError:
    return AppError("invalid_sdp", detail=vi, detail_en=en)


class SFU:
    def __init__(self, settings: Settings, emit: Emit, recorder_factory: RecorderFactory | None = None) -> None:
        check_aiortc()
        consent.install()  # a busy server or hall answers consent checks late: that must not drop the hall
        self.settings = settings
        self._emit = emit
        self._recorder_factory = recorder_factory
        self.rooms: dict[str, MediaRoom] = {}
        self._by_sid: dict[str, set[tuple[str, str]]] = {}  # socket id -> {(meeting id, connection id)}
        self._probes: dict[str, str] = {}  # probe room id -> the participant key holding it
        self._lock = asyncio.Lock()

    @property
    def recordings_dir(self) -> Path:
        return self.settings.recordings_dir

    # ---- facts for actions -------------------------------------------------------------------------------

    def connected(self, meeting_id: str) -> frozenset[str]:
        room = self.rooms.get(meeting_id)
        return room.connected_keys() if room else frozenset()

    # ---- joining --------------------------------------------------------------------------------------------

    async def join(
        self, actor: Actor, sid: str, state: MeetingState, role: str, payload: p.MediaJoinPayload
    ) -> dict[str, Any]:
        key = conference.participant_key(actor)
        conn_id = f"{key}/{payload.view}"
        async with self._lock:  # admission and the cap see one consistent room (connections + joins under way)
            room = self.rooms.get(state.id)
            connected = room.connected_keys() if room else frozenset()
            may_publish = conference.check_admission(state, key, role, payload.view, connected)
            cap = self.settings.media_max_participants
            if (
                room is not None
                and may_publish
                and conn_id not in room.connections
                and room.publishing_count() + room.joining_publishers >= cap
            ):
                raise AppError("media_full", limit=cap)
            if room is None or room.closed:
                room = self.rooms[state.id] = MediaRoom(
                    state.id, state.to_dict(), self._emit, self.recordings_dir, self._recorder_factory
                )
                room.start()
            room.joining += 1
            room.joining_publishers += int(may_publish)
        try:
            # Outside the lock: gathering ICE candidates takes a while, and forty halls rejoin at once after a restart.
            name = room.site_name(key, actor.name)
            conn, answer = await self._connect(room, key, name, sid, payload.view, payload, may_publish)
        except BaseException:
            room.joining -= 1
            room.joining_publishers -= int(may_publish)
            if not room.connections and not room.joining:  # a refused offer leaves no empty room behind
                await room.close("empty")
                if self.rooms.get(state.id) is room:
                    del self.rooms[state.id]
            raise
        room.joining -= 1
        room.joining_publishers -= int(may_publish)
        if room.closed:  # the meeting ended while this participant was connecting
            await conn.pc.close()
            raise AppError("conference_not_live", status=room.snapshot.get("status", ENDED))
        await room.add(conn)
        self._by_sid.setdefault(sid, set()).add((state.id, conn.conn_id))
        return {"type": "answer", "sdp": answer, "participant": key, "publishes": may_publish, **conn.last_layout()}

    async def probe(self, actor: Actor, sid: str, payload: p.MediaProbePayload) -> dict[str, Any]:
        """A link check outside any meeting: the participant's own streams come straight back, and it gets the
        server's view of its uplink in `media:stats`. Few at a time, one per account or hall (a new one
        replaces its earlier one), at most half of them held by people so that halls always find one, and
        each ends by itself; a refused offer holds none."""
        key = conference.participant_key(actor)
        room_id = f"probe-{sid}"
        async with self._lock:
            for other, holder in list(self._probes.items()):
                if holder == key or other == room_id:
                    await self._end_probe(other, "replaced")
            held = list(self._probes.values())
            people = sum(1 for holder in held if not holder.startswith(f"{SITE}:"))
            if len(held) >= PROBES_AT_ONCE or (actor.kind != SITE and people >= PROBES_AT_ONCE // 2):
                raise AppError("media_full", limit=PROBES_AT_ONCE)
            room = self.rooms[room_id] = MediaRoom(
                room_id, {"status": IN_PROGRESS}, self._emit, self.recordings_dir, None
            )
            self._probes[room_id] = key
            room.start()
            try:
                conn, answer = await self._connect(room, key, actor.name, sid, "probe", payload, True)
                await room.add(conn)
            except BaseException:
                await self._end_probe(room_id, "refused")
                raise
            self._by_sid.setdefault(sid, set()).add((room_id, conn.conn_id))
        asyncio.get_running_loop().call_later(
            PROBE_SECONDS, lambda: asyncio.ensure_future(self._drop(sid, room_id, conn.conn_id, "probe_over"))
        )
        return {
            "type": "answer",
            "sdp": answer,
            "participant": key,
            "room": room_id,
            "seconds": PROBE_SECONDS,
            **conn.last_layout(),
        }

    async def _end_probe(self, room_id: str, reason: str) -> None:
        self._probes.pop(room_id, None)
        room = self.rooms.pop(room_id, None)
        if room is not None:
            await room.close(reason)

    async def _connect(
        self,
        room: MediaRoom,
        key: str,
        name: str,
        sid: str,
        view: str,
        payload: p.MediaJoinPayload | p.MediaProbePayload,
        may_publish: bool,
    ) -> tuple[Connection, str]:
        pc = RTCPeerConnection(server_configuration(self.settings))
        try:
            conn = Connection(key=key, name=name, view=view, sid=sid, pc=pc, publishes=may_publish)
            try:
                await pc.setRemoteDescription(RTCSessionDescription(sdp=payload.sdp, type="offer"))
            except Exception as exc:  # aiortc raises ValueError, OperationError, InvalidStateError, ...
                raise _bad_sdp(
                    f"không đọc được lời mời kết nối ({exc})", f"the offer could not be read ({exc})"
                ) from None
            self._wire(room, conn, payload)
            answer = await pc.createAnswer()
            await pc.setLocalDescription(answer)
        except BaseException:
            await pc.close()
            raise

        @pc.on("connectionstatechange")
        async def on_state() -> None:
            if pc.connectionState in ("failed", "closed") and room.connections.get(conn.conn_id) is conn:
                await room.remove(conn, "connection_" + pc.connectionState)
                self._forget(sid, room.meeting_id, conn.conn_id)

        return conn, pc.localDescription.sdp

    def _wire(self, room: MediaRoom, conn: Connection, payload: p.MediaJoinPayload | p.MediaProbePayload) -> None:
        """Turn the offer's transceivers into sources and slots, as the join message names them by mid: checks
        every named mid, keeps the room's codec, sets directions, and leaves the rest to the two hooks below."""
        by_mid = {t.mid: t for t in conn.pc.getTransceivers()}
        publish = {s: mid for s, mid in payload.publish.model_dump().items() if mid is not None}
        receive = [("audio", mid) for mid in payload.receive.audio] + [("video", mid) for mid in payload.receive.video]
        named = list(publish.values()) + [mid for _, mid in receive]
        if len(set(named)) != len(named):
            raise _bad_sdp("một mid được khai báo hai lần", "a mid is named twice")
        for mid in named:
            if mid not in by_mid:
                raise _bad_sdp(f"lời mời không có mid {mid}", f"the offer has no mid {mid}")
        for stream, mid in publish.items():
            t = by_mid[mid]
            # aiortc keeps the offer's direction reversed, as seen from here: the client sends, we receive.
            if t.kind != STREAM_KINDS[stream] or t._offerDirection not in ("recvonly", "sendrecv"):
                raise _bad_sdp(f"mid {mid} không gửi {stream}", f"mid {mid} does not send {stream}")
            self._only_room_codec(t)
            t.direction = "recvonly" if conn.publishes else "inactive"
            if conn.publishes:
                source = Source(conn.key, stream, t.kind, lambda: None)
                source.on_first_frame = room.schedule_relayout
                conn.sources[stream] = source
                self._receive_into(conn, stream, t, source)
        for kind, mid in receive:
            t = by_mid[mid]
            if t.kind != kind or t._offerDirection not in ("sendonly", "sendrecv"):
                raise _bad_sdp(f"mid {mid} không nhận {kind}", f"mid {mid} does not receive {kind}")
            self._only_room_codec(t)
            t.direction = "sendonly"
            slot = self._send_from(conn, t, kind, mid)
            (conn.video_slots if kind == "video" else conn.audio_slots).append(slot)
        for mid, t in by_mid.items():
            if mid not in named and t.kind in ("audio", "video"):
                t.direction = "inactive"

    def _receive_into(self, conn: Connection, stream: str, transceiver: Any, source: Source) -> None:
        """A published stream's packets go to its source, never through a decoder."""
        adopt(receiver=transceiver.receiver)
        receiver = transceiver.receiver
        assert isinstance(receiver, ForwardingReceiver)
        receiver.set_sink(self._sink(source, receiver, transceiver.kind))
        conn.receivers[stream] = receiver

    def _send_from(self, conn: Connection, transceiver: Any, kind: str, mid: str) -> Slot:
        """A receive slot of the subscriber: its sender packetises what the slot yields, never encodes."""
        adopt(sender=transceiver.sender)
        sender = transceiver.sender
        assert isinstance(sender, ForwardingSender)
        slot = Slot(kind, mid)
        sender.replaceTrack(slot)
        sender.on_keyframe_request(slot.request_keyframe)
        conn.senders.append(sender)
        return slot

    def _only_room_codec(self, transceiver: Any) -> None:
        """One video codec per server, so what a publisher sends every subscriber can take as it is."""
        if transceiver.kind != "video":
            return
        wanted = self.settings.media_video_codec
        main: list[RTCRtpCodecParameters] = [c for c in transceiver._codecs if c.name.upper() == wanted]
        if wanted == "H264":  # the browsers' common ground: constrained baseline, packetization-mode 1
            main = [c for c in main if str(c.parameters.get("packetization-mode", "0")) == "1"] or main
        if not main:
            raise _bad_sdp(f"lời mời không có mã hóa hình {wanted}", f"the offer does not carry {wanted} video")
        keep = {c.payloadType for c in main}
        rtx = [c for c in transceiver._codecs if is_rtx(c) and c.parameters.get("apt") in keep]
        transceiver._codecs = main + rtx

    def _sink(self, source: Source, receiver: ForwardingReceiver, kind: str) -> Any:
        """The receiver's packet hook: audio packets go straight on, video packets are assembled into frames."""
        ssrc: list[int] = []

        def request() -> None:
            if ssrc:
                asyncio.ensure_future(receiver.request_keyframe(ssrc[0]))

        source._request_keyframe = request
        unwrap = Unwrapper(32)
        assembler: VideoAssembler | None = None

        def sink(packet: RtpPacket, codec: RTCRtpCodecParameters, data: bytes) -> None:
            nonlocal assembler
            now = time.monotonic()
            if not ssrc:
                ssrc.append(packet.ssrc)
                if source.slots:
                    source.want_keyframe()
            elif ssrc[0] != packet.ssrc:
                ssrc[0] = packet.ssrc
            if kind == "audio":
                level = packet.extensions.audio_level
                source.deliver(
                    EncodedFrame(
                        "audio",
                        codec.name,
                        data,
                        unwrap(packet.timestamp),
                        True,
                        level[1] if level is not None else None,
                        now,
                    )
                )
                return
            if assembler is None or assembler.codec != codec.name:
                assembler = VideoAssembler(codec.name)
            for frame in assembler.add(
                packet.sequence_number, packet.timestamp, bool(packet.marker), packet.payload, data, now
            ):
                source.deliver(frame)

        return sink

    async def catch_up(self, state: MeetingState) -> None:
        """A room made from a state read just before an event committed would miss that event (the log reached
        no room yet): the caller reads the meeting again after the join and hands it here."""
        room = self.rooms.get(state.id)
        if room is not None and not room.closed and state.last_seq > int(room.snapshot.get("last_seq", 0)):
            room.snapshot = state.to_dict()
            await room.apply([])

    # ---- leaving ---------------------------------------------------------------------------------------------

    async def leave(self, sid: str, meeting_id: str, reason: str = "left") -> None:
        for mid, conn_id in list(self._by_sid.get(sid, ())):
            if mid == meeting_id:
                await self._drop(sid, mid, conn_id, reason)

    async def disconnect(self, sid: str) -> None:
        for meeting_id, conn_id in list(self._by_sid.get(sid, ())):
            await self._drop(sid, meeting_id, conn_id, "disconnected")
        self._by_sid.pop(sid, None)

    async def _drop(self, sid: str, meeting_id: str, conn_id: str, reason: str) -> None:
        self._forget(sid, meeting_id, conn_id)
        room = self.rooms.get(meeting_id)
        if room is None:
            return
        conn = room.connections.get(conn_id)
        if conn is not None and conn.sid == sid:
            await room.remove(conn, reason)
        if not room.connections and not room.joining:
            await room.close("empty")
            self.rooms.pop(meeting_id, None)
            self._probes.pop(meeting_id, None)

    def _forget(self, sid: str, meeting_id: str, conn_id: str) -> None:
        entries = self._by_sid.get(sid)
        if entries is not None:
            entries.discard((meeting_id, conn_id))
            if not entries:
                self._by_sid.pop(sid, None)

    # ---- the log ---------------------------------------------------------------------------------------------

    async def on_events(self, meeting_id: str, entries: list[dict[str, Any]]) -> None:
        room = self.rooms.get(meeting_id)
        if room is None:
            return
        await room.apply(entries)
        if room.closed:
            self.rooms.pop(meeting_id, None)
            for sid in list(self._by_sid):
                self._by_sid[sid] = {e for e in self._by_sid[sid] if e[0] != meeting_id}
                if not self._by_sid[sid]:
                    del self._by_sid[sid]

    async def close(self) -> None:
        for room in list(self.rooms.values()):
            await room.close("server_stopping")
        self.rooms.clear()
        self._by_sid.clear()
