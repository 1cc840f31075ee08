"""Fixtures: a real server on a loopback port over real SQLite and (when asked) a real PostgreSQL."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Iterator
from pathlib import Path

import pytest

from tests.helpers import LiveServer
from tests.pgserver import PostgresServer, find_pg_bindir

pytest_plugins = ["tests.browserkit", "tests.hsmkit"]  # the `browser` fixture; the SoftHSM2 `tokens`


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresServer]:
    if find_pg_bindir() is None:
        pytest.fail("PostgreSQL binaries are missing: `make test` installs them (apt-get install postgresql)")
    server = PostgresServer()
    server.start()
    yield server
    server.stop()


@pytest.fixture(params=["sqlite", pytest.param("postgres", marks=pytest.mark.postgres)])
def database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """Every test that takes this runs twice: on SQLite and on PostgreSQL."""
    if request.param == "sqlite":
        return f"sqlite+aiosqlite:///{tmp_path / 'meetings.sqlite3'}"
    server: PostgresServer = request.getfixturevalue("postgres")
    return server.url(f"t_{uuid.uuid4().hex[:12]}")


@pytest.fixture
async def live_server(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[LiveServer]:
    """A server on SQLite (the embedded default)."""
    server = LiveServer(f"sqlite+aiosqlite:///{tmp_path / 'meetings.sqlite3'}", tmp_path)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def empty_database(database_url: str, request: pytest.FixtureRequest) -> str:
    """`database_url` on each database the product supports, the database made (on PostgreSQL) and nothing in it:
    for a server, or for a test that migrates it step by step itself."""
    if database_url.startswith("postgresql"):
        pg: PostgresServer = request.getfixturevalue("postgres")
        await pg.create_database(database_url.rsplit("/", 1)[1])
    return database_url


@pytest.fixture
async def any_server(empty_database: str, tmp_path: Path) -> AsyncIterator[LiveServer]:
    """A server on each database the product supports."""
    server = LiveServer(empty_database, tmp_path)
    await server.start()
    yield server
    await server.stop()
