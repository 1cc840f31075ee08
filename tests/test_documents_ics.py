"""iCalendar export: RFC 5545 line folding, escaping, UTC times, CRLF."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest

from meeting_server.documents.ics import escape_text, fold_line, render_ics

VN = timezone(timedelta(hours=7))
LONG_VI = (
    "Giao ban trực tuyến giữa Ủy ban nhân dân tỉnh Tuyên Quang và 14 điểm cầu xã, thị trấn: "
    "đánh giá tình hình kinh tế - xã hội, chuyển đổi số, phòng chống thiên tai; ý kiến của các đại biểu. "
) * 3


def ics(**changes: Any) -> str:
    kwargs: dict[str, Any] = {
        "uid": "meeting-42@meeting-server",
        "title": "Giao ban trực tuyến tháng 11",
        "starts_at": datetime(2026, 11, 24, 8, 0, tzinfo=VN),
        "ends_at": datetime(2026, 11, 24, 11, 30, tzinfo=VN),
        "location": "Hội trường UBND tỉnh Tuyên Quang",
        "description": LONG_VI,
        "organizer_name": "Văn phòng HĐND và UBND huyện",
        "organizer_email": "vanphong@sonduong.example.vn",
        "status": "CONFIRMED",
        "sequence": 3,
        "url": "https://hop.sonduong.example.vn/meetings/42",
        "dtstamp": datetime(2026, 11, 22, 9, 15, 30, tzinfo=UTC),
    }
    kwargs.update(changes)
    return render_ics(**kwargs)


def physical_lines(text: str) -> list[bytes]:
    assert text.endswith("\r\n")
    return text.encode("utf-8").split(b"\r\n")[:-1]


def unfold(text: str) -> list[str]:
    return text.replace("\r\n ", "").split("\r\n")[:-1]


def props(text: str) -> dict[str, str]:
    """name (with parameters) -> value, for the VEVENT's properties (the alarm's DESCRIPTION is skipped)."""
    out: dict[str, str] = {}
    for line in unfold(text):
        name, _, value = line.partition(":")
        out.setdefault(name, value)
    return out


def unescape(value: str) -> str:
    return re.sub(r"\\([\\;,nN])", lambda m: "\n" if m.group(1) in "nN" else m.group(1), value)


def test_only_crlf_line_endings() -> None:
    text = ics(description="dòng 1\ndòng 2\r\ndòng 3\rdòng 4")
    assert "\n" not in text.replace("\r\n", "")
    assert "\r" not in text.replace("\r\n", "")


def test_lines_are_folded_at_75_octets_without_splitting_utf8() -> None:
    text = ics(title=LONG_VI, location="Ấp Ước " * 40)
    lines = physical_lines(text)
    assert max(len(line) for line in lines) <= 75
    assert any(len(line) > 70 for line in lines)  # folding actually happened near the limit
    for line in lines:
        line.decode("utf-8")  # each physical line is valid UTF-8 on its own: no split sequences


@pytest.mark.parametrize("width", range(0, 8))
def test_folding_at_every_offset_keeps_multibyte_characters_whole(width: int) -> None:
    # Shift a run of 3- and 2-byte characters across the fold boundary.
    line = "DESCRIPTION:" + "x" * width + "ửữựẫẩậđơ" * 30
    folded = fold_line(line)
    physical = folded.encode("utf-8").split(b"\r\n")
    assert all(len(p) <= 75 for p in physical)
    assert all(p.startswith(b" ") for p in physical[1:])
    for p in physical:
        p.decode("utf-8")
    assert folded.replace("\r\n ", "") == line


def test_short_lines_are_not_folded() -> None:
    assert fold_line("SUMMARY:Họp") == "SUMMARY:Họp"
    exactly = "X" * 75
    assert fold_line(exactly) == exactly
    assert fold_line(exactly + "Y") == exactly + "\r\n Y"


def test_unfolding_restores_the_text() -> None:
    description = LONG_VI + "\nKết thúc; hẹn gặp lại, cảm ơn\\ các đồng chí."
    text = ics(description=description, title=LONG_VI)
    p = props(text)
    assert unescape(p["DESCRIPTION"]) == description
    assert unescape(p["SUMMARY"]) == LONG_VI


def test_text_escaping() -> None:
    assert escape_text("a\\b;c,d\ne") == "a\\\\b\\;c\\,d\\ne"
    assert escape_text("x\r\ny\rz") == "x\\ny\\nz"
    assert escape_text("bell\x07tab\t") == "belltab\t"
    p = props(ics(title="Họp; bàn, chốt\\ kế hoạch", location="Phòng 2, tầng 3; nhà A"))
    assert p["SUMMARY"] == "Họp\\; bàn\\, chốt\\\\ kế hoạch"
    assert p["LOCATION"] == "Phòng 2\\, tầng 3\\; nhà A"


def test_times_are_converted_to_utc() -> None:
    p = props(ics())
    assert p["DTSTART"] == "20261124T010000Z"  # 08:00 +07:00
    assert p["DTEND"] == "20261124T043000Z"
    assert p["DTSTAMP"] == "20261122T091530Z"
    crossing = props(ics(starts_at=datetime(2026, 1, 1, 5, 0, tzinfo=VN), ends_at=None))
    assert crossing["DTSTART"] == "20251231T220000Z"
    assert crossing["DTEND"] == "20260101T000000Z"  # default duration: 2 hours


def test_calendar_structure() -> None:
    text = ics()
    lines = unfold(text)
    head = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        "PRODID:-//meeting-server//VI",
        "CALSCALE:GREGORIAN",
        "METHOD:PUBLISH",
    ]
    assert lines[:5] == head
    assert lines[-2:] == ["END:VEVENT", "END:VCALENDAR"]
    p = props(text)
    assert p["UID"] == "meeting-42@meeting-server"
    assert p["STATUS"] == "CONFIRMED"
    assert p["SEQUENCE"] == "3"
    assert p["URL"] == "https://hop.sonduong.example.vn/meetings/42"
    assert p['ORGANIZER;CN="Văn phòng HĐND và UBND huyện"'] == "mailto:vanphong@sonduong.example.vn"
    alarm = lines[lines.index("BEGIN:VALARM") : lines.index("END:VALARM") + 1]
    assert "TRIGGER:-PT30M" in alarm and "ACTION:DISPLAY" in alarm
    assert "DESCRIPTION:Giao ban trực tuyến tháng 11" in alarm


def test_optional_fields() -> None:
    text = ics(organizer_email=None, url=None, location="", description="", status="CANCELLED", sequence=4)
    p = props(text)
    assert p["CONTACT"] == "Văn phòng HĐND và UBND huyện"
    assert not any(k.startswith(("ORGANIZER", "URL", "LOCATION", "DESCRIPTION")) for k in p)
    assert p["STATUS"] == "CANCELLED" and p["SEQUENCE"] == "4"
    assert "BEGIN:VALARM" not in text  # no reminder for a cancelled meeting
    assert props(ics(status="TENTATIVE"))["STATUS"] == "TENTATIVE"


def test_organizer_name_cannot_break_the_parameter() -> None:
    p = props(ics(organizer_name='Văn phòng "UBND"\nhuyện'))
    assert p['ORGANIZER;CN="Văn phòng UBNDhuyện"'] == "mailto:vanphong@sonduong.example.vn"


@pytest.mark.parametrize(
    "changes",
    [
        {"status": "DONE"},
        {"sequence": -1},
        {"starts_at": datetime(2026, 11, 24, 8, 0)},
        {"dtstamp": datetime(2026, 11, 24, 8, 0)},
        {"ends_at": datetime(2026, 11, 24, 7, 0, tzinfo=VN)},
        {"url": "https://x.example/a b"},
        {"url": "https://x.example/\r\nX-INJECTED:1"},
        {"organizer_email": "a@b.example\r\nATTENDEE:mailto:evil@example.com"},
    ],
)
def test_invalid_input_is_rejected(changes: dict[str, Any]) -> None:
    with pytest.raises(ValueError):
        ics(**changes)


def test_pure_and_deterministic() -> None:
    assert ics() == ics()
