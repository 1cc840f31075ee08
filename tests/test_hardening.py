"""Hostile HTTP input against the real server: every refusal is a 400 (or 408) in the one error shape with a
Vietnamese sentence, never a 500, and nothing saved before is lost; slow bodies are cut off; every response
carries the security headers, and HSTS when served over https."""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest

from meeting_server.errors import CATALOGUE
from meeting_server.inputs import MAX_JSON_DEPTH
from meeting_server.vocabulary import ErrorCode
from tests.helpers import ApiClient, LiveServer, make_meeting
from tests.paper_samples import simple

pytestmark = pytest.mark.timeout(120)
BOUNDARY = "vUXzKbOuNdArY"


def assert_refused(status: int, body: Any, code: ErrorCode, http_status: int = 400) -> None:
    assert status == http_status, body
    assert body["error"]["code"] == code, body
    assert body["error"]["message"].startswith(CATALOGUE[code][1].split("{")[0]), body  # the Vietnamese one


def form(*parts: tuple[bytes, bytes]) -> tuple[bytes, str]:
    """A multipart body from (Content-Disposition value, content) pairs, written by hand: a client library
    refuses to send what an attacker sends."""
    body = b""
    for disposition, content in parts:
        body += f"--{BOUNDARY}\r\n".encode() + b"Content-Disposition: " + disposition + b"\r\n\r\n" + content + b"\r\n"
    return body + f"--{BOUNDARY}--\r\n".encode(), f"multipart/form-data; boundary={BOUNDARY}"


async def raw_http(server: LiveServer, head: str, body: bytes = b"") -> bytes:
    """One request on a raw socket, exactly as written; returns all the server sent until it closed."""
    reader, writer = await asyncio.open_connection("127.0.0.1", server.port)
    try:
        writer.write(head.encode("latin-1") + b"\r\n" + body)
        await writer.drain()
        return await asyncio.wait_for(reader.read(), 30)
    finally:
        writer.close()


def parse_response(raw: bytes) -> tuple[int, dict[str, str], Any]:
    head, _, body = raw.partition(b"\r\n\r\n")
    lines = head.decode("latin-1").split("\r\n")
    headers = {k.lower(): v.strip() for k, _, v in (line.partition(":") for line in lines[1:])}
    return int(lines[0].split()[1]), headers, json.loads(body) if body.startswith(b"{") else body


@pytest.fixture
async def world(any_server: LiveServer) -> AsyncIterator[tuple[LiveServer, ApiClient, dict[str, Any]]]:
    await any_server.create_user("thuky", "Lê Thị Thư", ["secretary"])
    secretary = await any_server.client("thuky")
    meeting = await make_meeting(secretary, title="Họp giao ban tháng 12")
    yield any_server, secretary, meeting


async def test_absurd_json_is_refused_with_the_error_shape(
    world: tuple[LiveServer, ApiClient, dict[str, Any]],
) -> None:
    server, secretary, meeting = world
    anon = await server.client()
    deep = b"[" * 5000 + b"]" * 5000
    assert_refused(*await anon.request("POST", "/api/auth/login", raw=deep), "json_too_complex")
    just_too_deep = json.dumps({"username": "a", "password": "b", "x": [[[0]]]}).replace(
        "[[[0]]]", "[" * MAX_JSON_DEPTH + "]" * MAX_JSON_DEPTH
    )
    assert_refused(*await anon.request("POST", "/api/auth/login", raw=just_too_deep.encode()), "json_too_complex")
    assert_refused(*await secretary.request("POST", "/api/meetings", raw=deep), "json_too_complex")
    huge = b'{"title": "H\\u1ecdp", "planned_minutes": ' + b"7" * 4301 + b"}"
    assert_refused(
        *await secretary.request("POST", f"/api/meetings/{meeting['id']}/agenda", raw=huge), "json_too_complex"
    )
    status, body = await secretary.get(f"/api/meetings/{meeting['id']}")
    assert status == 200 and len(body["agenda"]) == 2, body


async def test_nul_in_any_text_is_refused_on_every_database(
    world: tuple[LiveServer, ApiClient, dict[str, Any]],
) -> None:
    """PostgreSQL cannot store U+0000; the refusal is the same everywhere, before a transaction opens."""
    server, secretary, meeting = world
    anon = await server.client()
    assert_refused(*await anon.post("/api/auth/login", {"username": "thu\x00ky", "password": "x"}), "nul_character")
    base = f"/api/meetings/{meeting['id']}"
    assert_refused(*await secretary.patch(base, {"title": "Họp\x00 giao ban"}), "nul_character")
    assert_refused(*await secretary.post(f"{base}/agenda", {"title": "Nội dung", "x\x00": 1}), "nul_character")
    assert_refused(*await secretary.post(f"{base}/agenda", {"title": ["a", {"b": "c\x00"}]}), "nul_character")
    assert_refused(*await secretary.get("/api/meetings/m%00x"), "nul_character")
    assert_refused(*await secretary.get("/api/meetings?q=a%00b"), "nul_character")
    body, content_type = form(
        (b'form-data; name="title"', "Báo cáo\x00".encode()),
        (b'form-data; name="file"; filename="bao-cao.pdf"', simple()),
    )
    refused = await secretary.request("POST", f"{base}/papers", raw=body, headers={"Content-Type": content_type})
    assert_refused(*refused, "nul_character")
    status, after = await secretary.get(base)
    assert status == 200 and after["title"] == "Họp giao ban tháng 12" and len(after["agenda"]) == 2, after
    assert (await secretary.get(f"{base}/papers"))[1]["papers"] == []


async def test_nul_in_an_upload_file_name_is_a_400(world: tuple[LiveServer, ApiClient, dict[str, Any]]) -> None:
    server, secretary, meeting = world
    path = f"/api/meetings/{meeting['id']}/papers"
    cases: tuple[tuple[bytes, ErrorCode], ...] = (
        (b"bao\x00cao.pdf", "malformed_upload"),  # a raw NUL: the part's headers cannot be parsed
        (b"bao%00cao.pdf", "nul_character"),  # percent-encoded, as aiohttp and curl scripts send names
    )
    for name, code in cases:
        body, content_type = form((b'form-data; name="file"; filename="' + name + b'"', simple()))
        assert_refused(*await secretary.request("POST", path, raw=body, headers={"Content-Type": content_type}), code)
    status, papers = await secretary.get(path)
    assert status == 200 and papers["papers"] == [], papers
    status, added = await secretary.upload(path, simple(), "báo cáo.pdf")
    assert status == 201 and added["paper"]["versions"][0]["filename"] == "báo cáo.pdf", added


async def test_upload_forms_are_bounded(live_server: LiveServer) -> None:
    await live_server.create_user("thuky", "Lê Thị Thư", ["secretary"])
    secretary = await live_server.client("thuky")
    meeting = await make_meeting(secretary)
    path = f"/api/meetings/{meeting['id']}/papers"
    assert live_server.services is not None
    many = [(f'form-data; name="f{n}"'.encode(), b"x") for n in range(live_server.services.settings.upload_max_parts)]
    body, content_type = form(*many, (b'form-data; name="file"; filename="a.pdf"', simple()))
    refused = await secretary.request("POST", path, raw=body, headers={"Content-Type": content_type})
    assert_refused(*refused, "malformed_upload")
    long_header = b'form-data; name="title"; x="' + b"a" * 100_000 + b'"'
    body, content_type = form((long_header, b"x"), (b'form-data; name="file"; filename="a.pdf"', simple()))
    refused = await secretary.request("POST", path, raw=body, headers={"Content-Type": content_type})
    assert_refused(*refused, "malformed_upload")
    file = (b'form-data; name="file"; filename="a.pdf"', simple())
    for odd in ((b"form-data", b"x" * 100_000), (b'form-data; name="title"', b"x"), file):  # unnamed, twice
        body, content_type = form((b'form-data; name="title"', b"x"), file, odd)
        refused = await secretary.request("POST", path, raw=body, headers={"Content-Type": content_type})
        assert_refused(*refused, "malformed_upload")
    body, content_type = form((b'form-data; name="title"', b"t" * 30_000), (b'form-data; name="file"', simple()))
    refused = await secretary.request("POST", path, raw=body, headers={"Content-Type": content_type})
    assert_refused(*refused, "invalid_input", 422)
    assert (await secretary.get(path))[1]["papers"] == []


async def test_a_host_that_is_no_host_name_is_a_400(world: tuple[LiveServer, ApiClient, dict[str, Any]]) -> None:
    server, secretary, meeting = world
    path = f"/api/meetings/{meeting['id']}/invitation.ics"
    head = f'GET {path} HTTP/1.1\r\nHost: ex"ample\r\nCookie: {secretary.cookie}\r\nConnection: close\r\n'
    status, headers, body = parse_response(await raw_http(server, head))
    assert_refused(status, body, "invalid_host")
    assert headers["x-content-type-options"] == "nosniff"
    head = head.replace('ex"ample', "hop.tuyenquang.gov.vn:8443")
    status, _, body = parse_response(await raw_http(server, head))
    assert status == 200 and b"URL:http://hop.tuyenquang.gov.vn:8443/meetings/" in body, body


async def test_a_slow_body_is_cut_off(tmp_path: Path) -> None:
    """Headers, part of the body, then nothing: the server answers 408 and closes once the body deadline has
    passed (the test waits for the server, not for a clock). Uploads have their own, longer deadline, which a
    client claiming a multipart body elsewhere does not get."""
    server = LiveServer(
        f"sqlite+aiosqlite:///{tmp_path / 'meetings.sqlite3'}",
        tmp_path,
        settings_overrides={"body_timeout_seconds": 0.5, "upload_timeout_seconds": 1.5},
    )
    await server.start()
    try:
        await server.create_user("thuky", "Lê Thị Thư", ["secretary"])
        secretary = await server.client("thuky")
        meeting = await make_meeting(secretary)
        signed_in = f"Cookie: {secretary.cookie}\r\nX-CSRF-Token: {secretary.csrf}\r\n"
        multipart = f"Content-Type: multipart/form-data; boundary={BOUNDARY}\r\n"
        json_body = "Content-Type: application/json\r\n"
        sized, chunked = "Content-Length: 1000\r\n", "Transfer-Encoding: chunked\r\n"
        for path, headers, start, limit in (
            ("/api/auth/login", json_body + sized, b'{"username": "a', "0.5"),  # anonymous
            ("/api/auth/login", json_body + chunked, b'10\r\n{"username": "a', "0.5"),
            (f"/api/meetings/{meeting['id']}/agenda", signed_in + json_body + sized, b'{"title": "N', "0.5"),
            (f"/api/meetings/{meeting['id']}/papers", signed_in + multipart + sized, b"--" + BOUNDARY.encode(), "1.5"),
        ):
            head = f"POST {path} HTTP/1.1\r\nHost: 127.0.0.1\r\n{headers}"
            status, answer_headers, body = parse_response(await raw_http(server, head, start))
            assert_refused(status, body, "request_timeout", 408)
            assert f"quá {limit} giây" in body["error"]["message"], (path, body)
            assert answer_headers["content-security-policy"].startswith("default-src 'self'")
        # A multipart claim on the sign-in is refused before any of its body is awaited (it takes JSON only).
        head = f"POST /api/auth/login HTTP/1.1\r\nHost: 127.0.0.1\r\n{multipart + sized}"
        status, _, body = parse_response(await raw_http(server, head, b"--" + BOUNDARY.encode()))
        assert_refused(status, body, "unsupported_media_type", 415)
        status, _ = await secretary.post(f"/api/meetings/{meeting['id']}/agenda", {"title": "Kịp giờ"})
        assert status == 201
    finally:
        await server.stop()


SECURITY = ("content-security-policy", "x-content-type-options", "referrer-policy", "x-frame-options")


async def test_every_response_carries_the_security_headers(live_server: LiveServer) -> None:
    anon = await live_server.client()
    async with aiohttp.ClientSession() as http:
        for method, path, expected in (
            ("GET", "/api/health", 200),
            ("GET", "/api/meetings", 401),
            ("GET", "/api/nothing-here", 404),
            ("GET", "/nothing-here", 404),
            ("GET", "/static/nothing-here.js", 404),
            ("DELETE", "/api/health", 405),
            ("POST", "/api/auth/login", 400),
            ("GET", "/", 200),
            ("GET", "/static/app/i18n.js", 200),
        ):
            data = b"{" if method == "POST" else None
            json_type = {"Content-Type": "application/json"} if data else {}
            async with http.request(method, live_server.url + path, data=data, headers=json_type) as response:
                assert response.status == expected, (method, path, response.status)
                for name in SECURITY:
                    assert name in response.headers, (method, path, name, dict(response.headers))
                assert "frame-ancestors 'none'" in response.headers["content-security-policy"]
                assert "strict-transport-security" not in response.headers, (path, "plain http")
    await anon.close()


async def test_hsts_when_served_over_https(tmp_path: Path) -> None:
    server = LiveServer(
        f"sqlite+aiosqlite:///{tmp_path / 'meetings.sqlite3'}", tmp_path, settings_overrides={"trust_proxy": True}
    )
    await server.start()
    try:
        async with aiohttp.ClientSession() as http:
            for path in ("/api/health", "/api/nothing-here", "/nothing-here"):
                async with http.get(server.url + path, headers={"X-Forwarded-Proto": "https"}) as response:
                    hsts = response.headers.get("Strict-Transport-Security", "")
                    assert hsts == "max-age=31536000; includeSubDomains", (path, dict(response.headers))
                async with http.get(server.url + path, headers={"X-Forwarded-Proto": "http"}) as response:
                    assert "Strict-Transport-Security" not in response.headers
    finally:
        await server.stop()


async def test_hsts_is_not_taken_from_an_untrusted_client(live_server: LiveServer) -> None:
    headers = {"X-Forwarded-Proto": "https"}
    async with aiohttp.ClientSession() as http, http.get(live_server.url + "/api/health", headers=headers) as response:
        assert response.status == 200
        assert "Strict-Transport-Security" not in response.headers


async def test_integers_beyond_what_the_database_stores_are_no_500(
    world: tuple[LiveServer, ApiClient, dict[str, Any]],
) -> None:
    server, secretary, meeting = world
    base = f"/api/meetings/{meeting['id']}"
    status, paper = await secretary.upload(f"{base}/papers", simple(), "a.pdf", {"publish": "1"})
    assert status == 201, paper
    paper_id = paper["paper"]["id"]
    for big in (2**31, 2**63, 10**30):
        status, body = await secretary.get(f"{base}/events?after={big}")
        assert status < 500, body
        for path in (f"versions/{big}/text", f"versions/1/pages/{big}", f"annotations?version={big}"):
            status, body = await secretary.get(f"{base}/papers/{paper_id}/{path}")
            assert status < 500, (path, body)


async def socket_packets(ws: aiohttp.ClientWebSocketResponse, prefix: str) -> str:
    """The next socket.io packet starting with `prefix`, answering the engine's pings on the way."""
    while True:
        message = await asyncio.wait_for(ws.receive_str(), 30)
        if message == "2":
            await ws.send_str("3")
        elif message.startswith(prefix):
            return message


async def test_a_socket_packet_whose_json_cannot_be_read_is_answered_on_its_ack(live_server: LiveServer) -> None:
    """Over the live channel too: nested 5,000 deep, a 5,000-digit integer or broken JSON got no answer at all
    (the packet raised inside the engine); now its ack carries the error shape, and the socket goes on working."""
    delegate = await live_server.client("admin")
    url = live_server.url.replace("http", "ws", 1) + "/socket.io/?EIO=4&transport=websocket"
    async with aiohttp.ClientSession() as http, http.ws_connect(url, headers={"Cookie": delegate.cookie}) as ws:
        await socket_packets(ws, "0")  # the engine's open packet
        await ws.send_str("40")
        await socket_packets(ws, "40")
        cases: tuple[tuple[int, str, ErrorCode], ...] = (
            (1, '["command",' + "[" * 5000 + "]" * 5000 + "]", "json_too_complex"),
            (2, '["command",{"command_id":"c1","action":"x","args":{"n":' + "9" * 5000 + "}}]", "json_too_complex"),
            (3, '["command",{"command_id":', "malformed_json"),
        )
        for ack, payload, code in cases:
            await ws.send_str(f"42{ack}{payload}")
            answer = json.loads((await socket_packets(ws, f"43{ack}"))[len(f"43{ack}") :])
            assert answer[0]["error"]["code"] == code, (ack, answer)
            assert answer[0]["error"]["message"] == CATALOGUE[code][1].format(limit=MAX_JSON_DEPTH)
        await ws.send_str('424["ping",{}]')
        pong = json.loads((await socket_packets(ws, "434"))[3:])
        assert pong[0]["ok"] is True
