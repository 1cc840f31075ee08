"""Seeds the demo province of `demo_data` into a database, so `make run` opens onto a realistic Monday.

Directory rows are written directly (one password hash shared by every demo account keeps seeding fast, and
the 125 halls' device tokens are digests made in one go); the meeting goes through the actions like any other,
so its event log starts at sequence 1 as in real use.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from . import demo_data as d
from .actions import Services, run_action
from .auth import actor_of_user
from .passwords import hash_password_async
from .signing.demo_pki import DemoPKI, ensure_demo_pki
from .storage import directory
from .storage.db import iso, new_id, now_iso
from .storage.models import SiteRow, UnitRow, UserRow

VIETNAM = timezone(timedelta(hours=7))


async def seed(services: Services, *, today: datetime | None = None) -> dict[str, Any]:
    """Returns what was created, or `{"skipped": True}` when the database already has users."""
    async with services.db.read() as session:
        if await directory.count_users(session):
            return {"skipped": True}
    password_hash = await hash_password_async(d.DEMO_PASSWORD)
    unit_ids = {u.key: new_id("un") for u in d.UNITS}
    site_ids = {s.key: new_id("s") for s in d.SITES}
    tokens = {s.key: "st_" + secrets.token_urlsafe(32) for s in d.SITES}
    user_ids = {p.username: new_id("u") for p in d.PEOPLE}
    now = now_iso()
    async with services.db.write() as session:
        for depth in (0, 1):  # the province, then everything under it (demo units are never deeper)
            session.add_all(
                UnitRow(
                    id=unit_ids[u.key],
                    name=u.name,
                    kind=u.kind,
                    parent_id=unit_ids[u.parent_key] if u.parent_key else None,
                    code=u.code,
                    division_type=u.division_type,
                    official_code=u.official_code,
                    created_at=now,
                )
                for u in d.UNITS
                if (u.parent_key is not None) == bool(depth)
            )
            await session.flush()
        session.add_all(
            SiteRow(
                id=site_ids[s.key],
                name=s.name,
                unit_id=unit_ids[s.unit_key],
                location=s.location,
                capacity=s.capacity,
                active=True,
                token_hash=directory.token_digest(tokens[s.key]),
                token_issued_at=now,
                created_at=now,
            )
            for s in d.SITES
        )
        session.add_all(
            UserRow(
                id=user_ids[p.username],
                username=p.username,
                full_name=p.full_name,
                title=p.title,
                email=d.demo_email(p.username),
                password_hash=password_hash,
                roles=list(p.roles),
                unit_id=unit_ids[p.unit_key],
                lang="vi",
                active=True,
                created_at=now,
            )
            for p in d.PEOPLE
        )
    meetings = []
    today = (today or datetime.now(VIETNAM)).astimezone(VIETNAM)
    for m in d.MEETINGS:
        secretary = d.person(m.secretary_username)
        async with services.db.read() as session:
            secretary_row = await directory.get_user(session, user_ids[secretary.username])
        actor = actor_of_user(secretary_row)
        day = (today + timedelta(days=m.start_offset_days)).replace(
            hour=m.start_hour, minute=m.start_minute, second=0, microsecond=0
        )
        created = await run_action(
            services,
            actor,
            "meeting.create",
            {
                "title": m.title,
                "description": m.description,
                "location": m.location,
                "starts_at": iso(day),
                "ends_at": iso(day + timedelta(minutes=m.duration_minutes)),
                "main_site_id": site_ids[m.main_site_key],
                "site_ids": [site_ids[k] for k in m.site_keys],
                "invitee_ids": [user_ids[u] for u in m.invitee_usernames],
                "invited_unit_ids": [unit_ids[k] for k in m.invited_unit_keys],
                "chair_id": user_ids[m.chair_username],
                "secretary_id": user_ids[m.secretary_username],
            },
        )
        for item in m.agenda:
            await run_action(
                services,
                actor,
                "agenda.add_item",
                {
                    "meeting_id": created["id"],
                    "title": item.title,
                    "description": item.description,
                    "presenter_id": user_ids[item.presenter_username],
                    "planned_minutes": item.planned_minutes,
                },
            )
        await run_action(services, actor, "meeting.schedule", {"meeting_id": created["id"]})
        meetings.append({"id": created["id"], "title": m.title})
    return {
        "skipped": False,
        "units": len(d.UNITS),
        "sites": len(d.SITES),
        "users": len(d.PEOPLE),
        "meetings": meetings,
        "password": d.DEMO_PASSWORD,
        "tokens": {d.site(key).name: token for key, token in tokens.items()},
    }


def ensure_demo_keys(data_dir: Path) -> DemoPKI:
    """The demo PKI for the demo's secretary and chair (their full names as CN) and the province's seal, made once
    under `data_dir` (signing/demo_pki.py)."""
    people = {username: d.person(username).full_name for username in d.DEMO_SIGNERS}
    return ensure_demo_pki(data_dir, people, d.SEAL_NAME, d.SEAL_NAME)


def accounts_table() -> str:
    """Every demo account, one line each (the province's people, then each staffed commune's), for
    `meeting-server demo` and `make run` to print; docs/demo.md lists the same accounts."""
    lines = [f"Mật khẩu chung / shared password: {d.DEMO_PASSWORD}"]
    for person in d.PEOPLE:
        lines.append(f"  {person.username:<16} {', '.join(person.roles):<16} {person.full_name} — {person.title}")
    return "\n".join(lines)
