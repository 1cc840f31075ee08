"""Integrity of the demo district in meeting_server.demo_data."""

from __future__ import annotations

import dataclasses
import re
import unicodedata

import pytest

from meeting_server import demo_data as d

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
    assert len({u.code for u in d.UNITS}) == len(d.UNITS)
    provinces = [u for u in d.UNITS if u.kind == "province"]
    districts = [u for u in d.UNITS if u.kind == "district"]
    assert [(u.name, u.code, u.parent_key) for u in provinces] == [("Tỉnh Tuyên Quang", "TQ", None)]
    assert [(u.name, u.code, u.parent_key) for u in districts] == [("Huyện Sơn Dương", "SD", provinces[0].key)]
    for u in d.UNITS:
        assert u.kind in ("province", "district", "commune")
        assert KEY_RE.match(u.key), u.key
        assert u.code.isascii() and u.code
        if u.kind != "province":
            assert u.parent_key is not None
            assert d.unit(u.parent_key).kind == {"district": "province", "commune": "district"}[u.kind]
    assert set(d.COMMUNE_KEYS) == {u.key for u in _communes()}


def test_at_least_twelve_communes_each_fully_staffed() -> None:
    communes = _communes()
    assert len(communes) >= 12
    for c in communes:
        assert c.name.startswith(("Xã ", "Thị trấn ")), c.name
        sites = [s for s in d.SITES if s.unit_key == c.key]
        assert len(sites) == 1, c.name
        people = [p for p in d.PEOPLE if p.unit_key == c.key]
        assert sum("site_operator" in p.roles for p in people) == 1, c.name
        assert sum("delegate" in p.roles for p in people) >= 2, c.name
    assert "Thị trấn Sơn Dương" in {c.name for c in communes}
    assert "Xã Hợp Thành" in {c.name for c in communes}


def test_sites_reference_units() -> None:
    keys = [s.key for s in d.SITES]
    assert len(keys) == len(set(keys))
    for s in d.SITES:
        assert KEY_RE.match(s.key), s.key
        d.unit(s.unit_key)
        assert d.site(s.key) is s
        assert s.capacity > 0
    main = d.site(d.MAIN_SITE_KEY)
    assert main.name == "Phòng họp trực tuyến UBND huyện"
    assert main.location == "Tầng 2, trụ sở UBND huyện Sơn Dương"
    assert d.unit(main.unit_key).kind == "district"
    hop_thanh = next(s for s in d.SITES if d.unit(s.unit_key).name == "Xã Hợp Thành")
    assert hop_thanh.name == "Phòng họp trực tuyến UBND xã Hợp Thành"
    assert hop_thanh.location == "Hội trường UBND xã Hợp Thành"


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
    assert d.person("chutich").title == "Chủ tịch UBND huyện"
    assert any(p.title == "Phó Chủ tịch UBND huyện" and "chair" in p.roles for p in d.PEOPLE)
    assert any("secretary" in p.roles for p in d.PEOPLE)
    assert any("observer" in p.roles for p in d.PEOPLE)
    heads = [p for p in d.PEOPLE if p.title.startswith("Trưởng phòng") and "delegate" in p.roles]
    assert len(heads) >= 5


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
