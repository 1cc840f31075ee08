"""The biên bản cuộc họp (Nghị định 30/2020, Phụ lục III, Mẫu 1.9) as a PDF: the shared header (no place/date
line: the form dates the meeting in its body), BIÊN BẢN and the trích yếu, then thời gian bắt đầu, địa điểm,
thành phần tham dự, chủ trì, thư ký, each agenda item (time, presenter, papers, speeches, votes, diễn biến, kết
luận), the closing "Cuộc họp kết thúc vào …", THƯ KÝ left and CHỦ TỌA right, "Nơi nhận". A draft (no number yet)
says DỰ THẢO. CPU-heavy: run it via ``DocumentWorkers``.
"""

from __future__ import annotations

from datetime import datetime

from ..domain.record_content import Attendee, Correction, ItemRecord, MinutesContent, RenderedRecord, VoteLine
from ..vocabulary import SLOT_CHAIR, SLOT_SECRETARY, SignatureSlot
from . import nd30
from .nd30 import e

VOTE_LABELS = (("yes", "tán thành"), ("no", "không tán thành"), ("abstain", "không biểu quyết"))


def _hm(moment: datetime) -> str:
    local = moment.astimezone(nd30.VIETNAM_TZ)
    return f"{local:%H} giờ {local:%M} phút"


def _duration(seconds: int) -> str:
    minutes, secs = divmod(max(0, int(seconds)), 60)
    return f"{minutes} phút {secs:02d} giây" if minutes else f"{secs} giây"


def person(a: Attendee) -> str:
    """ "Nguyễn Văn A, Phó Chủ tịch UBND tỉnh (Xã Tân Trào)" — no academic titles, as the decree wants."""
    text = ", ".join(x for x in (a.name.strip(), a.position.strip(), a.unit.strip()) if x)
    return text + (f" (điểm cầu {a.site.strip()})" if a.site.strip() else "")


def vote_text(v: VoteLine) -> str:
    """ "Bỏ phiếu kín: tán thành 12/15, không tán thành 2/15, …; kết quả: Thông qua (quá nửa …)"."""
    how = "bỏ phiếu kín" if v.secret else "biểu quyết công khai"
    counts = ", ".join(f"{label} {v.counts.get(key, 0)}/{v.members}" for key, label in VOTE_LABELS)
    missing = v.counts.get("not_voted", 0)
    if missing:
        counts += f", không tham gia biểu quyết {missing}/{v.members}"
    rule = f" ({v.rule})" if v.rule.strip() else ""
    return f"{v.question.strip()} ({how}): {counts}; kết quả: {v.outcome}{rule}"


def correction_text(c: Correction, kind_name: str) -> str:
    why = f" ({c.reason.strip()})" if c.reason.strip() else ""
    return f"Thay thế {kind_name} {c.replaces.text()[4:]} ngày {c.replaces_issued_on:%d/%m/%Y}{why}"


def _item_html(item: ItemRecord) -> str:
    parts = [f'<p class="para"><b>{e(item.number)}. {e(item.title)}</b></p>']

    def line(label: str, text: str) -> None:
        parts.append(f'<p class="para">- {label}: {text}</p>')

    if item.started_at is not None:
        span = _hm(item.started_at) + (f" đến {_hm(item.ended_at)}" if item.ended_at is not None else "")
        line("Thời gian", e(span) + ".")
    if item.presenter.strip():
        line("Trình bày", e(item.presenter) + ".")
    if item.papers:
        line("Tài liệu", "; ".join(e(p) for p in item.papers) + ".")
    if item.speeches:
        line("Phát biểu", f"{len(item.speeches)} lượt")
        for s in item.speeches:
            local = s.started_at.astimezone(nd30.VIETNAM_TZ)
            where = f" (điểm cầu {e(s.site)})" if s.site.strip() else ""
            length = _duration(s.seconds)
            parts.append(
                f'<p class="item">+ {e(s.speaker)}{where}, bắt đầu lúc {local:%H:%M}, thời lượng {length};</p>'
            )
    for v in item.votes:
        line("Biểu quyết", e(vote_text(v)) + ".")
    if item.discussion_html.strip():
        parts.append('<p class="para">- Diễn biến:</p>' + nd30.rich(item.discussion_html))
    if item.conclusion_html.strip():
        parts.append('<p class="para">- <b>Kết luận:</b></p>' + nd30.rich(item.conclusion_html))
    return "".join(parts)


def _people(label: str, people: list[Attendee], note_label: str = "") -> str:
    if not people:
        return ""
    rows = []
    for i, a in enumerate(people):
        note = f" ({note_label}{a.note.strip()})" if a.note.strip() else ""
        end = "." if i == len(people) - 1 else ";"
        rows.append(f'<p class="item">- {e(person(a))}{e(note)}{end}</p>')
    return f'<p class="para"><i>{label} ({len(people)}):</i></p>' + "".join(rows)


def _body_html(c: MinutesContent) -> str:
    parts = [nd30.header_html(c.issuer.governing_body, c.issuer.issuing_body, c.number.text(), None)]
    if c.number.number is None:
        parts.append('<p class="draft" style="margin-top:10pt">DỰ THẢO</p>')
    parts.append('<p class="title">BIÊN BẢN</p>')
    parts.append(f'<p class="subject">{e(c.title)}</p>')
    if c.correction is not None:
        parts.append(f'<p class="c"><i>{e(correction_text(c.correction, "Biên bản số"))}</i></p>')
    parts.append('<div style="height:8pt"></div>')
    parts.append(f'<p class="para"><b>Thời gian bắt đầu:</b> {e(nd30.clock(c.started_at))}.</p>')
    place = e(c.place)
    if c.host_site.strip():
        place += f"; điểm cầu chính: {e(c.host_site)}"
    if c.sites_connected:
        place += f"; kết nối trực tuyến đến {len(c.sites_connected)} điểm cầu: " + "; ".join(
            e(s) for s in c.sites_connected
        )
    parts.append(f'<p class="para"><b>Địa điểm:</b> {place}.</p>')
    parts.append('<p class="para"><b>Thành phần tham dự:</b></p>')
    parts.append(_people("Có mặt", c.present))
    parts.append(_people("Vắng mặt", c.absent, "lý do: "))
    parts.append(_people("Đến muộn", c.late))
    parts.append(f'<p class="para"><b>Chủ trì:</b> {e(person(c.chair))}.</p>')
    parts.append(f'<p class="para"><b>Thư ký:</b> {e(person(c.secretary))}.</p>')
    if c.items:
        parts.append('<p class="para"><b>Nội dung cuộc họp:</b></p>')
        parts.extend(_item_html(item) for item in c.items)
    return "".join(parts)


def closing_sentence(c: MinutesContent) -> str:
    if c.ended_at is None:
        return "Cuộc họp kết thúc vào … giờ … phút, ngày … tháng … năm …/."
    local = c.ended_at.astimezone(nd30.VIETNAM_TZ)
    month = f"{local.month:02d}" if local.month < 3 else str(local.month)
    return (
        f"Cuộc họp kết thúc vào {local:%H} giờ {local:%M} phút, ngày {local.day:02d} tháng {month} năm {local.year}/."
    )


def _signers(c: MinutesContent) -> tuple[tuple[str, list[str], str], tuple[str, list[str], str]]:
    by_slot = {s.slot: s for s in c.signers}

    def block(slot: SignatureSlot, default_title: str, fallback: Attendee) -> tuple[str, list[str], str]:
        s = by_slot.get(slot)
        if s is None:
            return slot, [default_title], fallback.name
        lines = [x for x in (s.authority.strip(), s.title.strip() or default_title) if x]
        return slot, lines, s.name

    return block(SLOT_SECRETARY, "THƯ KÝ", c.secretary), block(SLOT_CHAIR, "CHỦ TỌA", c.chair)


def _closing_html(c: MinutesContent) -> str:
    half = nd30.CONTENT.width / 2
    left, right = _signers(c)
    return f"""
<p class="para">{e(closing_sentence(c))}</p>
<div style="height:10pt"></div>
<table style="width:{nd30.CONTENT.width}pt"><tr>
<td style="width:{half}pt">{nd30.signature_block_html(*left)}</td>
<td style="width:{half}pt">{nd30.signature_block_html(*right)}</td>
</tr></table>
<div style="height:14pt"></div>
{nd30.recipients_html(c.recipients, c.archive_line)}
"""


def render_minutes(content: MinutesContent) -> RenderedRecord:
    """The biên bản's PDF and the boxes where the secretary and the chair sign."""
    pdf, boxes = nd30.render(
        _body_html(content),
        _closing_html(content),
        {"title": f"Biên bản - {content.title}", "author": content.issuer.issuing_body},
        [SLOT_SECRETARY, SLOT_CHAIR],
    )
    return RenderedRecord(pdf=pdf, boxes=boxes)
