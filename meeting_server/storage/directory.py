"""Units, sites and users: the directory an administrator keeps."""

from __future__ import annotations

import hashlib
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from ..errors import AppError
from ..vocabulary import USER, global_capabilities
from .models import SiteRow, UnitRow, UserRow


def token_digest(token: str) -> str:
    """Device tokens are stored as digests: a stolen database does not let anyone join as a hall."""
    return hashlib.sha256(token.encode()).hexdigest()


def unit_dict(row: UnitRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "kind": row.kind,
        "parent_id": row.parent_id,
        "code": row.code,
        "division_type": row.division_type,
        "official_code": row.official_code,
    }


def site_dict(row: SiteRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "name": row.name,
        "unit_id": row.unit_id,
        "location": row.location,
        "capacity": row.capacity,
        "active": row.active,
        "has_token": row.token_hash is not None,
        "token_issued_at": row.token_issued_at,
    }


def user_dict(row: UserRow) -> dict[str, Any]:
    return {
        "id": row.id,
        "username": row.username,
        "full_name": row.full_name,
        "title": row.title,
        "unit_id": row.unit_id,
        "roles": list(row.roles),
        "capabilities": sorted(global_capabilities(USER, frozenset(row.roles))),
        "lang": row.lang,
        "active": row.active,
        "email": row.email,
    }


async def get_unit(session: AsyncSession, unit_id: str) -> UnitRow:
    row = await session.get(UnitRow, unit_id)
    if row is None:
        raise AppError("not_found", what="unit")
    return row


async def get_site(session: AsyncSession, site_id: str) -> SiteRow:
    row = await session.get(SiteRow, site_id)
    if row is None:
        raise AppError("not_found", what="site")
    return row


async def get_user(session: AsyncSession, user_id: str) -> UserRow:
    row = await session.get(UserRow, user_id)
    if row is None:
        raise AppError("not_found", what="user")
    return row


async def user_by_username(session: AsyncSession, username: str) -> UserRow | None:
    return (
        await session.execute(select(UserRow).where(UserRow.username == username.strip().lower()))
    ).scalar_one_or_none()


async def site_by_token(session: AsyncSession, token: str) -> SiteRow | None:
    return (
        await session.execute(select(SiteRow).where(SiteRow.token_hash == token_digest(token)))
    ).scalar_one_or_none()


async def list_units(session: AsyncSession) -> list[dict[str, Any]]:
    rows = (await session.execute(select(UnitRow).order_by(UnitRow.kind, UnitRow.name))).scalars()
    return [unit_dict(r) for r in rows]


async def child_units(session: AsyncSession, parent_id: str) -> list[UnitRow]:
    return list((await session.execute(select(UnitRow).where(UnitRow.parent_id == parent_id))).scalars())


async def unadopted_province(session: AsyncSession, name: str) -> UnitRow | None:
    """A province typed by hand (no official code yet) that an import of the official list takes over."""
    query = select(UnitRow).where(
        UnitRow.kind == "province", UnitRow.name == name, UnitRow.official_code.is_(None), UnitRow.parent_id.is_(None)
    )
    return (await session.execute(query)).scalars().first()


async def units_by_official_code(session: AsyncSession, codes: list[str]) -> dict[str, UnitRow]:
    if not codes:
        return {}
    rows = (await session.execute(select(UnitRow).where(UnitRow.official_code.in_(codes)))).scalars()
    return {r.official_code: r for r in rows if r.official_code}


async def site_names(session: AsyncSession) -> set[str]:
    return set((await session.execute(select(SiteRow.name))).scalars())


async def units_with_sites(session: AsyncSession, unit_ids: list[str]) -> set[str]:
    if not unit_ids:
        return set()
    return set((await session.execute(select(SiteRow.unit_id).where(SiteRow.unit_id.in_(unit_ids)))).scalars())


async def list_sites(session: AsyncSession) -> list[dict[str, Any]]:
    rows = (await session.execute(select(SiteRow).order_by(SiteRow.name))).scalars()
    return [site_dict(r) for r in rows]


async def list_users(session: AsyncSession, unit_id: str | None = None) -> list[dict[str, Any]]:
    query = select(UserRow).order_by(UserRow.full_name)
    if unit_id:
        query = query.where(UserRow.unit_id == unit_id)
    return [user_dict(r) for r in (await session.execute(query)).scalars()]


async def users_by_ids(session: AsyncSession, ids: list[str]) -> dict[str, UserRow]:
    if not ids:
        return {}
    rows = (await session.execute(select(UserRow).where(UserRow.id.in_(ids)))).scalars()
    return {r.id: r for r in rows}


async def users_in_units(session: AsyncSession, unit_ids: list[str]) -> list[UserRow]:
    if not unit_ids:
        return []
    query = select(UserRow).where(UserRow.unit_id.in_(unit_ids), UserRow.active.is_(True))
    return list((await session.execute(query.order_by(UserRow.full_name))).scalars())


async def sites_by_ids(session: AsyncSession, ids: list[str]) -> dict[str, SiteRow]:
    if not ids:
        return {}
    rows = (await session.execute(select(SiteRow).where(SiteRow.id.in_(ids)))).scalars()
    return {r.id: r for r in rows}


async def unit_in_use(session: AsyncSession, unit_id: str) -> bool:
    for model, column in ((UnitRow, UnitRow.parent_id), (SiteRow, SiteRow.unit_id), (UserRow, UserRow.unit_id)):
        count = (await session.execute(select(func.count()).select_from(model).where(column == unit_id))).scalar_one()
        if count:
            return True
    return False


async def count_users(session: AsyncSession) -> int:
    return int((await session.execute(select(func.count()).select_from(UserRow))).scalar_one())
