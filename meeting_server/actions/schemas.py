"""Field types shared by action schemas."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

from pydantic import AfterValidator, Field

from ..protocol import ID_PATTERN
from ..storage.db import iso


def _aware_time(value: str) -> str:
    try:
        moment = datetime.fromisoformat(value.replace("Z", "+00:00"))
    except ValueError:
        raise ValueError("not an ISO 8601 time") from None
    if moment.tzinfo is None:
        raise ValueError("a time needs its UTC offset, e.g. +07:00")
    return iso(moment)


Id = Annotated[str, Field(pattern=ID_PATTERN, max_length=48)]
Time = Annotated[str, Field(max_length=40), AfterValidator(_aware_time)]
Title = Annotated[str, Field(min_length=1, max_length=300)]
Text = Annotated[str, Field(max_length=5000)]
Short = Annotated[str, Field(max_length=300)]
