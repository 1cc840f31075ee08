"""Page images kept in memory: the pages a meeting's tablets are fetching are answered with no system call.

A page image's path names its content (the version's SHA-256, the page, the width), so what is kept never goes
stale. Under uvloop (the server's loop) aiohttp has no sendfile: a `FileResponse` opens, reads and closes the file
in the thread pool, several hand-offs per image that cost more than the rest of the request. The hot set is
small (a 100-page deck at one width is about 10 MB), so up to `max_bytes` of the most recently sent images are
kept (least recently used dropped first); a miss reads the file in a thread. `max_bytes` 0 keeps nothing (the
caller then sends the file). Set by MS_PAGE_MEMORY_MB (docs/deploy.md).
"""

from __future__ import annotations

import asyncio
from collections import OrderedDict
from pathlib import Path


class ImageCache:
    def __init__(self, max_bytes: int) -> None:
        self.max_bytes = max(0, max_bytes)
        self.size = 0
        self._kept: OrderedDict[Path, bytes] = OrderedDict()

    def __len__(self) -> int:
        return len(self._kept)

    def kept(self, path: Path) -> bytes | None:
        """The image if it is in memory (and now the most recently used), without touching the disk."""
        data = self._kept.get(path)
        if data is not None:
            self._kept.move_to_end(path)
        return data

    async def load(self, path: Path) -> bytes:
        """The image, read from disk in a thread if it is not in memory, and kept if it fits."""
        data = self.kept(path)
        if data is None:
            data = await asyncio.to_thread(path.read_bytes)
            self.keep(path, data)
        return data

    def keep(self, path: Path, data: bytes) -> None:
        if len(data) > self.max_bytes or path in self._kept:
            return
        self._kept[path] = data
        self.size += len(data)
        while self.size > self.max_bytes:
            _, dropped = self._kept.popitem(last=False)
            self.size -= len(dropped)
