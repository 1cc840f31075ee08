"""Tables. Times are ISO 8601 UTC strings (`2026-11-24T01:00:00Z`): they sort as text on SQLite and PostgreSQL
alike, and no driver reinterprets their time zone."""

from __future__ import annotations

from typing import Any

from sqlalchemy import (
    JSON,
    Boolean,
    ForeignKey,
    Index,
    Integer,
    LargeBinary,
    PrimaryKeyConstraint,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class Base(DeclarativeBase):
    type_annotation_map = {dict[str, Any]: JSON, list[Any]: JSON}


class UnitRow(Base):
    """A province, commune, agency or (before the 2025 reform) district: domain.units says which sits where."""

    __tablename__ = "units"
    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(16))
    parent_id: Mapped[str | None] = mapped_column(ForeignKey("units.id"), index=True)
    code: Mapped[str] = mapped_column(String(32), default="")  # the organisation's own short code, free text
    # Loại đơn vị in Vietnamese ("tỉnh", "thành phố", "xã", "phường", "đặc khu"; "" for an agency).
    division_type: Mapped[str] = mapped_column(String(16), default="", server_default="")
    # Mã đơn vị hành chính from the official list ("08", "02545"); None for agencies and units typed by hand.
    official_code: Mapped[str | None] = mapped_column(String(8))
    created_at: Mapped[str] = mapped_column(String(32))
    __table_args__ = (
        UniqueConstraint("parent_id", "name", name="uq_units_parent_name"),
        UniqueConstraint("official_code", name="uq_units_official_code"),
    )


class SiteRow(Base):
    __tablename__ = "sites"
    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    name: Mapped[str] = mapped_column(String(200), unique=True)
    unit_id: Mapped[str] = mapped_column(ForeignKey("units.id"), index=True)
    location: Mapped[str] = mapped_column(String(300), default="")
    capacity: Mapped[int] = mapped_column(Integer, default=0)
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    token_hash: Mapped[str | None] = mapped_column(String(64), unique=True)
    token_issued_at: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[str] = mapped_column(String(32))


class UserRow(Base):
    __tablename__ = "users"
    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    full_name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200), default="")
    password_hash: Mapped[str] = mapped_column(String(200))
    roles: Mapped[list[Any]] = mapped_column(JSON, default=list)
    unit_id: Mapped[str | None] = mapped_column(ForeignKey("units.id"), index=True)
    lang: Mapped[str] = mapped_column(String(8), default="vi")
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[str] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))  # official e-mail: where invitations go


class SessionRow(Base):
    __tablename__ = "sessions"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # sha256 of the cookie value
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id"), index=True)
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[str] = mapped_column(String(32))
    ip: Mapped[str] = mapped_column(String(64), default="")
    user_agent: Mapped[str] = mapped_column(String(300), default="")


class MeetingRow(Base):
    __tablename__ = "meetings"
    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    title: Mapped[str] = mapped_column(String(300))
    status: Mapped[str] = mapped_column(String(16), index=True)
    starts_at: Mapped[str] = mapped_column(String(32), index=True)
    organizer_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    last_seq: Mapped[int] = mapped_column(Integer, default=0)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[str] = mapped_column(String(32))


class MeetingMemberRow(Base):
    """Who is in which meeting, kept from the meeting state so "my meetings" is one indexed query."""

    __tablename__ = "meeting_members"
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16), primary_key=True)  # user | unit | site | unit_site
    ref_id: Mapped[str] = mapped_column(String(48), primary_key=True)
    __table_args__ = (Index("ix_meeting_members_ref", "kind", "ref_id"),)


class MeetingEventRow(Base):
    __tablename__ = "meeting_events"
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    type: Mapped[str] = mapped_column(String(64))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    audience: Mapped[dict[str, Any]] = mapped_column(JSON)
    actor_id: Mapped[str | None] = mapped_column(String(48))
    at: Mapped[str] = mapped_column(String(32))


class CommandRow(Base):
    """Answers to commands already applied, so a retry with the same client-made id changes nothing twice."""

    __tablename__ = "commands"
    actor_id: Mapped[str] = mapped_column(String(48), primary_key=True)
    command_id: Mapped[str] = mapped_column(String(100), primary_key=True)
    action: Mapped[str] = mapped_column(String(64))
    result: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[str] = mapped_column(String(32), index=True)


class AuditRow(Base):
    __tablename__ = "audit_log"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    at: Mapped[str] = mapped_column(String(32), index=True)
    kind: Mapped[str] = mapped_column(String(48), index=True)
    actor_id: Mapped[str | None] = mapped_column(String(48))
    target_id: Mapped[str | None] = mapped_column(String(48))
    ip: Mapped[str] = mapped_column(String(64), default="")
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    note: Mapped[str] = mapped_column(Text, default="")


class PaperRow(Base):
    """A meeting paper's state (domain.papers.Paper as JSON), one row per paper."""

    __tablename__ = "papers"
    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[str] = mapped_column(String(32))


class PaperUploadRow(Base):
    """A checked and ingested file waiting to become a paper or a version: the upload and the action that uses
    it are two steps, so a client can only ever name files that it uploaded itself."""

    __tablename__ = "paper_uploads"
    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    actor_id: Mapped[str] = mapped_column(String(48), index=True)
    file_id: Mapped[str] = mapped_column(String(64))
    info: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[str] = mapped_column(String(32))


class AnnotationRow(Base):
    __tablename__ = "annotations"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)  # made by the client
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    paper_id: Mapped[str] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"))
    version: Mapped[int] = mapped_column(Integer)
    page: Mapped[int] = mapped_column(Integer)
    kind: Mapped[str] = mapped_column(String(16))
    owner_id: Mapped[str] = mapped_column(String(48))
    layer: Mapped[str] = mapped_column(String(16))
    data: Mapped[dict[str, Any]] = mapped_column(JSON)
    updated_at: Mapped[str] = mapped_column(String(32))
    __table_args__ = (
        Index("ix_annotations_paper_owner", "paper_id", "owner_id"),
        Index("ix_annotations_paper_layer", "paper_id", "layer"),
    )


class CommentRow(Base):
    __tablename__ = "paper_comments"
    id: Mapped[str] = mapped_column(String(64), primary_key=True)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    paper_id: Mapped[str] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), index=True)
    author_id: Mapped[str] = mapped_column(String(48))
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    created_at: Mapped[str] = mapped_column(String(32))


class PaperReadRow(Base):
    """Read receipts: who opened which paper, first and last time."""

    __tablename__ = "paper_reads"
    paper_id: Mapped[str] = mapped_column(ForeignKey("papers.id", ondelete="CASCADE"), primary_key=True)
    user_id: Mapped[str] = mapped_column(String(48), primary_key=True)
    first_at: Mapped[str] = mapped_column(String(32))
    last_at: Mapped[str] = mapped_column(String(32))
    opens: Mapped[int] = mapped_column(Integer, default=1)
    last_version: Mapped[int] = mapped_column(Integer, default=1)


class AttendanceEntryRow(Base):
    """Điểm danh, append-only: one row per entry (a correction is a new row), keyed by its event's place in the
    meeting's log, so the order of entries is the log's."""

    __tablename__ = "attendance_entries"
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer, primary_key=True)
    person_id: Mapped[str] = mapped_column(String(64))
    entry: Mapped[dict[str, Any]] = mapped_column(JSON)


class CheckinKeyRow(Base):
    """A meeting's check-in key (domain/checkin.py): the secret its QR codes are signed with. Kept here only, never
    in the event log or a snapshot; replaced (the row updated) when the organiser renews it."""

    __tablename__ = "checkin_keys"
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    key: Mapped[str] = mapped_column(String(64))
    issued_at: Mapped[str] = mapped_column(String(32))


class VoteRow(Base):
    """A vote (domain.votes.Vote as JSON) and its tally: a named vote's ballots, or a secret vote's `voted` set
    only (sorted, so no order of arrival survives). A secret vote's counts are in `vote_counts`, never here."""

    __tablename__ = "votes"
    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    status: Mapped[str] = mapped_column(String(16), index=True)
    closes_at: Mapped[str | None] = mapped_column(String(32), index=True)
    state: Mapped[dict[str, Any]] = mapped_column(JSON)
    tally: Mapped[dict[str, Any]] = mapped_column(JSON)
    result: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    created_at: Mapped[str] = mapped_column(String(32))


class VoteCountRow(Base):
    """A secret vote's count of one choice, updated in place (n = n + 1) in the ballot's transaction: no row per
    ballot exists, so nothing pairs a voter with a choice."""

    __tablename__ = "vote_counts"
    vote_id: Mapped[str] = mapped_column(ForeignKey("votes.id", ondelete="CASCADE"), primary_key=True)
    choice: Mapped[str] = mapped_column(String(64), primary_key=True)
    n: Mapped[int] = mapped_column(Integer, default=0)


class ProxyRow(Base):
    """An authorisation (ủy quyền) for the whole meeting (`vote_id` None) or one vote; withdrawn ones stay."""

    __tablename__ = "vote_proxies"
    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    vote_id: Mapped[str | None] = mapped_column(String(48))
    delegator: Mapped[str] = mapped_column(String(48))
    proxy: Mapped[str] = mapped_column(String(48))
    given_at: Mapped[str] = mapped_column(String(32))
    recorded_by: Mapped[str] = mapped_column(String(48))
    withdrawn_at: Mapped[str | None] = mapped_column(String(32))


class MailRow(Base):
    """One mail to one person about one meeting (vocabulary's MAIL_KINDS, MAIL_STATUSES): written in the
    transaction of the event that causes it (actions/mail.py), sent by mail/sender.py."""

    __tablename__ = "mail_outbox"
    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    person_id: Mapped[str] = mapped_column(ForeignKey("users.id"))
    address: Mapped[str] = mapped_column(String(254), default="", server_default="")
    kind: Mapped[str] = mapped_column(String(16))
    seq: Mapped[int] = mapped_column(Integer)  # the meeting's event that caused it: orders a second's rows
    status: Mapped[str] = mapped_column(String(16))
    attempts: Mapped[int] = mapped_column(Integer, default=0, server_default="0")
    last_error: Mapped[str] = mapped_column(Text, default="", server_default="")
    next_attempt_at: Mapped[str] = mapped_column(String(32))
    created_at: Mapped[str] = mapped_column(String(32))
    sent_at: Mapped[str | None] = mapped_column(String(32))
    __table_args__ = (Index("ix_mail_outbox_due", "status", "next_attempt_at"),)


class NoticeRow(Base):
    """An in-app notice to one person (a new invitation, a change, a cancellation, a reminder)."""

    __tablename__ = "notices"
    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"))
    kind: Mapped[str] = mapped_column(String(16))
    title: Mapped[str] = mapped_column(String(300))
    seq: Mapped[int] = mapped_column(Integer)  # the meeting's event that caused it
    created_at: Mapped[str] = mapped_column(String(32))
    read_at: Mapped[str | None] = mapped_column(String(32))
    __table_args__ = (Index("ix_notices_user_id", "user_id", "created_at"),)


# ---- the record (issue 11): storage/record.py, storage/register.py ------------------------------------------------


class RecordDocumentRow(Base):
    """A biên bản or thông báo kết luận of a meeting, one row per version (a correction is a new row whose
    `replaces_id` names the first). `content` is the frozen MinutesContent/ConclusionContent (JSON) from its
    approval on; `pdf` the rendered record (a signed PDF once a slot is signed)."""

    __tablename__ = "record_documents"
    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    kind: Mapped[str] = mapped_column(String(16))
    version: Mapped[int] = mapped_column(Integer)
    replaces_id: Mapped[str | None] = mapped_column(ForeignKey("record_documents.id"))
    replaced_by_id: Mapped[str | None] = mapped_column(String(48))
    correction_reason: Mapped[str] = mapped_column(Text, default="", server_default="")
    confidential: Mapped[bool] = mapped_column(Boolean)
    status: Mapped[str] = mapped_column(String(16))
    unit_id: Mapped[str] = mapped_column(String(48), default="", server_default="")
    number: Mapped[int | None] = mapped_column(Integer)
    year: Mapped[int | None] = mapped_column(Integer)
    issued_on: Mapped[str | None] = mapped_column(String(10))  # the approval's date in Vietnam time
    slots: Mapped[list[Any]] = mapped_column(JSON)  # [{"slot", "user_id", "name", "title", "signed_at"}], in order
    signer: Mapped[dict[str, Any]] = mapped_column(JSON)  # a thông báo's signer (authority, title, user); {} else
    content: Mapped[dict[str, Any] | None] = mapped_column(JSON)
    pdf: Mapped[bytes | None] = mapped_column(LargeBinary)
    boxes: Mapped[dict[str, Any] | None] = mapped_column(JSON)  # slot -> SignatureBox fields, from the rendering
    return_comment: Mapped[str] = mapped_column(Text, default="", server_default="")
    recipients: Mapped[list[str] | None] = mapped_column(JSON)  # "Nơi nhận" as edited; None: the defaults
    created_by: Mapped[str] = mapped_column(String(48))
    created_at: Mapped[str] = mapped_column(String(32))
    updated_at: Mapped[str] = mapped_column(String(32))


class RecordTextRow(Base):
    """One rich text of a document: a part (an agenda item's id, or opening/closing) and a field."""

    __tablename__ = "record_texts"
    document_id: Mapped[str] = mapped_column(ForeignKey("record_documents.id", ondelete="CASCADE"))
    part: Mapped[str] = mapped_column(String(48))
    field: Mapped[str] = mapped_column(String(16))
    html: Mapped[str] = mapped_column(Text)
    revision: Mapped[int] = mapped_column(Integer)
    saved_by: Mapped[str] = mapped_column(String(48))
    saved_by_name: Mapped[str] = mapped_column(String(200))
    saved_at: Mapped[str] = mapped_column(String(32))
    __table_args__ = (PrimaryKeyConstraint("document_id", "part", "field"),)


class RecordCommentRow(Base):
    __tablename__ = "record_comments"
    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("record_documents.id", ondelete="CASCADE"), index=True)
    part: Mapped[str] = mapped_column(String(48))
    text: Mapped[str] = mapped_column(Text)
    author_id: Mapped[str] = mapped_column(String(48))
    author_name: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[str] = mapped_column(String(32))


class RegisterCounterRow(Base):
    """The last number given in one series of the register: per unit, kind, calendar year, confidential or not."""

    __tablename__ = "register_counters"
    unit_id: Mapped[str] = mapped_column(String(48))
    kind: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    confidential: Mapped[bool] = mapped_column(Boolean)
    last_number: Mapped[int] = mapped_column(Integer)
    __table_args__ = (PrimaryKeyConstraint("unit_id", "kind", "year", "confidential"),)


class RegisterEntryRow(Base):
    """One line of the sổ đăng ký văn bản."""

    __tablename__ = "register_entries"
    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    unit_id: Mapped[str] = mapped_column(String(48))
    kind: Mapped[str] = mapped_column(String(16))
    year: Mapped[int] = mapped_column(Integer)
    confidential: Mapped[bool] = mapped_column(Boolean)
    number: Mapped[int] = mapped_column(Integer)
    issued_on: Mapped[str] = mapped_column(String(10))
    summary: Mapped[str] = mapped_column(String(500))  # trích yếu
    signer: Mapped[str] = mapped_column(String(300), default="", server_default="")
    symbol: Mapped[str] = mapped_column(String(32), default="", server_default="")  # the issuer's: "UBND", "VP"
    meeting_id: Mapped[str | None] = mapped_column(ForeignKey("meetings.id", ondelete="SET NULL"))
    document_id: Mapped[str | None] = mapped_column(ForeignKey("record_documents.id"))
    created_at: Mapped[str] = mapped_column(String(32))
    __table_args__ = (
        UniqueConstraint("unit_id", "kind", "year", "confidential", "number", name="uq_register_number"),
        Index("ix_register_entries_meeting_id", "meeting_id", "kind"),
    )


class SigningRequestRow(Base):
    """A one-time link for one person to sign one slot of a record document (migration 0011): the token only as
    its SHA-256, the PDF it was made for by its SHA-256, the prepared signing state between prepare and finish."""

    __tablename__ = "signing_requests"
    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    document_id: Mapped[str] = mapped_column(ForeignKey("record_documents.id", ondelete="CASCADE"), index=True)
    meeting_id: Mapped[str] = mapped_column(String(48))
    slot: Mapped[str] = mapped_column(String(16))
    user_id: Mapped[str] = mapped_column(String(48))
    token_hash: Mapped[str] = mapped_column(String(64))
    pdf_sha256: Mapped[str] = mapped_column(String(64))
    state: Mapped[bytes | None] = mapped_column(LargeBinary)
    created_at: Mapped[str] = mapped_column(String(32))
    expires_at: Mapped[str] = mapped_column(String(32))
    used_at: Mapped[str | None] = mapped_column(String(32))


# ---- signature and seal images (migration 0013): storage/images.py, signing/images.py ----------------------------


class SignatureImageRow(Base):
    """A person's signature image (`user_id`) or a unit's seal image (`unit_id`): one of the two is set, each at
    most once. `png` is what signing/images.reencode made of the upload (at most 600 pixels a side)."""

    __tablename__ = "signature_images"
    id: Mapped[str] = mapped_column(String(48), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # "signature" | "seal"
    user_id: Mapped[str | None] = mapped_column(ForeignKey("users.id", ondelete="CASCADE"))
    unit_id: Mapped[str | None] = mapped_column(ForeignKey("units.id", ondelete="CASCADE"))
    png: Mapped[bytes] = mapped_column(LargeBinary)
    width: Mapped[int] = mapped_column(Integer)
    height: Mapped[int] = mapped_column(Integer)
    sha256: Mapped[str] = mapped_column(String(64))
    updated_by: Mapped[str] = mapped_column(String(48))
    updated_at: Mapped[str] = mapped_column(String(32))
    __table_args__ = (
        UniqueConstraint("user_id", name="uq_signature_images_user_id"),
        UniqueConstraint("unit_id", name="uq_signature_images_unit_id"),
    )


# ---- search (issue 12): storage/search.py, search/indexer.py ------------------------------------------------------


class SearchDocRow(Base):
    """One unit of the search index: a page of a paper's version, an agenda item, a record document, a comment.
    `body` is the text as written (snippets come from it), `folded` its tokens without diacritics (what the
    engine indexes: an FTS5 table on SQLite, a generated tsvector column on PostgreSQL, both made by migration
    0014 and not known to this model). `access`/`status`/`author_id` and `search_grants` carry the read rules."""

    __tablename__ = "search_docs"
    id: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    key: Mapped[str] = mapped_column(String(200), unique=True)  # page:PAPER:V:N, agenda:M:ITEM, record:D, comment:C
    kind: Mapped[str] = mapped_column(String(16))  # vocabulary.SEARCH_KINDS
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    paper_id: Mapped[str | None] = mapped_column(String(48), index=True)
    version: Mapped[int | None] = mapped_column(Integer)
    page: Mapped[int | None] = mapped_column(Integer)
    ref_id: Mapped[str | None] = mapped_column(String(64))  # the agenda item, record document or comment
    author_id: Mapped[str | None] = mapped_column(String(48))  # a comment's author
    title: Mapped[str] = mapped_column(String(300))
    body: Mapped[str] = mapped_column(Text)
    folded: Mapped[str] = mapped_column(Text)
    at: Mapped[str] = mapped_column(String(32))  # the meeting's start
    unit_id: Mapped[str] = mapped_column(String(48), default="", server_default="")  # the organiser's unit
    access: Mapped[str] = mapped_column(String(16), default="all", server_default="all")  # a paper's
    status: Mapped[str] = mapped_column(String(16), default="", server_default="")  # a paper's or record's


class SearchGrantRow(Base):
    """Who a listed or restricted paper names (a person or a unit), for the read rules inside the query."""

    __tablename__ = "search_grants"
    paper_id: Mapped[str] = mapped_column(String(48))
    kind: Mapped[str] = mapped_column(String(8))  # user | unit
    ref_id: Mapped[str] = mapped_column(String(48))
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), index=True)
    __table_args__ = (PrimaryKeyConstraint("paper_id", "kind", "ref_id"),)


class SearchCheckpointRow(Base):
    """How far the indexer has read a meeting's log: the meeting's `last_seq` when it was last indexed."""

    __tablename__ = "search_checkpoints"
    meeting_id: Mapped[str] = mapped_column(ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True)
    seq: Mapped[int] = mapped_column(Integer)
    indexed_at: Mapped[str] = mapped_column(String(32))
