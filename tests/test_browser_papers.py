"""The paper reader (tài liệu họp) in a real Chromium against the real server: following the presenter, ink that
reaches one's own other devices and nobody else's, ink that survives a server restart and an offline period, and a
paper that appears the moment it is published, downloads to the tablet and is searched without tones.

Needs /usr/bin/chromium (Debian's package) and the `playwright` Python package; never `playwright install`.
"""

from __future__ import annotations

import asyncio
import re
import time
from pathlib import Path
from typing import Any

import aiohttp
import pymupdf
import pytest
from playwright.async_api import Browser, BrowserContext, FilePayload, FloatRect, Page, ViewportSize, expect

from meeting_server.auth import COOKIE
from tests import paper_samples as samples
from tests.browserkit import watch_errors
from tests.helpers import ApiClient, LiveServer, make_meeting

pytestmark = [pytest.mark.browser, pytest.mark.timeout(120)]

SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
TABLET: ViewportSize = {"width": 1280, "height": 800}
LIVE_MS = 20_000  # pushed over socket.io; generous for a loaded CI
TITLE = "Dự thảo Nghị quyết về kế hoạch phát triển kinh tế - xã hội năm 2027"


def make_pdf(pages: int = 6) -> bytes:
    """A small paper with Vietnamese text on every page ("Biên bản họp" for the search)."""
    doc = pymupdf.open()
    for number in range(1, pages + 1):
        page = doc.new_page(width=595.28, height=841.89)
        html = (
            f"<h1 style='font-size:22pt'>Trang {number}</h1>"
            "<p style='font-size:16pt'>Biên bản họp Ủy ban nhân dân tỉnh Tuyên Quang ngày 24 tháng 11 năm 2026.</p>"
            "<p style='font-size:13pt'>Thành phần: đồng chí Chủ tịch, các Phó Chủ tịch; thư ký cuộc họp ghi "
            "biên bản đầy đủ các ý kiến thảo luận của đại biểu tại điểm cầu các xã, thị trấn.</p>"
        )
        page.insert_htmlbox(pymupdf.Rect(60, 60, 535, 500), html)
    doc.subset_fonts()
    return doc.tobytes(garbage=3, deflate=True)


class Scene:
    """A meeting in progress with a chair, a secretary and two delegates, and a way to open browsers as them."""

    def __init__(self, server: LiveServer, browser: Browser) -> None:
        self.server = server
        self.browser = browser
        self.errors: list[str] = []
        self.contexts: list[BrowserContext] = []
        self.meeting_id = ""
        self.users: dict[str, dict[str, Any]] = {}

    async def setup(self, *, start: bool = True) -> Scene:
        s = self.server
        self.users["chair"] = await s.create_user("chutich", "Nguyễn Văn Chủ", ["chair"])
        self.users["secretary"] = await s.create_user("thuky", "Lê Thị Thư", ["secretary"])
        self.users["d1"] = await s.create_user("tp.taichinh", "Trần Thị Tài Chính", ["delegate"])
        self.users["d2"] = await s.create_user("ct.hopthanh", "Phạm Văn Hợp Thành", ["delegate"])
        admin = await s.admin()
        meeting = await make_meeting(
            admin,
            title="Họp UBND tỉnh tháng 11",
            items=2,
            chair_id=self.users["chair"]["id"],
            secretary_id=self.users["secretary"]["id"],
            invitee_ids=[self.users["d1"]["id"], self.users["d2"]["id"]],
        )
        self.meeting_id = meeting["id"]
        if start:
            status, body = await admin.post(f"/api/meetings/{self.meeting_id}/start")
            assert status == 200, body
        return self

    async def api(self, username: str) -> ApiClient:
        return await self.server.client(username)

    async def open(
        self, username: str, path: str, *, touch: bool = True, viewport: ViewportSize = TABLET
    ) -> tuple[BrowserContext, Page]:
        """A new browser (its own session, like another device) signed in as `username`, at `path`."""
        api = ApiClient(self.server.url)
        try:
            await api.login(username, "mat-khau-thu-123")
            value = api.cookie.split("=", 1)[1]
        finally:
            await api.close()
        context = await self.browser.new_context(viewport=viewport, has_touch=touch, locale="vi-VN")
        self.contexts.append(context)
        await context.add_cookies([{"name": COOKIE, "value": value, "url": self.server.url}])
        page = await context.new_page()
        watch_errors(page, self.errors)
        await page.goto(self.server.url + path)
        return context, page

    def reader_path(self, paper_id: str) -> str:
        return f"/meetings/{self.meeting_id}/papers/{paper_id}"

    async def upload(
        self, api: ApiClient, title: str = TITLE, *, publish: bool = True, pdf: bytes | None = None
    ) -> dict[str, Any]:
        form = aiohttp.FormData()
        form.add_field("file", pdf or make_pdf(), filename="du-thao.pdf", content_type="application/pdf")
        form.add_field("title", title)
        form.add_field("publish", "1" if publish else "0")
        async with api.http.post(
            f"{api.base_url}/api/meetings/{self.meeting_id}/papers", data=form, headers={"X-CSRF-Token": api.csrf or ""}
        ) as resp:
            body = await resp.json()
            assert resp.status == 201, body
        return dict(body["paper"])

    async def close(self) -> None:
        for context in self.contexts:
            await context.close()


async def open_reader(scene: Scene, username: str, paper_id: str, **kw: Any) -> tuple[BrowserContext, Page]:
    context, page = await scene.open(username, scene.reader_path(paper_id), **kw)
    await expect(page.get_by_test_id("reader-page")).to_have_attribute("data-loaded", "true", timeout=LIVE_MS)
    await expect(page.get_by_test_id("connection-status")).to_have_attribute("data-state", "online")
    return context, page


async def sheet_box(page: Page) -> FloatRect:
    box = await page.get_by_test_id("reader-page").bounding_box()
    assert box is not None
    return box


async def draw(page: Page, points: list[tuple[float, float]]) -> None:
    """A stroke with the mouse, through page coordinates (0..1)."""
    box = await sheet_box(page)
    xy = [(box["x"] + x * box["width"], box["y"] + y * box["height"]) for x, y in points]
    await page.mouse.move(*xy[0])
    await page.mouse.down()
    for x, y in xy[1:]:
        await page.mouse.move(x, y, steps=4)
    await page.mouse.up()


async def touch_swipe(context: BrowserContext, page: Page, dx: float) -> None:
    """A one-finger swipe (real touch events: pointerType "touch") across the middle of the page."""
    cdp = await context.new_cdp_session(page)
    box = await sheet_box(page)
    x0, y = box["x"] + box["width"] / 2, box["y"] + box["height"] / 2
    await cdp.send("Input.dispatchTouchEvent", {"type": "touchStart", "touchPoints": [{"x": x0, "y": y}]})
    for step in range(1, 12):
        # The finger comes to rest before it lifts: a fling would swallow the next tap, as on a real tablet.
        await cdp.send(
            "Input.dispatchTouchEvent",
            {"type": "touchMove", "touchPoints": [{"x": x0 + dx * min(step, 8) / 8, "y": y}]},
        )
        if step >= 8:
            await asyncio.sleep(0.05)
    await cdp.send("Input.dispatchTouchEvent", {"type": "touchEnd", "touchPoints": []})
    await cdp.detach()


async def word_boxes(page: Page, scene: Scene, paper_id: str, number: int) -> list[dict[str, Any]]:
    pages: list[list[dict[str, Any]]] = await page.evaluate(
        """async (url) => (await (await fetch(url)).json()).pages""",
        f"/api/meetings/{scene.meeting_id}/papers/{paper_id}/versions/1/text",
    )
    return list(pages[number - 1])


async def saved_annotations(api: ApiClient, scene: Scene, paper_id: str) -> list[dict[str, Any]]:
    status, body = await api.get(f"/api/meetings/{scene.meeting_id}/papers/{paper_id}/annotations")
    assert status == 200, body
    return list(body["annotations"])


def ink_count(page: Page) -> Any:
    return expect(page.get_by_test_id("ink-layer"))


# ---------------------------------------------------------------------------------------------------------------


async def test_delegate_follows_the_presenter_and_snaps_back(live_server: LiveServer, browser: Browser) -> None:
    scene = await Scene(live_server, browser).setup()
    try:
        chair_api = await scene.api("chutich")
        paper = await scene.upload(chair_api)
        _, chair = await open_reader(scene, "chutich", paper["id"], touch=False)
        delegate_ctx, delegate = await open_reader(scene, "tp.taichinh", paper["id"])
        follower = delegate.get_by_test_id("reader-page")

        # The chair presents; the delegate follows every page turn and zoom.
        await expect(delegate.get_by_test_id("present-toggle")).to_be_hidden()
        await chair.get_by_test_id("present-toggle").click()
        await expect(chair.get_by_test_id("present-toggle")).to_have_text("Dừng trình chiếu")
        await expect(delegate.get_by_test_id("presenter-banner")).to_contain_text("Nguyễn Văn Chủ")
        await chair.get_by_test_id("reader-next").click()
        await chair.get_by_test_id("reader-next").click()
        await expect(chair.get_by_test_id("reader-page")).to_have_attribute("data-page", "3")
        await expect(follower).to_have_attribute("data-page", "3", timeout=LIVE_MS)
        await expect(follower).to_have_attribute("data-follow", "true")
        await chair.get_by_test_id("reader-zoom-in").click()
        await expect(follower).to_have_attribute("data-zoom", "1.25", timeout=LIVE_MS)
        await chair.get_by_test_id("reader-zoom-out").click()
        await expect(follower).to_have_attribute("data-zoom", "1", timeout=LIVE_MS)

        # The delegate swipes to the next page: out of follow mode, with a one-tap way back.
        await touch_swipe(delegate_ctx, delegate, -300)
        await expect(follower).to_have_attribute("data-page", "4")
        await expect(follower).to_have_attribute("data-follow", "false")
        snap_back = delegate.get_by_test_id("follow-presenter")
        await expect(snap_back).to_be_visible()
        await expect(snap_back).to_contain_text("Theo người trình bày")
        await chair.get_by_test_id("reader-next").click()
        await chair.get_by_test_id("reader-next").click()
        await expect(chair.get_by_test_id("reader-page")).to_have_attribute("data-page", "5")
        # The presenter's page 5 has reached the tablet (its banner says so), which stays on page 4: browsing freely.
        await expect(delegate.get_by_test_id("presenter-banner")).to_contain_text("5", timeout=LIVE_MS)
        await expect(follower).to_have_attribute("data-page", "4")

        await snap_back.tap()
        await expect(follower).to_have_attribute("data-page", "5")
        await expect(follower).to_have_attribute("data-follow", "true")
        await expect(snap_back).to_be_hidden()
        await chair.get_by_test_id("reader-prev").click()
        await expect(follower).to_have_attribute("data-page", "4", timeout=LIVE_MS)

        # Stop presenting.
        await chair.get_by_test_id("present-toggle").click()
        await expect(chair.get_by_test_id("present-toggle")).to_have_text("Trình chiếu")
        await expect(delegate.get_by_test_id("presenter-banner")).to_be_hidden(timeout=LIVE_MS)
        assert scene.errors == [], scene.errors
    finally:
        await scene.close()


async def test_ink_reaches_my_other_device_and_nobody_else(live_server: LiveServer, browser: Browser) -> None:
    scene = await Scene(live_server, browser).setup()
    try:
        paper = await scene.upload(await scene.api("thuky"))
        _, a = await open_reader(scene, "tp.taichinh", paper["id"])
        _, b = await open_reader(scene, "tp.taichinh", paper["id"])
        _, c = await open_reader(scene, "ct.hopthanh", paper["id"])

        # A pen stroke on device A (a wavy underline of the page's last line): saved at once, drawn on device B,
        # not on the other delegate's tablet.
        words = await word_boxes(a, scene, paper["id"], 1)
        end = words[-1]["box"]
        start = min(w["box"][0] for w in words if abs(w["box"][1] - end[1]) < 0.005)
        y = end[3] + 0.006
        steps = 16
        await a.get_by_test_id("tool-pen").click()
        await draw(a, [(start + (end[2] - start) * i / steps, y + (0.004 if i % 2 else 0)) for i in range(steps + 1)])
        await ink_count(a).to_have_attribute("data-count", "1")
        await ink_count(b).to_have_attribute("data-count", "1", timeout=LIVE_MS)
        await expect(b.locator('[data-testid="annotation"][data-kind="ink"]')).to_have_count(1)

        # A highlight snaps to the words under the drag.
        first = next(w for w in words if w["text"] == "Biên")
        last = next(w for w in words if w["text"].startswith("họp"))
        centre = lambda w: ((w["box"][0] + w["box"][2]) / 2, (w["box"][1] + w["box"][3]) / 2)  # noqa: E731
        await a.get_by_test_id("tool-highlight").click()
        await draw(a, [centre(first), centre(last)])
        await ink_count(a).to_have_attribute("data-count", "2")
        await expect(b.locator('[data-testid="annotation"][data-kind="highlight"]')).to_have_count(1, timeout=LIVE_MS)
        a_api = await scene.api("tp.taichinh")
        mine = await saved_annotations(a_api, scene, paper["id"])
        highlight = next(x for x in mine if x["kind"] == "highlight")
        assert highlight["data"]["text"].startswith("Biên bản"), highlight
        assert len(highlight["data"]["rects"]) == 1, highlight  # one line: merged into one rectangle

        await a.get_by_test_id("tool-browse").click()
        await a.screenshot(path=str(SCREENSHOTS / "paper-reader.png"))

        # Nobody else sees it: not live (the secretary's later presentation reaches that tablet, the ink did not
        # before it), not over REST.
        secretary = await scene.api("thuky")
        presented = f"/api/meetings/{scene.meeting_id}/papers/{paper['id']}/present"
        status, body = await secretary.post(presented, {"page": 1, "zoom": 1, "x": 0, "y": 0})
        assert status == 200, body
        await expect(c.get_by_test_id("presenter-banner")).to_be_visible(timeout=LIVE_MS)
        await ink_count(c).to_have_attribute("data-count", "0")
        status, body = await secretary.post(f"/api/meetings/{scene.meeting_id}/presentation/stop")
        assert status == 200, body
        await expect(c.get_by_test_id("presenter-banner")).to_be_hidden(timeout=LIVE_MS)
        assert await saved_annotations(await scene.api("ct.hopthanh"), scene, paper["id"]) == []

        # Undo removes the highlight on both of my devices.
        await a.get_by_test_id("tool-undo").click()
        await ink_count(a).to_have_attribute("data-count", "1")
        await ink_count(b).to_have_attribute("data-count", "1", timeout=LIVE_MS)
        await expect(b.locator('[data-testid="annotation"][data-kind="highlight"]')).to_have_count(0)
        assert [x["kind"] for x in await saved_annotations(a_api, scene, paper["id"])] == ["ink"]
        assert scene.errors == [], scene.errors
    finally:
        await scene.close()


async def test_ink_survives_a_restart_and_an_offline_period(live_server: LiveServer, browser: Browser) -> None:
    scene = await Scene(live_server, browser).setup()
    try:
        paper = await scene.upload(await scene.api("thuky"))
        a_ctx, a = await open_reader(scene, "tp.taichinh", paper["id"])
        _, b = await open_reader(scene, "tp.taichinh", paper["id"])
        await a.get_by_test_id("tool-pen").click()
        await draw(a, [(0.2, 0.7), (0.4, 0.75), (0.6, 0.7)])
        await ink_count(b).to_have_attribute("data-count", "1", timeout=LIVE_MS)

        # The server restarts (same database, same port): the ink is still there on reload.
        await live_server.stop()
        await live_server.start(migrate=False)
        await a.reload()
        await expect(a.get_by_test_id("reader-page")).to_have_attribute("data-loaded", "true", timeout=LIVE_MS)
        await ink_count(a).to_have_attribute("data-count", "1", timeout=LIVE_MS)
        await expect(a.get_by_test_id("connection-status")).to_have_attribute("data-state", "online", timeout=LIVE_MS)
        await expect(b.get_by_test_id("connection-status")).to_have_attribute("data-state", "online", timeout=15_000)

        # Wi-Fi drops (once the tablet has every page): it keeps reading and drawing, its ink waits in the outbox.
        await expect(a.get_by_test_id("prefetch-progress")).to_have_attribute("data-done", "6", timeout=20_000)
        await a_ctx.set_offline(True)
        await a.get_by_test_id("tool-pen").click()
        await draw(a, [(0.2, 0.85), (0.5, 0.9), (0.8, 0.85)])
        await ink_count(a).to_have_attribute("data-count", "2")
        await expect(a.get_by_test_id("outbox-status")).to_have_attribute("data-pending", "1")
        await a.get_by_test_id("reader-next").click()  # reading on: page 2 comes from the tablet's cache
        await expect(a.get_by_test_id("reader-page")).to_have_attribute("data-loaded", "true")
        await a.get_by_test_id("reader-prev").click()
        api = await scene.api("tp.taichinh")
        assert len(await saved_annotations(api, scene, paper["id"])) == 1

        # Back online: the outbox sends it; the server has it and the other device draws it.
        await a_ctx.set_offline(False)
        await expect(a.get_by_test_id("outbox-status")).to_have_attribute("data-pending", "0", timeout=15_000)
        found: list[dict[str, Any]] = []

        async def fetch() -> None:
            found[:] = await saved_annotations(api, scene, paper["id"])

        deadline = time.monotonic() + 30
        while len(found) < 2 and time.monotonic() < deadline:
            await fetch()
            await asyncio.sleep(0.2)
        assert len(found) == 2, found
        await ink_count(b).to_have_attribute("data-count", "2", timeout=LIVE_MS)
        assert scene.errors == [], scene.errors
    finally:
        await scene.close()


async def test_published_paper_appears_downloads_and_is_searched(live_server: LiveServer, browser: Browser) -> None:
    scene = await Scene(live_server, browser).setup(start=False)
    try:
        # The delegate's tablet waits on the meeting's papers; the secretary uploads a draft with the form.
        d_ctx, d = await scene.open("ct.hopthanh", f"/meetings/{scene.meeting_id}/papers")
        await expect(d.get_by_test_id("papers-empty")).to_be_visible()
        _, s = await scene.open("thuky", f"/meetings/{scene.meeting_id}", touch=False)
        form = s.get_by_test_id("paper-upload-form")
        await s.get_by_test_id("paper-upload-toggle").locator("summary").click()
        await form.get_by_test_id("paper-upload-file").set_input_files(
            files=[FilePayload(name="ghi-chu.pdf", mimeType="application/pdf", buffer=b"khong phai PDF")]
        )
        await form.get_by_test_id("paper-upload-title").fill(TITLE)
        await form.get_by_test_id("paper-upload-publish").uncheck()
        await form.get_by_test_id("paper-upload-submit").click()
        await expect(form.get_by_test_id("paper-upload-error")).to_be_visible(timeout=LIVE_MS)
        await expect(form.get_by_test_id("paper-upload-error")).not_to_be_empty()
        await form.get_by_test_id("paper-upload-file").set_input_files(
            files=[FilePayload(name="du-thao.pdf", mimeType="application/pdf", buffer=make_pdf())]
        )
        await form.get_by_test_id("paper-upload-title").fill(TITLE)
        await form.get_by_test_id("paper-upload-publish").uncheck()
        await form.get_by_test_id("paper-upload-submit").click()
        drafts = s.get_by_test_id("papers-section").get_by_test_id("paper-item")
        await expect(drafts).to_have_count(1, timeout=LIVE_MS)
        await expect(drafts).to_have_attribute("data-status", "draft")
        paper_id = await drafts.get_attribute("data-paper-id")
        assert paper_id
        # A draft is the organisers' business: a paper published after it reaches the tablet, the draft did not.
        api = await scene.api("thuky")
        marker = await scene.upload(api, "Tài liệu khác")
        listed = d.get_by_test_id("paper-item")
        await expect(listed).to_have_count(1, timeout=LIVE_MS)
        await expect(listed).to_have_attribute("data-paper-id", marker["id"])
        status, body = await api.post(f"/api/meetings/{scene.meeting_id}/papers/{marker['id']}/withdraw")
        assert status == 200, body
        await expect(listed).to_have_count(0, timeout=LIVE_MS)

        # Published: on the delegate's list within a second (10 s: a loaded CI), downloading in the background.
        status, body = await api.post(f"/api/meetings/{scene.meeting_id}/papers/{paper_id}/publish")
        assert status == 200, body
        await expect(d.get_by_test_id("paper-item")).to_have_count(1, timeout=10_000)
        await expect(d.get_by_test_id("paper-title")).to_have_text(TITLE)

        # The reader shows how much is on the tablet, until every page is: over the signed page links the paper
        # came with (docs/papers.md), which the service worker keeps under the session route's address.
        asked: list[str] = []
        d.on("request", lambda request: asked.append(request.url))
        await d.get_by_test_id("paper-link").click()
        await expect(d.get_by_test_id("reader-page")).to_have_attribute("data-loaded", "true", timeout=LIVE_MS)
        progress = d.get_by_test_id("reader").get_by_test_id("prefetch-progress")
        await expect(progress).to_have_attribute("data-total", "6")
        await expect(progress).to_have_attribute("data-done", "6", timeout=20_000)
        await expect(progress).to_contain_text("6 trang")
        signed = next(url for url in asked if re.search(r"/pages/\d+/signed\?w=\d+&f=", url))
        # A link the server refuses (expired, another node's) at a width not cached yet: the service worker asks the
        # session route once, and the page still gets its image.
        width = "800" if "w=2048" in signed else "2048"
        refused = re.sub(r"&s=[^&]+", "&s=" + "A" * 22, re.sub(r"w=\d+", f"w={width}", signed))
        assert await d.evaluate("async (url) => (await fetch(url)).status", refused) == 200

        # Search without tones finds the words with them, and marks them on the page.
        await d.get_by_test_id("reader-search-toggle").click()
        await d.get_by_test_id("reader-search-input").fill("bien ban")
        await d.get_by_test_id("reader-search-submit").click()
        count = d.get_by_test_id("search-count")
        await expect(count).to_have_attribute("data-source", "server")
        assert int(await count.get_attribute("data-count") or 0) >= 6
        await expect(d.get_by_test_id("search-hit").first).to_contain_text("Biên bản")
        await expect(d.get_by_test_id("search-mark").first).to_be_visible()

        # With no network at all, the tablet still reads and searches the paper (its cached text layer).
        await d_ctx.set_offline(True)
        await d.get_by_test_id("reader-search-input").fill("thanh phan dong chi")
        await d.get_by_test_id("reader-search-submit").click()
        await expect(count).to_have_attribute("data-source", "local")
        assert int(await count.get_attribute("data-count") or 0) == 6
        await d.get_by_test_id("search-hit").nth(3).click()
        await expect(d.get_by_test_id("reader-page")).to_have_attribute("data-page", "4")
        await expect(d.get_by_test_id("reader-page")).to_have_attribute("data-loaded", "true")
        await d_ctx.set_offline(False)
        assert scene.errors == [], scene.errors
    finally:
        await scene.close()


async def click_on_page(page: Page, x: float, y: float) -> None:
    """A mouse click at page coordinates (0..1): places a note or a comment with those tools."""
    box = await sheet_box(page)
    await page.mouse.click(box["x"] + x * box["width"], box["y"] + y * box["height"])


async def test_thumbnails_colours_eraser_notes_and_comments(live_server: LiveServer, browser: Browser) -> None:
    scene = await Scene(live_server, browser).setup()
    try:
        paper = await scene.upload(await scene.api("thuky"))
        _, d = await open_reader(scene, "tp.taichinh", paper["id"])
        d_api = await scene.api("tp.taichinh")
        sheet = d.get_by_test_id("reader-page")

        # A wide tablet opens with the thumbnails; a tap on one goes to its page, which the strip marks.
        await expect(d.get_by_test_id("reader-panel")).to_have_attribute("data-mode", "thumbs")
        await expect(d.get_by_test_id("reader-thumb")).to_have_count(6)
        await d.get_by_test_id("reader-thumb").nth(2).click()
        await expect(sheet).to_have_attribute("data-page", "3")
        await expect(d.get_by_test_id("reader-page-number")).to_have_attribute("data-page", "3")
        await expect(d.locator('[data-testid="reader-thumb"][data-page="3"]')).to_have_attribute("aria-current", "page")
        await expect(d.locator('[data-testid="reader-thumb"][data-page="1"]')).not_to_have_attribute(
            "aria-current", "page"
        )
        await d.get_by_test_id("reader-thumbs-toggle").click()
        await expect(d.get_by_test_id("reader-panel")).to_be_hidden()
        await d.get_by_test_id("reader-thumbs-toggle").click()
        await expect(d.get_by_test_id("reader-thumb")).to_have_count(6)

        # Fit to width zooms in; turning the page shows the next one whole, and the strip follows.
        await d.get_by_test_id("reader-fit-width").click()
        await expect(sheet).not_to_have_attribute("data-zoom", "1")
        await d.get_by_test_id("reader-next").click()
        await expect(sheet).to_have_attribute("data-page", "4")
        await expect(sheet).to_have_attribute("data-zoom", "1")
        await expect(d.locator('[data-testid="reader-thumb"][data-page="4"]')).to_have_attribute("aria-current", "page")
        await d.get_by_test_id("reader-prev").click()
        await expect(sheet).to_have_attribute("data-page", "3")

        # The pen in blue; the eraser takes the stroke away again, on the server too.
        await d.get_by_test_id("tool-pen").click()
        await expect(d.get_by_test_id("reader")).to_have_attribute("data-tool", "pen")
        await expect(d.get_by_test_id("tool-color")).to_have_count(4)
        blue = d.locator('[data-testid="tool-color"][data-color="#1565c0"]')
        await blue.click()
        await expect(blue).to_have_attribute("aria-pressed", "true")
        stroke = [(0.2, 0.8), (0.5, 0.82), (0.8, 0.8)]
        await draw(d, stroke)
        await ink_count(d).to_have_attribute("data-count", "1")
        await expect(d.locator('[data-testid="annotation"] path')).to_have_attribute("stroke", "#1565c0")
        await d.get_by_test_id("tool-eraser").click()
        await expect(d.get_by_test_id("tool-color")).to_have_count(0)
        await draw(d, stroke)
        await ink_count(d).to_have_attribute("data-count", "0")
        await expect(d.get_by_test_id("outbox-status")).to_have_attribute("data-pending", "0", timeout=LIVE_MS)
        assert await saved_annotations(d_api, scene, paper["id"]) == []

        # A sticky note: placed, read and changed by a tap on its pin, then deleted.
        await d.get_by_test_id("tool-note").click()
        await click_on_page(d, 0.5, 0.5)
        await d.get_by_test_id("note-dialog-text").fill("Cần xem lại số liệu")
        await d.get_by_test_id("dialog-confirm").click()
        pin = d.get_by_test_id("note-pin")
        await expect(pin).to_have_count(1)
        await d.get_by_test_id("tool-browse").click()
        await pin.click()
        await expect(d.get_by_test_id("note-dialog-text")).to_have_value("Cần xem lại số liệu")
        await d.get_by_test_id("note-dialog-text").fill("Số liệu quý III đã đúng")
        await d.get_by_test_id("dialog-confirm").click()
        await expect(pin).to_have_attribute("title", "Số liệu quý III đã đúng")
        await expect(d.get_by_test_id("outbox-status")).to_have_attribute("data-pending", "0", timeout=LIVE_MS)
        notes = await saved_annotations(d_api, scene, paper["id"])
        assert [(x["kind"], x["page"], x["data"]["text"]) for x in notes] == [("note", 3, "Số liệu quý III đã đúng")]
        await pin.click()
        await d.get_by_test_id("note-dialog-delete").click()
        await expect(pin).to_have_count(0)

        # A comment pinned to page 3: the delegate sees it as "new" and cannot manage it.
        await d.get_by_test_id("tool-comment").click()
        await click_on_page(d, 0.3, 0.4)
        await d.get_by_test_id("comment-dialog-text").fill("Đề nghị bổ sung chỉ tiêu về y tế")
        await d.get_by_test_id("dialog-confirm").click()
        comment_pin = d.get_by_test_id("comment-pin")
        await expect(comment_pin).to_have_attribute("data-status", "new")
        await d.get_by_test_id("tool-browse").click()
        await d.get_by_test_id("reader-comments-toggle").click()
        await expect(d.get_by_test_id("reader-panel")).to_have_attribute("data-mode", "comments")
        await expect(d.get_by_test_id("comment-text")).to_have_text("Đề nghị bổ sung chỉ tiêu về y tế")
        await expect(d.get_by_test_id("comment-status")).to_have_count(0)
        await expect(d.get_by_test_id("comments-export-pdf")).to_have_count(0)

        # The secretary answers it from her reader; the delegate's list and pin follow live.
        _, s = await open_reader(scene, "thuky", paper["id"], touch=False)
        await s.get_by_test_id("reader-comments-toggle").click()
        item = s.get_by_test_id("comment-item")
        await expect(item).to_have_count(1)
        await expect(s.get_by_test_id("comments-export-pdf")).to_have_attribute("href", re.compile("format=pdf"))
        await s.get_by_test_id("comment-goto").click()
        await expect(s.get_by_test_id("reader-page")).to_have_attribute("data-page", "3")
        await s.get_by_test_id("comment-status").select_option("answered")
        await s.get_by_test_id("comment-answer").fill("Đã bổ sung tại mục 4")
        await s.get_by_test_id("comment-save").click()
        await expect(item).to_have_attribute("data-status", "answered")
        await expect(d.get_by_test_id("comment-item")).to_have_attribute("data-status", "answered", timeout=LIVE_MS)
        await expect(d.get_by_test_id("comment-answer-text")).to_contain_text("Đã bổ sung tại mục 4")
        await expect(comment_pin).to_have_attribute("data-status", "answered")
        await comment_pin.click()
        await expect(d.get_by_test_id("comment-dialog")).to_contain_text("Đã bổ sung tại mục 4")
        await d.get_by_test_id("dialog-cancel").click()
        await expect(d.get_by_test_id("comment-dialog")).to_have_count(0)

        # Someone who may present draws on the shared layer, which every reader sees; a delegate has no such layer.
        await d.get_by_test_id("tool-pen").click()
        await expect(d.get_by_test_id("tool-shared")).to_be_hidden()
        await s.get_by_test_id("tool-pen").click()
        shared = s.get_by_test_id("tool-shared")
        await shared.click()
        await expect(shared).to_have_attribute("aria-pressed", "true")
        await draw(s, [(0.2, 0.6), (0.5, 0.62), (0.8, 0.6)])
        await expect(d.locator('[data-testid="annotation"][data-layer="shared"]')).to_have_count(1, timeout=LIVE_MS)
        assert scene.errors == [], scene.errors
    finally:
        await scene.close()


async def test_a_new_version_reaches_the_open_reader_and_withdrawing_closes_it(
    live_server: LiveServer, browser: Browser
) -> None:
    scene = await Scene(live_server, browser).setup()
    try:
        s_api = await scene.api("thuky")
        paper = await scene.upload(s_api)
        _, d = await open_reader(scene, "tp.taichinh", paper["id"])
        reader = d.get_by_test_id("reader")
        await expect(reader).to_have_attribute("data-version", "1")
        await expect(d.get_by_test_id("reader-version")).to_have_count(0)
        await expect(d.get_by_test_id("reader-new-version")).to_be_hidden()

        # The secretary uploads a shorter second version: the open reader says so and stays on the first.
        form = aiohttp.FormData()
        form.add_field("file", make_pdf(4), filename="du-thao-2.pdf", content_type="application/pdf")
        async with s_api.http.post(
            f"{s_api.base_url}/api/meetings/{scene.meeting_id}/papers/{paper['id']}/versions",
            data=form,
            headers={"X-CSRF-Token": s_api.csrf or ""},
        ) as resp:
            assert resp.status == 201, await resp.text()
        newer = d.get_by_test_id("reader-new-version")
        await expect(newer).to_be_visible(timeout=LIVE_MS)
        await expect(newer).to_contain_text("2")
        await expect(reader).to_have_attribute("data-version", "1")
        await expect(d.get_by_test_id("reader-version").locator("option")).to_have_count(2)

        await newer.click()
        await expect(reader).to_have_attribute("data-version", "2")
        await expect(d.get_by_test_id("reader-page-number")).to_have_attribute("data-total", "4")
        await expect(d.get_by_test_id("reader-page")).to_have_attribute("data-loaded", "true", timeout=LIVE_MS)
        await expect(newer).to_be_hidden()
        await expect(d.get_by_test_id("export-annotated")).to_have_attribute("href", re.compile("/versions/2/export"))

        await d.get_by_test_id("reader-version").select_option("1")
        await expect(reader).to_have_attribute("data-version", "1")
        await expect(d.get_by_test_id("reader-page-number")).to_have_attribute("data-total", "6")
        await expect(newer).to_be_visible()

        # Withdrawn: the reader closes and says why.
        status, body = await s_api.post(f"/api/meetings/{scene.meeting_id}/papers/{paper['id']}/withdraw")
        assert status == 200, body
        await expect(d).to_have_url(re.compile(f"/meetings/{scene.meeting_id}/papers$"), timeout=LIVE_MS)
        await expect(d.get_by_test_id("reader")).to_have_count(0)
        assert scene.errors == [], scene.errors
    finally:
        await scene.close()


async def toolbar_share(page: Page) -> float:
    """The part of the screen's height the reader's toolbars take (the app's top bar included)."""
    return float(
        await page.evaluate(
            "() => document.querySelector('.reader-body').getBoundingClientRect().top / window.innerHeight"
        )
    )


async def test_the_presenter_reloads_where_everyone_is_and_a_closed_meeting_offers_nothing(
    live_server: LiveServer, browser: Browser
) -> None:
    """Issue 9 §1.2 (a presenter who reloads came back on page 1), §1.1 (the presentation outlived the meeting),
    §1.6 (an archived meeting still offered upload, the pen and an empty action bar) and §1.13 (the reader's
    toolbars took ~45% of a phone's screen)."""
    scene = await Scene(live_server, browser).setup()
    try:
        paper = await scene.upload(await scene.api("thuky"))
        _, chair = await open_reader(scene, "chutich", paper["id"], touch=False)
        _, delegate = await open_reader(scene, "tp.taichinh", paper["id"])
        await chair.get_by_test_id("present-toggle").click()
        await expect(chair.get_by_test_id("present-toggle")).to_have_text("Dừng trình chiếu")
        await chair.get_by_test_id("reader-next").click()
        await expect(delegate.get_by_test_id("reader-page")).to_have_attribute("data-page", "2", timeout=LIVE_MS)

        # The presenter reloads: back on page 2, still presenting, and the delegates stay on page 2.
        await chair.reload()
        await expect(chair.get_by_test_id("reader-page")).to_have_attribute("data-loaded", "true", timeout=LIVE_MS)
        await expect(chair.get_by_test_id("reader")).to_have_attribute("data-presenting", "true", timeout=LIVE_MS)
        await expect(chair.get_by_test_id("reader-page")).to_have_attribute("data-page", "2")
        await chair.get_by_test_id("reader-next").click()  # and carries on from there
        await expect(delegate.get_by_test_id("reader-page")).to_have_attribute("data-page", "3", timeout=LIVE_MS)

        # On a phone the toolbars leave the page most of the screen.
        _, phone = await open_reader(scene, "ct.hopthanh", paper["id"], viewport={"width": 390, "height": 844})
        share = await toolbar_share(phone)
        assert share <= 0.15, f"the toolbars take {share:.0%} of a phone's height"
        await expect(phone.get_by_test_id("presenter-banner")).to_be_visible()

        # The meeting ends while the paper is presented: every screen drops "đang trình chiếu".
        secretary = await scene.api("thuky")
        status, body = await secretary.post(f"/api/meetings/{scene.meeting_id}/end")
        assert status == 200, body
        await expect(delegate.get_by_test_id("presenter-banner")).to_be_hidden(timeout=LIVE_MS)
        await expect(chair.get_by_test_id("present-toggle")).to_be_hidden()
        await expect(delegate.get_by_test_id("tool-pen")).to_be_visible()  # ended: ink is still kept

        # Archived: no pen, no upload, no empty action bar; the ink wording is "nét vẽ".
        status, body = await secretary.post(f"/api/meetings/{scene.meeting_id}/archive")
        assert status == 200, body
        await expect(delegate.get_by_test_id("reader")).to_have_attribute(
            "data-meeting-status", "archived", timeout=LIVE_MS
        )
        await expect(delegate.get_by_test_id("tool-pen")).to_be_hidden()
        await expect(delegate.get_by_test_id("export-annotated")).to_have_text("Tải bản có nét vẽ, ghi chú của tôi")
        _, organiser = await scene.open("thuky", f"/meetings/{scene.meeting_id}", touch=False)
        await expect(organiser.get_by_test_id("meeting-status")).to_have_text("Đã lưu trữ", timeout=LIVE_MS)
        await expect(organiser.get_by_test_id("paper-item")).to_have_count(1, timeout=LIVE_MS)
        # Nothing to change any more: the bar keeps only the way to the record (its biên bản stays readable) and
        # the meeting's dossier (docs/archive.md).
        await expect(organiser.get_by_test_id("open-record")).to_be_visible()
        await expect(organiser.get_by_test_id("dossier-box")).to_be_visible()
        await expect(organiser.get_by_test_id("lifecycle-actions").locator("> *")).to_have_count(2)
        await expect(organiser.get_by_test_id("paper-upload-toggle")).to_be_hidden()
        await organiser.goto(f"{scene.server.url}/meetings/{scene.meeting_id}/papers")
        await expect(organiser.get_by_test_id("paper-item")).to_have_count(1, timeout=LIVE_MS)
        await expect(organiser.get_by_test_id("receipts")).to_be_visible()
        await expect(organiser.get_by_test_id("paper-publish")).to_have_count(0)
        await expect(organiser.get_by_test_id("paper-withdraw")).to_have_count(0)
        await expect(organiser.get_by_test_id("paper-upload-form")).to_be_hidden()
        assert scene.errors == [], scene.errors
    finally:
        await scene.close()


async def test_the_secretary_is_told_which_pages_may_look_wrong(live_server: LiveServer, browser: Browser) -> None:
    """At upload the form says which pages neither MuPDF nor poppler can draw (JBIG2 junk on page 1), and the
    organisers' list keeps saying it, as it says a paper was repaired; delegates see the papers, not the note."""
    scene = await Scene(live_server, browser).setup(start=False)
    try:
        _, s = await scene.open("thuky", f"/meetings/{scene.meeting_id}/papers", touch=False)
        form = s.get_by_test_id("paper-upload-form")
        await form.get_by_test_id("paper-upload-file").set_input_files(
            files=[FilePayload(name="ban-chup.pdf", mimeType="application/pdf", buffer=samples.jbig2_garbage(pages=2))]
        )
        await form.get_by_test_id("paper-upload-title").fill("Bản chụp tờ trình")
        await form.get_by_test_id("paper-upload-submit").click()
        told = form.get_by_test_id("paper-upload-quality")
        await expect(told).to_be_visible(timeout=LIVE_MS)
        await expect(told).to_contain_text("“Bản chụp tờ trình”: Trang 1 có thể hiển thị không đúng")
        items = s.get_by_test_id("paper-item")
        await expect(items).to_have_count(1, timeout=LIVE_MS)
        note = items.first.get_by_test_id("paper-quality")
        await expect(note).to_have_attribute("data-pages", "1")
        await expect(note).to_contain_text("Cần kiểm tra: Trang 1")

        api = await scene.api("thuky")
        repaired = await scene.upload(api, "Tệp đã sửa", pdf=samples.garbled_xref())
        row = s.locator(f'[data-testid="paper-item"][data-paper-id="{repaired["id"]}"]')
        await expect(row.get_by_test_id("paper-quality")).to_have_attribute("data-repaired", "1", timeout=LIVE_MS)
        await expect(row.get_by_test_id("paper-quality")).to_contain_text("đã được sửa tự động")
        fine = await scene.upload(api, "Tài liệu bình thường")
        row = s.locator(f'[data-testid="paper-item"][data-paper-id="{fine["id"]}"]')
        await expect(row).to_have_count(1, timeout=LIVE_MS)
        await expect(row.get_by_test_id("paper-quality")).to_have_count(0)

        _, d = await scene.open("ct.hopthanh", f"/meetings/{scene.meeting_id}/papers")
        await expect(d.get_by_test_id("paper-item")).to_have_count(3, timeout=LIVE_MS)
        await expect(d.get_by_test_id("paper-quality")).to_have_count(0)
        assert scene.errors == [], scene.errors
    finally:
        await scene.close()
