"""Units after the 2025 reform: which kind sits under which (the domain rule and the actions that enforce it),
the import of a province's communes from the official list, and the migration of a database from before it."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text, update
from sqlalchemy.ext.asyncio import create_async_engine

from meeting_server.actions import run_action
from meeting_server.auth import actor_of_user
from meeting_server.domain.actors import Actor
from meeting_server.domain.units import KINDS, authority_name, check_parent, local_name, place_name
from meeting_server.errors import AppError
from meeting_server.official_units import find_province, load
from meeting_server.storage import directory
from meeting_server.storage.migrate import upgrade_async
from meeting_server.storage.models import AuditRow, SiteRow, UnitRow
from tests.helpers import LiveServer
from tests.pgserver import PostgresServer

TUYEN_QUANG = find_province(load(), "08")
assert TUYEN_QUANG is not None

# (kind, parent kind or None) → may it sit there? Every pair is listed, so a new kind must be decided here.
PARENTS: dict[tuple[str, str | None], bool] = {
    ("province", None): True,
    ("province", "province"): False,
    ("province", "commune"): False,
    ("province", "agency"): False,
    ("province", "district"): False,
    ("commune", None): False,
    ("commune", "province"): True,
    ("commune", "commune"): False,
    ("commune", "agency"): False,
    ("commune", "district"): True,  # data from before the reform
    ("agency", None): False,
    ("agency", "province"): True,
    ("agency", "commune"): True,
    ("agency", "agency"): False,
    ("agency", "district"): True,
    ("district", None): False,
    ("district", "province"): True,
    ("district", "commune"): False,
    ("district", "agency"): False,
    ("district", "district"): False,
}


def test_the_parent_table_covers_every_pair() -> None:
    assert set(PARENTS) == {(k, p) for k in KINDS for p in (None, *KINDS)}


@pytest.mark.parametrize(("kind", "parent"), sorted(PARENTS, key=str))
def test_which_parent_each_kind_may_have(kind: str, parent: str | None) -> None:
    if PARENTS[(kind, parent)]:
        check_parent(kind, parent)
    else:
        with pytest.raises(AppError) as err:
            check_parent(kind, parent)
        assert err.value.code == "invalid_input" and err.value.message("vi")


def test_names_read_as_they_are_written() -> None:
    assert place_name("Xã Tân Trào", "xã") == "Tân Trào"
    assert place_name("Tỉnh Tuyên Quang", "tỉnh") == "Tuyên Quang"
    assert place_name("Sở Tài chính", "") == "Sở Tài chính"
    assert local_name("Phường Hà Giang 1", "phường") == "phường Hà Giang 1"
    assert local_name("Đặc khu Phú Quốc", "đặc khu") == "đặc khu Phú Quốc"
    assert local_name("Thị trấn Sơn Dương", "") == "thị trấn Sơn Dương"  # a row from before division types
    assert authority_name("province", "Thành phố Hà Nội", "thành phố") == "Ủy ban nhân dân thành phố Hà Nội"
    assert authority_name("commune", "Xã Tân Trào", "xã") == "Ủy ban nhân dân xã Tân Trào"
    assert authority_name("agency", "Sở Y tế", "") == "Sở Y tế"


def test_the_official_list() -> None:
    provinces = load()
    assert len(provinces) == 34 and sum(len(p.communes) for p in provinces) == 3321
    assert TUYEN_QUANG is not None and TUYEN_QUANG.name == "Tỉnh Tuyên Quang" and len(TUYEN_QUANG.communes) == 124
    assert {c.division_type for p in provinces for c in p.communes} == {"xã", "phường", "đặc khu"}
    assert {p.division_type for p in provinces} == {"tỉnh", "thành phố"}
    assert all(len(c.code) == 5 and c.code.isdigit() for p in provinces for c in p.communes)
    assert find_province(provinces, "tuyen quang") is TUYEN_QUANG
    assert find_province(provinces, "8") is TUYEN_QUANG
    hanoi = find_province(provinces, "Hà Nội")
    assert hanoi is not None and hanoi.name == "Thành phố Hà Nội" and hanoi.code == "01"
    assert find_province(provinces, "Không Có") is None


async def _admin(server: LiveServer) -> Actor:
    assert server.services is not None
    async with server.services.db.read() as session:
        row = await directory.user_by_username(session, "admin")
    assert row is not None
    return actor_of_user(row)


async def test_units_go_only_where_the_rules_allow_and_only_for_an_admin(live_server: LiveServer) -> None:
    assert live_server.services is not None
    services, admin = live_server.services, await _admin(live_server)
    province_id = live_server.unit_id  # the fixture's Tỉnh Tuyên Quang
    parents = {"province": province_id}
    parents["commune"] = (
        await run_action(services, admin, "unit.create", {"name": "Xã A", "kind": "commune", "parent_id": province_id})
    )["id"]
    parents["agency"] = (
        await run_action(services, admin, "unit.create", {"name": "Sở A", "kind": "agency", "parent_id": province_id})
    )["id"]
    parents["district"] = (
        await run_action(
            services, admin, "unit.create", {"name": "Huyện A", "kind": "district", "parent_id": province_id}
        )
    )["id"]
    clerk = actor_of_user(
        await _user(live_server, await live_server.create_user("thuky.a", "Lê Thị A", ["secretary", "chair"]))
    )
    for n, ((kind, parent), allowed) in enumerate(sorted(PARENTS.items(), key=str)):
        args: dict[str, Any] = {"name": f"Đơn vị {n}", "kind": kind}
        if parent is not None:
            args["parent_id"] = parents[parent]
        with pytest.raises(AppError) as refused:
            await run_action(services, clerk, "unit.create", args)
        assert refused.value.code == "forbidden", (kind, parent)
        if allowed:
            made = await run_action(services, admin, "unit.create", args)
            assert made["kind"] == kind and made["parent_id"] == args.get("parent_id"), made
            assert (
                made["division_type"] == {"province": "tỉnh", "commune": "xã", "agency": "", "district": "huyện"}[kind]
            )
        else:
            with pytest.raises(AppError) as wrong:
                await run_action(services, admin, "unit.create", args)
            assert wrong.value.code == "invalid_input", (kind, parent)
    # Moving a unit follows the same table.
    with pytest.raises(AppError):
        await run_action(services, admin, "unit.update", {"unit_id": parents["agency"], "parent_id": parents["agency"]})
    moved = await run_action(
        services, admin, "unit.update", {"unit_id": parents["agency"], "parent_id": parents["commune"]}
    )
    assert moved["parent_id"] == parents["commune"]
    # Division types belong to their kind.
    ward = await run_action(
        services,
        admin,
        "unit.create",
        {"name": "Phường B", "kind": "commune", "parent_id": province_id, "division_type": "phường"},
    )
    assert ward["division_type"] == "phường"
    for kind, wrong_type in (("commune", "tỉnh"), ("agency", "xã"), ("province", "phường")):
        args = {"name": f"Sai {kind}", "kind": kind, "division_type": wrong_type}
        if kind != "province":
            args["parent_id"] = province_id
        with pytest.raises(AppError) as err:
            await run_action(services, admin, "unit.create", args)
        assert err.value.code == "invalid_input"
    with pytest.raises(AppError) as err:
        await run_action(services, admin, "unit.update", {"unit_id": ward["id"], "division_type": "huyện"})
    assert err.value.code == "invalid_input"


async def _user(server: LiveServer, made: dict[str, Any]) -> Any:
    assert server.services is not None
    async with server.services.db.read() as session:
        return await directory.get_user(session, made["id"])


async def _units_under(server: LiveServer, parent_id: str) -> dict[str, UnitRow]:
    assert server.services is not None
    async with server.services.db.read() as session:
        rows = (await session.execute(select(UnitRow).where(UnitRow.parent_id == parent_id))).scalars()
        return {r.official_code or r.name: r for r in rows}


async def test_import_adds_once_then_renames_and_never_duplicates(any_server: LiveServer) -> None:
    assert any_server.services is not None and TUYEN_QUANG is not None
    services, admin = any_server.services, await _admin(any_server)
    province_id = any_server.unit_id  # already carries official code 08: the import takes it over
    typed = await any_server.create_unit("Xã Tân Trào", parent_id=province_id)  # typed by hand before the import
    agency = await any_server.create_unit("Sở Tài chính", kind="agency", parent_id=province_id)

    first = await run_action(services, admin, "unit.import_official", {"province": "Tuyên Quang", "with_sites": True})
    assert first["province"]["id"] == province_id and first["province"]["official_code"] == "08"
    assert (first["added"], first["updated"], first["unchanged"], first["sites_added"]) == (123, 1, 0, 124)
    under = await _units_under(any_server, province_id)
    assert len(under) == 125 and under["Sở Tài chính"].id == agency  # the agency is left alone
    tan_trao = under["02545"]
    assert tan_trao.id == typed and tan_trao.name == "Xã Tân Trào" and tan_trao.division_type == "xã"
    assert under["02509"].name == "Phường Mỹ Lâm" and under["02509"].division_type == "phường"
    async with services.db.read() as session:
        sites = {s.unit_id: s for s in (await session.execute(select(SiteRow))).scalars()}
        audit = (await session.execute(select(AuditRow).where(AuditRow.kind == "units_imported"))).scalars().all()
    assert sites[typed].name == "Phòng họp trực tuyến UBND xã Tân Trào"
    assert sites[typed].location == "Hội trường UBND xã Tân Trào"
    assert len(audit) == 1 and audit[0].target_id == province_id and audit[0].detail["added"] == 123

    # The list renamed a commune (simulated: the row says otherwise), and one commune lost its site.
    async with services.db.write() as session:
        await session.execute(update(UnitRow).where(UnitRow.id == typed).values(name="Xã Tân Trào cũ"))
        await session.execute(text("DELETE FROM sites WHERE unit_id = :u"), {"u": under["02509"].id})
    again = await run_action(services, admin, "unit.import_official", {"province": "08", "with_sites": True})
    assert (again["added"], again["updated"], again["unchanged"], again["sites_added"]) == (0, 1, 123, 1)
    under = await _units_under(any_server, province_id)
    assert len(under) == 125 and under["02545"].name == "Xã Tân Trào"
    async with services.db.read() as session:
        assert len((await session.execute(select(SiteRow))).scalars().all()) == 124

    third = await run_action(services, admin, "unit.import_official", {"province": "Tuyên Quang"})
    assert (third["added"], third["updated"], third["sites_added"]) == (0, 0, 0)


async def test_import_over_rest_and_the_province_list(live_server: LiveServer) -> None:
    admin = await live_server.admin()
    status, body = await admin.get("/api/units/official-provinces")
    assert status == 200 and len(body["provinces"]) == 34
    assert {"code": "08", "name": "Tỉnh Tuyên Quang", "division_type": "tỉnh", "communes": 124} in body["provinces"]
    status, body = await admin.post("/api/units/import", {"province": "12", "with_sites": True})
    assert status == 200, body
    assert body["province"]["name"] == "Tỉnh Lai Châu" and body["added"] == 38 and body["sites_added"] == 38
    status, body = await admin.post("/api/units/import", {"province": "Atlantis"})
    assert status == 404 and body["error"]["code"] == "not_found" and "danh mục" in body["error"]["message"]
    status, body = await admin.get("/api/units")
    assert body["kinds"]["commune"] == {
        "parents": ["district", "province"],
        "division_types": ["xã", "phường", "đặc khu", "thị trấn"],
    }
    await live_server.create_user("ct.a", "Nguyễn Văn A", ["delegate"])
    other = await live_server.client("ct.a")
    status, body = await other.post("/api/units/import", {"province": "12"})
    assert status == 403 and body["error"]["code"] == "forbidden"


async def test_a_site_name_another_province_uses_gets_the_province(live_server: LiveServer) -> None:
    assert live_server.services is not None
    services, admin = live_server.services, await _admin(live_server)
    await run_action(services, admin, "unit.import_official", {"province": "Tuyên Quang", "with_sites": True})
    tq_names = {c.name for c in TUYEN_QUANG.communes}  # type: ignore[union-attr]
    other = next(
        p for p in load() if p.code != "08" and any(c.name in tq_names and c.division_type == "xã" for c in p.communes)
    )
    shared = next(c for c in other.communes if c.name in tq_names)
    result = await run_action(services, admin, "unit.import_official", {"province": other.code, "with_sites": True})
    assert result["sites_added"] == len(other.communes)
    async with services.db.read() as session:
        names = set((await session.execute(select(SiteRow.name))).scalars())
    base = f"Phòng họp trực tuyến UBND {local_name(shared.name, shared.division_type)}"
    assert base in names and f"{base}, {local_name(other.name, other.division_type)}" in names


async def test_migration_keeps_a_database_from_before_the_reform(
    database_url: str, tmp_path: Path, request: pytest.FixtureRequest
) -> None:
    if database_url.startswith("postgresql"):
        pg: PostgresServer = request.getfixturevalue("postgres")
        await pg.create_database(database_url.rsplit("/", 1)[1])
    await upgrade_async(database_url, "0002")
    engine = create_async_engine(database_url)
    rows = [
        ("un_tinh01", "Tỉnh Tuyên Quang", "province", None),
        ("un_tp0001", "Thành phố Hà Nội", "province", None),
        ("un_huyen1", "Huyện Sơn Dương", "district", "un_tinh01"),
        ("un_tt0001", "Thị trấn Sơn Dương", "commune", "un_huyen1"),
        ("un_xa0001", "Xã Hợp Thành", "commune", "un_huyen1"),
        ("un_phuong1", "Phường Phan Thiết", "commune", "un_tinh01"),
        ("un_thon01", "Tân Trào", "commune", "un_huyen1"),
        ("un_tantrao", "Xã Tân Trào", "commune", "un_huyen1"),
    ]
    async with engine.begin() as conn:
        for uid, name, kind, parent in rows:
            await conn.execute(
                text(
                    "INSERT INTO units (id, name, kind, parent_id, code, created_at) "
                    "VALUES (:id, :name, :kind, :parent, 'X', '2025-01-01T00:00:00Z')"
                ),
                {"id": uid, "name": name, "kind": kind, "parent": parent},
            )
    await engine.dispose()

    server = LiveServer(database_url, tmp_path)
    await server.start(seed_admin=False)  # migrates to head
    try:
        assert server.services is not None
        async with server.services.db.read() as session:
            units = {u["id"]: u for u in await directory.list_units(session)}
        assert {uid: (units[uid]["division_type"], units[uid]["official_code"]) for uid, *_ in rows} == {
            "un_tinh01": ("tỉnh", None),
            "un_tp0001": ("thành phố", None),
            "un_huyen1": ("huyện", None),
            "un_tt0001": ("thị trấn", None),
            "un_xa0001": ("xã", None),
            "un_phuong1": ("phường", None),
            "un_thon01": ("xã", None),
            "un_tantrao": ("xã", None),
        }
        assert units["un_xa0001"]["parent_id"] == "un_huyen1" and units["un_xa0001"]["code"] == "X"
        # The old tree keeps working: a commune still goes under the legacy district, and the import of the
        # province takes over the typed province instead of making a second one.
        system = Actor(kind="user", id="system", name="test", roles=frozenset({"admin"}))
        made = await run_action(
            server.services, system, "unit.create", {"name": "Xã Mới", "kind": "commune", "parent_id": "un_huyen1"}
        )
        assert made["parent_id"] == "un_huyen1"
        result = await run_action(server.services, system, "unit.import_official", {"province": "08"})
        # Xã Tân Trào, typed under the old district, is taken over where it stands rather than made twice.
        assert result["province"]["id"] == "un_tinh01" and (result["added"], result["updated"]) == (123, 1)
        async with server.services.db.read() as session:
            provinces = (await session.execute(select(UnitRow).where(UnitRow.kind == "province"))).scalars().all()
            tan_trao = await directory.get_unit(session, "un_tantrao")
        assert sorted(p.name for p in provinces) == ["Thành phố Hà Nội", "Tỉnh Tuyên Quang"]
        assert (tan_trao.official_code, tan_trao.parent_id) == ("02545", "un_huyen1")
    finally:
        await server.stop()
