"""Search across everything a person may read (docs/search.md), on SQLite FTS5 and on the real PostgreSQL: the read
rules inside the query (a restricted paper's word is neither found nor counted by those it does not name), folding
of diacritics, ranking and marked snippets, filters, and the indexer that runs off the request path and catches up
after it was stopped."""

from __future__ import annotations

import asyncio
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import quote

import pytest
from alembic import command
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine

from meeting_server.api.search import INDEXER
from meeting_server.search.indexer import Indexer
from meeting_server.storage.migrate import alembic_config, upgrade_async
from meeting_server.storage.search import word_pairs
from tests.helpers import ApiClient, LiveServer, make_meeting
from tests.helpers import pages_pdf as pdf_of

OPEN_PAGES = [
    "Báo cáo tình hình kinh tế - xã hội tháng 11 của tỉnh Tuyên Quang.",
    "Căn cứ Nghị quyết số 12/NQ-HĐND, Ủy ban nhân dân tỉnh đề nghị các đại biểu cho ý kiến.",
    "Kết luận: giao Sở Tài chính tham mưu bố trí kinh phí.",
]
SECRET_WORD = "Quỳnhlâmmật"  # on the restricted paper only


@dataclass
class World:
    server: LiveServer
    secretary: ApiClient
    listed: ApiClient  # named on the restricted paper
    by_unit: ApiClient  # in the unit named on the listed paper
    other: ApiClient  # invited, named on nothing
    outsider: ApiClient  # not in the meeting at all
    meeting: dict[str, Any]
    unit_id: str

    @property
    def base(self) -> str:
        return f"/api/meetings/{self.meeting['id']}"

    @property
    def indexer(self) -> Indexer:
        assert self.server.runner is not None
        return self.server.runner.app[INDEXER]

    async def upload(self, pages: list[str], **fields: str) -> dict[str, Any]:
        status, body = await self.secretary.upload(
            f"{self.base}/papers", pdf_of(pages), "tai-lieu.pdf", {"publish": "1", **fields}
        )
        assert status == 201, body
        return dict(body["paper"])


async def search(who: ApiClient, query: str, **params: str) -> dict[str, Any]:
    extra = "".join(f"&{k}={quote(v)}" for k, v in params.items())
    status, body = await who.get(f"/api/search?q={quote(query)}{extra}")
    assert status == 200, body
    return dict(body)


async def make_world(server: LiveServer) -> World:
    finance = await server.create_unit("Phòng Tài chính - Kế hoạch")
    await server.create_user("thuky", "Trần Thị Thư", ["secretary"])
    listed = await server.create_user("daibieu.a", "Nguyễn Văn An", ["delegate"])
    by_unit = await server.create_user("daibieu.c", "Lê Thị Cúc", ["delegate"], unit_id=finance)
    other = await server.create_user("daibieu.b", "Phạm Văn Bình", ["delegate"])
    await server.create_user("ngoai", "Hoàng Văn Ngoại", ["delegate"])
    secretary = await server.client("thuky")
    meeting = await make_meeting(
        secretary,
        title="Phiên họp thường kỳ tháng 11",
        invitee_ids=[listed["id"], by_unit["id"], other["id"]],
        secretary_id=secretary.user_id,
    )
    return World(
        server,
        secretary,
        await server.client("daibieu.a"),
        await server.client("daibieu.c"),
        await server.client("daibieu.b"),
        await server.client("ngoai"),
        meeting,
        finance,
    )


@pytest.fixture
async def world(any_server: LiveServer) -> AsyncIterator[World]:
    yield await make_world(any_server)


async def test_only_what_the_person_may_read_is_found_or_counted(world: World) -> None:
    await world.upload(OPEN_PAGES, title="Báo cáo kinh tế - xã hội")
    await world.upload([f"Danh sách nhân sự {SECRET_WORD} dự kiến."], title="Tài liệu mật",
                       access="restricted", user_ids=world.listed.user_id)  # fmt: skip
    await world.upload([f"Phương án {SECRET_WORD} cho phòng tài chính."], title="Tài liệu phòng",
                       access="listed", unit_ids=world.unit_id)  # fmt: skip
    await world.upload([f"Bản nháp {SECRET_WORD} chưa công bố."], title="Dự thảo", publish="0")
    await world.indexer.settled()

    # Named on nothing, or not in the meeting: zero hits and zero count.
    for who in (world.other, world.outsider):
        found = await search(who, SECRET_WORD)
        assert (found["total"], found["hits"]) == (0, [])
    # The restricted paper's own reader finds it (and not the unit's paper, nor the draft).
    found = await search(world.listed, SECRET_WORD)
    assert found["total"] == 1 and [h["title"] for h in found["hits"]] == ["Tài liệu mật"]
    # The unit's member finds the unit's paper only.
    found = await search(world.by_unit, SECRET_WORD)
    assert found["total"] == 1 and [h["title"] for h in found["hits"]] == ["Tài liệu phòng"]
    # The secretary runs the meeting: restricted, listed and draft papers alike.
    found = await search(world.secretary, SECRET_WORD)
    assert found["total"] == 3
    assert {h["title"] for h in found["hits"]} == {"Tài liệu mật", "Tài liệu phòng", "Dự thảo"}
    # An open paper is everyone's in the meeting, nobody's outside it.
    assert (await search(world.other, "kinh phí"))["total"] == 1
    assert (await search(world.outsider, "kinh phí"))["total"] == 0


async def test_diacritics_are_optional_and_hits_are_marked_and_ranked(world: World) -> None:
    paper = await world.upload(OPEN_PAGES, title="Báo cáo kinh tế - xã hội")
    await world.upload(["Nghị quyết. " * 6 + "Nghị quyết về ngân sách."], title="Nghị quyết ngân sách")
    await world.indexer.settled()
    for query in ("nghi quyet", "Nghị quyết", "NGHI QUYẾT"):
        found = await search(world.other, query, kind="page")
        assert found["total"] == 2, (query, found)
        assert found["hits"][0]["title"] == "Nghị quyết ngân sách"  # says it seven times: ranked first
        second = found["hits"][1]
        assert (second["paper_id"], second["version"], second["page"]) == (paper["id"], 1, 2)
        assert "<mark>Nghị quyết</mark>" in second["snippet"]
        assert second["link"] == f"/meetings/{world.meeting['id']}/papers/{paper['id']}?v=1&page=2"
    # "đ" is "d": "de nghi" finds "đề nghị"; the phrase must be in order.
    assert (await search(world.other, "de nghi"))["total"] == 1
    assert (await search(world.other, "dai bieu"))["total"] == 1
    assert (await search(world.other, "bieu dai"))["total"] == 0


async def test_agenda_comments_and_the_record_follow_their_rules(world: World) -> None:
    paper = await world.upload(OPEN_PAGES, title="Báo cáo")
    status, answer = await world.other.post(
        f"{world.base}/papers/{paper['id']}/comments",
        {"id": "c-search-1", "version": 1, "page": 1, "x": 0.5, "y": 0.5, "text": "Đề nghị bổ sung số liệu Hàmyên"},
    )
    assert status in (200, 201), answer
    status, record = await world.secretary.post(f"{world.base}/record", {"kind": "bien_ban"})
    assert status == 201, record
    document_id = record["document"]["id"]
    status, saved = await world.secretary.put(
        f"/api/record/{document_id}/texts/opening/discussion",
        {"html": "<p>Đồng chí Chủ tịch kết luận về <strong>Chiêmhoá</strong></p>", "base_revision": 0},
        headers={"X-Command-Id": "c-search-record-1"},
    )
    assert status == 200, saved
    await world.indexer.settled()
    # An agenda item is every participant's.
    found = await search(world.other, "noi dung 2")
    assert [h["kind"] for h in found["hits"]] == ["agenda"]
    assert found["hits"][0]["link"] == f"/meetings/{world.meeting['id']}"
    assert (await search(world.outsider, "noi dung 2"))["total"] == 0
    # A comment is its author's and the organisers', nobody else's.
    assert (await search(world.other, "hamyen"))["total"] == 1
    assert (await search(world.secretary, "hamyen"))["total"] == 1
    assert (await search(world.listed, "hamyen"))["total"] == 0
    # The record's draft is the organisers'.
    found = await search(world.secretary, "chiemhoa")
    assert [h["kind"] for h in found["hits"]] == ["record"]
    assert found["hits"][0]["link"] == f"/meetings/{world.meeting['id']}/record"
    assert "<mark>Chiêmhoá</mark>" in found["hits"][0]["snippet"]
    assert (await search(world.other, "chiemhoa"))["total"] == 0


async def test_filters_and_bad_queries(world: World) -> None:
    await world.upload(OPEN_PAGES, title="Báo cáo")
    await world.indexer.settled()
    meeting_id = world.meeting["id"]  # starts 2026-11-24 08:00 Vietnam time
    assert (await search(world.other, "tuyen quang", meeting=meeting_id))["total"] == 1
    assert (await search(world.other, "tuyen quang", meeting="m-none"))["total"] == 0
    assert (await search(world.other, "tuyen quang", **{"from": "2026-11-24", "to": "2026-11-24"}))["total"] == 1
    assert (await search(world.other, "tuyen quang", **{"from": "2026-11-25"}))["total"] == 0
    assert (await search(world.other, "tuyen quang", to="2026-11-23"))["total"] == 0
    assert (await search(world.other, "tuyen quang", kind="agenda,comment"))["total"] == 0
    assert (await search(world.other, "tuyen quang", kind="page"))["total"] == 1
    for bad in ("q=", "q=%20%2C%2C", "q=a&kind=video", "q=a&from=24/11/2026", "q=a&page=0", "q=" + "a" * 201):
        status, body = await world.other.get(f"/api/search?{bad}")
        assert status == 422, (bad, body)
        assert set(body["error"]) >= {"code", "message"} and body["error"]["code"] == "invalid_input"
    anonymous = await world.server.client()
    status, body = await anonymous.get("/api/search?q=tuyen")
    assert status == 401 and body["error"]["code"] == "unauthenticated"


@pytest.fixture
async def stopped_server(empty_database: str, tmp_path: Path) -> AsyncIterator[LiveServer]:
    """A server whose indexer does not run until the test starts it."""
    server = LiveServer(empty_database, tmp_path, settings_overrides={"search_indexer": False})
    await server.start()
    yield server
    await server.stop()


async def test_the_indexer_catches_up_with_what_changed_while_it_was_stopped(stopped_server: LiveServer) -> None:
    world = await make_world(stopped_server)
    paper = await world.upload(OPEN_PAGES, title="Báo cáo")
    # Nothing is indexed on the request path.
    assert (await search(world.other, "kinh phi"))["total"] == 0
    world.indexer.start()
    await world.indexer.settled()
    assert (await search(world.other, "kinh phi"))["total"] == 1
    await world.indexer.stop()

    # While it is stopped again: a new version, and a paper withdrawn.
    status, body = await world.secretary.upload(
        f"{world.base}/papers/{paper['id']}/versions", pdf_of(["Bản sửa đổi: dự toán Hàmyên."]), "v2.pdf"
    )
    assert status == 201, body
    second = await world.upload(["Phụ lục Nahang."], title="Phụ lục")
    status, body = await world.secretary.post(f"{world.base}/papers/{second['id']}/withdraw")
    assert status == 200, body
    restarted = Indexer(world.indexer.services, world.indexer.files)  # as a restarted node would
    restarted.start()
    try:
        await restarted.settled()
        found = await search(world.other, "du toan hamyen")
        assert [(h["paper_id"], h["version"], h["page"]) for h in found["hits"]] == [(paper["id"], 2, 1)]
        assert (await search(world.other, "nahang"))["total"] == 0  # withdrawn: its readers lost it
        assert (await search(world.secretary, "nahang"))["total"] == 1  # the organisers still find it
        # Indexing again changes nothing (idempotent).
        before = await search(world.secretary, "tuyen quang")
        await restarted.index_meeting(world.meeting["id"])
        assert await search(world.secretary, "tuyen quang") == before
    finally:
        await restarted.stop()


@pytest.fixture
async def capped_server(empty_database: str, tmp_path: Path) -> AsyncIterator[LiveServer]:
    """A server whose searches count (and rank) at most three readable hits."""
    server = LiveServer(empty_database, tmp_path, settings_overrides={"search_count_cap": 3})
    await server.start()
    yield server
    await server.stop()


async def test_the_count_stops_at_the_cap_and_says_there_is_more(capped_server: LiveServer) -> None:
    world = await make_world(capped_server)
    await world.upload([f"Trang {n}: dự toán ngân sách xã Yênthuận." for n in range(1, 6)], title="Dự toán")
    await world.upload(["Kế hoạch Yênthuận.", "Phụ lục Yênthuận."], title="Kế hoạch")
    await world.upload([f"Phụ lục {n}: {SECRET_WORD}." for n in range(1, 6)], title="Tài liệu mật",
                       access="restricted", user_ids=world.listed.user_id)  # fmt: skip
    await world.indexer.settled()
    many = await search(world.other, "ngan sach")  # 5 readable pages match, past the cap of 3
    assert (many["total"], many["more"], len(many["hits"])) == (3, True, 3)
    assert {h["title"] for h in many["hits"]} == {"Dự toán"}
    assert (await search(world.other, "ngân sách", page="2"))["hits"] == []  # nothing is ranked past the cap
    word = await search(world.other, "yenthuan")  # 7 pages match
    assert (word["total"], word["more"]) == (3, True)
    few = await search(world.other, "ke hoach yenthuan")  # fewer than the cap: the exact count
    assert (few["total"], few["more"], len(few["hits"])) == (1, False, 1)
    # What a person may not read is not counted towards the cap: 6 pages say "phụ lục", 5 of them restricted.
    hidden = await search(world.other, "phu luc")
    assert (hidden["total"], hidden["more"], [h["title"] for h in hidden["hits"]]) == (1, False, ["Kế hoạch"])
    named = await search(world.listed, "phụ lục")
    assert (named["total"], named["more"], len(named["hits"])) == (3, True, 3)
    nothing = await search(world.outsider, "ngan sach")
    assert (nothing["total"], nothing["more"], nothing["hits"]) == (0, False, [])


# ---- phrases on both engines: PostgreSQL's pairs index (migration 0015) answers as FTS5 does ---------------------

PHRASE_PAGES = [
    "Báo cáo tháng này của lực lượng quân sự xã.",  # "tháng" and "quân" on the page, not side by side
    "Hội nghị tại xã Thắng.<br>Quân đội địa phương tham gia.",  # side by side across a full stop and a line break
    "Đoàn công tác về thôn Thắng Quân, xã Hợp Hòa.",  # side by side
    "Dân số tăng; số kế hoạch giao thêm.",  # both pairs of "dân số kế", but not the three in a row
    "Dân số kế hoạch hóa gia đình theo Nghị quyết 12/NQ-HĐND.",
    "Ngân sách ngân sách, hòa hợp và hợp hòa.",
]
PHRASES = {  # the query -> the pages (1-based, of PHRASE_PAGES) it finds
    "Thắng Quân": {2, 3},
    "thang quan": {2, 3},
    "xã thắng quân": {2},
    "thôn thắng quân xã": {3},
    "dân số kế": {5},
    "số kế": {4, 5},
    "quân": {1, 2, 3},
    "hợp hòa": {3, 6},
    "hòa hợp": {6},
    "ngân sách ngân sách": {6},
    "12/NQ-HĐND": {5},
    "nq hdnd": {5},
    "quân sự tháng": set(),
    "sự xã hội": set(),
}


async def _phrase_answers(server: LiveServer) -> dict[str, tuple[int, set[int]]]:
    world = await make_world(server)
    await world.upload(PHRASE_PAGES, title="Cụm từ")
    await world.indexer.settled()
    return await _answers(world.other)


async def _answers(who: ApiClient) -> dict[str, tuple[int, set[int]]]:
    answers = {}
    for query in PHRASES:
        found = await search(who, query)
        assert all(h["title"] == "Cụm từ" for h in found["hits"])
        answers[query] = (found["total"], {h["page"] for h in found["hits"]})
    return answers


@pytest.mark.postgres
async def test_phrases_find_the_same_pages_on_both_engines(postgres: Any, tmp_path: Path) -> None:
    """Two words each on a page but apart are no hit; side by side across punctuation or a line break they are (the
    tokens are adjacent in the folded text both engines index); three words need all three in a row, though
    PostgreSQL's pairs index alone would also take a page holding each pair somewhere."""
    name = f"t_{uuid.uuid4().hex[:12]}"
    await postgres.create_database(name)
    answers = {}
    for engine, url in (("sqlite", f"sqlite+aiosqlite:///{tmp_path / 'meetings.sqlite3'}"), ("pg", postgres.url(name))):
        (tmp_path / engine).mkdir()
        server = LiveServer(url, tmp_path / engine)
        await server.start()
        try:
            answers[engine] = await _phrase_answers(server)
        finally:
            await server.stop()
    expected = {query: (len(pages), pages) for query, pages in PHRASES.items()}
    assert answers["sqlite"] == expected
    assert answers["pg"] == expected


async def test_migration_0015_gives_the_rows_already_indexed_their_pairs(empty_database: str, tmp_path: Path) -> None:
    """Upgrading from 0014 with units in the index fills their pairs (PostgreSQL; nothing to do on SQLite), and the
    downgrade takes the column and its index away again; the answers are the same throughout."""
    server = LiveServer(empty_database, tmp_path)
    await server.start()
    try:
        before = await _phrase_answers(server)
    finally:
        await server.stop()
    postgres = empty_database.startswith("postgresql")
    await asyncio.to_thread(command.downgrade, alembic_config(empty_database), "0014")
    engine = create_async_engine(empty_database)
    try:
        async with engine.connect() as conn:
            if postgres:
                names = "SELECT column_name FROM information_schema.columns WHERE table_name = 'search_docs'"
                assert "pairs" not in set((await conn.execute(text(names))).scalars())
            assert (await conn.execute(text("SELECT count(*) FROM search_docs WHERE kind = 'page'"))).scalar() == len(
                PHRASE_PAGES
            )
        await upgrade_async(empty_database, "head")
        if postgres:
            async with engine.connect() as conn:
                rows = (await conn.execute(text("SELECT folded, array_to_string(tsvector_to_array(pairs), ' ') AS p "
                                                "FROM search_docs WHERE kind = 'page'"))).all()  # fmt: skip
                assert len(rows) == len(PHRASE_PAGES)
                assert all(r.p.split() == word_pairs(r.folded) and r.p for r in rows)
                index = "SELECT indexdef FROM pg_indexes WHERE indexname = 'ix_search_docs_pairs'"
                assert "gin (pairs)" in (await conn.execute(text(index))).scalar_one()
    finally:
        await engine.dispose()
    again = LiveServer(empty_database, tmp_path, settings_overrides={"search_indexer": False})  # the rows as migrated
    await again.start(seed_admin=False)
    try:
        assert await _answers(await again.client("daibieu.b")) == before == {q: (len(p), p) for q, p in PHRASES.items()}
    finally:
        await again.stop()
