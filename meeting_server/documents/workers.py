"""Sandboxed process pool for CPU-heavy document work (pymupdf), kept off the asyncio event loop.

Each worker is a separate process (``spawn`` by default) with an address-space limit (RLIMIT_AS) and no
core dumps, so a hostile document can at worst take down its worker, never the server. A job that runs
past its timeout, kills its worker (segfault, ``os._exit``) or runs out of memory makes the pool be
replaced: its processes are killed and a fresh pool serves later jobs. Jobs running in the same pool at
that moment fail with ``document_worker_crashed`` too; callers may retry them.

Functions given to :meth:`DocumentWorkers.run` and their arguments must be picklable (top-level).
"""

from __future__ import annotations

import asyncio
import contextlib
import ctypes
import multiprocessing
import os
import pickle
import resource
import signal
import sys
import time
from collections.abc import Callable
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from multiprocessing.process import BaseProcess
from typing import Any, TypeVar

T = TypeVar("T")

PR_SET_PDEATHSIG = 1  # linux/prctl.h
DEFAULT_MEMORY_LIMIT = 1 << 30  # 1 GiB of address space per worker
DOCUMENT_TIMEOUT = "document_timeout"
DOCUMENT_WORKER_CRASHED = "document_worker_crashed"


class DocumentWorkerError(Exception):
    """A document job failed for reasons of the sandbox: ``code`` is one of the constants above."""

    def __init__(self, code: str, detail: str = "") -> None:
        super().__init__(f"{code}: {detail}" if detail else code)
        self.code = code
        self.detail = detail


def _die_with_parent() -> None:
    """Ask Linux to kill this worker when the server dies, however it dies: a server killed by the OOM killer
    or `kill -9` would otherwise leave its (warmed-up, idle) workers behind for good, holding their memory."""
    if not sys.platform.startswith("linux"):
        return
    with contextlib.suppress(OSError, AttributeError):
        ctypes.CDLL(None, use_errno=True).prctl(PR_SET_PDEATHSIG, signal.SIGKILL)
    if os.getppid() == 1:  # the parent died before we asked
        os._exit(0)


def _init_worker(memory_limit: int | None) -> None:
    _die_with_parent()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # Ctrl-C is the parent's business
    resource.setrlimit(resource.RLIMIT_CORE, (0, 0))
    if memory_limit:
        _, hard = resource.getrlimit(resource.RLIMIT_AS)
        limit = memory_limit if hard == resource.RLIM_INFINITY else min(memory_limit, hard)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _invoke(fn: Callable[..., Any], args: tuple[Any, ...]) -> Any:
    """Runs in the worker: make sure whatever ``fn`` raises can travel back to the parent."""
    try:
        return fn(*args)
    except MemoryError:
        raise
    except Exception as exc:
        if type(exc).__name__ == "FzErrorMemory":  # MuPDF's allocation failure under RLIMIT_AS
            raise MemoryError(str(exc)) from None
        try:
            pickle.dumps(exc)
        except Exception:  # e.g. SWIG-wrapped MuPDF errors
            raise RuntimeError(f"{type(exc).__module__}.{type(exc).__qualname__}: {exc}") from None
        raise


def _pool_processes(pool: ProcessPoolExecutor) -> list[BaseProcess]:
    processes = getattr(pool, "_processes", None) or {}  # private, but the only handle on the workers
    for _ in range(5):
        try:
            return list(processes.values())
        except RuntimeError:  # resized by the executor's management thread meanwhile
            time.sleep(0.01)
    return []


def _reap(processes: list[BaseProcess], grace: float) -> None:
    deadline = time.monotonic() + grace
    for proc in processes:
        proc.join(max(0.0, deadline - time.monotonic()))
        if proc.is_alive():
            proc.kill()
            proc.join(1.0)


class DocumentWorkers:
    def __init__(
        self,
        *,
        max_workers: int = 2,
        memory_limit: int | None = DEFAULT_MEMORY_LIMIT,
        start_method: str = "spawn",
        max_tasks_per_child: int | None = None,
    ) -> None:
        if start_method not in ("spawn", "forkserver"):
            raise ValueError("start_method must be 'spawn' or 'forkserver'")
        self.max_workers = max_workers
        self.memory_limit = memory_limit
        self._context = multiprocessing.get_context(start_method)
        self._max_tasks_per_child = max_tasks_per_child
        self._slots = asyncio.Semaphore(max_workers)  # queueing happens here, so timeouts count run time only
        self._closed = False
        self._pool = self._new_pool()

    def _new_pool(self) -> ProcessPoolExecutor:
        return ProcessPoolExecutor(
            max_workers=self.max_workers,
            mp_context=self._context,
            initializer=_init_worker,
            initargs=(self.memory_limit,),
            max_tasks_per_child=self._max_tasks_per_child,
        )

    def _replace(self, failed: ProcessPoolExecutor) -> None:
        """Swap in a fresh pool (unless already done for this failure) and kill the failed one's workers."""
        if self._pool is failed and not self._closed:
            self._pool = self._new_pool()
        for proc in _pool_processes(failed):
            if proc.is_alive():
                proc.kill()
        failed.shutdown(wait=False, cancel_futures=True)

    async def run(self, fn: Callable[..., T], *args: Any, timeout: float = 30.0) -> T:  # noqa: ASYNC109
        """Run ``fn(*args)`` in a worker process; raises DocumentWorkerError on timeout or crash.

        Exceptions raised by ``fn`` itself propagate unchanged (unpicklable ones as RuntimeError),
        except MemoryError, which counts as a crash.
        """
        async with self._slots:
            if self._closed:
                raise RuntimeError("DocumentWorkers is closed")
            pool = self._pool
            loop = asyncio.get_running_loop()
            try:
                return await asyncio.wait_for(loop.run_in_executor(pool, _invoke, fn, args), timeout)
            except TimeoutError:
                self._replace(pool)
                raise DocumentWorkerError(DOCUMENT_TIMEOUT, f"no result after {timeout:g} s") from None
            except BrokenProcessPool as exc:
                self._replace(pool)
                raise DocumentWorkerError(DOCUMENT_WORKER_CRASHED, "worker process died") from exc
            except MemoryError as exc:
                self._replace(pool)
                raise DocumentWorkerError(DOCUMENT_WORKER_CRASHED, "memory limit exceeded") from exc

    async def close(self, grace: float = 5.0) -> None:
        """Stop accepting jobs, let running ones finish for up to ``grace`` seconds, then kill the workers."""
        if self._closed:
            return
        self._closed = True
        processes = _pool_processes(self._pool)
        self._pool.shutdown(wait=False, cancel_futures=True)
        await asyncio.to_thread(_reap, processes, grace)

    async def __aenter__(self) -> DocumentWorkers:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()
