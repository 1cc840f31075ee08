"""Smoke test for the throwaway PostgreSQL helper the postgres-marked tests rely on.

If this fails, every PostgreSQL-backed test would fail for an unrelated-looking
reason, so it checks the helper end to end: start, create a database, talk to
it over TCP with UTF-8 (Vietnamese) text, drop it, stop and clean up.
"""

from __future__ import annotations

import time

import asyncpg
import pytest

from tests.pgserver import PostgresServer, find_pg_bindir

pytestmark = pytest.mark.postgres

VIETNAMESE = "Ủy ban nhân dân tỉnh Tuyên Quang"


async def test_throwaway_cluster_roundtrip() -> None:
    bindir = find_pg_bindir()
    if bindir is None:
        pytest.fail("PostgreSQL server binaries (initdb/pg_ctl) missing: `make test` installs them")

    server = PostgresServer(bindir)
    t0 = time.monotonic()
    server.start()
    try:
        startup = time.monotonic() - t0
        assert startup < 150, f"cluster startup took {startup:.1f}s"  # ~2 s here; far more for a loaded CI
        assert server.host == "127.0.0.1"
        assert server.port > 0
        assert server.socket_dir is not None and server.socket_dir.is_dir()

        url = await server.create_database("pgserver_smoke")
        assert url == f"postgresql+asyncpg://{server.user}@127.0.0.1:{server.port}/pgserver_smoke"

        conn = await asyncpg.connect(url.replace("postgresql+asyncpg://", "postgresql://", 1))
        try:
            assert await conn.fetchval("select 1") == 1
            assert await conn.fetchval("show server_encoding") == "UTF8"
            await conn.execute("create table units (id serial primary key, name text not null)")
            await conn.execute("insert into units (name) values ($1)", VIETNAMESE)
            assert await conn.fetchval("select name from units where name = $1", VIETNAMESE) == VIETNAMESE
            assert await conn.fetchval("select upper(name) from units") == VIETNAMESE.upper()
        finally:
            await conn.close()

        await server.drop_database("pgserver_smoke")
        await server.drop_database("pgserver_smoke")  # IF EXISTS: dropping twice is harmless
    finally:
        socket_dir = server.socket_dir
        server.stop()
        server.stop()  # idempotent

    assert not server.running
    assert socket_dir is not None and not socket_dir.exists()
