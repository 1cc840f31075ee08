"""The administration pages end to end, in a real Chromium: an administrator imports the province's communes from
the official list (and again, adding nothing), adds a department by hand, a meeting room (điểm cầu) with a device
token that works until revoked, and an account that can sign in until deactivated; the audit log records it all,
and the interface switches to English and back.

Needs /usr/bin/chromium (Debian's package) and the `playwright` Python package; never `playwright install`.
"""

from __future__ import annotations

import re
from typing import Any

import aiohttp
import pytest
from playwright.async_api import Browser, Page, expect

from meeting_server.storage.directory import site_by_token
from tests.browserkit import (  # the `browser` fixture comes from there too (conftest)
    login,
    signed_in_desktop,
    watch_errors,
)

pytestmark = pytest.mark.browser


ADMIN_PASSWORD = "admin-pass-123"
PROVINCE = "Tỉnh Tuyên Quang"  # made by the live_server fixture, with the admin account in it
COMMUNE = "Xã Tân Trào"  # official code 02545, one of the 124 communes and wards the import brings
AGENCY = "Sở Y tế"
SITE = "Hội trường tầng 2 UBND xã Tân Trào"  # a second room: the import already gave the commune its first
USERNAME = "pct.tantrao"
FULL_NAME = "Hà Văn Trào"
USER_PASSWORD = "tan-trao-mat-khau-2026"
UNIT_IN_USE = "Không thể xóa: đơn vị vẫn còn đơn vị cấp dưới, điểm cầu hoặc người dùng"  # the in_use error
TIMEOUT_MS = 8_000  # Playwright actions; expect() keeps its 5 s default


async def confirm(page: Page) -> None:
    dialog = page.get_by_test_id("confirm-dialog")
    await expect(dialog).to_be_visible()
    await dialog.get_by_test_id("dialog-confirm").click()
    await expect(dialog).to_have_count(0)


async def open_admin_page(page: Page, nav: str, title: str) -> None:
    await page.get_by_test_id(nav).click()
    await expect(page.get_by_test_id("page-title")).to_have_text(title)
    await expect(page.get_by_test_id("loading")).to_have_count(0)


async def units_by_id(api: Any) -> dict[str, dict[str, Any]]:
    status, body = await api.get("/api/units")
    assert status == 200, body
    return {u["id"]: u for u in (body["units"] if isinstance(body, dict) else body)}


async def bearer_status(base_url: str, token: str) -> int:
    """What a room PC presenting this device token gets from the REST API."""
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{base_url}/api/meetings", headers={"Authorization": f"Bearer {token}"}) as response,
    ):
        return response.status


async def test_admin_manages_units_sites_users_and_audit(live_server, browser: Browser) -> None:
    base = live_server.url
    province_id = live_server.unit_id
    api = await live_server.admin()
    errors: list[str] = []

    desktop, a = await signed_in_desktop(browser, base, "admin", ADMIN_PASSWORD, errors, TIMEOUT_MS)
    notice = a.get_by_test_id("notice-message").get_by_test_id("message-text")
    alert = a.get_by_role("alert")

    # 1. Units: the province's 124 communes and wards come from the official list, with a site each.
    await open_admin_page(a, "nav-units", "Đơn vị hành chính")
    province = a.locator(f'[data-testid="unit-node"][data-unit-id="{province_id}"]')
    await expect(province.get_by_test_id("unit-node-name")).to_have_text(PROVINCE)
    await expect(province.get_by_test_id("unit-node-official")).to_have_text("Mã ĐVHC 08")
    await expect(a.get_by_test_id("unit-import-province").locator("option[value='08']")).to_have_text(
        "Tỉnh Tuyên Quang (124 xã, phường)"
    )
    await a.get_by_test_id("unit-import-province").select_option("08")
    await a.get_by_test_id("unit-import-sites").check()
    await a.get_by_test_id("unit-import").click()
    result = a.get_by_test_id("unit-import-result")
    await expect(result).to_have_text("Đã thêm 124 xã, phường; cập nhật 0; tạo 124 điểm cầu")
    commune_name = a.get_by_test_id("unit-node-name").get_by_text(COMMUNE, exact=True)
    commune = a.get_by_test_id("unit-node").filter(has=commune_name)
    await expect(commune).to_have_count(1)
    await expect(commune).to_have_attribute("data-kind", "commune")
    await expect(commune).to_have_class(re.compile(r"\bdepth-1\b"))
    await expect(commune.get_by_test_id("unit-node-kind")).to_have_text("Xã")
    await expect(commune.get_by_test_id("unit-node-official")).to_have_text("Mã ĐVHC 02545")
    await expect(
        a.get_by_test_id("unit-node").filter(has_text="Phường Minh Xuân").get_by_test_id("unit-node-kind")
    ).to_have_text("Phường")
    commune_id = await commune.get_attribute("data-unit-id")
    assert commune_id, "the new unit's node carries no data-unit-id"
    saved = (await units_by_id(api)).get(commune_id)
    assert saved and saved["parent_id"] == province_id and saved["official_code"] == "02545", saved
    # Importing again adds nothing.
    await a.get_by_test_id("unit-import-sites").uncheck()
    await a.get_by_test_id("unit-import").click()
    await expect(result).to_have_text("Đã thêm 0 xã, phường; cập nhật 0")
    assert len(await units_by_id(api)) == 125

    # A department by hand: an agency goes under the province, which the form picks for it.
    await a.get_by_test_id("unit-name").fill(AGENCY)
    await a.get_by_test_id("unit-kind").select_option("agency")
    await expect(a.get_by_test_id("unit-parent")).to_have_value(province_id)
    await a.get_by_test_id("unit-add").click()
    await expect(notice).to_have_text("Đã lưu.")
    agency = a.get_by_test_id("unit-node").filter(
        has=a.get_by_test_id("unit-node-name").get_by_text(AGENCY, exact=True)
    )
    await expect(agency).to_have_attribute("data-kind", "agency")
    await expect(agency).to_have_class(re.compile(r"\bdepth-1\b"))
    await expect(agency.get_by_test_id("unit-node-kind")).to_have_text("Cơ quan (sở, ban, ngành)")
    await expect(commune.get_by_test_id("unit-add-agency")).to_have_count(1)  # a commune may have its own offices
    await expect(commune.get_by_test_id("unit-add-commune")).to_have_count(0)

    # Deleting the province (it has the communes and the admin in it) is refused with the server's message.
    await province.get_by_test_id("unit-delete").click()
    await confirm(a)
    await expect(alert).to_be_visible()
    await expect(alert).to_have_attribute("data-testid", "error-message")
    await expect(alert).to_contain_text(UNIT_IN_USE)
    await expect(province).to_be_visible()
    await expect(a.get_by_test_id("unit-node")).to_have_count(126)  # province, agency, 124 communes and wards
    assert province_id in await units_by_id(api), "the province was deleted although the page says it was not"
    await alert.get_by_role("button").click()  # dismiss
    await expect(alert).to_have_count(0)

    # 2. Sites: a room for the commune; its device token is shown once and works until revoked.
    await open_admin_page(a, "nav-sites", "Điểm cầu")
    await a.get_by_test_id("site-name").fill(SITE)
    await a.get_by_test_id("site-unit").select_option(commune_id)
    await a.get_by_test_id("site-add").click()
    await expect(notice).to_have_text("Đã lưu.")
    row = a.get_by_test_id("site-row").filter(has=a.get_by_test_id("site-row-name").get_by_text(SITE, exact=True))
    await expect(row).to_have_count(1)
    await expect(row.locator("td").first).to_have_text(COMMUNE)
    await expect(row.get_by_test_id("site-token-status")).to_have_text("Chưa cấp")
    await expect(row.get_by_test_id("site-revoke-token")).to_have_count(0)
    site_id = await row.get_attribute("data-site-id")
    assert site_id, "the site row carries no data-site-id"

    await row.get_by_test_id("site-issue-token").click()
    token_dialog = a.get_by_test_id("token-dialog")
    await expect(token_dialog).to_be_visible()
    await expect(token_dialog).to_contain_text("Mã này chỉ hiện một lần.")
    token_input = token_dialog.get_by_test_id("site-token-value")
    await expect(token_input).to_have_value(re.compile(r"^st_[A-Za-z0-9_-]{20,}$"))
    token = await token_input.input_value()
    assert live_server.services is not None
    async with live_server.services.db.read() as session:
        found = await site_by_token(session, token)
    assert found is not None and found.id == site_id, "the token shown is not the site's token"
    status = await bearer_status(base, token)
    assert status == 200, f"GET /api/meetings with the shown device token answered {status}, expected 200"
    await token_dialog.get_by_test_id("dialog-cancel").click()
    await expect(token_dialog).to_have_count(0)
    await expect(row.get_by_test_id("site-token-status")).to_have_text("Đã cấp")
    still_shown = await a.evaluate(
        """(token) => document.body.innerText.includes(token)
            || [...document.querySelectorAll('input, textarea')].some((el) => el.value.includes(token))""",
        token,
    )
    assert not still_shown, "the device token is still in the page after its dialog closed"
    status, sites = await api.get("/api/sites")
    assert status == 200 and token not in str(sites), "GET /api/sites gives the device token away"

    await row.get_by_test_id("site-revoke-token").click()
    await confirm(a)
    await expect(notice).to_have_text("Đã thu hồi mã thiết bị.")
    await expect(row.get_by_test_id("site-token-status")).to_have_text("Chưa cấp")
    await expect(row.get_by_test_id("site-revoke-token")).to_have_count(0)
    status = await bearer_status(base, token)
    assert status == 401, f"GET /api/meetings with the revoked device token answered {status}, expected 401"

    # 3. Users: an account in the commune, with two roles, that can sign in...
    await open_admin_page(a, "nav-users", "Người dùng")
    await a.get_by_test_id("user-form-toggle").click()
    await a.get_by_test_id("user-new-username").fill(USERNAME)
    await a.get_by_test_id("user-new-full-name").fill(FULL_NAME)
    await a.get_by_test_id("user-new-password").fill(USER_PASSWORD)
    await expect(a.get_by_test_id("user-new-role-delegate")).to_be_checked()  # the default
    await a.get_by_test_id("user-new-role-site_operator").check()
    await a.get_by_test_id("user-new-unit").select_option(commune_id)
    await a.get_by_test_id("user-add").click()
    await expect(notice).to_have_text(f"Đã thêm người dùng {FULL_NAME}.")
    user_row = a.locator(f'[data-testid="user-row"][data-username="{USERNAME}"]')
    await expect(user_row.get_by_test_id("user-full-name")).to_have_text(FULL_NAME)
    await expect(user_row.get_by_test_id("user-unit-name")).to_have_text(COMMUNE)
    await user_row.get_by_test_id("user-details-toggle").click()  # one line a person; the details under it
    details = a.locator(f'[data-testid="user-details"][data-username="{USERNAME}"]')
    await expect(details.get_by_test_id("user-unit")).to_have_value(commune_id)
    for role in ("delegate", "site_operator"):
        await expect(details.get_by_test_id(f"user-role-{role}")).to_be_checked()
    for role in ("admin", "chair", "secretary", "observer"):
        await expect(details.get_by_test_id(f"user-role-{role}")).not_to_be_checked()
    await expect(user_row.get_by_test_id("user-active")).to_be_checked()

    other = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    other.set_default_timeout(TIMEOUT_MS)
    u = await other.new_page()
    watch_errors(u, errors)
    await login(u, base, USERNAME, USER_PASSWORD)
    await expect(u.get_by_test_id("page-title")).to_have_text("Cuộc họp của tôi")
    await expect(u.get_by_test_id("current-user")).to_have_text(FULL_NAME)
    await expect(u.get_by_test_id("nav-units")).to_have_count(0)  # no admin pages for a delegate

    # ...until the administrator deactivates it: the open session ends and lands on the login page.
    await user_row.get_by_test_id("user-active").uncheck()
    await confirm(a)
    await expect(notice).to_have_text("Đã lưu.")
    await expect(user_row.get_by_test_id("user-active")).not_to_be_checked()
    # The server refuses the old session cookie at once...
    response = await other.request.get(f"{base}/api/meetings")
    assert response.status == 401, f"GET /api/meetings with a deactivated user's cookie answered {response.status}"
    # ...and the page ends on the login page: pushed over the socket, or else at its next in-app navigation.
    await u.evaluate("document.querySelector('[data-testid=\"nav-meetings\"]')?.click()")
    await expect(u).to_have_url(re.compile(r"/login(\?.*)?$"))
    await expect(u.get_by_test_id("login-form")).to_be_visible()
    await expect(u.get_by_test_id("current-user")).to_have_count(0)
    await expect(u.get_by_test_id("error-message").get_by_test_id("message-text")).to_have_text(
        re.compile(r"^(Tài khoản đã bị khóa\.|Phiên đăng nhập đã kết thúc\.|Bạn cần đăng nhập)")
    )
    # Signing in again is refused.
    await u.get_by_test_id("login-username").fill(USERNAME)
    await u.get_by_test_id("login-password").fill(USER_PASSWORD)
    await u.get_by_test_id("login-submit").click()
    await expect(u.get_by_test_id("error-message").get_by_test_id("message-text")).to_have_text(
        "Tên đăng nhập hoặc mật khẩu không đúng."
    )
    await expect(u.get_by_test_id("login-form")).to_be_visible()
    # A full reload stays signed out: the session is gone on the server, not just in the page.
    await u.goto(f"{base}/meetings")
    await expect(u).to_have_url(re.compile(r"/login(\?.*)?$"))
    await expect(u.get_by_test_id("login-form")).to_be_visible()
    await other.close()

    # 4. The audit log shows the token issued and revoked and the account deactivated, in Vietnamese.
    await open_admin_page(a, "nav-audit", "Nhật ký hệ thống")
    audit = a.get_by_test_id("audit-row")
    for kind, label, target in (
        ("token_issued", "Cấp mã thiết bị", SITE),
        ("token_revoked", "Thu hồi mã thiết bị", SITE),
        ("user_created", "Tạo người dùng", FULL_NAME),
        ("user_deactivated", "Khóa tài khoản", FULL_NAME),
    ):
        entry = a.locator(f'[data-testid="audit-row"][data-kind="{kind}"]')
        await expect(entry, f"no audit row for {kind}").to_have_count(1)
        await expect(entry.locator("td").nth(1)).to_have_text(label)
        await expect(entry.locator("td").nth(2)).to_have_text("Quản trị hệ thống")
        await expect(entry.locator("td").nth(3)).to_have_text(target)
    # Newest first: the deactivation came after the revocation, which came after the issue.
    kinds = [
        k
        for k in await audit.evaluate_all("rows => rows.map((r) => r.dataset.kind)")
        if k in ("token_issued", "token_revoked", "user_deactivated")
    ]
    assert kinds == ["user_deactivated", "token_revoked", "token_issued"], kinds

    # 5. English on request, and back to Vietnamese with its diacritics.
    switch = a.get_by_test_id("lang-switch")
    await expect(switch).to_have_text("English")
    await switch.click()
    await expect(switch).to_have_text("Tiếng Việt")
    await expect(a.get_by_test_id("page-title")).to_have_text("Audit log")
    await expect(a.get_by_test_id("nav-meetings")).to_have_text("My meetings")
    await expect(a.get_by_test_id("nav-units")).to_have_text("Units")
    await expect(a.get_by_test_id("nav-users")).to_have_text("Users")
    await expect(a.locator('[data-testid="audit-row"][data-kind="token_revoked"] td').nth(1)).to_have_text(
        "Device token revoked"
    )
    assert await a.evaluate("document.documentElement.lang") == "en"
    await open_admin_page(a, "nav-units", "Administrative units")

    await switch.click()
    await expect(a.get_by_test_id("lang-switch")).to_have_text("English")
    await expect(a.get_by_test_id("page-title")).to_have_text("Đơn vị hành chính")
    await expect(a.get_by_test_id("nav-meetings")).to_have_text("Cuộc họp của tôi")
    await expect(a.get_by_test_id("nav-units")).to_have_text("Đơn vị")
    await expect(a.get_by_test_id("nav-users")).to_have_text("Người dùng")
    await expect(a.get_by_test_id("nav-audit")).to_have_text("Nhật ký")
    await expect(commune.get_by_test_id("unit-node-name")).to_have_text(COMMUNE)
    assert await a.evaluate("document.documentElement.lang") == "vi"

    assert errors == [], errors
    await desktop.close()
