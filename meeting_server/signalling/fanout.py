"""Broadcasting one event to a thousand sockets without a thousand tasks.

python-socketio's manager creates one asyncio task per recipient for every emit; at a 1000-delegate meeting
that task machinery costs more than the sending (bench/fanout.py, profiles in bench/results). Handing an
engine.io packet to a socket only appends it to that socket's unbounded queue, so doing it in a plain loop
never waits on a slow tablet and keeps the per-socket order the same.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from importlib.metadata import version
from typing import Any

import socketio
from engineio import exceptions as engineio_exceptions
from engineio import packet as eio_packet
from engineio.async_socket import AsyncSocket
from socketio import packet

# An emit of this event reaches no client: every node's manager hands its data to the hub (`on_internal`), so a
# change made on one node (a member removed, a role changed, a session ended) acts on the sockets of all nodes.
INTERNAL_EVENT = "hub:internal"


class SequentialEmit(socketio.AsyncManager):
    """The one-process manager, with the no-callback emit (every broadcast we make) done without tasks."""

    on_internal: Callable[[Any], Awaitable[None]] | None = None

    async def emit(
        self,
        event: str,
        data: Any,
        namespace: str,
        room: Any = None,
        skip_sid: Any = None,
        callback: Any = None,
        to: Any = None,
        **kwargs: Any,
    ) -> None:
        if event == INTERNAL_EVENT:
            if self.on_internal is not None:
                await self.on_internal(data)
            return
        if callback is not None:
            await super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to, **kwargs)
            return
        room = to or room
        if namespace not in self.rooms:
            return
        args = list(data) if isinstance(data, tuple) else ([] if data is None else [data])
        skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        encoded = self.server.packet_class(packet.EVENT, namespace=namespace, data=[event, *args]).encode()
        frames = [
            eio_packet.Packet(eio_packet.MESSAGE, p) for p in (encoded if isinstance(encoded, list) else [encoded])
        ]
        for sid, eio_sid in list(self.get_participants(namespace, room)):
            if sid in skip:
                continue
            for frame in frames:
                await self.server._send_eio_packet(eio_sid, frame)


LocalManager = SequentialEmit


class RedisManager(socketio.AsyncRedisManager, SequentialEmit):
    """Several server processes: Redis carries each emit to every node, which then delivers it locally.

    The pub/sub manager publishes in its own emit and delivers with `super().emit` when the message comes
    back from Redis; listing SequentialEmit after it puts the task-free delivery exactly there (the MRO runs
    AsyncRedisManager, AsyncPubSubManager, SequentialEmit, AsyncManager)."""


async def _poll(self: AsyncSocket) -> list[eio_packet.Packet]:
    """engine.io's AsyncSocket.poll (python-engineio 4.x) with `asyncio.timeout` in place of `asyncio.wait_for`.

    Every socket's writer waits here once per message; on Python 3.11 wait_for wraps each wait in a new task,
    which at a 1000-socket meeting was the largest single cost of a broadcast (bench/results/experiments).
    Behaviour is the same: a timeout or a cancellation ends the writer with QueueEmpty, None closes it."""
    try:
        async with asyncio.timeout(self.server.ping_interval + self.server.ping_timeout):
            packets = [await self.queue.get()]
        self.queue.task_done()
    except (TimeoutError, asyncio.CancelledError):
        raise engineio_exceptions.QueueEmpty() from None
    if packets == [None]:
        return []
    while True:
        try:
            pkt = self.queue.get_nowait()
        except asyncio.QueueEmpty:
            break
        self.queue.task_done()
        if pkt is None:
            self.queue.put_nowait(None)
            break
        packets.append(pkt)
    return packets


def install_fast_poll() -> None:
    """Swap in `_poll` for the engine.io versions it was written against (pyproject pins them)."""
    if not version("python-engineio").startswith("4."):
        return
    AsyncSocket.poll = _poll
