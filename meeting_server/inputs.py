"""What every input must be before anything reads it: JSON that is shallow enough to walk and carries no NUL.

One place, used by the REST body parser (`api.common.read_json`, the sign-in included) and by every action's
validation (`actions.base.validate`, so socket.io commands and the command line too): a NUL (U+0000) cannot be
stored in PostgreSQL text and means nothing in ours, so it is refused with `nul_character` before a transaction
opens, on SQLite as on PostgreSQL; nothing already saved is touched.
"""

from __future__ import annotations

import json
from typing import Any

from .errors import AppError

MAX_JSON_DEPTH = 32  # the deepest of ours is an annotation's stroke (object, list of points, point): 5
MAX_JSON_INT = 2**53 - 1  # what a browser's JSON reads exactly; a bigger integer is no count of ours
MAX_DB_INT = 2**31 - 1  # the INTEGER columns of either database (versions, sequence numbers, pages)
NUL = "\x00"


def parse_json(raw: bytes) -> Any:
    """The JSON value of a request body, or an AppError saying why not (never a RecursionError or a
    ValueError from Python's 4,300-digit integer limit)."""
    try:
        value = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError):
        raise AppError("malformed_json") from None
    except (RecursionError, ValueError):  # nested ~1,000 deep; an integer of 4,301+ digits
        raise AppError("json_too_complex", limit=MAX_JSON_DEPTH) from None
    check_value(value)
    return value


def check_value(value: Any) -> None:
    """Refuse a value nested deeper than MAX_JSON_DEPTH or holding a NUL in any string, keys included.
    Walks without recursion, so no input can exhaust the stack here."""
    stack: list[tuple[Any, int]] = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            check_text(item)
        elif isinstance(item, int) and abs(item) > MAX_JSON_INT:
            raise AppError("json_too_complex", limit=MAX_JSON_DEPTH)
        elif isinstance(item, dict | list | tuple):
            if depth > MAX_JSON_DEPTH:
                raise AppError("json_too_complex", limit=MAX_JSON_DEPTH)
            if isinstance(item, dict):
                stack.extend((key, depth) for key in item)
                stack.extend((child, depth + 1) for child in item.values())
            else:
                stack.extend((child, depth + 1) for child in item)


def whole_number(raw: str | None, name: str, default: int | None = None) -> int:
    """A count or number from a path or query (`?after=`, `/versions/{version}`): a whole number the database
    can store, or `invalid_input` naming it."""
    if raw is None or raw == "":
        if default is None:
            raise AppError("invalid_input", detail=f"thiếu {name}", detail_en=f"{name} is missing")
        return default
    if not raw.lstrip("-").isdigit() or len(raw) > 12 or abs(int(raw)) > MAX_DB_INT:
        raise AppError(
            "invalid_input",
            detail=f"{name} phải là số nguyên (tối đa {MAX_DB_INT})",
            detail_en=f"{name} must be a whole number (at most {MAX_DB_INT})",
        )
    return int(raw)


def check_text(text: str) -> None:
    if NUL in text:
        raise AppError("nul_character")
