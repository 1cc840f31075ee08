"""The programme file of a meeting (media/programme.py), made after it ends and on demand.

- `ensure_programme(settings, meeting_id)`: reads the meeting's log and its speakers' names, replays them into
  the timeline (domain/programme.py) and composes `Settings.programmes_dir/<meeting>/programme.mp4` in a thread
  (ffmpeg as a subprocess, never on the event loop); unchanged inputs return the file already there. None when
  the meeting has no recording. The dossier builder calls it; so does `meeting-server programme MEETING`.
- `ProgrammeJobs`: the server's background job. `meeting.end` wakes it after its commit (the media room has
  closed its recorders by then: publishing the event closed them); a failure is logged and leaves no file.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
from pathlib import Path
from typing import Any

from .config import Settings
from .domain.programme import people_ids, timeline
from .media.programme import DEFAULT_SIZE, DEFAULT_TIMEOUT, ProgrammeError, compose
from .storage import directory
from .storage import meetings as meeting_store
from .storage.db import Database

log = logging.getLogger(__name__)

PAGE = 1000


async def _log_and_names(db: Database, meeting_id: str) -> tuple[list[dict[str, Any]], dict[str, str]]:
    entries: list[dict[str, Any]] = []
    async with db.read() as session:
        await meeting_store.load(session, meeting_id)  # not_found for an unknown meeting
        while True:
            page = await meeting_store.events_after(session, meeting_id, entries[-1]["seq"] if entries else 0, PAGE)
            entries += page
            if len(page) < PAGE:
                break
        users = await directory.users_by_ids(session, sorted(people_ids(entries)))
    return entries, {f"user:{uid}": user.full_name for uid, user in users.items()}


async def ensure_programme(
    settings: Settings,
    meeting_id: str,
    *,
    db: Database | None = None,
    size: tuple[int, int] = DEFAULT_SIZE,
    timeout: float = DEFAULT_TIMEOUT,
    cancel: threading.Event | None = None,
) -> Path | None:
    """The meeting's programme file, composed now if it is missing or its inputs changed; None without recordings.

    Raises AppError("not_found") for an unknown meeting and ProgrammeError when composing fails."""
    own = db is None
    database = db or Database(settings.resolved_database_url)
    try:
        entries, names = await _log_and_names(database, meeting_id)
    finally:
        if own:
            await database.close()
    return await asyncio.to_thread(
        compose,
        settings.recordings_dir / meeting_id,
        settings.programmes_dir / meeting_id,
        timeline(entries, names),
        size=size,
        timeout=timeout,
        cancel=cancel,
    )


class ProgrammeJobs:
    """Composes ended meetings' programmes in the background, one after another (the composer's lock)."""

    def __init__(self, settings: Settings, db: Database) -> None:
        self.settings = settings
        self.db = db
        self._tasks: set[asyncio.Task[Path | None]] = set()
        self._cancel = threading.Event()  # set on stop: a composition under way kills its ffmpeg

    def meeting_ended(self, meeting_id: str) -> asyncio.Task[Path | None]:
        task = asyncio.create_task(self._run(meeting_id))
        self._tasks.add(task)
        task.add_done_callback(self._tasks.discard)
        return task

    async def _run(self, meeting_id: str) -> Path | None:
        try:
            path = await ensure_programme(self.settings, meeting_id, db=self.db, cancel=self._cancel)
        except ProgrammeError as error:
            log.error("programme of meeting %s not composed: %s", meeting_id, error)
            return None
        except Exception:
            log.exception("programme of meeting %s not composed", meeting_id)
            return None
        if path is not None:
            log.info("programme of meeting %s: %s", meeting_id, path)
        return path

    async def stop(self) -> None:
        """End the compositions under way: their ffmpeg is killed and no file is left; the next run composes."""
        self._cancel.set()
        for task in list(self._tasks):
            with contextlib.suppress(asyncio.CancelledError):
                await task
