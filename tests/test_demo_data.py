"""Integrity of the demo province in meeting_server.demo_data, and how fast it is seeded."""

from __future__ import annotations

import dataclasses
import re
import unicodedata
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import select

from meeting_server import demo_data as d
from meeting_server.demo import seed
from meeting_server.domain.units import KINDS, check_division_type, check_parent
from meeting_server.official_units import find_province, load
from meeting_server.storage.models import MailRow, SiteRow, UnitRow
from meeting_server.views import record as record_views
from tests.helpers import LiveServer

USERNAME_RE = re.compile(r"^[a-z0-9._-]{3,40}$")
KEY_RE = re.compile(r"^[a-z0-9._-]+$")


def _has_non_ascii(text: str) -> bool:
    return any(ord(ch) > 127 for ch in text)


def _communes() -> list[d.Unit]:
    return [u for u in d.UNITS if u.kind == "commune"]


def test_collections_are_tuples_of_frozen_dataclasses() -> None:
    for collection, cls in (
        (d.UNITS, d.Unit),
        (d.SITES, d.Site),
        (d.PEOPLE, d.Person),
        (d.MEETINGS, d.Meeting),
    ):
        assert isinstance(collection, tuple)
        assert collection
        assert all(isinstance(item, cls) for item in collection)
    with pytest.raises(dataclasses.FrozenInstanceError):
        d.UNITS[0].name = "x"  # type: ignore[misc]


def test_units_hierarchy() -> None:
    keys = [u.key for u in d.UNITS]
    assert len(keys) == len(set(keys))
    provinces = [u for u in d.UNITS if u.kind == "province"]
    assert [(u.name, u.code, u.parent_key, u.division_type, u.official_code) for u in provinces] == [
        ("Tỉnh Tuyên Quang", "TQ", None, "tỉnh", "08")
    ]
    assert not [u for u in d.UNITS if u.kind == "district"], "the demo is a province after the 2025 reform"
    for u in d.UNITS:
        assert u.kind in KINDS
        assert KEY_RE.match(u.key), u.key
        check_parent(u.kind, d.unit(u.parent_key).kind if u.parent_key else None)
        check_division_type(u.kind, u.division_type)
    assert set(d.COMMUNE_KEYS) == {u.key for u in _communes()}
    agencies = {u.name for u in d.UNITS if u.kind == "agency"}
    assert {"Văn phòng UBND tỉnh", "Sở Tài chính", "Sở Nội vụ", "Sở Y tế"} <= agencies


def test_every_commune_and_ward_of_the_official_list() -> None:
    official = find_province(load(), d.PROVINCE_CODE)
    assert official is not None and len(official.communes) == 124
    communes = _communes()
    assert [(c.name, c.division_type, c.official_code) for c in communes] == [
        (c.name, c.division_type, c.code) for c in official.communes
    ]
    codes = [u.official_code for u in d.UNITS if u.official_code]
    assert len(codes) == len(set(codes)) == 125
    for c in communes:
        sites = [s for s in d.SITES if s.unit_key == c.key]
        assert len(sites) == 1, c.name
    names = {c.name for c in communes}
    assert {"Xã Tân Trào", "Phường Minh Xuân", "Phường Hà Giang 1", "Xã Đồng Văn"} <= names
    assert "Xã Hợp Thành" not in names  # merged in 2025: the demo account is ct.tantrao now


def test_a_few_communes_are_fully_staffed() -> None:
    staffed = [c for c in _communes() if any(p.unit_key == c.key for p in d.PEOPLE)]
    assert len(staffed) >= 6
    for c in staffed:
        people = [p for p in d.PEOPLE if p.unit_key == c.key]
        assert sum("site_operator" in p.roles for p in people) == 1, c.name
        assert sum("delegate" in p.roles for p in people) >= 2, c.name
    assert d.person("ct.tantrao").title == "Chủ tịch UBND xã"
    assert d.unit(d.person("ct.tantrao").unit_key).name == "Xã Tân Trào"


def test_sites_reference_units() -> None:
    keys = [s.key for s in d.SITES]
    assert len(keys) == len(set(keys))
    assert len({s.name for s in d.SITES}) == len(d.SITES)
    for s in d.SITES:
        assert KEY_RE.match(s.key), s.key
        d.unit(s.unit_key)
        assert d.site(s.key) is s
        assert s.capacity > 0
    main = d.site(d.MAIN_SITE_KEY)
    assert main.name == "Phòng họp trực tuyến UBND tỉnh"
    assert main.location == "Tầng 3, trụ sở UBND tỉnh Tuyên Quang"
    assert d.unit(main.unit_key).kind == "province"
    tan_trao = next(s for s in d.SITES if d.unit(s.unit_key).name == "Xã Tân Trào")
    assert tan_trao.name == "Phòng họp trực tuyến UBND xã Tân Trào"
    assert tan_trao.location == "Hội trường UBND xã Tân Trào"
    ward = next(s for s in d.SITES if d.unit(s.unit_key).name == "Phường Minh Xuân")
    assert ward.name == "Phòng họp trực tuyến UBND phường Minh Xuân"


def test_people() -> None:
    usernames = [p.username for p in d.PEOPLE]
    assert len(usernames) == len(set(usernames))
    for p in d.PEOPLE:
        assert USERNAME_RE.match(p.username), p.username
        assert p.roles and set(p.roles) <= set(d.ROLES), p
        d.unit(p.unit_key)
        assert d.person(p.username) is p
        assert p.title
    admins = [p for p in d.PEOPLE if "admin" in p.roles]
    assert [(p.username, p.roles) for p in admins] == [("admin", ("admin",))]
    assert d.person("chutich").title == "Chủ tịch UBND tỉnh"
    assert d.unit(d.person("chutich").unit_key).kind == "province"
    assert any(p.title == "Phó Chủ tịch UBND tỉnh" and "chair" in p.roles for p in d.PEOPLE)
    assert d.unit(d.person("tp.taichinh").unit_key).name == "Sở Tài chính"
    assert any("secretary" in p.roles for p in d.PEOPLE)
    assert any("observer" in p.roles for p in d.PEOPLE)
    heads = [p for p in d.PEOPLE if p.title.startswith("Giám đốc Sở") and "delegate" in p.roles]
    assert len(heads) >= 5 and all(d.unit(p.unit_key).kind == "agency" for p in heads)


def test_vietnamese_text_is_written_with_diacritics_and_nfc() -> None:
    for p in d.PEOPLE:
        assert _has_non_ascii(p.full_name), p.full_name
        assert len(p.full_name.split()) >= 3, p.full_name
    for u in d.UNITS:
        assert _has_non_ascii(u.name), u.name
    for s in d.SITES:
        assert _has_non_ascii(s.name) and _has_non_ascii(s.location), s
    texts = [p.full_name for p in d.PEOPLE] + [p.title for p in d.PEOPLE]
    texts += [u.name for u in d.UNITS] + [s.name for s in d.SITES] + [s.location for s in d.SITES]
    for m in d.MEETINGS:
        texts += [m.title, m.description, m.location]
        texts += [a.title for a in m.agenda] + [a.description for a in m.agenda]
    for text in texts:
        assert unicodedata.is_normalized("NFC", text), text
        assert text == text.strip() and "  " not in text, text
    surnames = {p.full_name.split()[0] for p in d.PEOPLE}
    assert {"Ma", "Triệu", "Lý", "Hà"} <= surnames


def test_meetings_reference_existing_data() -> None:
    assert d.MEETINGS
    for m in d.MEETINGS:
        assert _has_non_ascii(m.title)
        assert m.start_offset_days >= 1
        assert 0 <= m.start_hour < 24 and 0 <= m.start_minute < 60
        assert "chair" in d.person(m.chair_username).roles
        assert "secretary" in d.person(m.secretary_username).roles
        assert m.main_site_key in m.site_keys
        assert len(m.site_keys) == len(set(m.site_keys))
        for key in m.site_keys:
            d.site(key)
        for username in m.invitee_usernames:
            d.person(username)
        for key in m.invited_unit_keys:
            assert d.unit(key).kind == "commune"
        assert m.title == "Hội nghị trực tuyến UBND tỉnh với các xã, phường"
        assert 4 <= len(m.agenda) <= 6
        for item in m.agenda:
            d.person(item.presenter_username)
            assert item.planned_minutes > 0
            assert item.title
        total = sum(item.planned_minutes for item in m.agenda)
        assert 150 <= total <= 210
        assert m.duration_minutes >= total


def test_main_meeting_covers_every_commune() -> None:
    m = d.MEETINGS[0]
    assert set(m.invited_unit_keys) == set(d.COMMUNE_KEYS)
    assert set(m.site_keys) == {s.key for s in d.SITES}
    assert (m.start_offset_days, m.start_hour, m.start_minute) == (2, 8, 0)


def test_lookups_raise_key_error_for_unknown_keys() -> None:
    with pytest.raises(KeyError):
        d.unit("khong-co")
    with pytest.raises(KeyError):
        d.person("khong-co")
    with pytest.raises(KeyError):
        d.site("khong-co")


def test_demo_password() -> None:
    assert d.DEMO_PASSWORD == "hop-truc-tuyen-2026"
    assert "DEMO_PASSWORD" in (d.__doc__ or "")
    assert "meeting-server demo" in (d.__doc__ or "")


async def test_seeding_the_province(tmp_path: Path) -> None:
    """Every hall gets a device token that lets its room PC in; the meeting reaches all 124 communes."""
    server = LiveServer(f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}", tmp_path)
    await server.start(seed_admin=False)
    try:
        assert server.services is not None
        result = await seed(server.services)
        assert (result["units"], result["sites"], result["users"]) == (len(d.UNITS), len(d.SITES), len(d.PEOPLE))
        assert len(result["tokens"]) == len(d.SITES) == 125
        async with server.services.db.read() as session:
            units = (await session.execute(select(UnitRow))).scalars().all()
            sites = (await session.execute(select(SiteRow))).scalars().all()
        assert sum(u.kind == "commune" for u in units) == 124 and all(s.token_hash for s in sites)
        hall = "Phòng họp trực tuyến UBND xã Tân Trào"
        async with aiohttp.ClientSession() as http:
            headers = {"Authorization": f"Bearer {result['tokens'][hall]}"}
            async with http.get(f"{server.url}/api/meetings", headers=headers) as response:
                assert response.status == 200
                meetings = (await response.json())["meetings"]
        assert [m["title"] for m in meetings] == [d.MEETINGS[0].title]
        assert len(meetings[0]["sites"]) == 125 and len(meetings[0]["invited_unit_ids"]) == 124
        assert (await seed(server.services))["skipped"]
    finally:
        await server.stop()


async def test_the_demo_meeting_held_last_month_has_its_record(tmp_path: Path) -> None:
    """The seed holds HELD_MEETING through the actions at its own times: its facts (attendance, three speeches
    from communes' halls, a secret vote), the biên bản with the secretary's texts approved and numbered, the
    thông báo kết luận begun; the register shows them in order of their dates."""
    server = LiveServer(f"sqlite+aiosqlite:///{tmp_path / 'm.sqlite3'}", tmp_path)
    await server.start(seed_admin=False)
    try:
        assert server.services is not None
        result = await seed(server.services)
        held = d.HELD_MEETING
        assert result["meetings"][-1] == {"id": result["held"]["id"], "title": held.title}
        secretary = await result["ids"].actor(server.services, "thuky")
        record = await record_views.meeting_record(server.services, secretary, result["held"]["id"])
        facts = record["facts"]
        assert facts["started_at"] == "2026-11-26T01:00:00Z"
        assert [a["note"] for a in facts["late"]] == ["đến muộn lúc 08:20"]
        assert [a["name"] for a in facts["absent"]] == [d.person("pct.lien").full_name]
        first, second, _ = facts["items"]
        assert [(s["speaker"], s["seconds"]) for s in first["speeches"]] == [
            (d.person(s.username).full_name, s.seconds) for s in held.items[0].speeches
        ]
        assert all(s["site"].startswith("Phòng họp trực tuyến UBND") for s in first["speeches"])
        (vote,) = second["votes"]
        assert vote["secret"] and (vote["counts"]["yes"], vote["counts"]["no"]) == (10, 1)
        minutes, notice = record["documents"]
        assert (minutes["kind"], minutes["status"], minutes["number"], minutes["issued_on"]) == (
            "bien_ban",
            "signing",
            1,
            "2026-11-27",
        )
        assert (notice["kind"], notice["status"]) == ("thong_bao", "draft")
        document = await record_views.document(server.services, secretary, minutes["id"])
        assert document["content"]["items"][0]["discussion_html"] == held.items[0].discussion_html
        register = await record_views.register(server.services, secretary, None, None, None, None)
        numbered = sorted((e["kind"], e["number"], e["issued_on"]) for e in register)
        assert numbered[0] == ("bien_ban", 1, "2026-11-27")
        assert [n for kind, n, _ in numbered if kind == "giay_moi"] == [1, 2]
        assert numbered[1][2] == "2026-11-16"  # the held meeting's giấy mời, ten days before it
        async with server.services.db.read() as session:
            mails = (await session.execute(select(MailRow).where(MailRow.meeting_id == result["held"]["id"]))).scalars()
            statuses = {m.status for m in mails}
        assert statuses == {"failed"}  # a meeting of the past: its invitations are never sent now
    finally:
        await server.stop()
