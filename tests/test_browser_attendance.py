"""Attendance in Chromium: a delegate who is not signed in opens a hall's QR link on a tablet-sized page, signs in, is
brought back and checks in with one press, while the secretary's attendance page shows her present at that hall and
the quorum line moves; the desk records an absence with its reason and corrects it (the history kept); the commune
hall's operator records a delegate who has no tablet with one press; the tablet shows the state after a reload and
leaves early; the hall TV shows the QR code big with the meeting's title, also on the room PC with only its device
token, and the new code once the desk renews the key."""

from __future__ import annotations

import re
from pathlib import Path

from playwright.async_api import Browser, Locator, Page, expect

from meeting_server.domain.checkin import CheckinPlace, checkin_code
from meeting_server.storage import checkin as checkin_store
from tests.browserkit import login, signed_in_desktop, watch_errors
from tests.helpers import ADMIN_PASSWORD, PASSWORD, LiveServer, make_meeting

AT = r"\d\d:\d\d"
SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"


def row(page: Page, person_id: str) -> Locator:
    return page.locator(f'[data-testid="attendance-row"][data-person-id="{person_id}"]')


async def assert_big(target: Locator, least: float = 56) -> None:
    """A touch target a 60-year-old hits on a 10-inch tablet (or a picture seen from the back of the hall)."""
    box = await target.bounding_box()
    assert box is not None and box["height"] >= least, box


async def picture_loaded(page: Page, img: Locator) -> None:
    """Waits until the <img> has loaded a picture (the server answered it with an image)."""
    handle = await img.element_handle()
    await page.wait_for_function("img => img.complete && img.naturalWidth > 0", arg=handle)


async def test_a_delegate_checks_in_from_the_hall_qr_while_the_desk_watches(
    live_server: LiveServer, browser: Browser
) -> None:
    commune = await live_server.create_unit("Xã Tân Trào")
    hall = await live_server.create_site("Điểm cầu xã Tân Trào", commune)
    lan = await live_server.create_user("daibieu.lan", "Hà Thị Lan", ["delegate"], unit_id=commune)
    ba = await live_server.create_user("daibieu.ba", "Nông Văn Ba", ["delegate"], unit_id=commune)
    minh = await live_server.create_user("daibieu.minh", "Lý Văn Minh", ["delegate"])
    press = await live_server.create_unit("Báo Tuyên Quang", kind="agency")
    reporter = await live_server.create_user("phongvien", "Phóng viên Đỗ Thu", ["delegate"], unit_id=press)
    await live_server.create_user("kythuat.tantrao", "Kỹ thuật Tân Trào", ["site_operator"], unit_id=commune)
    admin = await live_server.admin()
    meeting = await make_meeting(
        admin,
        title="Hội nghị sơ kết 6 tháng",
        invitee_ids=[lan["id"], ba["id"], minh["id"]],
        invited_unit_ids=[press],  # the paper's people come with their unit: not on the list, so guests
        site_ids=[hall],
        main_site_id=hall,
        items=1,
    )
    mid = meeting["id"]
    assert live_server.services is not None
    async with live_server.services.db.read() as session:
        key = await checkin_store.key_of(session, mid)
    assert key is not None
    qr_link = f"{live_server.url}/checkin?code={checkin_code(key, CheckinPlace(mid, hall))}"

    errors: list[str] = []
    desk_context, desk = await signed_in_desktop(browser, live_server.url, "admin", ADMIN_PASSWORD, errors, 5000)
    tablet_context = await browser.new_context(viewport={"width": 800, "height": 1280}, locale="vi-VN")
    operator_context = await browser.new_context(viewport={"width": 800, "height": 1280}, locale="vi-VN")
    tv_context = await browser.new_context(viewport={"width": 1920, "height": 1080}, locale="vi-VN")
    try:
        await desk.goto(f"{live_server.url}/meetings/{mid}/attendance")
        quorum = desk.get_by_test_id("attendance-quorum")
        await expect(quorum).to_have_text("Có mặt 0/3 · chưa đủ điều kiện (cần 2)")
        await expect(desk.get_by_test_id("attendance-row")).to_have_count(4)
        await expect(row(desk, lan["id"]).get_by_test_id("attendance-line")).to_have_text("Chưa điểm danh")
        await expect(desk.get_by_test_id("attendance-pdf")).to_have_attribute("href", re.compile(r"/attendance\.pdf"))
        await desk.get_by_test_id("qr-hall").select_option(hall)
        await expect(desk.get_by_test_id("qr-sheet")).to_have_attribute(
            "href", re.compile(rf"sheet\.pdf\?site_id={hall}")
        )
        preview = desk.get_by_test_id("qr-preview")
        await expect(preview).to_have_attribute("src", re.compile(rf"qr\.svg\?site_id={hall}"))
        await picture_loaded(desk, preview)

        # The delegate scans the QR on a tablet that is not signed in: sign in first, then back to the code's page.
        tablet = await tablet_context.new_page()
        watch_errors(tablet, errors)
        await tablet.goto(qr_link)
        await expect(tablet.get_by_test_id("login-username")).to_be_visible()
        await tablet.get_by_test_id("login-username").fill("daibieu.lan")
        await tablet.get_by_test_id("login-password").fill(PASSWORD)
        await tablet.get_by_test_id("login-submit").click()
        await expect(tablet.get_by_test_id("checkin-hall")).to_have_text("Điểm cầu xã Tân Trào")
        assert "/checkin?code=" in tablet.url
        await expect(tablet.get_by_test_id("checkin-meeting")).to_have_text("Hội nghị sơ kết 6 tháng")
        button = tablet.get_by_test_id("attendance-check-in")
        await expect(button).to_have_text("Điểm danh tại Điểm cầu xã Tân Trào")
        await assert_big(button)
        await button.click()
        state = tablet.get_by_test_id("attendance-me-state")
        await expect(state).to_have_text(re.compile(rf"^Đã điểm danh lúc {AT} · tại Điểm cầu xã Tân Trào$"))
        await tablet.screenshot(path=str(SCREENSHOTS / "checkin-tablet.png"))

        # The desk sees her present at that hall, recorded by herself, and the quorum line moves.
        lan_row = row(desk, lan["id"])
        await expect(lan_row.get_by_test_id("attendance-line")).to_have_text("Có mặt tại Điểm cầu xã Tân Trào")
        await expect(lan_row.get_by_test_id("attendance-by")).to_have_text("Hà Thị Lan · tự điểm danh")
        await expect(lan_row.get_by_test_id("attendance-time")).to_have_text(re.compile(rf"^{AT}$"))
        await expect(quorum).to_have_text("Có mặt 1/3 · chưa đủ điều kiện (cần 2)")

        # Minh sends his apologies through the invitation: the desk's row shows it live, and recording him absent
        # takes his reason (already in the dialog); then corrected (he joined online); the history keeps the first.
        minh_api = await live_server.client("daibieu.minh")
        apologies = {"kind": "absent", "reason": "Đi công tác tại Hà Nội"}
        assert (await minh_api.post(f"/api/meetings/{meeting['id']}/answer", apologies))[0] == 200
        minh_row = row(desk, minh["id"])
        announced = minh_row.get_by_test_id("attendance-announced")
        await expect(announced).to_have_text("Đã báo vắng: Đi công tác tại Hà Nội")
        await minh_row.get_by_test_id("desk-absent-excused").click()
        await expect(desk.get_by_test_id("dialog-field-reason")).to_have_value("Đi công tác tại Hà Nội")
        await desk.get_by_test_id("dialog-confirm").click()
        await expect(announced).to_be_hidden()  # recorded: the entry's own note says it now
        await expect(minh_row.get_by_test_id("attendance-line")).to_have_text("Vắng có lý do")
        await expect(minh_row.get_by_test_id("attendance-note")).to_have_text("Lý do: Đi công tác tại Hà Nội")
        await minh_row.get_by_test_id("desk-correct").click()
        dialog = desk.get_by_test_id("correct-dialog")
        await dialog.get_by_test_id("correct-status").select_option("checked_in")
        await dialog.get_by_test_id("correct-place").select_option("remote")
        await desk.get_by_test_id("dialog-field-reason").fill("Đã dự trực tuyến từ đầu")
        await desk.get_by_test_id("dialog-confirm").click()
        await expect(minh_row.get_by_test_id("attendance-line")).to_contain_text("Có mặt trực tuyến")
        await expect(minh_row.get_by_test_id("attendance-note")).to_have_text("Đính chính: Đã dự trực tuyến từ đầu")
        await expect(minh_row.get_by_test_id("attendance-history")).to_contain_text("Lịch sử (1)")
        await expect(quorum).to_have_text("Có mặt 2/3 · đủ điều kiện tiến hành")

        # The commune hall's operator records Ba, who has no tablet, with one press; the hall's count follows.
        operator = await operator_context.new_page()
        watch_errors(operator, errors)
        await login(operator, live_server.url, "kythuat.tantrao", PASSWORD)
        await operator.goto(f"{live_server.url}/meetings/{mid}/attendance")
        await expect(operator.get_by_test_id("site-count")).to_have_text("Có mặt tại điểm cầu: 1/2")
        ba_item = operator.locator(f'[data-testid="site-person"][data-person-id="{ba["id"]}"]')
        mark = ba_item.get_by_test_id("site-mark")
        await assert_big(mark)
        await mark.click()
        await expect(operator.get_by_test_id("site-count")).to_have_text("Có mặt tại điểm cầu: 2/2")
        await expect(operator.get_by_test_id("attendance-desk")).to_be_hidden()  # not the desk's whole list
        ba_row = row(desk, ba["id"])
        await expect(ba_row.get_by_test_id("attendance-by")).to_have_text("Kỹ thuật Tân Trào · điểm cầu ghi nhận")
        await expect(quorum).to_have_text("Có mặt 3/3 · đủ điều kiện tiến hành")
        await desk.screenshot(path=str(SCREENSHOTS / "attendance-desk.png"))
        # A guest who came with their unit: recorded at the desk with one press, and never counted.
        reporter_row = row(desk, reporter["id"])
        await expect(reporter_row).to_contain_text("Khách mời")
        await reporter_row.get_by_test_id("desk-present").click()
        await expect(reporter_row.get_by_test_id("attendance-line")).to_have_text("Có mặt tại hội trường")
        await expect(quorum).to_have_text("Có mặt 3/3 · đủ điều kiện tiến hành")
        await desk.get_by_test_id("attendance-filter").select_option("checked_in")
        await expect(desk.get_by_test_id("attendance-row")).to_have_count(4)
        await desk.get_by_test_id("attendance-filter").select_option("absent_excused")
        await expect(desk.get_by_test_id("attendance-empty")).to_be_visible()
        await desk.get_by_test_id("attendance-filter").select_option("")
        # Someone invited while the page is open appears on it, not checked in, and the count's base follows.
        moi = await live_server.create_user("daibieu.moi", "Trần Văn Mới", ["delegate"])
        members = [lan["id"], ba["id"], minh["id"], moi["id"]]
        assert (await admin.patch(f"/api/meetings/{mid}", {"invitee_ids": members}))[0] == 200
        await expect(row(desk, moi["id"]).get_by_test_id("attendance-line")).to_have_text("Chưa điểm danh")
        await expect(quorum).to_have_text("Có mặt 3/4 · đủ điều kiện tiến hành")

        # The tablet's meeting page after a reload still says when and where; she leaves early from it.
        await tablet.goto(f"{live_server.url}/meetings/{mid}")
        await tablet.reload()
        await expect(state).to_have_text(re.compile(rf"^Đã điểm danh lúc {AT} · tại Điểm cầu xã Tân Trào$"))
        await tablet.get_by_test_id("attendance-leave-early").click()
        await tablet.get_by_test_id("dialog-confirm").click()
        await expect(state).to_have_text(re.compile(rf"^Về sớm lúc {AT}$"))
        await expect(lan_row.get_by_test_id("attendance-line")).to_have_text("Về sớm")
        await expect(quorum).to_have_text("Có mặt 2/4 · chưa đủ điều kiện (cần 3)")
        await expect(operator.get_by_test_id("site-count")).to_have_text("Có mặt tại điểm cầu: 1/2")

        # The hall TV: the meeting's title, the hall, the QR code big.
        await desk.goto(f"{live_server.url}/meetings/{mid}/checkin-tv?site_id={hall}")
        await expect(desk.get_by_test_id("checkin-tv-title")).to_have_text("Hội nghị sơ kết 6 tháng")
        await expect(desk.get_by_test_id("checkin-tv-hall")).to_have_text("Điểm cầu xã Tân Trào")
        qr = desk.get_by_test_id("checkin-tv-qr")
        await picture_loaded(desk, qr)
        await assert_big(qr, 500)  # 62% of the 900-pixel screen

        # The same on the hall's own TV, signed in with nothing but the room PC's device token; a new code shows.
        status, issued = await admin.post(f"/api/sites/{hall}/token")
        assert status == 200
        await tv_context.add_init_script(f"localStorage.setItem('ms.siteToken', {issued['token']!r})")
        tv = await tv_context.new_page()
        watch_errors(tv, errors)
        await tv.goto(f"{live_server.url}/meetings/{mid}/checkin-tv?site_id={hall}")
        await expect(tv.get_by_test_id("checkin-tv-hall")).to_have_text("Điểm cầu xã Tân Trào")
        tv_qr = tv.get_by_test_id("checkin-tv-qr")
        await picture_loaded(tv, tv_qr)
        first = await tv_qr.get_attribute("src")
        assert (await admin.post(f"/api/meetings/{mid}/checkin/key"))[0] == 200
        await expect(tv_qr).not_to_have_attribute("src", first or "")
        await picture_loaded(tv, tv_qr)
        assert errors == []
    finally:
        await desk_context.close()
        await tablet_context.close()
        await operator_context.close()
        await tv_context.close()
