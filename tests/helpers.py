"""Test-side clients of the real server: a REST client with a cookie jar and the CSRF header, and a server
that runs in this event loop on a loopback port."""

from __future__ import annotations

import socket
import uuid
from dataclasses import dataclass, field
from typing import Any

import aiohttp
from aiohttp import web

from meeting_server.actions import Services
from meeting_server.api.app import build_services, create_app
from meeting_server.auth import COOKIE
from meeting_server.config import Settings
from meeting_server.passwords import hash_password
from meeting_server.signalling.hub import Hub
from meeting_server.storage.db import Database, new_id, now_iso
from meeting_server.storage.migrate import upgrade_async
from meeting_server.storage.models import SiteRow, UnitRow, UserRow

ADMIN_PASSWORD = "admin-pass-123"
PASSWORD = "mat-khau-thu-123"
SOCKET_CONNECT_S = 60.0
"""How long a test's socket.io client waits for the server to accept its namespace. python-socketio's default is one
second, which a loaded 2-core machine exceeds when many clients connect at once; a refusal still answers at once."""
_HASHES: dict[str, str] = {}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def password_hash(password: str) -> str:
    if password not in _HASHES:
        _HASHES[password] = hash_password(password)
    return _HASHES[password]


class ApiClient:
    """A signed-in (or anonymous) browser-like REST client."""

    def __init__(self, base_url: str, lang: str | None = None) -> None:
        self.base_url = base_url
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf: str | None = None
        self.user: dict[str, Any] | None = None
        self.lang = lang

    async def login(self, username: str, password: str) -> ApiClient:
        status, body = await self.request("POST", "/api/auth/login", {"username": username, "password": password})
        assert status == 200, body
        self.csrf, self.user = body["csrf_token"], body["user"]
        return self

    @property
    def user_id(self) -> str:
        assert self.user is not None, "not signed in"
        return str(self.user["id"])

    @property
    def cookie(self) -> str:
        for morsel in self.http.cookie_jar:
            if morsel.key == COOKIE:
                return f"{COOKIE}={morsel.value}"
        raise AssertionError("not signed in")

    async def request(
        self,
        method: str,
        path: str,
        body: Any = None,
        *,
        headers: dict[str, str] | None = None,
        raw: bytes | None = None,
    ) -> tuple[int, Any]:
        hdrs = dict(headers or {})
        if self.csrf and method not in ("GET", "HEAD") and "X-CSRF-Token" not in hdrs:
            hdrs["X-CSRF-Token"] = self.csrf
        if self.lang:
            hdrs.setdefault("Accept-Language", self.lang)
        kwargs: dict[str, Any] = {"headers": hdrs}
        if raw is not None:
            kwargs["data"] = raw
            hdrs.setdefault("Content-Type", "application/json")
        elif body is not None:
            kwargs["json"] = body
        async with self.http.request(method, self.base_url + path, **kwargs) as response:
            if response.content_type == "application/json":
                return response.status, await response.json()
            return response.status, await response.read()

    async def upload(
        self, path: str, content: bytes, filename: str = "tai-lieu.pdf", fields: dict[str, str] | None = None
    ) -> tuple[int, Any]:
        """A multipart form with the file in `file`, as the secretary's browser sends a paper."""
        form = aiohttp.FormData()
        for key, value in (fields or {}).items():
            form.add_field(key, value)
        form.add_field("file", content, filename=filename, content_type="application/pdf")
        hdrs = {"X-CSRF-Token": self.csrf} if self.csrf else {}
        async with self.http.post(self.base_url + path, data=form, headers=hdrs) as response:
            if response.content_type == "application/json":
                return response.status, await response.json()
            return response.status, await response.read()

    async def get(self, path: str, **kw: Any) -> tuple[int, Any]:
        return await self.request("GET", path, **kw)

    async def post(self, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        return await self.request("POST", path, body, **kw)

    async def patch(self, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        return await self.request("PATCH", path, body, **kw)

    async def put(self, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        return await self.request("PUT", path, body, **kw)

    async def delete(self, path: str, body: Any = None, **kw: Any) -> tuple[int, Any]:
        return await self.request("DELETE", path, body, **kw)

    async def close(self) -> None:
        await self.http.close()


@dataclass
class LiveServer:
    """The real application on 127.0.0.1, in the test's event loop, over a freshly migrated database."""

    database_url: str
    tmp_dir: Any
    settings_overrides: dict[str, Any] = field(default_factory=dict)
    url: str = ""
    port: int = 0
    services: Services | None = None
    runner: web.AppRunner | None = None
    clients: list[ApiClient] = field(default_factory=list)
    unit_id: str = ""

    async def start(self, migrate: bool = True, seed_admin: bool = True) -> LiveServer:
        if migrate:
            await upgrade_async(self.database_url)
        self.port = self.port or free_port()
        settings = Settings(
            data_dir=self.tmp_dir, database_url=self.database_url, port=self.port, **self.settings_overrides
        )
        self.services = build_services(settings, Database(self.database_url))
        app = create_app(self.services)
        self.runner = web.AppRunner(app, shutdown_timeout=1)
        await self.runner.setup()
        await web.TCPSite(self.runner, "127.0.0.1", self.port).start()
        self.url = f"http://127.0.0.1:{self.port}"
        if migrate and seed_admin:
            await self._seed_admin()
        return self

    async def stop(self) -> None:
        for client in self.clients:
            await client.close()
        self.clients.clear()
        if self.runner is not None:
            await self.runner.cleanup()
            self.runner = None

    @property
    def hub(self) -> Hub:
        """The live channel the app wired in: the actions see it only as a `Notifier`."""
        assert self.services is not None, "start() the server first"
        assert isinstance(self.services.notifier, Hub)
        return self.services.notifier

    async def _seed_admin(self) -> None:
        assert self.services is not None
        async with self.services.db.write() as session:
            province = UnitRow(
                id=new_id("un"),
                name="Tỉnh Tuyên Quang",
                kind="province",
                code="TQ",
                division_type="tỉnh",
                official_code="08",
                created_at=now_iso(),
            )
            session.add(province)
            self.unit_id = province.id
            await session.flush()
            session.add(
                UserRow(
                    id=new_id("u"),
                    username="admin",
                    full_name="Quản trị hệ thống",
                    title="",
                    password_hash=password_hash(ADMIN_PASSWORD),
                    roles=["admin"],
                    unit_id=province.id,
                    lang="vi",
                    active=True,
                    created_at=now_iso(),
                )
            )

    async def create_user(
        self,
        username: str,
        full_name: str,
        roles: list[str],
        password: str = PASSWORD,
        unit_id: str | None = None,
        title: str = "",
        email: str | None = None,
    ) -> dict[str, Any]:
        assert self.services is not None
        row = UserRow(
            id=new_id("u"),
            username=username,
            full_name=full_name,
            title=title,
            password_hash=password_hash(password),
            roles=sorted(roles),
            unit_id=unit_id or self.unit_id,
            lang="vi",
            active=True,
            created_at=now_iso(),
            email=email,
        )
        async with self.services.db.write() as session:
            session.add(row)
        return {
            "id": row.id,
            "username": username,
            "full_name": full_name,
            "roles": sorted(roles),
            "unit_id": row.unit_id,
        }

    async def create_unit(self, name: str, kind: str = "commune", parent_id: str | None = None) -> str:
        assert self.services is not None
        row = UnitRow(
            id=new_id("un"), name=name, kind=kind, parent_id=parent_id or self.unit_id, code="", created_at=now_iso()
        )
        async with self.services.db.write() as session:
            session.add(row)
        return row.id

    async def create_site(self, name: str, unit_id: str | None = None) -> str:
        assert self.services is not None
        row = SiteRow(
            id=new_id("s"),
            name=name,
            unit_id=unit_id or self.unit_id,
            location="",
            capacity=30,
            active=True,
            created_at=now_iso(),
        )
        async with self.services.db.write() as session:
            session.add(row)
        return row.id

    async def client(self, username: str | None = None, password: str = PASSWORD, lang: str | None = None) -> ApiClient:
        client = ApiClient(self.url, lang=lang)
        self.clients.append(client)
        if username:
            await client.login(username, ADMIN_PASSWORD if username == "admin" else password)
        return client

    async def admin(self) -> ApiClient:
        return await self.client("admin")


def command_id() -> str:
    return f"c-{uuid.uuid4().hex}"


async def make_meeting(
    api: ApiClient,
    *,
    title: str = "Hội nghị trực tuyến tỉnh Tuyên Quang",
    items: int = 2,
    schedule: bool = True,
    **fields: Any,
) -> dict[str, Any]:
    body = {"title": title, "starts_at": "2026-11-24T08:00:00+07:00", "ends_at": "2026-11-24T11:00:00+07:00", **fields}
    status, meeting = await api.post("/api/meetings", body)
    assert status == 201, meeting
    for n in range(items):
        status, meeting = await api.post(
            f"/api/meetings/{meeting['id']}/agenda", {"title": f"Nội dung {n + 1}", "planned_minutes": 15}
        )
        assert status == 201, meeting
    if schedule:
        status, meeting = await api.post(f"/api/meetings/{meeting['id']}/schedule")
        assert status == 200, meeting
    return dict(meeting)


async def feed_for(server: LiveServer, api: ApiClient, meeting_id: str, **kw: Any) -> Any:
    """A connected `MeetingFeed` signed in as the REST client's user."""
    from room_client.feed import MeetingFeed

    feed = MeetingFeed(server.url, meeting_id, cookie=api.cookie, **kw)
    await feed.connect()
    return feed


async def wait_for(predicate: Any, timeout: float = 10.0, interval: float = 0.02) -> None:
    import asyncio
    import inspect
    import time

    async def met() -> bool:
        value = predicate()
        return bool(await value) if inspect.isawaitable(value) else bool(value)

    deadline = time.monotonic() + timeout
    while not await met():  # a predicate may be a coroutine function (a REST read, say)
        if time.monotonic() > deadline:
            raise AssertionError("condition not met in time")
        await asyncio.sleep(interval)


class ServerProcess:
    """`meeting-server serve` as a real separate process, so a test can kill it mid-meeting and restart it."""

    def __init__(self, database_url: str, data_dir: Any, port: int | None = None) -> None:
        self.database_url = database_url
        self.data_dir = data_dir
        self.port = port or free_port()
        self.url = f"http://127.0.0.1:{self.port}"
        self.proc: Any = None

    async def start(self, timeout: float = 30.0) -> None:
        import asyncio
        import os
        import sys
        import time

        env = {
            **os.environ,
            "MS_DATABASE_URL": self.database_url,
            "MS_DATA_DIR": str(self.data_dir),
            "HOST": "127.0.0.1",
            "PORT": str(self.port),
        }
        log = open(f"{self.data_dir}/server-{self.port}.log", "ab")  # noqa: SIM115,ASYNC230 - tiny, once
        self.proc = await asyncio.create_subprocess_exec(
            sys.executable, "-m", "meeting_server", "serve", "--no-migrate", stdout=log, stderr=log, env=env
        )
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while True:
                try:
                    async with http.get(self.url + "/api/health") as r:
                        if r.status == 200:
                            return
                except aiohttp.ClientError:
                    pass
                if self.proc.returncode is not None or time.monotonic() > deadline:
                    raise RuntimeError(f"server did not start; see {self.data_dir}/server-{self.port}.log")
                await asyncio.sleep(0.1)

    async def kill(self) -> None:
        if self.proc and self.proc.returncode is None:
            self.proc.kill()
            await self.proc.wait()

    async def stop(self) -> None:
        if self.proc and self.proc.returncode is None:
            self.proc.terminate()
            await self.proc.wait()


async def check_in_everyone(desk: ApiClient, meeting_id: str, person_ids: list[str]) -> None:
    """The secretary's desk checks these people in at the main hall (attendance.record), one after another, so
    their entries' order is the list's."""
    for pid in person_ids:
        body = {"person_id": pid, "status": "checked_in", "place": "in_hall"}
        status, answer = await desk.post(f"/api/meetings/{meeting_id}/attendance", body)
        assert status == 200, answer


def one_page_pdf(text: str) -> bytes:
    """A one-page PDF with `text` on it: a paper to upload (small enough to make on the test's event loop)."""
    import pymupdf

    doc = pymupdf.open()
    doc.new_page().insert_text((72, 72), text)
    data: bytes = doc.tobytes()
    doc.close()
    return data


def pages_pdf(pages: list[str]) -> bytes:
    """An A4 PDF with one page per text, set in a font with Vietnamese letters (insert_htmlbox), so the paper's
    text layer reads back as written: a paper to search."""
    import pymupdf

    doc = pymupdf.open()
    for text in pages:
        doc.new_page(width=595, height=842).insert_htmlbox(pymupdf.Rect(50, 60, 545, 700), f"<p>{text}</p>")
    data = bytes(doc.tobytes())
    doc.close()
    return data
