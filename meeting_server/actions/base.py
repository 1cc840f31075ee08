"""Action registry and the transaction every change goes through."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any, Protocol, TypeVar, cast

from pydantic import BaseModel, ConfigDict, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from ..batching import Batcher
from ..config import Settings
from ..domain.actors import Actor
from ..domain.meetings import Event, MeetingState, Members, meeting_role, members, require, require_or_named
from ..errors import AppError, InvalidValue
from ..inputs import check_value
from ..signing.trust import Trust, trust_from_settings
from ..storage import meetings as meeting_store
from ..storage import security
from ..storage.db import Database
from ..storage.models import MeetingRow
from ..vocabulary import (
    ARCHIVED,
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

    async def notices_changed(self, user_ids: list[str]) -> None:
        """These people have new (or newly read) in-app notices: their screens fetch them again."""


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

    async def notices_changed(self, user_ids: list[str]) -> None:
        return None


class MailWaker(Protocol):
    """The mail sender as actions see it (mail/sender.py): told after a commit that mail is waiting."""

    def wake(self) -> None: ...


class NoMail:
    """No sender in this process (a CLI command, a test without one): the rows wait for the server's."""

    def wake(self) -> None:
        return None


class MediaFacts(Protocol):
    """Live facts the media layer knows and a decision may need (who is connected now)."""

    def connected(self, meeting_id: str) -> frozenset[str]: ...


class NoMedia:
    def connected(self, meeting_id: str) -> frozenset[str]:
        return frozenset()


class ProgrammeWaker(Protocol):
    """The programme composer as actions see it (programmes.py): told after `meeting.end` commits."""

    def meeting_ended(self, meeting_id: str) -> object: ...


class NoProgrammes:
    """No composer in this process (a CLI command, a test without one): `meeting-server programme` makes it."""

    def meeting_ended(self, meeting_id: str) -> object:
        return None


class DossierJobs(Protocol):
    """Who builds an archived meeting's dossier off the request path (archive/jobs.py): told after the commit."""

    def start(self, meeting_id: str) -> None: ...


class NoDossiers:
    """No builder in this process (a CLI command): `meeting-server dossier export` builds it when asked."""

    def start(self, meeting_id: str) -> None:
        return None


@dataclass
class Services:
    db: Database
    settings: Settings
    notifier: Notifier = field(default_factory=NullNotifier)
    media: MediaFacts = field(default_factory=NoMedia)
    mail: MailWaker = field(default_factory=NoMail)
    programmes: ProgrammeWaker = field(default_factory=NoProgrammes)  # the programme file after meeting.end
    trust: Trust = field(default_factory=Trust)  # whom signatures must chain to, and the TSA (signing/trust.py)
    dossiers: DossierJobs = field(default_factory=NoDossiers)  # builds an archived meeting's dossier


def build_services(settings: Settings, database: Database | None = None) -> Services:
    """The services a server process runs on: its settings, its database (opened from the settings' URL unless
    given) and the signing trust roots (MS_TRUST_ROOTS, read now: a broken file stops the server at start)."""
    return Services(
        db=database or Database(settings.resolved_database_url),
        settings=settings,
        trust=trust_from_settings(settings),
    )


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
        state, stored = await meeting_store.append_events(self.session, row, events, self.log_actor_id())
        if stored:
            self._published.append((row.id, stored))
        if any(e.type.startswith("meeting.") for e in events):
            # Lists of meetings ("my meetings") change for those who gain, keep or lose the meeting.
            who = members(state) | (members(before) if before is not None else Members())
            notifier, meeting_id = self.services.notifier, state.id

            async def tell() -> None:
                await notifier.meetings_changed(meeting_id, who)

            self.after_commit(tell)
        from .mail import queue_for  # mail builds on this module

        await queue_for(self, before, state, events)  # invitations and notices, in this transaction
        return state

    def after_commit(self, callback: Callable[[], Awaitable[None]]) -> None:
        self._after_commit.append(callback)

    def log_actor_id(self) -> str | None:
        """Who the log entries of this transaction name as their actor."""
        return self.actor.id

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
    role: MeetingRole | None  # None: no part in the meeting, named by the target (vocabulary.NAMED_PERMISSIONS)

    async def record(self, events: list[Event]) -> MeetingState:
        """Append events to this meeting's log; `meeting` becomes the state after them."""
        self.meeting = await self.append(self.meeting_row, self.meeting, events)
        return self.meeting


@dataclass(kw_only=True)
class GroupContext(MeetingContext):
    """The context of a group of commands applied in one transaction (see `Group`): `actor` is the first
    command's; the log entries name an actor only when every command of the group came from the same one."""

    actors: set[str] = field(default_factory=set)

    def log_actor_id(self) -> str | None:
        return next(iter(self.actors)) if len(self.actors) == 1 else None


G = TypeVar("G")


class Group(Protocol[G]):
    """How one action's concurrent commands on one meeting are applied together (a group commit): `begin` loads
    what they share once (in the transaction, the meeting locked), `add` applies one command in memory and
    answers it (an AppError refuses that command alone), `finish` writes what the group changed and records its
    log entries. Every command is answered after the commit; a retry is answered from its kept answer."""

    def key(self, payload: Any) -> str:
        """Commands with the same meeting and key are grouped (a ballot: its vote)."""
        ...

    async def begin(self, ctx: MeetingContext, payload: Any) -> G: ...

    async def add(self, ctx: MeetingContext, shared: G, actor: Actor, payload: Any) -> dict[str, Any]: ...

    async def finish(self, ctx: MeetingContext, shared: G) -> None: ...


S = TypeVar("S", bound=Schema)
Handler = Callable[[Any, Any], Awaitable[dict[str, Any]]]
GlobalHandler = Callable[[Context, S], Awaitable[dict[str, Any]]]
MeetingHandler = Callable[[MeetingContext, S], Awaitable[dict[str, Any]]]
# Whether the target of a command names its actor (a record's signature slot): vocabulary.NAMED_PERMISSIONS.
Named = Callable[[AsyncSession, Actor, Any], Awaitable[bool]]


@dataclass(frozen=True)
class ActionSpec:
    name: str
    schema: type[Schema]
    permission: Permission
    handler: Handler
    summary: str
    secret_fields: tuple[str, ...] = ()  # left out of the answer kept for retries: never stored in clear
    group: Group[Any] | None = None  # concurrent commands applied together in one transaction
    named: Named | None = None  # the target names the actor: a NAMED_PERMISSIONS permission is theirs

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
    name: str,
    schema: type[Schema],
    permission: Permission,
    handler: Handler,
    secret_fields: tuple[str, ...],
    group: Group[Any] | None = None,
    named: Named | None = None,
) -> None:
    if name in REGISTRY:
        raise ValueError(f"action {name} registered twice")
    summary = (handler.__doc__ or name).strip().splitlines()[0]
    REGISTRY[name] = ActionSpec(name, schema, permission, handler, summary, secret_fields, group, named)


def action(
    name: str, schema: type[S], permission: GlobalPermission, secret_fields: tuple[str, ...] = ()
) -> Callable[[GlobalHandler[S]], GlobalHandler[S]]:
    """Register an action any actor holding a global permission may run (no meeting is loaded for it)."""

    def register(handler: GlobalHandler[S]) -> GlobalHandler[S]:
        _register(name, schema, permission, handler, secret_fields)
        return handler

    return register


def meeting_action(
    name: str,
    schema: type[S],
    permission: MeetingPermission,
    group: Group[Any] | None = None,
    secret_fields: tuple[str, ...] = (),
    named: Named | None = None,
) -> Callable[[MeetingHandler[S]], MeetingHandler[S]]:
    """Register an action on one meeting (its schema names `meeting_id`): the handler gets a MeetingContext.
    With `group`, concurrent commands go through it together (the handler is then the group of one). With
    `named`, the person the command's target names holds a NAMED_PERMISSIONS permission whatever their part."""

    def register(handler: MeetingHandler[S]) -> MeetingHandler[S]:
        _register(name, schema, permission, handler, secret_fields, group, named)
        return handler

    return register


# What each input field is called in a sentence (lower case; a sentence's first word is capitalised).
FIELD_LABELS: dict[str, tuple[str, str]] = {
    "title": ("tiêu đề", "the title"),
    "email": ("địa chỉ thư điện tử", "the e-mail address"),
    "name": ("tên", "the name"),
    "full_name": ("họ và tên", "the full name"),
    "username": ("tên đăng nhập", "the username"),
    "password": ("mật khẩu", "the password"),
    "roles": ("vai trò", "the roles"),
    "unit_id": ("đơn vị", "the unit"),
    "parent_id": ("đơn vị cấp trên", "the parent unit"),
    "kind": ("loại đơn vị", "the kind of unit"),
    "code": ("mã đơn vị", "the unit code"),
    "division_type": ("loại đơn vị hành chính", "the division type"),
    "official_code": ("mã đơn vị hành chính", "the official code"),
    "province": ("tỉnh, thành phố", "the province"),
    "location": ("địa điểm", "the location"),
    "capacity": ("sức chứa", "the capacity"),
    "active": ("trạng thái hoạt động", "the active flag"),
    "lang": ("ngôn ngữ", "the language"),
    "description": ("nội dung mô tả", "the description"),
    "starts_at": ("thời gian bắt đầu", "the start time"),
    "ends_at": ("thời gian kết thúc", "the end time"),
    "main_site_id": ("điểm cầu chính", "the main site"),
    "site_ids": ("danh sách điểm cầu", "the list of sites"),
    "invitee_ids": ("danh sách người được mời", "the list of invitees"),
    "invited_unit_ids": ("danh sách đơn vị được mời", "the list of invited units"),
    "chair_id": ("người chủ trì", "the chair"),
    "secretary_id": ("thư ký", "the secretary"),
    "guest_ids": ("danh sách khách mời", "the list of guests"),
    "quorum_rule": ("điều kiện tiến hành", "the quorum rule"),
    "numerator": ("tử số của tỉ lệ", "the ratio's numerator"),
    "denominator": ("mẫu số của tỉ lệ", "the ratio's denominator"),
    "person_id": ("người được điểm danh", "the person"),
    "place": ("nơi có mặt", "the place"),
    "presenter_id": ("người trình bày", "the presenter"),
    "presenter_name": ("tên người trình bày", "the presenter's name"),
    "planned_minutes": ("thời lượng", "the planned minutes"),
    "position": ("vị trí trong chương trình", "the position in the agenda"),
    "item_ids": ("thứ tự nội dung", "the agenda order"),
    "reason": ("lý do", "the reason"),
    "meeting_id": ("mã cuộc họp", "the meeting id"),
    "item_id": ("mã nội dung họp", "the agenda item id"),
    "user_id": ("mã người dùng", "the user id"),
    "site_id": ("mã điểm cầu", "the site id"),
}

# Sentences for one field and one kind of error, where the general one would read badly.
FIELD_MESSAGES: dict[tuple[str, str], tuple[str, str]] = {
    ("roles", "too_short"): ("Người dùng phải có ít nhất một vai trò.", "A user needs at least one role."),
    ("username", "value_error"): (
        "Tên đăng nhập gồm 3–40 chữ thường không dấu, chữ số, dấu chấm, gạch ngang hoặc gạch dưới.",
        "A username is 3–40 lower-case letters, digits, dots, dashes or underscores.",
    ),
}

_TYPE_WORDS: dict[str, tuple[str, str]] = {
    "string_type": ("một chuỗi ký tự", "text"),
    "int_type": ("một số nguyên", "a whole number"),
    "int_parsing": ("một số nguyên", "a whole number"),
    "bool_type": ("đúng hoặc sai", "true or false"),
    "list_type": ("một danh sách", "a list"),
    "dict_type": ("một đối tượng", "an object"),
    "model_type": ("một đối tượng", "an object"),
}


def _cap(text: str) -> str:
    return text[:1].upper() + text[1:]


def _field_sentences(err: Any) -> tuple[str, str]:
    """One Vietnamese and one English sentence for one pydantic error, naming the field by its label."""
    loc = [x for x in err["loc"] if isinstance(x, str)]
    name = loc[-1] if loc else ""
    kind: str = err["type"]
    ctx = err.get("ctx") or {}
    if kind == "extra_forbidden":
        return f"Không có trường “{name}”.", f"There is no field “{name}”."
    base_kind = "too_short" if "too_short" in kind else "too_long" if "too_long" in kind else kind
    if (name, base_kind) in FIELD_MESSAGES:
        return FIELD_MESSAGES[(name, base_kind)]
    fallback = (f"trường “{name}”", f"the field “{name}”") if name else ("nội dung", "the body")
    vi_label, en_label = FIELD_LABELS.get(name, fallback)
    indexes = [x for x in err["loc"] if isinstance(x, int)]
    if indexes:
        vi_label += f" (mục thứ {indexes[-1] + 1})"
        en_label += f" (entry {indexes[-1] + 1})"
    vi_l, en_l = _cap(vi_label), _cap(en_label)
    is_text = isinstance(err.get("input"), str)
    if kind == "value_error" and isinstance(ctx.get("error"), InvalidValue):
        error: InvalidValue = ctx["error"]
        return error.vi.format(Label=vi_l), error.en.format(Label=en_l)
    if kind == "missing":
        return f"Thiếu {vi_label}.", f"{en_l} is missing."
    if base_kind == "too_short":
        least = ctx.get("min_length", 1)
        if is_text:
            if least <= 1:
                return f"{vi_l} không được để trống.", f"{en_l} must not be empty."
            return f"{vi_l} phải có ít nhất {least} ký tự.", f"{en_l} needs at least {least} characters."
        return f"{vi_l} cần ít nhất {least} mục.", f"{en_l} needs at least {least} entries."
    if base_kind == "too_long":
        most = ctx.get("max_length")
        if is_text:
            has = len(err["input"].strip())
            return (
                f"{vi_l} dài tối đa {most} ký tự (đang có {has} ký tự); hãy rút gọn.",
                f"{en_l} can be at most {most} characters long (it has {has}); please shorten it.",
            )
        return f"{vi_l} có tối đa {most} mục.", f"{en_l} can have at most {most} entries."
    for key, vi_word, en_word in (
        ("ge", "lớn hơn hoặc bằng", "at least"),
        ("gt", "lớn hơn", "more than"),
        ("le", "nhỏ hơn hoặc bằng", "at most"),
        ("lt", "nhỏ hơn", "less than"),
    ):
        if key in ctx:
            return f"{vi_l} phải {vi_word} {ctx[key]}.", f"{en_l} must be {en_word} {ctx[key]}."
    if kind == "string_pattern_mismatch":
        return f"{vi_l} không đúng định dạng.", f"{en_l} is not in the expected format."
    if kind in _TYPE_WORDS:
        vi_type, en_type = _TYPE_WORDS[kind]
        return f"{vi_l} phải là {vi_type}.", f"{en_l} must be {en_type}."
    if kind.endswith("_type") or kind == "is_instance_of":
        return f"{vi_l} sai kiểu dữ liệu.", f"{en_l} has the wrong type."
    if kind in ("literal_error", "enum"):
        expected = ctx.get("expected", "")
        return f"{vi_l} phải là một trong: {expected.replace(' or ', ' hoặc ')}.", f"{en_l} must be one of: {expected}."
    return f"{vi_l} không hợp lệ.", f"{en_l} is not valid."


def describe_validation(exc: ValidationError) -> tuple[str, str]:
    """What is wrong with the input, as Vietnamese and English sentences naming each field by its label
    ("Người dùng phải có ít nhất một vai trò.", "Tiêu đề dài tối đa 300 ký tự …")."""
    pairs = [_field_sentences(err) for err in exc.errors()[:5]]
    return " ".join(vi for vi, _ in pairs), " ".join(en for _, en in pairs)


def validate(schema: type[Schema], args: Any) -> Schema:
    if not isinstance(args, dict):
        raise AppError.invalid("Nội dung gửi lên phải là một đối tượng JSON.", "The body must be a JSON object.")
    check_value(args)  # no NUL in any text, nothing absurdly deep: refused the same on every database
    try:
        return schema.model_validate(args)
    except ValidationError as exc:
        vi, en = describe_validation(exc)
        raise AppError.invalid(vi, en) from None


def refuse_if_archived(state: MeetingState) -> None:
    """An archived meeting is sealed: every change to it is refused here, where every meeting-scoped change
    (an action, a group of commands, a server-driven step) loads it, after the permission check. Reads go
    through no action and still work; its dossier is built from what was saved (actions/dossier.py)."""
    if state.status == ARCHIVED:
        raise AppError("meeting_archived")


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
    named = spec.named is not None and await spec.named(session, actor, payload)
    role = require_or_named(actor, state, permission, named)
    refuse_if_archived(state)
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
    if spec.group is not None:
        return await _grouped(services, spec, _Pending(actor, payload, command_id, ip, session_id))
    actor_key = f"{actor.kind}:{actor.id}"
    try:
        async with services.db.write() as session:
            if command_id:
                previous = await security.stored_answer(session, actor_key, command_id)
                if previous is not None:
                    return _replay(previous.action, previous.result, name)
            ctx = await _context(services, actor, session, ip, spec, payload, session_id)
            if command_id and spec.meeting_scoped:
                # The same command may have committed while this one waited for the meeting's lock (PostgreSQL
                # reads what committed before each statement): its answer, not a second application.
                previous = await security.stored_answer(session, actor_key, command_id)
                if previous is not None:
                    return _replay(previous.action, previous.result, name)
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
        raise _clash() from None
    await _committed(services, ctx, name)
    return result


async def run_step(
    services: Services,
    actor: Actor,
    meeting_id: str,
    permission: MeetingPermission,
    name: str,
    step: Callable[[MeetingContext], Awaitable[dict[str, Any]]],
    named: Callable[[AsyncSession], Awaitable[bool]] | None = None,
) -> dict[str, Any]:
    """A server-driven change of one meeting that no client can send as a command, because it carries what the
    server made itself (a signature request's secret token, a signed PDF it has verified): the same lock,
    permission check, one transaction and publishing after commit as `run_action`, without the registry
    (`named`: as a registry action's)."""
    async with services.db.write() as session:
        row = await meeting_store.load(session, meeting_id, for_update=True)
        state = meeting_store.state_of(row)
        role = require_or_named(actor, state, permission, named is not None and await named(session))
        refuse_if_archived(state)
        ctx = MeetingContext(services=services, actor=actor, session=session, meeting_row=row, meeting=state, role=role)
        result = await step(ctx)
    await _committed(services, ctx, name)
    return result


async def _committed(services: Services, ctx: Context, name: str) -> None:
    """After the commit: publish the transaction's log entries, then run its after-commit steps."""
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


# ---- group commit -----------------------------------------------------------------------------------------------

GROUP_MAX = 1000  # commands in one transaction at most


@dataclass
class _Pending:
    actor: Actor
    payload: Schema
    command_id: str | None
    ip: str
    session_id: str | None

    @property
    def actor_key(self) -> str:
        return f"{self.actor.kind}:{self.actor.id}"


_QUEUES: dict[tuple[int, str, str, str], Batcher[_Pending, dict[str, Any]]] = {}


async def _grouped(services: Services, spec: ActionSpec, item: _Pending) -> dict[str, Any]:
    """Queue the command with the others of its meeting and key (batching.Batcher: while one group's
    transaction runs, the commands arriving meanwhile form the next group; alone, a command goes at once)."""
    assert spec.group is not None
    key = (id(services), spec.name, getattr(item.payload, "meeting_id", ""), spec.group.key(item.payload))
    batcher = _QUEUES.get(key)
    if batcher is None:

        async def run(batch: list[_Pending]) -> list[Outcome]:
            return await _run_group(services, spec, batch, answer=group_batcher.answer)

        batcher = group_batcher = _QUEUES[key] = Batcher(run, GROUP_MAX)
    try:
        return await batcher.submit(item)
    finally:
        if batcher.idle and _QUEUES.get(key) is batcher:
            del _QUEUES[key]


Outcome = dict[str, Any] | BaseException  # a grouped command's answer, or what it raises


async def _run_group(
    services: Services, spec: ActionSpec, batch: list[_Pending], answer: Callable[[list[Outcome]], None] | None = None
) -> list[Outcome]:
    """One transaction for the group; once committed, its commands are answered (`answer`: their answers go out
    before the group's event, which 500 screens are sent) and its entries published. If it fails as a whole (not
    one command's refusal), each command is tried again on its own, so one bad command never takes the others'."""
    try:
        ctx, outcomes = await _apply_group(services, spec, batch)
    except AppError as exc:
        return [exc] * len(batch)
    except Exception as exc:
        if len(batch) > 1:
            return [(await _run_group(services, spec, [item]))[0] for item in batch]
        return [await _failed_alone(services, spec, batch[0], exc)]
    answers: list[Outcome] = list(outcomes)
    if answer is not None:
        answer(answers)
    await _committed(services, ctx, spec.name)
    return answers


async def _failed_alone(services: Services, spec: ActionSpec, item: _Pending, exc: Exception) -> Outcome:
    """A command whose own transaction failed: the same command that raced itself on another node is answered
    from its kept answer; any other clash is a conflict; anything else is what it is."""
    if not isinstance(exc, IntegrityError):
        return exc
    if item.command_id:
        async with services.db.read() as session:
            previous = await security.stored_answer(session, item.actor_key, item.command_id)
        if previous is not None:
            try:
                return _replay(previous.action, previous.result, spec.name)
            except AppError as refused:
                return refused
    return _clash()


def _clash() -> AppError:
    """What a command clashing with a stored record is told."""
    vi, en = "dữ liệu trùng với bản ghi đã có", "it clashes with an existing record"
    return AppError("conflict", detail=vi, detail_en=en)


async def _apply_group(
    services: Services, spec: ActionSpec, batch: list[_Pending]
) -> tuple[GroupContext, list[dict[str, Any] | AppError]]:
    """The group's transaction: the meeting loaded and locked once; per command its kept answer (a retry), its
    permission and the group's `add`; then `finish` once."""
    group, permission = spec.group, spec.meeting_permission
    assert group is not None and permission is not None
    first = batch[0]
    outcomes: list[dict[str, Any] | AppError] = []
    async with services.db.write() as session:
        row = await meeting_store.load(session, getattr(first.payload, "meeting_id", ""), for_update=True)
        state = meeting_store.state_of(row)
        ctx = GroupContext(
            services=services,
            actor=first.actor,
            session=session,
            ip=first.ip,
            session_id=first.session_id,
            meeting_row=row,
            meeting=state,
            role=cast(MeetingRole, meeting_role(first.actor, state)),  # each command's own, before it is applied
        )
        shared: Any = None
        kept = await security.stored_answers(session, [(i.actor_key, i.command_id) for i in batch if i.command_id])
        answered: dict[tuple[str, str], dict[str, Any]] = {}  # a retry within the same group
        for item in batch:
            kept_key = (item.actor_key, item.command_id or "")
            try:
                if item.command_id:
                    if kept_key in answered:
                        outcomes.append(dict(answered[kept_key]))
                        continue
                    previous = kept.get(kept_key)
                    if previous is not None:
                        outcomes.append(_replay(previous.action, previous.result, spec.name))
                        continue
                ctx.role = require(item.actor, ctx.meeting, permission)
                refuse_if_archived(ctx.meeting)
                ctx.actor = item.actor
                if shared is None:
                    shared = await group.begin(ctx, item.payload)
                answer = await group.add(ctx, shared, item.actor, item.payload)
            except AppError as exc:
                outcomes.append(exc)
                continue
            ctx.actors.add(item.actor.id)
            outcomes.append(answer)
            if item.command_id:
                answered[kept_key] = answer
                await security.remember_answer(session, item.actor_key, item.command_id, spec.name, answer)
        if shared is not None:
            await group.finish(ctx, shared)
    return ctx, outcomes
