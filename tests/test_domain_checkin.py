"""The check-in code: it reads back to its hall, and every forgery, another meeting's code and another key's are
refused with the same clear sentence."""

from __future__ import annotations

import pytest

from meeting_server.domain.checkin import CheckinPlace, checkin_code, new_checkin_key, read_checkin_code
from meeting_server.errors import AppError

KEY = new_checkin_key()
MAIN = CheckinPlace("m_meeting1")
SITE = CheckinPlace("m_meeting1", "s_xa1")


@pytest.mark.parametrize("place", [MAIN, SITE])
def test_a_code_reads_back_to_its_hall(place: CheckinPlace) -> None:
    assert read_checkin_code(KEY, checkin_code(KEY, place), place.meeting_id) == place


def test_halls_and_meetings_have_different_codes() -> None:
    codes = {checkin_code(KEY, p) for p in (MAIN, SITE, CheckinPlace("m_meeting2"), CheckinPlace("m_meeting1", "s2"))}
    assert len(codes) == 4
    assert checkin_code(KEY, MAIN) != checkin_code(new_checkin_key(), MAIN)


def _flip(code: str, index: int) -> str:
    char = code[index]
    return code[:index] + ("A" if char != "A" else "B") + code[index + 1 :]


GOOD = checkin_code(KEY, SITE)
FORGED = [
    "",
    "garbage",
    GOOD + ".x",
    GOOD.replace("s_xa1", "s_xa2"),  # same MAC, another hall
    GOOD.rsplit(".", 1)[0] + ".",  # no MAC
    _flip(GOOD, len(GOOD) - 1),  # one letter of the MAC
    _flip(GOOD, 3),  # one letter of the meeting
    checkin_code(new_checkin_key(), SITE),  # another key
    GOOD + "\n" + GOOD,
]


@pytest.mark.parametrize("code", FORGED)
def test_forged_codes_are_refused(code: str) -> None:
    with pytest.raises(AppError) as refused:
        read_checkin_code(KEY, code, "m_meeting1")
    assert refused.value.code == "invalid_input"
    assert "Mã điểm danh không hợp lệ" in refused.value.message("vi")
    assert "not valid" in refused.value.message("en")


def test_another_meetings_genuine_code_is_refused() -> None:
    other = checkin_code(KEY, CheckinPlace("m_meeting2"))
    assert read_checkin_code(KEY, other, "m_meeting2") == CheckinPlace("m_meeting2")
    with pytest.raises(AppError):
        read_checkin_code(KEY, other, "m_meeting1")


def test_no_key_makes_no_code_and_reads_none() -> None:
    with pytest.raises(AppError):
        checkin_code("", MAIN)
    with pytest.raises(AppError):
        read_checkin_code("", checkin_code(KEY, MAIN), "m_meeting1")
