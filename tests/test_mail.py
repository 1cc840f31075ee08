"""Invitations that reach people: the outbox written with the event, the sender, a REAL local SMTP server
(aiosmtpd) reading what arrived, the organiser's mail page, and the in-app notices."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from email.header import decode_header, make_header
from pathlib import Path
from typing import Any

import pytest
import socketio

from meeting_server import protocol as p
from meeting_server.actions.base import Context, build_services
from meeting_server.api.common import MAIL, WORKERS
from meeting_server.auth import actor_of_user
from meeting_server.config import Settings
from meeting_server.domain.meetings import Event
from meeting_server.mail.sender import MailSender
from meeting_server.storage import directory
from meeting_server.storage import meetings as meeting_store
from meeting_server.storage.db import Database
from tests.helpers import SOCKET_CONNECT_S, ApiClient, LiveServer, free_port, make_meeting, wait_for
from tests.mailkit import Inbox, SilentServer, parse_ics, pdf_text, smtp_server
from tests.pgserver import PostgresServer

TITLE = "Hội nghị triển khai nhiệm vụ năm 2027"


def smtp_settings(port: int, **extra: Any) -> dict[str, Any]:
    return {
        "smtp_host": "127.0.0.1",
        "smtp_port": port,
        "smtp_starttls": False,
        "smtp_from": "Văn phòng UBND tỉnh Tuyên Quang <vanphong@tuyenquang.gov.vn>",
        "smtp_timeout_seconds": 30.0,
        "public_url": "https://hop.tuyenquang.gov.vn",
        **extra,
    }


async def started(database_url: str, tmp_path: Path, request: pytest.FixtureRequest, **overrides: Any) -> LiveServer:
    if database_url.startswith("postgresql"):
        pg: PostgresServer = request.getfixturevalue("postgres")
        await pg.create_database(database_url.rsplit("/", 1)[1])
    server = LiveServer(database_url, tmp_path, settings_overrides=overrides)
    return await server.start()


def sender_of(server: LiveServer) -> MailSender:
    assert server.runner is not None
    return server.runner.app[MAIL]


async def people(server: LiveServer) -> dict[str, dict[str, Any]]:
    """Two delegates invited by name (one without e-mail), a commune invited as a unit with its chairman."""
    commune = await server.create_unit("Xã Tân Trào")
    return {
        "an": await server.create_user(
            "tp.taichinh", "Nguyễn Văn An", ["delegate"], title="Giám đốc Sở Tài chính", email="an.nv@tuyenquang.gov.vn"
        ),
        "binh": await server.create_user("tp.noivu", "Trần Thị Bình", ["delegate"]),  # no address
        "cuong": await server.create_user(
            "ct.tantrao", "Lê Mạnh Cường", ["delegate"], unit_id=commune, email="cuong.lm@tantrao.gov.vn"
        ),
        "unit": {"id": commune},
    }


async def mail_page(api: ApiClient, meeting_id: str) -> dict[str, Any]:
    status, page = await api.get(f"/api/meetings/{meeting_id}/mail")
    assert status == 200, page
    return dict(page)


def by_person(page: dict[str, Any], kind: str) -> dict[str, dict[str, Any]]:
    return {m["person_id"]: m for m in page["mails"] if m["kind"] == kind}


def decoded(value: str) -> str:
    return str(make_header(decode_header(value)))


@pytest.fixture
async def inbox() -> AsyncIterator[tuple[Inbox, int]]:
    box, port = Inbox(), free_port()
    server = await smtp_server(box, port)
    yield box, port
    server.close()
    await server.wait_closed()


async def test_invitation_change_and_cancellation_arrive_with_the_pdf_and_the_calendar(
    database_url: str, tmp_path: Path, request: pytest.FixtureRequest, inbox: tuple[Inbox, int]
) -> None:
    box, port = inbox
    server = await started(database_url, tmp_path, request, **smtp_settings(port))
    try:
        who = await people(server)
        an, binh, cuong = who["an"], who["binh"], who["cuong"]
        admin = await server.admin()
        reader = await server.client("tp.taichinh")
        told: list[dict[str, Any]] = []
        sio = socketio.AsyncClient()
        sio.on(p.NOTICES_CHANGED, lambda msg: told.append(msg))
        await sio.connect(
            server.url, headers={"Cookie": reader.cookie}, transports=["websocket"], wait_timeout=SOCKET_CONNECT_S
        )
        meeting = await make_meeting(
            admin, title=TITLE, invitee_ids=[an["id"], binh["id"]], invited_unit_ids=[who["unit"]["id"]]
        )
        mid = meeting["id"]

        # Everyone the meeting reaches gets a row; the one without an address only the notice.
        await wait_for(lambda: len(box.arrived) == 2, timeout=60)
        page = await mail_page(admin, mid)
        invitations = by_person(page, "invitation")
        assert set(invitations) == {an["id"], binh["id"], cuong["id"]}
        assert invitations[binh["id"]]["status"] == "no_address"
        await wait_for(lambda: told != [], timeout=30)  # the delegate's screen was told live

        mail = box.to("an.nv@tuyenquang.gov.vn")[0]
        assert decoded(mail.subject) == f"Giấy mời họp: {TITLE} / Meeting invitation"
        subject = mail.raw_header("Subject")  # RFC 2047 encoded-words in UTF-8, the header itself 7-bit
        assert subject.isascii() and b"=?utf-8?" in subject.lower(), subject
        assert mail.raw_header("To").isascii() and mail.raw_header("From").isascii()
        assert mail.message.get_content_type() == "multipart/mixed"
        text_part = mail.message.get_body(("plain",))
        assert text_part is not None and text_part.get_content_charset() == "utf-8"
        assert "Nguyễn Văn An" in str(mail.message["To"]) and "an.nv@tuyenquang.gov.vn" in str(mail.message["To"])
        assert "Văn phòng UBND tỉnh Tuyên Quang" in str(mail.message["From"])
        body = mail.body()
        assert "Kính gửi: Giám đốc Sở Tài chính Nguyễn Văn An" in body
        assert "08 giờ 00 phút, thứ Ba, ngày 24/11/2026" in body
        assert f"https://hop.tuyenquang.gov.vn/meetings/{mid}" in body
        pdf = mail.attachment("giay-moi.pdf")
        assert pdf.get_content_type() == "application/pdf"
        text = await asyncio.to_thread(pdf_text, pdf.get_content())
        assert "GIẤY MỜI" in text and TITLE in text and "Nguyễn Văn An" in text
        ics_part = mail.attachment("cuoc-hop.ics")
        assert ics_part.get_content_type() == "text/calendar" and ics_part.get_param("method") == "PUBLISH"
        invite = parse_ics(ics_part.get_content())
        assert invite["METHOD"] == "PUBLISH" and invite["UID"] == f"{mid}@meeting-server"
        assert invite["SUMMARY"] == TITLE and invite["DTSTART"] == "20261124T010000Z"
        assert box.to("cuong.lm@tantrao.gov.vn"), "the commune invited as a unit: its people are invited"

        status, notices = await reader.get("/api/notices")
        assert status == 200 and notices["unread"] == 1
        assert notices["notices"][0]["kind"] == "invitation" and notices["notices"][0]["title"] == TITLE
        status, marked = await reader.post("/api/notices/read", {})
        assert status == 200 and marked == {"marked": 1, "unread": 0}

        # A change of place: a "change" mail to those invited, the calendar file superseding the first.
        status, _ = await admin.patch(f"/api/meetings/{mid}", {"location": "Hội trường tầng 3, UBND tỉnh"})
        assert status == 200
        await wait_for(lambda: len(box.arrived) == 4, timeout=60)
        change = box.to("an.nv@tuyenquang.gov.vn")[1]
        assert decoded(change.subject) == f"Thay đổi cuộc họp: {TITLE} / Meeting changed"
        assert "Hội trường tầng 3, UBND tỉnh" in change.body()
        changed = parse_ics(change.attachment("cuoc-hop.ics").get_content())
        assert changed["UID"] == invite["UID"] and int(changed["SEQUENCE"]) > int(invite["SEQUENCE"])
        assert changed["LOCATION"].endswith("Hội trường tầng 3\\, UBND tỉnh")

        # Cancelled: METHOD:CANCEL, same UID, a higher SEQUENCE; no giấy mời attached.
        status, _ = await admin.post(f"/api/meetings/{mid}/cancel", {"reason": "Trùng lịch tiếp công dân"})
        assert status == 200
        await wait_for(lambda: len(box.arrived) == 6, timeout=60)
        cancel = box.to("an.nv@tuyenquang.gov.vn")[2]
        assert decoded(cancel.subject) == f"Hủy cuộc họp: {TITLE} / Meeting cancelled"
        assert "Lý do hủy: Trùng lịch tiếp công dân" in cancel.body()
        assert [a.get_filename() for a in cancel.message.iter_attachments()] == ["cuoc-hop.ics"]
        cancel_ics = cancel.attachment("cuoc-hop.ics")
        assert cancel_ics.get_param("method") == "CANCEL"
        cancelled = parse_ics(cancel_ics.get_content())
        assert cancelled["METHOD"] == "CANCEL" and cancelled["STATUS"] == "CANCELLED"
        assert cancelled["UID"] == invite["UID"] and int(cancelled["SEQUENCE"]) > int(changed["SEQUENCE"])

        page = await mail_page(admin, mid)
        assert page["smtp_configured"] is True and page["counts"] == {
            "queued": 0,
            "sent": 6,
            "failed": 0,
            "no_address": 2,  # the change joined the address-less invitation's row; the cancellation has its own
        }
        status, notices = await (await server.client("tp.noivu")).get("/api/notices")
        assert [n["kind"] for n in notices["notices"]] == ["cancellation", "change", "invitation"]
        await sio.disconnect()
    finally:
        await server.stop()


async def test_a_refused_recipient_fails_with_the_reply_the_others_are_sent_and_resend_works(
    tmp_path: Path, inbox: tuple[Inbox, int]
) -> None:
    box, port = inbox
    box.refuse.add("sai.dia.chi@tuyenquang.gov.vn")
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}"
    server = LiveServer(url, tmp_path, settings_overrides=smtp_settings(port))
    await server.start()
    try:
        good = await server.create_user("tp.a", "Phạm Thu Hà", ["delegate"], email="ha.pt@tuyenquang.gov.vn")
        bad = await server.create_user("tp.b", "Hoàng Đức Minh", ["delegate"], email="sai.dia.chi@tuyenquang.gov.vn")
        other = await server.create_user("tp.c", "Vũ Thị Lan", ["delegate"], email="lan.vt@tuyenquang.gov.vn")
        admin = await server.admin()
        meeting = await make_meeting(admin, title=TITLE, invitee_ids=[good["id"], bad["id"], other["id"]])
        mid = meeting["id"]

        async def settled() -> bool:
            return all(m["status"] != "queued" for m in (await mail_page(admin, mid))["mails"])

        await wait_for(settled, timeout=60)
        page = await mail_page(admin, mid)
        mails = by_person(page, "invitation")
        assert mails[good["id"]]["status"] == "sent" and mails[other["id"]]["status"] == "sent"
        failed = mails[bad["id"]]
        assert failed["status"] == "failed" and failed["attempts"] == 1  # a 5xx is final: no retry
        assert failed["last_error"].startswith("550 5.1.1") and "User unknown" in failed["last_error"]
        assert [f["full_name"] for f in page["failed"]] == ["Hoàng Đức Minh"]
        assert sorted(a.rcpt[0] for a in box.arrived) == ["ha.pt@tuyenquang.gov.vn", "lan.vt@tuyenquang.gov.vn"]

        # A delegate may neither read the mail page (the addresses) nor resend; the organiser can, once the
        # address is put right.
        delegate = await server.client("tp.a")
        status, refused = await delegate.get(f"/api/meetings/{mid}/mail")
        assert status == 403 and refused["error"]["code"] == "forbidden", refused
        status, refused = await delegate.post(f"/api/meetings/{mid}/mail/{failed['id']}/resend")
        assert status == 403, refused
        status, _ = await admin.patch(f"/api/users/{bad['id']}", {"email": "minh.hd@tuyenquang.gov.vn"})
        assert status == 200
        status, again = await admin.post(f"/api/meetings/{mid}/mail/{failed['id']}/resend")
        assert status == 200 and again["mail"]["status"] == "queued"
        assert again["mail"]["address"] == "minh.hd@tuyenquang.gov.vn"
        await wait_for(lambda: bool(box.to("minh.hd@tuyenquang.gov.vn")), timeout=60)
        await wait_for(settled, timeout=30)
        assert by_person(await mail_page(admin, mid), "invitation")[bad["id"]]["status"] == "sent"
        status, sent = await admin.post(f"/api/meetings/{mid}/mail/{failed['id']}/resend")
        assert status == 422 and sent["error"]["code"] == "invalid_input", sent  # a sent mail is not sent twice
    finally:
        await server.stop()


async def test_a_server_that_is_down_is_retried_later_and_the_mail_delivered_once_it_is_up(tmp_path: Path) -> None:
    port = free_port()  # nothing listens there yet
    server = LiveServer(
        f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}",
        tmp_path,
        settings_overrides=smtp_settings(port, mail_retry_seconds=60.0),
    )
    await server.start()
    box = Inbox()
    smtp: asyncio.Server | None = None
    try:
        sender = sender_of(server)
        offset = timedelta()
        sender.clock = lambda: datetime.now(UTC) + offset  # real time, moved ahead by the test
        person = await server.create_user("tp.a", "Phạm Thu Hà", ["delegate"], email="ha.pt@tuyenquang.gov.vn")
        admin = await server.admin()
        mid = (await make_meeting(admin, title=TITLE, invitee_ids=[person["id"]]))["id"]

        async def tried() -> bool:
            return bool((await mail_page(admin, mid))["mails"][0]["last_error"])

        await wait_for(tried, timeout=60)
        row = (await mail_page(admin, mid))["mails"][0]
        assert row["status"] == "queued" and row["attempts"] == 1, row  # refused connection: to be retried
        assert "Connect" in row["last_error"] or "refused" in row["last_error"].lower(), row
        assert row["next_attempt_at"] > (datetime.now(UTC) + timedelta(seconds=50)).strftime("%Y-%m-%dT%H:%M:%SZ")
        smtp = await smtp_server(box, port)
        assert await sender.drain() == 0  # not due yet: the server being up is not enough before the retry time
        offset = timedelta(seconds=61)
        sender.wake()
        await wait_for(lambda: len(box.arrived) == 1, timeout=60)
        row = (await mail_page(admin, mid))["mails"][0]
        assert row["status"] == "sent" and row["attempts"] == 2
    finally:
        await server.stop()
        if smtp is not None:
            smtp.close()
            await smtp.wait_closed()


async def test_the_action_does_not_wait_for_a_server_that_never_answers(tmp_path: Path) -> None:
    silent, port = SilentServer(), free_port()
    await silent.start(port)
    server = LiveServer(
        f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}",
        tmp_path,
        settings_overrides=smtp_settings(port, smtp_timeout_seconds=3600.0),
    )
    await server.start()
    try:
        person = await server.create_user("tp.a", "Phạm Thu Hà", ["delegate"], email="ha.pt@tuyenquang.gov.vn")
        admin = await server.admin()
        mid = (await make_meeting(admin, title=TITLE, invitee_ids=[person["id"]]))["id"]
        await asyncio.wait_for(silent.connected.wait(), 60)  # the sender is now stuck in the conversation...
        status, _ = await admin.patch(f"/api/meetings/{mid}", {"location": "Phòng họp số 2"})
        assert status == 200  # ...and an action is answered all the same
        page = await mail_page(admin, mid)
        assert [(m["kind"], m["status"], m["sent_at"]) for m in page["mails"]] == [
            ("invitation", "queued", None),
            ("change", "queued", None),
        ]
    finally:
        await server.stop()  # cancels the conversation
        await silent.stop()


async def test_rows_queued_before_a_restart_are_sent_once_after_it(tmp_path: Path, inbox: tuple[Inbox, int]) -> None:
    box, port = inbox
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}"
    first = LiveServer(url, tmp_path)  # no MS_SMTP_HOST: nothing is sent
    await first.start()
    try:
        ids = [
            (await first.create_user(f"tp.{n}", f"Đại biểu số {n}", ["delegate"], email=f"db{n}@tuyenquang.gov.vn"))[
                "id"
            ]
            for n in range(3)
        ]
        admin = await first.admin()
        mid = (await make_meeting(admin, title=TITLE, invitee_ids=ids))["id"]
        for n in range(2):  # changes while the invitations wait: they go out as one mail each, of the latest
            status, _ = await admin.patch(f"/api/meetings/{mid}", {"location": f"Phòng họp số {n + 1}"})
            assert status == 200
        page = await mail_page(admin, mid)
        assert page["smtp_configured"] is False and page["waiting_reason"] == "Chưa cấu hình máy chủ thư"
        assert page["counts"]["queued"] == 3 and {m["kind"] for m in page["mails"]} == {"invitation"}
        status, notices = await (await first.client("tp.0")).get("/api/notices")
        assert [n["kind"] for n in notices["notices"]] == ["change", "invitation"]  # one unread change notice
    finally:
        await first.stop()

    second = LiveServer(url, tmp_path, settings_overrides=smtp_settings(port))
    await second.start(migrate=False)
    try:
        admin = await second.client("admin")

        async def all_sent() -> bool:
            return (await mail_page(admin, mid))["counts"]["sent"] == 3

        await wait_for(all_sent, timeout=60)
        assert await sender_of(second).drain() == 0  # nothing left to claim
        assert sorted(a.rcpt[0] for a in box.arrived) == [f"db{n}@tuyenquang.gov.vn" for n in range(3)]
        assert all("Phòng họp số 2" in a.body() for a in box.arrived)  # the meeting as it is when sent
    finally:
        await second.stop()


async def test_people_added_later_and_a_reminder_get_their_own_mail(tmp_path: Path, inbox: tuple[Inbox, int]) -> None:
    box, port = inbox
    url = f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}"
    server = LiveServer(url, tmp_path, settings_overrides=smtp_settings(port))
    await server.start()
    try:
        first = await server.create_user("tp.a", "Phạm Thu Hà", ["delegate"], email="ha.pt@tuyenquang.gov.vn")
        later = await server.create_user("tp.b", "Đỗ Quang Huy", ["delegate"], email="huy.dq@tuyenquang.gov.vn")
        admin = await server.admin()
        mid = (await make_meeting(admin, title=TITLE, invitee_ids=[first["id"]]))["id"]
        await wait_for(lambda: len(box.arrived) == 1, timeout=60)
        status, _ = await admin.patch(f"/api/meetings/{mid}", {"invitee_ids": [first["id"], later["id"]]})
        assert status == 200
        await wait_for(lambda: len(box.arrived) == 2, timeout=60)
        assert box.arrived[1].rcpt == ["huy.dq@tuyenquang.gov.vn"]  # only the one added
        assert decoded(box.arrived[1].subject).startswith("Giấy mời họp: ")

        # `invitation.reminded` (another action records it): a reminder to the people it names.
        assert server.services is not None
        services = server.services
        async with services.db.read() as session:
            organiser = actor_of_user(await directory.get_user(session, admin.user_id))
        async with services.db.write() as session:
            row = await meeting_store.load(session, mid, for_update=True)
            ctx = Context(services=services, actor=organiser, session=session)
            await ctx.append(
                row, meeting_store.state_of(row), [Event(p.INVITATION_REMINDED, {"person_ids": [later["id"]]})]
            )
        for step in ctx._after_commit:
            await step()
        await wait_for(lambda: len(box.arrived) == 3, timeout=60)
        reminder = box.arrived[2]
        assert reminder.rcpt == ["huy.dq@tuyenquang.gov.vn"]
        assert decoded(reminder.subject) == f"Nhắc trả lời giấy mời: {TITLE} / Reminder to answer the invitation"
        assert "Đỗ Quang Huy chưa trả lời giấy mời" in reminder.body()
        status, notices = await (await server.client("tp.b")).get("/api/notices")
        assert [n["kind"] for n in notices["notices"]] == ["reminder", "invitation"]
    finally:
        await server.stop()


async def test_two_senders_on_one_database_send_each_mail_once(
    database_url: str, tmp_path: Path, request: pytest.FixtureRequest, inbox: tuple[Inbox, int]
) -> None:
    """Two server processes share the outbox: each claims what the other has not (SKIP LOCKED on PostgreSQL)."""
    box, port = inbox
    server = await started(database_url, tmp_path, request)  # its own sender has no SMTP host: it sends nothing
    senders: list[MailSender] = []
    try:
        ids = [
            (await server.create_user(f"tp.{n}", f"Đại biểu {n}", ["delegate"], email=f"db{n}@tuyenquang.gov.vn"))["id"]
            for n in range(24)
        ]
        admin = await server.admin()
        mid = (await make_meeting(admin, title=TITLE, invitee_ids=ids))["id"]
        assert server.runner is not None
        for _ in range(2):
            settings = Settings(data_dir=tmp_path, database_url=database_url, **smtp_settings(port))
            senders.append(
                MailSender(build_services(settings, Database(database_url)), server.runner.app[WORKERS], batch=5)
            )
        attempted = await asyncio.gather(*(s.drain() for s in senders))
        assert sum(attempted) == 24
        assert sorted(a.rcpt[0] for a in box.arrived) == sorted(f"db{n}@tuyenquang.gov.vn" for n in range(24))
        assert (await mail_page(admin, mid))["counts"]["sent"] == 24
    finally:
        for s in senders:
            await s.services.db.close()
        await server.stop()
