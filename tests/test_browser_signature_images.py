"""Signature and seal images in a real Chromium (docs/signing.md "Images"): a chair opens Hồ sơ của tôi from their
name in the top bar, uploads their signature (preview shown), sees a hostile file refused with the sentence, and
deletes it; an administrator sets a unit's seal from the units page's Con dấu button."""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from meeting_server.signing.demo_images import seal_png, signature_png
from tests.browserkit import signed_in_desktop
from tests.helpers import ADMIN_PASSWORD, PASSWORD, LiveServer

pytestmark = pytest.mark.browser
TIMEOUT_MS = 8_000


async def test_profile_signature_and_unit_seal(live_server: LiveServer, browser: Browser) -> None:
    await live_server.create_user("chutich", "Trần Văn Chủ", ["chair"], title="Chủ tịch")
    errors: list[str] = []
    context, page = await signed_in_desktop(browser, live_server.url, "chutich", PASSWORD, errors, TIMEOUT_MS)
    await page.get_by_test_id("current-user").click()
    await expect(page.get_by_test_id("page-title")).to_have_text("Hồ sơ của tôi")
    field = page.get_by_test_id("signature-image")
    await expect(field.get_by_test_id("signature-image-none")).to_be_visible()

    chooser = field.get_by_test_id("signature-image-file")
    await chooser.set_input_files(
        {"name": "chu-ky.png", "mimeType": "image/png", "buffer": signature_png("Trần Văn Chủ")}
    )
    await expect(field.get_by_test_id("signature-image-preview")).to_be_visible()
    assert await field.get_by_test_id("signature-image-preview").evaluate("img => img.naturalWidth") > 100

    await chooser.set_input_files({"name": "virus.png", "mimeType": "image/png", "buffer": b"MZ not an image"})
    await expect(field.get_by_test_id("signature-image-error")).to_contain_text("không phải ảnh PNG hoặc JPEG")
    await expect(field.get_by_test_id("signature-image-preview")).to_be_visible()  # the one before is kept

    await field.get_by_test_id("signature-image-delete").click()
    await page.get_by_test_id("confirm-dialog").get_by_role("button", name="Xóa").click()
    await expect(field.get_by_test_id("signature-image-none")).to_be_visible()
    await context.close()

    context, admin = await signed_in_desktop(browser, live_server.url, "admin", ADMIN_PASSWORD, errors, TIMEOUT_MS)
    await admin.get_by_test_id("nav-units").click()
    node = admin.locator(f'[data-testid="unit-node"][data-unit-id="{live_server.unit_id}"]')
    await node.get_by_test_id("unit-seal").click()
    dialog = admin.get_by_test_id("seal-dialog")
    await dialog.get_by_test_id("seal-image-file").set_input_files(
        {"name": "con-dau.png", "mimeType": "image/png", "buffer": seal_png("Ủy ban nhân dân tỉnh Tuyên Quang")}
    )
    await expect(dialog.get_by_test_id("seal-image-preview")).to_be_visible()
    await context.close()
    assert errors == []
    status, _ = await (await live_server.admin()).get(f"/api/units/{live_server.unit_id}/seal-image")
    assert status == 200
