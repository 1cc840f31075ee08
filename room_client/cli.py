"""`room-client`: what a commune hall's room PC runs. `join` keeps the hall in the meeting; `check` tests the link.

`join` finds the site's meeting that is under way, publishes the camera (and its small copy) and microphone,
receives the main site and the chair, answers the chair's roll call, obeys mute, and rejoins by itself with
backoff after any drop, server restart or network outage. It prints one status line and, with `--stats-json`,
keeps a file with what arrived from each remote site. The status line also shows the hall's floor (xin phát
biểu / đang phát biểu with the countdown / tắt tiếng); with `--keys` the operator types `p` + Enter to ask for the
floor for the hall ("Điểm cầu xin phát biểu") and `r` + Enter to withdraw it.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import os
import signal
import statistics
import sys
import time
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import socketio

from meeting_server import protocol as p

from .feed import CommandError, MeetingFeed
from .media import MediaRefused, MediaSession
from .sources import SMALL_MAX_BITRATE, SourceError, Sources, cap_bitrate, open_sources_async

log = logging.getLogger("room_client")

WAIT_REFUSALS = {"conference_not_live", "participant_removed", "conference_locked", "media_full", "not_found"}


class Backoff:
    """1, 2, 4 … 30 s between attempts; reset once a connection has held."""

    def __init__(self, first: float = 1.0, most: float = 30.0) -> None:
        self.first, self.most, self.next = first, most, first

    def take(self) -> float:
        delay, self.next = self.next, min(self.most, self.next * 2)
        return delay

    def reset(self) -> None:
        self.next = self.first


class Status:
    """One line for the operator: a rewritten line on a terminal, a line every few seconds in a log."""

    def __init__(self, stream: Any = sys.stdout) -> None:
        self.stream = stream
        self.tty = bool(getattr(stream, "isatty", lambda: False)())
        self._last = ""
        self._last_at = 0.0

    def show(self, text: str, force: bool = False) -> None:
        now = time.monotonic()
        stamp = time.strftime("%H:%M:%S")
        if self.tty:
            self.stream.write(f"\r\x1b[2K[{stamp}] {text}")
        elif force or text != self._last and now - self._last_at > 5 or now - self._last_at > 30:
            self.stream.write(f"[{stamp}] {text}\n")
            self._last_at = now
        else:
            return
        self._last = text
        self.stream.flush()


async def api_get(server: str, token: str, path: str, timeout: float = 10.0) -> Any:
    async with (
        aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=timeout)) as http,
        http.get(server.rstrip("/") + path, headers={"Authorization": f"Bearer {token}"}) as response,
    ):
        body = await response.json(content_type=None)
        if response.status >= 400:
            error = body.get("error", {}) if isinstance(body, dict) else {}
            raise MediaRefused({"code": error.get("code", str(response.status)), "message": error.get("message", "")})
        return body


FLOOR_ASKING, FLOOR_SPEAKING, FLOOR_MUTED = "asking", "speaking", "muted"
FLOOR_WORDS = {FLOOR_ASKING: "XIN PHÁT BIỂU", FLOOR_SPEAKING: "ĐANG PHÁT BIỂU", FLOOR_MUTED: "TẮT TIẾNG"}


def hall_floor(snapshot: dict[str, Any], key: str, now: datetime | None = None) -> tuple[str, str]:
    """The hall's state on the floor as (state, status text): speaking (its site has the floor: the countdown),
    asking (a waiting request for the hall), muted, or ("", "") when none of these."""
    floor = snapshot.get("floor") or {}
    site_id = key.partition(":")[2] if key.startswith("site:") else ""
    speeches = floor.get("speeches") or []
    speech = speeches[-1] if speeches and not speeches[-1].get("ended_at") else None
    if speech is not None and (speech.get("speaker") == key or (site_id and speech.get("site_id") == site_id)):
        left = (datetime.fromisoformat(speech["due_at"]) - (now or datetime.now(UTC))).total_seconds()
        clock = f"{int(max(0, left)) // 60}:{int(max(0, left)) % 60:02d}" if left > 0 else "hết giờ"
        return FLOOR_SPEAKING, f"{FLOOR_WORDS[FLOOR_SPEAKING]} {clock}"
    if any(r.get("speaker") == key and r.get("status") == "waiting" for r in floor.get("requests") or []):
        return FLOOR_ASKING, FLOOR_WORDS[FLOOR_ASKING]
    if key in ((snapshot.get("conference") or {}).get("muted") or []):
        return FLOOR_MUTED, FLOOR_WORDS[FLOOR_MUTED]
    return "", ""


class RoomClient:
    def __init__(self, args: argparse.Namespace, status: Status | None = None) -> None:
        self.args = args
        self.server: str = args.server.rstrip("/")
        self.token: str = args.token
        self.status = status or Status()
        self.sources: Sources | None = None
        self.feed: MeetingFeed | None = None
        self.session: MediaSession | None = None
        self.state = "starting"
        self.meeting: dict[str, Any] = {}
        self.joins = 0
        self.last_error = ""
        self.stopping = asyncio.Event()
        self._answered: set[str] = set()
        self._recorder: Any = None

    # ---- the loop -----------------------------------------------------------------------------------------

    async def run(self) -> None:
        video = None if self.args.video == "none" else self.args.video
        audio = None if self.args.audio == "none" else self.args.audio
        width, _, height = self.args.size.partition("x")
        self.sources = await open_sources_async(video, audio, size=(int(width), int(height)))
        backoff = Backoff()
        writer = asyncio.create_task(self._report_forever())
        try:
            while not self.stopping.is_set():
                held = False
                try:
                    held = await self._one_meeting()
                except MediaRefused as refused:
                    self.last_error = f"{refused.code}: {refused.message}"
                    self.state = "refused" if refused.code not in WAIT_REFUSALS else "waiting"
                except (
                    OSError,
                    aiohttp.ClientError,
                    socketio.exceptions.SocketIOError,
                    TimeoutError,
                    CommandError,
                ) as exc:
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    self.state = "offline"
                except Exception as exc:  # a room PC never gives up: log what went wrong and try again
                    log.exception("unexpected failure, rejoining")
                    self.last_error = f"{type(exc).__name__}: {exc}"
                    self.state = "offline"
                finally:
                    await self._close_meeting()
                if held:
                    backoff.reset()
                if self.stopping.is_set():
                    break
                delay = backoff.take()
                self.status.show(f"{self._state_text()} — thử lại sau {delay:.0f} s ({self.last_error})", force=True)
                with contextlib.suppress(asyncio.TimeoutError):
                    await asyncio.wait_for(self.stopping.wait(), delay)
        finally:
            writer.cancel()
            await self._close_meeting()
            if self.sources is not None:
                await self.sources.close()
            self._write_stats()

    async def _find_meeting(self) -> dict[str, Any]:
        found = await api_get(self.server, self.token, "/api/meetings?scope=all")
        meetings = found.get("meetings", [])
        if self.args.meeting:
            meetings = [m for m in meetings if m["id"] == self.args.meeting]
        live = [m for m in meetings if m.get("status") == "in_progress"]
        if not live:
            raise MediaRefused(
                {"code": "conference_not_live", "message": "Chưa có cuộc họp nào đang diễn ra cho điểm cầu này."}
            )
        return dict(live[0])

    async def _one_meeting(self) -> bool:
        """Join the site's meeting and stay until something breaks; returns whether the connection held."""
        self.state = "connecting"
        self.meeting = await self._find_meeting()
        config = await api_get(self.server, self.token, "/api/media/config")
        self.feed = MeetingFeed(
            self.server, self.meeting["id"], token=self.token, on_event=self._on_event, reconnection_delay=1.0
        )
        await self.feed.connect(timeout=15)
        assert self.sources is not None
        tracks = self.sources.subscribe()
        self.session = MediaSession(
            self.feed.sio,
            self.meeting["id"],
            view=self.args.view,
            audio=tracks.audio,
            video=tracks.video,
            video_small=tracks.video_small,
            ice_servers=config.get("ice_servers", []),
            audio_slots=int(config.get("audio_slots", 3)),
            tap=bool(self.args.record),
        )
        if "video_small" in self.session.senders:
            cap_bitrate(self.session.senders["video_small"], SMALL_MAX_BITRATE)
        await self.session.start()
        await self.session.wait_connected(timeout=30)
        self.joins += 1
        self.state = "in_meeting"
        self.last_error = ""
        self._obey()
        if self.args.record:
            await self._start_recording()
        joined_at = time.monotonic()
        disconnected = asyncio.Event()
        feed_on_disconnect = self.feed._on_disconnect

        async def on_disconnect(*args: Any) -> None:  # the feed keeps its own bookkeeping; we also rejoin media
            await feed_on_disconnect(*args)
            disconnected.set()

        self.feed.sio.on("disconnect", on_disconnect)
        waits = [asyncio.create_task(e.wait()) for e in (self.session.closed, disconnected, self.stopping)]
        await asyncio.wait(waits, return_when=asyncio.FIRST_COMPLETED)
        for task in waits:
            task.cancel()
        if self.session.closed.is_set():
            self.last_error = f"media closed: {self.session.close_reason}"
        elif disconnected.is_set():
            self.last_error = "socket disconnected"
        self.state = "offline"
        return time.monotonic() - joined_at > 10

    async def _close_meeting(self) -> None:
        if self._recorder is not None:
            with contextlib.suppress(Exception):
                await self._recorder.stop()
            self._recorder = None
        if self.session is not None:
            with contextlib.suppress(Exception):
                await self.session.close()
            self.session = None
        if self.feed is not None:
            with contextlib.suppress(Exception):
                await self.feed.close()
            self.feed = None

    # ---- what the chair decides -------------------------------------------------------------------------------

    def _my_key(self) -> str:
        return self.session.participant if self.session else ""

    def _on_event(self, event: dict[str, Any]) -> None:
        if event.get("type", "").startswith(("conference.", "floor.")):  # the floor opens and closes microphones
            self._obey()

    def floor(self) -> tuple[str, str]:
        if self.feed is None or self.session is None:
            return "", ""
        return hall_floor(self.feed.snapshot, self._my_key())

    async def ask_floor(self) -> str:
        """Ask for the floor for this hall on the agenda item under discussion (else the first not done)."""
        if self.feed is None or self.session is None:
            return "Chưa vào cuộc họp."
        snap = self.feed.snapshot
        items = snap.get("agenda") or []
        item = next((i for i in items if i["id"] == snap.get("current_item_id")), None) or next(
            (i for i in items if i.get("status") != "done"), None
        )
        if item is None:
            return "Cuộc họp không có nội dung nào để đăng ký phát biểu."
        site_id = self._my_key().partition(":")[2]
        try:
            await self.feed.command("floor.request_site", {"site_id": site_id, "item_id": item["id"]})
        except CommandError as exc:
            return exc.message
        return f"Đã đăng ký phát biểu: {item['title']}"

    async def withdraw_floor(self) -> str:
        if self.feed is None or self.session is None:
            return "Chưa vào cuộc họp."
        key = self._my_key()
        waiting = [r for r in (self.feed.snapshot.get("floor") or {}).get("requests") or [] if r.get("speaker") == key]
        waiting = [r for r in waiting if r.get("status") == "waiting"]
        if not waiting:
            return "Điểm cầu không có đăng ký nào đang chờ."
        for request in waiting:
            try:
                await self.feed.command("floor.withdraw_site", {"request_id": request["id"]})
            except CommandError as exc:
                return exc.message
        return "Đã rút đăng ký phát biểu."

    async def _keys_forever(self, lines: asyncio.StreamReader) -> None:
        """`p` + Enter asks for the floor, `r` + Enter withdraws (`--keys`)."""
        while not lines.at_eof():
            key = (await lines.readline()).decode(errors="replace").strip().lower()
            if key in ("p", "r"):
                answer = await (self.ask_floor() if key == "p" else self.withdraw_floor())
                self.status.show(answer, force=True)

    def _obey(self) -> None:
        """Mute follows the chair (the server enforces it anyway); an open roll call is answered once."""
        if self.feed is None or self.session is None:
            return
        conference = self.feed.snapshot.get("conference") or {}
        key = self._my_key()
        self.session.set_sending("audio", key not in (conference.get("muted") or []))
        roll = conference.get("roll_call") or {}
        if roll.get("open") and key not in (roll.get("answered") or {}) and roll["id"] not in self._answered:
            self._answered.add(roll["id"])
            asyncio.ensure_future(self._answer(roll["id"]))

    async def _answer(self, roll_call_id: str) -> None:
        if self.feed is None:
            return
        try:
            await self.feed.command("conference.answer_roll_call", {"roll_call_id": roll_call_id})
            self.status.show("Đã trả lời điểm danh.", force=True)
        except (CommandError, socketio.exceptions.SocketIOError, TimeoutError) as exc:
            self._answered.discard(roll_call_id)
            log.warning("roll call answer failed: %s", exc)

    async def _start_recording(self) -> None:
        """Keep a local copy of what the hall's screen shows (the main site and the sound), re-encoded here."""
        from aiortc.contrib.media import MediaRecorder  # noqa: PLC0415  (only with --record)

        assert self.session is not None
        tracks = self.session.tap_main()
        if not tracks:
            return
        self._recorder = MediaRecorder(self.args.record)
        for track in tracks:
            self._recorder.addTrack(track)
        await self._recorder.start()

    # ---- what the operator sees ------------------------------------------------------------------------

    def _state_text(self) -> str:
        return {
            "starting": "Đang khởi động",
            "connecting": "Đang kết nối",
            "in_meeting": "Đang họp",
            "waiting": "Đang chờ",
            "offline": "Mất kết nối",
            "refused": "Bị từ chối",
        }.get(self.state, self.state)

    def line(self) -> str:
        text = self._state_text()
        if self.state == "in_meeting" and self.session is not None:
            main = next((s["name"] for s in self.session.showing("main")), "—")
            summary = self.session.summary()
            video = sum(1 for v in summary.values() if v["frames"])
            audio = sum(1 for v in summary.values() if v["audio_frames"])
            kbps = sum(v["bitrate_kbps"] for v in summary.values())
            muted = self._my_key() in (
                (self.feed.snapshot.get("conference") or {}).get("muted") or [] if self.feed else []
            )
            _, floor = self.floor()
            text += (
                f": {self.meeting.get('title', '')} | chính: {main} | nhận {video} hình, {audio} tiếng, "
                f"{kbps:.0f} kbps{' | MICRO ĐANG TẮT' if muted else ''}{f' | {floor}' if floor else ''}"
            )
        elif self.last_error:
            text += f" ({self.last_error})"
        return text

    def stats(self) -> dict[str, Any]:
        session = self.session
        return {
            "server": self.server,
            "state": self.state,
            "meeting_id": self.meeting.get("id"),
            "participant": session.participant if session else None,
            "joins": self.joins,
            "floor": self.floor()[0],
            "last_error": self.last_error,
            "updated_at": time.time(),
            "layout": list(session.layout.values()) if session else [],
            "remote": session.summary() if session else {},
        }

    def _write_stats(self) -> None:
        if not self.args.stats_json:
            return
        path = Path(self.args.stats_json)
        tmp = path.with_suffix(path.suffix + ".tmp")
        tmp.write_text(json.dumps(self.stats(), ensure_ascii=False, indent=1))
        os.replace(tmp, path)

    async def _report_forever(self) -> None:
        while True:
            await asyncio.sleep(self.args.status_every)
            self.status.show(self.line())
            try:
                self._write_stats()
            except OSError as exc:
                log.warning("cannot write %s: %s", self.args.stats_json, exc)


# ---- check ---------------------------------------------------------------------------------------------------


def _candidate_types(session: MediaSession) -> tuple[str, str]:
    """Which kind of path the ICE check chose: host/srflx (direct) or relay (through TURN)."""
    for transceiver in session.pc.getTransceivers():
        connection = transceiver.sender.transport.transport._connection
        for pair in getattr(connection, "_nominated", {}).values():
            return pair.local_candidate.type, pair.remote_candidate.type
    return "?", "?"


async def check(args: argparse.Namespace, out: Any = sys.stdout) -> dict[str, Any]:
    """Measure what a meeting needs: round trip, up and down bitrate, loss, direct or TURN."""
    server, token = args.server.rstrip("/"), args.token
    result: dict[str, Any] = {"server": server}
    started = time.monotonic()
    await api_get(server, token, "/api/health")
    result["http_ms"] = round((time.monotonic() - started) * 1000, 1)
    config = await api_get(server, token, "/api/media/config")
    result["turn_configured"] = any(
        str(u).startswith("turn")
        for s in config.get("ice_servers", [])
        for u in (s["urls"] if isinstance(s["urls"], list) else [s["urls"]])
    )
    sio = socketio.AsyncClient(reconnection=False)
    await sio.connect(
        server, auth={"token": token}, transports=["websocket"], socketio_path=p.SOCKETIO_PATH, wait_timeout=15
    )
    sources = await open_sources_async("test", "test")
    try:
        rtts = []
        for _ in range(10):
            begin = time.monotonic()
            await sio.call(p.PING, {}, timeout=10)
            rtts.append((time.monotonic() - begin) * 1000)
        result["rtt_ms"] = round(statistics.median(rtts), 1)
        tracks = sources.subscribe()
        session = MediaSession(
            sio,
            "",
            audio=tracks.audio,
            video=tracks.video,
            video_small=tracks.video_small,
            ice_servers=config.get("ice_servers", []),
            join_event=p.MEDIA_PROBE,
            audio_slots=1,
            video_slots=1,
        )
        await session.start()
        await session.wait_connected(timeout=30)
        result["path"] = "{}→{}".format(*_candidate_types(session))
        result["via_turn"] = "relay" in result["path"]
        await asyncio.sleep(2)  # ramp up
        bytes_before = sum(r.bytes for r in session.received.values())
        await asyncio.sleep(args.seconds)
        received = sum(r.bytes for r in session.received.values()) - bytes_before
        result["down_kbps"] = round(received * 8 / args.seconds / 1000, 1)
        me: dict[str, Any] = next(
            (x for x in session.stats.get("participants", []) if x["key"] == session.participant), {}
        )
        result["up_kbps"] = me.get("bitrate_kbps")
        result["uplink_loss"] = me.get("uplink_loss")
        result["downlink_loss"] = me.get("downlink_loss")
        result["server_rtt_ms"] = me.get("rtt_ms")
        await session.close()
    finally:
        await sources.close()
        await sio.disconnect()
    result["verdict"] = verdict(result)
    if args.json:
        out.write(json.dumps(result, ensure_ascii=False) + "\n")
    else:
        out.write(report(result))
    return result


def verdict(r: dict[str, Any]) -> str:
    up, down = r.get("up_kbps") or 0, r.get("down_kbps") or 0
    loss = max(r.get("uplink_loss") or 0, r.get("downlink_loss") or 0)
    if up >= 500 and down >= 500 and loss < 0.03 and r.get("rtt_ms", 1e9) < 300:
        return "ok"
    if up >= 100 and down >= 100 and loss < 0.10:
        return "audio_and_small_video"
    return "not_enough"


VERDICTS = {
    "ok": "Đường truyền đủ cho cuộc họp (hình và tiếng).",
    "audio_and_small_video": "Đường truyền yếu: đủ cho tiếng và hình nhỏ; hình lớn có thể không qua được.",
    "not_enough": "Đường truyền không đủ cho cuộc họp; hãy kiểm tra mạng hoặc dùng TURN.",
}


def report(r: dict[str, Any]) -> str:
    def fmt(value: Any, unit: str = "") -> str:
        return "—" if value is None else f"{value}{unit}"

    def pct(value: Any) -> str:
        return "—" if value is None else f"{value * 100:.1f}%"

    lines = [
        f"Máy chủ            {r['server']}",
        f"Trễ khứ hồi (RTT)  {fmt(r.get('rtt_ms'), ' ms')}",
        f"Tải lên            {fmt(r.get('up_kbps'), ' kbps')}",
        f"Tải xuống          {fmt(r.get('down_kbps'), ' kbps')}",
        f"Mất gói lên/xuống  {pct(r.get('uplink_loss'))} / {pct(r.get('downlink_loss'))}",
        f"Đường đi           {r.get('path')} ({'qua TURN' if r.get('via_turn') else 'trực tiếp'}"
        f"{'; có cấu hình TURN' if r.get('turn_configured') else '; chưa cấu hình TURN'})",
        f"Kết luận           {VERDICTS[r['verdict']]}",
    ]
    return "\n".join(lines) + "\n"


# ---- command line ----------------------------------------------------------------------------------------------


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="room-client", description="Điểm cầu: tham gia cuộc họp trực tuyến.")
    sub = parser.add_subparsers(dest="command", required=True)
    join = sub.add_parser("join", help="join the site's meeting under way and stay in it")
    check_cmd = sub.add_parser("check", help="test the link: round trip, bitrate up and down, loss, TURN")
    for cmd in (join, check_cmd):
        cmd.add_argument("--server", required=True, help="e.g. https://hop.tuyenquang.gov.vn")
        cmd.add_argument(
            "--token",
            default=os.environ.get("ROOM_CLIENT_TOKEN"),
            help="the site's device token (or ROOM_CLIENT_TOKEN)",
        )
        cmd.add_argument("-v", "--verbose", action="store_true")
    join.add_argument("--video", default="test", help="/dev/video0, rtsp://…, a file, test or none")
    join.add_argument("--audio", default="test", help="hw:1 (ALSA), a file, test or none")
    join.add_argument("--size", default="640x360", help="size of the normal video stream (default 640x360)")
    join.add_argument("--meeting", help="a meeting id (default: the site's meeting in progress)")
    join.add_argument("--view", default="site", choices=["site", "display"])
    join.add_argument("--record", help="also keep a local recording of the main site (e.g. hop.mp4)")
    join.add_argument("--stats-json", help="write per-remote-site figures to this file every few seconds")
    join.add_argument("--status-every", type=float, default=2.0, help=argparse.SUPPRESS)
    join.add_argument("--keys", action="store_true", help="read p (ask for the floor) / r (withdraw) from stdin")
    check_cmd.add_argument("--seconds", type=float, default=6.0)
    check_cmd.add_argument("--json", action="store_true")
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    logging.basicConfig(
        level=logging.INFO if args.verbose else logging.WARNING,
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
    )
    if not args.token:
        print("Thiếu mã thiết bị (--token hoặc ROOM_CLIENT_TOKEN).", file=sys.stderr)
        return 2
    try:
        if args.command == "check":
            result = asyncio.run(check(args))
            return 0 if result["verdict"] != "not_enough" else 1
        return asyncio.run(_join(args))
    except SourceError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    except MediaRefused as exc:
        print(exc.message or exc.code, file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        return 130


async def _join(args: argparse.Namespace) -> int:
    client = RoomClient(args)
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError):
            loop.add_signal_handler(sig, client.stopping.set)
    keys = None
    if args.keys:
        lines = asyncio.StreamReader()
        await loop.connect_read_pipe(lambda: asyncio.StreamReaderProtocol(lines), sys.stdin)
        keys = asyncio.create_task(client._keys_forever(lines))
    try:
        await client.run()
    finally:
        if keys is not None:
            keys.cancel()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
