"""socket.io server: authenticates sockets, joins them to meetings, runs their commands through actions,
and delivers committed events to the rooms of their audience."""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from http.cookies import SimpleCookie
from typing import Any

import socketio
from pydantic import BaseModel, ValidationError

from .. import protocol as p
from ..actions import run_action
from ..actions.base import Services, describe_validation
from ..auth import COOKIE, Authenticator, Identity, forwarded_ip
from ..domain.actors import Actor
from ..domain.meetings import Members, seat
from ..errors import AppError, pick_lang
from ..inputs import MAX_JSON_DEPTH
from ..media.sfu import SFU
from ..storage.meetings import load as load_meeting
from ..storage.meetings import public_event, state_of
from ..views.meetings import catch_up, visible_meeting
from ..vocabulary import AUDITED_REFUSALS
from .fanout import INTERNAL_EVENT, LocalManager, RedisManager, install_fast_poll
from .packets import MALFORMED, TOO_COMPLEX, UNREADABLE, PacketJson
from .presence import Presence

log = logging.getLogger(__name__)

ENGINE_MAX_MESSAGE = 4 * 1024 * 1024


def meeting_room(meeting_id: str, role: str | None = None) -> str:
    return f"m:{meeting_id}" if role is None else f"m:{meeting_id}:r:{role}"


def user_room(user_id: str) -> str:
    return f"u:{user_id}"


def site_room(site_id: str) -> str:
    return f"s:{site_id}"


def session_room(session_id: str) -> str:
    return f"sess:{session_id}"


def unit_room(unit_id: str) -> str:
    return f"un:{unit_id}"


@dataclass
class Connection:
    identity: Identity
    lang: str
    meetings: dict[str, str] = field(default_factory=dict)  # meeting_id -> role


def same_origin(origin: str, environ: dict[str, Any], allowed: tuple[str, ...]) -> bool:
    if origin in allowed:
        return True
    host = environ.get("HTTP_HOST", "")
    forwarded = environ.get("HTTP_X_FORWARDED_PROTO", "")
    scheme = forwarded or environ.get("wsgi.url_scheme", "http")
    return origin in (f"{scheme}://{host}", f"http://{host}", f"https://{host}") and bool(host)


class Hub:
    def __init__(self, services: Services, auth: Authenticator) -> None:
        self.services = services
        self.auth = auth
        settings = services.settings
        manager = RedisManager(settings.redis_url) if settings.redis_url else LocalManager()
        manager.on_internal = self._on_internal
        install_fast_poll()
        self.sio = socketio.AsyncServer(
            async_mode="aiohttp",
            cors_allowed_origins=[],  # the Origin is checked in connect(), with a clear error
            max_http_buffer_size=ENGINE_MAX_MESSAGE,
            client_manager=manager,
            ping_interval=20,
            ping_timeout=20,
            json=PacketJson,  # an unreadable payload is answered with an error, not dropped (packets.py)
        )
        self.presence = Presence()
        self.presence_delay = 0.3  # seconds of presence changes gathered into one message
        self._presence_flushes: dict[str, asyncio.TimerHandle] = {}
        self.connections: dict[str, Connection] = {}
        self.media = SFU(settings, self._emit_to, recorder_factory=_make_recorder)
        services.media = self.media
        self.sio.on("connect", self._connect)
        self.sio.on("disconnect", self._disconnect)
        self._handlers: dict[str, Callable[[str, Connection, Any], Awaitable[dict[str, Any]]]] = {
            p.JOIN: self._join,
            p.SYNC: self._sync,
            p.LEAVE: self._leave,
            p.COMMAND: self._command,
            p.PING: self._ping,
            p.MEDIA_JOIN: self._media_join,
            p.MEDIA_LEAVE: self._media_leave,
            p.MEDIA_PROBE: self._media_probe,
        }
        for name in self._handlers:
            self.sio.on(name, self._dispatcher(name))
        self.sio.on("*", self._unknown)

    @property
    def registered_events(self) -> list[str]:
        return sorted(self._handlers)

    # ---- connection -----------------------------------------------------------------------------------

    async def _connect(self, sid: str, environ: dict[str, Any], auth: Any = None) -> None:
        lang = pick_lang(_query_lang(environ), environ.get("HTTP_ACCEPT_LANGUAGE"))
        origin = environ.get("HTTP_ORIGIN")
        if origin and not same_origin(origin, environ, self.services.settings.allowed_origins):
            log.warning("refused socket from origin %s", origin)
            raise _refusal(AppError("origin_refused", origin=origin), lang)
        identity: Identity | None = None
        token = auth.get("token") if isinstance(auth, dict) else None
        if isinstance(token, str):
            identity = await self.auth.from_token(token)
        else:
            cookie = SimpleCookie(environ.get("HTTP_COOKIE", ""))
            value = cookie[COOKIE].value if COOKIE in cookie else None
            identity = await self.auth.from_cookie(value)
        if identity is None:
            raise _refusal(AppError("unauthenticated"), lang)
        if identity.actor.kind == "user":
            lang = pick_lang(_query_lang(environ), identity.actor.lang)
        self.connections[sid] = Connection(identity, lang)
        actor = identity.actor
        await self.sio.enter_room(sid, user_room(actor.id) if actor.kind == "user" else site_room(actor.id))
        if actor.kind == "user" and actor.unit_id:
            await self.sio.enter_room(sid, unit_room(actor.unit_id))
        if identity.session_id:
            await self.sio.enter_room(sid, session_room(identity.session_id))

    async def _disconnect(self, sid: str, *_: Any) -> None:
        conn = self.connections.pop(sid, None)
        if conn is None:
            return
        try:
            await self.media.disconnect(sid)
        except Exception:
            log.exception("closing the media of %s failed", sid)
        for meeting_id in list(conn.meetings):
            self._leave_presence(conn, meeting_id)

    # ---- dispatch -------------------------------------------------------------------------------------

    def _dispatcher(self, name: str) -> Callable[..., Awaitable[dict[str, Any]]]:
        handler = self._handlers[name]
        schema: type[BaseModel] = p.CLIENT_PAYLOADS[name]

        async def dispatch(sid: str, data: Any = None, *extra: Any) -> dict[str, Any]:
            conn = self.connections.get(sid)
            lang = conn.lang if conn else "vi"
            try:
                if conn is None:
                    raise AppError("unauthenticated")
                size = len(json.dumps(data, ensure_ascii=False).encode()) if data is not None else 0
                limit = self.services.settings.max_socket_message_bytes
                if size > limit:
                    raise AppError("payload_too_large", limit=limit)
                try:
                    payload = schema.model_validate(data if data is not None else {})
                except ValidationError as exc:
                    vi, en = describe_validation(exc)
                    raise AppError("invalid_input", detail=vi, detail_en=en) from None
                return await handler(sid, conn, payload)
            except AppError as err:
                if conn is not None and err.code in AUDITED_REFUSALS:
                    await self._audit_refusal(sid, conn, err, name, data)
                return err.to_dict(lang)
            except Exception:
                log.exception("socket event %s failed", name)
                return AppError("internal_error").to_dict(lang)

        return dispatch

    def _ip(self, sid: str) -> str:
        environ = self.sio.get_environ(sid) or {}
        return forwarded_ip(
            environ.get("HTTP_X_FORWARDED_FOR", ""), environ.get("REMOTE_ADDR", ""), self.services.settings.trust_proxy
        )

    async def _audit_refusal(self, sid: str, conn: Connection, err: AppError, event: str, data: Any) -> None:
        """A socket command refused for want of a permission (or a rate limit) is a security event, as over REST."""
        where = {"event": event}
        if isinstance(data, dict) and isinstance(data.get("action"), str):
            where["action"] = data["action"][:80]
        try:
            await self.auth.refused(err.code, actor_id=conn.identity.actor.id, ip=self._ip(sid), where=where)
        except Exception:  # the refusal is answered whatever became of its audit row
            log.exception("auditing a refused socket %s failed", event)

    async def _unknown(self, event: str, sid: str, *args: Any) -> dict[str, Any]:
        conn = self.connections.get(sid)
        if event == MALFORMED:  # its JSON could not be read (packets.py): the code comes as its argument
            code = TOO_COMPLEX if args and args[0] == TOO_COMPLEX else UNREADABLE
            return AppError(code, limit=MAX_JSON_DEPTH).to_dict(conn.lang if conn else "vi")
        return AppError("unknown_event", name=str(event)[:64]).to_dict(conn.lang if conn else "vi")

    async def _current(self, sid: str, conn: Connection) -> Actor:
        """Who is behind the socket now: the account (or site) read again, so a command runs with the roles the
        person holds at this moment, not those they connected with."""
        fresh = await self.auth.current(conn.identity)
        if fresh is None:
            raise AppError("unauthenticated")
        before, conn.identity = conn.identity.actor, fresh
        if fresh.actor != before:
            await self._follow_actor(sid, conn, before)
        return fresh.actor

    async def _follow_actor(self, sid: str, conn: Connection, before: Actor) -> None:
        """The account changed under an open socket (roles, unit): its rooms follow at once."""
        actor = conn.identity.actor
        if actor.kind == "user" and actor.unit_id != before.unit_id:
            if before.unit_id:
                await self.sio.leave_room(sid, unit_room(before.unit_id))
            if actor.unit_id:
                await self.sio.enter_room(sid, unit_room(actor.unit_id))
        for meeting_id in list(conn.meetings):
            await self._recheck(sid, conn, meeting_id)

    async def _recheck(self, sid: str, conn: Connection, meeting_id: str, state: Any = None) -> None:
        """Put the socket in the rooms its current part in the meeting gives it: another role's room when that
        changed, none when the meeting is no longer theirs (taken off it, secretary replaced, demoted)."""
        previous = conn.meetings.get(meeting_id)
        if previous is None:
            return
        if state is None:
            async with self.services.db.read() as session:
                state = state_of(await load_meeting(session, meeting_id))
        role = seat(conn.identity.actor, state)
        if role == previous:
            return
        await self.sio.leave_room(sid, meeting_room(meeting_id, previous))
        self._leave_presence(conn, meeting_id)
        if role is None:
            await self.sio.leave_room(sid, meeting_room(meeting_id))
            await self.media.leave(sid, meeting_id, "not_invited")  # nor hear or see the conference any more
            return
        await self.sio.enter_room(sid, meeting_room(meeting_id, role))
        actor = conn.identity.actor
        self.presence.join(meeting_id, actor.kind, actor.id, actor.name, role)
        conn.meetings[meeting_id] = role

    async def _on_internal(self, message: Any) -> None:
        """A change made on some node (see fanout.INTERNAL_EVENT), applied to this node's sockets."""
        kind = message.get("kind") if isinstance(message, dict) else None
        try:
            if kind == "meeting":
                await self._recheck_meeting(str(message["meeting_id"]))
            elif kind == "account":
                await self._refresh_room(user_room(str(message["user_id"])))
            elif kind == "revoke":
                await self._disconnect_room(str(message["room"]), str(message["reason"]))
        except Exception:  # one node's failure must not stop the others' (nor the action that asked)
            log.exception("applying %s on this node failed", kind)

    def _local(self, room: str) -> list[str]:
        return [sid for sid, _ in self.sio.manager.get_participants("/", room) if sid in self.connections]

    async def _recheck_meeting(self, meeting_id: str) -> None:
        sids = [sid for sid, conn in self.connections.items() if meeting_id in conn.meetings]
        if not sids:
            return
        async with self.services.db.read() as session:
            state = state_of(await load_meeting(session, meeting_id))
        for sid in sids:
            conn = self.connections.get(sid)
            if conn is not None:
                await self._recheck(sid, conn, meeting_id, state)

    async def _refresh_room(self, room: str) -> None:
        for sid in self._local(room):
            conn = self.connections.get(sid)
            if conn is None:
                continue
            try:
                await self._current(sid, conn)
            except AppError:  # no longer valid: the revocation that made it so closes the socket
                continue

    async def _disconnect_room(self, room: str, reason: str) -> None:
        for sid in self._local(room):
            await self.sio.emit(p.REVOKED, {"reason": reason}, to=sid, ignore_queue=True)
            await self.sio.disconnect(sid, ignore_queue=True)

    # ---- events ---------------------------------------------------------------------------------------

    async def _join(self, sid: str, conn: Connection, payload: p.JoinPayload) -> dict[str, Any]:
        actor = await self._current(sid, conn)
        answer, role = await catch_up(self.services, actor, payload.meeting_id, payload.after_seq)
        previous = conn.meetings.get(payload.meeting_id)
        if previous is not None and previous != role:
            await self.sio.leave_room(sid, meeting_room(payload.meeting_id, previous))
        await self.sio.enter_room(sid, meeting_room(payload.meeting_id))
        await self.sio.enter_room(sid, meeting_room(payload.meeting_id, role))
        if previous is None:
            self.presence.join(payload.meeting_id, actor.kind, actor.id, actor.name, role)
            self._schedule_presence(payload.meeting_id)
        conn.meetings[payload.meeting_id] = role
        return {"ok": True, **answer, "presence": self.presence.online(payload.meeting_id)}

    async def _sync(self, sid: str, conn: Connection, payload: p.SyncPayload) -> dict[str, Any]:
        actor = await self._current(sid, conn)
        answer, _ = await catch_up(self.services, actor, payload.meeting_id, payload.after_seq)
        return {"ok": True, **answer}

    async def _leave(self, sid: str, conn: Connection, payload: p.LeavePayload) -> dict[str, Any]:
        role = conn.meetings.get(payload.meeting_id)
        if role is not None:
            await self.sio.leave_room(sid, meeting_room(payload.meeting_id))
            await self.sio.leave_room(sid, meeting_room(payload.meeting_id, role))
            self._leave_presence(conn, payload.meeting_id)
        return {"ok": True}

    async def _command(self, sid: str, conn: Connection, payload: p.CommandPayload) -> dict[str, Any]:
        actor = await self._current(sid, conn)
        ip = self._ip(sid)
        result = await run_action(
            self.services,
            actor,
            payload.action,
            payload.args,
            command_id=payload.command_id,
            ip=ip,
            session_id=conn.identity.session_id,
        )
        return {"ok": True, "result": result}

    async def _ping(self, sid: str, conn: Connection, payload: p.PingPayload) -> dict[str, Any]:
        return {"ok": True, "time": datetime.now(UTC).isoformat()}

    # ---- media signalling (the SFU answers offers; see docs/media.md) -------------------------------------

    async def _media_join(self, sid: str, conn: Connection, payload: p.MediaJoinPayload) -> dict[str, Any]:
        actor = await self._current(sid, conn)
        state, role = await visible_meeting(self.services, actor, payload.meeting_id)
        answer = await self.media.join(actor, sid, state, role, payload)
        fresh, _ = await visible_meeting(self.services, actor, payload.meeting_id)
        await self.media.catch_up(fresh)
        return {"ok": True, **answer}

    async def _media_probe(self, sid: str, conn: Connection, payload: p.MediaProbePayload) -> dict[str, Any]:
        actor = await self._current(sid, conn)
        return {"ok": True, **await self.media.probe(actor, sid, payload)}

    async def _media_leave(self, sid: str, conn: Connection, payload: p.MediaLeavePayload) -> dict[str, Any]:
        await self.media.leave(sid, payload.meeting_id)
        return {"ok": True}

    async def _emit_to(self, event: str, data: dict[str, Any], sid: str) -> None:
        await self.sio.emit(event, data, to=sid)

    # ---- presence -------------------------------------------------------------------------------------

    def _leave_presence(self, conn: Connection, meeting_id: str) -> None:
        conn.meetings.pop(meeting_id, None)
        actor = conn.identity.actor
        self.presence.leave(meeting_id, actor.kind, actor.id)
        self._schedule_presence(meeting_id)

    def _schedule_presence(self, meeting_id: str) -> None:
        if meeting_id not in self._presence_flushes:
            self._presence_flushes[meeting_id] = asyncio.get_running_loop().call_later(
                self.presence_delay, lambda: asyncio.ensure_future(self._flush_presence(meeting_id))
            )

    async def _flush_presence(self, meeting_id: str) -> None:
        self._presence_flushes.pop(meeting_id, None)
        changes = self.presence.take_changes(meeting_id)
        if changes is not None:
            await self.sio.emit(p.PRESENCE, {"meeting_id": meeting_id, **changes}, room=meeting_room(meeting_id))

    # ---- Notifier: called by actions after commit ---------------------------------------------------------

    async def publish(self, meeting_id: str, entries: list[dict[str, Any]]) -> None:
        """Send each event to its audience, then tell the whole meeting which numbers went to some only.

        Without that notice a delegate would take every private annotation of someone else for a hole and ask
        the log (`meeting:sync`) on the next event it does receive: 200 tablets syncing on each page turn. The
        notice goes after the events, on the same sockets, so anyone who was to receive event N has it first."""
        private = [entry["seq"] for entry in entries if entry["audience"]["kind"] != "all"]
        if any(entry["type"].startswith("meeting.") for entry in entries):
            # Who is in the meeting may have changed: sockets move rooms on every node before these events go.
            await self.sio.emit(INTERNAL_EVENT, {"kind": "meeting", "meeting_id": meeting_id})
        for entry in entries:
            audience = entry["audience"]
            message = public_event(entry)
            if audience["kind"] == "all":
                await self.sio.emit(p.EVENT, message, room=meeting_room(meeting_id))
            elif audience["kind"] in ("roles", "people"):
                rooms = [meeting_room(meeting_id, role) for role in audience["roles"]] + [
                    user_room(user_id) for user_id in audience.get("user_ids") or ()
                ]
                if rooms:
                    await self.sio.emit(p.EVENT, message, room=rooms)
            else:
                await self.sio.emit(p.EVENT, message, room=user_room(audience["user_id"]))
        if private:
            await self.sio.emit(p.SEQ, {"meeting_id": meeting_id, "seqs": private}, room=meeting_room(meeting_id))
        try:
            await self.media.on_events(meeting_id, entries)
        except Exception:  # the log is saved and sent; the media room catches up with the next event
            log.exception("media room of %s could not apply events", meeting_id)

    async def meetings_changed(self, meeting_id: str, who: Members) -> None:
        rooms = (
            [user_room(u) for u in sorted(who.users)]
            + [unit_room(u) for u in sorted(who.units)]
            + [site_room(s) for s in sorted(who.sites)]
        )
        if rooms:
            await self.sio.emit(p.MEETINGS_CHANGED, {"meeting_id": meeting_id}, room=rooms)

    async def notices_changed(self, user_ids: list[str]) -> None:
        if user_ids:
            await self.sio.emit(p.NOTICES_CHANGED, {}, room=[user_room(u) for u in user_ids])

    async def account_changed(self, user_id: str) -> None:
        await self.sio.emit(INTERNAL_EVENT, {"kind": "account", "user_id": user_id})

    async def sweep(self) -> int:
        """Disconnect sockets whose session, account or device token is no longer valid. Revocations made
        through `revoke` act at once on every node; this catches sessions that expired or ended otherwise."""
        sids = list(self.connections)
        identities = [self.connections[sid].identity for sid in sids]
        if not identities:
            return 0
        bad = await self.auth.invalid_among(identities)
        for index in bad:
            await self.sio.emit(p.REVOKED, {"reason": "expired"}, to=sids[index])
            await self.sio.disconnect(sids[index])
        return len(bad)

    async def sweep_forever(self, every: float) -> None:
        while True:
            await asyncio.sleep(every)
            try:
                await self.sweep()
            except Exception:
                log.exception("socket sweep failed")

    async def close_all(self) -> None:
        """On shutdown, close every socket at once, so clients reconnect to the next process immediately
        instead of talking to one that no longer serves them."""
        for handle in self._presence_flushes.values():
            handle.cancel()
        self._presence_flushes.clear()
        await self.media.close()
        for sid in list(self.connections):
            await self.sio.disconnect(sid)
        await self.sio.shutdown()  # stops engine.io's ping/timeout service task

    async def revoke(
        self, *, user_id: str | None = None, site_id: str | None = None, session_id: str | None = None, reason: str
    ) -> None:
        if session_id:
            room = session_room(session_id)
        elif user_id:
            room = user_room(user_id)
        elif site_id:
            room = site_room(site_id)
        else:
            return
        await self.sio.emit(INTERNAL_EVENT, {"kind": "revoke", "room": room, "reason": reason})


def _make_recorder(directory: Any, label: str) -> Any:
    from ..media.recording import StreamRecorder  # noqa: PLC0415  (PyAV's muxer, loaded when first needed)

    return StreamRecorder(directory, label)


def _refusal(err: AppError, lang: str) -> socketio.exceptions.ConnectionRefusedError:
    """socket.io carries a refusal as {message, data}; data holds the one error shape."""
    return socketio.exceptions.ConnectionRefusedError(err.message(lang), err.to_dict(lang))


def _query_lang(environ: dict[str, Any]) -> str | None:
    for part in environ.get("QUERY_STRING", "").split("&"):
        if part.startswith("lang="):
            return part[5:]
    return None
