"""The vote screens in Chromium: a delegate checks in and votes on a tablet while the chair's console shows the
quorum line, opens the vote, watches the turnout, closes it and sees the result."""

from __future__ import annotations

import re

from playwright.async_api import Browser, expect

from tests.browserkit import login, watch_errors
from tests.helpers import ADMIN_PASSWORD, PASSWORD, LiveServer, check_in_everyone, make_meeting, one_page_pdf


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


async def test_the_chair_prepares_a_secret_vote_on_the_console_and_the_display_shows_turnout_then_result(
    live_server: LiveServer, browser: Browser
) -> None:
    delegate = await live_server.create_user("daibieu.kin", "Lò Văn Kín", ["delegate"])
    site_id = await live_server.create_site("Hội trường UBND tỉnh")
    admin = await live_server.admin()
    status, issued = await admin.post(f"/api/sites/{site_id}/token")
    assert status == 200
    meeting = await make_meeting(admin, invitee_ids=[delegate["id"]], site_ids=[site_id], items=2)
    mid, second = meeting["id"], meeting["agenda"][1]
    paper = one_page_pdf("Du thao Nghi quyet")
    fields = {"title": "Dự thảo Nghị quyết nhân sự", "item_id": second["id"], "publish": "1"}
    status, uploaded = await admin.upload(f"/api/meetings/{mid}/papers", paper, "du-thao.pdf", fields)
    assert status == 201, uploaded
    await check_in_everyone(admin, mid, [delegate["id"]])
    status, _ = await admin.post(f"/api/meetings/{mid}/start")
    assert status == 200
    errors: list[str] = []
    chair_context = await browser.new_context(viewport={"width": 1440, "height": 900}, locale="vi-VN")
    tablet_context = await browser.new_context(viewport={"width": 800, "height": 1280}, locale="vi-VN")
    tv_context = await browser.new_context(viewport={"width": 1920, "height": 1080}, locale="vi-VN")
    try:
        chair = await chair_context.new_page()
        watch_errors(chair, errors)
        await login(chair, live_server.url, "admin", ADMIN_PASSWORD)
        await chair.goto(f"{live_server.url}/meetings/{mid}/console")
        await chair.get_by_test_id("vote-new").click()
        form = chair.get_by_test_id("vote-form")
        await form.get_by_test_id("vote-form-question").fill("Bầu Phó Chủ tịch")
        await form.get_by_test_id("vote-form-item").select_option(second["id"])
        await form.get_by_test_id("vote-form-paper").select_option(uploaded["paper"]["id"])
        await form.get_by_test_id("vote-form-kind").select_option("options")
        await form.get_by_test_id("vote-form-options").fill("Hoàng Văn Nam\nĐinh Thị Hoa")
        await form.get_by_test_id("vote-form-secret").check()
        await expect(form.get_by_test_id("vote-form-changeable")).to_be_hidden()  # a secret ballot is not changed
        await form.get_by_test_id("vote-form-rule").select_option("at_least_two_thirds")
        await form.get_by_test_id("vote-form-save").click()
        await expect(form.get_by_test_id("vote-form-error")).to_be_hidden()
        await expect(chair.get_by_test_id("vote-form")).to_have_count(0)
        row = chair.locator(".vote-row[data-status=draft]")
        await expect(row.get_by_test_id("vote-row-question")).to_have_text("Bầu Phó Chủ tịch")
        # A draft is edited: the question reworded.
        await row.get_by_test_id("vote-edit").click()
        await chair.get_by_test_id("vote-form-question").fill("Bầu Phó Chủ tịch UBND tỉnh")
        await chair.get_by_test_id("vote-form-save").click()
        await expect(chair.get_by_test_id("vote-form")).to_have_count(0)
        await expect(row.get_by_test_id("vote-row-question")).to_have_text("Bầu Phó Chủ tịch UBND tỉnh")
        status, listed = await admin.get(f"/api/meetings/{mid}/votes")
        vote = listed["votes"][0]
        assert (vote["item_id"], vote["paper_id"], vote["secret"], vote["kind"]) == (
            second["id"],
            uploaded["paper"]["id"],
            True,
            "options",
        )
        assert [c["label"] for c in vote["choices"]] == ["Hoàng Văn Nam", "Đinh Thị Hoa"]
        assert (vote["rule"], vote["duration_s"], vote["changeable"]) == ("at_least_two_thirds", None, False)

        tv = await tv_context.new_page()
        watch_errors(tv, errors)
        await tv.goto(f"{live_server.url}/meetings/{mid}/display#token={issued['token']}")
        await expect(tv.get_by_test_id("display-page")).to_have_attribute("data-state", "meeting")
        tablet = await tablet_context.new_page()
        watch_errors(tablet, errors)
        await login(tablet, live_server.url, "daibieu.kin", PASSWORD)
        await tablet.goto(f"{live_server.url}/meetings/{mid}")
        await expect(tablet.get_by_test_id("meeting-title")).to_be_visible()

        reads: list[str] = []  # the tablet's and the display's reads of the vote list from the open on
        for screen in (tablet, tv):
            screen.on("request", lambda r: reads.append(r.url) if r.method == "GET" and "/votes" in r.url else None)
        await row.get_by_test_id("vote-open").click()
        await expect(tv.get_by_test_id("display-vote-question")).to_have_text("Bầu Phó Chủ tịch UBND tỉnh")
        await expect(tv.get_by_test_id("display-vote-turnout")).to_have_text("Đã biểu quyết 0/1")
        await expect(tablet.get_by_test_id("vote-secret")).to_have_text("Bỏ phiếu kín")
        await tablet.get_by_test_id("vote-choice-o1").click()
        await expect(tablet.get_by_test_id("vote-done")).to_have_text("Đã ghi nhận phiếu của bạn")
        await expect(tv.get_by_test_id("display-vote-turnout")).to_have_text("Đã biểu quyết 1/1")
        await expect(chair.get_by_test_id("vote-turnout")).to_have_text("Đã biểu quyết 1/1")
        await expect(tv.get_by_test_id("vote-count-o1")).to_have_count(0)  # no count before the close

        await chair.get_by_test_id("vote-close").click()
        await expect(tv.get_by_test_id("display-vote")).to_have_attribute("data-status", "closed")
        await expect(tv.get_by_test_id("vote-count-o1")).to_contain_text("1 phiếu (100")
        await expect(tv.get_by_test_id("vote-passed")).to_have_text("Thông qua")
        await expect(tablet.get_by_test_id("vote-passed")).to_have_text("Thông qua")
        assert reads == []  # the open and the close came with the vote: no screen asked for the list
        assert errors == []
    finally:
        await chair_context.close()
        await tablet_context.close()
        await tv_context.close()
