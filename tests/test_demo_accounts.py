"""The demo accounts people are told about are the accounts the seed creates, every one (issue 9, item 15)."""

from __future__ import annotations

import re
from pathlib import Path

from sqlalchemy import select

from meeting_server import demo_data as d
from meeting_server.demo import accounts_table, seed
from meeting_server.storage.models import MailRow, UserRow
from tests.helpers import LiveServer

ROOT = Path(__file__).resolve().parent.parent


def listed_in_docs() -> list[tuple[str, str]]:
    """(username, roles) of each row of docs/demo.md's table."""
    rows = re.findall(r"^\| `([a-z0-9._-]+)` \| ([a-z_, ]+) \|", (ROOT / "docs" / "demo.md").read_text(), re.M)
    return [(name, roles.strip()) for name, roles in rows]


async def test_every_seeded_account_is_listed_and_nothing_else(tmp_path: Path) -> None:
    server = LiveServer(f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}", tmp_path)
    await server.start(seed_admin=False)
    try:
        assert server.services is not None
        await seed(server.services)
        async with server.services.db.read() as session:
            users = (await session.execute(select(UserRow))).scalars().all()
    finally:
        await server.stop()
    seeded = sorted((u.username, ", ".join(u.roles)) for u in users)
    assert len(seeded) == len(d.PEOPLE) and ("ct.tantrao", "delegate") in seeded
    assert sorted(listed_in_docs()) == seeded
    printed = [line.split()[0] for line in accounts_table().splitlines()[1:]]
    assert sorted(printed) == [name for name, _ in seeded]
    readme = (ROOT / "README.md").read_text()
    assert f"all {len(seeded)} are listed in [docs/demo.md]" in readme
    intro = readme.split("`make run` prints the demo accounts", 1)[1].split("\n\n", 1)[0]
    named = set(re.findall(r"`([a-z0-9._-]+)`", intro)) - {d.DEMO_PASSWORD, "ct.hopthanh"}
    assert len(named) >= 5 and named <= {name for name, _ in seeded}, named


async def test_the_demo_mails_only_reserved_addresses_and_queues_its_invitations(tmp_path: Path) -> None:
    """Every demo account has an e-mail under the reserved `.example` name, so a demo wired to a real relay mails
    no real office; seeding schedules the demo meetings, whose invitations wait in the outbox (no SMTP host)."""
    server = LiveServer(f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}", tmp_path)
    await server.start(seed_admin=False)
    try:
        assert server.services is not None
        made = await seed(server.services)
        async with server.services.db.read() as session:
            users = (await session.execute(select(UserRow))).scalars().all()
            mails = (await session.execute(select(MailRow))).scalars().all()
    finally:
        await server.stop()
    assert users and all(u.email == f"{u.username}@tuyenquang.example" for u in users)
    assert {m.meeting_id for m in mails} == {m["id"] for m in made["meetings"]}
    held = made["held"]["id"]  # the meeting held last month: its invitations are not sent now
    assert {(m.kind, m.status) for m in mails if m.meeting_id != held} == {("invitation", "queued")}
    assert {(m.kind, m.status) for m in mails if m.meeting_id == held} == {("invitation", "failed")}
    assert all(m.address.endswith("@tuyenquang.example") for m in mails)
