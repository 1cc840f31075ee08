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

# ---- attendance ------------------------------------------------------------------------------------------------
# Điểm danh: what a person's attendance of a meeting is, where they are, and who may record it (domain/attendance.py).

CHECKED_IN: Final = "checked_in"  # có mặt
LATE: Final = "late"  # đến muộn: present, and came after the start
LEFT_EARLY: Final = "left_early"  # về sớm: was present, left before the end
ABSENT_EXCUSED: Final = "absent_excused"  # vắng có lý do
ABSENT_UNEXCUSED: Final = "absent_unexcused"  # vắng không lý do
AttendanceStatus = Literal["checked_in", "late", "left_early", "absent_excused", "absent_unexcused"]
ATTENDANCE_STATUSES: Final[tuple[AttendanceStatus, ...]] = get_args(AttendanceStatus)
PRESENT_STATUSES: Final[frozenset[AttendanceStatus]] = frozenset({CHECKED_IN, LATE})  # counted for the quorum
# What one records for oneself, and a site's operator for the people in their hall: arriving or leaving.
ArrivalStatus = Literal["checked_in", "late", "left_early"]

IN_HALL: Final = "in_hall"  # tại hội trường
AT_SITE: Final = "at_site"  # tại điểm cầu (a site id goes with it)
REMOTE: Final = "remote"  # trực tuyến
AttendancePlace = Literal["in_hall", "at_site", "remote"]
ATTENDANCE_PLACES: Final[tuple[AttendancePlace, ...]] = get_args(AttendancePlace)

# How each is written on a list: (Vietnamese, English).
ATTENDANCE_WORDS: Final[dict[str, tuple[str, str]]] = {
    CHECKED_IN: ("Có mặt", "Present"),
    LATE: ("Đến muộn", "Arrived late"),
    LEFT_EARLY: ("Về sớm", "Left early"),
    ABSENT_EXCUSED: ("Vắng có lý do", "Absent with a reason"),
    ABSENT_UNEXCUSED: ("Vắng không lý do", "Absent without a reason"),
    IN_HALL: ("tại hội trường", "in the main hall"),
    AT_SITE: ("tại điểm cầu", "at the site"),
    REMOTE: ("trực tuyến", "online"),
    # who recorded an entry (the RECORDED_AS values below), as the attendance list prints it
    "self": ("tự điểm danh", "checked in themselves"),
    "secretary_desk": ("thư ký ghi nhận", "recorded at the secretary's desk"),
    "site_desk": ("điểm cầu ghi nhận", "recorded at the site"),
}

# Who recorded an entry, as the list shows it.
BY_SELF: Final = "self"  # the person on their tablet
BY_SECRETARY: Final = "secretary_desk"  # the chair, secretary or organiser on anyone's behalf
BY_SITE_OPERATOR: Final = "site_desk"  # a site's operator, for the people in that hall
RecordedAs = Literal["self", "secretary_desk", "site_desk"]
RECORDED_AS: Final[tuple[RecordedAs, ...]] = get_args(RecordedAs)

# The quorum's base: all voting members, those of them not excused (vắng có lý do), or those present.
BASE_MEMBERS: Final = "members"
BASE_MEMBERS_NOT_EXCUSED: Final = "members_not_excused"
BASE_MEMBERS_PRESENT: Final = "members_present"
QuorumBase = Literal["members", "members_not_excused", "members_present"]
QUORUM_BASES: Final[tuple[QuorumBase, ...]] = get_args(QuorumBase)

ATTENDANCE_CHECK_IN_SELF: Final = "attendance.check_in_self"
ATTENDANCE_CHECK_IN_OTHERS: Final = "attendance.check_in_others"
ATTENDANCE_CHECK_IN_SITE: Final = "attendance.check_in_site"
AttendancePermission = Literal["attendance.check_in_self", "attendance.check_in_others", "attendance.check_in_site"]
# ---- the floor (đăng ký phát biểu, domain/floor.py) -------------------------------------------------------------

FloorKind = Literal["speech", "reply", "proposal"]
FLOOR_SPEECH: Final = "speech"  # phát biểu
FLOOR_REPLY: Final = "reply"  # tranh luận / trả lời: goes ahead of ordinary requests, in its own arrival order
FLOOR_PROPOSAL: Final = "proposal"  # kiến nghị
FLOOR_KINDS: Final[tuple[FloorKind, ...]] = get_args(FloorKind)
FLOOR_KIND_WORDS: Final[dict[str, tuple[str, str]]] = {
    FLOOR_SPEECH: ("Phát biểu", "Speech"),
    FLOOR_REPLY: ("Tranh luận, trả lời", "Debate or reply"),
    FLOOR_PROPOSAL: ("Kiến nghị", "Proposal"),
}

# A request to speak waits in its item's queue until the chair gives the floor or it is withdrawn.
FloorRequestState = Literal["waiting", "given", "withdrawn"]
FLOOR_WAITING: Final = "waiting"
FLOOR_GIVEN: Final = "given"
FLOOR_WITHDRAWN: Final = WITHDRAWN  # the same word as a withdrawn paper
FLOOR_REQUEST_STATES: Final[tuple[FloorRequestState, ...]] = get_args(FloorRequestState)

# Why a speech ended.
SpeechEnd = Literal["ended_by_chair", "time_up", "next_speaker", "meeting_ended"]
SPEECH_ENDED_BY_CHAIR: Final = "ended_by_chair"
SPEECH_TIME_UP: Final = "time_up"
SPEECH_NEXT_SPEAKER: Final = "next_speaker"  # the chair gave the floor to someone else while this one spoke
SPEECH_MEETING_ENDED: Final = "meeting_ended"  # the meeting ended while they spoke
SPEECH_ENDS: Final[tuple[SpeechEnd, ...]] = get_args(SpeechEnd)
SPEECH_END_WORDS: Final[dict[str, tuple[str, str]]] = {
    SPEECH_ENDED_BY_CHAIR: ("Chủ tọa kết thúc", "ended by the chair"),
    SPEECH_TIME_UP: ("Hết giờ", "time up"),
    SPEECH_NEXT_SPEAKER: ("Chuyển người phát biểu", "next speaker"),
    SPEECH_MEETING_ENDED: ("Kết thúc cuộc họp", "the meeting ended"),
}

FloorPermission = Literal["floor.request", "floor.request_site", "floor.manage"]
FLOOR_REQUEST: Final = "floor.request"  # ask to speak oneself (and withdraw it)
FLOOR_REQUEST_SITE: Final = "floor.request_site"  # ask for one's hall: its room PC, or its site operator
FLOOR_MANAGE: Final = "floor.manage"  # add anyone, withdraw any request, give the floor, extend, end
# who holds them: MEETING_PERMISSIONS below names these
FLOOR_REQUEST_ROLES: Final[frozenset[MeetingRole]] = frozenset({DELEGATE})
FLOOR_REQUEST_SITE_ROLES: Final[frozenset[MeetingRole]] = frozenset({SITE, SITE_OPERATOR})
FLOOR_MANAGE_ROLES: Final[frozenset[MeetingRole]] = frozenset({ORGANIZER, CHAIR, SECRETARY, ADMIN})  # the console's
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

# The base percentages and the rule are counted against: every member with voting rights (BASE_MEMBERS), or
# those present, or represented by a present proxy, at the close (BASE_MEMBERS_PRESENT); the quorum's words.
VoteBase = Literal["members", "members_present"]
VOTE_BASES: Final[tuple[VoteBase, ...]] = get_args(VoteBase)
MORE_THAN_HALF: Final = "more_than_half"
TWO_THIRDS: Final = "at_least_two_thirds"
PassRule = Literal["more_than_half", "at_least_two_thirds"]
PASS_RULES: Final[tuple[PassRule, ...]] = get_args(PassRule)

VOTE_MANAGE: Final = "vote.manage"  # prepare, open, close, cancel a vote; record a proxy
VOTE_CAST: Final = "vote.cast"  # cast a ballot (eligibility is domain/votes.py's: a present member)
VOTE_HALL_TALLY: Final = "vote.hall_tally"  # enter a commune hall's show of hands

VOTE_AUTHORISE_OWN: Final = "vote.authorise_own"  # a member authorises another present member, and withdraws it
# ---- answers to the invitation (trả lời giấy mời): domain/answers.py ------------------------------------------

ANSWER_ATTENDING: Final = "attending"  # tham dự: in the main hall, at a commune site, or online (ATTENDANCE_PLACES)
ANSWER_ABSENT: Final = "absent"  # vắng mặt, with a reason
ANSWER_STAND_IN: Final = "stand_in"  # cử người dự thay: a colleague of the same unit
AnswerKind = Literal["attending", "absent", "stand_in"]
ANSWER_KINDS: Final[tuple[AnswerKind, ...]] = get_args(AnswerKind)
ANSWER_WORDS: Final[dict[str, tuple[str, str]]] = {
    ANSWER_ATTENDING: ("Tham dự", "Attending"),
    ANSWER_ABSENT: ("Vắng mặt", "Absent"),
    ANSWER_STAND_IN: ("Cử người dự thay", "Sending a stand-in"),
    "none": ("Chưa trả lời", "No answer yet"),
}

INVITATION_ANSWER: Final = "invitation.answer"  # answer one's own invitation
INVITATION_ANSWER_FOR: Final = "invitation.answer_for"  # record an invitee's answer on their behalf
INVITATION_REMIND: Final = "invitation.remind"  # remind the invitees without an answer (or chosen ones)
INVITATION_ANSWERS: Final = "invitation.answers"  # read every invitee's answer
InvitationPermission = Literal["invitation.answer", "invitation.answer_for", "invitation.remind", "invitation.answers"]
# ---- mail and notices (actions/mail.py, mail/) ----------------------------------------------------------------

# What a mail (and the in-app notice beside it) is about.
MAIL_INVITATION: Final = "invitation"  # the meeting was published, or the person was added to a published one
MAIL_CHANGE: Final = "change"  # a published meeting's time, place or agenda changed
MAIL_CANCELLATION: Final = "cancellation"  # a published meeting was cancelled
MAIL_REMINDER: Final = "reminder"  # the organiser reminded those who have not answered
MailKind = Literal["invitation", "change", "cancellation", "reminder"]
MAIL_KINDS: Final[tuple[MailKind, ...]] = get_args(MailKind)
# Where one outbox row stands. A queued row waits for its next attempt time (or for an SMTP host to be set).
MAIL_QUEUED: Final = "queued"
MAIL_SENT: Final = "sent"
MAIL_FAILED: Final = "failed"  # refused for good (a 5xx reply) or out of attempts: last_error says why
MAIL_NO_ADDRESS: Final = "no_address"  # the person has no e-mail address: only the in-app notice reaches them
MailStatus = Literal["queued", "sent", "failed", "no_address"]
MAIL_STATUSES: Final[tuple[MailStatus, ...]] = get_args(MailStatus)
MAIL_WORDS: Final[dict[str, tuple[str, str]]] = {
    MAIL_INVITATION: ("Giấy mời họp", "Meeting invitation"),
    MAIL_CHANGE: ("Thay đổi cuộc họp", "Meeting changed"),
    MAIL_CANCELLATION: ("Hủy cuộc họp", "Meeting cancelled"),
    MAIL_REMINDER: ("Nhắc trả lời giấy mời", "Reminder to answer the invitation"),
    MAIL_QUEUED: ("Đang chờ gửi", "Waiting to be sent"),
    MAIL_SENT: ("Đã gửi", "Sent"),
    MAIL_FAILED: ("Gửi không được", "Failed"),
    MAIL_NO_ADDRESS: ("Không có địa chỉ thư", "No e-mail address"),
}
MAIL_RESEND: Final = "mail.resend"  # see the mail status of a meeting's invitees and send a failed mail again

# The record (issue 11): the documents the register numbers, and the signature fields a document has.
RECORD_MINUTES: Final = "bien_ban"  # biên bản cuộc họp (Nghị định 30, Mẫu 1.9)
RECORD_CONCLUSION: Final = "thong_bao"  # thông báo kết luận (Mẫu 1.4)
RECORD_INVITATION: Final = "giay_moi"  # giấy mời
RecordKind = Literal["bien_ban", "thong_bao", "giay_moi"]
RECORD_KINDS: Final[tuple[RecordKind, ...]] = get_args(RecordKind)
# A biên bản is signed by its secretary, then its chair; a thông báo by its signer, then sealed by the organisation.
SLOT_SECRETARY: Final = "secretary"
SLOT_CHAIR: Final = "chair"
SLOT_SIGNER: Final = "signer"
SLOT_SEAL: Final = "seal"
SignatureSlot = Literal["secretary", "chair", "signer", "seal"]
SIGNATURE_SLOTS: Final[tuple[SignatureSlot, ...]] = get_args(SignatureSlot)

# The record's documents (actions/record.py, domain/record.py): a draft the secretary writes, sent to the chair for
# review, approved (numbered in the register, its content frozen) and signed slot by slot until issued.
RECORD_IN_REVIEW: Final = "in_review"
RECORD_SIGNING: Final = "signing"
RECORD_ISSUED: Final = "issued"
RecordStatus = Literal["draft", "in_review", "signing", "issued"]  # draft: the DRAFT above
RECORD_STATUSES: Final[tuple[RecordStatus, ...]] = get_args(RecordStatus)
RECORD_STATUS_WORDS: Final[dict[RecordStatus, tuple[str, str]]] = {
    DRAFT: ("Dự thảo", "draft"),
    RECORD_IN_REVIEW: ("Chờ chủ tọa duyệt", "in review by the chair"),
    RECORD_SIGNING: ("Đang ký số", "being signed"),
    RECORD_ISSUED: ("Đã ban hành", "issued"),
}
# The secretary's texts: per agenda item (its id) and for the opening and closing parts, a diễn biến and a kết luận.
RECORD_PART_OPENING: Final = "opening"
RECORD_PART_CLOSING: Final = "closing"
RECORD_FIELD_DISCUSSION: Final = "discussion"  # diễn biến
RECORD_FIELD_CONCLUSION: Final = "conclusion"  # kết luận
RecordField = Literal["discussion", "conclusion"]
RECORD_FIELDS: Final[tuple[RecordField, ...]] = get_args(RecordField)
# The signature slots of each kind, in signing order, and the authority a thông báo's signer signs under.
RECORD_SLOTS: Final[dict[str, tuple[SignatureSlot, ...]]] = {
    RECORD_MINUTES: (SLOT_SECRETARY, SLOT_CHAIR),
    RECORD_CONCLUSION: (SLOT_SIGNER, SLOT_SEAL),
}
SIGNER_AUTHORITIES: Final[tuple[str, ...]] = ("", "TL. CHỦ TỊCH", "KT. CHỦ TỊCH", "TM. ỦY BAN NHÂN DÂN")
RECORD_WRITE: Final = "record.write"  # create a draft, write its texts, send it to the chair, comment
RECORD_REVIEW: Final = "record.review"  # the chair: edit and comment in review, return with a comment, approve
RECORD_READ: Final = "record.read"  # read the record's documents, texts, comments and PDFs
# signing (docs/signing.md): asking for one's own signature link is open to every person holding a part in the
# meeting (the domain then lets only the person of the waiting slot through: domain/signing.check_turn); the seal
# is the organisers'
RECORD_SIGN: Final = "record.sign"
RECORD_SEAL: Final = "record.seal"
DOSSIER_DOWNLOAD: Final = "dossier.download"  # an archived meeting's dossier (hồ sơ cuộc họp): its state and its zip
REGISTER_READ: Final = "register.read"  # list and export the register of one's unit (an administrator: every unit)
# signature and seal images (docs/signing.md "Images"): a person's own signature, a unit's seal (an administrator)
ImageKind = Literal["signature", "seal"]
IMAGE_SIGNATURE: Final = "signature"
IMAGE_SEAL: Final = "seal"

# ---- permissions ------------------------------------------------------------------------------------------------

DIRECTORY_MANAGE: Final = "directory.manage"
MEETING_CREATE: Final = "meeting.create"
ACCOUNT_EDIT: Final = "account.edit"
GlobalPermission = Literal["directory.manage", "meeting.create", "account.edit", "register.read"]

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
    AttendancePermission,
    FloorPermission,
    "vote.manage",
    "vote.cast",
    "vote.hall_tally",
    "vote.authorise_own",
    InvitationPermission,
    "mail.resend",
    "record.write",
    "record.review",
    "record.read",
    "record.sign",
    "record.seal",
    "dossier.download",
]
Permission = GlobalPermission | MeetingPermission

_ORGANIZING: Final[frozenset[MeetingRole]] = frozenset({ORGANIZER, CHAIR, SECRETARY, ADMIN})

# Global permission -> the global roles that grant it (a user account; room PCs hold none).
GLOBAL_PERMISSIONS: Final[dict[GlobalPermission, frozenset[GlobalRole]]] = {
    DIRECTORY_MANAGE: frozenset({ADMIN}),  # units, sites and their tokens, users
    MEETING_CREATE: frozenset({ADMIN, CHAIR, SECRETARY}),
    ACCOUNT_EDIT: frozenset(GLOBAL_ROLES),  # one's own language and profile: every signed-in person
    REGISTER_READ: frozenset({ADMIN, SECRETARY}),  # the văn thư's register: a secretary sees their own unit's
}

# Meeting permission -> the meeting roles that grant it.
MEETING_PERMISSIONS: Final[dict[MeetingPermission, frozenset[MeetingRole]]] = {
    MEETING_VIEW: frozenset(MEETING_ROLES),
    MEETING_ORGANIZE: _ORGANIZING,  # and the person may create meetings at all (MEETING_ORGANIZE_NEEDS)
    PAPER_MANAGE: _ORGANIZING,  # upload, publish, read every paper but restricted ones, see every comment
    PAPER_READ_RESTRICTED: frozenset({ORGANIZER, CHAIR, SECRETARY}),  # and the people a restricted paper names
    CONFERENCE_PUBLISH: frozenset({SITE, CHAIR, SECRETARY, ORGANIZER, ADMIN, DELEGATE}),  # send sound and pictures
    CONFERENCE_CONSOLE: _ORGANIZING,  # open the chair's console; join a locked meeting
    # attendance
    ATTENDANCE_CHECK_IN_SELF: frozenset({ORGANIZER, CHAIR, SECRETARY, DELEGATE}),  # oneself, on one's tablet
    ATTENDANCE_CHECK_IN_OTHERS: _ORGANIZING,  # anyone, at the secretary's desk (and an administrator anywhere)
    ATTENDANCE_CHECK_IN_SITE: frozenset({SITE_OPERATOR}),  # the people at the operator's own site only
    FLOOR_REQUEST: FLOOR_REQUEST_ROLES,  # the floor: see its section above
    FLOOR_REQUEST_SITE: FLOOR_REQUEST_SITE_ROLES,
    FLOOR_MANAGE: FLOOR_MANAGE_ROLES,
    VOTE_MANAGE: frozenset({ORGANIZER, CHAIR, SECRETARY}),  # votes
    VOTE_CAST: frozenset({CHAIR, SECRETARY, DELEGATE}),
    VOTE_HALL_TALLY: frozenset({SITE_OPERATOR, SECRETARY}),
    VOTE_AUTHORISE_OWN: frozenset({CHAIR, SECRETARY, DELEGATE}),  # a member (guests refused: domain/votes.py)
    # answers to the invitation: the invitee themselves; the organisers for anyone, the reminder and the list
    INVITATION_ANSWER: frozenset({ORGANIZER, CHAIR, SECRETARY, DELEGATE, OBSERVER}),
    INVITATION_ANSWER_FOR: _ORGANIZING,
    INVITATION_REMIND: _ORGANIZING,
    INVITATION_ANSWERS: _ORGANIZING,
    MAIL_RESEND: _ORGANIZING,  # the invitations' mail status per invitee, and resending a failed mail
    # the record (issue 11): the secretary writes, the chair reviews; a closed meeting's record is still written
    RECORD_WRITE: frozenset({ORGANIZER, CHAIR, SECRETARY}),
    RECORD_REVIEW: frozenset({CHAIR}),
    RECORD_READ: _ORGANIZING,
    RECORD_SIGN: frozenset({ORGANIZER, CHAIR, SECRETARY, DELEGATE, OBSERVER, SITE_OPERATOR, ADMIN}),  # a person
    RECORD_SEAL: frozenset({ORGANIZER, CHAIR, SECRETARY}),
    DOSSIER_DOWNLOAD: frozenset({ORGANIZER, CHAIR, SECRETARY}),  # who reads its restricted papers: it holds them
}
# A meeting permission that also needs a global one: a chair whose chair role was taken away runs no meeting.
# Meeting permissions also held by the person the thing acted on names, whatever their part in the meeting (none
# at all: a thông báo's signer the organiser chose outside it): a record's waiting signature slot.
NAMED_PERMISSIONS: Final[frozenset[MeetingPermission]] = frozenset({RECORD_SIGN})
MEETING_ORGANIZE_NEEDS: Final[GlobalPermission] = MEETING_CREATE
# Meeting permissions that need it too: a secretary or chair whose role was taken away writes no record.
NEED_ORGANIZING: Final[frozenset[MeetingPermission]] = frozenset({RECORD_WRITE, RECORD_REVIEW, RECORD_SEAL})

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
        caps -= {MEETING_ORGANIZE, *NEED_ORGANIZING}
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
    "record_frozen",
    "stale_revision",
    "invalid_transition",
    "meeting_closed",
    "meeting_archived",
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
    # office papers converted to PDF (documents/convert.py)
    "paper_type_unsupported",
    "paper_convert_unavailable",
    "paper_convert_timeout",
    "paper_convert_too_big",
    "paper_convert_damaged",
    "paper_convert_protected",
    "method_not_allowed",
    "internal_error",
    # digital signatures (signing/): the signer's certificate, the signature, a PDF given to verify
    "signing_certificate_untrusted",
    "signing_certificate_expired",
    "signing_certificate_not_for_signing",
    "signing_wrong_signer",
    "signature_mismatch",
    "timestamp_unavailable",
    "signed_pdf_unreadable",
    "signed_pdf_unsigned",
    "signed_pdf_too_large",
    # the signing phase (actions/signing.py): one-time links, turns, the result, the seal
    "signing_link_invalid",
    "signing_link_used",
    "signing_link_expired",
    "signing_not_your_turn",
    "signing_document_changed",
    "signing_not_prepared",
    "signing_result_invalid",
    "seal_unavailable",
    # signature and seal images (signing/images.py)
    "image_refused",
    # signed page links (domain/pagelinks.py): page images served from the link alone
    "page_link_invalid",
    "page_link_expired",
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

# ---- search (issue 12: docs/search.md) -------------------------------------------------------------------------

# What the search index holds: a page of a paper's version, an agenda item, a record document, a comment.
SearchKind = Literal["page", "agenda", "record", "comment"]
SEARCH_KINDS: Final[tuple[SearchKind, ...]] = get_args(SearchKind)
SEARCH_QUERY_MAX = 200  # characters of one query
