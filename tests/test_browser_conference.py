"""The conference screens in a real Chromium against real aiortc site peers: the chair's console (every site's
picture playing, the chair's decisions) and a hall's wall display (paired with the site's device token, the main
site full screen, the chair inset, the agenda item, removal and readmission, the meeting's end), and a delegate
joining from the meeting page (camera and microphone, the chair's mute, leaving; an observer watching only).

Needs /usr/bin/chromium (Debian's package) and the `playwright` Python package; never `playwright install`.
Chromium runs with a fake camera and microphone (tests/browserkit.py), so the chair's console publishes too.
"""

from __future__ import annotations

import asyncio
import re
from pathlib import Path

import pytest
from playwright.async_api import Browser, FloatRect, Locator, Page, expect

from tests.browserkit import login, watch_errors
from tests.helpers import ADMIN_PASSWORD, PASSWORD, LiveServer, make_meeting, wait_for
from tests.mediakit import CHAIR, Conference, Peer, start_conference

pytestmark = [pytest.mark.browser, pytest.mark.timeout(180)]

SCREENSHOTS = Path(__file__).resolve().parent.parent / "docs" / "screenshots"
MEDIA_TIMEOUT_MS = 60_000  # a loaded CI: ICE (no trickle: the offer waits for gathering), DTLS, the first keyframe
LIVE_TIMEOUT_MS = 20_000  # pushed over socket.io; generous for a loaded CI


async def light_peers(conf: Conference, count: int) -> list[Peer]:
    """Site peers that decode only what the tests look at (the main site), so that a small CI machine running the
    server, the peers and Chromium at once keeps up."""
    started = []
    for index in range(count):
        peer = Peer(conf, index, video_slots=1, audio_slots=1)
        await peer.start()
        conf.peers.append(peer)
        started.append(peer)
    return started


async def eventually(page: Page, script: str, timeout_s: float = 30.0) -> None:
    """Waits until `script` (a JS expression, awaited) is truthy in the page."""
    deadline = asyncio.get_running_loop().time() + timeout_s
    while not await page.evaluate(script):
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"not true in time: {script}")
        await asyncio.sleep(0.2)


def tile(page: Page, key: str) -> Locator:
    return page.locator(f'[data-testid="site-tile"][data-key="{key}"]')


async def open_console(browser: Browser, conf: Conference, errors: list[str]) -> Page:
    context = await browser.new_context(viewport={"width": 1440, "height": 900}, locale="vi-VN")
    page = await context.new_page()
    watch_errors(page, errors)
    await login(page, conf.server.url, CHAIR, PASSWORD)
    await page.goto(f"{conf.server.url}/meetings/{conf.meeting_id}")
    await page.get_by_test_id("open-console").click()
    await expect(page.get_by_test_id("console-page")).to_be_visible()
    await expect(page.get_by_test_id("console-media-state")).to_have_attribute(
        "data-state", "connected", timeout=MEDIA_TIMEOUT_MS
    )
    return page


async def test_chair_console_shows_every_site_and_runs_the_conference(
    live_server: LiveServer, browser: Browser
) -> None:
    conf = await start_conference(live_server, 3)
    errors: list[str] = []
    try:
        a, b, c = await light_peers(conf, 3)
        page = await open_console(browser, conf, errors)

        # Every site's picture plays: the main site big, the others in the grid.
        for index in range(3):
            await expect(tile(page, conf.key(index))).to_have_attribute(
                "data-playing", "true", timeout=MEDIA_TIMEOUT_MS
            )
        main = page.get_by_test_id("console-main")
        await expect(main.locator(f'[data-key="{conf.key(0)}"]')).to_be_visible()
        await expect(page.get_by_test_id("console-grid").get_by_test_id("site-tile")).to_have_count(3)  # 2 + us
        await eventually(page, f"window.__media.framesFor('{conf.key(1)}').then(n => n > 0)")
        await expect(tile(page, conf.key(1)).get_by_test_id("tile-health")).to_have_attribute(
            "data-health", re.compile(r"^(good|poor)$")
        )
        await expect(tile(page, conf.key(1)).get_by_test_id("tile-name")).to_have_text("Điểm cầu xã 2")
        await expect(page.get_by_test_id("console-connected-count")).to_have_text("3/3 điểm cầu đã kết nối")
        await page.screenshot(path=str(SCREENSHOTS / "chair-console.png"))

        # Main site: every wall display follows the console's choice.
        await tile(page, conf.key(1)).get_by_test_id("tile-main").click()
        await expect(main.locator(f'[data-key="{conf.key(1)}"]')).to_be_visible(timeout=LIVE_TIMEOUT_MS)
        await wait_for(lambda: a.main_colour() == 1 and c.main_colour() == 1, timeout=10)
        await expect(tile(page, conf.key(1))).to_have_attribute("data-playing", "true", timeout=MEDIA_TIMEOUT_MS)

        # Mute and unmute a site.
        mute = tile(page, conf.key(2)).get_by_test_id("tile-mute")
        await mute.click()
        await expect(tile(page, conf.key(2))).to_have_attribute("data-muted", "true")
        await expect(mute).to_have_text("Bật micro")
        room = conf.room()
        assert any(cn.key == conf.key(2) and cn.sources["audio"].muted for cn in room.connections.values())
        await mute.click()
        await expect(mute).to_have_text("Tắt micro")

        # Lock and unlock.
        await page.get_by_test_id("console-lock").click()
        await expect(page.get_by_test_id("console-locked")).to_be_visible()
        await page.get_by_test_id("console-lock").click()
        await expect(page.get_by_test_id("console-locked")).to_be_hidden()

        # Roll call: a site answers for itself with its device token.
        await page.get_by_test_id("console-roll-call").click()
        count = page.get_by_test_id("roll-call-count")
        await expect(count).to_have_text("0/3 điểm cầu đã điểm danh")
        await expect(tile(page, conf.key(0)).get_by_test_id("tile-roll-call")).to_have_text("Chưa trả lời")
        status, snap = await conf.chair.get(f"/api/meetings/{conf.meeting_id}")
        roll_call_id = snap["conference"]["roll_call"]["id"]
        assert a.feed is not None
        await a.feed.command(
            "conference.answer_roll_call", {"meeting_id": conf.meeting_id, "roll_call_id": roll_call_id}
        )
        await expect(count).to_have_text("1/3 điểm cầu đã điểm danh", timeout=LIVE_TIMEOUT_MS)
        await expect(tile(page, conf.key(0)).get_by_test_id("tile-roll-call")).to_contain_text("Đã điểm danh")
        await page.get_by_test_id("console-roll-call-close").click()
        await expect(page.get_by_test_id("console-roll-call")).to_be_visible()

        # Recording.
        await page.get_by_test_id("console-record").click()
        await expect(page.get_by_test_id("recording-indicator")).to_be_visible()
        await page.get_by_test_id("console-record").click()
        await expect(page.get_by_test_id("recording-indicator")).to_be_hidden()

        # Remove (with the confirmation) and readmit.
        await tile(page, conf.key(2)).get_by_test_id("tile-remove").click()
        await page.get_by_test_id("dialog-confirm").click()
        await expect(tile(page, conf.key(2))).to_have_attribute("data-removed", "true")
        assert c.session is not None
        await wait_for(lambda: c.session.close_reason == "removed", timeout=10)
        await expect(tile(page, conf.key(2))).to_have_attribute("data-connected", "false", timeout=LIVE_TIMEOUT_MS)
        await tile(page, conf.key(2)).get_by_test_id("tile-readmit").click()
        await expect(tile(page, conf.key(2))).to_have_attribute("data-removed", "false")
        await expect(tile(page, conf.key(2)).get_by_test_id("tile-remove")).to_be_visible()

        assert errors == [], errors
    finally:
        await conf.close()


async def test_wall_display_pairs_and_follows_the_meeting(live_server: LiveServer, browser: Browser) -> None:
    conf = await start_conference(live_server, 3)
    errors: list[str] = []
    try:
        await light_peers(conf, 1)  # site 1, the main site, publishes; site 2's hall shows the display
        console = await open_console(browser, conf, errors)  # the chair's camera: the display's inset

        context = await browser.new_context(viewport={"width": 1920, "height": 1080}, locale="vi-VN")
        tv = await context.new_page()
        watch_errors(tv, errors)
        # Not paired yet: the pairing screen, which refuses a wrong token.
        await tv.goto(f"{conf.server.url}/display")
        await tv.get_by_test_id("display-pair-token").fill("not-a-device-token")
        await tv.get_by_test_id("display-pair-submit").click()
        await expect(tv.get_by_test_id("display-pair-error")).to_have_text("Mã thiết bị không đúng hoặc đã bị thu hồi.")
        # Paired once from the address; the token leaves the address bar and stays in localStorage.
        await tv.goto(f"{conf.server.url}/display#token={conf.tokens[1]}")
        await expect(tv.get_by_test_id("display-page")).to_have_attribute(
            "data-state", "meeting", timeout=LIVE_TIMEOUT_MS
        )
        assert "#" not in tv.url and "token" not in tv.url, tv.url
        assert await tv.evaluate("localStorage.getItem('ms.siteToken')") == conf.tokens[1]
        await expect(tv.get_by_test_id("topbar")).to_be_hidden()

        big = tv.get_by_test_id("display-main")
        await expect(big).to_have_attribute("data-source", conf.key(0), timeout=MEDIA_TIMEOUT_MS)
        await expect(big).to_have_attribute("data-playing", "true", timeout=MEDIA_TIMEOUT_MS)
        inset = tv.get_by_test_id("display-chair")
        await expect(inset).to_have_attribute("data-source", f"user:{conf.chair_id}", timeout=MEDIA_TIMEOUT_MS)
        await expect(inset).to_have_attribute("data-playing", "true", timeout=MEDIA_TIMEOUT_MS)
        await expect(tv.get_by_test_id("display-meeting-title")).to_have_text("Hội nghị trực tuyến tỉnh Tuyên Quang")
        await tv.screenshot(path=str(SCREENSHOTS / "wall-display.png"))
        # The chair's console shows the hall's display as watching only.
        await expect(tile(console, conf.key(1))).to_have_attribute("data-connected", "true", timeout=LIVE_TIMEOUT_MS)

        # The current agenda item follows the chair.
        status, snap = await conf.chair.get(f"/api/meetings/{conf.meeting_id}")
        item = snap["agenda"][1]
        status, _ = await conf.chair.post(f"/api/meetings/{conf.meeting_id}/agenda/current", {"item_id": item["id"]})
        assert status == 200
        await expect(tv.get_by_test_id("display-agenda-item")).to_contain_text(item["title"], timeout=LIVE_TIMEOUT_MS)

        # Removed: the display says so; readmitted: it comes back by itself.
        await conf.act("remove", {"participant": conf.key(1)})
        notice = tv.get_by_test_id("display-notice")
        await expect(notice).to_have_attribute("data-code", "removed", timeout=LIVE_TIMEOUT_MS)
        await expect(notice).to_be_visible()
        await conf.act("readmit", {"participant": conf.key(1)})
        await expect(notice).to_be_hidden(timeout=MEDIA_TIMEOUT_MS)
        await expect(big).to_have_attribute("data-playing", "true", timeout=MEDIA_TIMEOUT_MS)

        # The meeting ends: a calm waiting screen with a clock.
        status, _ = await conf.chair.post(f"/api/meetings/{conf.meeting_id}/end")
        assert status == 200
        await expect(tv.get_by_test_id("display-waiting")).to_be_visible(timeout=LIVE_TIMEOUT_MS)
        await expect(tv.get_by_test_id("display-waiting-text")).to_have_text("Chưa có cuộc họp đang diễn ra")
        await expect(tv.get_by_test_id("display-clock")).to_have_text(re.compile(r"^\d\d:\d\d$"))
        assert errors == [], errors
    finally:
        await conf.close()


async def test_delegate_joins_the_conference_from_the_meeting_page(live_server: LiveServer, browser: Browser) -> None:
    delegate = await live_server.create_user("daibieu.media", "Trần Thị Đại Biểu", ["delegate"])
    observer = await live_server.create_user("quansat.media", "Lê Văn Quan Sát", ["observer"])
    key = f"user:{delegate['id']}"
    conf = await start_conference(live_server, 2, invitee_ids=[delegate["id"], observer["id"]])
    errors: list[str] = []
    try:
        await light_peers(conf, 2)
        # Site 2 is the main site, so the chair inset shows the host hall (site 1): the chair publishes no camera.
        await conf.act("main-site", {"site_id": conf.site_ids[1]})

        context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="vi-VN")
        page = await context.new_page()
        watch_errors(page, errors)
        await login(page, conf.server.url, "daibieu.media", PASSWORD)
        await page.goto(f"{conf.server.url}/meetings/{conf.meeting_id}")
        await expect(page.get_by_test_id("media-panel")).to_be_visible()
        join = page.get_by_test_id("join-media")
        await expect(join).to_have_text("Tham gia bằng camera và micro")
        await join.click()

        # The main site big, the host hall inset, our own camera small and muted.
        big = page.get_by_test_id("media-main")
        await expect(big).to_have_attribute("data-source", conf.key(1), timeout=MEDIA_TIMEOUT_MS)
        await expect(big).to_have_attribute("data-playing", "true", timeout=MEDIA_TIMEOUT_MS)
        await expect(page.get_by_test_id("media-main-name")).to_have_text("Điểm cầu xã 2")
        inset = page.get_by_test_id("media-chair")
        await expect(inset).to_have_attribute("data-source", conf.key(0), timeout=MEDIA_TIMEOUT_MS)
        await expect(inset).to_have_attribute("data-playing", "true", timeout=MEDIA_TIMEOUT_MS)
        await eventually(page, f"window.__media.framesFor('{conf.key(1)}').then(n => n > 0)")
        own = page.get_by_test_id("media-self")
        await expect(own).to_be_visible()
        assert await own.evaluate("v => v.muted && v.videoWidth > 0")
        await expect(page.get_by_test_id("media-state")).to_have_attribute("data-state", "connected")

        # The server has our browser publishing its camera.
        def publishing() -> bool:
            room = conf.room()
            return room is not None and any(
                cn.key == key
                and cn.view == "delegate"
                and cn.publishes
                and "video" in cn.sources
                and cn.sources["video"].frames > 0
                for cn in room.connections.values()
            )

        await wait_for(publishing, timeout=MEDIA_TIMEOUT_MS / 1000)
        await page.screenshot(path=str(SCREENSHOTS / "delegate-conference.png"))

        # Our own microphone and camera, off and on again: the sender's track is disabled, nothing renegotiates.
        sender_enabled = (
            "kind => window.__media.session.pc.getSenders()"
            ".filter(s => s.track && s.track.kind === kind).every(s => s.track.enabled)"
        )
        mic = page.get_by_test_id("media-mic")
        await expect(mic).to_have_attribute("data-on", "true")
        await mic.click()
        await expect(mic).to_have_attribute("data-on", "false")
        await expect(mic).to_have_text("Bật micro")
        assert await page.evaluate(f"({sender_enabled})('audio')") is False
        await mic.click()
        await expect(mic).to_have_attribute("data-on", "true")
        assert await page.evaluate(f"({sender_enabled})('audio')") is True
        camera = page.get_by_test_id("media-camera")
        await camera.click()
        await expect(camera).to_have_attribute("data-on", "false")
        assert await page.evaluate(f"({sender_enabled})('video')") is False
        await camera.click()
        await expect(camera).to_have_attribute("data-on", "true")
        assert await page.evaluate(f"({sender_enabled})('video')") is True

        # The chair mutes us: the notice, and the microphone stays off until the chair turns it back on.
        await conf.act("mute", {"participant": key})
        notice = page.get_by_test_id("media-muted-notice")
        await expect(notice).to_have_text("Chủ trì đã tắt micro của bạn", timeout=LIVE_TIMEOUT_MS)
        await expect(mic).to_have_attribute("data-on", "false")
        await expect(mic).to_be_disabled()
        assert await page.evaluate(f"({sender_enabled})('audio')") is False
        await conf.act("unmute", {"participant": key})
        await expect(notice).to_be_hidden(timeout=LIVE_TIMEOUT_MS)
        await expect(mic).to_have_attribute("data-on", "true")

        # Leaving closes our connection on the server; the panel offers to join again.
        await page.get_by_test_id("leave-media").click()
        await expect(join).to_be_visible()
        await expect(page.get_by_test_id("media-stage")).to_be_hidden()

        def gone() -> bool:
            room = conf.room()
            return room is None or not any(cn.key == key for cn in room.connections.values())

        await wait_for(gone, timeout=10)
        assert await page.evaluate("window.__media") is None

        # An observer only watches and listens; while the chair has locked the meeting the panel says so, and
        # it comes in by itself once unlocked.
        await conf.act("lock")
        watcher = await browser.new_page(viewport={"width": 1280, "height": 800}, locale="vi-VN")
        watch_errors(watcher, errors)
        await login(watcher, conf.server.url, "quansat.media", PASSWORD)
        await watcher.goto(f"{conf.server.url}/meetings/{conf.meeting_id}")
        watch = watcher.get_by_test_id("join-media")
        await expect(watch).to_have_text("Xem và nghe")
        await watch.click()
        refused = watcher.get_by_test_id("media-error")
        await expect(refused).to_have_attribute("data-code", "conference_locked", timeout=MEDIA_TIMEOUT_MS)
        await expect(refused).to_have_text("Chủ trì đã khóa cuộc họp; điểm cầu mới không thể tham gia lúc này.")
        await conf.act("unlock")
        await expect(watcher.get_by_test_id("media-main")).to_have_attribute(
            "data-playing", "true", timeout=MEDIA_TIMEOUT_MS
        )
        await expect(refused).to_be_hidden()
        await expect(watcher.get_by_test_id("media-mic")).to_be_hidden()
        await expect(watcher.get_by_test_id("media-self")).to_have_count(0)
        room = conf.room()
        assert any(cn.key == f"user:{observer['id']}" and not cn.publishes for cn in room.connections.values())
        assert errors == [], errors
    finally:
        await conf.close()


def overlap(a: FloatRect | None, b: FloatRect | None) -> bool:
    assert a is not None and b is not None
    return (
        a["x"] < b["x"] + b["width"]
        and b["x"] < a["x"] + a["width"]
        and (a["y"] < b["y"] + b["height"] and b["y"] < a["y"] + a["height"])
    )


async def test_a_hall_booked_twice_stays_on_its_meeting_and_says_so(live_server: LiveServer, browser: Browser) -> None:
    """Issue 9 §1.9 and §1.10: the TV of a hall booked into two meetings switched silently to the one started
    last; "Bấm để bật âm thanh" was drawn over "Đang chờ hình ảnh…"."""
    conf = await start_conference(live_server, 2)
    errors: list[str] = []
    try:
        context = await browser.new_context(viewport={"width": 1920, "height": 1080}, locale="vi-VN")
        tv = await context.new_page()
        watch_errors(tv, errors)
        await tv.goto(f"{conf.server.url}/display#token={conf.tokens[1]}")
        screen = tv.get_by_test_id("display-page")
        await expect(screen).to_have_attribute("data-meeting-id", conf.meeting_id, timeout=LIVE_TIMEOUT_MS)

        # No picture yet and the browser blocks sound: both sentences readable, neither over the other.
        waiting = tv.get_by_text("Đang chờ hình ảnh từ điểm cầu chính…")
        await expect(waiting).to_be_visible()
        unmute = tv.get_by_test_id("display-unmute")
        await unmute.evaluate("b => { b.hidden = false; }")  # what onAudioBlocked does
        await expect(unmute).to_have_text("Bấm để bật âm thanh")
        shown = [await waiting.bounding_box(), await unmute.bounding_box()]
        for other in ("display-clock", "display-connection", "display-meeting-title"):
            shown.append(await tv.get_by_test_id(other).first.bounding_box())
        assert not overlap(shown[0], shown[1]), shown
        assert not any(overlap(shown[1], box) for box in shown[2:]), shown

        # A second meeting at the same time: adding the hall in the editor warns the organiser.
        second = await make_meeting(conf.admin, title="Họp chuyên đề về chuyển đổi số")
        office = await (await browser.new_context(viewport={"width": 1440, "height": 900}, locale="vi-VN")).new_page()
        watch_errors(office, errors)
        await login(office, conf.server.url, "admin", ADMIN_PASSWORD)
        await office.goto(f"{conf.server.url}/meetings/{second['id']}/edit")
        await office.locator(f'[data-testid="editor-sites-option"][value="{conf.site_ids[1]}"]').check()
        await office.get_by_test_id("editor-save").click()
        await expect(office.get_by_test_id("notice-message")).to_contain_text(
            "Điểm cầu xã 2 đã được xếp vào cuộc họp “Hội nghị trực tuyến tỉnh Tuyên Quang” trùng giờ."
        )
        await office.context.close()

        # It starts: the TV names it and stays where it is.
        status, body = await conf.admin.post(f"/api/meetings/{second['id']}/start")
        assert status == 200, body
        others = tv.get_by_test_id("display-others")
        await expect(others).to_contain_text("Họp chuyên đề về chuyển đổi số", timeout=LIVE_TIMEOUT_MS)
        await expect(screen).to_have_attribute("data-meeting-id", conf.meeting_id)
        await expect(tv.get_by_test_id("display-meeting-title")).to_have_text("Hội nghị trực tuyến tỉnh Tuyên Quang")

        # The first one ends: the screen moves to the one still in progress, and names no other.
        status, body = await conf.admin.post(f"/api/meetings/{conf.meeting_id}/end")
        assert status == 200, body
        await expect(screen).to_have_attribute("data-meeting-id", second["id"], timeout=LIVE_TIMEOUT_MS)
        await expect(tv.get_by_test_id("display-meeting-title")).to_have_text("Họp chuyên đề về chuyển đổi số")
        await expect(others).to_be_hidden()
        assert errors == [], errors
    finally:
        await conf.close()


async def test_a_province_console_shows_125_halls_on_one_screen(live_server: LiveServer, browser: Browser) -> None:
    """Issue 9 §1.13: at 40 sites the console was 2 columns and 5,852 px tall on 1920×1080. A province meeting's
    halls all show at once, the halls in trouble first, with filters and "Tắt tiếng tất cả xã"."""
    conf = await start_conference(live_server, 125)
    errors: list[str] = []
    try:
        peer = Peer(conf, 7, video_slots=1, audio_slots=1)  # one commune connected: "Điểm cầu xã 8"
        await peer.start()
        conf.peers.append(peer)
        context = await browser.new_context(viewport={"width": 1920, "height": 1080}, locale="vi-VN")
        page = await context.new_page()
        watch_errors(page, errors)
        await login(page, conf.server.url, CHAIR, PASSWORD)
        await page.goto(f"{conf.server.url}/meetings/{conf.meeting_id}/console")
        await expect(page.get_by_test_id("console-media-state")).to_have_attribute(
            "data-state", "connected", timeout=MEDIA_TIMEOUT_MS
        )
        connected = tile(page, conf.key(7))
        await expect(connected).to_have_attribute("data-connected", "true", timeout=MEDIA_TIMEOUT_MS)
        grid = page.get_by_test_id("console-grid").get_by_test_id("site-tile")
        await expect(grid).to_have_count(125)  # 124 communes and the chair's own camera; the main site is big

        # Every tile inside the window, and nothing to scroll.
        fit = await page.evaluate(
            """() => {
              const out = [...document.querySelectorAll('[data-testid="site-tile"]')].filter((el) => {
                const r = el.getBoundingClientRect();
                return r.width < 60 || r.left < 0 || r.top < 0 || r.right > innerWidth || r.bottom > innerHeight;
              });
              const doc = document.scrollingElement;
              return { outside: out.length, scroll: [doc.scrollHeight - innerHeight, doc.scrollWidth - innerWidth] };
            }"""
        )
        assert fit == {"outside": 0, "scroll": [0, 0]}, fit

        # The halls in trouble first: the one connected commune comes after every one not connected.
        keys = await grid.evaluate_all("els => els.map((el) => el.dataset.key)")
        assert keys[-1] == conf.key(7), keys[-3:]

        # Filters: connected, not connected, and a name typed without tones.
        await page.get_by_test_id("console-filter-online").click()
        await expect(connected).to_be_visible()
        await expect(tile(page, conf.key(9))).to_be_hidden()
        await page.get_by_test_id("console-filter-offline").click()
        await expect(connected).to_be_hidden()
        await expect(page.get_by_test_id("console-filter-offline")).to_have_text("Chưa kết nối (123)")
        await page.get_by_test_id("console-filter-all").click()
        await page.get_by_test_id("console-search").fill("diem cau xa 99")
        await expect(page.locator('[data-testid="console-grid"] [data-testid="site-tile"]:visible')).to_have_count(1)
        await expect(tile(page, conf.key(98))).to_be_visible()
        await page.get_by_test_id("console-search").fill("")

        # "Tắt tiếng tất cả xã": every site but the main one, in one command.
        await page.get_by_test_id("console-mute-sites").click()
        await expect(page.locator('[data-testid="site-tile"][data-muted="true"]')).to_have_count(
            124, timeout=LIVE_TIMEOUT_MS
        )
        await expect(tile(page, conf.key(0))).to_have_attribute("data-muted", "false")
        status, snap = await conf.chair.get(f"/api/meetings/{conf.meeting_id}")
        assert (
            status == 200 and len(snap["conference"]["muted"]) == 124 and conf.key(0) not in snap["conference"]["muted"]
        )
        await expect(page.get_by_test_id("console-mute-sites")).to_be_disabled()
        assert errors == [], errors
    finally:
        await conf.close()
