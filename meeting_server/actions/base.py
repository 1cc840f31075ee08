"""Action registry and the transaction every change goes through."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ..config import Settings
from ..domain.actors import Actor
from ..domain.meetings import Event, MeetingState, Members, members, require_organizer, require_visible
from ..errors import AppError
from ..storage import meetings as meeting_store
from ..storage import security
from ..storage.db import Database
from ..storage.models import MeetingRow

log = logging.getLogger(__name__)

# Permission names, checked before the handler runs (meeting ones after loading the meeting).
PERMISSIONS = ("admin", "organize", "meeting_organizer", "meeting_visible", "signed_in")


class Notifier(Protocol):
    """What the live channel offers actions: called only after a commit."""

    async def publish(self, meeting_id: str, entries: list[dict[str, Any]]) -> None: ...

    async def revoke(
        self, *, user_id: str | None = None, site_id: str | None = None, session_id: str | None = None, reason: str
    ) -> None: ...

    async def meetings_changed(self, meeting_id: str, who: Members) -> None: ...


class NullNotifier:
    async def publish(self, meeting_id: str, entries: list[dict[str, Any]]) -> None:
        return None

    async def revoke(
        self, *, user_id: str | None = None, site_id: str | None = None, session_id: str | None = None, reason: str
    ) -> None:
        return None

    async def meetings_changed(self, meeting_id: str, who: Members) -> None:
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
    services: Services
    actor: Actor
    session: AsyncSession
    ip: str = ""
    meeting_row: MeetingRow | None = None
    meeting: MeetingState | None = None
    meeting_role: str | None = None
    _published: list[tuple[str, list[dict[str, Any]]]] = field(default_factory=list)
    _after_commit: list[Callable[[], Awaitable[None]]] = field(default_factory=list)

    async def record(self, events: list[Event]) -> MeetingState:
        """Append events to the loaded meeting's log in this transaction; they are published after commit."""
        assert self.meeting_row is not None, "record() needs a meeting-scoped action"
        before = self.meeting
        state, stored = await meeting_store.append_events(self.session, self.meeting_row, events, self.actor.id)
        self.meeting = state
        if stored:
            self._published.append((self.meeting_row.id, stored))
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


Handler = Callable[[Context, Any], Awaitable[dict[str, Any]]]


@dataclass(frozen=True)
class ActionSpec:
    name: str
    schema: type[Schema]
    permission: str
    handler: Handler
    summary: str
    secret_fields: tuple[str, ...] = ()  # left out of the answer kept for retries: never stored in clear

    def __post_init__(self) -> None:
        if self.permission not in PERMISSIONS:
            raise ValueError(f"action {self.name}: unknown permission {self.permission!r}")
        if self.permission.startswith("meeting_") and "meeting_id" not in self.schema.model_fields:
            raise ValueError(f"action {self.name}: a meeting permission needs a meeting_id field")


REGISTRY: dict[str, ActionSpec] = {}


def action(
    name: str, schema: type[Schema], permission: str, secret_fields: tuple[str, ...] = ()
) -> Callable[[Handler], Handler]:
    def register(handler: Handler) -> Handler:
        if name in REGISTRY:
            raise ValueError(f"action {name} registered twice")
        summary = (handler.__doc__ or name).strip().splitlines()[0]
        REGISTRY[name] = ActionSpec(name, schema, permission, handler, summary, secret_fields)
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
    if spec.permission == "admin" and not actor.is_admin:
        raise AppError("forbidden")
    if spec.permission == "organize" and not actor.can_organize_meetings:
        raise AppError("forbidden")
    if spec.permission == "signed_in" and actor.kind != "user":
        raise AppError("forbidden")


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
            ctx = Context(services=services, actor=actor, session=session, ip=ip)
            meeting_id = getattr(payload, "meeting_id", None)
            if spec.permission.startswith("meeting_") and meeting_id:
                ctx.meeting_row = await meeting_store.load(session, meeting_id, for_update=True)
                ctx.meeting = meeting_store.state_of(ctx.meeting_row)
                if spec.permission == "meeting_organizer":
                    ctx.meeting_role = require_organizer(actor, ctx.meeting)
                else:
                    ctx.meeting_role = require_visible(actor, ctx.meeting)
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
