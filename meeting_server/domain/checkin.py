"""The check-in code (mã điểm danh): what the QR on a hall's TV, wall display or door sheet says.

A code names one meeting and one hall (the main hall, or a commune's site) and carries a MAC made with the meeting's
check-in key, a secret the server keeps and never sends. Scanning the code on a signed-in tablet opens the check-in
page, which reads the code back here: a code altered in any letter, made for another meeting or made with another key
is refused. The code only says *where*; *who* is whoever is signed in, and recording them is the attendance action's,
so a code is useless to someone who is not in the meeting.

Pure: the key is given by the caller.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import re
import secrets
from dataclasses import dataclass

from .. import protocol as p
from ..errors import AppError
from ..vocabulary import (
    AT_SITE,
    ATTENDANCE_CHECK_IN_OTHERS,
    ATTENDANCE_CHECK_IN_SITE,
    IN_HALL,
    ORGANIZER_ROLES,
    SITE,
    SITE_OPERATOR,
    AttendancePlace,
    MeetingPermission,
)
from .meetings import Audience, Event

MAIN_HALL = "main"  # the code's word for the main hall (a site id is never this: ids are uuids)
_MAC_BYTES = 12  # 96 bits: no guessing, and the QR stays small
_PART = re.compile(r"^[A-Za-z0-9_-]{1,64}$")


@dataclass(frozen=True)
class CheckinPlace:
    """Where a code checks people in: `site_id` None is the main hall."""

    meeting_id: str
    site_id: str | None = None

    @property
    def place(self) -> AttendancePlace:
        """Where a person checked in with this code is recorded: tại hội trường, or tại điểm cầu (its site)."""
        return IN_HALL if self.site_id is None else AT_SITE


CHECKIN_PATH = "/checkin"  # the page a scanned code opens: CHECKIN_PATH?code=<code>


def checkin_url(origin: str, code: str) -> str:
    """The address the QR code carries: the check-in page of this server with the code."""
    return f"{origin.rstrip('/')}{CHECKIN_PATH}?code={code}"


def may_show_code(
    permissions: frozenset[MeetingPermission],
    role: str | None,
    actor_id: str,
    operated_sites: frozenset[str],
    site_id: str | None,
) -> bool:
    """Who may be shown a hall's code (its QR, its door sheet): the desk (who checks anyone in) every hall's; a
    hall's own room PC and its operator that hall's only. Delegates never: a code seen far from its hall would let
    one check in there from anywhere."""
    if ATTENDANCE_CHECK_IN_OTHERS in permissions:
        return True
    if site_id is None:
        return False
    if role == SITE:
        return actor_id == site_id
    return ATTENDANCE_CHECK_IN_SITE in permissions and site_id in operated_sites


def new_checkin_key() -> str:
    """A fresh check-in key for a meeting (replacing it voids every code printed before)."""
    return secrets.token_urlsafe(32)


def _mac(key: str, meeting_id: str, hall: str) -> str:
    digest = hmac.new(key.encode(), f"checkin|{meeting_id}|{hall}".encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(digest[:_MAC_BYTES]).decode().rstrip("=")


def checkin_code(key: str, place: CheckinPlace) -> str:
    """The code for this meeting and hall: "<meeting id>.<site id or main>.<mac>"."""
    hall = place.site_id or MAIN_HALL
    if not key or not _PART.match(place.meeting_id) or not _PART.match(hall):
        raise AppError.invalid("Không tạo được mã điểm danh.", "Cannot make the check-in code.")
    return f"{place.meeting_id}.{hall}.{_mac(key, place.meeting_id, hall)}"


def refused() -> AppError:
    """The one refusal for a code that is not good here (one sentence for every reason, so a forger learns
    nothing)."""
    return AppError.invalid(
        "Mã điểm danh không hợp lệ hoặc không thuộc cuộc họp này. Hãy quét lại mã QR đang chiếu tại hội trường.",
        "The check-in code is not valid or not this meeting's. Scan the QR code shown in the hall again.",
    )


def code_meeting(code: str) -> str | None:
    """The meeting a code names (unchecked: `read_checkin_code` checks it with that meeting's key)."""
    parts = code.strip().split(".") if isinstance(code, str) else []
    return parts[0] if len(parts) == 3 and _PART.match(parts[0]) else None


def read_checkin_code(key: str, code: str, meeting_id: str) -> CheckinPlace:
    """The place a code names, if it is this meeting's and made with this key; refused otherwise (one message for
    every reason, so a forger learns nothing)."""
    parts = code.strip().split(".") if isinstance(code, str) else []
    if len(parts) != 3 or not all(_PART.match(part) for part in parts) or not key:
        raise refused()
    code_meeting, hall, mac = parts
    if not hmac.compare_digest(mac, _mac(key, code_meeting, hall)) or code_meeting != meeting_id:
        raise refused()
    return CheckinPlace(meeting_id, None if hall == MAIN_HALL else hall)


def key_renewed(at: str) -> list[Event]:
    """The event saying the organiser replaced the meeting's check-in key (never the key): the screens showing a
    QR code fetch the new one; every code printed before no longer checks anyone in."""
    audience = Audience(kind="roles", roles=(*ORGANIZER_ROLES, SITE, SITE_OPERATOR))
    return [Event(p.ATTENDANCE_CHECKIN_KEY_RENEWED, {"renewed_at": at}, audience)]
