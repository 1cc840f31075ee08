"""Broadcasting one event to a thousand sockets without a thousand tasks.

python-socketio's manager creates one asyncio task per recipient for every emit; at a 1000-delegate meeting
that task machinery costs more than the sending (bench/fanout.py, profiles in bench/results). Handing an
engine.io packet to a socket only appends it to that socket's unbounded queue, so doing it in a plain loop
never waits on a slow tablet and keeps the per-socket order the same.
"""

from __future__ import annotations

from typing import Any

import socketio
from engineio import packet as eio_packet
from socketio import packet


class SequentialEmit(socketio.AsyncManager):
    """The one-process manager, with the no-callback emit (every broadcast we make) done without tasks."""

    async def emit(self, event: str, data: Any, namespace: str, room: Any = None, skip_sid: Any = None,
                   callback: Any = None, to: Any = None, **kwargs: Any) -> None:
        if callback is not None:
            await super().emit(event, data, namespace, room=room, skip_sid=skip_sid, callback=callback, to=to,
                               **kwargs)
            return
        room = to or room
        if namespace not in self.rooms:
            return
        args = list(data) if isinstance(data, tuple) else ([] if data is None else [data])
        skip = skip_sid if isinstance(skip_sid, list) else [skip_sid]
        encoded = self.server.packet_class(packet.EVENT, namespace=namespace, data=[event, *args]).encode()
        frames = [eio_packet.Packet(eio_packet.MESSAGE, p) for p in (encoded if isinstance(encoded, list)
                                                                       else [encoded])]
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
