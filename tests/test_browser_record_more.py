"""More of the record's page in Chromium: the opening/closing parts and "Nơi nhận" edited on the page; two tabs of
one secretary typing offline into different texts, each tab's text kept and adopted by the other; the chair's
"Trả lại thư ký" with the comment the secretary sees; "Lập bản đính chính" (new version, new number, "Thay thế
Biên bản số 01/…" printed); the conflict's "Tự gộp" and "Lấy bản kia"; facts that follow a speech and a vote live."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Browser, Locator, expect

from meeting_server.storage import record as record_store
from tests.browserkit import signed_in_desktop
from tests.helpers import ADMIN_PASSWORD, PASSWORD, LiveServer, wait_for
from tests.test_api_record import _pdf_text
from tests.test_browser_record import conclusion, open_minutes, record_meeting, server_text


async def test_opening_closing_and_recipients_are_edited_on_the_page(live_server: LiveServer, browser: Browser) -> None:
    meeting = await record_meeting(live_server)
    errors: list[str] = []
    context, page = await signed_in_desktop(browser, live_server.url, "thuky.hoa", PASSWORD, errors, 8000)
    try:
        doc = await open_minutes(page, live_server.url, meeting["id"])
        opening = page.locator('[data-testid="editor-discussion"][data-item-id="opening"]')
        await expect(opening.get_by_test_id("editor-discussion-area")).to_contain_text(
            "Nguyễn Văn Nam chủ trì cuộc họp, nêu mục đích, yêu cầu"
        )
        await expect(page.get_by_test_id("record-part-opening").get_by_test_id("record-part-default")).to_be_visible()
        closing = page.locator('[data-testid="editor-discussion"][data-item-id="closing"]')
        await closing.get_by_test_id("editor-discussion-area").click()
        await page.keyboard.type("Biên bản đã được đọc lại trước cuộc họp.")
        await expect(page.get_by_test_id("autosave-status")).to_have_text(re.compile(r"^Đã lưu lúc"))
        api = await live_server.client("thuky.hoa")

        async def closing_saved() -> bool:
            return (
                await server_text(api, doc, "closing", "discussion")
                == "<p>Biên bản đã được đọc lại trước cuộc họp.</p>"
            )

        await wait_for(closing_saved)
        recipients = page.get_by_test_id("record-recipients-input")
        await expect(recipients).to_have_value("Chủ tọa cuộc họp\nCác thành viên dự họp")
        await recipients.fill("Sở Tài chính\n\nUBND xã Tân Trào")
        await page.get_by_test_id("record-recipients-save").click()
        await expect(page.get_by_test_id("record-recipients-default")).to_be_visible()
        status, body = await api.get(f"/api/record/{doc}")
        assert status == 200 and body["recipients"] == ["Sở Tài chính", "UBND xã Tân Trào"], body
        await expect(recipients).to_have_value("Sở Tài chính\nUBND xã Tân Trào")
        assert errors == []
    finally:
        await context.close()


async def test_two_tabs_of_one_secretary_keep_and_adopt_each_other_s_text(
    live_server: LiveServer, browser: Browser
) -> None:
    """Both tabs offline, each typing into its own text: neither overwrites the other's unsent text in the
    outbox (both tabs closed, a new one sends both), and each tab shows the text the other typed."""
    meeting = await record_meeting(live_server)
    first, second = (i["id"] for i in meeting["agenda"][:2])
    errors: list[str] = []
    context, a = await signed_in_desktop(browser, live_server.url, "thuky.hoa", PASSWORD, errors, 8000)
    try:
        doc = await open_minutes(a, live_server.url, meeting["id"])
        b = await context.new_page()
        await open_minutes(b, live_server.url, meeting["id"])
        await context.set_offline(True)
        await conclusion(a, first).click()
        await a.keyboard.type("Tab một")
        await expect(conclusion(b, first)).to_have_text("Tab một")  # adopted through the storage event
        await conclusion(b, second).click()
        await b.keyboard.type("Tab hai")
        await expect(conclusion(a, second)).to_have_text("Tab hai")
        await conclusion(a, first).click()
        await a.keyboard.type(" tiếp")
        await expect(conclusion(b, first)).to_have_text("Tab một tiếp")
        await a.close()
        await b.close()
        await context.set_offline(False)
        c = await context.new_page()
        await c.goto(f"{live_server.url}/meetings/{meeting['id']}/record")
        await expect(c.get_by_test_id("autosave-status")).to_have_text(re.compile(r"^Đã lưu lúc"))
        api = await live_server.client("thuky.hoa")

        async def both_saved() -> bool:
            return (
                await server_text(api, doc, first, "conclusion"),
                await server_text(api, doc, second, "conclusion"),
            ) == (
                "<p>Tab một tiếp</p>",
                "<p>Tab hai</p>",
            )

        await wait_for(both_saved)
        assert errors == []
    finally:
        await context.close()


async def test_returned_to_the_secretary_then_approved_signed_and_corrected(
    live_server: LiveServer, browser: Browser, tmp_path: Path
) -> None:
    meeting = await record_meeting(live_server)
    item = meeting["agenda"][0]["id"]
    admin = await live_server.admin()
    for step in ("start", "end"):
        assert (await admin.post(f"/api/meetings/{meeting['id']}/{step}"))[0] == 200
    errors: list[str] = []
    s_ctx, sec = await signed_in_desktop(browser, live_server.url, "thuky.hoa", PASSWORD, errors, 8000)
    c_ctx, chair = await signed_in_desktop(browser, live_server.url, "chutich.nam", PASSWORD, errors, 8000)
    try:
        doc = await open_minutes(sec, live_server.url, meeting["id"])
        await conclusion(sec, item).click()
        await sec.keyboard.type("Thống nhất.")
        await expect(sec.get_by_test_id("autosave-status")).to_have_text(re.compile(r"^Đã lưu lúc"))
        await sec.get_by_test_id("record-submit").click()
        await chair.goto(f"{live_server.url}/meetings/{meeting['id']}/record")
        await expect(chair.get_by_test_id("record-status")).to_have_attribute("data-status", "in_review")
        await chair.get_by_test_id("record-return").click()
        await chair.get_by_test_id("dialog-field-comment").fill("Bổ sung ý kiến của Sở Tài chính")
        await chair.get_by_test_id("dialog-confirm").click()
        await expect(chair.get_by_test_id("record-status")).to_have_attribute("data-status", "draft")
        # the secretary's open page hears it: back to draft, the chair's comment shown
        await expect(sec.get_by_test_id("record-status")).to_have_attribute("data-status", "draft")
        await expect(sec.get_by_test_id("record-return-comment")).to_contain_text("Bổ sung ý kiến của Sở Tài chính")
        await sec.get_by_test_id("record-submit").click()
        await expect(chair.get_by_test_id("record-status")).to_have_attribute("data-status", "in_review")
        await chair.get_by_test_id("record-approve").click()
        await chair.get_by_test_id("dialog-confirm").click()
        await expect(chair.get_by_test_id("record-number")).to_have_text(re.compile(r"^Số: 01/BB-\S+$"))
        first_number = (await chair.get_by_test_id("record-number").inner_text()).removeprefix("Số: ")

        # signed by both slots (the signing phase's door), the document is issued and can be corrected
        services = live_server.services
        assert services is not None
        for slot in ("secretary", "chair"):
            async with services.db.write() as session:
                await record_store.record_signature(session, doc, slot, b"%PDF-1.7 signed")
        await sec.reload()
        await expect(sec.get_by_test_id("record-status")).to_have_attribute("data-status", "issued")
        await sec.get_by_test_id("record-correct").click()
        await sec.get_by_test_id("dialog-field-reason").fill("Sai tên người phát biểu")
        await sec.get_by_test_id("dialog-confirm").click()
        await expect(sec.get_by_test_id("record-version")).to_contain_text("2")
        await expect(sec.get_by_test_id("record-status")).to_have_attribute("data-status", "draft")
        await expect(sec.get_by_test_id("record-replaces")).to_contain_text("Sai tên người phát biểu")
        await expect(conclusion(sec, item)).to_have_text("Thống nhất.")  # the texts are copied
        await sec.get_by_test_id("record-submit").click()
        await chair.reload()
        await expect(chair.get_by_test_id("record-status")).to_have_attribute("data-status", "in_review")
        await chair.get_by_test_id("record-approve").click()
        await chair.get_by_test_id("dialog-confirm").click()
        await expect(chair.get_by_test_id("record-number")).to_have_text(re.compile(r"^Số: 02/BB-\S+$"))
        await expect(sec.get_by_test_id("record-number")).to_have_text(re.compile(r"^Số: 02/BB-\S+$"))
        href = await sec.get_by_test_id("record-pdf").get_attribute("href")
        answer = await sec.request.get(f"{live_server.url}{href}")
        assert answer.status == 200
        words = " ".join(_pdf_text(await answer.body(), tmp_path).split())
        assert f"Thay thế Biên bản số {first_number}" in words, words[:800]
        assert errors == []
    finally:
        await s_ctx.close()
        await c_ctx.close()


async def test_the_conflict_merged_by_hand_then_the_other_text_taken(live_server: LiveServer, browser: Browser) -> None:
    meeting = await record_meeting(live_server)
    item = meeting["agenda"][1]["id"]
    errors: list[str] = []
    a_ctx, a = await signed_in_desktop(browser, live_server.url, "thuky.hoa", PASSWORD, errors, 8000)
    b_ctx, b = await signed_in_desktop(browser, live_server.url, "admin", ADMIN_PASSWORD, errors, 8000)
    api = await live_server.client("thuky.hoa")
    try:
        doc = await open_minutes(a, live_server.url, meeting["id"])
        await open_minutes(b, live_server.url, meeting["id"])

        async def clash(mine: str, theirs: str) -> Locator:
            """B types offline, A saves meanwhile, B comes back on a stale revision: the dialog."""
            await b_ctx.set_offline(True)
            await conclusion(b, item).click()
            await b.keyboard.press("Control+a")
            await b.keyboard.type(mine)
            await conclusion(a, item).click()
            await a.keyboard.press("Control+a")
            await a.keyboard.type(theirs)
            await expect(a.get_by_test_id("autosave-status")).to_have_text(re.compile(r"^Đã lưu lúc"))

            async def a_saved() -> bool:
                return await server_text(api, doc, item, "conclusion") == f"<p>{theirs}</p>"

            await wait_for(a_saved)
            await a.get_by_test_id("page-title").click()  # out of the editor: it takes newer texts in place
            await b_ctx.set_offline(False)
            dialog = b.get_by_test_id("conflict-dialog")
            await expect(dialog).to_be_visible()
            return dialog

        dialog = await clash("Ý của quản trị", "Ý của thư ký")
        await dialog.get_by_test_id("conflict-merge").click()  # "Tự gộp": both texts in one editor
        merged = dialog.get_by_test_id("conflict-merged-area")
        await expect(merged).to_contain_text("Ý của quản trị")
        await expect(merged).to_contain_text("Ý của thư ký")
        await merged.click()
        await b.keyboard.press("Control+End")
        await b.keyboard.type(" (đã gộp)")
        await dialog.get_by_test_id("conflict-merge-save").click()
        await expect(dialog).to_be_hidden()

        async def merged_saved() -> bool:
            return (
                await server_text(api, doc, item, "conclusion") == "<p>Ý của quản trị</p><p>Ý của thư ký (đã gộp)</p>"
            )

        await wait_for(merged_saved)
        await expect(conclusion(a, item)).to_contain_text("(đã gộp)")  # A hears the merge

        dialog = await clash("Bỏ đi", "Bản cuối của thư ký")
        await dialog.get_by_test_id("conflict-take-theirs").click()  # "Lấy bản kia": B's text is dropped
        await expect(dialog).to_be_hidden()
        await expect(conclusion(b, item)).to_have_text("Bản cuối của thư ký")
        await expect(b.get_by_test_id("autosave-status")).to_have_attribute("data-pending", "0")
        assert await server_text(api, doc, item, "conclusion") == "<p>Bản cuối của thư ký</p>"
        assert errors == []
    finally:
        await a_ctx.close()
        await b_ctx.close()


async def test_facts_follow_a_speech_and_a_vote_while_the_page_is_open(
    live_server: LiveServer, browser: Browser
) -> None:
    meeting = await record_meeting(live_server)
    mid, item = meeting["id"], meeting["agenda"][0]["id"]
    admin = await live_server.admin()
    assert (await admin.post(f"/api/meetings/{mid}/start"))[0] == 200
    assert (await admin.post(f"/api/meetings/{mid}/agenda/current", {"item_id": item}))[0] == 200
    errors: list[str] = []
    context, page = await signed_in_desktop(browser, live_server.url, "thuky.hoa", PASSWORD, errors, 8000)
    try:
        await open_minutes(page, live_server.url, mid)
        facts = page.locator(f'[data-testid="record-facts"][data-item-id="{item}"]')
        await expect(facts.get_by_test_id("facts-times")).to_be_visible()
        await expect(facts.get_by_test_id("facts-speech")).to_have_count(0)
        user = meeting.get("chair_id") or ""
        status, added = await admin.post(
            f"/api/meetings/{mid}/floor/queue", {"speaker": f"user:{user}", "item_id": item}
        )
        assert status == 201, added
        assert (await admin.post(f"/api/meetings/{mid}/floor/requests/{added['request_id']}/give"))[0] == 200
        assert (await admin.post(f"/api/meetings/{mid}/floor/end"))[0] == 200
        await expect(facts.get_by_test_id("facts-speech")).to_have_count(1)
        await expect(facts.get_by_test_id("facts-speech")).to_contain_text("Nguyễn Văn Nam")
        status, vote = await admin.post(
            f"/api/meetings/{mid}/votes", {"item_id": item, "question": "Thông qua tờ trình"}
        )
        assert status == 201, vote
        base = f"/api/meetings/{mid}/votes/{vote['vote']['id']}"
        assert (await admin.post(f"{base}/open"))[0] == 200
        await expect(facts.get_by_test_id("facts-vote")).to_have_count(0)  # open: not a fact yet
        assert (await admin.post(f"{base}/close"))[0] == 200
        await expect(facts.get_by_test_id("facts-vote")).to_contain_text("Thông qua tờ trình")
        assert errors == []
    finally:
        await context.close()
