"""The vote screens in Chromium: a delegate checks in and votes on a tablet while the chair's console shows the
quorum line, opens the vote, watches the turnout, closes it and sees the result."""

from __future__ import annotations

import re

from playwright.async_api import Browser, expect

from tests.browserkit import login, watch_errors
from tests.helpers import ADMIN_PASSWORD, PASSWORD, LiveServer, make_meeting


async def test_a_delegate_votes_on_the_tablet_and_sees_the_result(live_server: LiveServer, browser: Browser) -> None:
    delegate = await live_server.create_user("daibieu.vote", "Trần Thị Biểu Quyết", ["delegate"])
    admin = await live_server.admin()
    meeting = await make_meeting(admin, invitee_ids=[delegate["id"]], items=1)
    votes = f"/api/meetings/{meeting['id']}/votes"
    status, made = await admin.post(
        votes, {"item_id": meeting["agenda"][0]["id"], "question": "Thông qua Nghị quyết số 12"}
    )
    assert status == 201
    base = f"{votes}/{made['vote']['id']}"
    errors: list[str] = []
    context = await browser.new_context(viewport={"width": 800, "height": 1280}, locale="vi-VN")
    chair_context = await browser.new_context(viewport={"width": 1440, "height": 900}, locale="vi-VN")
    try:
        page = await context.new_page()
        watch_errors(page, errors)
        await login(page, live_server.url, "daibieu.vote", PASSWORD)
        await page.goto(f"{live_server.url}/meetings/{meeting['id']}")
        await expect(page.get_by_test_id("meeting-title")).to_be_visible()
        await expect(page.get_by_test_id("vote-me")).to_be_hidden()  # a draft is not shown to the delegate
        # The delegate checks in with the big button; the quorum line follows on their page.
        await page.get_by_test_id("attendance-check-in").click()
        checked_in = re.compile(r"^Đã điểm danh lúc \d\d:\d\d · tại hội trường$")
        await expect(page.get_by_test_id("attendance-me-state")).to_have_text(checked_in)
        await expect(page.get_by_test_id("meeting-quorum")).to_have_text("Có mặt 1/1 · đủ điều kiện tiến hành")

        status, _ = await admin.post(f"/api/meetings/{meeting['id']}/start")
        assert status == 200
        chair = await chair_context.new_page()
        watch_errors(chair, errors)
        await login(chair, live_server.url, "admin", ADMIN_PASSWORD)
        await chair.goto(f"{live_server.url}/meetings/{meeting['id']}/console")
        await expect(chair.get_by_test_id("console-quorum")).to_have_text("Có mặt 1/1 · đủ điều kiện tiến hành")
        attendance_page = f"/meetings/{meeting['id']}/attendance"  # the desk's list, one press from the console
        await expect(chair.get_by_test_id("console-attendance")).to_have_attribute("href", attendance_page)
        await chair.get_by_test_id("vote-open").click()
        await expect(chair.get_by_test_id("vote-turnout")).to_have_text("Đã biểu quyết 0/1")
        await expect(page.get_by_test_id("vote-question")).to_have_text("Thông qua Nghị quyết số 12")
        yes = page.get_by_test_id("vote-choice-yes")
        await expect(yes).to_have_text("Đồng ý")
        box = await yes.bounding_box()
        assert box is not None and box["height"] >= 56  # a big touch target
        await yes.click()
        await expect(page.get_by_test_id("vote-done")).to_be_visible()  # the text is there, hidden, before
        await expect(page.get_by_test_id("vote-done")).to_have_text("Đã ghi nhận phiếu của bạn")
        await expect(page.get_by_test_id("vote-error")).to_be_hidden()
        await expect(chair.get_by_test_id("vote-turnout")).to_have_text("Đã biểu quyết 1/1")

        await chair.get_by_test_id("vote-close").click()
        await expect(chair.get_by_test_id("vote-passed")).to_have_text("Thông qua")
        await expect(chair.get_by_test_id("vote-sheet-pdf")).to_have_attribute("href", f"{base}/result?format=pdf")
        await expect(page.get_by_test_id("vote-me")).to_have_attribute("data-status", "closed")
        await expect(page.get_by_test_id("vote-passed")).to_have_text("Thông qua")
        await expect(page.get_by_test_id("vote-count-yes")).to_contain_text("1 phiếu (100")
        assert errors == []
    finally:
        await context.close()
        await chair_context.close()
