"""domain.papers, table-driven: who reads which paper, who hears of it, who presents, what an annotation may be."""

from __future__ import annotations

from dataclasses import replace
from typing import Any, TypedDict

import pytest

from meeting_server import protocol as p
from meeting_server.domain import annotations as schema
from meeting_server.domain import meetings
from meeting_server.domain import papers as pp
from meeting_server.domain.annotations import DEFAULT_COLORS
from meeting_server.domain.meetings import AgendaItem, Audience, MeetingState
from meeting_server.errors import AppError
from meeting_server.vocabulary import MeetingStatus, PaperStatus

V1 = pp.PaperVersion(
    version=1,
    file_id="a" * 64,
    filename="bao-cao.pdf",
    bytes=2048,
    page_count=3,
    pages=({"width": 595.0, "height": 842.0, "rotation": 0},) * 3,
)
MEETING = MeetingState(
    id="m_meeting1",
    title="Họp UBND",
    organizer_id="u_organizer",
    starts_at="2026-11-24T01:00:00Z",
    status="in_progress",
    chair_id="u_chair001",
    secretary_id="u_secret01",
    published=True,
    agenda=(
        AgendaItem(id="a_item01", title="Báo cáo", presenter_id="u_present1"),
        AgendaItem(id="a_item02", title="Kết luận"),
    ),
)


def paper(access: str = "all", status: PaperStatus = "published", **kw: Any) -> pp.Paper:
    return pp.Paper(
        id="pp_paper01",
        meeting_id=MEETING.id,
        title="Báo cáo tài chính",
        versions=(V1,),
        item_id="a_item01",
        access=access,
        status=status,
        **kw,
    )


class Listing(TypedDict, total=False):
    """Who a listed paper names: `Paper`'s fields of that name."""

    user_ids: tuple[str, ...]
    unit_ids: tuple[str, ...]


LISTED: Listing = {"user_ids": ("u_deleg001",), "unit_ids": ("un_taichinh",)}
VIEWERS = {
    "chair": pp.Viewer("chair", "u_chair001"),
    "secretary": pp.Viewer("secretary", "u_secret01"),
    "admin": pp.Viewer("admin", "u_admin001"),
    "named delegate": pp.Viewer("delegate", "u_deleg001", "un_xa00001"),
    "delegate of a named unit": pp.Viewer("delegate", "u_deleg002", "un_taichinh"),
    "other delegate": pp.Viewer("delegate", "u_deleg003", "un_xa00002"),
    "observer": pp.Viewer("observer", "u_observ01"),
    "hall": pp.Viewer("site"),
}
# (access, status) -> who reads it
READERS = {
    ("all", "published"): set(VIEWERS),
    ("all", "draft"): {"chair", "secretary", "admin"},
    ("all", "withdrawn"): {"chair", "secretary", "admin"},
    ("listed", "published"): {"chair", "secretary", "admin", "named delegate", "delegate of a named unit"},
    ("listed", "draft"): {"chair", "secretary", "admin"},
    ("restricted", "published"): {"chair", "secretary", "named delegate", "delegate of a named unit"},
    ("restricted", "draft"): {"chair", "secretary"},
}


@pytest.mark.parametrize(("access", "status"), list(READERS))
def test_who_reads_which_paper(access: str, status: PaperStatus) -> None:
    doc = paper(access, status, **(LISTED if access != "all" else {}))
    readers = {name for name, viewer in VIEWERS.items() if doc.can_read(viewer)}
    assert readers == READERS[(access, status)]


@pytest.mark.parametrize(("access", "status"), list(READERS))
def test_who_hears_of_a_paper_is_who_reads_it(access: str, status: PaperStatus) -> None:
    """The audience of a paper's events matches `can_read` for everyone (units resolved to their people)."""
    doc = paper(access, status, **(LISTED if access != "all" else {}))
    audience = doc.audience(unit_members=["u_deleg002"])
    for name, viewer in VIEWERS.items():
        if viewer.user_id is None:
            continue  # halls hear through the meeting's room, and read only papers open to all
        assert audience.includes(viewer.role, viewer.user_id) == doc.can_read(viewer), name


def test_readers_do_not_see_the_listing_managers_do() -> None:
    doc = paper("listed", **LISTED)
    assert doc.public(VIEWERS["named delegate"])["user_ids"] == []
    assert doc.public(VIEWERS["chair"])["unit_ids"] == ["un_taichinh"]
    assert "file_id" not in doc.public(VIEWERS["chair"])["versions"][0]


def test_a_listed_paper_must_name_someone() -> None:
    with pytest.raises(AppError) as info:
        pp.add_paper(
            MEETING,
            paper_id="pp_x",
            title="Mật",
            item_id=None,
            access="restricted",
            user_ids=(),
            unit_ids=(),
            first=V1,
            position=0,
            actor_id="u_secret01",
            at="t",
        )
    assert info.value.code == "invalid_input"


def test_adding_needs_an_existing_agenda_item_and_an_open_meeting() -> None:
    with pytest.raises(AppError) as info:
        pp.add_paper(
            MEETING,
            paper_id="pp_x",
            title="T",
            item_id="a_nothing",
            access="all",
            user_ids=(),
            unit_ids=(),
            first=V1,
            position=0,
            actor_id="u",
            at="t",
        )
    assert info.value.code == "not_found"
    with pytest.raises(AppError) as info:
        pp.add_paper(
            replace(MEETING, status="archived"),
            paper_id="pp_x",
            title="T",
            item_id=None,
            access="all",
            user_ids=(),
            unit_ids=(),
            first=V1,
            position=0,
            actor_id="u",
            at="t",
        )
    assert info.value.code == "meeting_closed"


def test_versions_are_numbered_and_kept() -> None:
    doc, events = pp.add_version(MEETING, paper(), V1)
    assert [v.version for v in doc.versions] == [1, 2] and doc.current.version == 2
    assert events[0].type == p.PAPER_VERSION_ADDED and events[0].data["version"] == 2
    with pytest.raises(AppError) as info:
        pp.add_version(MEETING, paper(status="withdrawn"), V1)
    assert info.value.code == "invalid_transition"


def test_narrowing_access_tells_those_who_lose_it() -> None:
    doc = paper("listed", user_ids=("u_a", "u_b"))
    new, events = pp.update_paper(MEETING, doc, {"user_ids": ("u_a",)}, (), ())
    assert new.user_ids == ("u_a",)
    assert [e.type for e in events] == [p.PAPER_UPDATED, p.PAPER_WITHDRAWN]
    assert events[1].audience == Audience(kind="people", user_ids=("u_b",))
    # Widening to everyone tells everyone through the update itself.
    _, events = pp.update_paper(MEETING, doc, {"access": "all"}, (), ())
    assert [e.type for e in events] == [p.PAPER_UPDATED] and events[0].audience == Audience()
    # Narrowing a paper open to everyone: everyone hears it may be gone (those still named fetch it again).
    _, events = pp.update_paper(MEETING, paper(), {"access": "restricted", "user_ids": ("u_a",)}, (), ())
    assert [(e.type, e.audience.kind) for e in events] == [(p.PAPER_UPDATED, "people"), (p.PAPER_WITHDRAWN, "all")]
    assert events[1].data == {"paper_id": "pp_paper01", "reason": "access"}
    assert pp.update_paper(MEETING, doc, {"title": doc.title}, (), ()) == (doc, [])


PRESENTERS = {
    "chair": True,
    "secretary": True,
    "admin": True,
    "item presenter": True,
    "named delegate": False,
    "observer": False,
}


@pytest.mark.parametrize(("who", "allowed"), list(PRESENTERS.items()))
def test_who_presents(who: str, allowed: bool) -> None:
    viewer = VIEWERS.get(who) or pp.Viewer("delegate", "u_present1")
    if allowed:
        events = pp.present(MEETING, paper(), viewer, version=None, page=2, zoom=2.0, x=0.5, y=0.25, name="A", at="t")
        assert events[0].data["patch"]["presentation"]["page"] == 2
        assert events[0].audience == Audience()
    else:
        with pytest.raises(AppError) as info:
            pp.present(MEETING, paper(), viewer, version=None, page=2, zoom=1, x=0, y=0, name="A", at="t")
        assert info.value.code == "forbidden"


def test_presenting_checks_page_zoom_and_the_meeting() -> None:
    chair = VIEWERS["chair"]
    for page, zoom, x in ((0, 1.0, 0.0), (4, 1.0, 0.0), (1, 9.0, 0.0), (1, 1.0, 1.5)):
        with pytest.raises(AppError) as info:
            pp.present(MEETING, paper(), chair, version=None, page=page, zoom=zoom, x=x, y=0, name="", at="")
        assert info.value.code == "invalid_input"
    with pytest.raises(AppError) as info:
        pp.present(
            replace(MEETING, status="scheduled"), paper(), chair, version=None, page=1, zoom=1, x=0, y=0, name="", at=""
        )
    assert info.value.code == "invalid_transition"
    with pytest.raises(AppError) as info:  # a delegate cannot present what they cannot read
        pp.present(
            MEETING,
            paper("restricted", user_ids=("u_x",)),
            pp.Viewer("delegate", "u_present1"),
            version=None,
            page=1,
            zoom=1,
            x=0,
            y=0,
            name="",
            at="",
        )
    assert info.value.code == "not_found"


def test_stopping_and_withdrawing_what_is_presented() -> None:
    shown = replace(MEETING, presentation={"paper_id": "pp_paper01", "page": 1, "by": "u_present1"})
    assert pp.stop_presenting(MEETING, VIEWERS["chair"]) == []
    with pytest.raises(AppError):
        pp.stop_presenting(shown, VIEWERS["named delegate"])
    assert pp.stop_presenting(shown, pp.Viewer("delegate", "u_present1"))[0].data["patch"] == {"presentation": None}
    _, events = pp.withdraw_paper(shown, paper())
    assert [e.type for e in events] == [p.PAPER_WITHDRAWN, p.PAPER_PRESENTATION_STOPPED]


@pytest.mark.parametrize(("status", "action"), [("in_progress", "end"), ("ended", "archive")])
def test_closing_the_meeting_stops_what_is_presented(status: MeetingStatus, action: str) -> None:
    """Issue 9 §1.1: a presentation still running when the meeting ends stayed on the archived meeting."""
    shown = replace(MEETING, status=status, presentation={"paper_id": "pp_paper01", "page": 2, "by": "u_present1"})
    events = meetings.transition(shown, action)
    assert [e.type for e in events][0] == p.PAPER_PRESENTATION_STOPPED
    after = shown
    for event in events:
        after = meetings.apply(after, event)
    assert after.presentation is None and after.status == ("ended" if action == "end" else "archived")
    # nothing to stop: the transition alone
    assert [e.type for e in meetings.transition(replace(shown, presentation=None), action)][0] != (
        p.PAPER_PRESENTATION_STOPPED
    )


GOOD: dict[str, dict[str, Any]] = {
    "ink": {"strokes": [[[0.1, 0.2], [0.15, 0.25], [1.0, 1.0]]], "color": "#1565C0", "width": 0.003},
    "highlight": {"rects": [[0.1, 0.2, 0.4, 0.22]], "text": "biên bản", "color": "#ffeb3b"},
    "note": {"x": 0.9, "y": 0.1, "text": "  Cần làm rõ  "},
}
BAD = [
    ("ink", {"strokes": []}),
    ("ink", {"strokes": [[[0.1, float("nan")]]]}),
    ("ink", {"strokes": [[[0.1, 1.5]]]}),
    ("ink", {"strokes": [[[0.1, 0.1]]], "color": "red"}),
    ("ink", {"strokes": [[[0.1, 0.1]]], "width": 3}),
    ("ink", {"strokes": [[[0.5, 0.5]] * 20_001]}),
    ("ink", {"strokes": [[[True, 0.5]]]}),
    ("highlight", {"rects": [[0.4, 0.2, 0.1, 0.3]]}),
    ("highlight", {"rects": "all"}),
    ("note", {"x": 0.5, "y": 0.5, "text": "   "}),
    ("note", {"x": 2, "y": 0.5, "text": "x"}),
    ("stamp", {"x": 0.5}),
]


@pytest.mark.parametrize("kind", list(GOOD))
def test_good_annotations_are_normalised(kind: str) -> None:
    out = pp.check_annotation_data(kind, GOOD[kind])
    assert out["color"] == GOOD[kind].get("color", DEFAULT_COLORS[kind]).lower()
    if kind == "note":
        assert out["text"] == "Cần làm rõ"


@pytest.mark.parametrize(("kind", "data"), BAD)
def test_bad_annotations_are_refused_whole(kind: str, data: dict[str, Any]) -> None:
    with pytest.raises(AppError) as info:
        pp.check_annotation_data(kind, data)
    assert info.value.code == "invalid_input"


def test_private_ink_reaches_its_owner_and_shared_ink_the_readers() -> None:
    doc = paper("listed", user_ids=("u_deleg001",))
    ink = pp.Annotation(
        id="ink-00000001",
        paper_id=doc.id,
        version=1,
        page=1,
        kind="ink",
        owner_id="u_deleg001",
        data=pp.check_annotation_data("ink", GOOD["ink"]),
    )
    events = pp.save_annotation(MEETING, doc, VIEWERS["named delegate"], ink, None)
    assert events[0].audience == Audience(kind="user", user_id="u_deleg001")
    shared = replace(ink, layer="shared", owner_id="u_chair001")
    events = pp.save_annotation(MEETING, doc, VIEWERS["chair"], shared, None)
    assert events[0].audience == doc.audience()
    with pytest.raises(AppError) as info:  # a delegate draws on the shared layer only when presenting
        pp.save_annotation(MEETING, doc, VIEWERS["named delegate"], replace(ink, layer="shared"), None)
    assert info.value.code == "forbidden"
    with pytest.raises(AppError) as info:  # someone else's annotation id is not theirs to overwrite
        pp.save_annotation(MEETING, doc, VIEWERS["chair"], replace(ink, owner_id="u_chair001"), ink)
    assert info.value.code == "not_found"
    with pytest.raises(AppError) as info:
        pp.save_annotation(MEETING, doc, VIEWERS["named delegate"], replace(ink, page=9), None)
    assert info.value.code == "invalid_input"


def test_comments_are_between_their_author_and_the_organisers() -> None:
    comment = pp.Comment(
        id="cmt-00000001",
        paper_id="pp_paper01",
        version=1,
        page=1,
        x=0.1,
        y=0.1,
        author_id="u_deleg001",
        author_name="A",
        text="Góp ý",
    )
    events = pp.add_comment(MEETING, paper(), VIEWERS["named delegate"], comment)
    assert events[0].audience.includes("delegate", "u_deleg001")
    assert not events[0].audience.includes("delegate", "u_deleg003")
    assert events[0].audience.includes("secretary", "u_secret01")
    with pytest.raises(AppError):
        pp.update_comment(MEETING, VIEWERS["named delegate"], comment, "accepted", None, "t")
    new, events = pp.update_comment(MEETING, VIEWERS["secretary"], comment, "answered", "Đã tiếp thu", "t2")
    assert (new.status, new.answer, events[0].type) == ("answered", "Đã tiếp thu", p.COMMENT_UPDATED)
    assert pp.update_comment(MEETING, VIEWERS["secretary"], new, "answered", "Đã tiếp thu", "t3")[1] == []


def test_a_read_receipt_is_an_event_the_first_time_only() -> None:
    events = pp.open_paper(paper(), VIEWERS["named delegate"], None, True, "Đại biểu A", "t")
    assert events[0].audience == Audience(kind="roles", roles=pp.PAPER_MANAGERS)
    assert pp.open_paper(paper(), VIEWERS["named delegate"], None, False, "Đại biểu A", "t") == []
    with pytest.raises(AppError):
        pp.open_paper(paper("restricted", user_ids=("u_x",)), VIEWERS["other delegate"], None, True, "", "t")


def test_audiences_validate_themselves() -> None:
    assert Audience.from_dict(Audience(kind="people", roles=("chair",), user_ids=("u_a",)).to_dict()) == Audience(
        kind="people", roles=("chair",), user_ids=("u_a",)
    )
    with pytest.raises(ValueError):
        Audience(kind="user", user_id="u_a", user_ids=("u_b",))
    with pytest.raises(ValueError):
        Audience(kind="people", roles=("king",))


@pytest.mark.parametrize(
    ("data", "ok"),
    [
        ({"strokes": [[[0.5, 0.5]]] * schema.MAX_STROKES}, True),
        ({"strokes": [[[0.5, 0.5]]] * (schema.MAX_STROKES + 1)}, False),
        ({"strokes": [[[0.5, 0.5]] * (schema.MAX_POINTS // 2)] * 2}, True),
        ({"strokes": [[[0.5, 0.5]] * (schema.MAX_POINTS // 2)] * 2 + [[[0.5, 0.5]]]}, False),
        ({"strokes": [[[0.5, 0.5]]], "width": schema.MIN_WIDTH}, True),
        ({"strokes": [[[0.5, 0.5]]], "width": schema.MIN_WIDTH / 2}, False),
    ],
)
def test_ink_limits_hold_at_their_boundary(data: dict[str, Any], ok: bool) -> None:
    if ok:
        assert pp.check_annotation_data("ink", data)["strokes"]
    else:
        with pytest.raises(AppError) as info:
            pp.check_annotation_data("ink", data)
        assert info.value.code == "invalid_input"


def test_overshoots_are_clamped_and_note_text_normalised() -> None:
    ink = pp.check_annotation_data("ink", {"strokes": [[[-0.004, 1.006], [0.123456789, 0.5]]]})
    assert ink["strokes"] == [[[0.0, 1.0], [0.12346, 0.5]]]
    note = pp.check_annotation_data("note", {"x": 0.5, "y": 0.5, "text": " Nguye\u0302\u0303n\x07 "})
    assert note["text"] == "Nguyễn"
