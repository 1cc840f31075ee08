"""The sign-in page in a real Chromium when the server is busy checking other sign-ins (issue 9): a hall's tablets
pressing "Đăng nhập" at the same moment get `login_busy`, and the page waits and tries again by itself.

Needs /usr/bin/chromium (Debian's package) and the `playwright` Python package; never `playwright install`.
"""

from __future__ import annotations

import asyncio

import pytest
from playwright.async_api import Browser, expect

from tests.helpers import PASSWORD, LiveServer, wait_for
from tests.test_login_limits import WRONG, HeldHashing, auth_of

pytestmark = pytest.mark.browser
TIMEOUT_MS = 20_000


async def test_a_tablet_told_the_server_is_busy_signs_in_by_itself(live_server: LiveServer, browser: Browser) -> None:
    await live_server.create_user("daibieu", "Hà Thị Lan", ["delegate"])
    others = await live_server.client()
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
    context.set_default_timeout(TIMEOUT_MS)
    page = await context.new_page()
    await page.goto(f"{live_server.url}/login")
    await page.get_by_test_id("login-username").fill("daibieu")
    await page.get_by_test_id("login-password").fill(PASSWORD)
    limiter = auth_of(live_server).limiter
    assert live_server.services is not None
    held = HeldHashing()  # the hall's other tablets fill this address's attempts being checked
    try:
        busy = [
            asyncio.create_task(others.post("/api/auth/login", {"username": f"khach{n}", "password": WRONG}))
            for n in range(live_server.services.settings.login_pending_per_ip)
        ]
        await wait_for(lambda: limiter.pending == len(busy))
        await page.get_by_test_id("login-submit").click()
        # Only a login_busy answer says this; the delegate sees no error and types nothing again.
        await expect(page.get_by_test_id("login-submit")).to_have_text("Máy chủ đang bận, đang tự thử lại…")
    finally:
        held.done()
    await asyncio.gather(*busy)
    await expect(page.get_by_test_id("upcoming-meetings")).to_be_visible()
    await context.close()
