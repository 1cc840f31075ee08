"""A meeting's live event feed that survives drops and server restarts without losing or repeating anything.

python-socketio delivers at most once and forgets everything across a reconnect, so the feed keeps the last
sequence number it applied and, on every (re)connect and on any hole in the numbers, asks the server for what
came after it. The state it holds is the meeting snapshot with every event's patch merged in.
"""

from __future__ import annotations

import asyncio
import logging
import uuid
from collections.abc import Callable
from typing import Any

import aiohttp
import socketio
from yarl import URL

from meeting_server import protocol as p

log = logging.getLogger(__name__)

EventCallback = Callable[[dict[str, Any]], None]


class CommandError(Exception):
    def __init__(self, error: dict[str, str]) -> None:
        super().__init__(f"{error.get('code')}: {error.get('message')}")
        self.code = error.get("code", "")
        self.message = error.get("message", "")


class MeetingFeed:
    def __init__(
        self,
        server_url: str,
        meeting_id: str,
        *,
        cookie: str | None = None,
        token: str | None = None,
        origin: str | None = None,
        on_event: EventCallback | None = None,
        reconnection_delay: float = 0.5,
        transports: list[str] | None = None,
    ) -> None:
        self.server_url = server_url.rstrip("/")
        self.meeting_id = meeting_id
        self.cookie = cookie
        self.token = token
        self.origin = origin
        self.on_event = on_event
        self.transports = transports or ["websocket"]
        self.snapshot: dict[str, Any] = {}
        self.last_seq = 0
        self.applied: list[int] = []  # every seq applied, in order: lets tests prove no gap and no repeat
        self.presence: list[dict[str, Any]] = []
        self.joined = asyncio.Event()
        self.revoked: str | None = None
        self.refused: Any = None  # the server's reason when it refused the connection
        self._sync_lock = asyncio.Lock()
        self._early: list[dict[str, Any]] = []  # events that arrived before the join answer
        self._skipped: set[int] = set()  # numbers of events meant for others (meeting:seq), not holes
        self.sio = socketio.AsyncClient(
            reconnection=True,
            reconnection_delay=reconnection_delay,
            reconnection_delay_max=5,
            randomization_factor=0.3,
            http_session=self._http_session,
        )
        self.sio.on("connect", self._on_connect)
        self.sio.on("disconnect", self._on_disconnect)
        self.sio.on(p.EVENT, self._on_event)
        self.sio.on(p.SEQ, self._on_seq)
        self.sio.on(p.PRESENCE, self._on_presence)
        self.sio.on(p.REVOKED, self._on_revoked)
        self.sio.on("connect_error", self._on_connect_error)

    async def connect(self, timeout: float = 10.0) -> None:
        headers: dict[str, str] = {}
        if self.origin:
            headers["Origin"] = self.origin
        auth = {"token": self.token} if self.token else None
        await self.sio.connect(
            self.server_url,
            headers=headers,
            auth=auth,
            transports=self.transports,
            socketio_path=p.SOCKETIO_PATH,
            wait_timeout=timeout,
        )
        await asyncio.wait_for(self.joined.wait(), timeout)

    def _http_session(self) -> aiohttp.ClientSession:
        """A fresh HTTP session for every (re)connect, carrying the session cookie.

        Passing the cookie as a header works only once: the engine.io client moves it into its cookie jar and
        deletes it from the headers it keeps for reconnecting, and the default jar ignores IP-address hosts.
        """
        jar = aiohttp.CookieJar(unsafe=True)
        if self.cookie:
            name, _, value = self.cookie.partition("=")
            jar.update_cookies({name.strip(): value.strip()}, URL(self.server_url))
        return aiohttp.ClientSession(cookie_jar=jar)

    async def close(self) -> None:
        await self.sio.disconnect()

    # ---- commands -------------------------------------------------------------------------------------

    async def command(
        self, action: str, args: dict[str, Any], command_id: str | None = None, timeout: float = 10.0
    ) -> dict[str, Any]:
        payload = {
            "command_id": command_id or f"c-{uuid.uuid4().hex}",
            "action": action,
            "args": {"meeting_id": self.meeting_id, **args},
        }
        answer = await self.sio.call(p.COMMAND, payload, timeout=timeout)
        if "error" in answer:
            raise CommandError(answer["error"])
        result: dict[str, Any] = answer["result"]
        return result

    async def call(self, event: str, payload: Any, timeout: float = 10.0) -> dict[str, Any]:
        answer: dict[str, Any] = await self.sio.call(event, payload, timeout=timeout)
        return answer

    # ---- catching up ----------------------------------------------------------------------------------

    async def _on_connect(self) -> None:
        asyncio.get_running_loop().create_task(self._rejoin())

    async def _rejoin(self) -> None:
        try:
            answer = await self.sio.call(
                p.JOIN, {"meeting_id": self.meeting_id, "after_seq": self.last_seq}, timeout=15
            )
        except Exception as exc:  # the reconnect loop will bring us back
            log.warning("join failed: %s", exc)
            return
        if "error" in answer:
            log.warning("join refused: %s", answer["error"])
            return
        self.presence = answer.get("presence", [])
        await self._take(answer)
        self.joined.set()
        early, self._early = self._early, []
        for event in early:
            await self._on_event(event)

    async def _on_connect_error(self, data: Any = None) -> None:
        self.refused = data.get("data", data) if isinstance(data, dict) else data

    async def _on_disconnect(self, *_: Any) -> None:
        self.joined.clear()

    async def _take(self, answer: dict[str, Any]) -> None:
        if "snapshot" in answer:
            self.snapshot = dict(answer["snapshot"])
            self.last_seq = int(answer["last_seq"])
            self.snapshot["last_seq"] = self.last_seq
            self.applied.append(-self.last_seq)  # a snapshot, marked negative
            return
        for event in answer.get("events", []):
            self._apply(event)
        self.last_seq = max(self.last_seq, int(answer.get("last_seq", self.last_seq)))

    def _apply(self, event: dict[str, Any]) -> None:
        if event["seq"] <= self.last_seq:
            return
        self.snapshot = p.apply_patch(self.snapshot, event)
        self.last_seq = int(event["seq"])
        self.applied.append(self.last_seq)
        if self.on_event:
            self.on_event(event)
        self._skip_ahead()

    def _skip_ahead(self) -> None:
        """Step over the numbers the server said were someone else's."""
        while self.last_seq + 1 in self._skipped:
            self.last_seq += 1
            self._skipped.discard(self.last_seq)
        self._skipped = {n for n in self._skipped if n > self.last_seq}
        self.snapshot["last_seq"] = self.last_seq

    async def _on_seq(self, message: dict[str, Any]) -> None:
        if message.get("meeting_id") != self.meeting_id or not self.joined.is_set():
            return
        self._skipped.update(int(n) for n in message.get("seqs", []) if int(n) > self.last_seq)
        self._skip_ahead()

    async def _on_event(self, event: dict[str, Any]) -> None:
        if event.get("meeting_id") != self.meeting_id:
            return
        if not self.joined.is_set():
            self._early.append(event)
            return
        self._skip_ahead()
        if event["seq"] == self.last_seq + 1:
            self._apply(event)
        elif event["seq"] > self.last_seq + 1:
            await self.sync()  # a hole: missed, or not ours to see; ask the log

    async def sync(self) -> None:
        async with self._sync_lock:
            answer = await self.sio.call(
                p.SYNC, {"meeting_id": self.meeting_id, "after_seq": self.last_seq}, timeout=15
            )
            if "error" not in answer:
                await self._take(answer)

    async def _on_presence(self, message: dict[str, Any]) -> None:
        if message.get("meeting_id") != self.meeting_id:
            return
        gone = {(e["kind"], e["id"]) for e in [*message.get("left", []), *message.get("online", [])]}
        kept = [e for e in self.presence if (e["kind"], e["id"]) not in gone]
        self.presence = kept + list(message.get("online", []))

    async def _on_revoked(self, message: dict[str, Any]) -> None:
        self.revoked = message.get("reason", "revoked")
        await self.sio.disconnect()
