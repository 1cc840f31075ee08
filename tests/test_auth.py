"""Sign-in, sessions, CSRF, rate limiting and the audit log, against a real server."""

from __future__ import annotations

from pathlib import Path

from tests.helpers import PASSWORD, LiveServer, make_meeting, wait_for


async def test_login_sets_a_safe_cookie_and_audits(any_server: LiveServer) -> None:
    await any_server.create_user("thuky", "Đỗ Thị Thu", ["secretary"])
    client = await any_server.client()
    async with client.http.post(
        f"{any_server.url}/api/auth/login", json={"username": "ThuKy", "password": PASSWORD}
    ) as response:
        assert response.status == 200
        cookie = response.headers["Set-Cookie"]
        body = await response.json()
    assert "ms_session=" in cookie and "HttpOnly" in cookie and "SameSite=Lax" in cookie
    assert body["user"]["username"] == "thuky" and "password_hash" not in body["user"]
    client.csrf = body["csrf_token"]
    status, me = await client.get("/api/auth/session")
    assert status == 200 and me["user"]["full_name"] == "Đỗ Thị Thu" and me["csrf_token"] == client.csrf
    admin = await any_server.admin()
    status, audit = await admin.get("/api/audit")
    assert "login" in [e["kind"] for e in audit["entries"]]


async def test_wrong_password_and_rate_limit(any_server: LiveServer) -> None:
    await any_server.create_user("chutich", "Hoàng Văn Dũng", ["chair"])
    client = await any_server.client()
    for _ in range(5):
        status, body = await client.post("/api/auth/login", {"username": "chutich", "password": "sai-mat-khau"})
        assert (status, body["error"]["code"]) == (401, "invalid_credentials")
    status, body = await client.post("/api/auth/login", {"username": "chutich", "password": PASSWORD})
    assert (status, body["error"]["code"]) == (429, "rate_limited")  # even the right password waits now
    assert "thử lại sau" in body["error"]["message"]
    status, body = await client.post("/api/auth/login", {"username": "nobody", "password": "x" * 8})
    assert status == 401
    admin = await any_server.admin()
    status, audit = await admin.get("/api/audit?limit=50")
    assert [e["kind"] for e in audit["entries"]].count("login_failed") >= 6


async def test_writes_need_the_csrf_token(any_server: LiveServer) -> None:
    admin = await any_server.admin()
    body = {"title": "Họp giao ban", "starts_at": "2026-11-24T08:00:00+07:00"}
    status, body = await admin.post("/api/meetings", body, headers={"X-CSRF-Token": "forged"})
    assert (status, body["error"]["code"]) == (403, "csrf_failed")
    token, admin.csrf = admin.csrf, None
    status, body = await admin.post("/api/meetings", {"title": "Họp", "starts_at": "2026-11-24T08:00:00+07:00"})
    assert (status, body["error"]["code"]) == (403, "csrf_failed")
    admin.csrf = token
    status, mine = await admin.get("/api/meetings?scope=all")
    assert mine["meetings"] == []


async def test_logout_ends_session_and_its_sockets(any_server: LiveServer) -> None:
    from tests.helpers import feed_for

    admin = await any_server.admin()
    meeting = await make_meeting(admin)
    feed = await feed_for(any_server, admin, meeting["id"])
    feed.sio.reconnection = False
    status, _ = await admin.post("/api/auth/logout")
    assert status == 200
    await wait_for(lambda: not feed.sio.connected)
    assert feed.revoked == "logout"
    status, body = await admin.get("/api/meetings")
    assert (status, body["error"]["code"]) == (401, "unauthenticated")


async def test_role_change_is_audited(any_server: LiveServer) -> None:
    user = await any_server.create_user("pct.hung", "Lê Văn Hùng", ["delegate"])
    admin = await any_server.admin()
    status, updated = await admin.patch(f"/api/users/{user['id']}", {"roles": ["chair", "delegate"]})
    assert status == 200 and updated["roles"] == ["chair", "delegate"]
    status, audit = await admin.get("/api/audit")
    entry = next(e for e in audit["entries"] if e["kind"] == "role_changed")
    assert entry["target_id"] == user["id"] and entry["detail"] == {
        "before": ["delegate"],
        "after": ["chair", "delegate"],
    }
    status, body = await admin.patch(f"/api/users/{admin.user_id}", {"roles": ["delegate"]})
    assert status == 422  # an admin cannot lock themselves out


async def test_device_token_authenticates_rest_but_not_writes_of_people(any_server: LiveServer) -> None:
    site_id = await any_server.create_site("Phòng họp UBND xã Tân Trào")
    admin = await any_server.admin()
    meeting = await make_meeting(admin, site_ids=[site_id])
    status, issued = await admin.post(f"/api/sites/{site_id}/token")
    room = await any_server.client()
    auth = {"Authorization": f"Bearer {issued['token']}"}
    status, mine = await room.get("/api/meetings", headers=auth)
    assert status == 200 and [m["id"] for m in mine["meetings"]] == [meeting["id"]]
    assert mine["meetings"][0]["my_role"] == "site"
    status, body = await room.post(
        "/api/meetings", {"title": "x", "starts_at": "2026-11-24T08:00:00+07:00"}, headers=auth
    )
    assert (status, body["error"]["code"]) == (403, "forbidden")
    status, again = await admin.post(f"/api/sites/{site_id}/token")  # re-issuing revokes the old token
    status, body = await room.get("/api/meetings", headers=auth)
    assert status == 401


async def test_behind_a_trusted_proxy_failures_count_per_forwarded_address(tmp_path: Path) -> None:
    server = LiveServer(
        f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}",
        tmp_path,
        settings_overrides={"trust_proxy": True, "login_failures_per_ip": 2, "login_failures_per_user": 100},
    )
    await server.start()
    try:
        client = await server.client()
        wrong = {"username": "admin", "password": "khong-dung-dau"}
        for _ in range(2):
            status, _ = await client.post("/api/auth/login", wrong, headers={"X-Forwarded-For": "192.0.2.10"})
            assert status == 401
        status, body = await client.post("/api/auth/login", wrong, headers={"X-Forwarded-For": "192.0.2.10"})
        assert body["error"]["code"] == "rate_limited"
        status, body = await client.post("/api/auth/login", wrong, headers={"X-Forwarded-For": "192.0.2.11"})
        assert body["error"]["code"] == "invalid_credentials"  # another hall behind the same proxy
    finally:
        await server.stop()


async def test_device_token_is_never_stored_in_clear(any_server: LiveServer) -> None:
    from sqlalchemy import text

    site_id = await any_server.create_site("Phòng họp UBND xã Kháng Nhật")
    admin = await any_server.admin()
    key = {"Idempotency-Key": "issue-token-once-0001"}
    status, first = await admin.post(f"/api/sites/{site_id}/token", headers=key)
    status, again = await admin.post(f"/api/sites/{site_id}/token", headers=key)
    assert "token" in first and "token" not in again and again["token_issued_at"] == first["token_issued_at"]
    assert any_server.services is not None
    async with any_server.services.db.read() as session:
        for table in ("sites", "commands", "audit_log"):
            rows = (await session.execute(text(f"SELECT * FROM {table}"))).all()
            assert first["token"] not in repr(rows), table


async def test_the_sweep_closes_room_pcs_whose_token_was_revoked_elsewhere(any_server: LiveServer) -> None:
    """Another node revoked the token (here: straight in the database, no notice to this node's sockets); this
    node's periodic sweep finds it and closes the room PC's socket, and leaves the still-valid ones alone."""
    from sqlalchemy import update

    from meeting_server.storage.models import SiteRow
    from room_client.feed import MeetingFeed

    admin = await any_server.admin()
    sites, tokens = [], []
    for name in ("Điểm cầu xã Hợp Thành", "Điểm cầu xã Kháng Nhật"):
        site_id = await any_server.create_site(name)
        status, body = await admin.post(f"/api/sites/{site_id}/token")
        sites.append(site_id)
        tokens.append(body["token"])
    meeting = await make_meeting(admin, site_ids=sites)
    feeds = [MeetingFeed(any_server.url, meeting["id"], token=t) for t in tokens]
    for feed in feeds:
        await feed.connect()
    hub = any_server.hub
    assert await hub.sweep() == 0
    assert any_server.services is not None
    async with any_server.services.db.write() as session:
        await session.execute(update(SiteRow).where(SiteRow.id == sites[0]).values(token_hash="revoked-elsewhere"))
    assert await hub.sweep() == 1
    await wait_for(lambda: not feeds[0].sio.connected, timeout=30)
    assert feeds[1].sio.connected
    for feed in feeds:
        await feed.close()
