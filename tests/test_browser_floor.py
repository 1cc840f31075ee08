"""The floor's screens in Chromium: a delegate asks to speak on a tablet-sized page and sees their place in the
queue, the chair's console shows the queue (name, hall, waiting time) and gives the floor in one press, the hall's
wall display shows the speaker, their hall and the countdown, the tablet shows "Đang phát biểu" with the
countdown; the chair ends the speech and it is gone from every screen."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Browser, expect

from tests.browserkit import login, watch_errors
from tests.helpers import ADMIN_PASSWORD, PASSWORD, LiveServer, make_meeting

SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
COUNTDOWN = re.compile(r"^[0-4]:[0-5]\d$")  # five minutes by default, counting down


async def test_a_delegate_asks_the_chair_gives_the_floor_the_display_counts_down(
    live_server: LiveServer, browser: Browser
) -> None:
    delegate = await live_server.create_user("daibieu.pb", "Nguyễn Văn Phát", ["delegate"])
    main = await live_server.create_site("Hội trường tỉnh")
    hall = await live_server.create_site("Xã Tân Trào")
    admin = await live_server.admin()
    meeting = await make_meeting(admin, invitee_ids=[delegate["id"]], site_ids=[main, hall], main_site_id=main, items=1)
    mid = meeting["id"]
    status, token = await admin.post(f"/api/sites/{hall}/token")
    assert status == 200
    assert (await admin.post(f"/api/meetings/{mid}/start"))[0] == 200
    errors: list[str] = []
    tablet_context = await browser.new_context(viewport={"width": 800, "height": 1280}, locale="vi-VN")
    chair_context = await browser.new_context(viewport={"width": 1440, "height": 900}, locale="vi-VN")
    tv_context = await browser.new_context(viewport={"width": 1280, "height": 720}, locale="vi-VN")
    try:
        tablet = await tablet_context.new_page()
        watch_errors(tablet, errors)
        await login(tablet, live_server.url, "daibieu.pb", PASSWORD)
        await tablet.goto(f"{live_server.url}/meetings/{mid}")
        me = tablet.get_by_test_id("floor-me")
        await expect(me).to_be_visible()
        await expect(tablet.get_by_test_id("floor-me-item")).to_have_text("Nội dung: Nội dung 1")
        ask = tablet.get_by_test_id("floor-ask")
        await expect(ask).to_have_text("Đăng ký phát biểu")
        box = await ask.bounding_box()
        assert box is not None and box["height"] >= 56  # a big touch target
        await tablet.get_by_test_id("floor-kind-proposal").click()
        await tablet.get_by_test_id("floor-topic").fill("Kiến nghị về đường giao thông nông thôn")
        await ask.click()
        await expect(tablet.get_by_test_id("floor-me-place")).to_have_text("Bạn đang chờ phát biểu: thứ tự 1")
        await expect(tablet.get_by_test_id("floor-withdraw")).to_have_text("Rút đăng ký")
        await me.screenshot(path=str(SCREENSHOTS / "floor-tablet.png"))

        chair = await chair_context.new_page()
        watch_errors(chair, errors)
        await login(chair, live_server.url, "admin", ADMIN_PASSWORD)
        await chair.goto(f"{live_server.url}/meetings/{mid}/console")
        row = chair.get_by_test_id("floor-queue-row")
        await expect(row).to_have_count(1)
        await expect(row.get_by_test_id("floor-position")).to_have_text("1")
        await expect(row.get_by_test_id("floor-queue-name")).to_have_text("Nguyễn Văn Phát")
        await expect(row.get_by_test_id("floor-queue-site")).to_have_text("Trực tuyến")
        await expect(row.get_by_test_id("floor-queue-topic")).to_have_text("Kiến nghị về đường giao thông nông thôn")
        await expect(row.get_by_test_id("floor-waiting")).to_have_text(re.compile(r"^Chờ \d+:\d\d$"))
        await expect(chair.get_by_test_id("floor-no-speaker")).to_have_text("Chưa có ai phát biểu")

        tv = await tv_context.new_page()
        watch_errors(tv, errors)
        await tv.goto(f"{live_server.url}/display#token={token['token']}")
        await expect(tv.get_by_test_id("display-meeting-title")).to_have_text("Hội nghị trực tuyến tỉnh Tuyên Quang")
        await expect(tv.get_by_test_id("display-floor")).to_be_hidden()

        await chair.get_by_test_id("floor-only-speaker").check()
        await chair.get_by_test_id("floor-console").screenshot(path=str(SCREENSHOTS / "floor-console.png"))
        await row.get_by_test_id("floor-give").click()
        await expect(chair.get_by_test_id("floor-current-name")).to_have_text("Nguyễn Văn Phát")
        await expect(chair.get_by_test_id("floor-current-countdown")).to_have_text(COUNTDOWN)
        await expect(chair.get_by_test_id("floor-queue-empty")).to_have_text("Chưa có đăng ký phát biểu")
        await expect(tablet.get_by_test_id("floor-me-speaking")).to_have_text("Đang phát biểu")
        await expect(tablet.get_by_test_id("floor-me-countdown")).to_have_text(COUNTDOWN)
        await expect(tv.get_by_test_id("display-floor")).to_be_visible()
        await expect(tv.get_by_test_id("display-floor-name")).to_have_text("Nguyễn Văn Phát")
        await expect(tv.get_by_test_id("display-floor-site")).to_have_text("Trực tuyến")
        await expect(tv.get_by_test_id("display-floor-countdown")).to_have_text(COUNTDOWN)
        # Extending moves the countdown past the five minutes.
        await chair.get_by_test_id("floor-extend-3").click()
        await expect(tv.get_by_test_id("display-floor-countdown")).to_have_text(re.compile(r"^[5-7]:[0-5]\d$"))

        await chair.get_by_test_id("floor-end").click()
        await expect(chair.get_by_test_id("floor-no-speaker")).to_be_visible()
        await expect(tv.get_by_test_id("display-floor")).to_be_hidden()
        await expect(tablet.get_by_test_id("floor-me-speaking")).to_have_count(0)
        await expect(tablet.get_by_test_id("floor-ask")).to_be_visible()  # may ask again
        spoken = chair.get_by_test_id("floor-spoken-row")
        await expect(spoken).to_have_count(1)
        await expect(spoken).to_contain_text("Nguyễn Văn Phát")
        await expect(spoken.get_by_test_id("floor-spoken-time")).to_have_text(re.compile(r"^0:\d\d \(1 lượt\)$"))
        status, record = await admin.get(f"/api/meetings/{mid}/speeches")
        assert status == 200 and [s["end_reason"] for s in record["speeches"]] == ["ended_by_chair"]
        assert record["speeches"][0]["extended"] is True
        assert errors == []
    finally:
        await tablet_context.close()
        await chair_context.close()
        await tv_context.close()
