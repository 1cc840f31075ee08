"""Signing from the record page in a real Chromium, the whole path (docs/signing.md "On the record page"): the
secretary writes an item's conclusion on the page, sends the minutes to the chair, who approves them; the
secretary signs with a .p12 file on the page (the password field emptied); the chair asks for the agent's
command on the page and runs it — the real `meeting-sign` subprocess with their SoftHSM2 token — and the page
turns to "Đã ban hành" by itself (`record.changed`); the PDF downloaded from the page shows two valid signatures
on /verify. Nothing waits for a fixed time: each step waits for what the page or the server shows.

Needs /usr/bin/chromium (Debian's package) and the `playwright` Python package; never `playwright install`.
"""

from __future__ import annotations

import re

import pytest
from playwright.async_api import Browser, expect

from tests.browserkit import signed_in_desktop
from tests.helpers import PASSWORD, wait_for
from tests.hsmkit import CHAIR_KEY
from tests.pkikit import CHAIR_NAME, PKCS12_PASSWORD, SECRETARY_NAME
from tests.test_api_record import _held_meeting
from tests.test_browser_record import conclusion, open_minutes, server_text
from tests.test_browser_verify import drop
from tests.test_record_signing import Setup, _people, agent, p12_file, signing, token_options

pytestmark = pytest.mark.browser
TIMEOUT_MS = 30_000
__all__ = ["signing"]  # the fixture, imported for this module's tests


async def test_the_minutes_signed_on_the_page_with_a_p12_file_and_the_agent(signing: Setup, browser: Browser) -> None:
    server, pki = signing.server, signing.tokens.pki
    people = await _people(server)
    _, meeting = await _held_meeting(server, people)
    mid, item = meeting["id"], meeting["agenda"][0]["id"]
    errors: list[str] = []

    # the secretary writes the first item's conclusion on the page while the connection drops and comes back
    context, page = await signed_in_desktop(browser, server.url, "thuky", PASSWORD, errors, TIMEOUT_MS)
    doc = await open_minutes(page, server.url, mid)
    saved = page.get_by_test_id("autosave-status")
    await conclusion(page, item).click()
    await page.keyboard.type("Giao Sở Tài chính")
    await expect(saved).to_have_text(re.compile(r"^Đã lưu lúc \d\d:\d\d$"))
    await context.set_offline(True)  # as tests/test_browser_record.py: offline and the server stopped
    await server.stop()
    await expect(page.get_by_test_id("connection-status")).not_to_have_attribute("data-state", "online")
    await page.keyboard.type(" hoàn thiện kế hoạch.")
    await expect(saved).to_have_text(re.compile(r"^Mất kết nối — \d+ thay đổi chưa lưu"))
    await server.start(migrate=False)
    await context.set_offline(False)
    await expect(saved).to_have_text(re.compile(r"^Đã lưu lúc \d\d:\d\d$"))
    secretary_api, chair_api = await server.client("thuky"), await server.client("chutich")

    async def on_server() -> bool:
        return (
            await server_text(secretary_api, doc, item, "conclusion") == "<p>Giao Sở Tài chính hoàn thiện kế hoạch.</p>"
        )

    await wait_for(on_server)
    assert (await secretary_api.post(f"/api/record/{doc}/submit"))[0] == 200
    status, approved = await chair_api.post(f"/api/record/{doc}/approve")
    assert status == 200 and approved["number_text"] == "01/BB-VPUT", approved

    # the secretary's turn, on the page: a .p12 file and its password; the field is emptied after
    await expect(page.get_by_test_id("record-turn")).to_contain_text(SECRETARY_NAME)
    await page.get_by_test_id("record-sign-p12-open").click()
    await page.get_by_test_id("record-p12-file").set_input_files(str(p12_file(signing, pki.secretary, "thu-ky")))
    password = page.get_by_test_id("record-p12-password")
    await password.fill("sai mật khẩu")
    await page.get_by_test_id("record-p12-submit").click()
    await expect(page.get_by_test_id("record-sign-error")).to_contain_text("Không mở được tệp chữ ký số")
    await expect(password).to_have_value("")
    await password.fill(PKCS12_PASSWORD.decode())
    await page.get_by_test_id("record-p12-submit").click()
    secretary_slot = page.locator('[data-testid="signature-slot"][data-slot="secretary"]')
    await expect(secretary_slot).to_have_attribute("data-signed", "true")
    await expect(page.get_by_test_id("record-turn")).to_contain_text(CHAIR_NAME)
    await expect(page.get_by_test_id("record-sign-token")).to_have_count(0)  # not the secretary's turn any more

    # the chair's turn: the page shows the command, the agent runs it with the chair's token
    chair_context, chair_page = await signed_in_desktop(browser, server.url, "chutich", PASSWORD, errors, TIMEOUT_MS)
    await chair_page.goto(f"{server.url}/meetings/{mid}/record")
    await chair_page.get_by_test_id("record-sign-token").click()
    command = await chair_page.get_by_test_id("record-sign-command").text_content()
    await expect(chair_page.get_by_test_id("record-sign-command-box")).to_contain_text("nhập mã PIN")
    found = re.fullmatch(r"meeting-sign '(\S+)'", command or "")
    assert found, command
    code, out = await agent(
        signing, found.group(1), *token_options(signing.tokens.chair.label, CHAIR_KEY), secret="222222"
    )
    assert code == 0, out

    # both pages turn to "Đã ban hành" by themselves; the command is gone with the slot it was for
    for shown in (chair_page, page):
        await expect(shown.get_by_test_id("record-issued")).to_have_text("Đã ban hành")
        await expect(shown.locator('[data-testid="signature-slot"][data-signed="true"]')).to_have_count(2)
    await expect(chair_page.get_by_test_id("record-sign-command-box")).to_have_count(0)

    # the PDF downloaded from the page: two valid signatures on /verify
    async with chair_page.expect_download() as downloading:
        await chair_page.get_by_test_id("record-signed-pdf").click()
    pdf = await (await downloading.value).path()
    await chair_page.get_by_test_id("record-verify-link").click()
    await expect(chair_page.get_by_test_id("verify-page")).to_be_visible()
    await drop(chair_page, pdf.read_bytes(), "bien-ban.pdf")
    await expect(chair_page.get_by_test_id("verify-overall")).to_have_text("Tất cả 2 chữ ký đều hợp lệ.")
    await expect(chair_page.get_by_test_id("verify-signer")).to_have_text([SECRETARY_NAME, CHAIR_NAME])
    assert errors == []
    await chair_context.close()
    await context.close()
