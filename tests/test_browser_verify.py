"""The /verify page in a real Chromium: a delegate drops the PDF the secretary's and the chair's tokens signed and
sees two valid signatures; a tampered copy shows both as not valid.

Needs /usr/bin/chromium (Debian's package) and the `playwright` Python package; never `playwright install`.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, Page, expect

from tests.browserkit import signed_in_desktop
from tests.helpers import PASSWORD, LiveServer
from tests.hsmkit import Tokens, sign_twice
from tests.pkikit import CHAIR_NAME, SECRETARY_NAME
from tests.test_verify import tampered

pytestmark = pytest.mark.browser
TIMEOUT_MS = 20_000


@pytest.fixture
async def server(tmp_path: Path, tokens: Tokens) -> AsyncIterator[LiveServer]:
    roots = tmp_path / "roots.pem"
    roots.write_bytes(tokens.pki.roots_pem())
    live = LiveServer(
        f"sqlite+aiosqlite:///{tmp_path / 'meetings.sqlite3'}", tmp_path, settings_overrides={"trust_roots": roots}
    )
    await live.start()
    yield live
    await live.stop()


async def drop(page: Page, pdf: bytes, name: str) -> None:
    """Drop a file on the drop zone as a person dragging it from their file manager does."""
    transfer = await page.evaluate_handle(
        """([bytes, name]) => {
            const data = new DataTransfer();
            data.items.add(new File([new Uint8Array(bytes)], name, { type: 'application/pdf' }));
            return data;
        }""",
        [list(pdf), name],
    )
    await page.get_by_test_id("verify-drop").dispatch_event("drop", {"dataTransfer": transfer})


async def test_dropping_a_signed_pdf_shows_two_valid_signatures(
    server: LiveServer, browser: Browser, tokens: Tokens
) -> None:
    await server.create_user("daibieu", "Hà Thị Lan", ["delegate"])
    errors: list[str] = []
    context, page = await signed_in_desktop(browser, server.url, "daibieu", PASSWORD, errors, TIMEOUT_MS)
    await page.get_by_test_id("nav-verify").click()
    await expect(page.get_by_test_id("verify-page")).to_be_visible()
    signed = await asyncio.to_thread(sign_twice, tokens)

    await drop(page, signed, "bien-ban.pdf")
    await expect(page.get_by_test_id("verify-overall")).to_have_text("Tất cả 2 chữ ký đều hợp lệ.")
    cards = page.get_by_test_id("verify-signature")
    await expect(cards).to_have_count(2)
    await expect(page.get_by_test_id("verify-status")).to_have_text(["Hợp lệ", "Hợp lệ"])
    await expect(page.get_by_test_id("verify-signer")).to_have_text([SECRETARY_NAME, CHAIR_NAME])
    await expect(page.get_by_test_id("verify-later")).to_have_text(["chỉ thêm chữ ký khác", "không có"])
    await expect(page.get_by_test_id("verify-time").first).to_contain_text("(+07:00)")

    await drop(page, tampered(signed), "bien-ban-da-sua.pdf")
    await expect(page.get_by_test_id("verify-overall")).to_have_text("Có chữ ký không hợp lệ hoặc văn bản đã bị sửa.")
    await expect(page.get_by_test_id("verify-status")).to_have_text(["Không hợp lệ", "Không hợp lệ"])

    await drop(page, b"khong phai PDF", "ghi-chu.pdf")
    await expect(page.get_by_test_id("verify-error")).to_contain_text("không phải là tệp PDF")
    assert errors == []
    await context.close()
