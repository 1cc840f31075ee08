"""Signed page links (domain/pagelinks.py) over the real server: the listing hands out a link per page of an
open paper's current version; the signed route sends the same bytes as the session route from the link alone
(no database statement at all), refuses forged, altered, expired and other pages' links in the one error shape,
never serves a restricted paper, and honours a revocation once the link's lifetime is over (a fake clock)."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event

from meeting_server.api.papers import PAGE_LINKS
from meeting_server.domain.pagelinks import PageSigner
from tests.helpers import ApiClient, LiveServer, make_meeting
from tests.test_api_papers import make_pdf

pytestmark = pytest.mark.timeout(120)


class Clock:
    def __init__(self, at: float) -> None:
        self.at = at

    def __call__(self) -> float:
        return self.at


@dataclass
class World:
    server: LiveServer
    secretary: ApiClient
    reader: ApiClient
    meeting_id: str
    clock: Clock

    @property
    def base(self) -> str:
        return f"/api/meetings/{self.meeting_id}"

    @property
    def signer(self) -> PageSigner:
        assert self.server.runner is not None
        return self.server.runner.app[PAGE_LINKS]

    async def paper(self, pages: int = 3, **fields: str) -> dict[str, Any]:
        status, body = await self.secretary.upload(
            f"{self.base}/papers", make_pdf(pages), "du-thao.pdf", {"publish": "1", **fields}
        )
        assert status == 201, body
        status, read = await self.reader.get(f"{self.base}/papers/{body['paper']['id']}")
        assert status == 200, read
        return dict(read["paper"])

    async def raw(self, path: str, client: ApiClient | None = None) -> tuple[int, bytes, dict[str, str]]:
        """GET with the reader's session (or `client`'s); the signed route ignores it either way."""
        async with (client or self.reader).http.get(self.server.url + path) as response:
            return response.status, await response.read(), dict(response.headers)


def signed(paper: dict[str, Any], page: int, kind: str = "pages", width: int | None = None, **change: str) -> str:
    links = paper["page_links"]
    query = {"f": links["f"], "e": str(links["e"]), "s": links["s"][page - 1], **change}
    if width:
        query["w"] = str(width)
    tail = "&".join(f"{k}={v}" for k, v in query.items())
    version = f"/api/meetings/{paper['meeting_id']}/papers/{paper['id']}/versions/{links['version']}"
    return f"{version}/{kind}/{page}/signed?{tail}"


@contextmanager
def statements(server: LiveServer) -> Iterator[list[str]]:
    """Every SQL statement the server's database engine runs meanwhile."""
    assert server.services is not None
    engine = server.services.db.engine.sync_engine
    seen: list[str] = []

    def count(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        seen.append(statement)

    event.listen(engine, "before_cursor_execute", count)
    try:
        yield seen
    finally:
        event.remove(engine, "before_cursor_execute", count)


@pytest.fixture
def overrides() -> dict[str, Any]:
    return {}


@pytest.fixture
async def live_server(tmp_path: Path, overrides: dict[str, Any]) -> AsyncIterator[LiveServer]:
    """The conftest's server, with `overrides` in its settings (how images are sent)."""
    server = LiveServer(f"sqlite+aiosqlite:///{tmp_path / 'meetings.sqlite3'}", tmp_path, settings_overrides=overrides)
    await server.start()
    yield server
    await server.stop()


@pytest.fixture
async def world(live_server: LiveServer) -> AsyncIterator[World]:
    server = live_server
    await server.create_user("thuky", "Trần Thị Thư", ["secretary"])
    reader = await server.create_user("daibieu.a", "Nguyễn Văn An", ["delegate"])
    secretary = await server.client("thuky")
    meeting = await make_meeting(secretary, invitee_ids=[reader["id"]], secretary_id=secretary.user_id)
    status, meeting = await secretary.post(f"/api/meetings/{meeting['id']}/start")
    assert status == 200, meeting
    world = World(server, secretary, await server.client("daibieu.a"), meeting["id"], Clock(1_900_000_000.0))
    world.signer.now = world.clock
    yield world


async def test_a_signed_link_sends_the_same_bytes_as_the_session_route_without_a_database_read(world: World) -> None:
    paper = await world.paper(3)
    links = paper["page_links"]
    assert links["version"] == 1 and len(links["s"]) == 3 and 150 < links["expires_in"] <= 300
    assert "file_id" not in paper["versions"][0] and links["f"] not in str(paper["versions"])
    v1 = f"{world.base}/papers/{paper['id']}/versions/1"
    for kind, page, width, query in (("pages", 2, 900, "?w=900"), ("thumbs", 3, None, "")):
        with statements(world.server) as seen:
            status, old, _ = await world.raw(f"{v1}/{kind}/{page}{query}")
        assert status == 200 and seen, "the session route reads the database (so the listener hears it)"
        anonymous = ApiClient(world.server.url)  # the link alone: no cookie
        try:
            with statements(world.server) as seen:
                status, new, headers = await world.raw(signed(paper, page, kind, width), anonymous)
        finally:
            await anonymous.close()
        assert status == 200 and new == old, kind
        assert headers["Content-Type"] == "image/webp" and "immutable" in headers["Cache-Control"]
        assert seen == [], f"the signed route ran SQL: {seen}"
    # Links handed out within one window are the same links (the tablets ask for the same addresses).
    world.clock.at += 10
    _, again = await world.reader.get(f"{world.base}/papers")
    assert again["papers"][0]["page_links"]["s"] == links["s"]


async def test_forged_altered_expired_and_other_pages_links_are_refused(world: World) -> None:
    paper = await world.paper(3)
    other = await world.paper(2)
    links = paper["page_links"]
    good = signed(paper, 1)
    assert (await world.raw(good))[0] == 200

    async def refused(path: str, code: str, status: int) -> None:
        got, body, _ = await world.raw(path)
        assert got == status, (path, got, body)
        error = json.loads(body)["error"]
        assert error["code"] == code and error["message"].startswith("Liên kết trang tài liệu"), error

    await refused(signed(paper, 1, s="A" * 22), "page_link_invalid", 403)  # forged
    await refused(good.replace("/pages/1/", "/pages/2/"), "page_link_invalid", 403)  # another page, same signature
    await refused(good.replace(paper["id"], other["id"]), "page_link_invalid", 403)  # another paper
    await refused(good.replace("/versions/1/", "/versions/2/"), "page_link_invalid", 403)  # another version
    await refused(signed(paper, 1, e=str(links["e"] + 300)), "page_link_invalid", 403)  # a longer life
    await refused(signed(paper, 1, f=other["page_links"]["f"]), "page_link_invalid", 403)  # another file
    await refused(good.split("?")[0], "page_link_invalid", 403)  # no signature at all
    world.clock.at = links["e"]  # the fake clock at the expiry: no sleep
    await refused(good, "page_link_expired", 410)
    await refused(signed(paper, 1, kind="thumbs"), "page_link_expired", 410)
    # A link made by another secret (another node, before a restart) is not this server's.
    stranger = PageSigner(b"another secret", 300, now=world.clock).links(world.meeting_id, paper["id"], 1, "0" * 64, 3)
    await refused(signed({**paper, "page_links": stranger}, 1), "page_link_invalid", 403)


async def test_a_restricted_paper_gets_no_link_and_revocation_holds_within_the_lifetime(world: World) -> None:
    secret = await world.paper(2, access="restricted", user_ids=world.reader.user_id)
    assert secret["page_links"] is None
    _, listing = await world.reader.get(f"{world.base}/papers")
    assert [p["page_links"] for p in listing["papers"]] == [None]
    # An open paper's link put on the restricted paper's path is refused: nothing signed names that paper.
    paper = await world.paper(2)
    link = signed(paper, 1)
    assert (await world.raw(link))[0] == 200
    status, _, _ = await world.raw(link.replace(paper["id"], secret["id"]))
    assert status == 403
    # The paper becomes restricted to someone else: the session route refuses the reader at once ...
    status, body = await world.secretary.patch(
        f"{world.base}/papers/{paper['id']}", {"access": "restricted", "user_ids": [world.secretary.user_id]}
    )
    assert status == 200, body
    status, _, _ = await world.raw(f"{world.base}/papers/{paper['id']}/versions/1/pages/1")
    assert status in (403, 404)
    status, refused = await world.reader.get(f"{world.base}/papers/{paper['id']}")
    assert status in (403, 404), refused
    _, listing = await world.secretary.get(f"{world.base}/papers")
    assert all(p["page_links"] is None for p in listing["papers"] if p["id"] == paper["id"])
    # ... the link already handed out works until its expiry, never longer (at most MS_PAGE_URL_TTL seconds).
    world.clock.at = paper["page_links"]["e"] - 1
    assert (await world.raw(link))[0] == 200
    world.clock.at = paper["page_links"]["e"]
    assert world.clock.at - 1_900_000_000.0 <= world.signer.ttl
    status, _, _ = await world.raw(link)
    assert status == 410


@pytest.mark.parametrize("overrides", [{"page_memory_mb": 0}, {"page_accel_prefix": "/_papers"}], ids=str)
async def test_images_sent_as_files_or_handed_to_nginx(world: World, overrides: dict[str, Any], tmp_path: Path) -> None:
    """MS_PAGE_MEMORY_MB=0: the file itself (aiohttp's FileResponse); MS_PAGE_ACCEL_PREFIX: an empty answer naming
    the file under the papers directory for nginx (deploy/nginx.conf's internal location), the headers kept."""
    paper = await world.paper(2)
    status, body, headers = await world.raw(signed(paper, 2, width=900))
    assert status == 200 and headers["Content-Type"] == "image/webp" and "immutable" in headers["Cache-Control"]
    if "page_accel_prefix" in overrides:
        inside = headers["X-Accel-Redirect"].removeprefix("/_papers/")
        assert body == b"" and inside != headers["X-Accel-Redirect"] and ".." not in inside
        assert (tmp_path / "papers" / inside).read_bytes()[8:12] == b"WEBP"
    else:
        _, old, _ = await world.raw(f"{world.base}/papers/{paper['id']}/versions/1/pages/2?w=900")
        assert body == old and body[8:12] == b"WEBP" and "X-Accel-Redirect" not in headers
