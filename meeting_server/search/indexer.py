"""The indexer: follows the meetings' logs into the search index, off the request path (docs/search.md).

Every change anyone may search for (a paper, a version, a publication, an agenda item, a comment, a record text)
is an action, and every action appends to its meeting's log, so a meeting whose `last_seq` is past the indexer's
checkpoint (`search_checkpoints`) has something to index. A pass re-reads each such meeting and rewrites its part
of the index (idempotent: two nodes may both do it); pages are read from `text.json` (in a thread) only for a
version not indexed yet. On start the first pass catches up with whatever changed while no indexer ran.

The indexer polls (`Settings.search_poll_seconds`) and can be woken; `settled()` waits for a pass that began
after the call and found nothing more to do: the "caught up" signal tests and benchmarks wait on.
"""

from __future__ import annotations

import asyncio
import contextlib
import html
import json
import logging
import re
from pathlib import Path
from typing import Any

from sqlalchemy import select

from ..actions.base import Services
from ..documents.paperfiles import PaperFiles
from ..domain.meetings import MeetingState
from ..domain.papers import Comment, Paper
from ..storage import meetings as meeting_store
from ..storage import papers as paper_store
from ..storage import record as record_store
from ..storage import search as store
from ..storage.models import CommentRow, UserRow

log = logging.getLogger(__name__)
_TAG = re.compile(r"<[^>]*>")


def html_text(markup: str) -> str:
    """A record text's words: tags become spaces, entities their characters."""
    return html.unescape(_TAG.sub(" ", markup))


def _strings(value: Any) -> list[str]:
    """Every string in a frozen record content (JSON), in order: what the issued document says."""
    if isinstance(value, str):
        return [html_text(value)] if "<" in value else [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _strings(v)]
    if isinstance(value, list):
        return [s for v in value for s in _strings(v)]
    return []


def page_texts(path: Path) -> list[tuple[str, str, list[str]]]:
    """Each page's text from a paper's text.json (words joined in reading order), with its folded tokens and their
    adjacent pairs (PostgreSQL's pairs vector): made here, in the indexer's thread, not on the event loop (a
    20-page paper takes ~10 ms to fold)."""
    data = json.loads(path.read_bytes())
    texts = [" ".join(str(word[4]) for word in page) for page in data["pages"]]
    folded = [store.folded_text(text) for text in texts]
    return [(text, f, store.word_pairs(f)) for text, f in zip(texts, folded, strict=True)]


class Indexer:
    def __init__(self, services: Services, files: PaperFiles) -> None:
        self.services = services
        self.files = files
        self.index = store.index_for(services.db.is_sqlite)
        self._task: asyncio.Task[None] | None = None
        self._wake = asyncio.Event()
        self._passes = 0  # passes begun
        self._idle_after = -1  # the last pass that found nothing to do
        self._progress = asyncio.Condition()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.get_running_loop().create_task(self._run(), name="search-indexer")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    def wake(self) -> None:
        self._wake.set()

    async def settled(self) -> None:
        """Return once a pass that began after this call has found every meeting indexed."""
        async with self._progress:
            wanted = self._passes + 1
            self.wake()
            await self._progress.wait_for(lambda: self._idle_after >= wanted)

    async def _run(self) -> None:
        poll = self.services.settings.search_poll_seconds
        while True:
            self._wake.clear()
            async with self._progress:
                self._passes += 1
                number = self._passes
            try:
                busy = await self.run_pass()
            except Exception:  # a database away, a broken row: the next pass tries again, after a pause
                log.exception("search indexing failed; retried on the next pass")
                failed, busy = True, True
            else:
                failed = False
            if not busy:
                async with self._progress:
                    self._idle_after = number
                    self._progress.notify_all()
            if failed or not busy:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), poll)

    async def run_pass(self) -> bool:
        """Index every meeting past its checkpoint; True when there was any."""
        async with self.services.db.read() as session:
            pending = await store.pending_meetings(session)
        for meeting_id, _ in pending:
            await self.index_meeting(meeting_id)
        return bool(pending)

    async def index_meeting(self, meeting_id: str) -> None:
        units = await self._read(meeting_id)
        if units is None:
            return
        async with self.services.db.write() as session:
            await store.write_meeting(session, units)

    async def _read(self, meeting_id: str) -> store.MeetingUnits | None:
        async with self.services.db.read() as session:
            try:
                row = await meeting_store.load(session, meeting_id)
            except Exception:
                return None  # deleted meanwhile: its rows went with it (ON DELETE CASCADE)
            state = meeting_store.state_of(row)
            seq = row.last_seq
            organizer = await session.get(UserRow, state.organizer_id)
            papers = await paper_store.list_papers(session, meeting_id)
            done = await store.indexed_versions(session, meeting_id)
            comments = [
                Comment(**r.state)
                for r in (await session.execute(select(CommentRow).where(CommentRow.meeting_id == meeting_id)))
                .scalars()
                .all()
            ]
            records = []
            for doc in await record_store.documents_of(session, meeting_id):
                written = [html_text(t.html) for t in await record_store.texts_of(session, doc.id)]
                records.append((doc, written))
        new_pages: list[dict[str, Any]] = []
        for paper in papers:
            for version in paper.versions:
                if (paper.id, version.version) in done:
                    continue
                new_pages.extend(await self._pages(paper, version.version, version.file_id))
        others = [*_agenda(state), *_comments(papers, comments)]
        for doc, written in records:
            body = "\n".join([*written, *(_strings(doc.content) if doc.content else [])])
            others.append(
                {
                    "key": f"record:{doc.id}",
                    "kind": "record",
                    "ref_id": doc.id,
                    "title": f"{doc.kind} v{doc.version}",
                    "body": body,
                    "status": doc.status,
                }
            )
        return store.MeetingUnits(
            meeting_id=meeting_id,
            seq=seq,
            at=state.starts_at,
            unit_id=(organizer.unit_id or "") if organizer is not None else "",
            papers=[_paper_fields(p) for p in papers],
            new_pages=new_pages,
            others=others,
        )

    async def _pages(self, paper: Paper, version: int, file_id: str) -> list[dict[str, Any]]:
        path = self.files.text_path(file_id)
        try:
            texts = await asyncio.to_thread(page_texts, path)
        except (OSError, ValueError, KeyError):
            log.warning("no text for paper %s version %s", paper.id, version)
            texts = []
        return [
            {
                "key": f"page:{paper.id}:{version}:{number}",
                "kind": "page",
                "paper_id": paper.id,
                "version": version,
                "page": number,
                "title": paper.title,
                "body": text,
                "folded": folded,
                "pairs": pairs,
                "access": paper.access,
                "status": paper.status,
            }
            for number, (text, folded, pairs) in enumerate(texts, start=1)
        ]


def _paper_fields(paper: Paper) -> dict[str, Any]:
    return {
        "id": paper.id,
        "title": paper.title,
        "access": paper.access,
        "status": paper.status,
        "versions": [v.version for v in paper.versions],
        "grants": [*(("user", u) for u in paper.user_ids), *(("unit", u) for u in paper.unit_ids)],
    }


def _agenda(state: MeetingState) -> list[dict[str, Any]]:
    return [
        {
            "key": f"agenda:{state.id}:{item.id}",
            "kind": "agenda",
            "ref_id": item.id,
            "title": item.title,
            "body": f"{item.title}\n{item.description}".strip(),
        }
        for item in state.agenda
    ]


def _comments(papers: list[Paper], comments: list[Comment]) -> list[dict[str, Any]]:
    by_id = {p.id: p for p in papers}
    out = []
    for c in comments:
        paper = by_id.get(c.paper_id)
        if paper is None:
            continue
        out.append(
            {
                "key": f"comment:{c.id}",
                "kind": "comment",
                "paper_id": paper.id,
                "version": c.version,
                "page": c.page,
                "ref_id": c.id,
                "author_id": c.author_id,
                "title": paper.title,
                "body": f"{c.text}\n{c.answer}".strip(),
                "access": paper.access,
                "status": paper.status,
            }
        )
    return out
