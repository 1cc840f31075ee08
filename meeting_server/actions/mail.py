"""Invitations that reach people: what an event means for the mail outbox and the in-app notices, and the
organiser's and the reader's actions on them (resend a mail, mark notices read).

`queue_for` is called by `Context.append`, the one choke point every event goes through, in the event's own
transaction (save first, then notify: a mail row exists exactly when its event does). The contract, in
docs/protocol.md "Mail and notices":

- a meeting scheduled (published) → an invitation to everyone it reaches (`members`: the invitees, the chair and
  the secretary, and every active person of an invited unit or of a participating site's unit);
- a published meeting's time, place or agenda changed → a change to those it reached before and still reaches;
- a published meeting cancelled → a cancellation to everyone it reached;
- any event that makes a published meeting reach more people → an invitation to just those;
- `invitation.reminded` {"person_ids": [...]} → a reminder to those people.

The person whose action caused it is not told. Each recipient gets one notice, and one mail row: queued when
they have an e-mail address, `no_address` when they have none. The sender (mail/sender.py) is woken after commit.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from pydantic import Field

from ..domain.meetings import Event, MeetingState, members
from ..errors import AppError
from ..protocol import INVITATION_REMINDED, MEETING_CANCELLED, MEETING_SCHEDULED
from ..storage import directory
from ..storage import mail as store
from ..storage.db import now_iso
from ..storage.models import UserRow
from ..vocabulary import (
    ACCOUNT_EDIT,
    DRAFT,
    IN_PROGRESS,
    MAIL_CANCELLATION,
    MAIL_CHANGE,
    MAIL_FAILED,
    MAIL_INVITATION,
    MAIL_NO_ADDRESS,
    MAIL_REMINDER,
    MAIL_RESEND,
    SCHEDULED,
    MailKind,
)
from .base import Context, MeetingContext, Schema, action, meeting_action
from .schemas import Id

if TYPE_CHECKING:
    from sqlalchemy.ext.asyncio import AsyncSession

# A change in these is news for the invitees ("change" mail); the agenda counts by its items' contents and order.
CHANGE_FIELDS = ("starts_at", "ends_at", "location", "main_site_id")


@dataclass(frozen=True)
class Message:
    """One kind of mail to some people: `people` None means everyone the meeting (as in `of`) reaches."""

    kind: MailKind
    of: MeetingState
    people: frozenset[str] | None = None
    only_new: bool = False  # those `of` reaches and `before` did not
    still: MeetingState | None = None  # and only those this state reaches too


def _live(state: MeetingState | None) -> bool:
    return state is not None and state.published and state.status in (SCHEDULED, IN_PROGRESS)


def _agenda(state: MeetingState) -> tuple[tuple[Any, ...], ...]:
    return tuple((i.id, i.title, i.presenter_name, i.planned_minutes, i.description) for i in state.agenda)


def messages(before: MeetingState | None, after: MeetingState, events: Iterable[Event]) -> list[Message]:
    """What the events tell whom (pure: no database)."""
    events = list(events)
    types = {e.type for e in events}
    if INVITATION_REMINDED not in types and not any(e.patch for e in events):
        return []  # nothing about the meeting changed (a ballot, a turnout): nothing to tell by mail
    out: list[Message] = []
    if MEETING_SCHEDULED in types and _live(after):
        out.append(Message(MAIL_INVITATION, after))
    elif MEETING_CANCELLED in types and before is not None and before.published and before.status != DRAFT:
        out.append(Message(MAIL_CANCELLATION, before))
    elif before is not None and _live(before) and _live(after):
        if any(getattr(before, f) != getattr(after, f) for f in CHANGE_FIELDS) or _agenda(before) != _agenda(after):
            out.append(Message(MAIL_CHANGE, before, still=after))
        gained, had = members(after), members(before)
        if not (gained.users <= had.users and gained.units <= had.units):
            out.append(Message(MAIL_INVITATION, after, only_new=True))
    if _live(after):
        for event in events:
            if event.type == INVITATION_REMINDED:
                out.append(Message(MAIL_REMINDER, after, people=frozenset(event.data.get("person_ids") or ())))
    return out


async def reach(session: AsyncSession, state: MeetingState) -> dict[str, UserRow]:
    """The active people a published meeting reaches, by id."""
    who = members(state)
    people = {k: v for k, v in (await directory.users_by_ids(session, sorted(who.users))).items() if v.active}
    for person in await directory.users_in_units(session, sorted(who.units)):
        people.setdefault(person.id, person)
    return people


async def _recipients(session: AsyncSession, message: Message, before: MeetingState | None) -> list[UserRow]:
    people = await reach(session, message.of)
    if message.people is not None:
        missing = sorted(message.people - set(people))
        people = {k: v for k, v in people.items() if k in message.people}
        people.update({k: v for k, v in (await directory.users_by_ids(session, missing)).items() if v.active})
    if message.only_new and before is not None:
        for known in await reach(session, before):
            people.pop(known, None)
    if message.still is not None:
        now = await reach(session, message.still)
        people = {k: v for k, v in people.items() if k in now}
    return sorted(people.values(), key=lambda p: p.id)


async def queue_for(ctx: Context, before: MeetingState | None, after: MeetingState, events: list[Event]) -> None:
    """Write the mail rows and notices the events cause, in their transaction; wake the sender and tell the
    people's screens after commit. Cheap when the events tell nobody anything (a ballot, a check-in)."""
    told = messages(before, after, events)
    if not told:
        return
    at, seq = now_iso(), after.last_seq
    notified: set[str] = set()
    for message in told:
        people = [p for p in await _recipients(ctx.session, message, before) if p.id != ctx.actor.id]
        ids = [p.id for p in people]
        # Changes made before the last mail left (five agenda edits in a row; mail waiting for a server) make one
        # mail, written from the meeting as it is when sent, and one unread notice.
        absorbed = await store.absorb(ctx.session, after.id, ids, seq) if message.kind == MAIL_CHANGE else set()
        noticed = (
            await store.unread_of_kind(ctx.session, after.id, message.kind, ids)
            if message.kind == MAIL_CHANGE
            else set()
        )
        for person in people:
            if person.id not in absorbed:
                store.add_mail(ctx.session, after.id, seq, person, message.kind, at)
            if person.id not in noticed:
                store.add_notice(ctx.session, after.id, seq, person.id, message.kind, after.title, at)
                notified.add(person.id)
    if not notified:
        return
    await ctx.session.flush()
    services, user_ids = ctx.services, sorted(notified)

    async def tell() -> None:
        services.mail.wake()
        await services.notifier.notices_changed(user_ids)

    ctx.after_commit(tell)


# ---- actions ----------------------------------------------------------------------------------------------------


class Resend(Schema):
    meeting_id: Id
    mail_id: Id


@meeting_action("mail.resend", Resend, MAIL_RESEND)
async def resend(ctx: MeetingContext, cmd: Resend) -> dict[str, Any]:
    """Send a failed (or address-less) invitation mail again, to the person's e-mail address as it is now."""
    row = await store.load_mail(ctx.session, ctx.meeting.id, cmd.mail_id)
    if row.status not in (MAIL_FAILED, MAIL_NO_ADDRESS):
        raise AppError(
            "invalid_input",
            detail="chỉ gửi lại được thư đã gửi không được hoặc chưa có địa chỉ",
            detail_en="only a failed mail, or one without an address, can be sent again",
        )
    person = (await directory.users_by_ids(ctx.session, [row.person_id])).get(row.person_id)
    store.requeue(row, ((person.email if person else "") or "").strip())
    await ctx.session.flush()
    services = ctx.services

    async def wake() -> None:
        services.mail.wake()

    ctx.after_commit(wake)
    return {"meeting_id": ctx.meeting.id, "mail": store.mail_dict(row)}


class ReadNotices(Schema):
    ids: list[Id] | None = Field(default=None, max_length=500)  # None: all of one's notices


@action("notice.read", ReadNotices, ACCOUNT_EDIT)
async def read_notices(ctx: Context, cmd: ReadNotices) -> dict[str, Any]:
    """Mark one's own notices read (the listed ones, or all)."""
    changed = await store.mark_read(ctx.session, ctx.actor.id, cmd.ids, now_iso())
    _, unread = await store.notices_of(ctx.session, ctx.actor.id, limit=0)
    if changed:
        notifier, user_id = ctx.services.notifier, ctx.actor.id

        async def tell() -> None:
            await notifier.notices_changed([user_id])

        ctx.after_commit(tell)
    return {"marked": changed, "unread": unread}
