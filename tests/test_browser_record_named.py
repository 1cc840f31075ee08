"""The named signer's page in a real Chromium (docs/api.md "The named signer"): an ended meeting's thông báo kết
luận, approved, whose signer is a delegate of the meeting (the Chánh Văn phòng), not an organiser. They sign in,
find "Văn bản chờ bạn ký" on "Cuộc họp của tôi" and on the meeting page, reach the record page, which shows the
document they sign (its number, state, PDF, slots) and the signing panel, not the secretary's editor; they sign
with a .p12 file and the page shows "Đã ký". Another delegate of the meeting gets the refusal page. Nothing waits
for a fixed time: each step waits for what the page shows.

Needs /usr/bin/chromium (Debian's package) and the `playwright` Python package; never `playwright install`.
"""

from __future__ import annotations

import pytest
from playwright.async_api import Browser, expect

from tests.browserkit import signed_in_desktop
from tests.helpers import PASSWORD
from tests.pkikit import CHAIR_NAME, PKCS12_PASSWORD, SECRETARY_NAME
from tests.test_api_record import _held_meeting
from tests.test_record_signing import Setup, p12_file, signing

pytestmark = pytest.mark.browser
TIMEOUT_MS = 30_000
__all__ = ["signing"]  # the fixture, imported for this module's tests


async def test_the_named_signer_signs_on_their_page_and_another_delegate_is_refused(
    signing: Setup, browser: Browser
) -> None:
    server, pki = signing.server, signing.tokens.pki
    unit = await server.create_unit("Văn phòng UBND tỉnh", kind="agency")
    people = {  # _held_meeting's people; its first delegate, the Chánh Văn phòng, named as their certificate is
        "chair": await server.create_user("chutich", CHAIR_NAME, ["chair"], unit_id=unit, title="Chủ tịch"),
        "secretary": await server.create_user("thuky", "Lê Thị Hoa", ["secretary"], unit_id=unit),
        "d1": await server.create_user("daibieu1", SECRETARY_NAME, ["delegate"], title="Chánh Văn phòng"),
        "d2": await server.create_user("daibieu2", "Phạm Thị Bình", ["delegate"]),
        "d3": await server.create_user("daibieu3", "Hoàng Văn Cường", ["delegate"]),
    }
    admin, meeting = await _held_meeting(server, people)
    mid = meeting["id"]
    ask = {"kind": "thong_bao", "signer_id": people["d1"]["id"], "signer_authority": "TL. CHỦ TỊCH"}
    status, made = await admin.post(f"/api/meetings/{mid}/record", ask)
    assert status == 201, made
    notice = made["document"]["id"]
    assert (await admin.post(f"/api/record/{notice}/submit"))[0] == 200
    status, approved = await (await server.client("chutich")).post(f"/api/record/{notice}/approve")
    assert status == 200, approved
    errors: list[str] = []

    # "Văn bản chờ bạn ký" on their meetings list and on the meeting page, which leads to the record page
    context, page = await signed_in_desktop(browser, server.url, "daibieu1", PASSWORD, errors, TIMEOUT_MS)
    await expect(page.get_by_test_id("record-awaiting-item")).to_have_count(1)
    await expect(page.get_by_test_id("record-awaiting")).to_contain_text("Văn bản chờ bạn ký")
    await page.goto(f"{server.url}/meetings/{mid}")
    link = page.get_by_test_id("meeting-page").get_by_test_id("record-awaiting-link")
    await expect(link).to_contain_text(approved["number_text"])
    await expect(page.get_by_test_id("open-record")).to_have_count(0)  # not the record's workspace
    await link.click()
    await expect(page).to_have_url(f"{server.url}/meetings/{mid}/record")

    # their page: the document they sign, its PDF and slots, the signing panel; no editor, no facts
    card = page.get_by_test_id("record-signer-doc")
    await expect(card).to_have_attribute("data-status", "signing")
    await expect(page.get_by_test_id("page-title")).to_have_text("Văn bản chờ bạn ký")
    await expect(card.get_by_test_id("record-signer-heading")).to_contain_text(approved["number_text"])
    pdf = card.get_by_test_id("record-signer-pdf")
    assert (await pdf.get_attribute("href") or "").startswith(f"/api/record/{notice}/pdf")
    await expect(card.get_by_test_id("record-turn")).to_contain_text(SECRETARY_NAME)
    for absent in ("record-items", "record-summary", "record-submit", "record-docx"):
        await expect(page.get_by_test_id(absent)).to_have_count(0)

    # they sign with their .p12 file; the page shows "Đã ký" and the seal's turn
    await card.get_by_test_id("record-sign-p12-open").click()
    await card.get_by_test_id("record-p12-file").set_input_files(str(p12_file(signing, pki.secretary, "van-phong")))
    await card.get_by_test_id("record-p12-password").fill(PKCS12_PASSWORD.decode())
    await card.get_by_test_id("record-p12-submit").click()
    await expect(card.get_by_test_id("record-signer-done")).to_contain_text("Đã ký lúc")
    await expect(card.locator('[data-testid="signature-slot"][data-slot="signer"]')).to_have_attribute(
        "data-signed", "true"
    )
    await expect(card.get_by_test_id("record-sign-p12-open")).to_have_count(0)  # not their turn any more
    await expect(card.get_by_test_id("record-signed-pdf")).to_be_visible()

    # another delegate of the meeting: the refusal page, and nothing awaiting them
    other_context, other = await signed_in_desktop(browser, server.url, "daibieu2", PASSWORD, errors, TIMEOUT_MS)
    await expect(other.get_by_test_id("upcoming-meetings")).to_be_visible()
    await other.goto(f"{server.url}/meetings/{mid}/record")
    await expect(other.get_by_test_id("record-error")).to_contain_text("Bạn không có quyền thực hiện thao tác này")
    await expect(other.get_by_test_id("record-signer-doc")).to_have_count(0)
    await other.goto(f"{server.url}/meetings")
    await expect(other.get_by_test_id("upcoming-meetings")).to_be_visible()
    await expect(other.get_by_test_id("record-awaiting")).to_be_hidden()
    assert errors == []
    await other_context.close()
    await context.close()
