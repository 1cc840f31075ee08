#!/usr/bin/env python3
"""The load generator of bench/papers.py's `page_links` and `tablets` sections, run in a process of its own so
that it does not share the server's core: plain HTTP/1.1 GETs over keep-alive connections (a few lines of asyncio
streams on uvloop, much cheaper per request than an HTTP client library, so that the server is what is measured).

    pageload.py < SPEC.json   → prints one JSON line

SPEC: {"host", "port", "headers": {...}, "mode": "rate" | "tablets", ...}
- rate: {"connections": C, "seconds": S, "paths": [...]}: C connections, each asking for the paths in turn (from
  its own offset) for S seconds; answers {requests, bytes, seconds, per_second, latency_ms: {p50, p99, max}}.
- tablets: {"tablets": [[path, ...], ...], "per_tablet": K}: every tablet opens K connections and fetches its own
  paths over them (as static/app/reader/prefetch.js does, two at a time); answers the wall time until the last
  tablet has every page, each tablet's time (p50/p99), requests and bytes.
A non-200 answer is counted in `errors` (with its status) and the run goes on.
"""

from __future__ import annotations

import asyncio
import json
import sys
import time
from typing import Any

CONNECT_AT_ONCE = 64  # connections being opened at once (the server's listen backlog is 128)


class Connection:
    def __init__(self, host: str, port: int, headers: dict[str, str]) -> None:
        self.host, self.port = host, port
        self.extra = "".join(f"{k}: {v}\r\n" for k, v in headers.items())
        self.reader: asyncio.StreamReader | None = None
        self.writer: asyncio.StreamWriter | None = None
        self.reconnects = 0

    async def open(self, gate: asyncio.Semaphore) -> None:
        async with gate:
            self.reader, self.writer = await asyncio.open_connection(self.host, self.port, limit=1 << 20)

    async def get(self, path: str) -> tuple[int, int]:
        """(status, body bytes) of one GET, the connection kept alive; a connection the server reset or closed
        is opened again and the request sent once more, as a browser does (counted in `reconnects`)."""
        try:
            return await self._get(path)
        except (ConnectionError, asyncio.IncompleteReadError):
            self.reconnects += 1
            self.close()
            await self.open(asyncio.Semaphore(1))
            return await self._get(path)

    async def _get(self, path: str) -> tuple[int, int]:
        if self.writer is None or self.writer.is_closing():
            await self.open(asyncio.Semaphore(1))
        assert self.reader is not None and self.writer is not None
        self.writer.write(f"GET {path} HTTP/1.1\r\nHost: {self.host}:{self.port}\r\n{self.extra}\r\n".encode())
        head = await self.reader.readuntil(b"\r\n\r\n")
        status = int(head[9:12])
        length, close = 0, False
        for line in head.split(b"\r\n")[1:]:
            name, _, value = line.partition(b":")
            name = name.strip().lower()
            if name == b"content-length":
                length = int(value)
            elif name == b"connection" and value.strip().lower() == b"close":
                close = True
        left = length
        while left:
            chunk = await self.reader.read(min(left, 1 << 20))
            if not chunk:
                raise ConnectionError("closed in the middle of a body")
            left -= len(chunk)
        if close:
            self.writer.close()
        return status, length

    def close(self) -> None:
        if self.writer is not None:
            self.writer.close()


def _ms(values: list[float]) -> dict[str, float]:
    if not values:
        return {"n": 0}
    ordered = sorted(values)

    def q(frac: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(frac * len(ordered)))] * 1000, 1)

    return {"n": len(ordered), "p50": q(0.50), "p99": q(0.99), "max": round(ordered[-1] * 1000, 1)}


async def rate(spec: dict[str, Any]) -> dict[str, Any]:
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)
    conns = [Connection(spec["host"], spec["port"], spec.get("headers", {})) for _ in range(spec["connections"])]
    await asyncio.gather(*(c.open(gate) for c in conns))
    paths: list[str] = spec["paths"]
    latencies: list[float] = []
    errors: dict[str, int] = {}
    got = 0
    deadline = time.perf_counter() + float(spec["seconds"])

    async def run(k: int, conn: Connection) -> None:
        nonlocal got
        i = k * 7
        while time.perf_counter() < deadline:
            t = time.perf_counter()
            status, size = await conn.get(paths[i % len(paths)])
            latencies.append(time.perf_counter() - t)
            got += size
            if status != 200:
                errors[str(status)] = errors.get(str(status), 0) + 1
            i += 1

    started = time.perf_counter()
    await asyncio.gather(*(run(k, c) for k, c in enumerate(conns)))
    seconds = time.perf_counter() - started
    for c in conns:
        c.close()
    return {
        "reconnects": sum(c.reconnects for c in conns),
        "connections": len(conns),
        "requests": len(latencies),
        "bytes": got,
        "seconds": round(seconds, 2),
        "per_second": round(len(latencies) / seconds, 1),
        "latency_ms": _ms(latencies),
        "errors": errors,
    }


async def tablets(spec: dict[str, Any]) -> dict[str, Any]:
    gate = asyncio.Semaphore(CONNECT_AT_ONCE)
    per = int(spec.get("per_tablet", 2))
    finished: list[float] = []
    reconnects: list[int] = []
    latencies: list[float] = []
    errors: dict[str, int] = {}
    got = 0
    started = time.perf_counter()

    async def tablet(paths: list[str]) -> None:
        nonlocal got
        conns = [Connection(spec["host"], spec["port"], spec.get("headers", {})) for _ in range(per)]
        await asyncio.gather(*(c.open(gate) for c in conns))
        queue = list(reversed(paths))

        async def worker(conn: Connection) -> None:
            nonlocal got
            while queue:
                path = queue.pop()
                t = time.perf_counter()
                status, size = await conn.get(path)
                latencies.append(time.perf_counter() - t)
                got += size
                if status != 200:
                    errors[str(status)] = errors.get(str(status), 0) + 1

        await asyncio.gather(*(worker(c) for c in conns))
        finished.append(time.perf_counter() - started)
        reconnects.extend(c.reconnects for c in conns)
        for c in conns:
            c.close()

    await asyncio.gather(*(tablet(paths) for paths in spec["tablets"]))
    wall = time.perf_counter() - started
    return {
        "reconnects": sum(reconnects),
        "tablets": len(spec["tablets"]),
        "per_tablet": per,
        "requests": len(latencies),
        "bytes": got,
        "wall_s": round(wall, 2),
        "per_second": round(len(latencies) / wall, 1),
        "tablet_done_s": {k: v / 1000 for k, v in _ms(finished).items() if k != "n"},
        "latency_ms": _ms(latencies),
        "errors": errors,
    }


def main() -> int:
    spec = json.load(sys.stdin)
    job = rate(spec) if spec["mode"] == "rate" else tablets(spec)
    try:
        import uvloop
    except ImportError:
        result = asyncio.run(job)
    else:
        result = uvloop.run(job)
    print(json.dumps(result))
    return 0


if __name__ == "__main__":
    sys.exit(main())
