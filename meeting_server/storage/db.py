"""Engine and transactions.

SQLite is the embedded default: WAL so readers never wait for the writer, a busy timeout so a second writer
waits instead of failing, and `BEGIN IMMEDIATE` for write transactions so two writers never both start as
readers and deadlock when they upgrade. PostgreSQL takes row locks (`SELECT ... FOR UPDATE`) instead.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
import string
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager
from contextvars import ContextVar
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import event, text
from sqlalchemy.ext.asyncio import AsyncEngine, AsyncSession, async_sessionmaker, create_async_engine

_ALPHABET = string.ascii_letters + string.digits


def new_id(prefix: str) -> str:
    return f"{prefix}_{''.join(secrets.choice(_ALPHABET) for _ in range(14))}"


_REPLAY_CLOCK: ContextVar[Callable[[], datetime] | None] = ContextVar("replay_clock", default=None)


def utc_now() -> datetime:
    """Now, in UTC: what the log, attendance, the floor, votes and the register stamp. Inside `replaying` (the demo
    seeding a meeting held in the past, demo.py) it is that meeting's own time instead."""
    clock = _REPLAY_CLOCK.get()
    return clock() if clock is not None else datetime.now(UTC)


@contextmanager
def replaying(clock: Callable[[], datetime]) -> Iterator[None]:
    """Run actions (in this task and the tasks it starts) as if `clock()` were now: the demo's past meeting."""
    token = _REPLAY_CLOCK.set(clock)
    try:
        yield
    finally:
        _REPLAY_CLOCK.reset(token)


def now_iso() -> str:
    return iso(utc_now())


def iso(moment: datetime) -> str:
    if moment.tzinfo is None:
        raise ValueError("naive datetime: a time without a zone is ambiguous between Hà Nội and UTC")
    return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_iso(value: str) -> datetime:
    return datetime.fromisoformat(value.replace("Z", "+00:00"))


class Database:
    def __init__(self, url: str, *, echo: bool = False) -> None:
        self.url = url
        self.is_sqlite = url.startswith("sqlite")
        connect_args: dict[str, Any] = {}
        # Bound parameters never reach a log line or an error message: in a secret vote they would pair a voter
        # with a choice (docs/votes.md). The driver's own debug lines print them too, so they are held back.
        kwargs: dict[str, Any] = {"echo": echo, "hide_parameters": True}
        logging.getLogger("aiosqlite").setLevel(max(logging.INFO, logging.getLogger("aiosqlite").level))
        if self.is_sqlite:
            path = url.split("///", 1)[-1]
            if path and path != ":memory:":
                Path(path).parent.mkdir(parents=True, exist_ok=True)
            connect_args["timeout"] = 30
        else:
            kwargs.update(pool_size=10, max_overflow=20, pool_pre_ping=True)
        self.engine: AsyncEngine = create_async_engine(url, connect_args=connect_args, **kwargs)
        if self.is_sqlite:
            _configure_sqlite(self.engine)
        self._write_engine = self.engine.execution_options(ms_write=True)
        self._write_turn: asyncio.Lock | None = asyncio.Lock() if self.is_sqlite else None
        self._reads = async_sessionmaker(self.engine, expire_on_commit=False)
        self._writes = async_sessionmaker(self._write_engine, expire_on_commit=False)

    @asynccontextmanager
    async def read(self) -> AsyncIterator[AsyncSession]:
        async with self._reads() as session:
            yield session

    @asynccontextmanager
    async def write(self) -> AsyncIterator[AsyncSession]:
        """One write transaction: committed when the block ends, rolled back on any exception.

        On SQLite the writers of this process queue here, in order, instead of in SQLite's busy handler (which
        sleeps with back-off while it polls the lock: hundreds of concurrent ballots waited seconds there)."""
        if self._write_turn is None:
            async with self._writes() as session, session.begin():
                yield session
            return
        async with self._write_turn, self._writes() as session, session.begin():
            yield session

    async def ping(self) -> bool:
        async with self.engine.connect() as conn:
            await conn.execute(text("SELECT 1"))
        return True

    async def close(self) -> None:
        await self.engine.dispose()


def _configure_sqlite(engine: AsyncEngine) -> None:
    sync_engine = engine.sync_engine

    @event.listens_for(sync_engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        # Let SQLAlchemy's "begin" event below issue BEGIN itself, with the right mode.
        dbapi_conn.isolation_level = None
        cursor = dbapi_conn.cursor()
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.close()

    @event.listens_for(sync_engine, "begin")
    def _on_begin(conn: Any) -> None:
        write = conn.get_execution_options().get("ms_write", False)
        conn.exec_driver_sql("BEGIN IMMEDIATE" if write else "BEGIN")
