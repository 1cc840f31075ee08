"""Seeds the demo province of `demo_data` into a database, so `make run` opens onto a realistic Monday.

Directory rows are written directly (one password hash shared by every demo account keeps seeding fast, and
the 125 halls' device tokens are digests made in one go); the meeting goes through the actions like any other,
so its event log starts at sequence 1 as in real use.
"""

from __future__ import annotations

import asyncio
import secrets
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta, timezone
from pathlib import Path
from typing import Any

from . import demo_data as d
from .actions import Services, run_action
from .auth import actor_of_user
from .domain.actors import Actor
from .passwords import hash_password_async
from .signing.demo_images import seal_png, signature_png
from .signing.demo_pki import DemoPKI, ensure_demo_pki
from .signing.images import KeptImage, reencode
from .storage import directory
from .storage import images as image_store
from .storage import mail as mail_store
from .storage.db import iso, new_id, now_iso, replaying
from .storage.models import SiteRow, UnitRow, UserRow
from .vocabulary import (
    ABSENT_EXCUSED,
    AT_SITE,
    CHAIR,
    CHECKED_IN,
    IMAGE_SEAL,
    IMAGE_SIGNATURE,
    IN_HALL,
    LATE,
    MAIL_QUEUED,
    RECORD_CONCLUSION,
    RECORD_FIELD_CONCLUSION,
    RECORD_FIELD_DISCUSSION,
    RECORD_MINUTES,
    RECORD_PART_CLOSING,
    SECRETARY,
)

VIETNAM = timezone(timedelta(hours=7))
PAST_MAIL_REASON = "Dữ liệu mẫu: cuộc họp đã diễn ra, thư mời không được gửi. / Demo data: a past meeting, not mailed."


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
    ids = _Ids(unit_ids, site_ids, user_ids)
    await _signature_images(services, ids)
    today = (today or datetime.now(VIETNAM)).astimezone(VIETNAM)
    held = await hold_meeting(services, ids, d.HELD_MEETING)  # first: its giấy mời was numbered last month
    meetings = []
    for m in d.MEETINGS:
        day = (today + timedelta(days=m.start_offset_days)).replace(
            hour=m.start_hour, minute=m.start_minute, second=0, microsecond=0
        )
        created = await _create_meeting(services, ids, m, day, m.duration_minutes)
        await run_action(
            services,
            await ids.actor(services, m.secretary_username),
            "meeting.schedule",
            {"meeting_id": created["meeting_id"]},
        )
        meetings.append({"id": created["meeting_id"], "title": m.title})
    meetings.append({"id": held["id"], "title": d.HELD_MEETING.title})  # the upcoming ones first
    return {
        "skipped": False,
        "units": len(d.UNITS),
        "sites": len(d.SITES),
        "users": len(d.PEOPLE),
        "meetings": meetings,
        "password": d.DEMO_PASSWORD,
        "held": held,  # the held meeting's ids and its documents' (demo_samples.py goes on from them)
        "ids": ids,
        "tokens": {d.site(key).name: token for key, token in tokens.items()},
    }


@dataclass(frozen=True)
class _Ids:
    """The seeded rows' ids by demo key / username."""

    units: dict[str, str]
    sites: dict[str, str]
    users: dict[str, str]

    async def actor(self, services: Services, username: str) -> Actor:
        async with services.db.read() as session:
            return actor_of_user(await directory.get_user(session, self.users[username]))


def _drawn_images(ids: _Ids) -> list[tuple[str, str, KeptImage]]:
    """The demo's signature images (every chair and secretary, and the notice's signer) and seals (their units),
    drawn in code and kept as the upload route keeps an image (signing/images.reencode). Blocking."""
    signers = [p for p in d.PEOPLE if {CHAIR, SECRETARY} & set(p.roles)]
    signers += [p for p in d.PEOPLE if p.username == d.HELD_MEETING.conclusion_signer_username and p not in signers]
    made = [
        (IMAGE_SIGNATURE, ids.users[p.username], reencode(signature_png(p.full_name), IMAGE_SIGNATURE)) for p in signers
    ]
    units = {p.unit_key for p in signers}
    for unit in d.UNITS:
        if unit.key in units:
            made.append((IMAGE_SEAL, ids.units[unit.key], reencode(seal_png(unit.name), IMAGE_SEAL)))
    return made


async def _signature_images(services: Services, ids: _Ids) -> None:
    drawn = await asyncio.to_thread(_drawn_images, ids)
    async with services.db.write() as session:
        for kind, owner_id, kept in drawn:
            await image_store.put(session, kind, owner_id, kept.png, (kept.width, kept.height), "demo")


class ReplayClock:
    """The time a past meeting's actions are stamped with (storage.db.replaying): moved on by the seed."""

    def __init__(self, at: datetime) -> None:
        self.at = at

    def __call__(self) -> datetime:
        return self.at.astimezone(UTC)

    def set(self, at: datetime) -> None:
        self.at = at


async def _create_meeting(
    services: Services, ids: _Ids, m: d.MeetingPlan, day: datetime, minutes: int
) -> dict[str, Any]:
    """meeting.create and its agenda as the meeting's secretary; returns {"meeting_id", "items": [ids]}."""
    actor = await ids.actor(services, m.secretary_username)
    agenda = (
        m.agenda if isinstance(m, d.Meeting) else tuple(h.item for h in m.items) if isinstance(m, d.HeldMeeting) else ()
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
            "ends_at": iso(day + timedelta(minutes=minutes)),
            "main_site_id": ids.sites[m.main_site_key],
            "site_ids": [ids.sites[k] for k in m.site_keys],
            "invitee_ids": [ids.users[u] for u in m.invitee_usernames],
            "invited_unit_ids": [ids.units[k] for k in m.invited_unit_keys],
            "chair_id": ids.users[m.chair_username],
            "secretary_id": ids.users[m.secretary_username],
        },
    )
    items = []
    for item in agenda:
        added = await run_action(
            services,
            actor,
            "agenda.add_item",
            {
                "meeting_id": created["id"],
                "title": item.title,
                "description": item.description,
                "presenter_id": ids.users[item.presenter_username],
                "planned_minutes": item.planned_minutes,
            },
        )
        items.append(added["agenda"][-1]["id"])
    return {"meeting_id": created["id"], "items": items}


async def hold_meeting(services: Services, ids: _Ids, m: d.HeldMeeting) -> dict[str, Any]:
    """Hold `m` through the actions at its own times (a replayed clock): invited ten days before, attendance,
    each item with its speeches and secret vote, ended; then its biên bản written from the secretary's texts,
    sent and approved by the chair the next afternoon, and its thông báo kết luận begun as a draft. Returns the
    meeting's id, its items' and the two documents' ids."""
    start = datetime(m.year, m.month, m.day, m.start_hour, tzinfo=VIETNAM)
    clock = ReplayClock(start - timedelta(days=10))
    secretary = await ids.actor(services, m.secretary_username)
    chair = await ids.actor(services, m.chair_username)

    async def act(actor: Actor, action: str, **args: Any) -> dict[str, Any]:
        return await run_action(services, actor, action, {"meeting_id": mid, **args})

    with replaying(clock):
        made = await _create_meeting(services, ids, m, start, sum(h.minutes for h in m.items) + 10)
        mid = made["meeting_id"]
        await act(secretary, "meeting.schedule")
        clock.set(start)
        await act(secretary, "meeting.start")
        late = {username: start + timedelta(minutes=minutes) for username, minutes in m.late}
        absent = dict(m.absent)
        hall_of = {s.unit_key: s.key for s in d.SITES if s.key in m.site_keys}
        halls = {p.username: hall_of[p.unit_key] for p in d.PEOPLE if p.unit_key in hall_of}

        async def arrivals_until(moment: datetime) -> None:
            """The late arrive, each at their time, before whatever happens at `moment`."""
            for username, arrived in list(late.items()):
                if arrived <= moment:
                    clock.set(arrived)
                    body = {"person_id": ids.users[username], "status": LATE, "place": IN_HALL}
                    await act(secretary, "attendance.record", **body)
                    del late[username]

        for n, username in enumerate((m.chair_username, *m.invitee_usernames)):
            clock.set(start + timedelta(seconds=20 * n))
            if username in late:
                continue
            body: dict[str, Any] = {"person_id": ids.users[username], "status": CHECKED_IN, "place": IN_HALL}
            if username in absent:
                body = {"person_id": ids.users[username], "status": ABSENT_EXCUSED, "reason": absent[username]}
            elif halls.get(username, m.main_site_key) != m.main_site_key:
                body = {**body, "place": AT_SITE, "site_id": ids.sites[halls[username]]}
            await act(secretary, "attendance.record", **body)
        at = start + timedelta(minutes=5)
        for held, item_id in zip(m.items, made["items"], strict=True):
            await arrivals_until(at)
            clock.set(at)
            await act(secretary, "agenda.set_current", item_id=item_id)
            talk_at = at + timedelta(minutes=15)
            for speech in held.speeches:
                await arrivals_until(talk_at)
                clock.set(talk_at)
                who = {"speaker": f"user:{ids.users[speech.username]}", "item_id": item_id}
                if speech.site_key != m.main_site_key:
                    who["site_id"] = ids.sites[speech.site_key]
                added = await act(secretary, "floor.add", **who)
                await act(secretary, "floor.give", request_id=added["request_id"])
                clock.set(talk_at + timedelta(seconds=speech.seconds))
                await act(secretary, "floor.end")
                talk_at += timedelta(seconds=speech.seconds + 60)
            if held.vote_question:
                clock.set(talk_at)
                prepared = await act(
                    secretary, "vote.prepare", item_id=item_id, question=held.vote_question, secret=True
                )
                vote_id = prepared["vote"]["id"]
                await act(secretary, "vote.open", vote_id=vote_id)
                voters = [u for u in (m.chair_username, *m.invitee_usernames) if u not in absent and u not in late]
                for k, username in enumerate(voters):
                    clock.set(talk_at + timedelta(seconds=10 + 3 * k))
                    choice = "no" if username in held.votes_no else "yes"
                    await act(
                        await ids.actor(services, username), "vote.cast_ballot", vote_id=vote_id, choices=[choice]
                    )
                clock.set(talk_at + timedelta(minutes=2))
                await act(secretary, "vote.close", vote_id=vote_id)
            at += timedelta(minutes=held.minutes)
        clock.set(at)
        await act(secretary, "meeting.end")

        clock.set(start + timedelta(hours=6))  # the afternoon: the secretary writes the biên bản
        minutes_doc = (await act(secretary, "record.create", kind=RECORD_MINUTES))["document"]["id"]
        for held, item_id in zip(m.items, made["items"], strict=True):
            for field, html in (
                (RECORD_FIELD_DISCUSSION, held.discussion_html),
                (RECORD_FIELD_CONCLUSION, held.conclusion_html),
            ):
                await act(
                    secretary,
                    "record.text.save",
                    document_id=minutes_doc,
                    part=item_id,
                    field=field,
                    html=html,
                    base_revision=0,
                )
        await act(secretary, "record.submit", document_id=minutes_doc)
        clock.set(start + timedelta(days=1, hours=6))  # the chair approves it the next afternoon: numbered
        await act(chair, "record.approve", document_id=minutes_doc)
        notice = await act(
            secretary,
            "record.create",
            kind=RECORD_CONCLUSION,
            signer_id=ids.users[m.conclusion_signer_username],
            signer_authority=m.conclusion_signer_authority,
            signer_title=m.conclusion_signer_title,
        )
        notice_doc = notice["document"]["id"]
        await act(
            secretary,
            "record.text.save",
            document_id=notice_doc,
            part=RECORD_PART_CLOSING,
            field=RECORD_FIELD_CONCLUSION,
            html=m.conclusion_closing_html,
            base_revision=0,
        )
    async with services.db.write() as session:  # a past meeting's invitations are not mailed now
        for row in await mail_store.mails_of(session, mid):
            if row.status == MAIL_QUEUED:
                await mail_store.mark_failed(session, row.id, PAST_MAIL_REASON)
    return {"id": mid, "items": made["items"], "minutes_id": minutes_doc, "notice_id": notice_doc}


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
