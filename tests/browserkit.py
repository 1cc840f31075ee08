"""What the browser tests share: Debian's Chromium launched the way this closed network needs, and signing in.

Needs /usr/bin/chromium (Debian's package, installed by `make test`) and the `playwright` Python package;
never `playwright install`.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, BrowserContext, Page, async_playwright, expect

CHROMIUM = Path("/usr/bin/chromium")
HAVE_CHROMIUM = CHROMIUM.exists()
CHROMIUM_ARGS = [
    "--no-sandbox",  # root on CI
    "--disable-gpu",
    "--disable-background-networking",  # or Chromium's own connections fail noisily on this closed network
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
    "--use-fake-device-for-media-stream",
    "--use-fake-ui-for-media-stream",
]


@pytest.fixture
async def browser() -> AsyncIterator[Browser]:
    if not HAVE_CHROMIUM:
        pytest.fail("Chromium is missing at /usr/bin/chromium: `make install-test` installs it")
    async with async_playwright() as pw:
        launched = await pw.chromium.launch(executable_path=str(CHROMIUM), headless=True, args=CHROMIUM_ARGS)
        try:
            yield launched
        finally:
            await launched.close()


def watch_errors(page: Page, errors: list[str]) -> None:
    page.on("pageerror", lambda exc: errors.append(f"{page.url}: {exc}"))


async def login(page: Page, base_url: str, username: str, password: str) -> None:
    await page.goto(f"{base_url}/login")
    await page.get_by_test_id("login-username").fill(username)
    await page.get_by_test_id("login-password").fill(password)
    await page.get_by_test_id("login-submit").click()
    await expect(page.get_by_test_id("upcoming-meetings")).to_be_visible()
    await expect(page.get_by_test_id("connection-status")).to_have_attribute("data-state", "online")


async def signed_in_desktop(
    browser: Browser, base_url: str, username: str, password: str, errors: list[str], timeout_ms: int
) -> tuple[BrowserContext, Page]:
    """A 1440×900 Vietnamese desktop browser signed in as ``username``, its page errors collected in ``errors``."""
    context = await browser.new_context(viewport={"width": 1440, "height": 900}, locale="vi-VN")
    context.set_default_timeout(timeout_ms)
    page = await context.new_page()
    watch_errors(page, errors)
    await login(page, base_url, username, password)
    return context, page
