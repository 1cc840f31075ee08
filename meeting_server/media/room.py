"""One meeting's media: its connections, what each receives, and the enforcement of the chair's decisions.

The room follows the meeting's log like any client (it merges each event's patch into its snapshot) and reads only
the fields that concern media: status, main site, chair, the sites' names and the conference decisions, and
nothing of the rest of the meeting.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Protocol

from aiortc import RTCPeerConnection

from .. import protocol as p
from ..domain.conference import Conference
from ..vocabulary import IN_PROGRESS, SITE
from .frames import EncodedFrame
from .hooks import ForwardingReceiver, ForwardingSender
from .layout import SPEAKING, LinkTier, Publisher, audio_plan, video_plan
from .streams import Slot, Source

log = logging.getLogger(__name__)

Emit = Callable[[str, dict[str, Any], str], Awaitable[None]]  # (event, data, socket id)
STATS_INTERVAL = 1.0
AUDIO_INTERVAL = 0.25


class Recorder(Protocol):
    def write(self, stream: str, frame: EncodedFrame) -> None: ...

    async def close(self) -> list[Path]: ...


RecorderFactory = Callable[[Path, str], Recorder]


@dataclass(eq=False)
class Connection:
    """One media connection: a participant's peer connection, what it publishes and its receive slots."""

    key: str  # participant key: site:<id> | user:<id>
    name: str
    view: str
    sid: str
    pc: RTCPeerConnection
    publishes: bool
    sources: dict[str, Source] = field(default_factory=dict)
    receivers: dict[str, ForwardingReceiver] = field(default_factory=dict)
    video_slots: list[Slot] = field(default_factory=list)
    audio_slots: list[Slot] = field(default_factory=list)
    senders: list[ForwardingSender] = field(default_factory=list)
    tier: LinkTier = field(default_factory=LinkTier)
    joined_at: float = field(default_factory=time.monotonic)
    layout_sent: dict[str, Any] | None = None
    layout_version: int = 0  # numbers every layout sent on this connection; the client keeps the highest
    recorder: Recorder | None = None
    link: dict[str, Any] = field(default_factory=dict)
    _bytes_seen: int = 0
    _lost_seen: tuple[int, int] = (0, 0)

    @property
    def conn_id(self) -> str:
        return f"{self.key}/{self.view}"

    def publisher(self) -> Publisher:
        live = frozenset(s for s, src in self.sources.items() if src.frames > 0 or s == "audio")
        return Publisher(self.key, self.name, live, self.sources["audio"].loudness if "audio" in self.sources else 0)

    def slots(self) -> list[Slot]:
        return self.video_slots + self.audio_slots

    def last_layout(self) -> dict[str, Any]:
        """The last layout sent, for the join's answer. The answer can reach the client after a later
        `media:layout` (the socket sends events emitted while the join was finishing first), so it carries the
        same version as that message and the client takes whichever is newer, never the older one."""
        slots = self.layout_sent["slots"] if self.layout_sent is not None else []
        return {"slots": slots, "layout_version": self.layout_version}


def round_trip_ms(samples: list[float]) -> float | None:
    """The shortest round trip (ms) of a connection's senders, or None when no sample is possible.

    aiortc takes a round trip from a receiver report as now - when our sender report left - the delay the far end
    says it held it (DLSR). The first two are our wall clock (`time.time()`), the DLSR is the far machine's, so a
    wall-clock step on either side (NTP slewing a room PC, a suspended laptop) or a far end that overstates its
    delay gives a negative or zero figure, which the smoothing then keeps for a while ("RTT -14 ms"). Such a
    sample says nothing about the link: it is left out, and with nothing left the round trip is unknown.
    """
    possible = [s for s in samples if s > 0]
    return round(min(possible) * 1000, 1) if possible else None


class MediaRoom:
    def __init__(
        self,
        meeting_id: str,
        snapshot: dict[str, Any],
        emit: Emit,
        recordings_dir: Path,
        recorder_factory: RecorderFactory | None,
    ) -> None:
        self.meeting_id = meeting_id
        self.snapshot = snapshot
        self.connections: dict[str, Connection] = {}
        self._emit = emit
        self._recordings_dir = recordings_dir
        self._recorder_factory = recorder_factory
        self._recording_id: str | None = None
        self._tasks: list[asyncio.Task[None]] = []
        self._relayout_task: asyncio.Task[None] | None = None
        self._relayout_wanted = False
        self.joining = 0  # joins under way (answer being made): the room stays open for them
        self.joining_publishers = 0  # ... and those that will publish count against the cap
        self.closed = False

    # ---- the meeting as media sees it -----------------------------------------------------------------

    @property
    def conference(self) -> Conference:
        return Conference.from_dict(self.snapshot.get("conference"))

    @property
    def main(self) -> str | None:
        site = self.snapshot.get("main_site_id")
        return f"site:{site}" if site else None

    def chair(self) -> str | None:
        """The chair inset: the chair's own camera when it publishes one, else the host hall (first site)."""
        chair_id = self.snapshot.get("chair_id")
        if chair_id:
            conn = self.connections.get(f"user:{chair_id}/console") or self.connections.get(f"user:{chair_id}/delegate")
            if conn is not None and conn.publishes and "video" in conn.sources:
                return conn.key
        sites = self.snapshot.get("sites") or []
        host = f"site:{sites[0]['id']}" if sites else None
        return host if host != self.main else None

    def site_name(self, key: str, fallback: str) -> str:
        kind, _, ident = key.partition(":")
        if kind == SITE:
            for site in self.snapshot.get("sites") or []:
                if site.get("id") == ident:
                    return str(site.get("name") or fallback)
        return fallback

    def connected_keys(self) -> frozenset[str]:
        return frozenset(c.key for c in self.connections.values())

    def publishers(self) -> list[Publisher]:
        return [c.publisher() for c in self.connections.values() if c.publishes and c.sources]

    def publishing_count(self) -> int:
        return sum(1 for c in self.connections.values() if c.publishes)

    # ---- lifecycle --------------------------------------------------------------------------------------

    def start(self) -> None:
        self._tasks = [
            asyncio.create_task(self._every(AUDIO_INTERVAL, self._audio_tick)),
            asyncio.create_task(self._every(STATS_INTERVAL, self._stats_tick)),
        ]

    async def _every(self, seconds: float, tick: Callable[[], Awaitable[None]]) -> None:
        while not self.closed:
            await asyncio.sleep(seconds)
            try:
                await tick()
            except Exception:
                log.exception("media room %s: periodic step failed", self.meeting_id)

    async def add(self, conn: Connection) -> None:
        if conn.key in self.conference.removed:  # removed while its offer was being answered
            await self._close_connection(conn, "removed")
            return
        old = self.connections.get(conn.conn_id)
        self.connections[conn.conn_id] = conn
        if old is not None:  # the same participant again (a restart, a drop): the new connection wins
            await self._close_connection(old, "replaced")
        if self._recording_id and conn.publishes:
            self._start_recorder(conn)
        await self.relayout()

    async def remove(self, conn: Connection, reason: str) -> None:
        if self.connections.get(conn.conn_id) is conn:
            del self.connections[conn.conn_id]
            await self._close_connection(conn, reason)
            await self.relayout()

    async def _close_connection(self, conn: Connection, reason: str) -> None:
        for slot in conn.slots():
            slot.stop()
        for source in conn.sources.values():
            for slot in list(source.slots):
                slot.show(None)
        if conn.recorder is not None:
            recorder, conn.recorder = conn.recorder, None
            await recorder.close()
        with contextlib.suppress(Exception):
            await conn.pc.close()
        if reason not in ("left", "disconnected"):
            with contextlib.suppress(Exception):
                await self._emit(p.MEDIA_CLOSED, {"meeting_id": self.meeting_id, "reason": reason}, conn.sid)

    async def close(self, reason: str) -> None:
        self.closed = True
        for task in self._tasks:
            task.cancel()
        for conn in list(self.connections.values()):
            await self._close_connection(conn, reason)
        self.connections.clear()
        await self._stop_recording()

    # ---- decisions from the log ---------------------------------------------------------------------------

    async def apply(self, entries: list[dict[str, Any]]) -> None:
        """Merge logged events, then enforce: cut the removed, stop a muted source, switch layouts, record."""
        for entry in entries:
            self.snapshot = p.apply_patch(self.snapshot, entry)
        conf = self.conference
        if self.snapshot.get("status") != IN_PROGRESS:
            await self.close("meeting_not_live")
            return
        for conn in list(self.connections.values()):
            if conn.key in conf.removed:
                await self.remove(conn, "removed")
        muted = set(conf.muted)
        for conn in self.connections.values():
            if "audio" in conn.sources:
                conn.sources["audio"].muted = conn.key in muted
        wanted = conf.recording.id if conf.recording else None
        if wanted != self._recording_id:
            await self._stop_recording()
            if wanted:
                self._recording_id = wanted
                for conn in self.connections.values():
                    if conn.publishes:
                        self._start_recorder(conn)
        await self.relayout()

    def _start_recorder(self, conn: Connection) -> None:
        if self._recorder_factory is None or self._recording_id is None or conn.recorder is not None:
            return
        directory = self._recordings_dir / self.meeting_id / self._recording_id
        label = f"{conn.key.replace(':', '-')}"
        recorder = conn.recorder = self._recorder_factory(directory, label)
        for stream in ("audio", "video"):
            source = conn.sources.get(stream)
            if source is not None:
                source.recorder = lambda frame, s=stream: recorder.write(s, frame)
                if stream == "video":
                    source.want_keyframe()  # a recording starts with a picture, not seconds of nothing

    async def _stop_recording(self) -> None:
        self._recording_id = None
        for conn in self.connections.values():
            for source in conn.sources.values():
                source.recorder = None
            if conn.recorder is not None:
                recorder, conn.recorder = conn.recorder, None
                try:
                    await recorder.close()
                except Exception:
                    log.exception("closing the recording of %s failed", conn.key)

    # ---- layout -------------------------------------------------------------------------------------------

    def schedule_relayout(self) -> None:
        """Lay out again soon (a source started flowing); many calls in one moment make one pass.

        A call that arrives while a pass is sending its messages is not dropped: that pass read the sources
        before this one started flowing, so another pass follows it (a hall once stayed without the main
        site's picture because its first frame landed in that gap)."""
        if self.closed:
            return
        self._relayout_wanted = True
        if self._relayout_task is not None and not self._relayout_task.done():
            return

        async def later() -> None:
            while self._relayout_wanted and not self.closed:
                self._relayout_wanted = False
                await asyncio.sleep(0)
                await self.relayout()

        self._relayout_task = asyncio.create_task(later())

    async def relayout(self) -> None:
        """Point every slot at what its subscriber should see, then tell each what changed.

        All slots are assigned before the first message is sent: assigning between sends would let two passes
        interleave and leave a subscriber with the older pass's picture."""
        publishers = self.publishers()
        main, chair = self.main, self.chair()
        muted = frozenset(self.conference.muted)
        conns = list(self.connections.values())
        for conn in conns:
            plan = video_plan(conn.view, conn.key, publishers, main, chair, len(conn.video_slots), conn.tier.tier)
            for slot, assignment in zip(conn.video_slots, plan, strict=True):
                slot.show(self._source(assignment.source, assignment.stream), assignment.role)
            self._assign_audio(conn, publishers, muted, main, chair)
        for conn in conns:
            if self.connections.get(conn.conn_id) is conn:
                await self._send_layout(conn)

    def _assign_audio(
        self, conn: Connection, publishers: list[Publisher], muted: frozenset[str], main: str | None, chair: str | None
    ) -> bool:
        current = [s.source.key if s.source else None for s in conn.audio_slots]
        me = "" if conn.view == "probe" else conn.key  # a link check hears itself
        plan = audio_plan(me, publishers, muted, main, chair, len(conn.audio_slots), current)
        changed = False
        for slot, assignment in zip(conn.audio_slots, plan, strict=True):
            changed |= slot.show(self._source(assignment.source, "audio"), assignment.role)
        return changed

    def _source(self, key: str | None, stream: str) -> Source | None:
        if key is None:
            return None
        for conn in self.connections.values():
            if conn.key == key and conn.publishes and stream in conn.sources:
                return conn.sources[stream]
        return None

    def layout_of(self, conn: Connection) -> list[dict[str, Any]]:
        out = []
        for slot in conn.slots():
            source = slot.source
            key = source.key if source else None
            quality = (
                "audio" if slot.kind == "audio" else ("small" if source and source.stream == "video_small" else "big")
            )
            name = self._name_of(key) if key else ""
            out.append(
                {
                    "mid": slot.mid,
                    "kind": slot.kind,
                    "source": key,
                    "name": name,
                    "quality": quality,
                    "role": slot.role if key else "",
                }
            )
        return out

    def _name_of(self, key: str) -> str:
        for conn in self.connections.values():
            if conn.key == key:
                return conn.name
        return self.site_name(key, key)

    def speaker(self) -> dict[str, str] | None:
        """Who is speaking now (the loudest unmuted participant above a threshold), for the wall displays."""
        muted = set(self.conference.muted)
        best = max(
            (c for c in self.connections.values() if "audio" in c.sources and c.key not in muted),
            key=lambda c: c.sources["audio"].loudness,
            default=None,
        )
        if best is None or best.sources["audio"].loudness < SPEAKING:
            return None
        return {"key": best.key, "name": best.name}

    async def _send_layout(self, conn: Connection, speaker: dict[str, str] | None = None) -> None:
        message = {
            "meeting_id": self.meeting_id,
            "slots": self.layout_of(conn),
            "tier": conn.tier.tier,
            "speaker": speaker if speaker is not None else self.speaker(),
        }
        if message == conn.layout_sent:
            return
        conn.layout_sent = message
        conn.layout_version += 1
        await self._emit(p.MEDIA_LAYOUT, {**message, "version": conn.layout_version}, conn.sid)

    # ---- periodic: speakers and link health ------------------------------------------------------------------

    async def _audio_tick(self) -> None:
        now = time.monotonic()
        for conn in self.connections.values():
            source = conn.sources.get("audio")
            if source is not None:
                source.decay(now)
        publishers = self.publishers()
        muted = frozenset(self.conference.muted)
        main, chair = self.main, self.chair()
        speaker = self.speaker()
        conns = list(self.connections.values())
        for conn in conns:
            self._assign_audio(conn, publishers, muted, main, chair)
        for conn in conns:
            if self.connections.get(conn.conn_id) is conn:
                await self._send_layout(conn, speaker)

    async def _stats_tick(self) -> None:
        """Measure every link, then lay out again even when no tier changed: a pass costs microseconds per
        participant and sends only what differs, so no missed trigger can leave a hall on a stale picture."""
        for conn in list(self.connections.values()):
            await self._measure(conn)
        await self.relayout()
        consoles = [c for c in self.connections.values() if c.view in ("console", "probe")]
        if consoles:
            report = {"meeting_id": self.meeting_id, "participants": self.stats()}
            for conn in consoles:
                await self._emit(p.MEDIA_STATS, report, conn.sid)

    async def _measure(self, conn: Connection) -> None:
        """Read the connection's RTCP-fed statistics: uplink loss from what we receive, downlink loss and round
        trip from its receiver reports; step its video down or up on the downlink's loss."""
        received = lost = 0
        for receiver in conn.receivers.values():
            for stat in (await receiver.getStats()).values():
                if getattr(stat, "type", "") == "inbound-rtp":
                    received += stat.packetsReceived or 0
                    lost += max(0, stat.packetsLost or 0)
        d_received, d_lost = received - conn._lost_seen[0], lost - conn._lost_seen[1]
        conn._lost_seen = (received, lost)
        uplink_loss = d_lost / (d_received + d_lost) if d_received + d_lost > 0 else None
        rtts, losses = [], []
        for sender in conn.senders:
            for stat in (await sender.getStats()).values():
                if getattr(stat, "type", "") == "remote-inbound-rtp":
                    if stat.roundTripTime is not None:
                        rtts.append(stat.roundTripTime)
                    if stat.fractionLost is not None:
                        losses.append(stat.fractionLost / 256)
        total_bytes = sum(s.bytes for s in conn.sources.values())
        bitrate = (total_bytes - conn._bytes_seen) * 8 / STATS_INTERVAL
        conn._bytes_seen = total_bytes
        last = max((s.last_frame_at for s in conn.sources.values()), default=0.0)
        conn.link = {
            "bitrate_kbps": round(bitrate / 1000, 1),
            "rtt_ms": round_trip_ms(rtts),
            "uplink_loss": round(uplink_loss, 3) if uplink_loss is not None else None,
            "downlink_loss": round(max(losses), 3) if losses else None,
            "last_seen_s": round(time.monotonic() - last, 1) if last else None,
        }
        conn.tier.update(max(losses) if losses else None)

    def stats(self) -> list[dict[str, Any]]:
        muted = set(self.conference.muted)
        out = []
        for conn in sorted(self.connections.values(), key=lambda c: (c.name, c.key)):
            audio = conn.sources.get("audio")
            health = "good"
            uplink = conn.link.get("uplink_loss")
            if conn.tier.tier == 2 or (uplink is not None and uplink >= 0.15):
                health = "bad"
            elif conn.tier.tier == 1 or (uplink is not None and uplink >= 0.05):
                health = "poor"
            last_seen = conn.link.get("last_seen_s")
            if conn.publishes and last_seen is not None and last_seen > 5:
                health = "bad"
            out.append(
                {
                    "key": conn.key,
                    "name": conn.name,
                    "view": conn.view,
                    "publishes": conn.publishes,
                    "streams": sorted(s for s, src in conn.sources.items() if src.frames > 0),
                    "level": round(audio.loudness, 1) if audio else 0,
                    "muted": conn.key in muted,
                    "tier": conn.tier.tier,
                    "health": health,
                    **conn.link,
                }
            )
        return out
