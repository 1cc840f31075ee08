"""Meeting papers over the real REST routes and live channel: upload, versions, publish, pages, text, search,
restricted papers on every route, hostile uploads, annotations, export read by pypdf, comments, receipts."""

from __future__ import annotations

import io
import json
from collections.abc import AsyncIterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pymupdf
import pypdf
import pytest
from PIL import Image

from meeting_server.domain import annotations as schema
from room_client.feed import CommandError, MeetingFeed
from tests import paper_samples as samples
from tests.helpers import ApiClient, LiveServer, feed_for, make_meeting, wait_for
from tests.paper_samples import annotations_of, bands

pytestmark = pytest.mark.timeout(180)

TEXT = (
    "<h1>Biên bản họp Ủy ban nhân dân tỉnh Tuyên Quang</h1><p>Trang {n}: báo cáo tình hình kinh tế - xã hội, "
    "đề nghị các đại biểu cho ý kiến về dự thảo nghị quyết.</p>"
)


def make_pdf(pages: int = 3, marker: str = "") -> bytes:
    doc = pymupdf.open()
    for n in range(1, pages + 1):
        page = doc.new_page(width=595, height=842)
        page.insert_htmlbox(pymupdf.Rect(50, 60, 545, 400), TEXT.format(n=n) + marker)
    data = doc.tobytes()
    doc.close()
    return bytes(data)


@dataclass
class World:
    server: LiveServer
    secretary: ApiClient
    listed: ApiClient  # named on the restricted paper
    by_unit: ApiClient  # in a unit named on it
    other: ApiClient  # invited, not named
    meeting: dict[str, Any]
    unit_id: str

    @property
    def base(self) -> str:
        return f"/api/meetings/{self.meeting['id']}"

    async def upload(self, content: bytes, **fields: str) -> dict[str, Any]:
        status, body = await self.secretary.upload(
            f"{self.base}/papers", content, "du-thao.pdf", {"publish": "1", **fields}
        )
        assert status == 201, body
        return dict(body["paper"])


@pytest.fixture
async def world(live_server: LiveServer) -> AsyncIterator[World]:
    server = live_server
    finance = await server.create_unit("Phòng Tài chính - Kế hoạch")
    await server.create_user("thuky", "Trần Thị Thư", ["secretary"])
    listed = await server.create_user("daibieu.a", "Nguyễn Văn An", ["delegate"])
    by_unit = await server.create_user("daibieu.c", "Lê Thị Cúc", ["delegate"], unit_id=finance)
    other = await server.create_user("daibieu.b", "Phạm Văn Bình", ["delegate"])
    secretary = await server.client("thuky")
    meeting = await make_meeting(
        secretary, invitee_ids=[listed["id"], by_unit["id"], other["id"]], secretary_id=secretary.user_id
    )
    status, meeting = await secretary.post(f"/api/meetings/{meeting['id']}/start")
    assert status == 200, meeting
    yield World(
        server,
        secretary,
        await server.client("daibieu.a"),
        await server.client("daibieu.c"),
        await server.client("daibieu.b"),
        meeting,
        finance,
    )


async def test_upload_publish_read_search_and_versions(world: World) -> None:
    original = make_pdf(3)
    item = world.meeting["agenda"][0]["id"]
    paper = await world.upload(original, title="Dự thảo nghị quyết", item_id=item)
    assert (paper["title"], paper["item_id"], paper["status"]) == ("Dự thảo nghị quyết", item, "published")
    assert paper["versions"][0]["page_count"] == 3 and "file_id" not in paper["versions"][0]
    status, listing = await world.other.get(f"{world.base}/papers")
    assert status == 200 and [p["id"] for p in listing["papers"]] == [paper["id"]]
    assert listing["papers"][0]["user_ids"] == []
    v1 = f"{world.base}/papers/{paper['id']}/versions/1"
    async with world.other.http.get(world.server.url + f"{v1}/pages/1?w=900") as response:
        assert response.status == 200 and response.content_type == "image/webp"
        assert "immutable" in response.headers["Cache-Control"]
        image = Image.open(io.BytesIO(await response.read()))
        assert image.width in paper["widths"] and image.width >= 900
    status, thumb = await world.other.get(f"{v1}/thumbs/3")
    assert status == 200 and Image.open(io.BytesIO(thumb)).format == "WEBP"
    status, _ = await world.other.get(f"{v1}/pages/4")
    assert status == 404
    status, found = await world.other.get(f"{v1}/search?q=bien%20ban")
    assert status == 200 and {h["page"] for h in found["hits"]} == {1, 2, 3}
    status, words = await world.other.get(f"{v1}/text")
    assert status == 200 and len(words["pages"]) == 3
    first = next(w for w in words["pages"][0] if w["text"] == "Biên")
    assert all(0.0 <= v <= 1.0 for v in first["box"]) and first["box"][0] < first["box"][2]
    status, body = await world.other.get(f"{v1}/file")
    assert status == 200 and body == original
    # A new upload of the same paper is its version 2; version 1 stays readable.
    status, answer = await world.secretary.upload(
        f"{world.base}/papers/{paper['id']}/versions", make_pdf(4, "<p>Bản sửa đổi</p>"), "du-thao-v2.pdf"
    )
    assert status == 201, answer
    assert answer["paper"]["current_version"] == 2 and answer["paper"]["versions"][1]["page_count"] == 4
    status, _ = await world.other.get(f"{world.base}/papers/{paper['id']}/versions/2/pages/4")
    assert status == 200
    status, _ = await world.other.get(f"{v1}/pages/1")
    assert status == 200


async def test_a_paper_reaches_readers_live_and_the_presenter_leads(world: World) -> None:
    feed = await feed_for(world.server, world.other, world.meeting["id"])
    seen: list[dict[str, Any]] = []
    feed.on_event = seen.append
    try:
        paper = await world.upload(make_pdf(2), title="Báo cáo")
        await wait_for(lambda: any(e["type"] == "paper.published" for e in seen), timeout=30)
        published = next(e for e in seen if e["type"] == "paper.published")
        assert published["data"]["paper"]["id"] == paper["id"]
        status, answer = await world.secretary.post(
            f"{world.base}/papers/{paper['id']}/present", {"page": 2, "zoom": 1.5, "x": 0.1, "y": 0.2}
        )
        assert status == 200, answer
        await wait_for(lambda: (feed.snapshot.get("presentation") or {}).get("page") == 2, timeout=30)
        status, refused = await world.other.post(f"{world.base}/papers/{paper['id']}/present", {"page": 1})
        assert status == 403 and refused["error"]["code"] == "forbidden"
        await world.secretary.post(f"{world.base}/presentation/stop")
        await wait_for(lambda: feed.snapshot.get("presentation") is None, timeout=30)
    finally:
        await feed.close()


async def test_a_delegate_not_listed_cannot_reach_a_restricted_paper_by_any_route(world: World) -> None:
    other_feed = await feed_for(world.server, world.other, world.meeting["id"])
    heard: list[dict[str, Any]] = []
    other_feed.on_event = heard.append
    try:
        paper = await world.upload(
            make_pdf(2),
            title="Tài liệu mật về nhân sự",
            access="restricted",
            user_ids=world.listed.user_id,
            unit_ids=world.unit_id,
        )
        pid = paper["id"]
        v1 = f"{world.base}/papers/{pid}/versions/1"
        comment_id = "cmt-secret01"
        await world.listed.post(
            f"{world.base}/papers/{pid}/comments",
            {"id": comment_id, "version": 1, "page": 1, "x": 0.5, "y": 0.5, "text": "Ý kiến"},
        )
        routes = [
            ("GET", f"{world.base}/papers/{pid}", None),
            ("GET", f"{v1}/pages/1", None),
            ("GET", f"{v1}/thumbs/1", None),
            ("GET", f"{v1}/text", None),
            ("GET", f"{v1}/search?q=bien", None),
            ("GET", f"{v1}/file", None),
            ("GET", f"{v1}/export", None),
            ("GET", f"{world.base}/papers/{pid}/annotations", None),
            ("GET", f"{world.base}/papers/{pid}/comments", None),
            ("POST", f"{world.base}/papers/{pid}/open", {}),
            (
                "PUT",
                f"{world.base}/annotations/ink-secret01",
                {"paper_id": pid, "version": 1, "page": 1, "kind": "note", "data": {"x": 0.5, "y": 0.5, "text": "x"}},
            ),
            (
                "POST",
                f"{world.base}/papers/{pid}/comments",
                {"id": "cmt-secret02", "version": 1, "page": 1, "x": 0.1, "y": 0.1, "text": "x"},
            ),
        ]
        for method, path, body in routes:
            status, answer = await world.other.request(method, path, body)
            assert status == 404, (method, path, status, answer)
            assert answer["error"]["code"] == "not_found", (path, answer)
        for method, path in (
            ("GET", f"{world.base}/papers/{pid}/comments/export"),
            ("PATCH", f"{world.base}/comments/{comment_id}"),
            ("POST", f"{world.base}/papers/{pid}/publish"),
            ("POST", f"{world.base}/papers/{pid}/present"),
        ):
            status, answer = await world.other.request(
                method,
                path,
                {"status": "accepted"} if method == "PATCH" else ({"page": 1} if path.endswith("present") else None),
            )
            assert status in (403, 404), (path, answer)
        status, listing = await world.other.get(f"{world.base}/papers")
        assert pid not in [p["id"] for p in listing["papers"]]
        # The named person and the unit's person read it, as watermarked images; the original never leaves.
        for reader in (world.listed, world.by_unit):
            status, _ = await reader.get(f"{world.base}/papers/{pid}")
            assert status == 200
            status, refused = await reader.get(f"{v1}/file")
            assert status == 403 and refused["error"]["code"] == "paper_restricted"
        async with world.listed.http.get(world.server.url + f"{v1}/pages/1?w=1280") as response:
            assert response.status == 200 and response.headers["Cache-Control"] == "no-store"
            marked = Image.open(io.BytesIO(await response.read())).convert("RGB")
        plain = render_plain(make_pdf(2), 1, marked.width)
        assert plain.size == marked.size
        assert differing_fraction(plain, marked) > 0.01  # the watermark is burnt in
        # A paper for everyone, published after all that, reaches the uninvited; nothing of the restricted one did.
        marker = await world.upload(make_pdf(1), title="Tài liệu công khai")
        await wait_for(lambda: any(marker["id"] in json.dumps(e) for e in heard), timeout=30)
        assert not [e for e in heard if pid in json.dumps(e)], "the uninvited heard of the restricted paper"
    finally:
        await other_feed.close()


def render_plain(pdf: bytes, page: int, width: int) -> Image.Image:
    doc = pymupdf.open(stream=pdf, filetype="pdf")
    p = doc[page - 1]
    pix = p.get_pixmap(matrix=pymupdf.Matrix(width / p.rect.width, width / p.rect.width))
    image = Image.frombytes("RGB", (pix.width, pix.height), pix.samples)
    doc.close()
    return image


def differing_fraction(a: Image.Image, b: Image.Image, threshold: int = 40) -> float:
    pa, pb = a.load(), b.load()
    assert pa is not None and pb is not None
    step, differ, total = 4, 0, 0
    for y in range(0, a.height, step):
        for x in range(0, a.width, step):
            total += 1
            if sum(abs(c1 - c2) for c1, c2 in zip(bands(pa[x, y]), bands(pb[x, y]), strict=True)) > threshold:
                differ += 1
    return differ / total


HOSTILE = [
    ("text named .pdf", b"Day la mot tep van ban, khong phai PDF.\n" * 20, "bien-ban.pdf", "paper_not_pdf"),
    ("empty", b"", "rong.pdf", "paper_empty"),
]


def encrypted_pdf() -> bytes:
    doc = pymupdf.open(stream=make_pdf(1), filetype="pdf")
    data = doc.tobytes(encryption=pymupdf.mupdf.PDF_ENCRYPT_AES_256, owner_pw="chu", user_pw="mat-khau")
    doc.close()
    return bytes(data)


async def test_hostile_uploads_get_a_clear_error_and_the_server_keeps_serving(world: World) -> None:
    cases = [*HOSTILE, ("encrypted", encrypted_pdf(), "mat.pdf", "paper_encrypted")]
    for name, content, filename, code in cases:
        status, answer = await world.secretary.upload(f"{world.base}/papers", content, filename, {"title": name})
        assert status in (413, 422), (name, status, answer)
        assert answer["error"]["code"] == code, (name, answer)
        assert answer["error"]["message"], name
        status, listing = await world.secretary.get(f"{world.base}/papers")  # nothing half-added
        assert listing["papers"] == []
    # A hostile file name is only a label: no directory, and the file is stored by its content.
    paper = await world.upload(make_pdf(1), title="Tên tệp lạ")
    status, answer = await world.secretary.upload(
        f"{world.base}/papers/{paper['id']}/versions", make_pdf(2), "../../etc/passwd.pdf"
    )
    assert status == 201, answer
    assert answer["paper"]["versions"][1]["filename"] == "passwd.pdf"  # a label without its directories
    # Wrong roles and missing files get the error shape too.
    status, answer = await world.other.upload(f"{world.base}/papers", make_pdf(1), "x.pdf")
    assert status == 403 and answer["error"]["code"] == "forbidden"
    status, answer = await world.secretary.post(f"{world.base}/papers", {"title": "không có tệp"})
    assert status == 422 and answer["error"]["code"] == "invalid_input"


async def test_too_large_an_upload_is_refused(tmp_path: Path) -> None:
    server = LiveServer(f"sqlite+aiosqlite:///{tmp_path / 'meetings.sqlite3'}", tmp_path, {"paper_max_mb": 1})
    await server.start()
    try:
        admin = await server.admin()
        meeting = await make_meeting(admin)
        big = make_pdf(1) + b"%" + b"0" * (1024 * 1024)
        status, answer = await admin.upload(f"/api/meetings/{meeting['id']}/papers", big, "lon.pdf")
        assert status == 413 and answer["error"]["code"] == "paper_too_large", answer
        status, answer = await admin.upload(f"/api/meetings/{meeting['id']}/papers", make_pdf(1), "nho.pdf")
        assert status == 201, answer
    finally:
        await server.stop()


async def test_annotations_private_shared_export_and_replay(world: World) -> None:
    paper = await world.upload(make_pdf(2), title="Dự thảo")
    pid = paper["id"]
    ink = {
        "paper_id": pid,
        "version": 1,
        "page": 1,
        "kind": "ink",
        "data": {"strokes": [[[0.2, 0.5], [0.5, 0.55], [0.8, 0.5]]], "color": "#d32f2f", "width": 0.005},
    }
    status, saved = await world.listed.put(f"{world.base}/annotations/ink-0000001", ink)
    assert status == 200 and saved["changed"] is True, saved
    status, again = await world.listed.put(f"{world.base}/annotations/ink-0000001", ink)  # an offline replay
    assert again["changed"] is False
    await world.listed.put(
        f"{world.base}/annotations/hl-00000001",
        {
            "paper_id": pid,
            "version": 1,
            "page": 1,
            "kind": "highlight",
            "data": {"rects": [[0.08, 0.07, 0.6, 0.1]], "text": "Biên bản", "color": "#ffeb3b"},
        },
    )
    await world.listed.put(
        f"{world.base}/annotations/note-0000001",
        {
            "paper_id": pid,
            "version": 1,
            "page": 2,
            "kind": "note",
            "data": {"x": 0.5, "y": 0.3, "text": "Đề nghị bổ sung số liệu năm 2025"},
        },
    )
    # Someone else's id cannot be taken over, and nobody else sees private ink.
    status, answer = await world.other.put(f"{world.base}/annotations/ink-0000001", ink)
    assert status == 404, answer
    status, theirs = await world.other.get(f"{world.base}/papers/{pid}/annotations")
    assert theirs["annotations"] == []
    status, mine = await world.listed.get(f"{world.base}/papers/{pid}/annotations")
    assert sorted(a["kind"] for a in mine["annotations"]) == ["highlight", "ink", "note"]
    # The annotated copy carries them as PDF annotations another reader sees.
    status, exported = await world.listed.get(f"{world.base}/papers/{pid}/versions/1/export")
    assert status == 200 and exported[:5] == b"%PDF-"
    reader = pypdf.PdfReader(io.BytesIO(exported))
    kinds = [str(a["/Subtype"]) for page in reader.pages for a in annotations_of(page)]
    assert sorted(k for k in kinds if k != "/Popup") == ["/Highlight", "/Ink", "/Text"], kinds  # notes pop up
    note = next(a for a in annotations_of(reader.pages[1]) if str(a["/Subtype"]) == "/Text")
    assert "Đề nghị bổ sung số liệu" in str(note["/Contents"])
    status, gone = await world.listed.delete(f"{world.base}/annotations/ink-0000001")
    assert gone["deleted"] is True
    status, gone = await world.listed.delete(f"{world.base}/annotations/ink-0000001")
    assert status == 200 and gone["deleted"] is False


async def test_comments_on_a_draft_and_read_receipts(world: World) -> None:
    paper = await world.upload(make_pdf(2), title="Dự thảo quy chế")
    pid = paper["id"]
    status, _ = await world.listed.post(f"{world.base}/papers/{pid}/open", {})
    assert status == 200
    status, answer = await world.listed.post(
        f"{world.base}/papers/{pid}/comments",
        {"id": "cmt-0000001", "version": 1, "page": 2, "x": 0.4, "y": 0.6, "text": "Đề nghị sửa Điều 3"},
    )
    assert status == 201, answer
    status, answer = await world.other.post(
        f"{world.base}/papers/{pid}/comments",
        {"id": "cmt-0000002", "version": 1, "page": 1, "x": 0.4, "y": 0.6, "text": "=SUM(A1)"},
    )
    assert status == 201, answer
    status, own = await world.listed.get(f"{world.base}/papers/{pid}/comments")
    assert [c["id"] for c in own["comments"]] == ["cmt-0000001"]
    status, updated = await world.secretary.patch(
        f"{world.base}/comments/cmt-0000001", {"status": "answered", "answer": "Đã tiếp thu, sửa Điều 3"}
    )
    assert status == 200 and updated["comment"]["status"] == "answered", updated
    status, everything = await world.secretary.get(f"{world.base}/papers/{pid}/comments")
    assert len(everything["comments"]) == 2
    status, csv = await world.secretary.get(f"{world.base}/papers/{pid}/comments/export?format=csv")
    text = csv.decode("utf-8")
    assert status == 200 and text.startswith("\ufeff") and "Đề nghị sửa Điều 3" in text and "'=SUM" in text
    status, pdf = await world.secretary.get(f"{world.base}/papers/{pid}/comments/export")
    assert status == 200 and pdf[:5] == b"%PDF-"
    status, receipts = await world.secretary.get(f"{world.base}/paper-receipts")
    row = next(r for r in receipts["papers"] if r["paper_id"] == pid)
    opened = {r["user_id"] for r in row["readers"] if r["opened"]}
    assert opened == {world.listed.user_id} and row["opened"] == 1 and row["expected"] >= 3
    status, _ = await world.other.get(f"{world.base}/paper-receipts")
    assert status == 403


async def test_a_hall_reads_papers_open_to_all(world: World) -> None:
    site_id = await world.server.create_site("Điểm cầu xã Hợp Thành")
    status, _ = await world.secretary.patch(world.base, {"site_ids": [site_id]})
    assert status == 200
    status, token = await (await world.server.admin()).post(f"/api/sites/{site_id}/token")
    assert status == 200, token
    paper = await world.upload(make_pdf(1), title="Chương trình")
    feed = MeetingFeed(world.server.url, world.meeting["id"], token=token["token"])
    try:
        await feed.connect()
        async with world.secretary.http.get(
            world.server.url + f"{world.base}/papers/{paper['id']}/versions/1/pages/1",
            headers={"Authorization": f"Bearer {token['token']}"},
        ) as response:
            assert response.status == 200
    finally:
        await feed.close()


@pytest.mark.parametrize("limit", ["strokes", "points"])
async def test_the_ink_limit_is_the_same_over_rest_and_socket(world: World, limit: str) -> None:
    """One schema (domain.annotations) decides for both doors: exactly at the limit is saved, one more is refused
    with the same invalid_input, and the refused one leaves nothing behind."""
    paper = await world.upload(make_pdf(1), title="Dự thảo")

    def ink(extra: int) -> dict[str, Any]:
        if limit == "strokes":
            strokes = [[[0.5, 0.5]]] * (schema.MAX_STROKES + extra)
        else:
            strokes = [[[0.5, 0.5]] * (schema.MAX_POINTS + extra)]
        return {"paper_id": paper["id"], "version": 1, "page": 1, "kind": "ink", "data": {"strokes": strokes}}

    status, saved = await world.listed.put(f"{world.base}/annotations/ink-rest-edge", ink(0))
    assert status == 200 and saved["changed"] is True, saved
    status, refused = await world.listed.put(f"{world.base}/annotations/ink-rest-over", ink(1))
    assert status == 422 and refused["error"]["code"] == "invalid_input", refused
    assert "tối đa" in refused["error"]["message"]

    feed = await feed_for(world.server, world.listed, world.meeting["id"])
    try:
        saved = await feed.command("annotation.save", {"id": "ink-sock-edge", **ink(0)})
        assert saved["changed"] is True
        with pytest.raises(CommandError) as info:
            await feed.command("annotation.save", {"id": "ink-sock-over", **ink(1)})
        assert info.value.code == "invalid_input"
        assert info.value.message == refused["error"]["message"]
    finally:
        await feed.close()
    status, mine = await world.listed.get(f"{world.base}/papers/{paper['id']}/annotations")
    assert sorted(a["id"] for a in mine["annotations"]) == ["ink-rest-edge", "ink-sock-edge"]


async def test_a_restricted_paper_being_presented_is_told_to_its_readers_only(world: World) -> None:
    """Its id, page and presenter reach the people who may read it; the others only hear that the paper they
    were following is no longer presented."""
    listed_feed = await feed_for(world.server, world.listed, world.meeting["id"])
    other_feed = await feed_for(world.server, world.other, world.meeting["id"])
    listed_heard: list[dict[str, Any]] = []
    other_heard: list[dict[str, Any]] = []
    listed_feed.on_event, other_feed.on_event = listed_heard.append, other_heard.append
    try:
        public = await world.upload(make_pdf(2), title="Báo cáo chung")
        secret = await world.upload(
            make_pdf(3), title="Tài liệu mật về nhân sự", access="restricted", user_ids=world.listed.user_id
        )
        status, _ = await world.secretary.post(f"{world.base}/papers/{public['id']}/present", {"page": 1})
        assert status == 200
        await wait_for(lambda: (other_feed.snapshot.get("presentation") or {}).get("paper_id") == public["id"])
        for page in (2, 3):
            status, answer = await world.secretary.post(f"{world.base}/papers/{secret['id']}/present", {"page": page})
            assert status == 200, answer
        # A later event for everyone: whatever came before it on the delegate's socket has come too.
        status, _ = await world.secretary.post(f"{world.base}/agenda", {"title": "Mục sau trình chiếu"})
        assert status == 201
        await wait_for(lambda: any(e["type"] == "agenda.item_added" for e in other_heard))
        await wait_for(lambda: any(e["type"] == "agenda.item_added" for e in listed_heard))
        other_types = [e["type"] for e in other_heard]
        assert other_types.count("paper.presented") == 1  # the public paper only
        assert "paper.presentation_stopped" in other_types
        assert secret["id"] not in str(other_heard)
        assert other_feed.snapshot["presentation"] is None
        assert listed_feed.snapshot["presentation"]["paper_id"] == secret["id"]
        assert listed_feed.snapshot["presentation"]["page"] == 3
        # Nor do the reads tell it: the meeting, its papers, a fresh join, the log.
        status, snap = await world.other.get(world.base)
        assert status == 200 and snap["presentation"] is None
        status, listing = await world.other.get(f"{world.base}/papers")
        assert listing["presentation"] is None
        status, log = await world.other.get(f"{world.base}/events?after=0")
        assert secret["id"] not in str(log)
        fresh = await feed_for(world.server, world.other, world.meeting["id"])
        assert fresh.snapshot["presentation"] is None
        await fresh.close()
        status, snap = await world.listed.get(world.base)
        assert snap["presentation"]["paper_id"] == secret["id"]
        # An administrator runs the meeting's commands, yet reads no restricted paper: its answers do not name it.
        admin = await world.server.admin()
        status, answer = await admin.post(f"{world.base}/agenda", {"title": "Mục của quản trị"})
        assert status == 201 and answer["my_role"] == "admin" and answer["presentation"] is None, answer
    finally:
        await listed_feed.close()
        await other_feed.close()


async def test_the_secretary_is_told_at_upload_what_to_check(world: World) -> None:
    """A paper MuPDF had to repair, and one whose page 1 neither MuPDF nor poppler can draw (JBIG2 junk): the
    upload answer, the paper and the listing carry `repaired`, `page_warnings` and a sentence saying so; a
    JBIG2 refinement page MuPDF cannot decode is drawn by poppler and needs no word; a paper encrypted for its
    attachment only is accepted."""
    repaired = await world.upload(samples.garbled_xref(), title="Tệp đã sửa")
    assert (repaired["repaired"], repaired["page_warnings"]) == (True, [])
    assert repaired["notice"] and "đã được sửa" in repaired["notice"]
    broken = await world.upload(samples.jbig2_garbage(pages=3), title="Bản chụp")
    assert broken["repaired"] is False
    assert broken["page_warnings"] == [{"page": 1, "reason": "image_not_decoded"}]
    assert broken["notice"].startswith("Trang 1 có thể hiển thị không đúng")
    status, answer = await world.other.get(f"{world.base}/papers/{broken['id']}?lang=en")
    assert status == 200 and answer["paper"]["page_warnings"] == broken["page_warnings"]
    assert answer["paper"]["notice"].startswith("Page 1 may look wrong")
    status, page = await world.other.get(f"{world.base}/papers/{broken['id']}/versions/1/pages/1")
    assert status == 200 and Image.open(io.BytesIO(page)).format == "WEBP"  # still served
    refined = await world.upload(samples.jbig2_refined(), title="Bản chụp JBIG2")
    assert (refined["repaired"], refined["page_warnings"], refined["notice"]) == (False, [], None)
    status, page = await world.other.get(f"{world.base}/papers/{refined['id']}/versions/1/pages/1?w=800")
    assert status == 200 and samples.agreement(Image.open(io.BytesIO(page)), samples.jbig2_frame()) > 0.95
    attached = await world.upload(samples.attachment_encrypted(), title="Tờ trình có phụ lục mật")
    assert attached["versions"][0]["page_count"] == 1 and attached["notice"] is None
    status, listing = await world.secretary.get(f"{world.base}/papers")
    by_id = {p["id"]: p for p in listing["papers"]}
    assert by_id[repaired["id"]]["repaired"] is True
    assert by_id[broken["id"]]["page_warnings"] == [{"page": 1, "reason": "image_not_decoded"}]
