"""The two places where the live channel departs from python-socketio/engine.io's own code paths."""

from __future__ import annotations

import asyncio
from types import SimpleNamespace

import pytest
from engineio import exceptions as engineio_exceptions
from engineio.async_socket import AsyncSocket

from meeting_server.signalling.fanout import _poll, install_fast_poll


def socket_with(*packets: object, wait: float = 0.05) -> AsyncSocket:
    server = SimpleNamespace(ping_interval=wait / 2, ping_timeout=wait / 2)
    socket = AsyncSocket.__new__(AsyncSocket)
    socket.server = server
    socket.queue = asyncio.Queue()
    for pkt in packets:
        socket.queue.put_nowait(pkt)
    return socket


async def test_poll_takes_everything_queued_in_order() -> None:
    socket = socket_with("a", "b", "c")
    assert await _poll(socket) == ["a", "b", "c"]
    assert socket.queue.empty()


async def test_poll_stops_at_close_and_requeues_it_as_engineio_does() -> None:
    socket = socket_with("a", None, "late")
    assert await _poll(socket) == ["a"]
    assert await _poll(socket) == ["late"]  # the close marker went back to the end of the queue
    assert await _poll(socket) == []  # and then closes the writer


async def test_poll_times_out_like_engineio() -> None:
    with pytest.raises(engineio_exceptions.QueueEmpty):
        await _poll(socket_with())


async def test_poll_wakes_when_a_packet_arrives() -> None:
    socket = socket_with(wait=600)  # engine.io's timeout would end the wait after ten minutes
    waiting = asyncio.ensure_future(_poll(socket))
    await asyncio.sleep(0)  # one turn of the loop: the poll runs until it waits on the empty queue
    assert not waiting.done()
    socket.queue.put_nowait("event")
    assert await asyncio.wait_for(waiting, 60) == ["event"]


def test_installed_for_the_pinned_engineio() -> None:
    install_fast_poll()
    assert AsyncSocket.poll is _poll
