"""The record's pages in Chromium: the secretary's rich-text editor (paste reduced to the allowed tags, nothing
saved in the middle of a Vietnamese IME composition), the secretary writing an item's conclusion through a dropped
connection with nothing lost, a conflict between two browsers shown side by side, and the review: sent to the
chair, commented, approved, numbered, in the register."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, expect

from tests.browserkit import signed_in_desktop
from tests.helpers import ADMIN_PASSWORD, PASSWORD, ApiClient, LiveServer, make_meeting, wait_for

SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"

EDITOR_JS = """async () => {
  const { RichText } = await import('/static/app/richtext.js');
  const changes = [];
  const editor = new RichText({ label: 'Kết luận', testid: 'probe', onChange: (html) => changes.push(html) });
  document.body.prepend(editor.el);
  window.__probe = { editor, changes };
}"""


async def editor_page(browser: Browser, live_server: LiveServer, errors: list[str]) -> tuple[Any, Page]:
    context, page = await signed_in_desktop(browser, live_server.url, "admin", ADMIN_PASSWORD, errors, 5000)
    await page.evaluate(EDITOR_JS)
    return context, page


async def test_paste_keeps_only_the_allowed_tags_without_attributes(live_server: LiveServer, browser: Browser) -> None:
    errors: list[str] = []
    context, page = await editor_page(browser, live_server, errors)
    try:
        area = page.get_by_test_id("probe-area")
        await area.click()
        pasted = (
            '<div style="color:red" class="x"><b>Đồng ý</b> chủ trương <i onclick="alert(1)">đầu tư</i>'
            '<script>alert(2)</script><span style="font-size:30px">xây dựng</span></div>'
            '<h2>Giao</h2><ul><li data-x="1"><a href="http://x">Sở Tài chính</a></li></ul>'
            '<img src="x" onerror="alert(3)"><table><tr><td>ô</td></tr></table>'
        )
        await page.evaluate(
            """(html) => {
              const data = new DataTransfer();
              data.setData('text/html', html);
              data.setData('text/plain', 'plain');
              document.querySelector('[data-testid="probe-area"]').dispatchEvent(
                new ClipboardEvent('paste', { clipboardData: data, bubbles: true, cancelable: true }));
            }""",
            pasted,
        )
        html = await page.evaluate("window.__probe.editor.html()")
        assert html == (
            "<p><strong>Đồng ý</strong> chủ trương <em>đầu tư</em>xây dựng</p><p>Giao</p>"
            "<ul><li>Sở Tài chính</li></ul><p>ô</p>"
        ), html
        assert await page.evaluate("window.__probe.changes.length") == 1
        # The toolbar and the shortcut make the allowed tags and nothing else.
        await page.keyboard.press("End")
        await page.keyboard.press("Control+End")
        await page.keyboard.press("Control+b")
        await page.keyboard.type("ngay")
        html = await page.evaluate("window.__probe.editor.html()")
        assert html.endswith("<p>ô<strong>ngay</strong></p>"), html
        assert "<b>" not in html and "style" not in html
        assert errors == []
    finally:
        await context.close()


async def test_nothing_is_reported_in_the_middle_of_an_ime_composition(
    live_server: LiveServer, browser: Browser
) -> None:
    """Telex "ees" → "ế" composes in steps through the OS's input method: a save mid-syllable would send "e"."""
    errors: list[str] = []
    context, page = await editor_page(browser, live_server, errors)
    try:
        await page.get_by_test_id("probe-area").click()
        await page.keyboard.type("Thống nh")
        before = await page.evaluate("window.__probe.changes.length")
        cdp = await context.new_cdp_session(page)
        for step in ("a", "aá", "ấ"):  # what a Telex IME shows while "as" + "a" compose
            await cdp.send("Input.imeSetComposition", {"text": step, "selectionStart": 1, "selectionEnd": 1})
        assert await page.evaluate("window.__probe.changes.length") == before
        await cdp.send("Input.insertText", {"text": "ất"})
        await page.wait_for_function(f"window.__probe.changes.length > {before}")
        last = await page.evaluate("window.__probe.changes[window.__probe.changes.length - 1]")
        assert last == "<p>Thống nhất</p>", last
        assert errors == []
    finally:
        await context.close()


# ------------------------------------------------------------------ with the record's server


async def record_meeting(live_server: LiveServer) -> dict[str, Any]:
    """A scheduled meeting of two items, organised by the administrator, with its secretary and chair."""
    secretary = await live_server.create_user("thuky.hoa", "Trần Thị Hoa", ["secretary"])
    chair = await live_server.create_user("chutich.nam", "Nguyễn Văn Nam", ["chair"])
    admin = await live_server.admin()
    title = "Họp Ủy ban nhân dân tỉnh tháng 01"
    return await make_meeting(admin, title=title, chair_id=chair["id"], secretary_id=secretary["id"], items=2)


async def server_text(api: ApiClient, doc_id: str, item_id: str, field: str) -> str:
    status, body = await api.get(f"/api/record/{doc_id}")
    assert status == 200, body
    texts = [x for x in body["texts"] if x["part"] == item_id and x["field"] == field]
    return str(texts[0]["html"]) if texts else ""


async def open_minutes(page: Page, base_url: str, meeting_id: str) -> str:
    """Opens the secretary's page, starts the minutes if none exist, and answers the document's id."""
    await page.goto(f"{base_url}/meetings/{meeting_id}/record")
    create = page.get_by_test_id("record-create")
    status = page.get_by_test_id("record-status")
    await expect(create.or_(status)).to_be_visible()
    if await create.is_visible():
        await create.click()
    await expect(status).to_have_attribute("data-status", "draft")
    return await shown_document(page)


async def shown_document(page: Page) -> str:
    """The id of the document the page shows (from its PDF link)."""
    return str(await page.get_by_test_id("record-pdf").get_attribute("href")).split("/api/record/")[1].split("/")[0]


def conclusion(page: Page, item_id: str) -> Any:
    editor = page.locator(f'[data-testid="editor-conclusion"][data-item-id="{item_id}"]')
    return editor.get_by_test_id("editor-conclusion-area")


async def test_the_secretary_writes_through_a_dropped_connection(live_server: LiveServer, browser: Browser) -> None:
    meeting = await record_meeting(live_server)
    item = meeting["agenda"][0]["id"]
    errors: list[str] = []
    context, page = await signed_in_desktop(browser, live_server.url, "thuky.hoa", PASSWORD, errors, 8000)
    try:
        doc = await open_minutes(page, live_server.url, meeting["id"])
        status = page.get_by_test_id("autosave-status")
        editor = conclusion(page, item)
        await editor.click()
        await page.keyboard.type("Thống nhất chủ trương")
        await expect(status).to_have_text(re.compile(r"^Đã lưu lúc \d\d:\d\d$"))

        # The connection drops. `set_offline` alone fails the page's requests and fires `offline`, but Chromium
        # may keep an established WebSocket open through it; stopping the server closes the socket and refuses
        # every request by any path. Both together: nothing can reach the server until it is back.
        await context.set_offline(True)
        await live_server.stop()
        await expect(page.get_by_test_id("connection-status")).not_to_have_attribute("data-state", "online")
        await page.keyboard.type(" đầu tư xây dựng")
        await page.keyboard.press("Enter")
        await page.keyboard.type("Giao Sở Tài chính chủ trì.")
        await expect(status).to_have_text(re.compile(r"^Mất kết nối — \d+ thay đổi chưa lưu, sẽ gửi khi có mạng$"))
        await page.screenshot(path=str(SCREENSHOTS / "record-offline.png"))

        await live_server.start(migrate=False)
        await context.set_offline(False)
        await expect(status).to_have_text(re.compile(r"^Đã lưu lúc \d\d:\d\d$"))
        api = await live_server.client("thuky.hoa")  # the first client's session went with the stopped server
        want = "<p>Thống nhất chủ trương đầu tư xây dựng</p><p>Giao Sở Tài chính chủ trì.</p>"

        async def on_server() -> bool:
            return await server_text(api, doc, item, "conclusion") == want

        await wait_for(on_server)
        assert errors == []
    finally:
        await context.close()


async def test_a_conflict_between_two_browsers_shows_both_texts(live_server: LiveServer, browser: Browser) -> None:
    meeting = await record_meeting(live_server)
    item = meeting["agenda"][1]["id"]
    errors: list[str] = []
    a_ctx, a = await signed_in_desktop(browser, live_server.url, "thuky.hoa", PASSWORD, errors, 8000)
    b_ctx, b = await signed_in_desktop(browser, live_server.url, "admin", ADMIN_PASSWORD, errors, 8000)
    try:
        doc = await open_minutes(a, live_server.url, meeting["id"])
        await open_minutes(b, live_server.url, meeting["id"])
        # B goes offline with a text typed; A saves meanwhile; B comes back on a stale revision.
        await b_ctx.set_offline(True)
        await conclusion(b, item).click()
        await b.keyboard.type("Bản của quản trị")
        await conclusion(a, item).click()
        await a.keyboard.type("Bản của thư ký")
        await expect(a.get_by_test_id("autosave-status")).to_have_text(re.compile(r"^Đã lưu lúc"))
        await b_ctx.set_offline(False)
        dialog = b.get_by_test_id("conflict-dialog")
        await expect(dialog).to_be_visible()
        await expect(dialog.get_by_test_id("conflict-mine-area")).to_have_text("Bản của quản trị")
        await expect(dialog.get_by_test_id("conflict-theirs-area")).to_have_text("Bản của thư ký")
        await expect(dialog.get_by_test_id("conflict-theirs-title")).to_contain_text("Trần Thị Hoa")
        await b.screenshot(path=str(SCREENSHOTS / "record-conflict.png"))
        api = await live_server.client("thuky.hoa")
        assert await server_text(api, doc, item, "conclusion") == "<p>Bản của thư ký</p>"  # nothing overwritten
        await dialog.get_by_test_id("conflict-keep-mine").click()

        async def kept() -> bool:
            return await server_text(api, doc, item, "conclusion") == "<p>Bản của quản trị</p>"

        await wait_for(kept)
        assert errors == []
    finally:
        await a_ctx.close()
        await b_ctx.close()


async def test_the_chair_comments_and_approves_and_the_page_shows_the_number(
    live_server: LiveServer, browser: Browser
) -> None:
    meeting = await record_meeting(live_server)
    item = meeting["agenda"][0]["id"]
    admin = await live_server.admin()
    for step in ("start", "end"):  # the minutes are approved once the meeting has ended
        status, body = await admin.post(f"/api/meetings/{meeting['id']}/{step}")
        assert status == 200, body
    errors: list[str] = []
    s_ctx, sec = await signed_in_desktop(browser, live_server.url, "thuky.hoa", PASSWORD, errors, 8000)
    c_ctx, chair = await signed_in_desktop(browser, live_server.url, "chutich.nam", PASSWORD, errors, 8000)
    try:
        await open_minutes(sec, live_server.url, meeting["id"])
        await conclusion(sec, item).click()
        await sec.keyboard.type("Thống nhất thông qua.")
        await expect(sec.get_by_test_id("autosave-status")).to_have_text(re.compile(r"^Đã lưu lúc"))
        await sec.screenshot(path=str(SCREENSHOTS / "record-secretary.png"))
        await sec.get_by_test_id("record-submit").click()
        await expect(sec.get_by_test_id("record-status")).to_have_attribute("data-status", "in_review")

        await chair.goto(f"{live_server.url}/meetings/{meeting['id']}/record")
        await expect(chair.get_by_test_id("record-status")).to_have_attribute("data-status", "in_review")
        await expect(conclusion(chair, item)).to_have_text("Thống nhất thông qua.")
        first = chair.locator(f'[data-testid="record-item"][data-item-id="{item}"]')
        await first.get_by_test_id("record-comment").click()
        await chair.get_by_test_id("dialog-field-text").fill("Bổ sung thời hạn hoàn thành")
        await chair.get_by_test_id("dialog-confirm").click()
        await expect(first.get_by_test_id("record-comment-text")).to_contain_text("Bổ sung thời hạn hoàn thành")
        await expect(
            sec.locator(f'[data-testid="record-item"][data-item-id="{item}"]').get_by_test_id("record-comment-text")
        ).to_contain_text("Bổ sung thời hạn hoàn thành")
        await chair.get_by_test_id("record-approve").click()
        await chair.get_by_test_id("dialog-confirm").click()
        number = chair.get_by_test_id("record-number")
        await expect(number).to_contain_text(re.compile(r"01/BB-"))
        await expect(conclusion(chair, item)).to_have_attribute("contenteditable", "false")
        await expect(chair.get_by_test_id("signature-slot")).to_have_count(2)
        await expect(chair.get_by_test_id("record-sign-actions")).to_be_attached()
        await expect(sec.get_by_test_id("record-number")).to_contain_text(re.compile(r"01/BB-"))
        await chair.screenshot(path=str(SCREENSHOTS / "record-approved.png"))
        for link, kind in (("record-pdf", "application/pdf"), ("record-docx", "wordprocessingml")):
            href = await chair.get_by_test_id(link).get_attribute("href")
            answer = await chair.request.get(f"{live_server.url}{href}")
            assert answer.status == 200 and kind in answer.headers["content-type"], (link, answer.status)

        # The thông báo kết luận from the minutes: its own draft, the conclusions only, saved the same way.
        await sec.get_by_test_id("record-create-conclusion").click()
        await expect(sec.get_by_test_id("record-tab-thong_bao")).to_have_attribute("aria-selected", "true")
        await expect(sec.get_by_test_id("record-status")).to_have_attribute("data-status", "draft")
        await expect(sec.get_by_test_id("editor-discussion")).to_have_count(0)
        await conclusion(sec, item).click()
        await sec.keyboard.type("Giao Sở Kế hoạch và Đầu tư.")
        await expect(sec.get_by_test_id("autosave-status")).to_have_text(re.compile(r"^Đã lưu lúc"))
        notice = (
            str(await sec.get_by_test_id("record-pdf").get_attribute("href")).split("/api/record/")[1].split("/")[0]
        )
        api = await live_server.client("thuky.hoa")
        assert await server_text(api, notice, item, "conclusion") == "<p>Giao Sở Kế hoạch và Đầu tư.</p>"

        # The register lists the minutes' number, and exports the same filter as CSV.
        await sec.get_by_test_id("nav-register").click()
        await sec.get_by_test_id("register-kind").select_option("bien_ban")
        rows = sec.get_by_test_id("register-row")
        await expect(rows).to_have_count(1)  # the giấy mời's number is filtered out
        await expect(rows).to_have_attribute("data-kind", "bien_ban")
        await expect(rows.get_by_test_id("register-number")).to_have_text(re.compile(r"^01/BB-\S+$"))  # number_text
        await expect(sec.get_by_test_id("register-csv")).to_have_attribute("href", re.compile(r"kind=bien_ban"))
        assert errors == []
    finally:
        await s_ctx.close()
        await c_ctx.close()
