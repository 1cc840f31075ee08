"""Field types shared by action schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field

from ..domain.text import has_pictographs
from ..errors import InvalidValue
from ..protocol import ID_PATTERN
from ..storage.db import iso


def _aware_time(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise InvalidValue(
            "{Label} không phải là thời điểm hợp lệ (ISO 8601).", "{Label} is not a valid ISO 8601 time."
        ) from None
    if moment.tzinfo is None:
        raise InvalidValue("{Label} cần ghi kèm múi giờ, ví dụ +07:00.", "{Label} needs its UTC offset, e.g. +07:00.")
    return iso(moment)


def _printable(value: str) -> str:
    """Names, titles and places are printed on official documents (the giấy mời), which carry no emoji."""
    if has_pictographs(value):
        raise InvalidValue(
            "{Label} không được chứa biểu tượng cảm xúc (emoji) hay ký hiệu hình ảnh: văn bản hành chính không in "
            "được các ký tự này.",
            "{Label} must not contain emoji or other pictographs: official documents cannot print them.",
        )
    return value


Id = Annotated[str, Field(pattern=ID_PATTERN, max_length=48)]
Time = Annotated[str, Field(max_length=40), AfterValidator(_aware_time)]
TITLE_MAX = 300
"""Longest title (of a meeting, agenda item, unit, site or person's name); the forms count down to it."""

Title = Annotated[str, Field(min_length=1, max_length=TITLE_MAX), AfterValidator(_printable)]
Text = Annotated[str, Field(max_length=5000)]
Short = Annotated[str, Field(max_length=300), AfterValidator(_printable)]
# An e-mail address as an office writes it (one @, a dotted domain, no spaces); "" where it may be removed.
Email = Annotated[str, Field(max_length=254, pattern=r"^(|[^@\s<>\",;]+@[^@\s<>\",;]+\.[^@\s<>\",;]+)$")]
