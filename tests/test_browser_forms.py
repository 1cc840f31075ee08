"""The admin and organiser forms and lists in a real Chromium (issue 9, items 3, 5, 7, 8, 11, 14 and 15): one
administrator's session walks through them all, since a browser session is slow to set up.

Needs /usr/bin/chromium (Debian's package) and the `playwright` Python package; never `playwright install`.
"""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browserkit import signed_in_desktop  # the `browser` fixture comes from there too (conftest)
from tests.helpers import make_meeting

pytestmark = pytest.mark.browser

ADMIN_PASSWORD = "admin-pass-123"
TIMEOUT_MS = 8_000
FILLERS = 68  # with the admin and the four below, 73 people: three pages of 25


async def leave_prompt(page: Page) -> bool:
    """Whether leaving the page now (reload, closing the tab) would make the browser ask first."""
    return bool(
        await page.evaluate(
            "() => { const e = new Event('beforeunload', { cancelable: true }); window.dispatchEvent(e);"
            " return e.defaultPrevented; }"
        )
    )


async def test_forms_and_lists_an_administrator_uses(live_server, browser: Browser) -> None:
    base = live_server.url
    api = await live_server.admin()
    hop_thanh = await live_server.create_unit("Xã Hợp Thành")
    tan_trao = await live_server.create_unit("Xã Tân Trào")
    for n in range(FILLERS):
        await live_server.create_user(f"nguoidung{n:02d}", f"Nguyễn Văn Người {n:02d}", ["delegate"])
    await live_server.create_user("ct.hopthanh", "Lê Văn Khải", ["delegate"], unit_id=hop_thanh)
    await live_server.create_user("pct.hopthanh", "Ma Thị Hoa", ["delegate"], unit_id=hop_thanh)
    await live_server.create_user("tp.taichinh", "Trần Minh Đức", ["delegate"])
    only_role = await live_server.create_user("kt.tantrao", "Ma Văn Định", ["site_operator"], unit_id=tan_trao)
    for name in (
        "Hợp Thành",
        "Tân Trào",
        "Kháng Nhật",
        "Sơn Nam",
        "Đại Phú",
        "Phúc Ứng",
        "Tú Thịnh",
        "Đông Thọ",
        "Vĩnh Lợi",
    ):
        await live_server.create_site(f"Điểm cầu xã {name}")
    live = await make_meeting(api, title="Giao ban trực tuyến đang họp")
    status, body = await api.post(f"/api/meetings/{live['id']}/start")
    assert status == 200, body
    await make_meeting(api, title="Hội nghị sơ kết quý IV")
    errors: list[str] = []

    desktop, a = await signed_in_desktop(browser, base, "admin", ADMIN_PASSWORD, errors, TIMEOUT_MS)

    # 15. A meeting under way is listed under "Đang diễn ra", not under "Sắp diễn ra".
    live_section = a.get_by_test_id("live-section")
    await expect(live_section.get_by_role("heading")).to_have_text("Đang diễn ra")
    await expect(live_section.get_by_test_id("meeting-item-title")).to_have_text(["Giao ban trực tuyến đang họp"])
    await expect(a.get_by_test_id("upcoming-meetings").get_by_test_id("meeting-item-title")).to_have_text(
        ["Hội nghị sơ kết quý IV"]
    )

    # 3. A site needs its unit: the form offers no empty choice, says what is missing, and shows the server's
    # refusal next to the form.
    await a.get_by_test_id("nav-sites").click()
    await expect(a.get_by_test_id("page-title")).to_have_text("Điểm cầu")
    unit_select = a.get_by_test_id("site-unit")
    await expect(unit_select.locator("option:not([disabled])")).to_have_count(3)  # the province and two communes
    await expect(unit_select.locator('option[value=""]:not([disabled])')).to_have_count(0)
    form_error = a.get_by_test_id("site-form-error")
    await a.get_by_test_id("site-name").fill("Hội trường tầng 2 UBND xã Tân Trào")
    await a.get_by_test_id("site-add").click()
    await expect(form_error).to_have_text("Hãy chọn đơn vị có điểm cầu này.")
    await unit_select.select_option(tan_trao)
    await a.get_by_test_id("site-name").fill("Hội trường 🎉 UBND xã Tân Trào")
    await expect(a.get_by_test_id("site-name-count")).to_have_text(re.compile(r"^\d+/300 ký tự$"))
    await a.get_by_test_id("site-add").click()
    await expect(form_error).to_have_text(
        "Tên không được chứa biểu tượng cảm xúc (emoji) hay ký hiệu hình ảnh: văn bản hành chính không in được "
        "các ký tự này."
    )
    status, sites = await api.get("/api/sites")
    assert not any("🎉" in s["name"] for s in sites["sites"]), sites

    # 8. Typed but not saved: leaving inside the app asks first; "Bỏ qua" stays with the text.
    assert await leave_prompt(a)
    await a.get_by_test_id("nav-users").click()
    dialog = a.get_by_test_id("confirm-dialog")
    await expect(dialog).to_contain_text("Trang này còn thay đổi chưa lưu.")
    await dialog.get_by_test_id("dialog-cancel").click()
    await expect(a.get_by_test_id("page-title")).to_have_text("Điểm cầu")
    await expect(a.get_by_test_id("site-name")).to_have_value("Hội trường 🎉 UBND xã Tân Trào")
    await a.get_by_test_id("nav-users").click()
    await dialog.get_by_test_id("dialog-confirm").click()

    # 14. Users: a compact table, 25 to a page, searched without diacritics.
    await expect(a.get_by_test_id("page-title")).to_have_text("Người dùng")
    assert not await leave_prompt(a)
    rows = a.get_by_test_id("user-row")
    count = a.get_by_test_id("users-count")
    await expect(count).to_have_text("Hiển thị 1–25 trong 73 người dùng")
    await expect(rows).to_have_count(25)
    heights = await rows.evaluate_all("rows => rows.map((r) => r.getBoundingClientRect().height)")
    assert max(heights) <= 40, heights
    await a.get_by_test_id("users-next").click()
    await a.get_by_test_id("users-next").click()
    await expect(count).to_have_text("Hiển thị 51–73 trong 73 người dùng")
    await expect(a.get_by_test_id("users-page")).to_have_text("Trang 3/3")
    await expect(a.get_by_test_id("users-next")).to_be_disabled()
    search = a.get_by_test_id("users-filter")
    await search.fill("hop thanh")  # finds the people of "Xã Hợp Thành"
    await expect(rows.get_by_test_id("user-full-name")).to_have_text(["Lê Văn Khải", "Ma Thị Hoa"])
    await expect(count).to_have_text("Hiển thị 1–2 trong 2 người dùng")
    await search.fill("TRAN MINH DUC")  # đ is d, and case does not matter
    await expect(rows.get_by_test_id("user-full-name")).to_have_text(["Trần Minh Đức"])

    # 5. Removing a person's only role: the refusal is a sentence, next to the roles, and the box is ticked again.
    await search.fill("kt.tantrao")
    row = a.locator(f'[data-testid="user-row"][data-user-id="{only_role["id"]}"]')
    await row.get_by_test_id("user-details-toggle").click()
    details = a.locator(f'[data-testid="user-details"][data-user-id="{only_role["id"]}"]')
    role = details.get_by_test_id("user-role-site_operator")
    # A click, not uncheck(): the box is ticked again as soon as the refusal arrives, which on a fast answer is
    # before Playwright looks, and uncheck() then reports "did not change its state"; the outcome is checked below.
    await expect(role).to_be_checked()
    await role.click()
    await expect(details.get_by_test_id("user-details-error")).to_have_text("Người dùng phải có ít nhất một vai trò.")
    await expect(role).to_be_checked()
    await expect(row.get_by_test_id("user-roles")).to_have_text("Kỹ thuật viên điểm cầu")

    # 7. The editor's pick-lists fold diacritics too; 11. the title counts to its limit.
    await a.get_by_test_id("nav-new-meeting").click()
    await expect(a.get_by_test_id("editor-form")).to_be_visible()
    await a.get_by_test_id("editor-sites-filter").fill("hop thanh")
    shown = a.locator('[data-testid="editor-sites-list"] li:not([hidden])')
    await expect(shown).to_have_text([re.compile("^Điểm cầu xã Hợp Thành")])
    await a.get_by_test_id("editor-sites-filter").fill("dong tho")
    await expect(shown).to_have_text([re.compile("^Điểm cầu xã Đông Thọ")])
    title = a.get_by_test_id("editor-title")
    await expect(title).to_have_attribute("maxlength", "300")
    await expect(a.get_by_test_id("editor-title-count")).to_have_text("0/300 ký tự")
    await title.evaluate(
        """(el) => { const data = new DataTransfer(); data.setData('text/plain', 'Hội nghị '.repeat(40));
            el.dispatchEvent(new ClipboardEvent('paste', { clipboardData: data, cancelable: true })); }"""
    )  # a paste longer than the room left: the browser keeps 300 characters, the counter says the rest is gone
    await expect(a.get_by_test_id("editor-title-count")).to_have_text(
        "Đã đủ 300 ký tự: phần dán vượt quá không được nhận, hãy rút gọn."
    )
    await title.fill("Giao ban tháng 12")
    await expect(a.get_by_test_id("editor-title-count")).to_have_text("17/300 ký tự")

    # 8. The editor with a title typed asks before a reload and before the app moves on.
    assert await leave_prompt(a)
    await a.get_by_test_id("nav-meetings").click()
    await expect(dialog).to_contain_text("Trang này còn thay đổi chưa lưu.")
    await dialog.get_by_test_id("dialog-cancel").click()
    await expect(title).to_have_value("Giao ban tháng 12")
    await a.go_back()  # Back, refused, stays on the editor with its address
    await dialog.get_by_test_id("dialog-cancel").click()
    await expect(a).to_have_url(re.compile(r"/meetings/new$"))
    await expect(title).to_have_value("Giao ban tháng 12")
    # Saved, it leaves freely.
    await a.get_by_test_id("editor-save").click()
    await expect(a).to_have_url(re.compile(r"/meetings/m_[A-Za-z0-9]+/edit$"))
    await expect(a.get_by_test_id("editor-meeting-title")).to_have_text("Giao ban tháng 12")
    assert not await leave_prompt(a)
    await a.get_by_test_id("agenda-new-title").fill("Khai mạc")
    assert await leave_prompt(a)
    await a.get_by_test_id("agenda-add").click()
    await expect(a.get_by_test_id("agenda-edit-item")).to_have_count(1)
    assert not await leave_prompt(a)
    await a.get_by_test_id("nav-meetings").click()
    await expect(a.get_by_test_id("page-title")).to_have_text("Cuộc họp của tôi")

    assert errors == [], errors
    await desktop.close()
