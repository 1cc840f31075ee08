"""The one vocabulary: roles, statuses, permissions and error codes, each written here and nowhere else.

A leaf on purpose (standard library only), so `protocol` and through it `room_client` can use it without pulling in
the server. Every other module imports these names; `tests/test_vocabulary.py` fails when one of these strings is
written out anywhere else in `meeting_server/`, except where mypy checks it against a Literal below (the code
given to `AppError`, a key of the error catalogue).

The values are plain strings (they travel as JSON and sit in the database); the `Final` names below have the
Literal types of their values, so `return CHAIR` type-checks as a `MeetingRole` and as a `GlobalRole` alike.
"""

from __future__ import annotations

from typing import Final, Literal, get_args

# ---- who is acting ----------------------------------------------------------------------------------------------

ActorKind = Literal["user", "site"]
USER: Final = "user"
SITE: Final = "site"  # a hall's room PC holding a device token; also its part in a meeting
ACTOR_KINDS: Final[tuple[ActorKind, ...]] = get_args(ActorKind)

# ---- roles ------------------------------------------------------------------------------------------------------

ADMIN: Final = "admin"
CHAIR: Final = "chair"
SECRETARY: Final = "secretary"
DELEGATE: Final = "delegate"
SITE_OPERATOR: Final = "site_operator"
OBSERVER: Final = "observer"
ORGANIZER: Final = "organizer"

# Held by a user account, whatever meeting (the administration page sets them).
GlobalRole = Literal["admin", "chair", "secretary", "delegate", "site_operator", "observer"]
GLOBAL_ROLES: Final[tuple[GlobalRole, ...]] = get_args(GlobalRole)

# The part someone holds in one meeting; also the audience vocabulary of the event log.
MeetingRole = Literal["organizer", "chair", "secretary", "delegate", "observer", "site_operator", "site", "admin"]
MEETING_ROLES: Final[tuple[MeetingRole, ...]] = get_args(MeetingRole)

# ---- statuses ---------------------------------------------------------------------------------------------------

DRAFT: Final = "draft"
SCHEDULED: Final = "scheduled"
IN_PROGRESS: Final = "in_progress"
ENDED: Final = "ended"
ARCHIVED: Final = "archived"
CANCELLED: Final = "cancelled"
MeetingStatus = Literal["draft", "scheduled", "in_progress", "ended", "archived", "cancelled"]
MEETING_STATUSES: Final[tuple[MeetingStatus, ...]] = get_args(MeetingStatus)
CLOSED_STATUSES: Final[frozenset[MeetingStatus]] = frozenset({ENDED, ARCHIVED, CANCELLED})  # nothing changes now
OPEN_STATUSES: Final[tuple[MeetingStatus, ...]] = tuple(s for s in MEETING_STATUSES if s not in CLOSED_STATUSES)

PUBLISHED: Final = "published"
WITHDRAWN: Final = "withdrawn"
PaperStatus = Literal["draft", "published", "withdrawn"]
PAPER_STATUSES: Final[tuple[PaperStatus, ...]] = get_args(PaperStatus)

# How each status is named in messages: (Vietnamese, English as it reads after "the meeting is").
STATUS_WORDS: Final[dict[str, tuple[str, str]]] = {
    DRAFT: ("Dự thảo", "a draft"),
    SCHEDULED: ("Đã lên lịch", "scheduled"),
    IN_PROGRESS: ("Đang họp", "in progress"),
    ENDED: ("Đã kết thúc", "ended"),
    ARCHIVED: ("Đã lưu trữ", "archived"),
    CANCELLED: ("Đã hủy", "cancelled"),
    "closed": ("Đã đóng", "closed"),
    WITHDRAWN: ("Đã rút", "withdrawn"),
}

# ---- media views and why a slot shows someone -------------------------------------------------------------------

CONSOLE: Final = "console"
DISPLAY: Final = "display"
View = Literal["site", "console", "display", "delegate"]  # what a media connection receives, not what it may do
VIEWS: Final[tuple[View, ...]] = get_args(View)

# ---- votes (biểu quyết) and proxies (ủy quyền): domain/votes.py ------------------------------------------------

VOTE_OPEN: Final = "open"
VOTE_CLOSED: Final = "closed"
VoteStatus = Literal["draft", "open", "closed", "cancelled"]  # draft and cancelled: the DRAFT and CANCELLED above
VOTE_STATUSES: Final[tuple[VoteStatus, ...]] = get_args(VoteStatus)
VOTE_STATUS_WORDS: Final[dict[VoteStatus, tuple[str, str]]] = {
    DRAFT: ("Chưa mở", "not open yet"),
    VOTE_OPEN: ("Đang biểu quyết", "open"),
    VOTE_CLOSED: ("Đã kết thúc", "closed"),
    CANCELLED: ("Đã hủy", "cancelled"),
}

YES_NO_ABSTAIN: Final = "yes_no_abstain"  # Đồng ý / Không đồng ý / Không biểu quyết
OPTIONS: Final = "options"  # a list of options or candidates, choose up to N
ChoiceKind = Literal["yes_no_abstain", "options"]
CHOICE_KINDS: Final[tuple[ChoiceKind, ...]] = get_args(ChoiceKind)
YES: Final = "yes"
NO: Final = "no"
ABSTAIN: Final = "abstain"
YesNoChoice = Literal["yes", "no", "abstain"]
YES_NO_CHOICES: Final[tuple[YesNoChoice, ...]] = get_args(YesNoChoice)
CHOICE_WORDS: Final[dict[YesNoChoice, tuple[str, str]]] = {
    YES: ("Đồng ý", "For"),
    NO: ("Không đồng ý", "Against"),
    ABSTAIN: ("Không biểu quyết", "Abstain"),
}

# The base percentages and the rule are counted against.
BASE_MEMBERS: Final = "all_members"  # every member with voting rights
BASE_PRESENT: Final = "members_present"  # members present (or represented by a present proxy) at the close
VoteBase = Literal["all_members", "members_present"]
VOTE_BASES: Final[tuple[VoteBase, ...]] = get_args(VoteBase)
MORE_THAN_HALF: Final = "more_than_half"
TWO_THIRDS: Final = "at_least_two_thirds"
PassRule = Literal["more_than_half", "at_least_two_thirds"]
PASS_RULES: Final[tuple[PassRule, ...]] = get_args(PassRule)

VOTE_MANAGE: Final = "vote.manage"  # prepare, open, close, cancel a vote; record a proxy
VOTE_CAST: Final = "vote.cast"  # cast a ballot (eligibility is domain/votes.py's: a present member)
VOTE_HALL_TALLY: Final = "vote.hall_tally"  # enter a commune hall's show of hands

# ---- permissions ------------------------------------------------------------------------------------------------

DIRECTORY_MANAGE: Final = "directory.manage"
MEETING_CREATE: Final = "meeting.create"
ACCOUNT_EDIT: Final = "account.edit"
GlobalPermission = Literal["directory.manage", "meeting.create", "account.edit"]

MEETING_VIEW: Final = "meeting.view"
MEETING_ORGANIZE: Final = "meeting.organize"
PAPER_MANAGE: Final = "paper.manage"
PAPER_READ_RESTRICTED: Final = "paper.read_restricted"
CONFERENCE_PUBLISH: Final = "conference.publish"
CONFERENCE_CONSOLE: Final = "conference.console"
MeetingPermission = Literal[
    "meeting.view",
    "meeting.organize",
    "paper.manage",
    "paper.read_restricted",
    "conference.publish",
    "conference.console",
    "vote.manage",
    "vote.cast",
    "vote.hall_tally",
]
Permission = GlobalPermission | MeetingPermission

_ORGANIZING: Final[frozenset[MeetingRole]] = frozenset({ORGANIZER, CHAIR, SECRETARY, ADMIN})

# Global permission -> the global roles that grant it (a user account; room PCs hold none).
GLOBAL_PERMISSIONS: Final[dict[GlobalPermission, frozenset[GlobalRole]]] = {
    DIRECTORY_MANAGE: frozenset({ADMIN}),  # units, sites and their tokens, users
    MEETING_CREATE: frozenset({ADMIN, CHAIR, SECRETARY}),
    ACCOUNT_EDIT: frozenset(GLOBAL_ROLES),  # one's own language and profile: every signed-in person
}

# Meeting permission -> the meeting roles that grant it.
MEETING_PERMISSIONS: Final[dict[MeetingPermission, frozenset[MeetingRole]]] = {
    MEETING_VIEW: frozenset(MEETING_ROLES),
    MEETING_ORGANIZE: _ORGANIZING,  # and the person may create meetings at all (MEETING_ORGANIZE_NEEDS)
    PAPER_MANAGE: _ORGANIZING,  # upload, publish, read every paper but restricted ones, see every comment
    PAPER_READ_RESTRICTED: frozenset({ORGANIZER, CHAIR, SECRETARY}),  # and the people a restricted paper names
    CONFERENCE_PUBLISH: frozenset({SITE, CHAIR, SECRETARY, ORGANIZER, ADMIN, DELEGATE}),  # send sound and pictures
    CONFERENCE_CONSOLE: _ORGANIZING,  # open the chair's console; join a locked meeting
    VOTE_MANAGE: frozenset({ORGANIZER, CHAIR, SECRETARY}),  # votes
    VOTE_CAST: frozenset({CHAIR, SECRETARY, DELEGATE}),
    VOTE_HALL_TALLY: frozenset({SITE_OPERATOR, SECRETARY}),
}
# A meeting permission that also needs a global one: a chair whose chair role was taken away runs no meeting.
MEETING_ORGANIZE_NEEDS: Final[GlobalPermission] = MEETING_CREATE

GLOBAL_PERMISSION_NAMES: Final[tuple[GlobalPermission, ...]] = get_args(GlobalPermission)
MEETING_PERMISSION_NAMES: Final[tuple[MeetingPermission, ...]] = get_args(MeetingPermission)


def roles_with(permission: MeetingPermission) -> tuple[MeetingRole, ...]:
    """The meeting roles granting a permission, in the vocabulary's order (an event audience)."""
    return tuple(r for r in MEETING_ROLES if r in MEETING_PERMISSIONS[permission])


ORGANIZER_ROLES: Final[tuple[MeetingRole, ...]] = roles_with(MEETING_ORGANIZE)


def global_capabilities(kind: str, roles: frozenset[str]) -> frozenset[GlobalPermission]:
    """What a person (or a room PC: nothing) may do whatever the meeting."""
    if kind != USER:
        return frozenset()
    return frozenset(name for name, granted in GLOBAL_PERMISSIONS.items() if granted & roles)


def role_grants(role: str | None) -> frozenset[MeetingPermission]:
    """The meeting permissions a meeting role grants by itself (none when the meeting is not theirs)."""
    return frozenset(name for name, granted in MEETING_PERMISSIONS.items() if role in granted)


def meeting_capabilities(role: str | None, global_caps: frozenset[GlobalPermission]) -> frozenset[MeetingPermission]:
    """What a person holding `role` in a meeting, with these global permissions, may do there."""
    caps = role_grants(role)
    if MEETING_ORGANIZE_NEEDS not in global_caps:
        caps -= {MEETING_ORGANIZE}
    return caps


# ---- error codes ------------------------------------------------------------------------------------------------

# Stable API: clients switch on these. Their HTTP status and messages are in errors.CATALOGUE.
ErrorCode = Literal[
    "invalid_input",
    "malformed_json",
    "json_too_complex",
    "nul_character",
    "invalid_host",
    "malformed_upload",
    "request_timeout",
    "payload_too_large",
    "unauthenticated",
    "invalid_credentials",
    "rate_limited",
    "login_busy",
    "unsupported_media_type",
    "csrf_failed",
    "forbidden",
    "origin_refused",
    "not_found",
    "conflict",
    "in_use",
    "invalid_transition",
    "meeting_closed",
    "vote_closed",
    "conference_not_live",
    "conference_locked",
    "participant_removed",
    "media_full",
    "invalid_sdp",
    "paper_restricted",
    "unknown_event",
    "paper_empty",
    "paper_not_pdf",
    "paper_encrypted",
    "paper_corrupt",
    "paper_too_large",
    "paper_too_many_pages",
    "paper_page_too_large",
    "paper_too_complex",
    "method_not_allowed",
    "internal_error",
]
ERROR_CODES: Final[tuple[ErrorCode, ...]] = get_args(ErrorCode)

# ---- warning codes ----------------------------------------------------------------------------------------------

# A change that was saved but deserves the organiser's attention (in an action's answer under "warnings").
WarningCode = Literal["site_booked"]
SITE_BOOKED: Final[WarningCode] = "site_booked"  # a site is booked into another meeting at an overlapping time
WARNING_CODES: Final[tuple[WarningCode, ...]] = get_args(WarningCode)

# Refusals that are security events: written to the audit log (coalesced, api/refusals.py).
AUDITED_REFUSALS: Final[frozenset[ErrorCode]] = frozenset(
    {"forbidden", "csrf_failed", "origin_refused", "rate_limited", "login_busy"}
)
