"""The record's documents, pure: their lifecycle, who may change what when, their signature slots, the content
the minutes are built from (the log's facts plus the secretary's texts) and that content as JSON and back.

draft → in_review (the secretary sends it to the chair) → signing (the chair approves: numbered, content frozen)
→ issued (every slot signed). The chair may return a document in review to draft with a comment. A document in
signing or issued never changes; a correction is a new version that names the one it replaces.
"""

from __future__ import annotations

import dataclasses
import html
import types
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, TypeVar, Union, get_args, get_origin, get_type_hints

from .. import protocol as p
from ..errors import AppError
from ..vocabulary import (
    DRAFT,
    ORGANIZER_ROLES,
    RECORD_CONCLUSION,
    RECORD_FIELD_CONCLUSION,
    RECORD_FIELD_DISCUSSION,
    RECORD_FIELDS,
    RECORD_IN_REVIEW,
    RECORD_ISSUED,
    RECORD_MINUTES,
    RECORD_PART_CLOSING,
    RECORD_PART_OPENING,
    RECORD_SIGNING,
    RECORD_SLOTS,
    RECORD_STATUS_WORDS,
    SLOT_CHAIR,
    SLOT_SEAL,
    SLOT_SECRETARY,
    SLOT_SIGNER,
    RecordKind,
    RecordStatus,
)
from .meetings import Audience, Event
from .record_content import (
    Attendee,
    ConclusionContent,
    Correction,
    DocumentNumber,
    Issuer,
    ItemRecord,
    MinutesContent,
    Signer,
    Speech,
    VoteLine,
)

VIETNAM = timezone(timedelta(hours=7), "ICT")  # no daylight saving: a fixed offset is the whole rule
FROZEN: frozenset[str] = frozenset({RECORD_SIGNING, RECORD_ISSUED})
KIND_WORDS: dict[str, tuple[str, str]] = {
    RECORD_MINUTES: ("Biên bản", "The minutes"),
    RECORD_CONCLUSION: ("Thông báo kết luận", "The conclusion notice"),
}
# transition -> (from, to, Vietnamese verb, English verb)
TRANSITIONS: dict[str, tuple[RecordStatus, RecordStatus, str, str]] = {
    "submit": (DRAFT, RECORD_IN_REVIEW, "gửi chủ tọa duyệt", "send to the chair"),
    "return": (RECORD_IN_REVIEW, DRAFT, "trả lại để sửa", "return for changes"),
    "approve": (RECORD_IN_REVIEW, RECORD_SIGNING, "duyệt và cấp số", "approve and number"),
}


def changed(document: dict[str, Any], named: tuple[str, ...] = (), **extra: Any) -> Event:
    """The log entry telling the record's page (organisers, chair, secretary, and the people the document's
    signature slots name: `named`, their signing page) that a document changed; no patch: the meeting's state is
    not the record's."""
    data = {k: document[k] for k in ("document_id", "kind", "status", "version")} | extra
    audience = Audience(kind="people", roles=ORGANIZER_ROLES, user_ids=named) if named else None
    return Event(p.RECORD_CHANGED, data, audience or Audience(kind="roles", roles=ORGANIZER_ROLES))


def named_people(slots: list[dict[str, Any]]) -> tuple[str, ...]:
    """The people a document's signature slots name (the seal's slot names nobody)."""
    return tuple(dict.fromkeys(s["user_id"] for s in slots if s.get("user_id")))


def vietnam_date(moment: datetime) -> date:
    """The calendar day in Vietnam: the register's year starts at 00:00 on 1 January, Vietnam time."""
    return moment.astimezone(VIETNAM).date()


def frozen_error(kind: str, status: str) -> AppError:
    vi, en = KIND_WORDS.get(kind, ("Văn bản", "The document"))
    return AppError("record_frozen", detail=vi, detail_en=en, status=status)


def status_error(status: str, vi_verb: str, en_verb: str) -> AppError:
    vi_status, en_status = RECORD_STATUS_WORDS.get(status, (status, status))  # type: ignore[call-overload]
    return AppError(
        "invalid_input",
        detail=f"văn bản đang ở trạng thái “{vi_status}”, không thể {vi_verb}",
        detail_en=f"the document is {en_status}: it cannot {en_verb}",
    )


def transition(kind: str, status: str, name: str) -> RecordStatus:
    """The status after `name` (submit, return, approve); a frozen document or a wrong status is refused."""
    start, end, vi_verb, en_verb = TRANSITIONS[name]
    if status in FROZEN:
        raise frozen_error(kind, status)
    if status != start:
        raise status_error(status, vi_verb, en_verb)
    return end


def check_editable(kind: str, status: str, reviewing: bool) -> None:
    """Texts change in a draft (its writers) or in review (the chair only); never once frozen."""
    if status in FROZEN:
        raise frozen_error(kind, status)
    if status == RECORD_IN_REVIEW and not reviewing:
        raise AppError(
            "invalid_input",
            detail="văn bản đang chờ chủ tọa duyệt; chỉ chủ tọa sửa được cho đến khi trả lại",
            detail_en="the document is in review: only the chair edits it until it is returned",
        )


def check_part(part: str, item_ids: tuple[str, ...]) -> None:
    if part not in (RECORD_PART_OPENING, RECORD_PART_CLOSING, *item_ids):
        raise AppError(
            "invalid_input",
            detail=f"không có nội dung họp {part}",
            detail_en=f"no agenda item {part} (nor the opening or closing part)",
        )


def check_field(name: str) -> None:
    if name not in RECORD_FIELDS:
        raise AppError(
            "invalid_input",
            detail="trường phải là diễn biến (discussion) hoặc kết luận (conclusion)",
            detail_en="the field must be discussion or conclusion",
        )


def check_base(current: int, base: int, saved_by: str, saved_at: str) -> int:
    """The next revision of a text whose revision is `current`, when the client edited `base`; a stale base is
    refused naming who saved last and when (Vietnam time)."""
    if base != current:
        at = datetime.fromisoformat(saved_at).astimezone(VIETNAM).strftime("%H:%M:%S ngày %d/%m/%Y")
        raise AppError("stale_revision", who=saved_by or "người khác", at=at)
    return current + 1


def slots_for(
    kind: RecordKind, secretary: dict[str, Any], chair: dict[str, Any], signer: dict[str, Any], organisation: str
) -> list[dict[str, Any]]:
    """The signature slots in signing order, with who signs each (`user_id` None: the organisation's seal)."""
    people = {
        SLOT_SECRETARY: {**secretary, "title": "THƯ KÝ"},
        SLOT_CHAIR: {**chair, "title": "CHỦ TỌA"},
        SLOT_SIGNER: signer,
        SLOT_SEAL: {"user_id": None, "name": organisation, "title": ""},
    }
    return [
        {
            "slot": slot,
            "user_id": people[slot].get("user_id"),
            "name": people[slot].get("name", ""),
            "title": people[slot].get("title", ""),
            "authority": people[slot].get("authority", ""),
            "signed_at": None,
        }
        for slot in RECORD_SLOTS[kind]
    ]


MINUTES_RECIPIENTS: tuple[str, ...] = ("Chủ tọa cuộc họp", "Các thành viên dự họp")
"""A biên bản's "Nơi nhận" until the secretary edits it (a thông báo's comes from the invitation's addressees)."""


def _in_sentence(title: str) -> str:
    """A meeting's title inside a sentence: "chủ trì cuộc họp UBND tỉnh …" (its first word not capitalised)."""
    first = title.split(" ", 1)[0]
    return title[:1].lower() + title[1:] if first in ("Cuộc", "Hội", "Phiên", "Buổi") else title


def default_texts(kind: str, chair: Attendee, started_at: datetime, title: str) -> dict[tuple[str, str], str]:
    """The opening and closing parts a document prints while its writers leave them unsaved (the page shows the
    same as its starting text): the thông báo's "Ngày …, … chủ trì cuộc họp … kết luận như sau:" and its closing
    sentence; the biên bản's opening (who chaired, the meeting's purpose). A saved text, even empty, replaces it."""
    day = started_at.astimezone(VIETNAM).strftime("%d/%m/%Y")
    who = html.escape(" ".join(x for x in (chair.position.strip(), chair.name.strip()) if x) or "Chủ tọa")
    office = html.escape(chair.position.strip() or "chủ tọa")
    meeting = html.escape(_in_sentence(title))
    if kind == RECORD_CONCLUSION:
        return {
            (RECORD_PART_OPENING, RECORD_FIELD_CONCLUSION): (
                f"<p>Ngày {day}, {who} chủ trì {meeting}. Sau khi nghe báo cáo và ý kiến của các đại biểu dự họp, "
                f"{office} kết luận như sau:</p>"
            ),
            (RECORD_PART_CLOSING, RECORD_FIELD_CONCLUSION): (
                f"<p>Trên đây là kết luận của {office} tại cuộc họp, thông báo để các cơ quan, đơn vị liên quan "
                "biết, thực hiện./.</p>"
            ),
        }
    return {
        (RECORD_PART_OPENING, RECORD_FIELD_DISCUSSION): (
            f"<p>{who} chủ trì cuộc họp, nêu mục đích, yêu cầu và nội dung của {meeting}.</p>"
        ),
    }


def _text_or_default(
    texts: dict[tuple[str, str], str], defaults: dict[tuple[str, str], str], key: tuple[str, str]
) -> str:
    return texts[key] if key in texts else defaults.get(key, "")


def _time(value: str | None) -> datetime | None:
    return datetime.fromisoformat(value) if value else None


def attendee(raw: dict[str, Any]) -> Attendee:
    fields = (f.name for f in dataclasses.fields(Attendee))
    return Attendee(**{k: raw.get(k, "") for k in fields})


def build_minutes(
    *,
    issuer: Issuer,
    number: DocumentNumber,
    facts: dict[str, Any],
    texts: dict[tuple[str, str], str],
    slots: list[dict[str, Any]],
    issued_on: date | None = None,
    correction: Correction | None = None,
    recipients: list[str] | tuple[str, ...] = MINUTES_RECIPIENTS,
) -> MinutesContent:
    """The biên bản from the log's facts (views/record_facts.py) and the texts per (part, field); an opening or
    closing part never saved prints its default (`default_texts`)."""
    chair = attendee(facts.get("chair") or {})  # not vocabulary: a field
    started_at = datetime.fromisoformat(facts["started_at"])
    defaults = default_texts(RECORD_MINUTES, chair, started_at, facts["title"])
    items = [
        ItemRecord(
            number=str(i + 1),
            title=item["title"],
            presenter=item.get("presenter", ""),
            papers=list(item.get("papers", [])),
            started_at=_time(item.get("started_at")),
            ended_at=_time(item.get("ended_at")),
            speeches=[
                Speech(
                    speaker=s["speaker"],
                    site=s.get("site", ""),  # not vocabulary: a field
                    started_at=datetime.fromisoformat(s["started_at"]),
                    seconds=int(s["seconds"]),
                )
                for s in item.get("speeches", [])
            ],
            votes=[VoteLine(**v) for v in item.get("votes", [])],
            discussion_html=texts.get((item["item_id"], RECORD_FIELD_DISCUSSION), ""),
            conclusion_html=texts.get((item["item_id"], RECORD_FIELD_CONCLUSION), ""),
        )
        for i, item in enumerate(facts.get("items", []))
    ]
    return MinutesContent(
        issuer=issuer,
        number=number,
        title=facts["title"],
        started_at=started_at,
        ended_at=_time(facts.get("ended_at")),
        place=facts.get("place", ""),
        chair=chair,
        secretary=attendee(facts.get("secretary") or {}),  # not vocabulary: a field
        host_site=facts.get("host_site", ""),
        sites_connected=list(facts.get("sites_connected", [])),
        present=[attendee(a) for a in facts.get("present", [])],
        absent=[attendee(a) for a in facts.get("absent", [])],
        late=[attendee(a) for a in facts.get("late", [])],  # not vocabulary: a field
        items=items,
        signers=[
            Signer(slot=s["slot"], title=s["title"], name=s["name"], authority=s.get("authority", "")) for s in slots
        ],
        issued_on=issued_on,
        correction=correction,
        recipients=list(recipients),
        opening_html=_text_or_default(texts, defaults, (RECORD_PART_OPENING, RECORD_FIELD_DISCUSSION)),
        closing_html=_text_or_default(texts, defaults, (RECORD_PART_CLOSING, RECORD_FIELD_DISCUSSION)),
    )


def build_conclusion(
    minutes: MinutesContent,
    number: DocumentNumber,
    slots: list[dict[str, Any]],
    texts: dict[tuple[str, str], str],
    recipients: list[str] | tuple[str, ...] = (),
) -> ConclusionContent:
    """The thông báo kết luận from the minutes' conclusions (each item's kết luận) and its signer's slot; its
    opening and closing never saved print their defaults (`default_texts`)."""
    signer = next(s for s in slots if s["slot"] == SLOT_SIGNER)
    defaults = default_texts(RECORD_CONCLUSION, minutes.chair, minutes.started_at, minutes.title)
    return ConclusionContent(
        issuer=minutes.issuer,
        number=number,
        issued_on=minutes.issued_on,
        summary=f"Kết luận của {minutes.chair.position or 'chủ tọa'} tại {minutes.title}",
        opening_html=_text_or_default(texts, defaults, (RECORD_PART_OPENING, RECORD_FIELD_CONCLUSION)),
        items=[i for i in minutes.items if i.conclusion_html],  # the minutes' conclusions, item by item
        signer=Signer(slot="signer", title=signer["title"], name=signer["name"], authority=signer.get("authority", "")),
        closing_html=_text_or_default(texts, defaults, (RECORD_PART_CLOSING, RECORD_FIELD_CONCLUSION)),
        recipients=list(recipients),
        correction=minutes.correction,
    )


# ---- content as JSON and back (what is frozen) ------------------------------------------------------------------


def to_json(value: Any) -> Any:
    """A content dataclass as plain JSON: datetimes and dates in ISO 8601."""
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: to_json(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, datetime | date):
        return value.isoformat()
    if isinstance(value, list | tuple):
        return [to_json(v) for v in value]
    if isinstance(value, dict):
        return {str(k): to_json(v) for k, v in value.items()}
    return value


T = TypeVar("T")


def _decode(kind: Any, raw: Any) -> Any:
    origin = get_origin(kind)
    if origin in (Union, types.UnionType):
        if raw is None:
            return None
        return _decode(next(a for a in get_args(kind) if a is not type(None)), raw)
    if origin is list:
        return [_decode(get_args(kind)[0], v) for v in raw]
    if origin is dict:
        return {k: _decode(get_args(kind)[1], v) for k, v in raw.items()}
    if kind is datetime:
        return datetime.fromisoformat(raw)
    if kind is date:
        return date.fromisoformat(raw)
    if dataclasses.is_dataclass(kind):
        return from_json(kind, raw)  # type: ignore[arg-type]
    return raw


def from_json(cls: type[T], raw: dict[str, Any]) -> T:
    """The dataclass `to_json` made (a field the JSON lacks keeps its default: older frozen content still reads)."""
    hints = get_type_hints(cls)
    names = {f.name for f in dataclasses.fields(cls)}  # type: ignore[arg-type]
    return cls(**{k: _decode(hints[k], v) for k, v in raw.items() if k in names})


def now_utc() -> datetime:
    return datetime.now(UTC)
