"""The search in Chromium (docs/search.md "In the app"): on a tablet, the header's box finds "nghi quyet" without its
diacritics, the hit shows "Nghị quyết" marked, a filter narrows it, and the hit opens the reader at its page; a
delegate the restricted paper does not name finds nothing of it, and the count says zero."""

from __future__ import annotations

import re
from pathlib import Path
from urllib.parse import quote

from playwright.async_api import Browser, expect

from meeting_server.api.search import INDEXER
from tests.browserkit import login, watch_errors
from tests.helpers import PASSWORD, LiveServer, make_meeting, pages_pdf

SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
TIMEOUT_MS = 30_000
SECRET_WORD = "Quỳnhlâmmật"  # on the restricted paper only
PAGES = [
    "Báo cáo tình hình kinh tế - xã hội tháng 11 của tỉnh Tuyên Quang.",
    "Căn cứ Nghị quyết số 12/NQ-HĐND, Ủy ban nhân dân tỉnh đề nghị các đại biểu cho ý kiến.",
    "Kết luận: giao Sở Tài chính tham mưu bố trí kinh phí.",
]


async def test_the_header_box_finds_marks_filters_and_opens_the_page(live_server: LiveServer, browser: Browser) -> None:
    server = live_server
    await server.create_user("thuky", "Trần Thị Thư", ["secretary"])
    named = await server.create_user("daibieu.a", "Nguyễn Văn An", ["delegate"])
    reader = await server.create_user("daibieu.b", "Phạm Văn Bình", ["delegate"])
    secretary = await server.client("thuky")
    meeting = await make_meeting(
        secretary,
        title="Phiên họp thường kỳ tháng 11",
        invitee_ids=[named["id"], reader["id"]],
        secretary_id=secretary.user_id,
    )
    base = f"/api/meetings/{meeting['id']}/papers"
    status, body = await secretary.upload(
        base, pages_pdf(PAGES), "bao-cao.pdf", {"publish": "1", "title": "Báo cáo kinh tế - xã hội"}
    )
    assert status == 201, body
    paper = body["paper"]
    status, body = await secretary.upload(
        base,
        pages_pdf([f"Danh sách nhân sự {SECRET_WORD} dự kiến."]),
        "mat.pdf",
        {"publish": "1", "title": "Tài liệu mật", "access": "restricted", "user_ids": named["id"]},
    )
    assert status == 201, body
    appendix = [f"Phụ lục số {n}: danh mục công trình Hàmyên." for n in range(1, 22)]  # 21 hits: two pages of them
    status, body = await secretary.upload(
        base, pages_pdf(appendix), "phu-luc.pdf", {"publish": "1", "title": "Phụ lục"}
    )
    assert status == 201, body
    assert server.runner is not None
    await server.runner.app[INDEXER].settled()
    # The restricted paper's word is in the index: the person it names finds it (so the zero below is the rule).
    status, found = await (await server.client("daibieu.a")).get(f"/api/search?q={quote(SECRET_WORD)}")
    assert status == 200 and found["total"] == 1, found

    errors: list[str] = []
    context = await browser.new_context(viewport={"width": 800, "height": 1280}, locale="vi-VN", has_touch=True)
    context.set_default_timeout(TIMEOUT_MS)
    page = await context.new_page()
    watch_errors(page, errors)
    try:
        await login(page, server.url, "daibieu.b", PASSWORD)
        box = page.get_by_test_id("header-search")
        await expect(box).to_have_attribute("placeholder", "Tìm trong tài liệu, chương trình, biên bản…")
        await box.fill("nghi quyet")
        await box.press("Enter")
        await expect(page).to_have_url(re.compile(r"/search\?q=nghi%20quyet$"))
        count = page.get_by_test_id("find-count")
        await expect(count).to_have_attribute("data-total", "1")
        await expect(count).to_have_text("1 kết quả")
        hit = page.get_by_test_id("find-hit")
        await expect(hit).to_have_count(1)
        await expect(hit.locator("mark")).to_have_text(["Nghị quyết"])
        await expect(hit.get_by_test_id("find-hit-kind")).to_have_text("Tài liệu")
        await expect(hit.get_by_test_id("find-hit-title")).to_have_text("Báo cáo kinh tế - xã hội")
        await expect(hit.get_by_test_id("find-hit-where")).to_contain_text("Phiên họp thường kỳ tháng 11")
        await expect(hit.get_by_test_id("find-hit-where")).to_contain_text("trang 2")
        # the hit's row is a big touch target on the tablet
        height = await hit.get_by_test_id("find-hit-link").evaluate("el => el.getBoundingClientRect().height")
        assert height >= 44
        await page.screenshot(path=str(SCREENSHOTS / "search-tablet.png"))

        # A filter narrows it, in the address: no agenda item says it; back to every kind, it is there again.
        await page.get_by_test_id("find-kind").select_option("agenda")
        await expect(page).to_have_url(re.compile(r"kind=agenda"))
        await expect(count).to_have_attribute("data-total", "0")
        await expect(page.get_by_test_id("find-empty")).to_be_visible()
        await page.get_by_test_id("find-clear").click()
        await expect(count).to_have_attribute("data-total", "1")
        await page.get_by_test_id("find-meeting").select_option(meeting["id"])
        await expect(page).to_have_url(re.compile(rf"meeting={meeting['id']}"))
        await expect(count).to_have_attribute("data-total", "1")
        await expect(page.get_by_test_id("find-meeting")).to_have_value(meeting["id"])

        # The hit opens the reader at its page.
        await hit.get_by_test_id("find-hit-link").click()
        await expect(page).to_have_url(re.compile(rf"/meetings/{meeting['id']}/papers/{paper['id']}\?v=1&page=2$"))
        await expect(page.get_by_test_id("reader-page-number")).to_have_attribute("data-page", "2")
        await expect(page.get_by_test_id("reader-page-number")).to_have_attribute("data-total", "3")

        # Back to the results; the restricted paper's word: nothing, and the count says zero.
        await page.go_back()
        await expect(count).to_have_attribute("data-total", "1")
        await expect(box).to_have_value("nghi quyet")
        await box.fill(SECRET_WORD)
        await box.press("Enter")
        await expect(count).to_have_attribute("data-total", "0")
        await expect(count).to_have_text("0 kết quả")
        await expect(page.get_by_test_id("find-empty")).to_contain_text(SECRET_WORD)
        await expect(page.get_by_test_id("find-hit")).to_have_count(0)

        # Paging: 20 hits a page.
        await box.fill("hamyen")
        await box.press("Enter")
        await expect(count).to_have_text("21 kết quả")
        await expect(page.get_by_test_id("find-hit")).to_have_count(20)
        await expect(page.get_by_test_id("find-page-no")).to_have_text("Trang 1/2")
        await expect(page.get_by_test_id("find-prev")).to_have_count(0)
        await page.get_by_test_id("find-next").click()
        await expect(page).to_have_url(re.compile(r"q=hamyen&page=2$"))
        await expect(page.get_by_test_id("find-hit")).to_have_count(1)
        await expect(page.get_by_test_id("find-page-no")).to_have_text("Trang 2/2")
        await expect(page.get_by_test_id("find-next")).to_have_count(0)
        # English at one click, the same search.
        await page.get_by_test_id("lang-switch").click()
        await expect(count).to_have_text("21 results")
        await expect(page.get_by_test_id("find-page-no")).to_have_text("Page 2/2")
        await expect(box).to_have_attribute("placeholder", "Search papers, agendas, minutes…")
        await page.get_by_test_id("lang-switch").click()

        # A query the server refuses (no letters or digits): its sentence, in Vietnamese.
        await box.fill(",,,")
        await box.press("Enter")
        await expect(page.get_by_test_id("find-error")).to_contain_text("từ khóa tìm kiếm cần 1-200 ký tự")
        await expect(page.get_by_test_id("find-hit")).to_have_count(0)
    finally:
        await context.close()
    assert errors == []
