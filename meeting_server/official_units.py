"""The official list of provinces and commune-level units (danh mục đơn vị hành chính) from the
`vietnam-provinces` package: 34 provinces and centrally-run cities and their 3,321 communes, wards and special
zones, with their official codes (2 digits for a province, 5 for a commune).

The list is read from the package's JSON once and kept; the first read takes a few tens of milliseconds, so
servers call `load_async`, which reads it off the event loop.
"""

from __future__ import annotations

import asyncio
import functools
import json
import unicodedata
from dataclasses import dataclass

from vietnam_provinces import NESTED_DIVISIONS_JSON_PATH
from vietnam_provinces import __data_version__ as DATA_VERSION

from .documents.textfold import fold

__all__ = ["DATA_VERSION", "OfficialCommune", "OfficialProvince", "find_province", "load", "load_async"]

# The package spells a centrally-run city "thành phố trung ương"; on paper it is simply "thành phố".
_DIVISION_TYPES = {
    "tỉnh": "tỉnh",
    "thành phố trung ương": "thành phố",
    "xã": "xã",
    "phường": "phường",
    "đặc khu": "đặc khu",
}


@dataclass(frozen=True)
class OfficialCommune:
    code: str  # "09208"
    name: str  # "Xã Tân Trào"
    division_type: str  # "xã" | "phường" | "đặc khu"


@dataclass(frozen=True)
class OfficialProvince:
    code: str  # "08"
    name: str  # "Tỉnh Tuyên Quang", "Thành phố Hà Nội"
    division_type: str  # "tỉnh" | "thành phố"
    communes: tuple[OfficialCommune, ...]


def _with_prefix(name: str, division_type: str) -> str:
    """The package writes provinces without "Tỉnh" ("Tuyên Quang") and cities with "Thành phố"."""
    if name.lower().startswith(division_type + " "):
        return name
    return f"{division_type.capitalize()} {name}"


@functools.cache
def load() -> tuple[OfficialProvince, ...]:
    """Every province with its communes, in the package's order."""
    raw = json.loads(NESTED_DIVISIONS_JSON_PATH.read_text(encoding="utf-8"))
    provinces = []
    for p in raw:
        kind = _DIVISION_TYPES[p["division_type"]]
        communes = tuple(
            OfficialCommune(
                f"{w['code']:05d}", unicodedata.normalize("NFC", w["name"]), _DIVISION_TYPES[w["division_type"]]
            )
            for w in p["wards"]
        )
        name = _with_prefix(unicodedata.normalize("NFC", p["name"]), kind)
        provinces.append(OfficialProvince(f"{p['code']:02d}", name, kind, communes))
    return tuple(provinces)


async def load_async() -> tuple[OfficialProvince, ...]:
    return await asyncio.to_thread(load)


def _key(text: str) -> str:
    return " ".join(fold(text).split())


def find_province(provinces: tuple[OfficialProvince, ...], query: str) -> OfficialProvince | None:
    """A province by its code ("08", "8") or its name, with or without "Tỉnh"/"Thành phố" and diacritics
    ("Tuyên Quang", "tuyen quang")."""
    query = query.strip()
    if query.isdigit():
        return next((p for p in provinces if int(p.code) == int(query)), None)
    wanted = _key(query)
    for p in provinces:
        place = p.name[len(p.division_type) + 1 :]
        if wanted in (_key(p.name), _key(place)):
            return p
    return None
