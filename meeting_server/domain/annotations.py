"""The one schema of an annotation's `data` (ink, highlight, sticky note), and its limits, written once.

Saving (`annotation.save`, over REST or socket.io, through domain.papers.check_annotation_data) and exporting (the
annotated copy, documents.export) both check with `normalise`, so what was saved can always be exported and
nothing else can be saved. Coordinates are in the displayed page, 0..1 with y down; a finger or stylus past the
edge by a pixel or two is clamped, more is refused.

The limits are what real ink needs: the reader saves one stroke per annotation, but a page of handwriting replayed
as one annotation (another client, an import) is some 1,500 strokes of about a dozen points; 20,000 points stay
well under the 1 MB request body limit.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any, Final, Literal, get_args

AnnotationKind = Literal["ink", "highlight", "note"]
KINDS: Final[tuple[AnnotationKind, ...]] = get_args(AnnotationKind)

MAX_STROKES: Final = 2_000  # strokes in one ink annotation
MAX_POINTS: Final = 20_000  # points in one ink annotation, all strokes together
MAX_RECTS: Final = 500  # rectangles (line segments) in one highlight; a page has fewer lines than that
MAX_TEXT: Final = 5_000  # characters of a note or of a highlight's text
MIN_WIDTH: Final = 0.0005  # ink width, relative to the page width
MAX_WIDTH: Final = 0.1  # an ink line a tenth of the page wide is already a paint roller
MIN_OPACITY: Final = 0.05
COORD_TOLERANCE: Final = 0.01
DEFAULT_INK_WIDTH: Final = 0.004
DEFAULT_COLORS: Final[dict[str, str]] = {"ink": "#d32f2f", "highlight": "#ffeb3b", "note": "#fbc02d"}
ROUND: Final = 5  # decimals kept of a coordinate

_COLOR = re.compile(r"#[0-9a-fA-F]{6}")
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


class AnnotationInvalid(ValueError):
    """What is wrong, in English (naming the field, as `ValueError`'s text) and in Vietnamese."""

    def __init__(self, field: str, en: str, vi: str) -> None:
        super().__init__(f"{field}: {en}")
        self.vi = vi


def _number(value: object, field: str) -> float:
    if isinstance(value, bool) or not isinstance(value, int | float):
        raise AnnotationInvalid(field, f"expected a number, got {type(value).__name__}", "phải là một số")
    number = float(value)
    if not math.isfinite(number):
        raise AnnotationInvalid(field, "must be a finite number", "phải là một số hữu hạn")
    return number


def _coordinate(value: object, field: str) -> float:
    number = _number(value, field)
    if number < -COORD_TOLERANCE or number > 1 + COORD_TOLERANCE:
        raise AnnotationInvalid(field, f"{number:g} is outside the page (0..1)", "điểm nằm ngoài trang")
    return round(min(1.0, max(0.0, number)), ROUND)


def _ranged(value: object, field: str, low: float, high: float, vi: str) -> float:
    number = _number(value, field)
    if not low <= number <= high:
        raise AnnotationInvalid(field, f"must be in [{low:g}, {high:g}]", vi)
    return number


def _text(value: object, field: str, *, required: bool) -> str:
    if not isinstance(value, str):
        raise AnnotationInvalid(field, f"expected a string, got {type(value).__name__}", "cần nội dung chữ")
    text = _CONTROL.sub("", unicodedata.normalize("NFC", value))
    if len(text) > MAX_TEXT:
        raise AnnotationInvalid(field, f"longer than {MAX_TEXT} characters", f"nội dung quá dài (tối đa {MAX_TEXT})")
    if required and not text.strip():
        raise AnnotationInvalid(field, "must not be empty", "cần nội dung")
    return text.strip() if required else text


def _list(value: object, field: str, limit: int, shape: str, vi: str) -> list[Any]:
    if not isinstance(value, list) or not value:
        raise AnnotationInvalid(field, f"expected a non-empty list of {shape}", vi)
    if len(value) > limit:
        raise AnnotationInvalid(field, f"more than {limit} {shape}", f"{vi} (tối đa {limit})")
    return value


def _ink(data: dict[str, Any]) -> dict[str, Any]:
    strokes = _list(data.get("strokes"), "strokes", MAX_STROKES, "strokes", "nét vẽ không hợp lệ")
    total = 0
    clean: list[list[list[float]]] = []
    for s, stroke in enumerate(strokes):
        field = f"stroke {s}"
        points = _list(stroke, field, MAX_POINTS, "[x, y] points", "nét vẽ không hợp lệ")
        total += len(points)
        if total > MAX_POINTS:
            vi = f"nét vẽ quá dài (tối đa {MAX_POINTS} điểm)"
            raise AnnotationInvalid("strokes", f"more than {MAX_POINTS} points", vi)
        line = []
        for i, point in enumerate(points):
            if not isinstance(point, list | tuple) or len(point) != 2:
                raise AnnotationInvalid(f"{field} point {i}", "expected [x, y]", "điểm vẽ phải có dạng [x, y]")
            line.append([_coordinate(point[0], f"{field} point {i} x"), _coordinate(point[1], f"{field} point {i} y")])
        clean.append(line)
    width = _ranged(data.get("width", DEFAULT_INK_WIDTH), "width", MIN_WIDTH, MAX_WIDTH, "độ dày nét không hợp lệ")
    opacity = _ranged(data.get("opacity", 1.0), "opacity", MIN_OPACITY, 1.0, "độ trong suốt không hợp lệ")
    return {"strokes": clean, "width": width, "opacity": opacity}


def _highlight(data: dict[str, Any]) -> dict[str, Any]:
    rects = _list(data.get("rects"), "rects", MAX_RECTS, "[x0, y0, x1, y1] rects", "vùng tô sáng không hợp lệ")
    clean = []
    for i, rect in enumerate(rects):
        field = f"rect {i}"
        if not isinstance(rect, list | tuple) or len(rect) != 4:
            raise AnnotationInvalid(field, "expected [x0, y0, x1, y1]", "vùng tô sáng không hợp lệ")
        x0, y0, x1, y1 = (_coordinate(v, f"{field}[{n}]") for n, v in enumerate(rect))
        if not (x0 < x1 and y0 < y1):
            raise AnnotationInvalid(field, "has no area (x0 < x1 and y0 < y1)", "vùng tô sáng không hợp lệ")
        clean.append([x0, y0, x1, y1])
    return {"rects": clean, "text": _text(data.get("text", ""), "text", required=False)}


def _note(data: dict[str, Any]) -> dict[str, Any]:
    text = _text(data.get("text"), "text", required=True)
    return {"text": text, "x": _coordinate(data.get("x"), "x"), "y": _coordinate(data.get("y"), "y")}


def normalise(kind: str, data: dict[str, Any]) -> dict[str, Any]:
    """A clean copy of an annotation's data (defaults filled, coordinates clamped and rounded, text NFC), or
    AnnotationInvalid naming the field. Keys other than the kind's own are dropped."""
    if kind not in KINDS:
        raise AnnotationInvalid("kind", f"unknown annotation kind {kind!r}", f"loại chú thích không hợp lệ: {kind}")
    color = data.get("color", DEFAULT_COLORS[kind])
    if not isinstance(color, str) or not _COLOR.fullmatch(color):
        raise AnnotationInvalid("color", f"expected a colour like '#d32f2f', got {color!r}", "màu phải có dạng #rrggbb")
    shape = {"ink": _ink, "highlight": _highlight, "note": _note}[kind](data)
    return {"color": color.lower(), **shape}
