"""What a given person may read of the directory: themselves, units, sites, users (organisers), the security
audit log (administrators), and whether the database answers at all."""

from __future__ import annotations

from typing import Any

from ..actions.base import Services
from ..domain.actors import Actor
from ..errors import AppError
from ..storage import directory, security
from ..storage.models import UserRow


async def database_ok(services: Services) -> bool:
    try:
        await services.db.ping()
    except Exception:
        return False
    return True


def public_user(row: UserRow) -> dict[str, Any]:
    """A user as clients see them (what sign-in answers with)."""
    return directory.user_dict(row)


async def me(services: Services, user_id: str) -> dict[str, Any]:
    async with services.db.read() as session:
        return public_user(await directory.get_user(session, user_id))


async def units(services: Services) -> list[dict[str, Any]]:
    async with services.db.read() as session:
        return await directory.list_units(session)


async def sites(services: Services) -> list[dict[str, Any]]:
    async with services.db.read() as session:
        return await directory.list_sites(session)


async def users(services: Services, actor: Actor, unit_id: str | None) -> list[dict[str, Any]]:
    if not actor.can_organize_meetings:
        raise AppError("forbidden")
    async with services.db.read() as session:
        return await directory.list_users(session, unit_id)


async def audit(services: Services, actor: Actor, limit: int) -> list[dict[str, Any]]:
    if not actor.is_admin:
        raise AppError("forbidden")
    async with services.db.read() as session:
        return await security.list_audit(session, limit)
