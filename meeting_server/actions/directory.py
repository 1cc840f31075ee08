"""Administration of units, sites (with device tokens) and users, and a person's own preferences."""

from __future__ import annotations

import re
import secrets
from typing import Annotated, Any, Literal

from pydantic import Field, field_validator

from .. import official_units
from ..domain import units
from ..domain.units import UnitKind
from ..errors import AppError
from ..passwords import hash_password_async
from ..storage import directory as store
from ..storage import security
from ..storage.db import new_id, now_iso
from ..storage.models import SiteRow, UnitRow, UserRow
from ..vocabulary import ACCOUNT_EDIT, ADMIN, DIRECTORY_MANAGE, GLOBAL_ROLES
from ..vocabulary import GlobalRole as Role
from .base import Context, Schema, action
from .schemas import Email, Id, Short, Title

USERNAME = re.compile(r"^[a-z0-9._-]{3,40}$")


OfficialCode = Annotated[str, Field(pattern=r"^[0-9]{2}([0-9]{3})?$")]  # "08" a province, "02545" a commune


class CreateUnit(Schema):
    name: Title
    kind: UnitKind
    parent_id: Id | None = None
    code: str = Field(default="", max_length=32)
    division_type: str | None = Field(default=None, max_length=16)  # the kind's usual type when left out
    official_code: OfficialCode | None = None


class UpdateUnit(Schema):
    unit_id: Id
    name: Title | None = None
    parent_id: Id | None = None
    code: str | None = Field(default=None, max_length=32)
    division_type: str | None = Field(default=None, max_length=16)
    official_code: OfficialCode | None = None


class ImportUnits(Schema):
    province: str = Field(min_length=1, max_length=100)  # official code ("08") or name ("Tuyên Quang")
    with_sites: bool = False


class UnitRef(Schema):
    unit_id: Id


class CreateSite(Schema):
    name: Title
    unit_id: Id
    location: Short = ""
    capacity: int = Field(default=0, ge=0, le=5000)


class UpdateSite(Schema):
    site_id: Id
    name: Title | None = None
    unit_id: Id | None = None
    location: Short | None = None
    capacity: int | None = Field(default=None, ge=0, le=5000)
    active: bool | None = None


class SiteRef(Schema):
    site_id: Id


class CreateUser(Schema):
    username: str = Field(min_length=3, max_length=40)
    full_name: Title
    password: str = Field(min_length=8, max_length=200)
    roles: list[Role] = Field(min_length=1, max_length=len(GLOBAL_ROLES))
    unit_id: Id | None = None
    title: Short = ""
    lang: Literal["vi", "en"] = "vi"
    email: Email | None = None  # official e-mail: where invitations go (actions/mail.py)

    @field_validator("username")
    @classmethod
    def _username(cls, value: str) -> str:
        value = value.lower()
        if not USERNAME.match(value):
            raise ValueError("3-40 lowercase letters, digits, dot, dash or underscore")  # FIELD_MESSAGES words it
        return value


class UpdateUser(Schema):
    user_id: Id
    full_name: Title | None = None
    password: str | None = Field(default=None, min_length=8, max_length=200)
    roles: list[Role] | None = Field(default=None, min_length=1, max_length=len(GLOBAL_ROLES))
    unit_id: Id | None = None
    title: Short | None = None
    lang: Literal["vi", "en"] | None = None
    active: bool | None = None
    email: Email | None = None  # "" removes it


class UpdateMe(Schema):
    lang: Literal["vi", "en"]


async def _check_parent(ctx: Context, kind: str, parent_id: str | None) -> None:
    parent = await store.get_unit(ctx.session, parent_id) if parent_id else None
    units.check_parent(kind, parent.kind if parent else None)


@action("unit.create", CreateUnit, DIRECTORY_MANAGE)
async def create_unit(ctx: Context, cmd: CreateUnit) -> dict[str, Any]:
    """Create a province, commune, agency or (for data from before 2025) district."""
    await _check_parent(ctx, cmd.kind, cmd.parent_id)
    division_type = units.default_division_type(cmd.kind) if cmd.division_type is None else cmd.division_type
    units.check_division_type(cmd.kind, division_type)
    row = UnitRow(
        id=new_id("un"),
        name=cmd.name,
        kind=cmd.kind,
        parent_id=cmd.parent_id,
        code=cmd.code,
        division_type=division_type,
        official_code=cmd.official_code,
        created_at=now_iso(),
    )
    ctx.session.add(row)
    await ctx.session.flush()
    return store.unit_dict(row)


@action("unit.update", UpdateUnit, DIRECTORY_MANAGE)
async def update_unit(ctx: Context, cmd: UpdateUnit) -> dict[str, Any]:
    """Rename a unit, change its codes or move it under another parent."""
    row = await store.get_unit(ctx.session, cmd.unit_id)
    changes = cmd.model_dump(exclude_unset=True, exclude={"unit_id"})
    if "parent_id" in changes:
        await _check_parent(ctx, row.kind, changes["parent_id"])
    if changes.get("division_type") is not None:
        units.check_division_type(row.kind, changes["division_type"])
    for key, value in changes.items():
        if value is not None or key in ("parent_id", "official_code"):
            setattr(row, key, value)
    await ctx.session.flush()
    return store.unit_dict(row)


@action("unit.import_official", ImportUnits, DIRECTORY_MANAGE)
async def import_official_units(ctx: Context, cmd: ImportUnits) -> dict[str, Any]:
    """Import a province and its communes, wards and special zones from the official list.

    Units are matched by official code (or, for units typed before, by kind and name under the province): a
    second import renames what the list renamed and adds what is new, and never duplicates anything."""
    official = official_units.find_province(await official_units.load_async(), cmd.province)
    if official is None:
        raise AppError("not_found", what="province")
    session = ctx.session
    by_code = await store.units_by_official_code(session, [official.code, *(c.code for c in official.communes)])
    province = by_code.get(official.code) or await store.unadopted_province(session, official.name)
    if province is None:
        province = UnitRow(id=new_id("un"), kind="province", parent_id=None, code="", created_at=now_iso())
        session.add(province)
    _set_official(province, official.name, official.division_type, official.code)
    counts = {"added": 0, "updated": 0, "unchanged": 0}
    # Communes typed by hand before (under the province, or under one of its districts from before the reform).
    children = await store.child_units(session, province.id)
    for district in [r for r in children if r.kind == "district"]:
        children += await store.child_units(session, district.id)
    typed = {r.name: r for r in children if r.kind == "commune" and r.official_code is None}
    communes: list[UnitRow] = []
    for c in official.communes:
        row = by_code.get(c.code)
        if row is None:
            row = typed.pop(c.name, None)
        if row is None:
            row = UnitRow(id=new_id("un"), kind="commune", parent_id=province.id, code="", created_at=now_iso())
            session.add(row)
            _set_official(row, c.name, c.division_type, c.code)
            counts["added"] += 1
        elif _set_official(row, c.name, c.division_type, c.code):
            counts["updated"] += 1
        else:
            counts["unchanged"] += 1
        communes.append(row)
    await session.flush()
    sites_added = await _add_halls(ctx, communes, official.name, official.division_type) if cmd.with_sites else 0
    await ctx.audit(
        "units_imported",
        province.id,
        province=official.name,
        official_code=official.code,
        added=counts["added"],
        updated=counts["updated"],
        sites_added=sites_added,
    )
    return {"province": store.unit_dict(province), **counts, "sites_added": sites_added}


def _set_official(row: UnitRow, name: str, division_type: str, official_code: str) -> bool:
    """Brings a unit in line with the official list; True when something had to change."""
    wanted = {"name": name, "division_type": division_type, "official_code": official_code}
    changed = {k: v for k, v in wanted.items() if getattr(row, k, None) != v}
    for key, value in changed.items():
        setattr(row, key, value)
    return bool(changed)


async def _add_halls(ctx: Context, communes: list[UnitRow], province_name: str, province_type: str) -> int:
    """A meeting room for every commune that has none yet; site names are unique, so a name another province
    already uses gets the province after it."""
    equipped = await store.units_with_sites(ctx.session, [c.id for c in communes])
    taken = await store.site_names(ctx.session)
    added = 0
    for c in communes:
        if c.id in equipped:
            continue
        name = units.hall_name(c.name, c.division_type)
        if name in taken:
            name = f"{name}, {units.local_name(province_name, province_type)}"
        taken.add(name)
        ctx.session.add(
            SiteRow(
                id=new_id("s"),
                name=name,
                unit_id=c.id,
                location=units.hall_location(c.name, c.division_type),
                capacity=0,
                active=True,
                created_at=now_iso(),
            )
        )
        added += 1
    await ctx.session.flush()
    return added


@action("unit.delete", UnitRef, DIRECTORY_MANAGE)
async def delete_unit(ctx: Context, cmd: UnitRef) -> dict[str, Any]:
    """Delete a unit that holds nothing (no child units, sites or users)."""
    row = await store.get_unit(ctx.session, cmd.unit_id)
    if await store.unit_in_use(ctx.session, row.id):
        raise AppError(
            "in_use",
            detail="đơn vị vẫn còn đơn vị cấp dưới, điểm cầu hoặc người dùng",
            detail_en="the unit still has child units, sites or users",
        )
    await ctx.session.delete(row)
    return {"deleted": row.id}


@action("site.create", CreateSite, DIRECTORY_MANAGE)
async def create_site(ctx: Context, cmd: CreateSite) -> dict[str, Any]:
    """Register a meeting room (site) of a unit."""
    await store.get_unit(ctx.session, cmd.unit_id)
    row = SiteRow(
        id=new_id("s"),
        name=cmd.name,
        unit_id=cmd.unit_id,
        location=cmd.location,
        capacity=cmd.capacity,
        active=True,
        created_at=now_iso(),
    )
    ctx.session.add(row)
    await ctx.session.flush()
    return store.site_dict(row)


@action("site.update", UpdateSite, DIRECTORY_MANAGE)
async def update_site(ctx: Context, cmd: UpdateSite) -> dict[str, Any]:
    """Edit a site; deactivating it disconnects its room PC."""
    row = await store.get_site(ctx.session, cmd.site_id)
    changes = {k: v for k, v in cmd.model_dump(exclude_unset=True, exclude={"site_id"}).items() if v is not None}
    if "unit_id" in changes:
        await store.get_unit(ctx.session, changes["unit_id"])
    for key, value in changes.items():
        setattr(row, key, value)
    if changes.get("active") is False:
        _disconnect(ctx, site_id=row.id, reason="deactivated")
    await ctx.session.flush()
    return store.site_dict(row)


def _disconnect(
    ctx: Context, *, reason: str, user_id: str | None = None, site_id: str | None = None, session_id: str | None = None
) -> None:
    """Once the change is committed, close the live sockets it took the right from (with the reason)."""
    notifier = ctx.services.notifier

    async def disconnect() -> None:
        await notifier.revoke(user_id=user_id, site_id=site_id, session_id=session_id, reason=reason)

    ctx.after_commit(disconnect)


@action("site.issue_token", SiteRef, DIRECTORY_MANAGE, secret_fields=("token",))
async def issue_token(ctx: Context, cmd: SiteRef) -> dict[str, Any]:
    """Issue a new device token for the site's room PC; the previous token stops working.

    The token is shown in this answer only: a retry with the same Idempotency-Key gets the answer without it,
    since answers kept for retries are stored and tokens are never stored in clear."""
    row = await store.get_site(ctx.session, cmd.site_id)
    had_token = row.token_hash is not None
    token = "st_" + secrets.token_urlsafe(32)
    row.token_hash = store.token_digest(token)
    row.token_issued_at = now_iso()
    await ctx.audit("token_issued", row.id, site=row.name, replaced=had_token)
    if had_token:
        _disconnect(ctx, site_id=row.id, reason="token_revoked")
    return {**store.site_dict(row), "token": token}


@action("site.revoke_token", SiteRef, DIRECTORY_MANAGE)
async def revoke_token(ctx: Context, cmd: SiteRef) -> dict[str, Any]:
    """Revoke the site's device token and disconnect its room PC."""
    row = await store.get_site(ctx.session, cmd.site_id)
    row.token_hash = None
    row.token_issued_at = None
    await ctx.audit("token_revoked", row.id, site=row.name)
    _disconnect(ctx, site_id=row.id, reason="token_revoked")
    return store.site_dict(row)


@action("user.create", CreateUser, DIRECTORY_MANAGE)
async def create_user(ctx: Context, cmd: CreateUser) -> dict[str, Any]:
    """Create an account with its roles."""
    if await store.user_by_username(ctx.session, cmd.username) is not None:
        raise AppError("conflict", detail=f"tên đăng nhập {cmd.username}", detail_en=f"username {cmd.username}")
    if cmd.unit_id:
        await store.get_unit(ctx.session, cmd.unit_id)
    row = UserRow(
        id=new_id("u"),
        username=cmd.username,
        full_name=cmd.full_name,
        title=cmd.title,
        password_hash=await hash_password_async(cmd.password),
        roles=sorted(set(cmd.roles)),
        unit_id=cmd.unit_id,
        lang=cmd.lang,
        active=True,
        created_at=now_iso(),
        email=cmd.email or None,
    )
    ctx.session.add(row)
    await ctx.session.flush()
    await ctx.audit("user_created", row.id, username=row.username, roles=row.roles)
    return store.user_dict(row)


@action("user.update", UpdateUser, DIRECTORY_MANAGE)
async def update_user(ctx: Context, cmd: UpdateUser) -> dict[str, Any]:
    """Edit an account: roles, unit, password, active. Deactivating signs the person out everywhere."""
    row = await store.get_user(ctx.session, cmd.user_id)
    before_roles, before_unit = list(row.roles), row.unit_id
    changes = cmd.model_dump(exclude_unset=True, exclude={"user_id"})
    if changes.get("unit_id"):
        await store.get_unit(ctx.session, changes["unit_id"])
    if changes.get("roles") is not None:
        new_roles = sorted(set(changes.pop("roles")))
        if new_roles != sorted(row.roles):
            if row.id == ctx.actor.id and ADMIN not in new_roles:
                raise AppError(
                    "invalid_input",
                    detail="không thể tự bỏ vai trò quản trị của chính mình",
                    detail_en="you cannot remove your own admin role",
                )
            await ctx.audit("role_changed", row.id, before=sorted(row.roles), after=new_roles)
            row.roles = new_roles
    if changes.get("password"):
        row.password_hash = await hash_password_async(changes.pop("password"))
        await ctx.audit("password_reset", row.id)
        # Whoever knew the old password is signed out everywhere; one changing their own keeps this session.
        keep = ctx.session_id if row.id == ctx.actor.id else None
        for ended in await security.delete_sessions_of(ctx.session, row.id, keep=keep):
            _disconnect(ctx, session_id=ended, reason="password_changed")
    changes.pop("password", None)
    for key in ("full_name", "title", "lang"):
        if changes.get(key) is not None:
            setattr(row, key, changes[key])
    if "unit_id" in changes:
        row.unit_id = changes["unit_id"]
    if "email" in changes:
        row.email = changes["email"] or None
    if row.roles != before_roles or row.unit_id != before_unit:
        notifier, user_id = ctx.services.notifier, row.id

        async def follow() -> None:
            await notifier.account_changed(user_id)

        ctx.after_commit(follow)
    if changes.get("active") is not None and changes["active"] != row.active:
        if row.id == ctx.actor.id:
            raise AppError(
                "invalid_input",
                detail="không thể tự khóa tài khoản của chính mình",
                detail_en="you cannot deactivate your own account",
            )
        row.active = changes["active"]
        await ctx.audit("user_activated" if row.active else "user_deactivated", row.id)
        if not row.active:
            await security.delete_sessions_of(ctx.session, row.id)
            _disconnect(ctx, user_id=row.id, reason="deactivated")
    await ctx.session.flush()
    return store.user_dict(row)


@action("me.update", UpdateMe, ACCOUNT_EDIT)
async def update_me(ctx: Context, cmd: UpdateMe) -> dict[str, Any]:
    """Change my own preferences (interface language)."""
    row = await store.get_user(ctx.session, ctx.actor.id)
    row.lang = cmd.lang
    return store.user_dict(row)
