"""What the record's documents say, as plain data: the biên bản (minutes, Nghị định 30/2020 Mẫu 1.9) and the thông
báo kết luận (conclusion notice, Mẫu 1.4). `actions`/`views` fill these from the meeting's log and the secretary's
text; `documents/` turns them into the PDF (the record) and the .docx (for offices that finish in Word); `signing/`
places each signature in the box the PDF reserved for it. Pure: no I/O, no pymupdf.

Rich text (the secretary's diễn biến and kết luận) travels as HTML already reduced to `RICH_TEXT_TAGS` with no
attributes (`domain/richtext.py` does that); renderers may rely on it and must still escape nothing else.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime

from ..vocabulary import RECORD_CONCLUSION, RECORD_INVITATION, RECORD_MINUTES, RecordKind, SignatureSlot

RICH_TEXT_TAGS = frozenset({"p", "br", "strong", "em", "u", "ul", "ol", "li"})
"""The only elements the secretary's text keeps; every attribute is dropped."""

KIND_SYMBOLS: dict[RecordKind, str] = {RECORD_MINUTES: "BB", RECORD_CONCLUSION: "TB", RECORD_INVITATION: "GM"}
"""The document kinds the register numbers and their symbol in "Số: 05/BB-UBND" (Nghị định 30, Phụ lục III)."""


def number_text(kind: RecordKind, number: int, symbol: str) -> str:
    """A register number as text, once for everyone: "01/BB-UBND" (below 10 with a leading 0); "01/BB" when the
    issuer has no symbol."""
    return f"{number:02d}/{KIND_SYMBOLS[kind]}" + (f"-{symbol}" if symbol else "")


@dataclass(frozen=True)
class Issuer:
    """The header's left column and what the number ends with: "UBND TỈNH TUYÊN QUANG" above "VĂN PHÒNG"…"""

    issuing_body: str  # printed bold, upper case, with the short rule under it: "ỦY BAN NHÂN DÂN TỈNH TUYÊN QUANG"
    symbol: str  # after the kind in the number: "UBND", "VP", "STC"
    place: str  # the địa danh of the date line: "Tuyên Quang"
    governing_body: str = ""  # the cơ quan chủ quản above it, upper case, not bold; "" when there is none


@dataclass(frozen=True)
class DocumentNumber:
    """ "Số: 05/BB-UBND"; `number` is None until the register gives one (a draft prints "Số:    /BB-UBND")."""

    kind: RecordKind
    issuer_symbol: str
    number: int | None = None
    year: int | None = None
    confidential: bool = False

    def text(self) -> str:
        shown = f"{self.number:02d}" if self.number is not None else "\u2003\u2003"
        return f"Số: {shown}/{KIND_SYMBOLS[self.kind]}-{self.issuer_symbol}"


@dataclass(frozen=True)
class Signer:
    """A signature block: "TL. CHỦ TỊCH" / "CHÁNH VĂN PHÒNG" / (signature) / "Nguyễn Văn A". No academic titles."""

    slot: SignatureSlot
    title: str  # upper case as printed: "THƯ KÝ", "CHỦ TỌA", "PHÓ CHỦ TỊCH"
    name: str
    authority: str = ""  # "TL. CHỦ TỊCH", "KT. CHỦ TỊCH", "TM. ỦY BAN NHÂN DÂN"; "" for none


@dataclass(frozen=True)
class Speech:
    speaker: str
    site: str  # "Hội trường tỉnh", "Xã Tân Trào"
    started_at: datetime
    seconds: int


@dataclass(frozen=True)
class VoteLine:
    question: str
    secret: bool
    counts: dict[str, int]  # "yes", "no", "abstain", "not_voted" → number of votes
    members: int  # those entitled to vote
    outcome: str  # "Thông qua" / "Không thông qua", as decided by the vote's rule
    rule: str = ""  # "quá nửa tổng số thành viên"


@dataclass(frozen=True)
class Attendee:
    name: str
    position: str = ""  # "Phó Chủ tịch UBND tỉnh"
    unit: str = ""
    site: str = ""  # where they attended
    note: str = ""  # absent: the reason; late: "đến muộn lúc 08:20"; stand-in: "dự thay ông/bà …"


@dataclass(frozen=True)
class ItemRecord:
    """One agenda item as the minutes keep it: what the log knows plus the secretary's text."""

    number: str  # "1", "2"
    title: str
    presenter: str = ""
    papers: list[str] = field(default_factory=list)
    started_at: datetime | None = None
    ended_at: datetime | None = None
    speeches: list[Speech] = field(default_factory=list)
    votes: list[VoteLine] = field(default_factory=list)
    discussion_html: str = ""  # diễn biến
    conclusion_html: str = ""  # kết luận


@dataclass(frozen=True)
class Correction:
    """A later version says what it replaces: "Thay thế Biên bản số 01/BB-UBND ngày 05/01/2027"."""

    replaces: DocumentNumber
    replaces_issued_on: date
    reason: str = ""


@dataclass(frozen=True)
class MinutesContent:
    """Biên bản cuộc họp (Mẫu 1.9)."""

    issuer: Issuer
    number: DocumentNumber
    title: str  # trích yếu: "Cuộc họp Ủy ban nhân dân tỉnh tháng 01 năm 2027"
    started_at: datetime
    ended_at: datetime | None
    place: str  # "Phòng họp số 1, trụ sở UBND tỉnh" and, for a conference, "trực tuyến đến 124 điểm cầu"
    chair: Attendee
    secretary: Attendee
    host_site: str = ""
    sites_connected: list[str] = field(default_factory=list)
    present: list[Attendee] = field(default_factory=list)
    absent: list[Attendee] = field(default_factory=list)  # note = the reason given
    late: list[Attendee] = field(default_factory=list)
    items: list[ItemRecord] = field(default_factory=list)
    signers: list[Signer] = field(default_factory=list)  # secretary (left) then chair (right)
    recipients: list[str] = field(default_factory=list)  # "Nơi nhận"; the renderer adds "- Lưu: VT, …" last
    archive_line: str = "Lưu: VT."  # the last "Nơi nhận" entry
    issued_on: date | None = None
    correction: Correction | None = None
    opening_html: str = ""  # the secretary's opening part (who opened the meeting, its purpose)
    closing_html: str = ""  # the closing part (the end, "Cuộc họp kết thúc lúc …")


@dataclass(frozen=True)
class ConclusionContent:
    """Thông báo kết luận (Mẫu 1.4)."""

    issuer: Issuer
    number: DocumentNumber
    issued_on: date | None
    summary: str  # "Kết luận của Chủ tịch UBND tỉnh tại cuộc họp …"
    opening_html: str  # "Ngày 05/01/2027, … chủ trì cuộc họp … Sau khi nghe …, Chủ tịch kết luận như sau:"
    items: list[ItemRecord]  # only title and conclusion_html are printed
    signer: Signer
    sealed: bool = True  # the organisation seals after the signer
    recipients: list[str] = field(default_factory=list)
    archive_line: str = "Lưu: VT."
    closing_html: str = ""  # "Văn phòng UBND tỉnh thông báo để các cơ quan, đơn vị biết, thực hiện./."
    correction: Correction | None = None


@dataclass(frozen=True)
class SignatureBox:
    """Where a signature's appearance goes: PDF user space (points, origin at the page's bottom left, as pyHanko's
    field boxes are), page 0-based. For a signer: the space between the block's title and the name."""

    page: int
    x0: float
    y0: float
    x1: float
    y1: float


@dataclass(frozen=True)
class RenderedRecord:
    """A record document's PDF and, per signature slot it has, the box reserved for it."""

    pdf: bytes
    boxes: dict[str, SignatureBox]
