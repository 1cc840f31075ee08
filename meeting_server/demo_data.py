"""Demo district: Sơn Dương, Tuyên Quang, with its communes, meeting rooms, people and one meeting.

Why this module exists: a newcomer who runs ``make run`` should open the system and see a
district that looks real, not an empty database or "Test Unit 1". The data is a
district-level online conference of Huyện Sơn Dương (Tỉnh Tuyên Quang) with the district
hall and one site in each commune or town, the people who take part in such a meeting,
and a scheduled meeting with its agenda. Tests and benchmarks reuse the same data, so
what they exercise looks like production: Vietnamese names with diacritics, about a
hundred accounts, many sites in one meeting.

The unit and place names are the real communes and town of Sơn Dương. The people are
fictional; any likeness to real officials is a coincidence.

Demo accounts are only for trying the system. Every one of them has the password
``DEMO_PASSWORD``; ``meeting-server demo`` prints the list of accounts with their roles.
Never load this data into a production deployment.

The module is pure data: standard library only, no I/O, and nothing random, so every
import yields exactly the same values. Meeting times are given relative to "today"
(``start_offset_days``, ``start_hour``, ``start_minute``); whoever loads the data turns
them into real datetimes in the deployment's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

__all__ = [
    "COMMUNE_KEYS",
    "DEMO_PASSWORD",
    "DISTRICT_AUTHORITY_NAME",
    "DISTRICT_KEY",
    "MAIN_SITE_KEY",
    "MEETINGS",
    "PEOPLE",
    "PROVINCE_KEY",
    "ROLES",
    "SITES",
    "UNITS",
    "AgendaItem",
    "Meeting",
    "Person",
    "Role",
    "Site",
    "Unit",
    "UnitKind",
    "person",
    "site",
    "unit",
]

DEMO_PASSWORD = "hop-truc-tuyen-2026"
"""Password of every demo account. Demo accounts are for trying the system only."""

UnitKind = Literal["province", "district", "commune"]
Role = Literal["admin", "chair", "secretary", "delegate", "site_operator", "observer"]

ROLES: tuple[str, ...] = ("admin", "chair", "secretary", "delegate", "site_operator", "observer")
"""Every role a demo person may hold."""


@dataclass(frozen=True)
class Unit:
    """An administrative unit: the province, the district, or a commune / town."""

    key: str
    name: str
    kind: UnitKind
    parent_key: str | None
    code: str


@dataclass(frozen=True)
class Site:
    """A meeting room that joins an online conference (an "điểm cầu")."""

    key: str
    name: str
    unit_key: str
    location: str
    capacity: int


@dataclass(frozen=True)
class Person:
    """A demo account. ``roles`` holds values of ``ROLES``."""

    username: str
    full_name: str
    roles: tuple[str, ...]
    unit_key: str
    title: str


@dataclass(frozen=True)
class AgendaItem:
    title: str
    presenter_username: str
    planned_minutes: int
    description: str


@dataclass(frozen=True)
class Meeting:
    """A scheduled meeting; it starts ``start_offset_days`` after today at ``start_hour:start_minute``."""

    title: str
    description: str
    location: str
    start_offset_days: int
    start_hour: int
    start_minute: int
    duration_minutes: int
    chair_username: str
    secretary_username: str
    main_site_key: str
    site_keys: tuple[str, ...]
    invitee_usernames: tuple[str, ...]
    invited_unit_keys: tuple[str, ...]
    agenda: tuple[AgendaItem, ...]


# --------------------------------------------------------------------------- units

PROVINCE_KEY = "tuyenquang"
DISTRICT_KEY = "sonduong"
MAIN_SITE_KEY = "site.sonduong"
DISTRICT_AUTHORITY_NAME = "Ủy ban nhân dân huyện Sơn Dương"
"""The body that convenes the demo meeting."""


@dataclass(frozen=True)
class _CommuneSeed:
    """One commune or town and the four (or three) people at its site."""

    slug: str  # ASCII, used in keys, codes and usernames
    prefix: str  # "Xã" or "Thị trấn"
    place: str  # "Hợp Thành"
    capacity: int
    operator: str
    operator_title: str
    chairman: str
    vice_chairman: str
    accountant: str | None  # Công chức Tài chính - Kế toán; None where the commune sends only two


_CULTURE = "Công chức Văn hóa - Xã hội"
_TECHNICIAN = "Kỹ thuật viên điểm cầu"

# fmt: off
_COMMUNES: tuple[_CommuneSeed, ...] = (
    _CommuneSeed("ttsonduong", "Thị trấn", "Sơn Dương", 40, "Nguyễn Văn Tiến", _TECHNICIAN,
                 "Trần Văn Bình", "Lê Thị Hương", "Phạm Thu Trang"),
    _CommuneSeed("hopthanh", "Xã", "Hợp Thành", 30, "Ma Thị Huyền", _CULTURE,
                 "Hà Văn Quyết", "Nguyễn Đức Thịnh", "Đỗ Thị Mai"),
    _CommuneSeed("khangnhat", "Xã", "Kháng Nhật", 25, "Triệu Văn Hải", _TECHNICIAN,
                 "Lý Văn Kiên", "Triệu Thị Liên", None),
    _CommuneSeed("phucung", "Xã", "Phúc Ứng", 30, "Vũ Văn Đạt", _CULTURE,
                 "Hoàng Văn Tuấn", "Nguyễn Thị Hạnh", "Lê Văn Hiếu"),
    _CommuneSeed("tuthinh", "Xã", "Tú Thịnh", 25, "Hà Thị Ngọc", _CULTURE,
                 "Đặng Văn Long", "Ma Văn Chiến", None),
    _CommuneSeed("dongtho", "Xã", "Đông Thọ", 30, "Phạm Văn Khánh", _TECHNICIAN,
                 "Nguyễn Văn Dũng", "Hà Thị Thủy", "Trần Thị Loan"),
    _CommuneSeed("vinhloi", "Xã", "Vĩnh Lợi", 30, "Bùi Văn Nam", _CULTURE,
                 "Lê Quang Vinh", "Phạm Thị Yến", "Hoàng Thị Dung"),
    _CommuneSeed("thuongam", "Xã", "Thượng Ấm", 25, "Lê Thị Ngân", _CULTURE,
                 "Ma Văn Hòa", "Trần Đức Mạnh", None),
    _CommuneSeed("sonnam", "Xã", "Sơn Nam", 30, "Đỗ Văn Hưng", _TECHNICIAN,
                 "Phạm Văn Sỹ", "Nguyễn Thị Thanh Hương", "Vũ Thị Hoa"),
    _CommuneSeed("daiphu", "Xã", "Đại Phú", 30, "Nguyễn Thị Kim Oanh", _CULTURE,
                 "Bùi Đức Thắng", "Lý Văn Quang", "Hà Thị Bích"),
    _CommuneSeed("tantrao", "Xã", "Tân Trào", 35, "Ma Văn Định", _TECHNICIAN,
                 "Hà Văn Khiêm", "Nông Thị Hằng", "Trần Văn Hậu"),
    _CommuneSeed("minhthanh", "Xã", "Minh Thanh", 25, "Triệu Thị Mến", _CULTURE,
                 "Hoàng Văn Phúc", "Triệu Văn Chung", None),
    _CommuneSeed("honglac", "Xã", "Hồng Lạc", 25, "Phạm Thị Hòa", _CULTURE,
                 "Nguyễn Văn Thuận", "Đặng Thị Quyên", "Lê Văn Tâm"),
    _CommuneSeed("truongsinh", "Xã", "Trường Sinh", 25, "Vũ Thị Thúy", _TECHNICIAN,
                 "Đỗ Văn Trường", "Ma Thị Lan", None),
    _CommuneSeed("lamxuyen", "Xã", "Lâm Xuyên", 25, "Hoàng Thị Nhài", _CULTURE,
                 "Lý Văn Thành", "Nguyễn Văn Lợi", "Bùi Thị Ngọc Ánh"),
    _CommuneSeed("samduong", "Xã", "Sầm Dương", 25, "Lê Văn Cường", _TECHNICIAN,
                 "Trần Văn Hiển", "Hà Thị Diệu", "Nguyễn Thị Hoài"),
)
# fmt: on


def _commune_key(seed: _CommuneSeed) -> str:
    return f"{DISTRICT_KEY}.{seed.slug}"


def _site_key(seed: _CommuneSeed) -> str:
    return f"site.{_commune_key(seed)}"


def _local_name(seed: _CommuneSeed) -> str:
    """The commune's name as written inside a phrase: "xã Hợp Thành", "thị trấn Sơn Dương"."""
    return f"{seed.prefix.lower()} {seed.place}"


UNITS: tuple[Unit, ...] = (
    Unit(PROVINCE_KEY, "Tỉnh Tuyên Quang", "province", None, "TQ"),
    Unit(DISTRICT_KEY, "Huyện Sơn Dương", "district", PROVINCE_KEY, "SD"),
    *(
        Unit(_commune_key(c), f"{c.prefix} {c.place}", "commune", DISTRICT_KEY, f"SD-{c.slug.upper()}")
        for c in _COMMUNES
    ),
)

COMMUNE_KEYS: tuple[str, ...] = tuple(_commune_key(c) for c in _COMMUNES)
"""Keys of all communes and towns of the district, in display order."""

# --------------------------------------------------------------------------- sites

SITES: tuple[Site, ...] = (
    Site(
        MAIN_SITE_KEY,
        "Phòng họp trực tuyến UBND huyện",
        DISTRICT_KEY,
        "Tầng 2, trụ sở UBND huyện Sơn Dương",
        80,
    ),
    *(
        Site(
            _site_key(c),
            f"Phòng họp trực tuyến UBND {_local_name(c)}",
            _commune_key(c),
            f"Hội trường UBND {_local_name(c)}",
            c.capacity,
        )
        for c in _COMMUNES
    ),
)

# --------------------------------------------------------------------------- people

_OFFICE_CLERK = "Chuyên viên Văn phòng HĐND và UBND huyện"

_DISTRICT_PEOPLE: tuple[Person, ...] = (
    Person("admin", "Nguyễn Thị Thu Hà", ("admin",), DISTRICT_KEY, _OFFICE_CLERK),
    Person("chutich", "Hoàng Văn Thắng", ("chair",), DISTRICT_KEY, "Chủ tịch UBND huyện"),
    Person("pct.hung", "Đặng Quốc Hùng", ("chair",), DISTRICT_KEY, "Phó Chủ tịch UBND huyện"),
    Person("thuky", "Lê Thị Phương Thảo", ("secretary",), DISTRICT_KEY, _OFFICE_CLERK),
    Person(
        "chanhvanphong",
        "Trần Minh Đức",
        ("delegate",),
        DISTRICT_KEY,
        "Chánh Văn phòng HĐND và UBND huyện",
    ),
    Person(
        "tp.taichinh",
        "Phạm Thị Lan Anh",
        ("delegate",),
        DISTRICT_KEY,
        "Trưởng phòng Tài chính - Kế hoạch",
    ),
    Person("tp.noivu", "Ma Văn Toàn", ("delegate",), DISTRICT_KEY, "Trưởng phòng Nội vụ"),
    Person(
        "tp.tainguyen",
        "Vũ Đình Khải",
        ("delegate",),
        DISTRICT_KEY,
        "Trưởng phòng Tài nguyên và Môi trường",
    ),
    Person(
        "tp.nongnghiep",
        "Hà Văn Lực",
        ("delegate",),
        DISTRICT_KEY,
        "Trưởng phòng Nông nghiệp và Phát triển nông thôn",
    ),
    Person(
        "tp.giaoduc",
        "Bùi Thị Hồng Nhung",
        ("delegate",),
        DISTRICT_KEY,
        "Trưởng phòng Giáo dục và Đào tạo",
    ),
    Person("thanhtra", "Triệu Văn Sơn", ("observer",), DISTRICT_KEY, "Chánh Thanh tra huyện"),
)

_DEPARTMENT_HEADS: tuple[str, ...] = (
    "chanhvanphong",
    "tp.taichinh",
    "tp.noivu",
    "tp.tainguyen",
    "tp.nongnghiep",
    "tp.giaoduc",
)


def _commune_people(c: _CommuneSeed) -> tuple[Person, ...]:
    key = _commune_key(c)
    level = c.prefix.lower()  # "xã" / "thị trấn"
    people = [
        Person(f"kt.{c.slug}", c.operator, ("site_operator",), key, c.operator_title),
        Person(f"ct.{c.slug}", c.chairman, ("delegate",), key, f"Chủ tịch UBND {level}"),
        Person(f"pct.{c.slug}", c.vice_chairman, ("delegate",), key, f"Phó Chủ tịch UBND {level}"),
    ]
    if c.accountant is not None:
        people.append(Person(f"tckt.{c.slug}", c.accountant, ("delegate",), key, "Công chức Tài chính - Kế toán"))
    return tuple(people)


PEOPLE: tuple[Person, ...] = _DISTRICT_PEOPLE + tuple(p for c in _COMMUNES for p in _commune_people(c))

# --------------------------------------------------------------------------- meetings

_AGENDA: tuple[AgendaItem, ...] = (
    AgendaItem(
        "Khai mạc hội nghị",
        "chutich",
        10,
        "Tuyên bố lý do, giới thiệu đại biểu dự tại điểm cầu huyện và các điểm cầu xã, thị trấn.",
    ),
    AgendaItem(
        "Báo cáo tình hình thực hiện nhiệm vụ phát triển kinh tế - xã hội năm 2026, phương hướng, nhiệm vụ năm 2027",
        "pct.hung",
        30,
        "Đánh giá kết quả các chỉ tiêu kinh tế - xã hội, quốc phòng - an ninh; "
        "những tồn tại, hạn chế và giải pháp trọng tâm năm 2027.",
    ),
    AgendaItem(
        "Báo cáo tình hình thu, chi ngân sách nhà nước năm 2026, dự toán ngân sách năm 2027",
        "tp.taichinh",
        25,
        "Kết quả thu ngân sách trên địa bàn, chi đầu tư phát triển, chi thường xuyên; "
        "phương án phân bổ dự toán cho các xã, thị trấn.",
    ),
    AgendaItem(
        "Thảo luận tại các điểm cầu",
        "chutich",
        95,
        "Chủ trì điều hành; lãnh đạo UBND các xã, thị trấn và trưởng các phòng, ban chuyên môn "
        "phát biểu theo thứ tự đăng ký, lần lượt từ các điểm cầu.",
    ),
    AgendaItem(
        "Kết luận của chủ trì hội nghị",
        "chutich",
        20,
        "Chủ tịch UBND huyện kết luận, giao nhiệm vụ cho các phòng, ban và UBND các xã, thị trấn.",
    ),
)

MEETINGS: tuple[Meeting, ...] = (
    Meeting(
        title=(
            "Hội nghị trực tuyến đánh giá tình hình thực hiện nhiệm vụ phát triển kinh tế - xã hội "
            "năm 2026, triển khai kế hoạch năm 2027"
        ),
        description=(
            f"{DISTRICT_AUTHORITY_NAME} tổ chức hội nghị trực tuyến từ điểm cầu chính tại trụ sở "
            f"UBND huyện đến {len(_COMMUNES)} điểm cầu UBND các xã, thị trấn. Thành phần: lãnh đạo "
            "UBND huyện, trưởng các phòng chuyên môn; Chủ tịch, Phó Chủ tịch UBND và công chức "
            "chuyên môn các xã, thị trấn."
        ),
        location="Phòng họp trực tuyến UBND huyện, Tầng 2, trụ sở UBND huyện Sơn Dương",
        start_offset_days=2,
        start_hour=8,
        start_minute=0,
        duration_minutes=sum(item.planned_minutes for item in _AGENDA),
        chair_username="chutich",
        secretary_username="thuky",
        main_site_key=MAIN_SITE_KEY,
        site_keys=(MAIN_SITE_KEY, *(_site_key(c) for c in _COMMUNES)),
        invitee_usernames=_DEPARTMENT_HEADS,
        invited_unit_keys=COMMUNE_KEYS,
        agenda=_AGENDA,
    ),
)

# --------------------------------------------------------------------------- lookups

_UNIT_BY_KEY: dict[str, Unit] = {u.key: u for u in UNITS}
_SITE_BY_KEY: dict[str, Site] = {s.key: s for s in SITES}
_PERSON_BY_USERNAME: dict[str, Person] = {p.username: p for p in PEOPLE}


def unit(key: str) -> Unit:
    """The demo unit with ``key``; raises ``KeyError`` if there is none."""
    return _UNIT_BY_KEY[key]


def site(key: str) -> Site:
    """The demo site with ``key``; raises ``KeyError`` if there is none."""
    return _SITE_BY_KEY[key]


def person(username: str) -> Person:
    """The demo person with ``username``; raises ``KeyError`` if there is none."""
    return _PERSON_BY_USERNAME[username]
