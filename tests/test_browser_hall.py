"""A commune hall's operator runs the hall from the web on a tablet-sized page: records two commune members present,
sees the hall's state line (not the main site, muted, the quorum), asks for the floor for the hall and sees its place
in the queue; the chair gives it the floor and the page shows "Đang phát biểu" with the countdown, the hall now the
main site with its sound on; then a named vote opens and the operator enters the hall's show of hands per member,
and the result after the close counts it; on a secret vote a member who voted on her own tablet is left out of the
hall's voters, counts beyond the hall's voters are refused with the server's sentence, and the right ones counted."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, Page, expect

from tests.browserkit import login, watch_errors
from tests.helpers import PASSWORD, ApiClient, LiveServer, make_meeting

SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
COUNTDOWN = re.compile(r"^[0-4]:[0-5]\d$")  # five minutes by default, counting down


async def assert_big(page: Page, testid: str) -> None:
    target = page.get_by_test_id(testid).first
    await expect(target).to_be_visible()
    box = await target.bounding_box()
    assert box is not None and box["height"] >= 56, box  # a big touch target


async def open_vote(admin: ApiClient, mid: str, item: str, **fields: Any) -> str:
    status, made = await admin.post(f"/api/meetings/{mid}/votes", {"item_id": item, **fields})
    assert status == 201, made
    vote_id = str(made["vote"]["id"])
    status, body = await admin.post(f"/api/meetings/{mid}/votes/{vote_id}/open", {})
    assert status == 200, body
    return vote_id


async def test_the_hall_operator_asks_the_floor_and_enters_the_show_of_hands(
    live_server: LiveServer, browser: Browser
) -> None:
    commune = await live_server.create_unit("Xã Tân Trào")
    main = await live_server.create_site("Hội trường tỉnh")
    hall = await live_server.create_site("Điểm cầu xã Tân Trào", commune)
    lan = await live_server.create_user("daibieu.lan", "Hà Thị Lan", ["delegate"], unit_id=commune)
    ba = await live_server.create_user("daibieu.ba", "Nông Văn Ba", ["delegate"], unit_id=commune)
    minh = await live_server.create_user("daibieu.minh", "Lý Văn Minh", ["delegate"])
    await live_server.create_user("kythuat.tantrao", "Kỹ thuật Tân Trào", ["site_operator"], unit_id=commune)
    admin = await live_server.admin()
    meeting = await make_meeting(
        admin,
        invitee_ids=[lan["id"], ba["id"], minh["id"]],  # the commune's members invited by name
        site_ids=[main, hall],
        main_site_id=main,
        items=1,
    )
    mid, item = meeting["id"], meeting["agenda"][0]["id"]
    assert (await admin.post(f"/api/meetings/{mid}/start"))[0] == 200
    assert (await admin.post(f"/api/meetings/{mid}/conference/mute-sites", {}))[0] == 200
    errors: list[str] = []
    context = await browser.new_context(viewport={"width": 800, "height": 1280}, locale="vi-VN")
    try:
        page = await context.new_page()
        watch_errors(page, errors)
        await login(page, live_server.url, "kythuat.tantrao", PASSWORD)
        # The two commune members are recorded present at the hall, one press each.
        await page.goto(f"{live_server.url}/meetings/{mid}/attendance")
        for person in (lan, ba):
            item_row = page.locator(f'[data-testid="site-person"][data-person-id="{person["id"]}"]')
            await item_row.get_by_test_id("site-mark").click()
            await expect(item_row.get_by_test_id("site-leave")).to_be_visible()
        await expect(page.get_by_test_id("site-count")).to_have_text("Có mặt tại điểm cầu: 2/2")

        await page.goto(f"{live_server.url}/meetings/{mid}")
        card = page.get_by_test_id("hall-card")
        await expect(card.locator("h2")).to_have_text("Điểm cầu xã Tân Trào: điều hành điểm cầu")
        await expect(card.get_by_test_id("hall-main")).to_have_text("Không phải điểm cầu chính")
        await expect(card.get_by_test_id("hall-muted")).to_have_text("Đang tắt tiếng")
        await expect(card.get_by_test_id("hall-quorum")).to_have_text("Có mặt 2/3 · đủ điều kiện tiến hành")
        await expect(card.get_by_test_id("hall-floor-item")).to_have_text("Nội dung: Nội dung 1")
        ask = card.get_by_test_id("hall-ask")
        await expect(ask).to_have_text("Điểm cầu xã Tân Trào xin phát biểu")
        await assert_big(page, "hall-ask")
        await ask.click()  # asked, then withdrawn: the hall may ask again
        await expect(card.get_by_test_id("hall-place")).to_have_attribute("data-place", "1")
        await card.get_by_test_id("hall-withdraw").click()
        await expect(ask).to_be_visible()
        status, snap = await admin.get(f"/api/meetings/{mid}")
        assert [r["status"] for r in snap["floor"]["requests"]] == ["withdrawn"]
        await card.get_by_test_id("hall-kind-proposal").click()
        await card.get_by_test_id("hall-topic-input").fill("Kiến nghị về trường học của xã")
        await ask.click()
        place = card.get_by_test_id("hall-place")
        await expect(place).to_have_text("Điểm cầu xã Tân Trào đang chờ phát biểu: thứ tự 1")
        await expect(card.get_by_test_id("hall-topic")).to_have_text("Kiến nghị về trường học của xã")
        await expect(card.get_by_test_id("hall-withdraw")).to_have_text("Rút đăng ký")

        # The chair's side sees the hall's request and gives it the floor.
        status, snap = await admin.get(f"/api/meetings/{mid}")
        assert status == 200
        waiting = [r for r in snap["floor"]["requests"] if r["status"] == "waiting"]
        assert [(r["speaker"], r["site_id"], r["kind"]) for r in waiting] == [(f"site:{hall}", hall, "proposal")]
        status, body = await admin.post(f"/api/meetings/{mid}/floor/requests/{waiting[0]['id']}/give", {})
        assert status == 200, body
        await expect(card.get_by_test_id("hall-speaking")).to_have_text("Đang phát biểu")
        await expect(card.get_by_test_id("hall-countdown")).to_have_text(COUNTDOWN)
        await expect(card.get_by_test_id("hall-main")).to_have_text("Điểm cầu chính")
        await expect(card.get_by_test_id("hall-muted")).to_have_text("Đang mở tiếng")
        assert (await admin.post(f"/api/meetings/{mid}/floor/end", {}))[0] == 200
        await expect(card.get_by_test_id("hall-ask")).to_be_visible()  # the hall may ask again

        # A named vote: one row per member present at the hall, a choice each, confirmed, then counted.
        named = await open_vote(admin, mid, item, question="Thông qua Nghị quyết số 12")
        tally = card.get_by_test_id("hall-tally")
        await expect(tally.get_by_test_id("hall-vote-question")).to_have_text("Thông qua Nghị quyết số 12")
        await expect(tally.get_by_test_id("hall-present")).to_have_text("Thành viên có mặt tại điểm cầu: 2")
        await expect(tally.get_by_test_id("hall-voter")).to_have_count(2)
        lan_row = tally.locator(f'[data-testid="hall-voter"][data-person-id="{lan["id"]}"]')
        ba_row = tally.locator(f'[data-testid="hall-voter"][data-person-id="{ba["id"]}"]')
        await expect(lan_row.get_by_test_id("hall-voter-name")).to_have_text("Hà Thị Lan")
        await assert_big(page, "hall-choice-yes")
        await lan_row.get_by_test_id("hall-choice-yes").click()
        await expect(lan_row.get_by_test_id("hall-choice-yes")).to_have_attribute("aria-pressed", "true")
        await ba_row.get_by_test_id("hall-choice-no").click()
        await card.screenshot(path=str(SCREENSHOTS / "hall-tally.png"))
        await tally.get_by_test_id("hall-tally-send").click()
        confirm = page.get_by_test_id("confirm-dialog")
        await expect(confirm).to_contain_text("Hà Thị Lan: Đồng ý; Nông Văn Ba: Không đồng ý")
        await confirm.get_by_test_id("dialog-confirm").click()
        await expect(tally.get_by_test_id("hall-tally-done")).to_be_visible()
        await expect(tally.get_by_test_id("hall-tally-done")).to_have_text("Đã ghi nhận kết quả của điểm cầu")
        await expect(lan_row.get_by_test_id("hall-voter-cast")).to_have_text("Đã ghi nhận: Đồng ý")
        await expect(ba_row.get_by_test_id("hall-voter-cast")).to_have_text("Đã ghi nhận: Không đồng ý")
        assert (await admin.post(f"/api/meetings/{mid}/votes/{named}/close", {}))[0] == 200
        await expect(tally).to_have_attribute("data-status", "closed")
        await expect(tally.get_by_test_id("hall-result-yes")).to_contain_text("1 phiếu (")
        await expect(tally.get_by_test_id("hall-result-no")).to_contain_text("1 phiếu (")
        await expect(tally.get_by_test_id("hall-result-passed")).to_have_text("Không thông qua")
        status, listed = await admin.get(f"/api/meetings/{mid}/votes")
        closed = next(v for v in listed["votes"] if v["id"] == named)
        assert sorted((b["voter"], b["choices"], b["site_id"]) for b in closed["ballots"]) == sorted(
            [(lan["id"], ["yes"], hall), (ba["id"], ["no"], hall)]
        )

        # A secret vote: who took part and the counts per choice. Lan votes on her own tablet: the hall's card unticks
        # her, so the hall's show of hands is Ba's only; counting more than him is refused with the server's sentence.
        secret = await open_vote(admin, mid, item, question="Lấy phiếu tín nhiệm", secret=True)
        await expect(tally).to_have_attribute("data-vote-id", secret)
        await expect(tally.get_by_test_id("hall-took")).to_have_count(2)
        took = tally.get_by_test_id("hall-voters-count")
        await expect(took).to_have_text("Số người biểu quyết: 2")
        own = await live_server.client("daibieu.lan")
        status, body = await own.post(f"/api/meetings/{mid}/votes/{secret}/ballots", {"choices": ["yes"]})
        assert status == 200, body
        lan_took = tally.locator(f'[data-testid="hall-took"][data-person-id="{lan["id"]}"]')
        await expect(lan_took).to_have_attribute("aria-pressed", "false")
        await expect(took).to_have_text("Số người biểu quyết: 1")
        await tally.get_by_test_id("hall-count-yes").fill("2")
        await tally.get_by_test_id("hall-tally-send").click()
        await expect(page.get_by_test_id("confirm-dialog")).to_contain_text("Số người biểu quyết: 1: Đồng ý 2")
        await page.get_by_test_id("confirm-dialog").get_by_test_id("dialog-confirm").click()
        refusal = tally.get_by_test_id("hall-tally-error")
        await expect(refusal).to_have_text("Số phiếu mỗi phương án từ 0 đến số người đã biểu quyết.")
        await tally.get_by_test_id("hall-count-yes").fill("1")
        await tally.get_by_test_id("hall-tally-send").click()
        await page.get_by_test_id("confirm-dialog").get_by_test_id("dialog-confirm").click()
        await expect(tally.get_by_test_id("hall-tally-done")).to_be_visible()
        await expect(tally.get_by_test_id("hall-tally-done")).to_have_text("Đã ghi nhận kết quả của điểm cầu")
        assert (await admin.post(f"/api/meetings/{mid}/votes/{secret}/close", {}))[0] == 200
        await expect(tally.get_by_test_id("hall-result-yes")).to_contain_text("2 phiếu (")  # Lan's and the hall's
        await expect(tally.get_by_test_id("hall-result-passed")).to_have_text("Thông qua")
        assert errors == []
    finally:
        await context.close()
