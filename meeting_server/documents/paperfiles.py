"""Meeting papers on the server: ingest an uploaded PDF once, then serve its page images, text and search.

The CPU work (MuPDF, WebP) runs in ``DocumentWorkers`` processes through ``pdfcheck``; this module is the
async side: it decides what to run, in which order, and keeps the results in a cache on disk keyed by the
file's sha256, so the same file uploaded to two meetings is checked and rendered once::

    <root>/<sha[:2]>/<sha>/original.pdf
                          meta.json            PaperInfo; written last, its presence means "ingested"
                          text.json            words per page, boxes 0..1 of the displayed page
                          pages/<n>-<width>.webp
                          thumbs/<n>.webp

Every file appears whole or not at all: an ingest builds the directory under ``<root>/.staging`` and renames it
into place; later images are written under a temporary name and renamed. Nothing here ever builds a path
from a name the client chose: only from the sha256 (checked to be 64 hex digits) and numbers.

Scheduling: the pool has ``max_workers`` slots, shared through a priority gate. A reader waiting for a page
goes first, then ingests, then background rendering, which runs in chunks of a few pages so a reader waits
at most one chunk. Concurrent requests for one image share one render.
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import heapq
import itertools
import json
import logging
import os
import re
import shutil
import time
import uuid
from collections import OrderedDict, deque
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, TypeVar, cast

from ..config import DIR_MODE, FILE_MODE
from ..errors import AppError
from . import pdfcheck
from .textfold import TextIndex, Word, load_words
from .workers import DOCUMENT_TIMEOUT, DocumentWorkerError, DocumentWorkers

log = logging.getLogger(__name__)
T = TypeVar("T")
Chunk = list[tuple[int, list[int], bool]]  # (page, widths, thumbnail?) per page to render
RenderPages = Callable[[str, str, Chunk, dict[str, Any]], int]  # pdfcheck.render_pages' signature

MiB = 1 << 20
POINTS_PER_INCH = 72.0
_SHA256 = re.compile(r"[0-9a-f]{64}")
THUMB = 0  # the "width" of a thumbnail in image keys

# priorities of the worker gate: lower goes first
VIEW, INGEST, BACKGROUND = 0, 1, 2


@dataclass(frozen=True)
class IngestLimits:
    """What an uploaded paper may be, and how long a worker may spend on it.

    Timeouts are per worker job: ``inspect_timeout`` for the check (reads dictionaries only, fast even for
    2000 pages), ``text_timeout`` for the words of ``text_chunk_pages`` pages, ``page_timeout`` for one page at
    every width. A job past its timeout has its worker killed and the paper refused as too complex.
    """

    max_bytes: int = 100 * MiB
    max_pages: int = 2000
    max_page_side: float = 120 * POINTS_PER_INCH  # 8640 pt; A0 is 3370 pt, 200-inch banners are refused
    max_image_pixels: int = 1 << 29  # one embedded image as declared (~537 Mpx: an A0 scan at 600 dpi fits)
    max_render_pixels: int = 12_000_000  # one page image; a very long page comes out narrower than asked
    inspect_timeout: float = 30.0
    text_timeout: float = 60.0
    text_chunk_pages: int = 25
    page_timeout: float = 20.0
    crash_retries: int = 1  # a crash may be a neighbour's (the pool is replaced as a whole): retry once

    def __post_init__(self) -> None:
        positive = ("max_bytes", "max_pages", "max_page_side", "max_image_pixels", "max_render_pixels",
                    "inspect_timeout", "text_timeout", "text_chunk_pages", "page_timeout")  # fmt: skip
        for name in positive:
            if not getattr(self, name) > 0:
                raise ValueError(f"IngestLimits.{name} must be positive")
        if self.max_page_side < POINTS_PER_INCH:
            raise ValueError("IngestLimits.max_page_side is in points: at least 72 (one inch)")
        if not 0 <= self.crash_retries <= 3:
            raise ValueError("IngestLimits.crash_retries must be 0..3")

    def worker_limits(self) -> dict[str, Any]:
        return {"max_pages": self.max_pages, "max_page_side": self.max_page_side,
                "max_image_pixels": self.max_image_pixels}  # fmt: skip


@dataclass(frozen=True)
class RenderSettings:
    """Page image widths and WebP settings, chosen by measuring (bench/papers.py).

    ``widths`` are those served: 800 px fits a 1280x800 Android tablet held upright, 1280 px the same tablet
    on its side, 2048 px an iPad (1536 upright, 2048 on its side) and zooming in.

    Rendering goes in two passes. The first gives every page the width it is most likely read at, and its
    thumbnail: a portrait page (a report) at ``ready_portrait`` (an upright tablet), a landscape page (a slide)
    at ``ready_landscape`` (a tablet on its side). Both are ~0.9 Mpx, so a 100-page paper is ready in ~2 s of
    two cores. The second pass renders the other widths. An image not rendered yet is rendered on demand ahead
    of both passes (~25 ms at 800 px, ~130 ms at 2048 px). Every width of every page at once would take ~10 s:
    WebP costs ~25 ms per megapixel even at its fastest ``method`` 0. At quality 80 text stays clean; a
    portrait page is ~50 KiB at 800 px, ~100 KiB at 1280 px, ~165 KiB at 2048 px.
    """

    widths: tuple[int, ...] = (800, 1280, 2048)
    ready_portrait: tuple[int, ...] = (800,)
    ready_landscape: tuple[int, ...] = (1280,)
    thumb_width: int = 200
    quality: int = 80
    thumb_quality: int = 70
    method: int = 0
    chunk_pages: int = 4

    def __post_init__(self) -> None:
        if not self.widths or list(self.widths) != sorted(set(self.widths)):
            raise ValueError("RenderSettings.widths must be increasing and distinct")
        if not all(16 <= w <= pdfcheck.WEBP_MAX_SIDE for w in (*self.widths, self.thumb_width)):
            raise ValueError("widths must be 16..16383 pixels")
        if not set(self.ready_portrait) | set(self.ready_landscape) <= set(self.widths):
            raise ValueError("RenderSettings.ready_portrait and ready_landscape must be among the widths")
        if not (1 <= self.quality <= 100 and 1 <= self.thumb_quality <= 100 and 0 <= self.method <= 6):
            raise ValueError("WebP quality is 1..100 and method 0..6")
        if self.chunk_pages < 1:
            raise ValueError("RenderSettings.chunk_pages must be positive")

    def ready_widths(self, page: PageSize) -> tuple[int, ...]:
        """The widths of the first pass for this page (as displayed: a turned portrait page is landscape)."""
        return self.ready_landscape if page.width > page.height else self.ready_portrait


@dataclass(frozen=True)
class PageSize:
    width: float  # points, as displayed (rotation applied)
    height: float
    rotation: int  # 0, 90, 180 or 270: how the PDF turns the page (already applied to width and height)


@dataclass(frozen=True)
class OutlineEntry:
    level: int  # 1 = top
    title: str
    page: int | None  # 1-based; None when the bookmark points nowhere in this file


@dataclass(frozen=True)
class PageWarning:
    page: int  # 1-based
    reason: str  # pdfcheck.DECODE_FAILED or pdfcheck.FLAT_PAGE: neither MuPDF nor poppler draws it right


@dataclass(frozen=True)
class PaperInfo:
    sha256: str
    bytes: int
    page_count: int
    pages: tuple[PageSize, ...]
    outline: tuple[OutlineEntry, ...] = ()
    title: str = ""  # from the PDF's metadata; often empty or the authoring template's
    repaired: bool = False  # MuPDF had to repair the file (broken cross-references): worth a look
    page_warnings: tuple[PageWarning, ...] = ()  # pages that may look wrong (pdfcheck.check_pages)

    def to_dict(self) -> dict[str, Any]:
        """Plain JSON types (lists, not tuples): what meta.json holds and the API sends."""
        data = asdict(self)
        data["pages"], data["outline"] = list(data["pages"]), list(data["outline"])
        data["page_warnings"] = list(data["page_warnings"])
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> PaperInfo:
        return cls(
            sha256=str(data["sha256"]),
            bytes=int(data["bytes"]),
            page_count=int(data["page_count"]),
            pages=tuple(PageSize(float(p["width"]), float(p["height"]), int(p["rotation"])) for p in data["pages"]),
            outline=tuple(OutlineEntry(int(o["level"]), str(o["title"]), o["page"]) for o in data["outline"]),
            title=str(data.get("title", "")),
            repaired=bool(data.get("repaired", False)),
            page_warnings=tuple(PageWarning(int(w["page"]), str(w["reason"])) for w in data.get("page_warnings", ())),
        )

    def quality(self) -> dict[str, Any]:
        """What the secretary is told about how the paper reads: ``repaired`` and ``page_warnings``."""
        return {"repaired": self.repaired, "page_warnings": [asdict(w) for w in self.page_warnings]}


def check_sha(sha: str) -> str:
    """A cache key is 64 lower-case hex digits and nothing else: it becomes part of a path."""
    if not isinstance(sha, str) or not _SHA256.fullmatch(sha):
        raise AppError("not_found", what="paper")
    return sha


def _copy_private(source: Path, target: Path) -> None:
    """The original (a restricted paper's too) is 0640 whatever the umask of whoever started the server."""
    shutil.copyfile(source, target)
    target.chmod(FILE_MODE)


def write_atomic(path: Path, data: bytes) -> None:
    """Write under a temporary name in the same directory, then rename: readers see all of it or nothing."""
    tmp = path.with_name(f".{path.name}.{uuid.uuid4().hex}.tmp")
    try:
        tmp.write_bytes(data)
        os.replace(tmp, path)
    finally:
        with contextlib.suppress(FileNotFoundError):
            tmp.unlink()


class PaperFiles:
    """Where a paper's files live on disk (see the module's docstring). Methods are blocking but cheap,
    except ``commit`` and ``discard`` (call them through ``asyncio.to_thread``)."""

    STAGING_MAX_AGE = 3600.0  # seconds; an ingest takes far less, so an older staging directory is a leftover

    def __init__(self, root: Path | str) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        self.sweep_staging()

    def sweep_staging(self, max_age: float = STAGING_MAX_AGE) -> int:
        """Remove staging directories left by a server that stopped mid-ingest (not recent ones: another
        server process sharing this directory may be ingesting). Returns how many were removed."""
        staging, removed = self.root / ".staging", 0
        if not staging.is_dir():
            return 0
        deadline = time.time() - max_age
        for entry in staging.iterdir():
            with contextlib.suppress(OSError):
                if entry.stat().st_mtime < deadline:
                    shutil.rmtree(entry)
                    removed += 1
        return removed

    def directory(self, sha: str) -> Path:
        check_sha(sha)
        return self.root / sha[:2] / sha

    def original(self, sha: str) -> Path:
        return self.directory(sha) / "original.pdf"

    def meta_path(self, sha: str) -> Path:
        return self.directory(sha) / "meta.json"

    def text_path(self, sha: str) -> Path:
        return self.directory(sha) / "text.json"

    def page_path(self, sha: str, page: int, width: int) -> Path:
        return self.directory(sha) / "pages" / f"{int(page)}-{int(width)}.webp"

    def thumb_path(self, sha: str, page: int) -> Path:
        return self.directory(sha) / "thumbs" / f"{int(page)}.webp"

    def image_path(self, sha: str, page: int, width: int) -> Path:
        return self.thumb_path(sha, page) if width == THUMB else self.page_path(sha, page, width)

    def read_meta(self, sha: str) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads(self.meta_path(sha).read_bytes())
        except FileNotFoundError:
            return None
        return data

    def new_staging(self) -> Path:
        staging = self.root / ".staging" / uuid.uuid4().hex
        staging.mkdir(parents=True, mode=DIR_MODE)
        (staging / "pages").mkdir()
        (staging / "thumbs").mkdir()
        return staging

    def commit(self, staging: Path, sha: str) -> bool:
        """Move a fully built staging directory into place; False when the paper is there already."""
        final = self.directory(sha)
        if (final / "meta.json").exists():
            return False
        final.parent.mkdir(exist_ok=True)
        if final.exists():  # a leftover without meta.json is not a paper
            shutil.rmtree(final, ignore_errors=True)
        try:
            os.rename(staging, final)
        except OSError:  # another process committed the same file meanwhile
            if (final / "meta.json").exists():
                return False
            raise
        return True

    @staticmethod
    def discard(path: Path) -> None:
        shutil.rmtree(path, ignore_errors=True)


class PriorityGate:
    """A counting semaphore whose waiters are served by priority (then in arrival order)."""

    def __init__(self, capacity: int) -> None:
        self._free = capacity
        self._waiters: list[tuple[int, int, asyncio.Future[None]]] = []
        self._order = itertools.count()

    @contextlib.asynccontextmanager
    async def slot(self, priority: int) -> AsyncIterator[None]:
        if self._free > 0 and not self._waiters:
            self._free -= 1
        else:
            waiter: asyncio.Future[None] = asyncio.get_running_loop().create_future()
            heapq.heappush(self._waiters, (priority, next(self._order), waiter))
            try:
                await waiter
            except asyncio.CancelledError:
                if waiter.done() and not waiter.cancelled():
                    self._release()  # granted just as we were cancelled: pass it on
                raise
        try:
            yield
        finally:
            self._release()

    def _release(self) -> None:
        while self._waiters:
            _, _, waiter = heapq.heappop(self._waiters)
            if not waiter.done():
                waiter.set_result(None)
                return
        self._free += 1


@dataclass
class _Text:
    words: list[list[Word]]
    index: TextIndex | None = None


@dataclass
class _Progress:
    ready: set[int] = field(default_factory=set)


class PaperPipeline:
    """Ingest papers, render their pages, answer text and search (see the module's docstring).

    ``jobs`` counts the worker jobs started: a paper already in the cache costs none. ``render_pages`` is
    what a worker runs to render pages (picklable; ``pdfcheck.render_pages``): tests hand in one that holds
    a given page, so a page that never finishes can be had without waiting on how fast the machine is.
    """

    TEXT_CACHE = 8  # papers whose words are kept in memory

    def __init__(
        self,
        workers: DocumentWorkers,
        files: PaperFiles,
        limits: IngestLimits | None = None,
        render: RenderSettings | None = None,
        render_pages: RenderPages = pdfcheck.render_pages,
    ) -> None:
        self.workers = workers
        self._render_pages = render_pages
        self.files = files
        self.limits = limits or IngestLimits()
        self.render = render or RenderSettings()
        self.jobs = 0
        self._gate = PriorityGate(workers.max_workers)
        self._infos: dict[str, PaperInfo] = {}
        self._locks: dict[str, tuple[asyncio.Lock, int]] = {}
        self._inflight: dict[tuple[str, int, int], asyncio.Task[None]] = {}
        self._failed: dict[tuple[str, int], AppError] = {}  # pages that timed out or crashed: not tried again
        self._render_all: dict[str, asyncio.Task[None]] = {}
        self._progress: dict[str, _Progress] = {}
        self._texts: OrderedDict[str, _Text] = OrderedDict()
        self._text_loads: dict[str, asyncio.Task[_Text]] = {}
        self._orphans: set[asyncio.Future[Any]] = set()  # worker jobs whose caller may have left
        self._settings = {
            "max_pixels": self.limits.max_render_pixels, "quality": self.render.quality,
            "method": self.render.method, "thumb_width": self.render.thumb_width,
            "thumb_quality": self.render.thumb_quality,
        }  # fmt: skip

    # ---- settings callers need ---------------------------------------------------------------------------------

    @property
    def widths(self) -> tuple[int, ...]:
        return self.render.widths

    @property
    def thumb_width(self) -> int:
        return self.render.thumb_width

    def nearest_width(self, width: int) -> int:
        """The configured width to serve for a screen ``width`` pixels wide: the smallest one at least as
        wide (the browser only ever scales down, text stays sharp), or the largest."""
        for candidate in self.render.widths:
            if candidate >= width:
                return candidate
        return self.render.widths[-1]

    async def warm_up(self) -> None:
        """Start every worker and load MuPDF and Pillow in it (about half a second each), so the first upload
        after the server starts is as fast as the next ones. Raises RuntimeError if Pillow lacks WebP."""
        done = await asyncio.gather(
            *(self.workers.run(pdfcheck.warm_up, timeout=60.0) for _ in range(self.workers.max_workers))
        )
        if not all(done):
            raise RuntimeError("Pillow was built without WebP support: page images cannot be written")

    # ---- worker jobs ---------------------------------------------------------------------------------------------

    async def _call(
        self, fn: Callable[..., T], *args: Any, timeout: float, give_up: Callable[[], bool] | None = None
    ) -> T:
        """Run a pdfcheck function in a worker (the caller holds a gate slot); map every failure to AppError.

        A crash is retried (``crash_retries``): when one job times out the whole pool is replaced, and the
        jobs of other papers running beside it die too. ``give_up`` says when a retry, or the job itself,
        is pointless (a sibling job of the same ingest has failed already)."""
        attempts = self.limits.crash_retries + 1
        for attempt in range(attempts):
            if give_up is not None and give_up():
                raise _GaveUp
            self.jobs += 1
            try:
                return await self._shielded(self.workers.run(fn, *args, timeout=timeout))
            except pdfcheck.PaperRejected as exc:
                log.info("paper refused: %s %s", exc.code, exc.detail)
                raise self._rejection(exc) from None
            except DocumentWorkerError as exc:
                name = getattr(fn, "__name__", type(fn).__name__)
                log.warning("document worker failed on %s (attempt %d): %s", name, attempt + 1, exc)
                await self._rewarm()
                memory = isinstance(exc.__cause__, MemoryError)
                if exc.code == DOCUMENT_TIMEOUT or memory or attempt + 1 == attempts:
                    raise AppError("paper_too_complex") from exc
        raise AssertionError("unreachable")

    async def _shielded(self, job: Awaitable[T]) -> T:
        """Await a worker job that goes on if the caller is cancelled (an upload whose client went away):
        cancelling ``DocumentWorkers.run`` would stop its timeout while the process keeps working, so a
        bomb would hold a worker for as long as it lasts. Shielded, the timeout still ends it."""
        task = asyncio.ensure_future(job)
        self._orphans.add(task)
        task.add_done_callback(_forget_orphan(self._orphans))
        return await asyncio.shield(task)

    async def _rewarm(self) -> None:
        """After a timeout or crash the pool is a new one whose processes start on the next job, and a
        worker's start (spawn, import MuPDF) would count against that job's timeout: start one now, in
        the slot the failed job held, so the next job of this slot finds a ready worker."""
        with contextlib.suppress(DocumentWorkerError, RuntimeError):  # RuntimeError: the pool is closing
            await self.workers.run(pdfcheck.warm_up, timeout=60.0)

    async def _job(
        self, priority: int, fn: Callable[..., T], *args: Any, timeout: float, give_up: Callable[[], bool] | None = None
    ) -> T:
        async with self._gate.slot(priority):
            return await self._call(fn, *args, timeout=timeout, give_up=give_up)

    def _rejection(self, exc: pdfcheck.PaperRejected) -> AppError:
        if exc.code == "paper_too_many_pages":
            return AppError(exc.code, limit=self.limits.max_pages)
        if exc.code == "paper_page_too_large":
            return AppError(exc.code, page=exc.params.get("page", "?"), limit=self.max_side_inches)
        if exc.code == "paper_too_large":
            return AppError(exc.code, limit=self.max_megabytes)
        return AppError(exc.code)

    @property
    def max_megabytes(self) -> int:
        """The size limit as the error message states it (MiB, rounded down)."""
        return self.limits.max_bytes // MiB

    @property
    def max_side_inches(self) -> int:
        return int(self.limits.max_page_side // POINTS_PER_INCH)

    # ---- ingest --------------------------------------------------------------------------------------------------

    @contextlib.asynccontextmanager
    async def _sha_lock(self, sha: str) -> AsyncIterator[None]:
        lock, users = self._locks.get(sha, (asyncio.Lock(), 0))
        self._locks[sha] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[sha]
            if users == 1:
                del self._locks[sha]
            else:
                self._locks[sha] = (lock, users - 1)

    async def ingest(self, upload: Path) -> PaperInfo:
        """Check an uploaded file, cache it, extract its words and render its first page; returns its info.

        ``upload`` is a server-side temporary file (never a client's file name). The size is checked first,
        then the header bytes, then the content in a worker. A file already in the cache costs no worker job.
        Raises AppError ``paper_*`` (see errors.py) when the file is refused.
        """
        size = (await asyncio.to_thread(os.stat, upload)).st_size
        if size == 0:
            raise AppError("paper_empty")
        if size > self.limits.max_bytes:
            raise AppError("paper_too_large", limit=self.max_megabytes)
        sha, head = await asyncio.to_thread(_hash_file, upload)
        if not pdfcheck.sniff(head):
            raise AppError("paper_not_pdf")
        async with self._sha_lock(sha):
            stored = await self._stored_info(sha)
            if stored is not None:
                return stored
            return await self._ingest_new(upload, sha, size)

    async def _ingest_new(self, upload: Path, sha: str, size: int) -> PaperInfo:
        staging = await asyncio.to_thread(self.files.new_staging)
        errors: list[BaseException] = []

        async def job(fn: Callable[..., T], *args: Any, timeout: float) -> T:
            try:
                return await self._job(INGEST, fn, *args, timeout=timeout, give_up=lambda: bool(errors))
            except _GaveUp:
                raise
            except BaseException as exc:
                errors.append(exc)
                raise

        try:
            original = staging / "original.pdf"
            await asyncio.to_thread(_copy_private, upload, original)
            meta = await job(pdfcheck.inspect_pdf, str(original), self.limits.worker_limits(),
                             timeout=self.limits.inspect_timeout)  # fmt: skip
            pages = int(meta["page_count"])
            step = self.limits.text_chunk_pages
            first_page = [(1, list(self.render.widths), True)]
            chunks = range(1, pages + 1, step)
            drawn = [int(n) for n in meta["image_pages"]]  # pages with images: checked for what MuPDF cannot draw
            jobs = [
                job(self._render_pages, str(original), str(staging), first_page, self._settings,
                    timeout=self.limits.page_timeout),
                *(job(pdfcheck.extract_words, str(original), a, min(a + step - 1, pages),
                      timeout=self.limits.text_timeout) for a in chunks),
                *(job(pdfcheck.check_pages, str(original), drawn[a : a + step], timeout=self.limits.text_timeout)
                  for a in range(0, len(drawn), step)),
            ]  # fmt: skip
            results = await asyncio.gather(*jobs, return_exceptions=True)
            if errors:  # every job has ended (nothing writes into staging any more): report the first failure
                raise errors[0]
            text_results = cast(list[list[str]], results[1 : 1 + len(chunks)])
            warnings = [w for chunk in cast(list[list[dict[str, Any]]], results[1 + len(chunks) :]) for w in chunk]
            info = PaperInfo.from_dict({**meta, "sha256": sha, "bytes": size, "page_warnings": warnings})
            if info.page_warnings:
                log.info("paper %s: pages that may look wrong: %s", sha[:12], [w.page for w in info.page_warnings])
            text_pages = [page for chunk in text_results for page in chunk]
            await asyncio.to_thread(_write_paper, staging, info, text_pages)
            committed = await asyncio.to_thread(self.files.commit, staging, sha)
            if not committed:
                stored = await self._stored_info(sha)
                if stored is not None:
                    return stored
            self._infos[sha] = info
            self._progress.pop(sha, None)
            return info
        finally:
            await asyncio.to_thread(self.files.discard, staging)

    async def _stored_info(self, sha: str) -> PaperInfo | None:
        info = self._infos.get(sha)
        if info is None:
            data = await asyncio.to_thread(self.files.read_meta, sha)
            if data is None:
                return None
            info = self._infos[sha] = PaperInfo.from_dict(data)
        return info

    async def info(self, sha: str) -> PaperInfo:
        """The stored info of an ingested paper; AppError not_found otherwise."""
        info = await self._stored_info(check_sha(sha))
        if info is None:
            raise AppError("not_found", what="paper")
        return info

    # ---- page images ---------------------------------------------------------------------------------------------

    async def page_image(self, sha: str, page: int, width: int) -> Path:
        """The WebP file of ``page`` (1-based) ``width`` pixels wide (one of ``widths``: round with
        ``nearest_width``), rendered now, ahead of background work, if it is not there yet."""
        if width not in self.render.widths:
            raise AppError("invalid_input", detail=f"độ rộng ảnh phải là một trong {list(self.render.widths)}",
                           detail_en=f"the image width must be one of {list(self.render.widths)}")  # fmt: skip
        return await self._image(sha, page, width)

    async def thumbnail(self, sha: str, page: int) -> Path:
        """The WebP thumbnail of ``page`` (``thumb_width`` pixels wide), rendered now if needed."""
        return await self._image(sha, page, THUMB)

    async def _image(self, sha: str, page: int, width: int) -> Path:
        info = await self.info(sha)
        if not 1 <= page <= info.page_count:
            raise AppError("not_found", what="page")
        key = (sha, page, width)
        path = self.files.image_path(sha, page, width)
        for _ in range(3):  # a chunk that failed for another page's sake leaves ours to render alone
            if path.exists():
                return path
            if (sha, page) in self._failed:
                raise self._failed[(sha, page)]
            task = self._inflight.get(key)
            if task is None:
                item = (page, [] if width == THUMB else [width], width == THUMB)
                task = self._start_render(sha, [item], VIEW)
            with contextlib.suppress(AppError):
                await asyncio.shield(task)
        if path.exists():
            return path
        raise self._failed.get((sha, page)) or AppError("paper_too_complex")

    def _start_render(self, sha: str, chunk: Chunk, priority: int | None) -> asyncio.Task[None]:
        """Register the images of ``chunk`` as being rendered and render them in a task of their own, so a
        reader who gives up does not cancel the render the others wait for. ``priority`` None: the caller
        already holds a gate slot."""
        keys = [(sha, page, w) for page, widths, thumb in chunk for w in (*widths, *((THUMB,) if thumb else ()))]
        task = asyncio.get_running_loop().create_task(self._render(sha, chunk, priority))
        for key in keys:
            self._inflight[key] = task

        def forget(done: asyncio.Task[None]) -> None:
            for key in keys:
                if self._inflight.get(key) is done:
                    del self._inflight[key]
            if not done.cancelled():
                done.exception()  # retrieved: waiters look at the files, failures are in self._failed

        task.add_done_callback(forget)
        return task

    async def _render(self, sha: str, chunk: Chunk, priority: int | None) -> None:
        if priority is None:
            await self._render_held(sha, chunk)
        else:
            async with self._gate.slot(priority):
                await self._render_held(sha, chunk)

    async def _render_held(self, sha: str, chunk: Chunk) -> None:
        original, directory = str(self.files.original(sha)), str(self.files.directory(sha))
        try:
            await self._call(self._render_pages, original, directory, chunk, self._settings,
                             timeout=self.limits.page_timeout * len(chunk))  # fmt: skip
        except AppError as exc:
            if len(chunk) == 1:
                self._record_failure(sha, chunk[0], exc)
                raise
            for item in chunk:  # find the page that failed; render the others
                try:
                    await self._call(self._render_pages, original, directory, [item], self._settings,
                                     timeout=self.limits.page_timeout)  # fmt: skip
                except AppError as one:
                    self._record_failure(sha, item, one)
        finally:
            self._note_ready(sha, [page for page, _, _ in chunk])

    def _record_failure(self, sha: str, item: tuple[int, list[int], bool], exc: AppError) -> None:
        """A page whose rendering timed out or crashed (twice) is not tried again at any width by this
        process: each try would cost a worker for the whole timeout and kill its neighbours' jobs."""
        page = item[0]
        log.warning("paper %s page %d cannot be rendered: %s", sha[:12], page, exc.code)
        self._failed[(sha, page)] = exc

    # ---- rendering everything ------------------------------------------------------------------------------------

    async def render_all(self, sha: str) -> None:
        """Render every page's images that are not on disk yet: first each page's ``ready_widths`` and its
        thumbnail, then the other widths. Runs in chunks on all workers, behind readers' requests; calling it
        again (or concurrently) joins or repeats harmlessly. Raises the first page's AppError if a page could
        not be rendered (the others are)."""
        info = await self.info(sha)
        task = self._render_all.get(sha)
        if task is None:
            task = asyncio.get_running_loop().create_task(self._render_everything(info))
            self._render_all[sha] = task
            task.add_done_callback(lambda _: self._render_all.pop(sha, None))
        await asyncio.shield(task)

    async def _render_everything(self, info: PaperInfo) -> None:
        await self._render_pass(info, lambda page: self.render.ready_widths(info.pages[page - 1]), thumbs=True)
        await self._render_pass(info, lambda page: self.render.widths, thumbs=False)  # what exists is skipped
        failures = [self._failed[k] for k in sorted(self._failed) if k[0] == info.sha256]
        if failures:
            raise failures[0]

    async def _render_pass(self, info: PaperInfo, widths_of: Callable[[int], Sequence[int]], thumbs: bool) -> None:
        sha = info.sha256
        queue = deque(range(1, info.page_count + 1))

        def missing(page: int) -> tuple[int, list[int], bool] | None:
            if (sha, page) in self._failed:
                return None

            def wanted(width: int) -> bool:
                key = (sha, page, width)
                return not (key in self._inflight or self.files.image_path(sha, page, width).exists())

            item = (page, [w for w in widths_of(page) if wanted(w)], thumbs and wanted(THUMB))
            return item if item[1] or item[2] else None

        async def lane() -> None:
            while queue:
                async with self._gate.slot(BACKGROUND):
                    chunk: Chunk = []
                    while queue and len(chunk) < self.render.chunk_pages:
                        item = missing(queue.popleft())
                        if item is not None:
                            chunk.append(item)
                    if chunk:
                        with contextlib.suppress(AppError):
                            await asyncio.shield(self._start_render(sha, chunk, None))

        await asyncio.gather(*(lane() for _ in range(self.workers.max_workers)))

    def _known_info(self, sha: str) -> PaperInfo | None:
        """The info of an ingested paper, from memory or (once per paper and process) meta.json; None if none."""
        try:
            check_sha(sha)
        except AppError:
            return None
        info = self._infos.get(sha)
        if info is None:
            data = self.files.read_meta(sha)
            if data is None:
                return None
            info = self._infos[sha] = PaperInfo.from_dict(data)
        return info

    def quality(self, sha: str) -> dict[str, Any]:
        """``PaperInfo.quality`` of an ingested paper (cheap, as ``progress``); nothing to say for an unknown one."""
        info = self._known_info(sha)
        return info.quality() if info is not None else {"repaired": False, "page_warnings": []}

    def progress(self, sha: str) -> tuple[int, int]:
        """``(ready pages, pages)``: pages whose first-pass image (``RenderSettings.ready_widths``) and
        thumbnail are on disk.
        Cheap (kept in memory; the disk is read once per paper and process); ``(0, 0)`` for an unknown paper."""
        info = self._known_info(sha)
        if info is None:
            return 0, 0
        state = self._progress.get(sha)
        if state is None:
            state = self._progress[sha] = _Progress(self._scan_ready(info))
        return len(state.ready), info.page_count

    def _scan_ready(self, info: PaperInfo) -> set[int]:
        directory = self.files.directory(info.sha256)
        try:
            names, thumbs = set(os.listdir(directory / "pages")), set(os.listdir(directory / "thumbs"))
        except FileNotFoundError:
            return set()
        return {
            number for number, page in enumerate(info.pages, start=1)
            if f"{number}.webp" in thumbs
            and all(f"{number}-{w}.webp" in names for w in self.render.ready_widths(page))
        }  # fmt: skip

    def _note_ready(self, sha: str, pages: list[int]) -> None:
        state, info = self._progress.get(sha), self._infos.get(sha)
        if state is None or info is None:
            return  # scanned from disk when first asked
        for page in pages:
            if self.files.thumb_path(sha, page).exists() and all(
                self.files.page_path(sha, page, w).exists() for w in self.render.ready_widths(info.pages[page - 1])
            ):
                state.ready.add(page)

    # ---- text and search -----------------------------------------------------------------------------------------

    async def _text(self, sha: str) -> _Text:
        await self.info(sha)
        cached = self._texts.get(sha)
        if cached is not None:
            self._texts.move_to_end(sha)
            return cached
        task = self._text_loads.get(sha)
        if task is None:
            task = asyncio.get_running_loop().create_task(asyncio.to_thread(_load_text, self.files.text_path(sha)))
            self._text_loads[sha] = task
            task.add_done_callback(lambda _: self._text_loads.pop(sha, None))
        text = await asyncio.shield(task)
        self._texts[sha] = text
        while len(self._texts) > self.TEXT_CACHE:
            self._texts.popitem(last=False)
        return text

    async def text(self, sha: str) -> list[list[dict[str, Any]]]:
        """Every page's words in reading order: ``{"text", "box": [x0, y0, x1, y1]}``, boxes 0..1 of the
        displayed page (what the page image shows; y down)."""
        words = (await self._text(sha)).words
        return await asyncio.to_thread(_as_dicts, words)  # a 2000-page paper has ~10^6 words

    async def search(self, sha: str, query: str, limit: int = 200) -> list[dict[str, Any]]:
        """Hits ``{page, rects, snippet}`` for ``query`` (see textfold: diacritics optional, phrases allowed)."""
        text = await self._text(sha)
        if text.index is None:
            text.index = await asyncio.to_thread(TextIndex, text.words)
        return await asyncio.to_thread(text.index.search, query, limit)  # read-only: safe in a thread


def _forget_orphan(orphans: set[asyncio.Future[Any]]) -> Callable[[asyncio.Future[Any]], None]:
    def forget(done: asyncio.Future[Any]) -> None:
        orphans.discard(done)
        if not done.cancelled():
            done.exception()  # retrieved: a caller that left does not want it, one that waits has it

    return forget


class _GaveUp(Exception):
    """A job not run (or not retried) because another job of the same ingest has failed already."""


def _hash_file(path: Path) -> tuple[str, bytes]:
    """sha256 of the file and its first bytes (for sniffing), in one read."""
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        head = f.read(pdfcheck.SNIFF_BYTES)
        digest.update(head)
        while chunk := f.read(MiB):
            digest.update(chunk)
    return digest.hexdigest(), head


def _write_paper(staging: Path, info: PaperInfo, text_pages: list[str]) -> None:
    """text.json from the workers' per-page JSON (joined, not decoded again), then meta.json, last."""
    text = '{"version":1,"pages":[' + ",".join(text_pages) + "]}"
    write_atomic(staging / "text.json", text.encode())
    write_atomic(staging / "meta.json", json.dumps(info.to_dict(), ensure_ascii=False).encode())


def _as_dicts(words: list[list[Word]]) -> list[list[dict[str, Any]]]:
    return [[{"text": w.text, "box": [w.x0, w.y0, w.x1, w.y1]} for w in page] for page in words]


def _load_text(path: Path) -> _Text:
    data = json.loads(path.read_bytes())
    return _Text(load_words(data["pages"]))
