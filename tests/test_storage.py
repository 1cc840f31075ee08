"""Storage on SQLite and PostgreSQL: migrations match the models, concurrent writers keep the event log
gap-free and never deadlock, and a failed action leaves nothing half-applied."""

from __future__ import annotations

import asyncio
import logging
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from sqlalchemy import Connection, text
from sqlalchemy.exc import DBAPIError

from meeting_server.actions import run_action
from meeting_server.auth import actor_of_user
from meeting_server.domain.actors import Actor
from meeting_server.errors import AppError
from meeting_server.storage import directory
from meeting_server.storage.db import Database
from meeting_server.storage.models import Base
from meeting_server.storage.search import engine_owned
from tests.helpers import LiveServer, make_meeting


async def test_migrations_match_models(any_server: LiveServer) -> None:
    assert any_server.services is not None

    def diff(connection: Connection) -> list[Any]:
        # The search engine's own objects (FTS5 table, tsvector column and index) are not models: storage/search.py
        def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
            return not (reflected and engine_owned(name, type_))

        context = MigrationContext.configure(connection, opts={"include_object": include})
        return compare_metadata(context, Base.metadata)

    async with any_server.services.db.engine.connect() as conn:
        assert await conn.run_sync(diff) == []


async def test_sqlite_runs_in_wal_with_busy_timeout(live_server: LiveServer) -> None:
    assert live_server.services is not None
    async with live_server.services.db.read() as session:
        assert (await session.execute(text("PRAGMA journal_mode"))).scalar() == "wal"
        assert (await session.execute(text("PRAGMA busy_timeout"))).scalar() == 30000


async def test_no_bound_parameter_reaches_a_log_line_or_an_error(
    any_server: LiveServer, caplog: pytest.LogCaptureFixture
) -> None:
    """With the server's logging turned up to DEBUG (an operator chasing a fault, possibly mid-vote), neither
    SQLAlchemy's statement log, the driver's own debug lines nor a database error message prints a statement's
    parameters: in a secret vote they would pair the voter with the choice."""
    assert any_server.services is not None
    marker = "phiếu-kín-7Qx"
    caplog.set_level(logging.DEBUG)
    db = Database(any_server.services.db.url, echo=True)  # the server's database, its statements logged
    try:
        async with db.write() as session:
            assert (await session.execute(text("SELECT :v"), {"v": marker})).scalar() == marker
        with pytest.raises(DBAPIError) as refused:
            async with db.write() as session:
                await session.execute(text("INSERT INTO no_such_table VALUES (:v)"), {"v": marker})
    finally:
        await db.close()
    assert marker not in str(refused.value)
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert "SELECT" in logged  # the statements themselves are logged at this level ...
    assert marker not in logged  # ... but never what was bound to them


async def _admin_actor(server: LiveServer) -> Actor:
    assert server.services is not None
    async with server.services.db.read() as session:
        user = await directory.user_by_username(session, "admin")
        assert user is not None
        return actor_of_user(user)


async def test_concurrent_writers_keep_the_log_gap_free(any_server: LiveServer) -> None:
    """Forty changes at once to one meeting: each gets its own seq, none lost, none deadlocked."""
    services = any_server.services
    assert services is not None
    admin_api = await any_server.admin()
    meeting = await make_meeting(admin_api, items=1)
    actor = await _admin_actor(any_server)

    async def add(n: int) -> None:
        await run_action(
            services,
            actor,
            "agenda.add_item",
            {"meeting_id": meeting["id"], "title": f"Ý kiến {n}"},
        )

    await asyncio.wait_for(asyncio.gather(*(add(n) for n in range(40))), timeout=60)
    status, log = await admin_api.get(f"/api/meetings/{meeting['id']}/events?after={meeting['last_seq']}")
    assert [e["seq"] for e in log["events"]] == list(range(meeting["last_seq"] + 1, meeting["last_seq"] + 41))
    status, snap = await admin_api.get(f"/api/meetings/{meeting['id']}")
    assert sorted(i["title"] for i in snap["agenda"][1:]) == sorted(f"Ý kiến {n}" for n in range(40))


async def test_failed_action_leaves_nothing_behind(any_server: LiveServer) -> None:
    assert any_server.services is not None
    admin_api = await any_server.admin()
    meeting = await make_meeting(admin_api, items=2)
    actor = await _admin_actor(any_server)
    try:
        await run_action(
            any_server.services,
            actor,
            "agenda.reorder",
            {"meeting_id": meeting["id"], "item_ids": [meeting["agenda"][0]["id"]]},
        )
    except AppError as err:
        assert err.code == "invalid_input"
    else:
        raise AssertionError("a partial reorder must be refused")
    status, snap = await admin_api.get(f"/api/meetings/{meeting['id']}")
    assert snap["last_seq"] == meeting["last_seq"] and snap["agenda"] == meeting["agenda"]
