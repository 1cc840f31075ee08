"""Answering the invitation in Chromium: a delegate on a tablet-sized page answers "Tham dự trực tuyến", then sends a
colleague of the same unit instead, while the organiser's editor shows the answers live with their counts and
reminds the one who has not answered; the stand-in sees "Bạn dự thay cho …" on their own page."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from playwright.async_api import Browser, BrowserContext, Page, expect

from tests.browserkit import login, watch_errors
from tests.helpers import ADMIN_PASSWORD, PASSWORD, ApiClient, LiveServer, check_in_everyone, make_meeting

TABLET = {"width": 800, "height": 1280}
DESKTOP = {"width": 1440, "height": 900}


class Screens:
    """Browsers signed in as different people (one context each), every page's errors collected."""

    def __init__(self, browser: Browser, server: LiveServer) -> None:
        self.browser, self.server = browser, server
        self.contexts: list[BrowserContext] = []
        self.errors: list[str] = []

    async def open(self, username: str, path: str, viewport: dict[str, int] = TABLET) -> Page:
        context = await self.browser.new_context(viewport=viewport, locale="vi-VN")  # type: ignore[arg-type]
        self.contexts.append(context)
        page = await context.new_page()
        watch_errors(page, self.errors)
        await login(page, self.server.url, username, ADMIN_PASSWORD if username == "admin" else PASSWORD)
        await page.goto(f"{self.server.url}{path}")
        return page


async def open_vote(admin: ApiClient, meeting: dict[str, Any]) -> None:
    """The meeting under way, with a named vote open on its first item."""
    path = f"/api/meetings/{meeting['id']}"
    assert (await admin.post(f"{path}/start"))[0] == 200
    status, made = await admin.post(f"{path}/votes", {"item_id": meeting["agenda"][0]["id"], "question": "Thông qua"})
    assert status == 201 and (await admin.post(f"{path}/votes/{made['vote']['id']}/open"))[0] == 200


async def ballots(admin: ApiClient, meeting: dict[str, Any]) -> set[tuple[str, str, tuple[str, ...]]]:
    """(voter, cast by, choices) of the meeting's first vote."""
    status, votes = await admin.get(f"/api/meetings/{meeting['id']}/votes")
    return {(b["voter"], b["cast_by"], tuple(b["choices"])) for b in votes["votes"][0]["ballots"]}


@asynccontextmanager
async def screens(browser: Browser, server: LiveServer) -> AsyncIterator[Screens]:
    shown = Screens(browser, server)
    try:
        yield shown
        assert shown.errors == []
    finally:
        for context in shown.contexts:
            await context.close()


async def test_a_delegate_answers_on_the_tablet_and_the_organiser_sees_it_live(
    live_server: LiveServer, browser: Browser
) -> None:
    unit = await live_server.create_unit("Sở Tài chính", kind="agency")
    delegate = await live_server.create_user("gd.tc", "Nguyễn Văn Giám Đốc", ["delegate"], unit_id=unit)
    await live_server.create_user("cv.tc", "Lê Thị Chuyên Viên", ["delegate"], unit_id=unit, title="Chuyên viên")
    other = await live_server.create_user("xa.tt", "Hoàng Văn Xã", ["delegate"])
    admin = await live_server.admin()
    meeting = await make_meeting(admin, invitee_ids=[delegate["id"], other["id"]], items=1)
    here = f"/meetings/{meeting['id']}"
    async with screens(browser, live_server) as shown:
        organiser = await shown.open("admin", f"{here}/edit", DESKTOP)
        counts = organiser.get_by_test_id("answers-counts")
        await expect(counts).to_have_text("Tham dự 0 · Vắng mặt 0 · Cử người dự thay 0 · Chưa trả lời 2")

        page = await shown.open("gd.tc", here)
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

        # The desk records an answer after a phone call.
        row = organiser.locator(f'[data-testid="answers-row"][data-person-id="{other["id"]}"]')
        await row.get_by_test_id("answers-record-for").click()
        await organiser.get_by_test_id("answer-for-kind").select_option(label="Vắng mặt")
        await organiser.get_by_test_id("dialog-field-reason").fill("Đi công tác")
        await organiser.get_by_test_id("dialog-confirm").click()
        await expect(row.get_by_test_id("answers-line")).to_have_text("Vắng mặt: Đi công tác")
        await expect(counts).to_have_text("Tham dự 0 · Vắng mặt 1 · Cử người dự thay 1 · Chưa trả lời 1")

        stand_in = await shown.open("cv.tc", here)
        await expect(stand_in.get_by_test_id("answer-stands-in-for")).to_have_text(
            "Bạn dự thay cho Nguyễn Văn Giám Đốc"
        )
        await expect(stand_in.get_by_test_id("answer-kind-stand_in")).to_have_count(0)  # no stand-in of a stand-in


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
    async with screens(browser, live_server) as shown:
        page = await shown.open("daibieu.uq", f"/meetings/{meeting['id']}")
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

        block = (await shown.open("khach.uq", f"/meetings/{meeting['id']}")).get_by_test_id("proxy-me")
        await expect(block).to_have_attribute("data-loaded", "true")  # the membership was read
        await expect(block).to_be_hidden()  # a guest has no vote to give


async def test_a_stand_in_casts_the_members_ballot_on_the_tablet(live_server: LiveServer, browser: Browser) -> None:
    unit = await live_server.create_unit("Sở Xây dựng", kind="agency")
    member = await live_server.create_user("gd.xd", "Phan Văn Giám Đốc", ["delegate"], unit_id=unit)
    deputy = await live_server.create_user("pgd.xd", "Mai Thị Phó", ["delegate"], unit_id=unit)
    admin = await live_server.admin()
    meeting = await make_meeting(admin, invitee_ids=[member["id"]], items=1)
    body = {"person_id": member["id"], "kind": "stand_in", "stand_in_id": deputy["id"]}
    assert (await admin.post(f"/api/meetings/{meeting['id']}/answers", body))[0] == 200  # after a phone call
    await check_in_everyone(admin, meeting["id"], [deputy["id"]])
    await open_vote(admin, meeting)
    async with screens(browser, live_server) as shown:
        page = await shown.open("pgd.xd", f"/meetings/{meeting['id']}")
        await expect(page.get_by_test_id("vote-for-member")).to_have_text("Bạn biểu quyết thay cho Phan Văn Giám Đốc")
        await page.get_by_test_id("vote-choice-yes").click()
        await expect(page.get_by_test_id("vote-done")).to_be_visible()  # the text is there, hidden, before
        await expect(page.get_by_test_id("vote-done")).to_have_text("Đã ghi nhận phiếu của bạn")
        await expect(page.get_by_test_id("vote-error")).to_be_hidden()
    assert await ballots(admin, meeting) == {(member["id"], deputy["id"], ("yes",))}


async def test_a_proxy_holder_casts_their_own_ballot_and_the_one_they_hold(
    live_server: LiveServer, browser: Browser
) -> None:
    chair = await live_server.create_user("chutri.hai", "Đinh Văn Chủ Trì", ["chair"])
    member = await live_server.create_user("daibieu.hai", "Bùi Thị Vắng", ["delegate"])
    admin = await live_server.admin()
    meeting = await make_meeting(admin, invitee_ids=[member["id"]], chair_id=chair["id"], items=1)
    await check_in_everyone(admin, meeting["id"], [chair["id"]])
    given = {"delegator": member["id"], "proxy": chair["id"]}
    assert (await admin.post(f"/api/meetings/{meeting['id']}/proxies", given))[0] == 201
    await open_vote(admin, meeting)
    async with screens(browser, live_server) as shown:
        page = await shown.open("chutri.hai", f"/meetings/{meeting['id']}")
        held = page.locator(f'.vote-ballot[data-voter="{member["id"]}"]')
        await expect(held.get_by_test_id("vote-for-member")).to_have_text("Bạn biểu quyết thay cho Bùi Thị Vắng")
        own = page.locator(f'.vote-ballot[data-voter="{chair["id"]}"]')
        await expect(own).to_contain_text("Phiếu của bạn")
        await own.get_by_test_id("vote-choice-yes").click()
        await expect(own.get_by_test_id("vote-done")).to_be_visible()
        await held.get_by_test_id("vote-choice-no").click()
        await expect(held.get_by_test_id("vote-done")).to_be_visible()
        assert await ballots(admin, meeting) == {
            (chair["id"], chair["id"], ("yes",)),
            (member["id"], chair["id"], ("no",)),
        }
        delegator = await shown.open("daibieu.hai", f"/meetings/{meeting['id']}")  # who gave the proxy
        await expect(delegator.get_by_test_id("vote-delegated")).to_have_text(
            "Bạn đã ủy quyền cho Đinh Văn Chủ Trì: người nhận ủy quyền biểu quyết thay bạn."
        )
        await expect(delegator.get_by_test_id("vote-choice-yes")).to_have_count(0)  # no buttons of their own
