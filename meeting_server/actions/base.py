"""Action registry and the transaction every change goes through."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ..config import Settings
from ..domain.actors import Actor
from ..domain.meetings import Event, MeetingState, Members, members, require
from ..errors import AppError
from ..storage import meetings as meeting_store
from ..storage import security
from ..storage.db import Database
from ..storage.models import MeetingRow
from ..vocabulary import (
    GLOBAL_PERMISSION_NAMES,
    MEETING_PERMISSION_NAMES,
    GlobalPermission,
    MeetingPermission,
    MeetingRole,
    Permission,
)

log = logging.getLogger(__name__)

# What an action may require (vocabulary's permissions): global ones are checked before the transaction, meeting
# ones once the meeting is loaded and locked.
PERMISSIONS: tuple[Permission, ...] = (*GLOBAL_PERMISSION_NAMES, *MEETING_PERMISSION_NAMES)


class Notifier(Protocol):
    """What the live channel offers actions: called only after a commit."""

    async def publish(self, meeting_id: str, entries: list[dict[str, Any]]) -> None: ...

    async def revoke(
        self, *, user_id: str | None = None, site_id: str | None = None, session_id: str | None = None, reason: str
    ) -> None: ...

    async def meetings_changed(self, meeting_id: str, who: Members) -> None: ...

    async def account_changed(self, user_id: str) -> None:
        """The person's roles or unit changed: their open sockets follow (rooms of the meetings they are in)."""


class NullNotifier:
    async def publish(self, meeting_id: str, entries: list[dict[str, Any]]) -> None:
        return None

    async def revoke(
        self, *, user_id: str | None = None, site_id: str | None = None, session_id: str | None = None, reason: str
    ) -> None:
        return None

    async def meetings_changed(self, meeting_id: str, who: Members) -> None:
        return None

    async def account_changed(self, user_id: str) -> None:
        return None


class MediaFacts(Protocol):
    """Live facts the media layer knows and a decision may need (who is connected now)."""

    def connected(self, meeting_id: str) -> frozenset[str]: ...


class NoMedia:
    def connected(self, meeting_id: str) -> frozenset[str]:
        return frozenset()


@dataclass
class Services:
    db: Database
    settings: Settings
    notifier: Notifier = field(default_factory=NullNotifier)
    media: MediaFacts = field(default_factory=NoMedia)


def build_services(settings: Settings, database: Database | None = None) -> Services:
    """The services a server process runs on: its settings and its database (opened from the settings' URL
    unless given)."""
    return Services(db=database or Database(settings.resolved_database_url), settings=settings)


class Schema(BaseModel):
    """Input of an action: unknown fields and wrong types are errors, never silently dropped or coerced."""

    model_config = ConfigDict(extra="forbid", strict=True, str_strip_whitespace=True)


@dataclass
class Context:
    """What every action's handler gets: who acts, the open transaction, and what to do after it commits."""

    services: Services
    actor: Actor
    session: AsyncSession
    ip: str = ""
    session_id: str | None = None  # the sign-in session the command came through, when it came through one
    _published: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    _after_commit: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def append(self, row: MeetingRow, before: MeetingState | None, events: list[Event]) -> MeetingState:
        """Append events to a meeting's log in this transaction; they are published after commit."""
        state, stored = await meeting_store.append_events(self.session, row, events, self.actor.id)
        if stored:
            self._published.append((row.id, stored))
        if any(e.type.startswith("meeting.") for e in events):
            # Lists of meetings ("my meetings") change for those who gain, keep or lose the meeting.
            who = members(state) | (members(before) if before is not None else Members())
            notifier, meeting_id = self.services.notifier, state.id

            async def tell() -> None:
                await notifier.meetings_changed(meeting_id, who)

            self.after_commit(tell)
        return state

    def after_commit(self, callback: Callable[[], Awaitable[None]]) -> None:
        self._after_commit.append(callback)

    async def audit(self, kind: str, target_id: str | None = None, **detail: Any) -> None:
        await security.add_audit(
            self.session, kind, actor_id=self.actor.id, target_id=target_id, ip=self.ip, detail=detail
        )


@dataclass(kw_only=True)
class MeetingContext(Context):
    """A meeting-scoped action's context: the meeting loaded (row locked for this transaction), typed, and the
    actor's part in it, already checked against the action's permission."""

    meeting_row: MeetingRow
    meeting: MeetingState
    role: MeetingRole

    async def record(self, events: list[Event]) -> MeetingState:
        """Append events to this meeting's log; `meeting` becomes the state after them."""
        self.meeting = await self.append(self.meeting_row, self.meeting, events)
        return self.meeting


S = TypeVar("S", bound=Schema)
Handler = Callable[[Any, Any], Awaitable[dict[str, Any]]]
GlobalHandler = Callable[[Context, S], Awaitable[dict[str, Any]]]
MeetingHandler = Callable[[MeetingContext, S], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class ActionSpec:
    name: str
    schema: type[Schema]
    permission: Permission
    handler: Handler
    summary: str
    secret_fields: tuple[str, ...] = ()  # left out of the answer kept for retries: never stored in clear

    def __post_init__(self) -> None:
        if self.permission not in PERMISSIONS:
            raise ValueError(f"action {self.name}: unknown permission {self.permission!r}")
        if self.meeting_scoped and "meeting_id" not in self.schema.model_fields:
            raise ValueError(f"action {self.name}: a meeting permission needs a meeting_id field")

    @property
    def meeting_permission(self) -> MeetingPermission | None:
        """The meeting permission this action needs, or None for an action outside any meeting."""
        return next((name for name in MEETING_PERMISSION_NAMES if name == self.permission), None)

    @property
    def meeting_scoped(self) -> bool:
        return self.meeting_permission is not None


REGISTRY: dict[str, ActionSpec] = {}


def _register(
    name: str, schema: type[Schema], permission: Permission, handler: Handler, secret_fields: tuple[str, ...]
) -> None:
    if name in REGISTRY:
        raise ValueError(f"action {name} registered twice")
    summary = (handler.__doc__ or name).strip().splitlines()[0]
    REGISTRY[name] = ActionSpec(name, schema, permission, handler, summary, secret_fields)


def action(
    name: str, schema: type[S], permission: GlobalPermission, secret_fields: tuple[str, ...] = ()
) -> Callable[[GlobalHandler[S]], GlobalHandler[S]]:
    """Register an action any actor holding a global permission may run (no meeting is loaded for it)."""

    def register(handler: GlobalHandler[S]) -> GlobalHandler[S]:
        _register(name, schema, permission, handler, secret_fields)
        return handler

    return register


def meeting_action(
    name: str, schema: type[S], permission: MeetingPermission
) -> Callable[[MeetingHandler[S]], MeetingHandler[S]]:
    """Register an action on one meeting (its schema names `meeting_id`): the handler gets a MeetingContext."""

    def register(handler: MeetingHandler[S]) -> MeetingHandler[S]:
        _register(name, schema, permission, handler, ())
        return handler

    return register


def describe_validation(exc: ValidationError) -> tuple[str, str]:
    """A short Vietnamese and English account of what is wrong, naming the fields."""
    vi_parts, en_parts = [], []
    for err in exc.errors()[:5]:
        loc = ".".join(str(x) for x in err["loc"]) or "(nội dung)"
        kind = err["type"]
        if kind == "extra_forbidden":
            vi, en = "trường không được phép", "unknown field"
        elif kind == "missing":
            vi, en = "thiếu trường bắt buộc", "required field missing"
        elif kind.endswith("_type") or kind in ("is_instance_of", "model_type"):
            vi, en = "sai kiểu dữ liệu", "wrong type"
        elif "too_long" in kind or "too_short" in kind:
            vi, en = "độ dài không hợp lệ", "wrong length"
        elif "greater" in kind or "less" in kind:
            vi, en = "giá trị ngoài khoảng cho phép", "value out of range"
        elif kind == "string_pattern_mismatch":
            vi, en = "định dạng không đúng", "wrong format"
        else:
            vi, en = "giá trị không hợp lệ", "invalid value"
        vi_parts.append(f"{loc}: {vi}")
        en_parts.append(f"{loc}: {en}")
    return "; ".join(vi_parts), "; ".join(en_parts)


def validate(schema: type[Schema], args: Any) -> Schema:
    if not isinstance(args, dict):
        raise AppError(
            "invalid_input", detail="nội dung phải là một đối tượng JSON", detail_en="the body must be a JSON object"
        )
    try:
        return schema.model_validate(args)
    except ValidationError as exc:
        vi, en = describe_validation(exc)
        raise AppError("invalid_input", detail=vi, detail_en=en) from None


def _check_global(spec: ActionSpec, actor: Actor) -> None:
    if not spec.meeting_scoped and spec.permission not in actor.capabilities:
        raise AppError("forbidden")


async def _context(
    services: Services,
    actor: Actor,
    session: AsyncSession,
    ip: str,
    spec: ActionSpec,
    payload: Schema,
    session_id: str | None = None,
) -> Context:
    """A meeting-scoped action's meeting is loaded, locked and its permission checked before the handler runs."""
    permission = spec.meeting_permission
    if permission is None:
        return Context(services=services, actor=actor, session=session, ip=ip, session_id=session_id)
    row = await meeting_store.load(session, getattr(payload, "meeting_id", ""), for_update=True)
    state = meeting_store.state_of(row)
    role = require(actor, state, permission)
    return MeetingContext(
        services=services,
        actor=actor,
        session=session,
        ip=ip,
        session_id=session_id,
        meeting_row=row,
        meeting=state,
        role=role,
    )


def _replay(stored_action: str, result: dict[str, Any], name: str) -> dict[str, Any]:
    """The kept answer of a retried command; an id reused for another action is the client's bug, said so."""
    if stored_action != name:
        raise AppError(
            "invalid_input",
            detail=f"mã lệnh đã dùng cho thao tác {stored_action}",
            detail_en=f"the command id was already used for {stored_action}",
        )
    return dict(result)


async def run_action(
    services: Services,
    actor: Actor,
    name: str,
    args: Any,
    *,
    command_id: str | None = None,
    ip: str = "",
    session_id: str | None = None,
) -> dict[str, Any]:
    """Validate, authorise, apply in one transaction, then publish. Returns the action's result."""
    spec = REGISTRY.get(name)
    if spec is None:
        raise AppError("unknown_event", name=name)
    payload = validate(spec.schema, args)
    _check_global(spec, actor)
    actor_key = f"{actor.kind}:{actor.id}"
    try:
        async with services.db.write() as session:
            if command_id:
                previous = await security.stored_answer(session, actor_key, command_id)
                if previous is not None:
                    return _replay(previous.action, previous.result, name)
            ctx = await _context(services, actor, session, ip, spec, payload, session_id)
            result = await spec.handler(ctx, payload)
            if command_id:
                kept = {k: v for k, v in result.items() if k not in spec.secret_fields}
                await security.remember_answer(session, actor_key, command_id, name, kept)
    except IntegrityError:
        if command_id:
            # The same command raced itself (two nodes, or a retry while the first was in flight).
            async with services.db.read() as session:
                previous = await security.stored_answer(session, actor_key, command_id)
            if previous is not None:
                return _replay(previous.action, previous.result, name)
        raise AppError(
            "conflict", detail="dữ liệu trùng với bản ghi đã có", detail_en="it clashes with an existing record"
        ) from None
    for meeting_id_, entries in ctx._published:
        try:
            await services.notifier.publish(meeting_id_, entries)
        except Exception:  # the log is saved; clients will catch up on their next sync
            log.exception("publishing events of %s failed", meeting_id_)
    for callback in ctx._after_commit:
        try:
            await callback()
        except Exception:
            log.exception("after-commit step of %s failed", name)
    return result
