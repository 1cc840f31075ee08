"""Login CSRF (issue 9): a cross-site form must not sign a victim in as the attacker, nor write anything."""

from __future__ import annotations

import json
from pathlib import Path

from tests.helpers import ADMIN_PASSWORD, LiveServer

CREDENTIALS = json.dumps({"username": "admin", "password": ADMIN_PASSWORD})


async def test_a_text_plain_form_cannot_sign_anyone_in(live_server: LiveServer) -> None:
    client = await live_server.client()
    # what <form enctype="text/plain"> on another site sends: no preflight, the victim's browser keeps the cookie
    status, body = await client.post(
        "/api/auth/login", raw=CREDENTIALS.encode(), headers={"Content-Type": "text/plain"}
    )
    assert (status, body["error"]["code"]) == (415, "unsupported_media_type")
    assert "application/json" in body["error"]["message"]
    assert not [m for m in client.http.cookie_jar if m.key == "ms_session"]


async def test_a_foreign_origin_or_referer_is_refused(live_server: LiveServer) -> None:
    client = await live_server.client()
    for header in ({"Origin": "https://evil.example"}, {"Referer": "https://evil.example/page"}, {"Origin": "null"}):
        status, body = await client.post("/api/auth/login", raw=CREDENTIALS.encode(), headers=header)
        assert (status, body["error"]["code"]) == (403, "origin_refused"), header
        assert "không được phép" in body["error"]["message"]
    admin = await live_server.admin()
    status, body = await admin.post(
        "/api/meetings",
        {"title": "Họp", "starts_at": "2026-11-24T08:00:00+07:00"},
        headers={"Origin": "https://evil.example"},
    )
    assert (status, body["error"]["code"]) == (403, "origin_refused")  # every state-changing route


async def test_the_server_s_own_pages_sign_in(live_server: LiveServer) -> None:
    client = await live_server.client()
    for header in ({"Origin": live_server.url}, {"Referer": f"{live_server.url}/login"}, {}):
        status, body = await client.post("/api/auth/login", raw=CREDENTIALS.encode(), headers=header)
        assert status == 200, (header, body)


async def test_behind_the_proxy_its_host_and_scheme_are_the_origin(tmp_path: Path) -> None:
    server = LiveServer(
        f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}",
        tmp_path,
        {"trust_proxy": True, "allowed_origins": ("https://hop.tuyenquang.gov.vn",)},
    )
    await server.start()
    try:
        client = await server.client()
        proxied = {"X-Forwarded-Host": "hop.tinh.gov.vn", "X-Forwarded-Proto": "https"}
        status, _ = await client.post(
            "/api/auth/login", raw=CREDENTIALS.encode(), headers={**proxied, "Origin": "https://hop.tinh.gov.vn"}
        )
        assert status == 200
        status, _ = await client.post(
            "/api/auth/login", raw=CREDENTIALS.encode(), headers={"Origin": "https://hop.tuyenquang.gov.vn"}
        )
        assert status == 200  # listed in MS_ALLOWED_ORIGINS
        status, body = await client.post(
            "/api/auth/login", raw=CREDENTIALS.encode(), headers={**proxied, "Origin": "http://hop.tinh.gov.vn"}
        )
        assert (status, body["error"]["code"]) == (403, "origin_refused")  # plain HTTP is another origin
    finally:
        await server.stop()


async def test_writes_need_a_json_body(live_server: LiveServer) -> None:
    admin = await live_server.admin()
    meeting = json.dumps({"title": "Họp", "starts_at": "2026-11-24T08:00:00+07:00"}).encode()
    status, body = await admin.post("/api/meetings", raw=meeting, headers={"Content-Type": "text/plain"})
    assert (status, body["error"]["code"]) == (415, "unsupported_media_type")
    status, _ = await admin.post("/api/meetings", raw=meeting)
    assert status == 201
