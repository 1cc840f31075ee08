"""The check-in codes over the real server (SQLite and PostgreSQL): the QR a hall's TV shows (SVG, PNG), the door
sheet (read back with pdftotext), who may be shown a hall's code, the page a scanned code opens and the check-in it
records where the code says, forged and other meetings' codes refused with one sentence, the key renewed, and the key
never leaving its table (no event, snapshot, kept answer or other row holds it), and a key for every meeting a
database had before the migration. Also `my_attendance` in the snapshot:
the person's own latest entry, never another person's, and về sớm from the tablet."""

from __future__ import annotations

import json
import unicodedata
from pathlib import Path
from typing import Any

import pymupdf
import segno
from sqlalchemy import select, text
from sqlalchemy.ext.asyncio import create_async_engine

from meeting_server import protocol as p
from meeting_server.domain.checkin import CheckinPlace, checkin_code
from meeting_server.storage import checkin as checkin_store
from meeting_server.storage.migrate import upgrade_async
from meeting_server.storage.models import Base, MeetingEventRow
from tests.helpers import ApiClient, LiveServer, make_meeting
from tests.test_documents_invitation import flat, pdftotext
from tests.test_live_authz import raw_socket

REFUSED = "Mã điểm danh không hợp lệ hoặc không thuộc cuộc họp này."


async def key_of(server: LiveServer, meeting_id: str) -> str:
    assert server.services is not None
    async with server.services.db.read() as session:
        key = await checkin_store.key_of(session, meeting_id)
    assert key, "a meeting gets its check-in key when it is created"
    return key


def png_modules(png: bytes, border: int = 2, scale: int = 12) -> list[list[bool]]:
    """The dark modules of a QR code PNG, read pixel by pixel at each module's centre."""
    pix = pymupdf.Pixmap(png)
    side = pix.width // scale - 2 * border
    return [
        [pix.pixel((x + border) * scale + scale // 2, (y + border) * scale + scale // 2)[0] < 128 for x in range(side)]
        for y in range(side)
    ]


async def every_stored_text(server: LiveServer, but: str) -> str:
    """Every row of every table but one, as text: where a secret must not be."""
    assert server.services is not None
    out: list[str] = []
    async with server.services.db.read() as session:
        for table in Base.metadata.sorted_tables:
            if table.name == but:
                continue
            rows = (await session.execute(text(f"SELECT * FROM {table.name}"))).all()
            out.extend(json.dumps([str(v) for v in row], ensure_ascii=False) for row in rows)
    return "\n".join(out)


async def world(server: LiveServer) -> dict[str, Any]:
    admin = await server.admin()
    commune = await server.create_unit("Xã Tân Trào")
    other_commune = await server.create_unit("Xã Minh Thanh")
    province_hall = await server.create_site("Hội trường UBND tỉnh")
    hall = await server.create_site("Điểm cầu xã Tân Trào", commune)
    other_hall = await server.create_site("Điểm cầu xã Minh Thanh", other_commune)
    lan = await server.create_user("daibieu.lan", "Hà Thị Lan", ["delegate"], unit_id=commune)
    minh = await server.create_user("daibieu.minh", "Lý Văn Minh", ["delegate"], unit_id=other_commune)
    await server.create_user("kythuat.tantrao", "Kỹ thuật Tân Trào", ["site_operator"], unit_id=commune)
    await server.create_user("nguoi.ngoai", "Người Ngoài", ["delegate"])
    meeting = await make_meeting(
        admin,
        title="Hội nghị triển khai nhiệm vụ năm 2027",
        location="Phòng họp tầng 3",
        invitee_ids=[lan["id"], minh["id"]],
        site_ids=[province_hall, hall, other_hall],
        main_site_id=province_hall,
    )
    return {
        "admin": admin,
        "mid": meeting["id"],
        "hall": hall,
        "other_hall": other_hall,
        "lan": lan,
        "minh": minh,
        "lan_api": await server.client("daibieu.lan"),
        "operator": await server.client("kythuat.tantrao"),
    }


async def test_a_hall_qr_opens_the_check_in_page_and_checks_the_delegate_in_there(any_server: LiveServer) -> None:
    w = await world(any_server)
    admin, lan_api, mid, hall = w["admin"], w["lan_api"], w["mid"], w["hall"]
    key = await key_of(any_server, mid)
    code = checkin_code(key, CheckinPlace(mid, hall))
    url = f"{any_server.url}/checkin?code={code}"

    # The desk's QR for the commune hall: the check-in page's address on this server, module for module.
    status, png = await admin.get(f"/api/meetings/{mid}/checkin/qr.png?site_id={hall}")
    assert status == 200 and png[:8] == b"\x89PNG\r\n\x1a\n"
    assert png_modules(png) == [[bool(c) for c in row] for row in segno.make(url, error="m").matrix]
    status, svg = await admin.get(f"/api/meetings/{mid}/checkin/qr.svg")  # the main hall's
    assert status == 200 and b'xmlns="http://www.w3.org/2000/svg"' in svg  # an <img> shows it
    main_url = f"{any_server.url}/checkin?code={checkin_code(key, CheckinPlace(mid))}"
    main_path = segno.make(main_url, error="m").svg_inline(scale=8, border=2).split(' d="', 1)[1]
    assert main_path in svg.decode()  # the main hall's address, module for module

    # The door sheet: ĐIỂM DANH, the meeting, the hall, the address in small print.
    status, pdf = await admin.get(f"/api/meetings/{mid}/checkin/sheet.pdf?site_id={hall}")
    assert status == 200 and pdf[:5] == b"%PDF-"
    sheet = unicodedata.normalize("NFKC", flat(pdftotext(pdf)))  # the font's "ﬀ" ligature read back as "ff"
    assert "ĐIỂM DANH" in sheet and "Hội nghị triển khai nhiệm vụ năm 2027" in sheet
    assert "Điểm cầu xã Tân Trào" in sheet and url in sheet.replace(" ", "")
    status, pdf = await admin.get(f"/api/meetings/{mid}/checkin/sheet.pdf")
    assert status == 200 and "Hội trường · Phòng họp tầng 3" in flat(pdftotext(pdf))

    # The scanned code's page: the meeting and the hall, nothing recorded yet.
    status, page = await lan_api.get(f"/api/checkin?code={code}")
    assert status == 200, page
    assert (page["meeting_id"], page["hall"], page["place"], page["site_id"]) == (
        mid,
        "Điểm cầu xã Tân Trào",
        "at_site",
        hall,
    )
    assert page["title"] == "Hội nghị triển khai nhiệm vụ năm 2027" and page["my_attendance"] is None
    assert "attendance.check_in_self" in page["capabilities"]

    # One press: recorded at the code's hall, by herself.
    status, done = await lan_api.post(f"/api/meetings/{mid}/attendance/check-in-code", {"code": code})
    assert status == 200, done
    entry = done["entry"]
    assert (entry["status"], entry["place"], entry["site_id"], entry["recorded_as"]) == (
        "checked_in",
        "at_site",
        hall,
        "self",
    )
    assert done["quorum"]["present"] == 1
    status, again = await lan_api.post(f"/api/meetings/{mid}/attendance/check-in-code", {"code": code})
    assert status == 200 and again["recorded"] is False  # a second scan records nothing new
    status, page = await lan_api.get(f"/api/checkin?code={code}")
    assert page["my_attendance"]["line"] == "Có mặt tại điểm cầu"
    # Về sớm from the check-in page's tablet: recorded from where she was, the commune hall.
    status, left = await lan_api.post(f"/api/meetings/{mid}/attendance/check-in", {"status": "left_early"})
    assert status == 200 and (left["entry"]["place"], left["entry"]["site_id"]) == ("at_site", hall)

    # The main hall's code records tại hội trường.
    minh_api = await any_server.client("daibieu.minh")
    main_code = checkin_code(key, CheckinPlace(mid))
    status, done = await minh_api.post(f"/api/meetings/{mid}/attendance/check-in-code", {"code": main_code})
    assert status == 200 and done["entry"]["place"] == "in_hall" and done["entry"]["site_id"] is None


async def test_forged_and_foreign_codes_are_refused_with_one_sentence(live_server: LiveServer) -> None:
    w = await world(live_server)
    admin, lan_api, mid, hall = w["admin"], w["lan_api"], w["mid"], w["hall"]
    key = await key_of(live_server, mid)
    code = checkin_code(key, CheckinPlace(mid, hall))
    other = await make_meeting(admin, title="Họp giao ban", invitee_ids=[w["minh"]["id"]])
    other_code = checkin_code(await key_of(live_server, other["id"]), CheckinPlace(other["id"]))
    forged = [
        code[:-1] + ("A" if code[-1] != "A" else "B"),  # one letter of the MAC
        code.replace(hall, w["other_hall"]),  # another hall under this hall's MAC
        checkin_code("not-the-key", CheckinPlace(mid, hall)),  # another key
        "m_nothere01.main.AAAAAAAAAAAAAAAA",  # no such meeting
        "rubbish",
    ]
    for bad in forged:
        status, body = await lan_api.get(f"/api/checkin?code={bad}")
        assert status == 422 and body["error"]["message"].startswith(REFUSED), (bad, body)
        status, body = await lan_api.post(f"/api/meetings/{mid}/attendance/check-in-code", {"code": bad})
        assert status == 422 and body["error"]["message"].startswith(REFUSED), (bad, body)
    # Another meeting's genuine code does not check anyone into this one...
    status, body = await lan_api.post(f"/api/meetings/{mid}/attendance/check-in-code", {"code": other_code})
    assert status == 422 and body["error"]["message"].startswith(REFUSED)
    # ... and its page tells someone not in that meeting so, in a sentence.
    status, body = await lan_api.get(f"/api/checkin?code={other_code}")
    assert status == 403 and "không có tên trong danh sách" in body["error"]["message"]
    status, body = await admin.get(f"/api/meetings/{mid}/attendance")
    assert body["entries"] == []  # nothing was recorded by any of it

    # Not signed in: the page's data needs a session (the page itself is the app's, which signs in, then back).
    anonymous = await live_server.client()
    status, body = await anonymous.get(f"/api/checkin?code={code}")
    assert status == 401
    status, html = await anonymous.get(f"/checkin?code={code}")
    assert status == 200 and b'id="app"' in html


async def test_who_is_shown_a_halls_code(live_server: LiveServer) -> None:
    w = await world(live_server)
    admin, mid, hall, other_hall = w["admin"], w["mid"], w["hall"], w["other_hall"]
    qr = f"/api/meetings/{mid}/checkin/qr.svg"
    assert (await w["lan_api"].get(qr))[0] == 403  # a delegate: never (they could check in from anywhere)
    assert (await w["lan_api"].get(f"{qr}?site_id={hall}"))[0] == 403
    operator = w["operator"]
    assert (await operator.get(f"{qr}?site_id={hall}"))[0] == 200  # the operator: their own hall's only
    assert (await operator.get(f"{qr}?site_id={other_hall}"))[0] == 403
    assert (await operator.get(qr))[0] == 403
    assert (await operator.get(f"/api/meetings/{mid}/checkin/sheet.pdf?site_id={hall}"))[0] == 200
    status, issued = await admin.post(f"/api/sites/{hall}/token")
    assert status == 200
    tv = await live_server.client()
    bearer = {"Authorization": f"Bearer {issued['token']}"}
    assert (await tv.get(f"{qr}?site_id={hall}", headers=bearer))[0] == 200  # the hall's own room PC
    assert (await tv.get(f"{qr}?site_id={other_hall}", headers=bearer))[0] == 403
    assert (await admin.get(f"{qr}?site_id=s_notinmeeting"))[0] == 404
    outsider = await live_server.client("nguoi.ngoai")
    assert (await outsider.get(qr))[0] == 404  # the meeting is not theirs to see at all


async def test_renewing_the_key_voids_earlier_codes_and_the_key_is_never_told(live_server: LiveServer) -> None:
    w = await world(live_server)
    admin, lan_api, mid, hall = w["admin"], w["lan_api"], w["mid"], w["hall"]
    first = await key_of(live_server, mid)
    old_code = checkin_code(first, CheckinPlace(mid, hall))
    status, before = await admin.get(f"/api/meetings/{mid}/checkin/qr.svg?site_id={hall}")
    assert (await lan_api.post(f"/api/meetings/{mid}/checkin/key"))[0] == 403  # the desk's to renew
    status, renewed = await admin.post(f"/api/meetings/{mid}/checkin/key")
    assert status == 200 and set(renewed) == {"meeting_id", "renewed_at"}
    second = await key_of(live_server, mid)
    assert second != first
    status, after = await admin.get(f"/api/meetings/{mid}/checkin/qr.svg?site_id={hall}")
    assert status == 200 and after != before
    status, body = await lan_api.post(f"/api/meetings/{mid}/attendance/check-in-code", {"code": old_code})
    assert status == 422 and body["error"]["message"].startswith(REFUSED)
    new_code = checkin_code(second, CheckinPlace(mid, hall))
    assert (await lan_api.post(f"/api/meetings/{mid}/attendance/check-in-code", {"code": new_code}))[0] == 200

    assert live_server.services is not None
    async with live_server.services.db.read() as session:
        rows = (await session.execute(select(MeetingEventRow).where(MeetingEventRow.meeting_id == mid))).scalars()
        renewals = [r for r in rows if r.type == p.ATTENDANCE_CHECKIN_KEY_RENEWED]
    assert [r.data for r in renewals] == [{"renewed_at": renewed["renewed_at"]}]
    # Neither key is anywhere but its own table: no event, no meeting state, no kept answer, no audit row.
    stored = await every_stored_text(live_server, but="checkin_keys")
    snapshots = [json.dumps((await api.get(f"/api/meetings/{mid}"))[1]) for api in (admin, lan_api)]
    for key in (first, second):
        assert key not in stored
        assert all(key not in snap for snap in snapshots)


async def test_the_snapshot_carries_my_own_attendance_only(live_server: LiveServer) -> None:
    w = await world(live_server)
    admin, lan_api, mid = w["admin"], w["lan_api"], w["mid"]
    minh_api: ApiClient = await live_server.client("daibieu.minh")
    status, snap = await lan_api.get(f"/api/meetings/{mid}")
    assert status == 200 and snap["my_attendance"] is None
    status, done = await lan_api.post(f"/api/meetings/{mid}/attendance/check-in", {"place": "in_hall"})
    assert status == 200
    mine = (await lan_api.get(f"/api/meetings/{mid}"))[1]["my_attendance"]
    assert mine["person_id"] == w["lan"]["id"] and mine["status"] == "checked_in"
    assert mine["line"] == "Có mặt tại hội trường" and mine["recorded_at"] == done["entry"]["recorded_at"]
    assert (await minh_api.get(f"/api/meetings/{mid}"))[1]["my_attendance"] is None  # not Lan's
    assert (await admin.get(f"/api/meetings/{mid}"))[1]["my_attendance"] is None
    # The events route's snapshot (after=0) and the socket's are the same personal one.
    status, caught = await lan_api.get(f"/api/meetings/{mid}/events?after=0")
    assert caught["snapshot"]["my_attendance"]["person_id"] == w["lan"]["id"]
    for api, person in ((lan_api, w["lan"]["id"]), (minh_api, None)):
        async with raw_socket(live_server, api) as sock:
            joined = await sock.call(p.JOIN, {"meeting_id": mid, "after_seq": 0})
        mine = joined["snapshot"]["my_attendance"]
        assert (mine and mine["person_id"]) == person

    # Về sớm from the tablet; the desk records Minh leaving early after arriving.
    status, left = await lan_api.post(f"/api/meetings/{mid}/attendance/check-in", {"status": "left_early"})
    assert status == 200 and left["entry"]["status"] == "left_early" and left["entry"]["place"] == "in_hall"
    mine = (await lan_api.get(f"/api/meetings/{mid}"))[1]["my_attendance"]
    assert mine["status"] == "left_early" and mine["line"] == "Về sớm"
    desk = f"/api/meetings/{mid}/attendance"
    minh = w["minh"]["id"]
    assert (await admin.post(desk, {"person_id": minh, "status": "checked_in", "place": "remote"}))[0] == 200
    status, body = await admin.post(desk, {"person_id": minh, "status": "left_early"})
    assert status == 200 and body["entry"]["place"] == "remote"
    assert (await minh_api.get(f"/api/meetings/{mid}"))[1]["my_attendance"]["status"] == "left_early"


async def test_the_migration_gives_every_meeting_already_there_its_own_key(empty_database: str, tmp_path: Path) -> None:
    database_url = empty_database
    await upgrade_async(database_url, "0006")
    engine = create_async_engine(database_url)
    async with engine.begin() as conn:
        await conn.execute(
            text(
                "INSERT INTO users (id, username, full_name, title, password_hash, roles, lang, active, created_at) "
                "VALUES ('u_old00001', 'cu', 'Người cũ', '', 'x', '[]', 'vi', true, '2026-01-01T00:00:00Z')"
            )
        )
        for mid in ("m_old00001", "m_old00002"):
            await conn.execute(
                text(
                    "INSERT INTO meetings (id, title, status, starts_at, organizer_id, last_seq, state, created_at,"
                    " updated_at) VALUES (:id, 'Họp cũ', 'draft', '2026-01-02T08:00:00+07:00', 'u_old00001', 0,"
                    " '{}', '2026-01-01T00:00:00Z', '2026-01-01T00:00:00Z')"
                ),
                {"id": mid},
            )
    await engine.dispose()
    server = LiveServer(database_url, tmp_path)
    await server.start(seed_admin=False)  # migrates to head
    try:
        keys = {mid: await key_of(server, mid) for mid in ("m_old00001", "m_old00002")}
        assert len(set(keys.values())) == 2 and all(len(k) >= 40 for k in keys.values())
    finally:
        await server.stop()
