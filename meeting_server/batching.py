"""Concurrent calls gathered into one piece of work (a group commit, one read for many): while one batch runs,
the calls that arrive meanwhile wait and form the next batch. No timer: a call that finds nothing running goes
at once, so a lone call pays nothing and 500 at once pay for a few batches, not 500 transactions."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from typing import Generic, TypeVar

T = TypeVar("T")
R = TypeVar("R")


class Batcher(Generic[T, R]):
    """`submit(item)` answers with `run`'s outcome for that item. `run` takes the batch and returns one outcome
    per item, in order (an exception there fails the whole batch). Bound to the event loop it first runs on."""

    def __init__(self, run: Callable[[list[T]], Awaitable[list[R | BaseException]]], limit: int = 1000) -> None:
        self._run = run
        self._limit = limit
        self._waiting: list[tuple[T, asyncio.Future[R]]] = []
        self._leader: asyncio.Task[None] | None = None
        self._loop: asyncio.AbstractEventLoop | None = None
        self._running: list[tuple[T, asyncio.Future[R]]] = []  # the batch `run` is working on

    @property
    def idle(self) -> bool:
        return self._leader is None and not self._waiting

    async def submit(self, item: T) -> R:
        loop = asyncio.get_running_loop()
        if self._loop is not loop:  # a new loop (tests): nothing of the old one's can still run
            self._loop, self._waiting, self._leader = loop, [], None
        answer: asyncio.Future[R] = loop.create_future()
        self._waiting.append((item, answer))
        if self._leader is None:
            self._leader = loop.create_task(self._lead())
        return await asyncio.shield(answer)  # a caller that goes away does not take the batch with it

    async def _lead(self) -> None:
        try:
            while self._waiting:
                batch, self._waiting = self._waiting[: self._limit], self._waiting[self._limit :]
                self._running = batch
                try:
                    outcomes = await self._run([item for item, _ in batch])
                except Exception as exc:
                    outcomes = [exc] * len(batch)
                self.answer(outcomes)
        finally:
            self._leader, self._running = None, []

    def answer(self, outcomes: list[R | BaseException]) -> None:
        """Answer the running batch's calls now (`run` may, before work that need not hold them: a publish);
        what `run` returns then answers nobody twice."""
        for (_, answer), outcome in zip(self._running, outcomes, strict=True):
            if answer.done():
                continue
            if isinstance(outcome, BaseException):
                answer.set_exception(outcome)
            else:
                answer.set_result(outcome)
