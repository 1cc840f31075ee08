"""iCalendar (RFC 5545) export of a meeting: one VEVENT with a 30-minute display alarm.

Pure function, no I/O. Lines end in CRLF and are folded at 75 octets without splitting UTF-8 sequences;
TEXT values are escaped; all times are written in UTC.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

PRODID = "-//meeting-server//VI"
DEFAULT_DURATION = timedelta(hours=2)
STATUSES = frozenset({"CONFIRMED", "TENTATIVE", "CANCELLED"})
METHODS = frozenset({"PUBLISH", "CANCEL"})
_MAX_OCTETS = 75


def escape_text(value: str) -> str:
    """Escape a TEXT value (RFC 5545 §3.3.11): backslash, semicolon, comma and newlines."""
    value = value.replace("\\", "\\\\").replace(";", "\\;").replace(",", "\\,")
    value = value.replace("\r\n", "\n").replace("\r", "\n").replace("\n", "\\n")
    # Other control characters are not allowed in TEXT; drop them.
    return "".join(ch for ch in value if ch == "\t" or ord(ch) >= 0x20 and ch != "\x7f")


def fold_line(line: str) -> str:
    """Fold a content line into CRLF-joined chunks of at most 75 octets; continuations start with a space."""
    chunks: list[str] = []
    current: list[str] = []
    size, limit = 0, _MAX_OCTETS
    for ch in line:
        n = len(ch.encode("utf-8"))
        if size + n > limit:
            chunks.append("".join(current))
            current, size, limit = [], 0, _MAX_OCTETS - 1  # the leading space counts towards 75
        current.append(ch)
        size += n
    chunks.append("".join(current))
    return "\r\n ".join(chunks)


def format_utc(dt: datetime) -> str:
    """Aware datetime as an RFC 5545 UTC DATE-TIME, e.g. 20261124T010000Z."""
    if dt.utcoffset() is None:
        raise ValueError("datetimes must be timezone-aware")
    return dt.astimezone(UTC).strftime("%Y%m%dT%H%M%SZ")


def _uri(value: str, what: str) -> str:
    value = value.strip()
    if not value or any(ord(ch) <= 0x20 or ch in '"<>\\^`{|}\x7f' for ch in value):
        raise ValueError(f"invalid {what}: {value!r}")
    return value


def _param(value: str) -> str:
    """A quoted parameter value: DQUOTE and control characters are not representable, so drop them."""
    return '"' + "".join(ch for ch in value if ch != '"' and (ord(ch) >= 0x20 and ch != "\x7f")) + '"'


def render_ics(
    *,
    uid: str,
    title: str,
    starts_at: datetime,
    ends_at: datetime | None,
    location: str,
    description: str,
    organizer_name: str,
    organizer_email: str | None,
    status: str,
    sequence: int,
    url: str | None,
    dtstamp: datetime,
    method: str = "PUBLISH",
) -> str:
    """Render a VCALENDAR (METHOD:PUBLISH, or CANCEL for a cancellation sent by mail) holding one VEVENT;
    returns the text with CRLF line endings.

    ``ends_at`` defaults to ``starts_at`` + 2 hours. Without an e-mail address the organizer is given as
    CONTACT (ORGANIZER needs a cal-address). Cancelled events carry no alarm.
    """
    if status not in STATUSES:
        raise ValueError(f"status must be one of {sorted(STATUSES)}, not {status!r}")
    if method not in METHODS:
        raise ValueError(f"method must be one of {sorted(METHODS)}, not {method!r}")
    if sequence < 0:
        raise ValueError("sequence must be >= 0")
    for dt in (starts_at, ends_at, dtstamp):
        if dt is not None and dt.utcoffset() is None:
            raise ValueError("datetimes must be timezone-aware")
    end = ends_at if ends_at is not None else starts_at + DEFAULT_DURATION
    if end <= starts_at:
        raise ValueError("ends_at must be after starts_at")
    lines = [
        "BEGIN:VCALENDAR",
        "VERSION:2.0",
        f"PRODID:{PRODID}",
        "CALSCALE:GREGORIAN",
        f"METHOD:{method}",
        "BEGIN:VEVENT",
        f"UID:{escape_text(uid)}",
        f"DTSTAMP:{format_utc(dtstamp)}",
        f"DTSTART:{format_utc(starts_at)}",
        f"DTEND:{format_utc(end)}",
        f"SUMMARY:{escape_text(title)}",
    ]
    if location.strip():
        lines.append(f"LOCATION:{escape_text(location)}")
    if description.strip():
        lines.append(f"DESCRIPTION:{escape_text(description)}")
    if organizer_email:
        email = _uri(organizer_email, "organizer e-mail")
        cn = f";CN={_param(organizer_name)}" if organizer_name.strip() else ""
        lines.append(f"ORGANIZER{cn}:mailto:{email}")
    elif organizer_name.strip():
        lines.append(f"CONTACT:{escape_text(organizer_name)}")
    lines += [f"STATUS:{status}", f"SEQUENCE:{int(sequence)}"]
    if url:
        lines.append(f"URL:{_uri(url, 'url')}")
    if status != "CANCELLED":
        lines += [
            "BEGIN:VALARM",
            "ACTION:DISPLAY",
            f"DESCRIPTION:{escape_text(title)}",
            "TRIGGER:-PT30M",
            "END:VALARM",
        ]
    lines += ["END:VEVENT", "END:VCALENDAR"]
    return "".join(fold_line(line) + "\r\n" for line in lines)
