"""The document worker pool: real processes, real timeouts, real crashes and memory limits."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import AsyncIterator
from pathlib import Path

import pymupdf
import pytest

from meeting_server.documents.workers import (
    DOCUMENT_TIMEOUT,
    DOCUMENT_WORKER_CRASHED,
    DocumentWorkerError,
    DocumentWorkers,
)
from tests import worker_fns
from tests.helpers import wait_for

pytestmark = pytest.mark.timeout(120)


@pytest.fixture
async def workers() -> AsyncIterator[DocumentWorkers]:
    pool = DocumentWorkers(max_workers=2)
    yield pool
    await pool.close()


async def test_renders_an_invitation_in_a_worker(workers: DocumentWorkers) -> None:
    pdf = await workers.run(worker_fns.render_sample_invitation, 5, timeout=60)
    assert pdf.startswith(b"%PDF-")
    doc = pymupdf.open("pdf", pdf)
    assert "GIẤY MỜI" in doc[0].get_text()
    assert await workers.run(worker_fns.worker_pid) != os.getpid()


async def test_event_loop_stays_responsive_while_rendering(workers: DocumentWorkers, tmp_path: Path) -> None:
    held, release = tmp_path / "held", tmp_path / "release"
    job = asyncio.create_task(workers.run(worker_fns.hold, str(held), str(release), timeout=60))
    await wait_for(held.exists)  # the loop runs while a worker has the job...
    assert not job.done()
    release.touch()  # ...and only the loop can end it
    assert await job != os.getpid()


async def test_timeout_kills_the_job_and_the_pool_recovers(tmp_path: Path) -> None:
    async with DocumentWorkers(max_workers=1) as workers:
        stuck_pid = await workers.run(worker_fns.worker_pid, timeout=60)  # the one worker, started
        with pytest.raises(DocumentWorkerError) as info:
            await workers.run(worker_fns.hold, str(tmp_path / "held"), timeout=1.0)  # never ends but by timeout
        assert info.value.code == DOCUMENT_TIMEOUT
        assert await workers.run(worker_fns.add, 2, 3, timeout=60) == 5
        try:
            await wait_for(lambda: not _alive(stuck_pid))
        except AssertionError:
            raise AssertionError("the stuck worker process was left running") from None


async def test_worker_exit_gives_crash_error_and_the_pool_recovers(workers: DocumentWorkers) -> None:
    with pytest.raises(DocumentWorkerError) as info:
        await workers.run(worker_fns.exit_hard, 1, timeout=60)
    assert info.value.code == DOCUMENT_WORKER_CRASHED
    assert await workers.run(worker_fns.add, 20, 22, timeout=60) == 42


async def test_memory_limit_gives_crash_error_and_the_pool_recovers() -> None:
    async with DocumentWorkers(max_workers=1, memory_limit=1 << 30) as workers:
        with pytest.raises(DocumentWorkerError) as info:
            await workers.run(worker_fns.allocate, 2 << 30, timeout=60)
        assert info.value.code == DOCUMENT_WORKER_CRASHED
        assert await workers.run(worker_fns.allocate, 16 << 20, timeout=60) == 16 << 20
        pdf = await workers.run(worker_fns.render_sample_invitation, 1, timeout=60)
        assert pdf.startswith(b"%PDF-")


async def test_function_errors_propagate_unchanged(workers: DocumentWorkers) -> None:
    with pytest.raises(ValueError, match="hỏng"):
        await workers.run(worker_fns.raise_value_error, "tệp hỏng", timeout=60)
    with pytest.raises(RuntimeError, match="FzError"):  # MuPDF's own (unpicklable) error, carried over
        await workers.run(worker_fns.huge_pixmap, timeout=60)
    assert await workers.run(worker_fns.add, 1, 2, timeout=60) == 3


async def test_concurrent_jobs_queue_for_free_workers(workers: DocumentWorkers) -> None:
    results = await asyncio.gather(*(workers.run(worker_fns.add, i, i, timeout=60) for i in range(8)))
    assert results == [2 * i for i in range(8)]


async def test_queue_time_does_not_count_against_the_timeout(tmp_path: Path) -> None:
    held, release = tmp_path / "held", tmp_path / "release"
    async with DocumentWorkers(max_workers=1) as workers:
        first = asyncio.create_task(workers.run(worker_fns.hold, str(held), str(release), timeout=60))
        await wait_for(held.exists)
        queued = asyncio.create_task(workers.run(worker_fns.add, 1, 1, timeout=1.0))
        # The time is the behaviour here: the queued job waits twice its timeout behind the first one.
        await asyncio.sleep(2.0)
        assert not queued.done()
        release.touch()
        assert await queued == 2
        await first


async def test_closed_pool_refuses_work() -> None:
    workers = DocumentWorkers(max_workers=1)
    assert await workers.run(worker_fns.add, 1, 1, timeout=60) == 2
    await workers.close()
    await workers.close()  # idempotent
    with pytest.raises(RuntimeError, match="closed"):
        await workers.run(worker_fns.add, 1, 1)


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    with open(f"/proc/{pid}/stat") as stat:  # a zombie still answers kill(0)
        return stat.read().split(") ", 1)[1][0] != "Z"


ROOT = Path(__file__).resolve().parent.parent
PARENT = """
import asyncio, os, sys
from meeting_server.documents.workers import DocumentWorkers
from tests import worker_fns

async def main():
    pool = DocumentWorkers(max_workers=2)
    pids = await asyncio.gather(*(pool.run(worker_fns.meet_pid, sys.argv[1], 2) for _ in range(2)))
    print(" ".join(str(p) for p in sorted(set(pids))), flush=True)
    await asyncio.Event().wait()  # until killed

asyncio.run(main())
"""


async def test_workers_die_with_a_killed_server(tmp_path: Path) -> None:
    """A server killed outright (OOM killer, kill -9) leaves no idle workers behind."""
    proc = await asyncio.create_subprocess_exec(
        sys.executable, "-c", PARENT, str(tmp_path), stdout=asyncio.subprocess.PIPE, cwd=str(ROOT)
    )
    assert proc.stdout is not None
    line = await asyncio.wait_for(proc.stdout.readline(), 60)
    pids = [int(p) for p in line.split()]
    assert len(pids) == 2 and all(alive(p) for p in pids)
    proc.kill()
    await proc.wait()
    try:
        await wait_for(lambda: not any(alive(p) for p in pids), timeout=10, interval=0.1)
    except AssertionError:
        raise AssertionError("workers outlived their server") from None


def alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ")[1][0] != "Z"
    except FileNotFoundError:
        return False
