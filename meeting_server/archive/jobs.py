"""Building dossiers off the request path: the archive action tells the builder after its commit; the build runs
as a task of the server's event loop whose heavy part is in a thread (archive/dossier.py). At start the server
builds those an earlier process archived but did not finish (`catch_up`). A meeting's page shows its state:
`building` ("đang lập hồ sơ"), `ready`, or `failed` with the reason (the seal missing, say)."""

from __future__ import annotations

import asyncio
import logging
from typing import Literal

from ..actions.base import Services
from ..storage import archive as archive_store
from .dossier import build_dossier, dossier_path

log = logging.getLogger(__name__)

DossierStatus = Literal["building", "ready", "failed"]


class DossierBuilder:
    """One build at a time per meeting in this process; a second `start` while one runs does nothing."""

    def __init__(self, services: Services) -> None:
        self.services = services
        self._running: dict[str, asyncio.Task[None]] = {}
        self.failures: dict[str, str] = {}

    def start(self, meeting_id: str) -> None:
        if meeting_id in self._running:
            return
        self.failures.pop(meeting_id, None)
        task = asyncio.get_running_loop().create_task(self._build(meeting_id))
        self._running[meeting_id] = task
        task.add_done_callback(lambda _: self._running.pop(meeting_id, None))

    async def _build(self, meeting_id: str) -> None:
        try:
            path = await build_dossier(self.services, meeting_id)
        except Exception as error:
            log.exception("the dossier of %s could not be built", meeting_id)
            self.failures[meeting_id] = str(error) or type(error).__name__
        else:
            log.info("dossier of %s built: %s", meeting_id, path)

    async def wait(self, meeting_id: str) -> None:
        """Until the build running for this meeting (if any) ends."""
        task = self._running.get(meeting_id)
        if task is not None:
            await asyncio.shield(task)

    def status(self, meeting_id: str) -> DossierStatus:
        """The dossier of an archived meeting: being built, ready, or failed (the reason in `failures`)."""
        if meeting_id in self._running:
            return "building"
        if meeting_id in self.failures:
            return "failed"
        return "ready" if dossier_path(self.services, meeting_id).is_file() else "building"

    async def catch_up(self) -> None:
        """Build the dossiers of archived meetings that have none yet (a server stopped mid-build)."""
        async with self.services.db.read() as session:
            archived = await archive_store.archived_meetings(session)
        for state in archived:
            if not await asyncio.to_thread(dossier_path(self.services, state.id).is_file):
                self.start(state.id)

    async def close(self) -> None:
        for task in list(self._running.values()):
            task.cancel()
        await asyncio.gather(*self._running.values(), return_exceptions=True)


__all__ = ["DossierBuilder", "DossierStatus"]
