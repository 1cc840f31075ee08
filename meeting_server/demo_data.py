"""Demo province: Tỉnh Tuyên Quang with all its communes and wards, departments, people and one conference.

Why this module exists: a newcomer who runs ``make run`` should open the system and see a
province that looks real, not an empty database or "Test Unit 1". Since the 2025 reform a
province sits directly above its communes and wards; the data is a provincial online
conference of UBND tỉnh Tuyên Quang from the main hall at the provincial People's Committee
to a hall in each of its 124 communes and wards, the people who take part in such a
meeting (the province's leaders, a secretary, department heads, and the chairmen and
operators of a few communes), and a scheduled conference with its agenda. Tests and
benchmarks reuse the same data, so what they exercise looks like production: Vietnamese
names with diacritics, well over a hundred sites in one meeting.

The communes and wards, their names and official codes are the official list carried by
the ``vietnam-provinces`` package (``meeting_server.official_units``), read once when this
module is imported. The departments are real kinds of provincial agencies; the people are
fictional, and any likeness to real officials is a coincidence.

Demo accounts are only for trying the system. Every one of them has the password
``DEMO_PASSWORD``; ``meeting-server demo`` prints the list of accounts with their roles.
Never load this data into a production deployment.

Apart from reading that list the module is pure data: no other I/O and nothing random, so
every import yields exactly the same values. Meeting times are given relative to "today"
(``start_offset_days``, ``start_hour``, ``start_minute``); whoever loads the data turns
them into real datetimes in the deployment's time zone.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from .documents.textfold import fold
from .domain.units import UnitKind, hall_location, hall_name, place_name
from .official_units import OfficialCommune, find_province, load

__all__ = [
    "AGENCY_KEYS",
    "COMMUNE_KEYS",
    "DEMO_PASSWORD",
    "DEMO_SIGNERS",
    "HELD_MEETING",
    "MAIN_SITE_KEY",
    "MEETINGS",
    "PEOPLE",
    "PROVINCE_AUTHORITY_NAME",
    "PROVINCE_CODE",
    "PROVINCE_KEY",
    "ROLES",
    "SEAL_NAME",
    "SITES",
    "UNITS",
    "AgendaItem",
    "HeldItem",
    "HeldMeeting",
    "Meeting",
    "MeetingPlan",
    "Person",
    "Role",
    "Site",
    "Speech",
    "Unit",
    "UnitKind",
    "person",
    "site",
    "unit",
]

DEMO_PASSWORD = "hop-truc-tuyen-2026"
"""Password of every demo account. Demo accounts are for trying the system only."""

Role = Literal["admin", "chair", "secretary", "delegate", "site_operator", "observer"]

ROLES: tuple[str, ...] = ("admin", "chair", "secretary", "delegate", "site_operator", "observer")
"""Every role a demo person may hold."""


@dataclass(frozen=True)
class Unit:
    """The province, one of its communes or wards, or an agency (sở, văn phòng...) of the province."""

    key: str
    name: str
    kind: UnitKind
    parent_key: str | None
    code: str
    division_type: str
    official_code: str | None


@dataclass(frozen=True)
class Site:
    """A meeting room that joins an online conference (an "điểm cầu")."""

    key: str
    name: str
    unit_key: str
    location: str
    capacity: int


def demo_email(username: str) -> str:
    """A demo account's e-mail address, under the reserved `.example` name (RFC 2606), so a demo server wired to a
    real mail relay still mails no real office."""
    return f"{username}@tuyenquang.example"


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
class MeetingPlan:
    """What a demo meeting and a held demo meeting both name: what, where, who and which halls."""

    title: str
    description: str
    location: str
    chair_username: str
    secretary_username: str
    main_site_key: str
    site_keys: tuple[str, ...]
    invitee_usernames: tuple[str, ...]
    invited_unit_keys: tuple[str, ...]


@dataclass(frozen=True)
class Meeting(MeetingPlan):
    """A scheduled meeting; it starts ``start_offset_days`` after today at ``start_hour:start_minute``."""

    start_offset_days: int
    start_hour: int
    start_minute: int
    duration_minutes: int
    agenda: tuple[AgendaItem, ...]


# --------------------------------------------------------------------------- units

PROVINCE_CODE = "08"
PROVINCE_KEY = "tuyenquang"
MAIN_SITE_KEY = "site.tuyenquang"
PROVINCE_AUTHORITY_NAME = "Ủy ban nhân dân tỉnh Tuyên Quang"
SEAL_NAME = "ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG"
"""The organisation on the demo certificates and the name of the demo seal (signing/demo_pki.py)."""
DEMO_SIGNERS = ("thuky", "chutich", "chanhvanphong")
"""Who gets a demo certificate (`meeting-server demo`): the demo meetings' secretary and chair, and the Chánh Văn
phòng who signs the thông báo kết luận "TL. CHỦ TỊCH"."""
"""The body that convenes the demo meeting."""

_PROVINCE = find_province(load(), PROVINCE_CODE)
assert _PROVINCE is not None, "the official list has no province 08"


def _slug(c: OfficialCommune) -> str:
    """ASCII, used in keys and usernames: "Xã Tân Trào" → "tantrao", "Phường Hà Giang 1" → "hagiang1"."""
    return fold(place_name(c.name, c.division_type)).replace(" ", "")


def _commune_key(c: OfficialCommune) -> str:
    return f"{PROVINCE_KEY}.{_slug(c)}"


def _site_key(unit_key: str) -> str:
    return f"site.{unit_key}"


# The province's agencies: (key, name, code). They sit under the province and have their own people.
_AGENCIES: tuple[tuple[str, str, str], ...] = (
    ("vp", "Văn phòng UBND tỉnh", "VP"),
    ("stc", "Sở Tài chính", "STC"),
    ("snv", "Sở Nội vụ", "SNV"),
    ("syt", "Sở Y tế", "SYT"),
    ("sgddt", "Sở Giáo dục và Đào tạo", "SGDĐT"),
    ("snnmt", "Sở Nông nghiệp và Môi trường", "SNNMT"),
    ("thanhtra", "Thanh tra tỉnh", "TTr"),
)


def _agency_key(short: str) -> str:
    return f"{PROVINCE_KEY}.{short}"


UNITS: tuple[Unit, ...] = (
    Unit(PROVINCE_KEY, _PROVINCE.name, "province", None, "TQ", _PROVINCE.division_type, _PROVINCE.code),
    *(Unit(_agency_key(k), name, "agency", PROVINCE_KEY, code, "", None) for k, name, code in _AGENCIES),
    *(Unit(_commune_key(c), c.name, "commune", PROVINCE_KEY, "", c.division_type, c.code) for c in _PROVINCE.communes),
)

COMMUNE_KEYS: tuple[str, ...] = tuple(_commune_key(c) for c in _PROVINCE.communes)
"""Keys of all communes and wards of the province, in the official list's order."""

AGENCY_KEYS: tuple[str, ...] = tuple(_agency_key(k) for k, _, _ in _AGENCIES)

# --------------------------------------------------------------------------- sites

SITES: tuple[Site, ...] = (
    Site(
        MAIN_SITE_KEY,
        "Phòng họp trực tuyến UBND tỉnh",
        PROVINCE_KEY,
        "Tầng 3, trụ sở UBND tỉnh Tuyên Quang",
        120,
    ),
    *(
        Site(
            _site_key(_commune_key(c)),
            hall_name(c.name, c.division_type),
            _commune_key(c),
            hall_location(c.name, c.division_type),
            40 if c.division_type == "phường" else 30,
        )
        for c in _PROVINCE.communes
    ),
)

# --------------------------------------------------------------------------- people

_OFFICE_CLERK = "Chuyên viên Văn phòng UBND tỉnh"
_VP, _STC, _SNV, _SYT, _SGD, _SNN, _TTR = AGENCY_KEYS

_PROVINCE_PEOPLE: tuple[Person, ...] = (
    Person("admin", "Nguyễn Thị Thu Hà", ("admin",), _VP, _OFFICE_CLERK),
    Person("chutich", "Hoàng Văn Thắng", ("chair",), PROVINCE_KEY, "Chủ tịch UBND tỉnh"),
    Person("pct.hung", "Đặng Quốc Hùng", ("chair",), PROVINCE_KEY, "Phó Chủ tịch UBND tỉnh"),
    Person("pct.lien", "Triệu Thị Liên", ("chair",), PROVINCE_KEY, "Phó Chủ tịch UBND tỉnh"),
    # the secretary of UBND tỉnh's meetings keeps its register (the chair's unit's: storage/register.py)
    Person("thuky", "Lê Thị Phương Thảo", ("secretary",), PROVINCE_KEY, _OFFICE_CLERK),
    Person("chanhvanphong", "Trần Minh Đức", ("delegate",), _VP, "Chánh Văn phòng UBND tỉnh"),
    Person("tp.taichinh", "Phạm Thị Lan Anh", ("delegate",), _STC, "Giám đốc Sở Tài chính"),
    Person("gd.noivu", "Ma Văn Toàn", ("delegate",), _SNV, "Giám đốc Sở Nội vụ"),
    Person("gd.yte", "Lý Thị Hồng Vân", ("delegate",), _SYT, "Giám đốc Sở Y tế"),
    Person("gd.giaoduc", "Bùi Thị Hồng Nhung", ("delegate",), _SGD, "Giám đốc Sở Giáo dục và Đào tạo"),
    Person("gd.nongnghiep", "Hà Văn Lực", ("delegate",), _SNN, "Giám đốc Sở Nông nghiệp và Môi trường"),
    Person("thanhtra", "Triệu Văn Sơn", ("observer",), _TTR, "Chánh Thanh tra tỉnh"),
)

_DEPARTMENT_HEADS: tuple[str, ...] = (
    "chanhvanphong",
    "tp.taichinh",
    "gd.noivu",
    "gd.yte",
    "gd.giaoduc",
    "gd.nongnghiep",
)


@dataclass(frozen=True)
class _CommuneStaff:
    """The people at one commune's hall: its operator, chairman, vice-chairman and maybe its accountant."""

    name: str  # the official name, "Xã Tân Trào"
    operator: str
    operator_title: str
    chairman: str
    vice_chairman: str
    accountant: str | None  # Công chức Tài chính - Kế toán; None where the commune sends only two


_CULTURE = "Công chức Văn hóa - Xã hội"
_TECHNICIAN = "Kỹ thuật viên điểm cầu"

# fmt: off
_STAFFED: tuple[_CommuneStaff, ...] = (
    _CommuneStaff("Xã Tân Trào", "Ma Văn Định", _TECHNICIAN, "Hà Văn Khiêm", "Nông Thị Hằng", "Trần Văn Hậu"),
    _CommuneStaff("Xã Sơn Dương", "Nguyễn Văn Tiến", _TECHNICIAN, "Trần Văn Bình", "Lê Thị Hương", "Phạm Thu Trang"),
    _CommuneStaff("Xã Minh Thanh", "Triệu Thị Mến", _CULTURE, "Hoàng Văn Phúc", "Triệu Văn Chung", None),
    _CommuneStaff("Xã Đông Thọ", "Phạm Văn Khánh", _TECHNICIAN, "Nguyễn Văn Dũng", "Hà Thị Thủy", "Trần Thị Loan"),
    _CommuneStaff("Xã Trường Sinh", "Vũ Thị Thúy", _TECHNICIAN, "Đỗ Văn Trường", "Ma Thị Lan", None),
    _CommuneStaff("Phường Minh Xuân", "Bùi Văn Nam", _TECHNICIAN, "Lê Quang Vinh", "Phạm Thị Yến", "Hoàng Thị Dung"),
    _CommuneStaff("Phường Hà Giang 1", "Đỗ Văn Hưng", _TECHNICIAN, "Phạm Văn Sỹ", "Nguyễn Thị Thanh Hương",
                  "Vũ Thị Hoa"),
    _CommuneStaff("Xã Đồng Văn", "Lý Văn Kiên", _CULTURE, "Vàng Mí Say", "Sùng Thị Mai", None),
    _CommuneStaff("Xã Lâm Bình", "Hà Thị Ngọc", _CULTURE, "Đặng Văn Long", "Ma Văn Chiến", "Lê Văn Hiếu"),
)
# fmt: on

_BY_NAME: dict[str, OfficialCommune] = {c.name: c for c in _PROVINCE.communes}


def _commune_people(staff: _CommuneStaff) -> tuple[Person, ...]:
    c = _BY_NAME[staff.name]
    key, slug = _commune_key(c), _slug(c)
    level = c.division_type  # "xã" / "phường"
    people = [
        Person(f"kt.{slug}", staff.operator, ("site_operator",), key, staff.operator_title),
        Person(f"ct.{slug}", staff.chairman, ("delegate",), key, f"Chủ tịch UBND {level}"),
        Person(f"pct.{slug}", staff.vice_chairman, ("delegate",), key, f"Phó Chủ tịch UBND {level}"),
    ]
    if staff.accountant is not None:
        people.append(Person(f"tckt.{slug}", staff.accountant, ("delegate",), key, "Công chức Tài chính - Kế toán"))
    return tuple(people)


PEOPLE: tuple[Person, ...] = _PROVINCE_PEOPLE + tuple(p for c in _STAFFED for p in _commune_people(c))

# --------------------------------------------------------------------------- meetings

_AGENDA: tuple[AgendaItem, ...] = (
    AgendaItem(
        "Khai mạc hội nghị",
        "chutich",
        10,
        "Tuyên bố lý do, giới thiệu đại biểu dự tại điểm cầu tỉnh và các điểm cầu xã, phường.",
    ),
    AgendaItem(
        "Báo cáo tình hình thực hiện nhiệm vụ phát triển kinh tế - xã hội năm 2026, phương hướng, nhiệm vụ năm 2027",
        "pct.hung",
        30,
        "Đánh giá kết quả các chỉ tiêu kinh tế - xã hội, quốc phòng - an ninh sau một năm vận hành chính quyền "
        "địa phương hai cấp; những tồn tại, hạn chế và giải pháp trọng tâm năm 2027.",
    ),
    AgendaItem(
        "Báo cáo tình hình thu, chi ngân sách nhà nước năm 2026, dự toán ngân sách năm 2027",
        "tp.taichinh",
        25,
        "Kết quả thu ngân sách trên địa bàn, chi đầu tư phát triển, chi thường xuyên; "
        "phương án phân bổ dự toán cho các xã, phường.",
    ),
    AgendaItem(
        "Thảo luận tại các điểm cầu",
        "chutich",
        95,
        "Chủ trì điều hành; lãnh đạo UBND các xã, phường và giám đốc các sở, ngành "
        "phát biểu theo thứ tự đăng ký, lần lượt từ các điểm cầu.",
    ),
    AgendaItem(
        "Kết luận của chủ trì hội nghị",
        "chutich",
        20,
        "Chủ tịch UBND tỉnh kết luận, giao nhiệm vụ cho các sở, ban, ngành và UBND các xã, phường.",
    ),
)

MEETINGS: tuple[Meeting, ...] = (
    Meeting(
        title="Hội nghị trực tuyến UBND tỉnh với các xã, phường",
        description=(
            f"{PROVINCE_AUTHORITY_NAME} tổ chức hội nghị trực tuyến đánh giá tình hình thực hiện nhiệm vụ phát "
            "triển kinh tế - xã hội năm 2026, triển khai kế hoạch năm 2027, từ điểm cầu chính tại trụ sở UBND tỉnh "
            f"đến {len(COMMUNE_KEYS)} điểm cầu UBND các xã, phường. Thành phần: lãnh đạo UBND tỉnh, giám đốc các "
            "sở, ngành; Chủ tịch, Phó Chủ tịch UBND và công chức chuyên môn các xã, phường."
        ),
        location="Phòng họp trực tuyến UBND tỉnh, Tầng 3, trụ sở UBND tỉnh Tuyên Quang",
        start_offset_days=2,
        start_hour=8,
        start_minute=0,
        duration_minutes=sum(item.planned_minutes for item in _AGENDA),
        chair_username="chutich",
        secretary_username="thuky",
        main_site_key=MAIN_SITE_KEY,
        site_keys=(MAIN_SITE_KEY, *(_site_key(k) for k in COMMUNE_KEYS)),
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


# --------------------------------------------------------------------------- a meeting held, with its record


@dataclass(frozen=True)
class Speech:
    """One speech in a held meeting: who (a username) from which hall (a site key), how long."""

    username: str
    site_key: str
    seconds: int


@dataclass(frozen=True)
class HeldItem:
    """An agenda item as it was held: its time, speeches, maybe a secret vote, and what the secretary wrote."""

    item: AgendaItem
    minutes: int
    speeches: tuple[Speech, ...]
    vote_question: str  # "" when nothing was voted on
    votes_no: tuple[str, ...]  # usernames voting against; the other voters present vote for
    discussion_html: str  # diễn biến, as the Văn phòng writes it in the biên bản
    conclusion_html: str  # kết luận of the chair, also the thông báo kết luận's


@dataclass(frozen=True)
class HeldMeeting(MeetingPlan):
    """A meeting of the past, held and ended, whose biên bản the seed writes and the chair approves. Its times are
    fixed (Vietnam time, ``year``-``month``-``day``); the seed replays it at them."""

    year: int
    month: int
    day: int
    start_hour: int
    late: tuple[tuple[str, int], ...]  # (username, minutes after the start)
    absent: tuple[tuple[str, str], ...]  # (username, the reason given)
    items: tuple[HeldItem, ...]
    conclusion_signer_username: str  # who signs the thông báo kết luận, for the chair
    conclusion_signer_authority: str
    conclusion_signer_title: str
    conclusion_closing_html: str


_TANTRAO, _MINHXUAN, _LAMBINH = (f"{PROVINCE_KEY}.{slug}" for slug in ("tantrao", "minhxuan", "lambinh"))

HELD_MEETING = HeldMeeting(
    title="Phiên họp thường kỳ tháng 11 năm 2026 của UBND tỉnh",
    description=(
        "Phiên họp thường kỳ của Ủy ban nhân dân tỉnh: đánh giá tình hình kinh tế - xã hội tháng 11, cho ý kiến "
        "dự thảo Nghị quyết phân bổ dự toán ngân sách năm 2027 và Kế hoạch phòng, chống thiên tai năm 2027; kết "
        "nối trực tuyến với UBND xã Tân Trào, phường Minh Xuân và xã Lâm Bình."
    ),
    location="Phòng họp số 1, trụ sở UBND tỉnh Tuyên Quang",
    year=2026,
    month=11,
    day=26,
    start_hour=8,
    chair_username="chutich",
    secretary_username="thuky",
    main_site_key=MAIN_SITE_KEY,
    site_keys=(MAIN_SITE_KEY, *(_site_key(k) for k in (_TANTRAO, _MINHXUAN, _LAMBINH))),
    invitee_usernames=("pct.hung", "pct.lien", *_DEPARTMENT_HEADS, "ct.tantrao", "ct.minhxuan", "ct.lambinh"),
    invited_unit_keys=(_TANTRAO, _MINHXUAN, _LAMBINH),
    late=(("gd.yte", 20),),
    absent=(("pct.lien", "Đi công tác tại Hà Nội theo Quyết định của Chủ tịch UBND tỉnh"),),
    items=(
        HeldItem(
            AgendaItem(
                "Báo cáo tình hình kinh tế - xã hội tháng 11, nhiệm vụ trọng tâm tháng 12 năm 2026",
                "tp.taichinh",
                50,
                "Sở Tài chính báo cáo; ý kiến của UBND các xã, phường tại các điểm cầu.",
            ),
            minutes=55,
            speeches=(
                Speech("ct.tantrao", _site_key(_TANTRAO), 245),
                Speech("ct.minhxuan", _site_key(_MINHXUAN), 198),
                Speech("ct.lambinh", _site_key(_LAMBINH), 226),
            ),
            vote_question="",
            votes_no=(),
            discussion_html=(
                "<p>Đồng chí Phạm Thị Lan Anh, Giám đốc Sở Tài chính trình bày Báo cáo tình hình kinh tế - xã hội "
                "tháng 11 năm 2026: tổng thu ngân sách nhà nước trên địa bàn 11 tháng ước đạt 4.862 tỷ đồng, bằng "
                "94,3% dự toán; giải ngân vốn đầu tư công đạt 78,6% kế hoạch; sản xuất vụ đông bảo đảm tiến độ; "
                "an sinh xã hội, quốc phòng - an ninh được giữ vững.</p>"
                "<p>Ý kiến phát biểu tại các điểm cầu:</p>"
                "<ul><li>Đồng chí Hà Văn Khiêm, Chủ tịch UBND xã Tân Trào đề nghị tỉnh sớm bố trí vốn hoàn thiện "
                "đường giao thông vào Khu di tích quốc gia đặc biệt Tân Trào;</li>"
                "<li>Đồng chí Lê Quang Vinh, Chủ tịch UBND phường Minh Xuân báo cáo tiến độ giải phóng mặt bằng "
                "các dự án chỉnh trang đô thị, kiến nghị hướng dẫn thủ tục bồi thường;</li>"
                "<li>Đồng chí Đặng Văn Long, Chủ tịch UBND xã Lâm Bình đề nghị hỗ trợ giống cây trồng cho các hộ "
                "bị thiệt hại do mưa lũ tháng 9.</li></ul>"
            ),
            conclusion_html=(
                "<p>Ủy ban nhân dân tỉnh cơ bản thống nhất với Báo cáo. Yêu cầu các sở, ban, ngành và UBND các "
                "xã, phường:</p>"
                "<ul><li>Tập trung chỉ đạo quyết liệt giải ngân vốn đầu tư công, phấn đấu đến ngày 31/01/2027 đạt "
                "100% kế hoạch vốn được giao;</li>"
                "<li>Giao Sở Tài chính chủ trì, phối hợp với Sở Xây dựng rà soát, tham mưu bố trí vốn cho tuyến "
                "đường vào Khu di tích Tân Trào, báo cáo UBND tỉnh trước ngày 15/12/2026;</li>"
                "<li>Giao Sở Nông nghiệp và Môi trường hướng dẫn UBND xã Lâm Bình hồ sơ hỗ trợ khôi phục sản xuất "
                "sau thiên tai theo quy định.</li></ul>"
            ),
        ),
        HeldItem(
            AgendaItem(
                "Dự thảo Nghị quyết của HĐND tỉnh về phân bổ dự toán ngân sách địa phương năm 2027",
                "tp.taichinh",
                40,
                "Sở Tài chính trình; thảo luận và biểu quyết thông qua để trình HĐND tỉnh tại kỳ họp cuối năm.",
            ),
            minutes=45,
            speeches=(
                Speech("gd.giaoduc", MAIN_SITE_KEY, 172),
                Speech("gd.yte", MAIN_SITE_KEY, 154),
            ),
            vote_question="Thông qua dự thảo Nghị quyết phân bổ dự toán ngân sách địa phương năm 2027",
            votes_no=("gd.noivu",),
            discussion_html=(
                "<p>Đồng chí Phạm Thị Lan Anh, Giám đốc Sở Tài chính trình bày Tờ trình và dự thảo Nghị quyết; "
                "tổng chi ngân sách địa phương năm 2027 dự kiến 15.240 tỷ đồng, trong đó chi đầu tư phát triển "
                "3.980 tỷ đồng.</p>"
                "<ul><li>Đồng chí Bùi Thị Hồng Nhung, Giám đốc Sở Giáo dục và Đào tạo đề nghị bổ sung kinh phí "
                "mua sắm thiết bị dạy học tối thiểu cho các trường vùng cao;</li>"
                "<li>Đồng chí Lý Thị Hồng Vân, Giám đốc Sở Y tế đề nghị ưu tiên kinh phí cho trạm y tế các xã "
                "mới sắp xếp.</li></ul>"
                "<p>Ủy ban nhân dân tỉnh biểu quyết kín bằng hệ thống; kết quả được ghi dưới đây.</p>"
            ),
            conclusion_html=(
                "<p>Thống nhất thông qua dự thảo Nghị quyết. Giao Sở Tài chính tiếp thu ý kiến của các đại biểu, "
                "hoàn thiện hồ sơ, trình Thường trực HĐND tỉnh trước ngày 02/12/2026.</p>"
            ),
        ),
        HeldItem(
            AgendaItem(
                "Kế hoạch phòng, chống thiên tai và tìm kiếm cứu nạn tỉnh Tuyên Quang năm 2027",
                "gd.nongnghiep",
                30,
                "Sở Nông nghiệp và Môi trường trình dự thảo Kế hoạch.",
            ),
            minutes=30,
            speeches=(),
            vote_question="",
            votes_no=(),
            discussion_html=(
                "<p>Đồng chí Hà Văn Lực, Giám đốc Sở Nông nghiệp và Môi trường trình bày dự thảo Kế hoạch, trong "
                "đó xác định 38 điểm có nguy cơ sạt lở cao cần di dời khẩn cấp các hộ dân trước mùa mưa lũ năm "
                "2027.</p>"
            ),
            conclusion_html=(
                "<p>Thống nhất nội dung dự thảo Kế hoạch. Giao Sở Nông nghiệp và Môi trường hoàn thiện, trình Chủ "
                "tịch UBND tỉnh ban hành trong tháng 12 năm 2026; UBND các xã, phường rà soát, lập phương án di "
                "dời dân cư vùng nguy cơ cao.</p>"
            ),
        ),
    ),
    conclusion_signer_username="chanhvanphong",
    conclusion_signer_authority="TL. CHỦ TỊCH",
    conclusion_signer_title="CHÁNH VĂN PHÒNG",
    conclusion_closing_html=(
        "<p>Văn phòng UBND tỉnh thông báo để các cơ quan, đơn vị, địa phương biết, thực hiện./.</p>"
    ),
)
"""The demo's meeting held last month, with its biên bản approved (01/BB) and its thông báo kết luận in draft."""
