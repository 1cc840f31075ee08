"""Which events tell whom what (actions/mail.messages), as a table: pure, no database."""

from __future__ import annotations

from dataclasses import replace

import pytest

from meeting_server import protocol as p
from meeting_server.actions.mail import Message, messages
from meeting_server.domain.meetings import AgendaItem, Event, MeetingState

DRAFT = MeetingState(
    id="m_aaaaaaaa",
    title="Họp UBND tỉnh",
    organizer_id="u_org",
    starts_at="2026-11-24T01:00:00Z",
    invitee_ids=("u_an",),
    agenda=(AgendaItem("a_1", "Khai mạc"),),
)
SCHEDULED = replace(DRAFT, status="scheduled", published=True)
RUNNING = replace(SCHEDULED, status="in_progress")


def ev(kind: str, patched: bool = True, **data: object) -> Event:
    """An event; the states before and after it are the table's, its patch only says whether it changed any."""
    return Event(kind, {**data, "patch": {"changed": True}} if patched else dict(data))


def told(before: MeetingState | None, after: MeetingState, *events: Event) -> list[tuple[str, str]]:
    out: list[tuple[str, str]] = []
    for m in messages(before, after, events or [ev(p.MEETING_UPDATED)]):
        who = "new" if m.only_new else "listed" if m.people is not None else "all"
        out.append((m.kind, who))
    return out


@pytest.mark.parametrize(
    ("before", "after", "events", "expected"),
    [
        # published: everyone
        (DRAFT, SCHEDULED, [ev(p.MEETING_SCHEDULED)], [("invitation", "all")]),
        # a draft edited: nobody has heard of it
        (DRAFT, replace(DRAFT, location="Hội trường"), [], []),
        # time, place, main site, agenda of a published meeting: a change
        (SCHEDULED, replace(SCHEDULED, starts_at="2026-11-25T01:00:00Z"), [], [("change", "all")]),
        (SCHEDULED, replace(SCHEDULED, location="Phòng 2"), [], [("change", "all")]),
        (SCHEDULED, replace(SCHEDULED, main_site_id="s_1"), [], [("change", "all")]),
        (SCHEDULED, replace(SCHEDULED, agenda=(AgendaItem("a_1", "Khai mạc hội nghị"),)), [], [("change", "all")]),
        (RUNNING, replace(RUNNING, ends_at="2026-11-24T05:00:00Z"), [], [("change", "all")]),
        # the item under discussion moving on is not news by mail, nor is the title or description
        (RUNNING, replace(RUNNING, agenda=(AgendaItem("a_1", "Khai mạc", status="current"),)), [], []),
        (SCHEDULED, replace(SCHEDULED, title="Họp UBND tỉnh (mở rộng)", description="…"), [], []),
        # people added, by whatever event: an invitation to just them
        (SCHEDULED, replace(SCHEDULED, invitee_ids=("u_an", "u_binh")), [], [("invitation", "new")]),
        (
            SCHEDULED,
            replace(SCHEDULED, invited_unit_ids=("un_x",)),
            [ev("invitation.answered")],
            [("invitation", "new")],
        ),
        (SCHEDULED, replace(SCHEDULED, chair_id="u_chair"), [], [("invitation", "new")]),
        # people removed only: nobody is invited
        (replace(SCHEDULED, invitee_ids=("u_an", "u_binh")), SCHEDULED, [], []),
        # both at once
        (
            SCHEDULED,
            replace(SCHEDULED, location="Phòng 2", invitee_ids=("u_an", "u_binh")),
            [],
            [("change", "all"), ("invitation", "new")],
        ),
        # cancelled: everyone it reached; a draft cancelled: nobody
        (SCHEDULED, replace(SCHEDULED, status="cancelled"), [ev(p.MEETING_CANCELLED)], [("cancellation", "all")]),
        (DRAFT, replace(DRAFT, status="cancelled"), [ev(p.MEETING_CANCELLED)], []),
        # back to draft (and a later change in it) says nothing
        (SCHEDULED, replace(SCHEDULED, status="draft"), [ev(p.MEETING_UNSCHEDULED)], []),
        # ended: no more mail
        (RUNNING, replace(RUNNING, status="ended"), [ev(p.MEETING_ENDED)], []),
        # a reminder names its people
        (SCHEDULED, SCHEDULED, [ev(p.INVITATION_REMINDED, False, person_ids=["u_an"])], [("reminder", "listed")]),
        (DRAFT, DRAFT, [ev(p.INVITATION_REMINDED, False, person_ids=["u_an"])], []),
        # a ballot, a turnout: no patch, nothing (not even looked at)
        (RUNNING, RUNNING, [ev(p.VOTE_TURNOUT, False)], []),
        (SCHEDULED, replace(SCHEDULED, invitee_ids=("u_an", "u_binh")), [ev(p.VOTE_BALLOT_CAST, False)], []),
    ],
)
def test_what_an_event_tells(
    before: MeetingState, after: MeetingState, events: list[Event], expected: list[tuple[str, str]]
) -> None:
    assert told(before, after, *events) == expected


def test_a_change_goes_to_those_reached_before_and_after_and_a_cancellation_to_those_reached_before() -> None:
    after = replace(SCHEDULED, location="Phòng 2")
    (change,) = messages(SCHEDULED, after, [ev(p.MEETING_UPDATED)])
    assert change == Message("change", SCHEDULED, still=after)
    cancelled = replace(SCHEDULED, status="cancelled")
    (cancel,) = messages(SCHEDULED, cancelled, [ev(p.MEETING_CANCELLED)])
    assert cancel.of is SCHEDULED
