"""One invitation mail as MIME: a Vietnamese subject and body (English second), the giấy mời PDF and the
meeting's .ics attached. Pure: the PDF comes rendered (in the document workers), nothing here does I/O.

Headers go out with `email.policy.SMTP`: a subject or a display name with Vietnamese letters is RFC 2047
encoded-words in UTF-8, the body is UTF-8 text (quoted-printable or base64 as the text needs), lines end CRLF.
"""

from __future__ import annotations

from dataclasses import dataclass
from email.headerregistry import Address
from email.message import EmailMessage
from email.policy import SMTP
from email.utils import formatdate, make_msgid, parseaddr

from ..documents.invitation import InvitationData, format_meeting_time
from ..vocabulary import MAIL_CANCELLATION, MAIL_CHANGE, MAIL_REMINDER, MAIL_WORDS, MailKind

PDF_NAME = "giay-moi.pdf"
ICS_NAME = "cuoc-hop.ics"

_OPENING: dict[str, tuple[str, str]] = {
    "invitation": ("Trân trọng kính mời {who} dự cuộc họp:", "You are invited to the meeting:"),
    MAIL_CHANGE: (
        "Cuộc họp sau đã thay đổi thời gian, địa điểm hoặc chương trình; thông tin mới nhất:",
        "The following meeting changed its time, place or agenda; as it is now:",
    ),
    MAIL_CANCELLATION: ("Cuộc họp sau đã bị hủy:", "The following meeting has been cancelled:"),
    MAIL_REMINDER: (
        "{who} chưa trả lời giấy mời dự cuộc họp sau; đề nghị trả lời trên hệ thống:",
        "You have not yet answered the invitation to the following meeting; please answer in the app:",
    ),
}


@dataclass(frozen=True)
class Recipient:
    full_name: str
    title: str
    address: str


def subject(kind: MailKind, title: str) -> str:
    """E.g. "Giấy mời họp: Họp UBND tỉnh tháng 11 / Meeting invitation"."""
    vi, en = MAIL_WORDS[kind]
    return f"{vi}: {title} / {en}"


def body(kind: MailKind, data: InvitationData, to: Recipient, link: str, cancel_reason: str = "") -> str:
    who = f"{to.title} {to.full_name}".strip() if to.title else to.full_name
    opening_vi, opening_en = _OPENING[kind]
    when_vi = format_meeting_time(data.starts_at)
    when_en = data.starts_at.strftime("%Y-%m-%d %H:%M UTC")
    place = ", ".join(x for x in (data.main_site, data.location) if x)
    lines = [f"Kính gửi: {who}", "", opening_vi.format(who=who[:1].upper() + who[1:]), "", f"«{data.title}»"]
    lines.append(f"Thời gian: {when_vi}")
    if place:
        lines.append(f"Địa điểm: {place}")
    if data.chair:
        lines.append(f"Chủ trì: {(data.chair_title + ' ' + data.chair).strip()}")
    if kind == MAIL_CANCELLATION:
        if cancel_reason:
            lines.append(f"Lý do hủy: {cancel_reason}")
        lines += ["", "Tệp lịch (.ics) đính kèm gỡ cuộc họp khỏi lịch của đồng chí."]
    else:
        if data.agenda:
            lines += ["", "Chương trình:"]
            lines += [f"  {n}. {t}" for n, (t, _, _) in enumerate(data.agenda, 1)]
        lines += ["", "Giấy mời (PDF) và tệp lịch (.ics) đính kèm thư này."]
    lines += [f"Xem chi tiết: {link}", "", "—", opening_en, f"“{data.title}”", f"Time: {when_en}"]
    if place:
        lines.append(f"Place: {place}")
    lines += [f"Details: {link}", "", f"{data.issuing_unit}".strip()]
    return "\n".join(lines) + "\n"


def build(
    *,
    sender: str,
    to: Recipient,
    kind: MailKind,
    data: InvitationData,
    link: str,
    ics: str,
    pdf: bytes | None,
    cancel_reason: str = "",
) -> EmailMessage:
    """The whole message. `sender` is MS_SMTP_FROM ("Văn phòng UBND tỉnh <vp@example.gov.vn>" or an address)."""
    msg = EmailMessage(policy=SMTP)
    name, address = parseaddr(sender)
    from_address = Address(display_name=name, addr_spec=address)
    msg["From"] = from_address
    msg["To"] = Address(display_name=to.full_name, addr_spec=to.address)
    msg["Subject"] = subject(kind, data.title)
    msg["Date"] = formatdate(localtime=False, usegmt=True)
    msg["Message-ID"] = make_msgid(domain=from_address.domain or "meeting-server")
    msg.set_content(body(kind, data, to, link, cancel_reason), subtype="plain", charset="utf-8")
    if pdf is not None:
        msg.add_attachment(pdf, maintype="application", subtype="pdf", filename=PDF_NAME)
    method = "CANCEL" if kind == MAIL_CANCELLATION else "PUBLISH"
    params = {"method": method, "charset": "utf-8"}
    msg.add_attachment(ics.encode("utf-8"), maintype="text", subtype="calendar", filename=ICS_NAME, params=params)
    return msg


def needs_pdf(kind: MailKind) -> bool:
    """A cancellation carries only the calendar file that removes the meeting."""
    return kind != MAIL_CANCELLATION
