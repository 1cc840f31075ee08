"""The archive page in Chromium (docs/archive.md): archived meetings listed and filtered by year, unit and kind, the
dossier downloaded by an organiser from the list and from the meeting's page; a delegate sees the meeting without
its download."""

from __future__ import annotations

import json
import zipfile
from pathlib import Path
from typing import Any

from playwright.async_api import Browser, expect

from meeting_server.api.archive import DOSSIERS
from meeting_server.signing.demo_pki import ensure_demo_pki
from tests.browserkit import signed_in_desktop
from tests.helpers import ADMIN_PASSWORD, PASSWORD, LiveServer, make_meeting

TIMEOUT_MS = 30_000


async def _archived(server: LiveServer, **fields: Any) -> str:
    admin = await server.admin()
    meeting = await make_meeting(admin, **fields)
    for step in ("start", "end", "archive"):
        status, body = await admin.post(f"/api/meetings/{meeting['id']}/{step}")
        assert status == 200, body
    return str(meeting["id"])


async def test_the_archive_page_lists_filters_and_downloads(live_server: LiveServer, browser: Browser) -> None:
    server = live_server
    ensure_demo_pki(server.tmp_dir, {}, "UBND tỉnh Tuyên Quang", "UBND tỉnh Tuyên Quang")  # the seal signs
    delegate = await server.create_user("daibieu", "Trần Thị Đại", ["delegate"])
    halls = [await server.create_site(f"Điểm cầu {n}") for n in (1, 2)]
    online = await _archived(
        server,
        title="Hội nghị trực tuyến tháng 11",
        site_ids=halls,
        main_site_id=halls[0],
        invitee_ids=[delegate["id"]],
    )
    in_hall = await _archived(
        server,
        title="Họp giao ban năm 2025",
        starts_at="2025-12-01T08:00:00+07:00",
        ends_at="2025-12-01T10:00:00+07:00",
        invitee_ids=[delegate["id"]],
    )
    assert server.runner is not None
    for meeting_id in (online, in_hall):
        await server.runner.app[DOSSIERS].wait(meeting_id)

    errors: list[str] = []
    context, page = await signed_in_desktop(browser, server.url, "admin", ADMIN_PASSWORD, errors, TIMEOUT_MS)
    try:
        await page.get_by_test_id("nav-archive").click()
        rows = page.get_by_test_id("archive-row")
        await expect(rows).to_have_count(2)
        await expect(page.get_by_test_id("archive-page")).to_contain_text("Lưu trữ cuộc họp")
        await page.get_by_test_id("archive-kind").select_option("in_person")
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_have_attribute("data-meeting-id", in_hall)
        await expect(rows.first).to_contain_text("Họp tại chỗ")
        await page.get_by_test_id("archive-kind").select_option("")
        await page.get_by_test_id("archive-year").select_option("2026")
        await expect(rows).to_have_count(1)
        await expect(rows.first).to_have_attribute("data-meeting-id", online)
        await expect(rows.first).to_contain_text("Họp trực tuyến")
        await page.get_by_test_id("archive-year").select_option("")
        await expect(rows).to_have_count(2)
        unit = page.get_by_test_id("archive-unit")
        await expect(unit.locator("option")).to_have_count(
            2
        )  # every unit, and the province the admin's meetings are of
        await unit.select_option(index=1)
        await expect(rows).to_have_count(2)

        async with page.expect_download() as downloading:
            await page.locator(f"[data-meeting-id='{online}']").get_by_test_id("dossier-download").click()
        download = await downloading.value
        saved = Path(server.tmp_dir) / "tai-ve.zip"
        await download.save_as(saved)
        with zipfile.ZipFile(saved) as archive:
            manifest = json.loads(archive.read("manifest.json"))
        assert manifest["meeting_id"] == online and manifest["metadata"]["Title"].endswith("tháng 11")

        # the meeting's own page offers the same download to its organiser
        await page.get_by_test_id("archive-meeting").first.click()
        await expect(page.get_by_test_id("meeting-status")).to_be_visible()
        await expect(page.get_by_test_id("dossier-download")).to_be_visible()
    finally:
        await context.close()

    # a delegate sees the archived meetings, without their dossiers
    context, page = await signed_in_desktop(browser, server.url, "daibieu", PASSWORD, errors, TIMEOUT_MS)
    try:
        await page.get_by_test_id("nav-archive").click()
        await expect(page.get_by_test_id("archive-row")).to_have_count(2)
        await expect(page.get_by_test_id("dossier-download")).to_have_count(0)
    finally:
        await context.close()
    assert errors == []
