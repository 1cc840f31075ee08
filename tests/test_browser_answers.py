"""Answering the invitation in Chromium: a delegate on a tablet-sized page answers "Tham dự trực tuyến", then sends a
colleague of the same unit instead, while the organiser's editor shows the answers live with their counts and
reminds the one who has not answered; the stand-in sees "Bạn dự thay cho …" on their own page."""

from __future__ import annotations

from playwright.async_api import Browser, expect

from tests.browserkit import login, watch_errors
from tests.helpers import ADMIN_PASSWORD, PASSWORD, LiveServer, check_in_everyone, make_meeting


async def test_a_delegate_answers_on_the_tablet_and_the_organiser_sees_it_live(
    live_server: LiveServer, browser: Browser
) -> None:
    unit = await live_server.create_unit("Sở Tài chính", kind="agency")
    delegate = await live_server.create_user("gd.tc", "Nguyễn Văn Giám Đốc", ["delegate"], unit_id=unit)
    await live_server.create_user("cv.tc", "Lê Thị Chuyên Viên", ["delegate"], unit_id=unit, title="Chuyên viên")
    other = await live_server.create_user("xa.tt", "Hoàng Văn Xã", ["delegate"])
    admin = await live_server.admin()
    meeting = await make_meeting(admin, invitee_ids=[delegate["id"], other["id"]], items=1)
    errors: list[str] = []
    tablet = await browser.new_context(viewport={"width": 800, "height": 1280}, locale="vi-VN")
    desk = await browser.new_context(viewport={"width": 1440, "height": 900}, locale="vi-VN")
    second = await browser.new_context(viewport={"width": 800, "height": 1280}, locale="vi-VN")
    try:
        organiser = await desk.new_page()
        watch_errors(organiser, errors)
        await login(organiser, live_server.url, "admin", ADMIN_PASSWORD)
        await organiser.goto(f"{live_server.url}/meetings/{meeting['id']}/edit")
        counts = organiser.get_by_test_id("answers-counts")
        await expect(counts).to_have_text("Tham dự 0 · Vắng mặt 0 · Cử người dự thay 0 · Chưa trả lời 2")

        page = await tablet.new_page()
        watch_errors(page, errors)
        await login(page, live_server.url, "gd.tc", PASSWORD)
        await page.goto(f"{live_server.url}/meetings/{meeting['id']}")
        await expect(page.get_by_test_id("answer-current")).to_have_text("Bạn chưa trả lời giấy mời.")
        attending = page.get_by_test_id("answer-kind-attending")
        await expect(attending).to_have_text("Tham dự")
        box = await attending.bounding_box()
        assert box is not None and box["height"] >= 56  # a big touch target
        await attending.click()
        await page.get_by_test_id("answer-mode-remote").click()
        await page.get_by_test_id("answer-send").click()
        await expect(page.get_by_test_id("answer-current")).to_have_text("Bạn đã trả lời: Tham dự trực tuyến")
        await expect(page.get_by_test_id("answer-done")).to_have_text("Đã gửi trả lời")
        await expect(counts).to_have_text("Tham dự 1 · Vắng mặt 0 · Cử người dự thay 0 · Chưa trả lời 1")

        # A change of plan: the colleague of the same unit goes instead.
        await page.get_by_test_id("answer-kind-stand_in").click()
        await page.get_by_test_id("answer-stand-in").select_option(label="Lê Thị Chuyên Viên — Chuyên viên")
        await page.get_by_test_id("answer-send").click()
        await expect(page.get_by_test_id("answer-current")).to_have_text(
            "Bạn đã trả lời: Cử người dự thay: Lê Thị Chuyên Viên"
        )
        await expect(counts).to_have_text("Tham dự 0 · Vắng mặt 0 · Cử người dự thay 1 · Chưa trả lời 2")
        row = organiser.locator('[data-testid="answers-row"][data-kind="stand_in"]')
        await expect(row.get_by_test_id("answers-line")).to_have_text("Cử người dự thay: Lê Thị Chuyên Viên")
        await expect(organiser.get_by_test_id("answers-stands-in-for")).to_have_text("dự thay cho Nguyễn Văn Giám Đốc")

        await organiser.get_by_test_id("answers-remind").click()
        await expect(organiser.get_by_test_id("answers-reminded")).to_have_text("Đã nhắc 2 người chưa trả lời.")

        stand_in = await second.new_page()
        watch_errors(stand_in, errors)
        await login(stand_in, live_server.url, "cv.tc", PASSWORD)
        await stand_in.goto(f"{live_server.url}/meetings/{meeting['id']}")
        await expect(stand_in.get_by_test_id("answer-stands-in-for")).to_have_text(
            "Bạn dự thay cho Nguyễn Văn Giám Đốc"
        )
        await expect(stand_in.get_by_test_id("answer-kind-stand_in")).to_have_count(0)  # no stand-in of a stand-in
        assert errors == []
    finally:
        await tablet.close()
        await desk.close()
        await second.close()


async def test_a_member_authorises_a_present_member_from_the_tablet_and_withdraws_it(
    live_server: LiveServer, browser: Browser
) -> None:
    chair = await live_server.create_user("chutri.uq", "Đỗ Văn Chủ Trì", ["chair"])
    member = await live_server.create_user("daibieu.uq", "Vũ Thị Ủy Quyền", ["delegate"])
    guest = await live_server.create_user("khach.uq", "Khách Mời", ["delegate"])
    admin = await live_server.admin()
    meeting = await make_meeting(
        admin, invitee_ids=[member["id"], guest["id"]], guest_ids=[guest["id"]], chair_id=chair["id"], items=1
    )
    assert (await admin.post(f"/api/meetings/{meeting['id']}/start"))[0] == 200
    await check_in_everyone(admin, meeting["id"], [chair["id"], guest["id"]])
    errors: list[str] = []
    tablet = await browser.new_context(viewport={"width": 800, "height": 1280}, locale="vi-VN")
    other = await browser.new_context(viewport={"width": 800, "height": 1280}, locale="vi-VN")
    try:
        page = await tablet.new_page()
        watch_errors(page, errors)
        await login(page, live_server.url, "daibieu.uq", PASSWORD)
        await page.goto(f"{live_server.url}/meetings/{meeting['id']}")
        await expect(page.get_by_test_id("proxy-me")).to_be_visible()
        pick = page.get_by_test_id("proxy-pick")
        await expect(pick.locator("option")).to_have_text(["Chọn người nhận ủy quyền", "Đỗ Văn Chủ Trì"])  # no guest
        await pick.select_option(label="Đỗ Văn Chủ Trì")
        give = page.get_by_test_id("proxy-give")
        box = await give.bounding_box()
        assert box is not None and box["height"] >= 56
        await give.click()
        await expect(page.get_by_test_id("proxy-given")).to_have_text("Bạn đã ủy quyền cho Đỗ Văn Chủ Trì")
        status, votes = await admin.get(f"/api/meetings/{meeting['id']}/votes")
        assert [(p["delegator"], p["proxy"]) for p in votes["proxies"]] == [(member["id"], chair["id"])]
        await page.get_by_test_id("proxy-withdraw").click()
        await expect(page.get_by_test_id("proxy-give")).to_be_visible()
        status, votes = await admin.get(f"/api/meetings/{meeting['id']}/votes")
        assert votes["proxies"][0]["withdrawn_at"]

        guest_page = await other.new_page()
        watch_errors(guest_page, errors)
        await login(guest_page, live_server.url, "khach.uq", PASSWORD)
        await guest_page.goto(f"{live_server.url}/meetings/{meeting['id']}")
        block = guest_page.get_by_test_id("proxy-me")
        await expect(block).to_have_attribute("data-loaded", "true")  # the membership was read
        await expect(block).to_be_hidden()  # a guest has no vote to give
        assert errors == []
    finally:
        await tablet.close()
        await other.close()


async def test_a_stand_in_casts_the_members_ballot_on_the_tablet(live_server: LiveServer, browser: Browser) -> None:
    unit = await live_server.create_unit("Sở Xây dựng", kind="agency")
    member = await live_server.create_user("gd.xd", "Phan Văn Giám Đốc", ["delegate"], unit_id=unit)
    deputy = await live_server.create_user("pgd.xd", "Mai Thị Phó", ["delegate"], unit_id=unit)
    admin = await live_server.admin()
    meeting = await make_meeting(admin, invitee_ids=[member["id"]], items=1)
    path = f"/api/meetings/{meeting['id']}"
    body = {"person_id": member["id"], "kind": "stand_in", "stand_in_id": deputy["id"]}
    assert (await admin.post(f"{path}/answers", body))[0] == 200  # the secretary, after a phone call
    assert (await admin.post(f"{path}/start"))[0] == 200
    await check_in_everyone(admin, meeting["id"], [deputy["id"]])
    status, made = await admin.post(f"{path}/votes", {"item_id": meeting["agenda"][0]["id"], "question": "Thông qua"})
    assert (await admin.post(f"{path}/votes/{made['vote']['id']}/open"))[0] == 200
    errors: list[str] = []
    tablet = await browser.new_context(viewport={"width": 800, "height": 1280}, locale="vi-VN")
    try:
        page = await tablet.new_page()
        watch_errors(page, errors)
        await login(page, live_server.url, "pgd.xd", PASSWORD)
        await page.goto(f"{live_server.url}/meetings/{meeting['id']}")
        await expect(page.get_by_test_id("vote-for-member")).to_have_text("Bạn biểu quyết thay cho Phan Văn Giám Đốc")
        await page.get_by_test_id("vote-choice-yes").click()
        await expect(page.get_by_test_id("vote-done")).to_be_visible()  # the text is there, hidden, before
        await expect(page.get_by_test_id("vote-done")).to_have_text("Đã ghi nhận phiếu của bạn")
        await expect(page.get_by_test_id("vote-error")).to_be_hidden()
        status, votes = await admin.get(f"{path}/votes")
        (ballot,) = votes["votes"][0]["ballots"]
        assert (ballot["voter"], ballot["cast_by"]) == (member["id"], deputy["id"])
        assert errors == []
    finally:
        await tablet.close()


async def test_a_proxy_holder_casts_their_own_ballot_and_the_one_they_hold(
    live_server: LiveServer, browser: Browser
) -> None:
    chair = await live_server.create_user("chutri.hai", "Đinh Văn Chủ Trì", ["chair"])
    member = await live_server.create_user("daibieu.hai", "Bùi Thị Vắng", ["delegate"])
    admin = await live_server.admin()
    meeting = await make_meeting(admin, invitee_ids=[member["id"]], chair_id=chair["id"], items=1)
    path = f"/api/meetings/{meeting['id']}"
    assert (await admin.post(f"{path}/start"))[0] == 200
    await check_in_everyone(admin, meeting["id"], [chair["id"]])
    assert (await admin.post(f"{path}/proxies", {"delegator": member["id"], "proxy": chair["id"]}))[0] == 201
    status, made = await admin.post(f"{path}/votes", {"item_id": meeting["agenda"][0]["id"], "question": "Thông qua"})
    assert (await admin.post(f"{path}/votes/{made['vote']['id']}/open"))[0] == 200
    errors: list[str] = []
    tablet = await browser.new_context(viewport={"width": 800, "height": 1280}, locale="vi-VN")
    second = await browser.new_context(viewport={"width": 800, "height": 1280}, locale="vi-VN")
    try:
        page = await tablet.new_page()
        watch_errors(page, errors)
        await login(page, live_server.url, "chutri.hai", PASSWORD)
        await page.goto(f"{live_server.url}/meetings/{meeting['id']}")
        held = page.locator(f'.vote-ballot[data-voter="{member["id"]}"]')
        await expect(held.get_by_test_id("vote-for-member")).to_have_text("Bạn biểu quyết thay cho Bùi Thị Vắng")
        own = page.locator(f'.vote-ballot[data-voter="{chair["id"]}"]')
        await expect(own).to_contain_text("Phiếu của bạn")
        await own.get_by_test_id("vote-choice-yes").click()
        await expect(own.get_by_test_id("vote-done")).to_be_visible()
        await held.get_by_test_id("vote-choice-no").click()
        held = page.locator(f'.vote-ballot[data-voter="{member["id"]}"]')  # redrawn after the first ballot
        await expect(held.get_by_test_id("vote-done")).to_be_visible()
        status, votes = await admin.get(f"{path}/votes")
        cast = {(b["voter"], b["cast_by"], tuple(b["choices"])) for b in votes["votes"][0]["ballots"]}
        assert cast == {(chair["id"], chair["id"], ("yes",)), (member["id"], chair["id"], ("no",))}
        delegator = await second.new_page()  # the member who gave the proxy sees no buttons of their own
        watch_errors(delegator, errors)
        await login(delegator, live_server.url, "daibieu.hai", PASSWORD)
        await delegator.goto(f"{live_server.url}/meetings/{meeting['id']}")
        await expect(delegator.get_by_test_id("vote-delegated")).to_have_text(
            "Bạn đã ủy quyền cho Đinh Văn Chủ Trì: người nhận ủy quyền biểu quyết thay bạn."
        )
        await expect(delegator.get_by_test_id("vote-choice-yes")).to_have_count(0)
        assert errors == []
    finally:
        await tablet.close()
        await second.close()
