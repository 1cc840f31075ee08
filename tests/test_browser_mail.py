"""The invitations in Chromium: a delegate's notice badge lights up live when a meeting is scheduled for them,
and the organiser's editor lists the mail per invitee, the refused address with the server's reply, and sends it
again once the address is put right (a real aiosmtpd server behind)."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from playwright.async_api import Browser, expect

from tests.browserkit import login, watch_errors
from tests.helpers import ADMIN_PASSWORD, PASSWORD, LiveServer, free_port, make_meeting, wait_for
from tests.mailkit import Inbox, smtp_server

pytestmark = pytest.mark.browser


@pytest.fixture
async def mail_live(tmp_path: Path) -> AsyncIterator[tuple[LiveServer, Inbox]]:
    box, port = Inbox(refuse={"sai@tuyenquang.gov.vn"}), free_port()
    smtp = await smtp_server(box, port)
    overrides = {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_starttls": False,
        "smtp_from": "vp@tuyenquang.gov.vn",
    }
    server = LiveServer(f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}", tmp_path, settings_overrides=overrides)
    await server.start()
    yield server, box
    await server.stop()
    smtp.close()
    await smtp.wait_closed()


async def test_notices_and_the_organiser_s_mail_page(mail_live: tuple[LiveServer, Inbox], browser: Browser) -> None:
    server, box = mail_live
    delegate = await server.create_user(
        "tp.thongbao", "Nguyễn Thị Thông Báo", ["delegate"], email="tb@tuyenquang.gov.vn"
    )
    wrong = await server.create_user("tp.saidiachi", "Lò Văn Sai", ["delegate"], email="sai@tuyenquang.gov.vn")
    admin = await server.admin()
    errors: list[str] = []
    tablet = await browser.new_context(viewport={"width": 800, "height": 1280}, locale="vi-VN")
    desk = await browser.new_context(viewport={"width": 1440, "height": 900}, locale="vi-VN")
    try:
        page = await tablet.new_page()
        watch_errors(page, errors)
        await login(page, server.url, "tp.thongbao", PASSWORD)
        await expect(page.get_by_test_id("notice-count")).to_be_hidden()
        meeting = await make_meeting(admin, title="Họp giao ban tháng 12", invitee_ids=[delegate["id"], wrong["id"]])
        await expect(page.get_by_test_id("notice-count")).to_have_text("1")  # pushed, no reload
        await page.get_by_test_id("notice-toggle").click()
        item = page.get_by_test_id("notice-item")
        await expect(item).to_contain_text("Giấy mời họp: Họp giao ban tháng 12")
        box_ = await page.get_by_test_id("notice-toggle").bounding_box()
        assert box_ is not None and box_["height"] >= 44  # a touch target
        await page.get_by_test_id("notice-read-all").click()
        await expect(page.get_by_test_id("notice-count")).to_be_hidden()

        async def settled(failed: int) -> bool:
            status, page_ = await admin.get(f"/api/meetings/{meeting['id']}/mail")
            return status == 200 and page_["counts"]["failed"] == failed and page_["counts"]["queued"] == 0

        await wait_for(lambda: settled(1), timeout=60)  # the sender has heard both replies
        office = await desk.new_page()
        watch_errors(office, errors)
        await login(office, server.url, "admin", ADMIN_PASSWORD)
        await office.goto(f"{server.url}/meetings/{meeting['id']}/edit")
        failed = office.locator("[data-testid=mail-row][data-status=failed]")
        await expect(failed).to_contain_text("Lò Văn Sai")
        await expect(failed.get_by_test_id("mail-error")).to_contain_text("550 5.1.1")
        await expect(office.get_by_test_id("mail-summary")).to_have_text(
            "Đã gửi 1 · Đang chờ gửi 0 · Gửi không được 1 · Không có địa chỉ 0"
        )
        status, _ = await admin.patch(f"/api/users/{wrong['id']}", {"email": "sai.dung@tuyenquang.gov.vn"})
        assert status == 200
        await failed.get_by_test_id("mail-resend").click()
        await wait_for(lambda: len(box.arrived) == 2, timeout=60)
        assert [a.rcpt for a in box.arrived] == [["tb@tuyenquang.gov.vn"], ["sai.dung@tuyenquang.gov.vn"]]
        await wait_for(lambda: settled(0), timeout=30)
        await office.get_by_test_id("mail-refresh").click()
        sent = office.locator(f"[data-testid=mail-row][data-person-id={wrong['id']}]")
        await expect(sent).to_have_attribute("data-status", "sent")
        await expect(sent.get_by_test_id("mail-status")).to_have_text("Đã gửi")
        assert errors == []
    finally:
        await tablet.close()
        await desk.close()
