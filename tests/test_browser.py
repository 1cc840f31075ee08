"""The browser UI end to end, in a real Chromium: an administrator builds a meeting in the editor while a
delegate on a tablet watches it appear and change live, without reloading.

Needs /usr/bin/chromium (Debian's package) and the `playwright` Python package; never `playwright install`.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.browserkit import login, watch_errors  # the `browser` fixture comes from there too (conftest)

pytestmark = pytest.mark.browser

SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"

ADMIN_PASSWORD = "admin-pass-123"
DELEGATE_PASSWORD = "dai-bieu-mat-khau-2026"
TITLE = "Hội nghị trực tuyến triển khai nhiệm vụ năm 2027 tỉnh Tuyên Quang"
ITEM_1 = "Khai mạc hội nghị"
ITEM_1_RENAMED = "Khai mạc hội nghị, giới thiệu đại biểu dự tại các điểm cầu"
ITEM_2 = "Báo cáo tình hình thực hiện nhiệm vụ phát triển kinh tế - xã hội năm 2026"
ITEM_3 = "Thảo luận tại các điểm cầu xã, thị trấn"
LIVE_TIMEOUT_MS = 8_000  # pushed over socket.io (meetings:changed, meeting:event); the 60 s poll would miss this


async def test_admin_builds_meeting_and_delegate_follows_live(live_server, browser: Browser) -> None:
    base = live_server.url
    delegate = await live_server.create_user(
        "daibieu.hopthanh", "Nguyễn Thị Hồng Nhung", ["delegate"], password=DELEGATE_PASSWORD
    )
    errors: list[str] = []

    # The delegate signs in on a 10-inch tablet and waits on "Cuộc họp của tôi".
    tablet = await browser.new_context(viewport={"width": 1280, "height": 800}, has_touch=True, locale="vi-VN")
    d = await tablet.new_page()
    watch_errors(d, errors)
    await login(d, base, "daibieu.hopthanh", DELEGATE_PASSWORD)
    await expect(d.get_by_test_id("meetings-empty")).to_be_visible()
    await d.evaluate("window.__sameDocument = true")  # gone if the page reloads

    # The administrator builds the meeting in the editor on a desktop.
    desktop = await browser.new_context(viewport={"width": 1440, "height": 900}, locale="vi-VN")
    a = await desktop.new_page()
    watch_errors(a, errors)
    await login(a, base, "admin", ADMIN_PASSWORD)
    await a.get_by_test_id("new-meeting").click()
    await expect(a.get_by_test_id("editor-form")).to_be_visible()
    await a.get_by_test_id("editor-title").fill(TITLE)
    await a.get_by_test_id("editor-starts-at").fill("2030-11-26T08:00")
    await a.get_by_test_id("editor-ends-at").fill("2030-11-26T11:30")
    await expect(a.get_by_test_id("editor-starts-preview")).to_have_text("08:00, Thứ Ba 26/11/2030")
    await a.get_by_test_id("editor-location").fill("Hội trường UBND tỉnh Tuyên Quang")
    await a.locator(f'[data-testid="editor-invitees-option"][value="{delegate["id"]}"]').check()
    await a.get_by_test_id("editor-save").click()
    await expect(a).to_have_url(re.compile(r"/meetings/m_[A-Za-z0-9]+/edit$"))
    meeting_id = a.url.rstrip("/").split("/")[-2]

    async def add_item(title: str, minutes: str, presenter_id: str | None = None) -> None:
        count = await a.get_by_test_id("agenda-edit-item").count()
        await a.get_by_test_id("agenda-new-title").fill(title)
        if presenter_id:
            await a.get_by_test_id("agenda-new-presenter").select_option(presenter_id)
        await a.get_by_test_id("agenda-new-minutes").fill(minutes)
        await a.get_by_test_id("agenda-add").click()
        await expect(a.get_by_test_id("agenda-edit-item")).to_have_count(count + 1)

    await add_item(ITEM_1, "10")
    await add_item(ITEM_2, "30", presenter_id=delegate["id"])
    await a.get_by_test_id("action-schedule").click()
    await expect(a.get_by_test_id("editor-status")).to_have_attribute("data-status", "scheduled")

    # The scheduled meeting appears in the delegate's list by itself.
    item = d.locator(f'[data-testid="meeting-item"][data-meeting-id="{meeting_id}"]')
    await expect(item).to_be_visible(timeout=LIVE_TIMEOUT_MS)
    await expect(item.get_by_test_id("meeting-item-title")).to_have_text(TITLE)
    await expect(item.get_by_test_id("meeting-item-status")).to_have_text("Đã lên lịch")
    await expect(item.get_by_test_id("meeting-item-time")).to_have_text("08:00, Thứ Ba 26/11/2030 – 11:30")
    assert await d.evaluate("window.__sameDocument === true"), "the delegate's page reloaded"

    # The delegate opens it and reads the agenda.
    await item.get_by_test_id("meeting-link").click()
    await expect(d).to_have_url(f"{base}/meetings/{meeting_id}")
    title = d.get_by_test_id("meeting-title")
    await expect(title).to_have_text(TITLE)
    assert await title.text_content() == TITLE
    agenda = d.get_by_test_id("agenda-item-title")
    await expect(agenda).to_have_text([ITEM_1, ITEM_2])
    await expect(d.get_by_test_id("agenda-item").nth(1).get_by_test_id("agenda-item-presenter")).to_have_text(
        "Trình bày: Nguyễn Thị Hồng Nhung"
    )
    # The delegate sees no organiser controls, and can download the invitation (giấy mời).
    await expect(d.get_by_test_id("action-start")).to_have_count(0)
    async with d.expect_download() as download_info:
        await d.get_by_test_id("invitation-pdf").click()
    download = await download_info.value
    assert download.suggested_filename.endswith(".pdf"), download.suggested_filename

    # The administrator (still in the editor, so online in the meeting) shows in the delegate's presence list.
    presence = d.get_by_test_id("presence")
    await expect(presence.get_by_test_id("presence-name").filter(has_text="Quản trị hệ thống")).to_be_visible(
        timeout=LIVE_TIMEOUT_MS
    )
    await expect(presence.get_by_test_id("presence-title")).to_have_text("Đang trực tuyến (2)")

    # The administrator renames one item and adds another; the tablet follows without reloading.
    first_title = a.get_by_test_id("agenda-edit-title").first
    await first_title.fill(ITEM_1_RENAMED)
    await first_title.press("Enter")
    await add_item(ITEM_3, "45")
    await expect(agenda).to_have_text([ITEM_1_RENAMED, ITEM_2, ITEM_3], timeout=LIVE_TIMEOUT_MS)

    # ...and moves the new item up one place.
    await a.get_by_test_id("agenda-edit-item").nth(2).get_by_test_id("agenda-move-up").click()
    await expect(agenda).to_have_text([ITEM_1_RENAMED, ITEM_3, ITEM_2], timeout=LIVE_TIMEOUT_MS)
    assert await d.evaluate("window.__sameDocument === true"), "the delegate's page reloaded"

    # Vietnamese renders: the exact text, in the font stack that carries the diacritics.
    assert await d.evaluate("document.documentElement.lang") == "vi"
    assert await d.evaluate("""() => document.fonts.check('16px "Noto Sans"')""")
    family = await title.evaluate("el => getComputedStyle(el).fontFamily")
    assert family.startswith('"Noto Sans"'), family
    assert await d.get_by_test_id("meeting-status").text_content() == "Đã lên lịch"

    SCREENSHOTS.mkdir(parents=True, exist_ok=True)
    await d.screenshot(path=str(SCREENSHOTS / "delegate-meeting.png"))

    assert errors == [], errors
    await tablet.close()
    await desktop.close()
