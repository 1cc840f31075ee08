"""Administrative units since the 2025 reform: which kind sits under which, and how their names read.

Since 1 July 2025 local government has two tiers: a province or centrally-run city (tỉnh, thành phố) directly
above its communes, wards and special zones (xã, phường, đặc khu). Each of them has agencies and offices (sở,
ban, ngành, Văn phòng UBND, Đảng ủy, HĐND, MTTQ...) whose people take part in meetings: those are units of the
kind ``agency``. The district (huyện) stays only as an optional level for data from before the reform: a commune
may sit under a province or under such a legacy district.
"""

from __future__ import annotations

from typing import Literal, get_args

from ..errors import AppError

UnitKind = Literal["province", "commune", "agency", "district"]
KINDS: tuple[UnitKind, ...] = get_args(UnitKind)

PARENT_KINDS: dict[str, frozenset[str]] = {
    "province": frozenset(),
    "district": frozenset({"province"}),
    "commune": frozenset({"province", "district"}),
    "agency": frozenset({"province", "commune", "district"}),
}
"""The kinds a unit of each kind may sit under; an empty set means it has no parent (a province)."""

DIVISION_TYPES: dict[str, tuple[str, ...]] = {
    "province": ("tỉnh", "thành phố"),
    "commune": ("xã", "phường", "đặc khu", "thị trấn"),
    "district": ("huyện", "quận", "thị xã", "thành phố"),
    "agency": ("",),
}
"""The division type (loại đơn vị hành chính, in Vietnamese) each kind may have; the first is the default.
"thị trấn" and the district types exist only in data from before the reform; an agency has none."""

KIND_VI = {"province": "tỉnh, thành phố", "commune": "xã, phường, đặc khu", "agency": "cơ quan", "district": "huyện"}


def default_division_type(kind: str) -> str:
    return DIVISION_TYPES[kind][0]


def check_division_type(kind: str, division_type: str) -> None:
    if division_type not in DIVISION_TYPES[kind]:
        allowed = ", ".join(t for t in DIVISION_TYPES[kind] if t) or "không có"
        raise AppError(
            "invalid_input",
            detail=f"loại đơn vị “{division_type}” không hợp với cấp {KIND_VI[kind]} (được: {allowed})",
            detail_en=f"division type {division_type!r} does not fit a {kind}",
        )


def check_parent(kind: str, parent_kind: str | None) -> None:
    """Raises unless a unit of ``kind`` may sit under a unit of ``parent_kind`` (None: at the top)."""
    allowed = PARENT_KINDS[kind]
    if parent_kind is None:
        if allowed:
            raise AppError(
                "invalid_input",
                detail=f"đơn vị cấp {KIND_VI[kind]} cần đơn vị cấp trên",
                detail_en=f"a {kind} needs a parent unit",
            )
        return
    if not allowed:
        raise AppError(
            "invalid_input",
            detail="tỉnh, thành phố không có đơn vị cấp trên",
            detail_en="a province has no parent unit",
        )
    if parent_kind not in allowed:
        names = " hoặc ".join(KIND_VI[k] for k in KINDS if k in allowed)
        raise AppError(
            "invalid_input",
            detail=f"đơn vị cấp {KIND_VI[kind]} phải thuộc {names}",
            detail_en=f"a {kind} belongs to a {' or '.join(k for k in KINDS if k in allowed)}",
        )


_ANY_TYPE = sorted({t for types in DIVISION_TYPES.values() for t in types if t}, key=len, reverse=True)


def _type_prefix(name: str, division_type: str) -> str:
    """The division type the name starts with ("" if none); any known type when the unit has none recorded."""
    for candidate in [division_type] if division_type else _ANY_TYPE:
        if name.lower().startswith(candidate + " "):
            return candidate
    return ""


def place_name(name: str, division_type: str) -> str:
    """The place without its division type: "Xã Tân Trào" → "Tân Trào"; other names unchanged."""
    prefix = _type_prefix(name, division_type)
    return name[len(prefix) + 1 :] if prefix else name


def local_name(name: str, division_type: str) -> str:
    """The unit's name inside a sentence: "Xã Tân Trào" → "xã Tân Trào", "Tỉnh Tuyên Quang" → "tỉnh Tuyên Quang"."""
    prefix = _type_prefix(name, division_type)
    return prefix + name[len(prefix) :] if prefix else name


def authority_name(kind: str, name: str, division_type: str) -> str:
    """The People's Committee of an administrative unit ("Ủy ban nhân dân xã Tân Trào"); an agency is itself."""
    if kind == "agency":
        return name
    return f"Ủy ban nhân dân {local_name(name, division_type)}"


def hall_name(name: str, division_type: str) -> str:
    """The meeting room a commune or province gets on import: "Phòng họp trực tuyến UBND xã Tân Trào"."""
    return f"Phòng họp trực tuyến UBND {local_name(name, division_type)}"


def hall_location(name: str, division_type: str) -> str:
    return f"Hội trường UBND {local_name(name, division_type)}"
