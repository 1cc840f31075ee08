"""The sender: one task per server process that works through the mail outbox.

Woken after every commit that queued mail (`wake`, from actions/mail.py) and every MS_MAIL_POLL_SECONDS, it
claims due rows (storage/mail.claim: safe with several server processes), renders each meeting's giấy mời once
per batch in the document workers (never pymupdf on the event loop), and sends over one SMTP connection
(aiosmtplib: a silent server is a timeout, and stopping the server cancels the conversation). Each outcome is
recorded at once: sent; failed for good on a 5xx reply (the reply kept as `last_error`); otherwise retried after
MS_MAIL_RETRY_SECONDS, doubled per attempt up to six hours, and failed after MS_MAIL_MAX_ATTEMPTS.

Without MS_SMTP_HOST nothing is claimed: the rows stay queued and the organiser's page says why.
An action never waits for any of this: it only queues rows and wakes the task.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from email.utils import parseaddr

import aiosmtplib

from ..actions.base import Services
from ..documents.invitation import InvitationData, render_invitation_pdf
from ..documents.workers import DocumentWorkers
from ..domain.meetings import MeetingState
from ..errors import AppError
from ..storage import directory
from ..storage import mail as store
from ..storage import meetings as meeting_store
from ..storage.db import parse_iso
from ..views.meetings import calendar_file, invitation_of
from . import compose

log = logging.getLogger(__name__)

MAX_DELAY = timedelta(hours=6)
PDF_CACHE = 8  # meetings whose giấy mời is kept between batches


def utc_now() -> datetime:
    return datetime.now(UTC)


class Permanent(Exception):
    """The server refused this mail for good (a 5xx reply) or it cannot be written: no retry."""


class Transient(Exception):
    """The server could not be reached or would not take us in (connect, TLS, sign-in): later, perhaps."""


class _Meeting:
    def __init__(self, state: MeetingState, data: InvitationData) -> None:
        self.state, self.data = state, data
        self.pdf: bytes | None = None


class MailSender:
    def __init__(
        self,
        services: Services,
        workers: DocumentWorkers,
        *,
        clock: Callable[[], datetime] = utc_now,
        batch: int = 50,
    ) -> None:
        self.services = services
        self.settings = services.settings
        self.workers = workers
        self.clock = clock
        self.batch = batch
        self._wake = asyncio.Event()
        self._pdfs: dict[tuple[str, int], bytes] = {}  # the latest giấy mời of the last few meetings
        self._task: asyncio.Task[None] | None = None

    @property
    def configured(self) -> bool:
        return bool(self.settings.smtp_host)

    @property
    def lease(self) -> timedelta:
        """How long a claimed row is kept from other senders: longer than one whole attempt can take."""
        return timedelta(seconds=max(600.0, 6 * self.settings.smtp_timeout_seconds))

    def wake(self) -> None:
        self._wake.set()

    def start(self) -> None:
        if self._task is None:
            self._task = asyncio.create_task(self._run(), name="mail-sender")

    async def stop(self) -> None:
        task, self._task = self._task, None
        if task is not None:
            task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await task

    async def _run(self) -> None:
        while True:
            self._wake.clear()
            try:
                await self.drain()
            except asyncio.CancelledError:
                raise
            except Exception:
                log.exception("the mail sender's round failed; it tries again later")
            if _cancel_requested():
                raise asyncio.CancelledError  # stop() asked while a library swallowed its CancelledError
            try:
                async with asyncio.timeout(await self._pause()):
                    await self._wake.wait()
            except TimeoutError:
                pass

    async def _pause(self) -> float:
        """Seconds until the next queued row is due, at most the poll period."""
        period = self.settings.mail_poll_seconds
        if not self.configured:
            return period
        async with self.services.db.read() as session:
            due = await store.next_due(session)
        if due is None:
            return period
        return max(0.0, min(period, (parse_iso(due) - self.clock()).total_seconds()))

    async def drain(self) -> int:
        """Send every row due now; returns how many were attempted."""
        if not self.configured:
            return 0
        total = 0
        while True:
            async with self.services.db.write() as session:
                claimed = await store.claim(session, self.clock(), self.lease, self.batch)
            if not claimed:
                return total
            total += len(claimed)
            await self._send(claimed)

    async def _meetings(self, claimed: list[store.Claimed]) -> tuple[dict[str, _Meeting], dict[str, compose.Recipient]]:
        meetings: dict[str, _Meeting] = {}
        async with self.services.db.read() as session:
            for meeting_id in sorted({c.meeting_id for c in claimed}):
                try:
                    state = meeting_store.state_of(await meeting_store.load(session, meeting_id))
                except AppError:
                    continue
                meetings[meeting_id] = _Meeting(state, await invitation_of(session, state))
            people = await directory.users_by_ids(session, sorted({c.person_id for c in claimed}))
        recipients = {k: compose.Recipient(u.full_name, u.title, "") for k, u in people.items()}
        for meeting_id, meeting in meetings.items():
            if any(c.meeting_id == meeting_id and compose.needs_pdf(c.kind) for c in claimed):
                meeting.pdf = await self._pdf(meeting)
        return meetings, recipients

    async def _pdf(self, meeting: _Meeting) -> bytes:
        """The giấy mời of the meeting as it is now: rendered once per version of the meeting (a 500-person
        invitation goes out in batches), in the document workers."""
        key = (meeting.state.id, meeting.state.last_seq)
        pdf = self._pdfs.pop(key, None)
        if pdf is None:
            pdf = await self.workers.run(render_invitation_pdf, meeting.data, timeout=60.0)
        self._pdfs[key] = pdf
        while len(self._pdfs) > PDF_CACHE:
            del self._pdfs[next(iter(self._pdfs))]
        return pdf

    def _message(self, c: store.Claimed, meeting: _Meeting | None, person: compose.Recipient | None) -> EmailMessage:
        if meeting is None or person is None:
            raise Permanent("cuộc họp hoặc người nhận không còn / the meeting or the person is gone")
        base = self.settings.public_url or f"http://{self.settings.host}:{self.settings.port}"
        method = "CANCEL" if c.kind == "cancellation" else "PUBLISH"
        try:
            return compose.build(
                sender=self._from(),
                to=compose.Recipient(person.full_name, person.title, c.address),
                kind=c.kind,
                data=meeting.data,
                link=f"{base.rstrip('/')}/meetings/{meeting.state.id}",
                ics=calendar_file(meeting.data, meeting.state, base, method),
                pdf=meeting.pdf if compose.needs_pdf(c.kind) else None,
                cancel_reason=meeting.state.cancel_reason,
            )
        except (ValueError, TypeError, IndexError) as exc:  # an address the mail headers cannot carry
            raise Permanent(f"địa chỉ không hợp lệ / invalid address: {exc}") from exc

    def _from(self) -> str:
        s = self.settings
        return s.smtp_from or s.smtp_user or f"hop-truc-tuyen@{s.smtp_host}"

    def _client(self) -> aiosmtplib.SMTP:
        s = self.settings
        return aiosmtplib.SMTP(
            hostname=s.smtp_host,
            port=s.smtp_port,
            username=s.smtp_user or None,
            password=s.smtp_password or None,
            start_tls=s.smtp_starttls,
            timeout=s.smtp_timeout_seconds,
        )

    async def _send(self, claimed: list[store.Claimed]) -> None:
        try:
            meetings, people = await self._meetings(claimed)
        except Exception as exc:  # the workers failed: every row of the batch tries again later
            log.exception("preparing mail failed")
            for c in claimed:
                await self._outcome(c, exc)
            return
        smtp: aiosmtplib.SMTP | None = None
        try:
            for c in claimed:
                try:
                    message = self._message(c, meetings.get(c.meeting_id), people.get(c.person_id))
                    if smtp is None or not smtp.is_connected:
                        smtp = self._client()
                        try:
                            await smtp.connect()
                        except Exception as exc:
                            raise Transient(describe(exc)[0]) from exc
                    await smtp.send_message(message, sender=parseaddr(self._from())[1], recipients=[c.address])
                except asyncio.CancelledError:
                    raise
                except Exception as exc:
                    await self._outcome(c, exc)
                    if not isinstance(exc, (Permanent, aiosmtplib.SMTPRecipientsRefused)) and smtp is not None:
                        smtp.close()  # the conversation is in an unknown state: a new one for the next mail
                        smtp = None
                else:
                    await self._outcome(c, None)
        finally:
            if smtp is not None and smtp.is_connected:
                try:
                    await smtp.quit()
                except Exception:
                    smtp.close()

    async def _outcome(self, c: store.Claimed, exc: BaseException | None) -> None:
        now = self.clock()
        async with self.services.db.write() as session:
            if exc is None:
                await store.mark_sent(session, c.id, now)
                return
            reply, permanent = describe(exc)
            if permanent or c.attempts >= self.settings.mail_max_attempts:
                await store.mark_failed(session, c.id, reply)
                log.warning("mail %s to %s failed: %s", c.id, c.address, reply)
            else:
                delay = timedelta(seconds=self.settings.mail_retry_seconds * 2 ** (c.attempts - 1))
                await store.mark_retry(session, c.id, reply, now + min(delay, MAX_DELAY))


def _cancel_requested() -> bool:
    """Whether this task was asked to stop though no CancelledError reached it. On Python 3.11 `asyncio.wait_for`
    (which aiosmtplib's timeouts use) can return its result and drop a cancellation that arrived at the same moment;
    the request still shows in `Task.cancelling()`. Without this check the sender went back to waiting, and a
    server's stop waited for it for ever."""
    task = asyncio.current_task()
    return task is not None and task.cancelling() > 0


def describe(exc: BaseException) -> tuple[str, bool]:
    """The server's reply (or what went wrong) as the organiser sees it, and whether it is final."""
    if isinstance(exc, aiosmtplib.SMTPRecipientsRefused) and exc.recipients:
        refused = exc.recipients[0]
        return f"{refused.code} {refused.message}", refused.code >= 500
    if isinstance(exc, aiosmtplib.SMTPResponseException):
        return f"{exc.code} {exc.message}", exc.code >= 500
    if isinstance(exc, Permanent):
        return str(exc), True
    if isinstance(exc, Transient):
        return str(exc), False
    return f"{type(exc).__name__}: {exc}".strip(), False
