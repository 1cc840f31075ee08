"""Reading the invitations' mail: a meeting's outbox per invitee (the organiser's page), a person's notices."""

from __future__ import annotations

from typing import Any

from ..actions.base import Services
from ..domain.actors import Actor
from ..domain.meetings import require
from ..storage import directory
from ..storage import mail as store
from ..storage import meetings as meeting_store
from ..vocabulary import MAIL_FAILED, MAIL_RESEND, MAIL_STATUSES

# Why queued mail does not leave: said on the organiser's page while no SMTP host is configured.
NOT_CONFIGURED = ("Chưa cấu hình máy chủ thư", "No mail server is configured")


async def meeting_mail(services: Services, actor: Actor, meeting_id: str) -> dict[str, Any]:
    """Every mail of the meeting (newest last) with the person's name, the count per status, and the failed ones
    with the server's reply. `smtp_configured` false: nothing is sent and the page says so."""
    async with services.db.read() as session:
        state = meeting_store.state_of(await meeting_store.load(session, meeting_id))
        require(actor, state, MAIL_RESEND)
        rows = await store.mails_of(session, meeting_id)
        people = await directory.users_by_ids(session, sorted({r.person_id for r in rows}))
    mails = []
    for row in rows:
        person = people.get(row.person_id)
        mails.append({**store.mail_dict(row), "full_name": person.full_name if person else ""})
    counts = {status: sum(1 for m in mails if m["status"] == status) for status in MAIL_STATUSES}
    configured = bool(services.settings.smtp_host)
    return {
        "smtp_configured": configured,
        "waiting_reason": None if configured else NOT_CONFIGURED[0],
        "waiting_reason_en": None if configured else NOT_CONFIGURED[1],
        "counts": counts,
        "mails": mails,
        "failed": [m for m in mails if m["status"] == MAIL_FAILED],
    }


async def my_notices(services: Services, actor: Actor) -> dict[str, Any]:
    async with services.db.read() as session:
        rows, unread = await store.notices_of(session, actor.id)
    return {"notices": [store.notice_dict(r) for r in rows], "unread": unread}
