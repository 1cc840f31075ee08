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
from .nd30 import Block, Run, e, para

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


def item_blocks(item: ItemRecord) -> list[Block]:
    """An agenda item as the biên bản tells it: time, presenter, papers, speeches, votes, diễn biến, kết luận."""
    out = [para(Run(f"{item.number}. {item.title}", bold=True))]
    if item.started_at is not None:
        span = _hm(item.started_at) + (f" đến {_hm(item.ended_at)}" if item.ended_at is not None else "")
        out.append(para(f"- Thời gian: {span}."))
    if item.presenter.strip():
        out.append(para(f"- Trình bày: {item.presenter.strip()}."))
    if item.papers:
        out.append(para("- Tài liệu: " + "; ".join(p.strip() for p in item.papers) + "."))
    if item.speeches:
        out.append(para(f"- Phát biểu: {len(item.speeches)} lượt"))
    for s in item.speeches:
        local = s.started_at.astimezone(nd30.VIETNAM_TZ)
        where = f" (điểm cầu {s.site.strip()})" if s.site.strip() else ""
        length = _duration(s.seconds)
        out.append(para(f"+ {s.speaker}{where}, bắt đầu lúc {local:%H:%M}, thời lượng {length};", style="item"))
    out += [para(f"- Biểu quyết: {vote_text(v)}.") for v in item.votes]
    if item.discussion_html.strip():
        out += [para("- Diễn biến:"), Block("rich", html=item.discussion_html)]
    if item.conclusion_html.strip():
        out += [para("- ", Run("Kết luận:", bold=True)), Block("rich", html=item.conclusion_html)]
    return out


def _people(label: str, people: list[Attendee], note_label: str = "") -> list[Block]:
    if not people:
        return []
    out = [para(Run(f"{label} ({len(people)}):", italic=True))]
    for i, a in enumerate(people):
        note = f" ({note_label}{a.note.strip()})" if a.note.strip() else ""
        out.append(para(f"- {person(a)}{note}{'.' if i == len(people) - 1 else ';'}", style="item"))
    return out


def body_blocks(c: MinutesContent) -> list[Block]:
    """The biên bản below its header, up to (not including) the closing sentence."""
    out = [nd30.DRAFT_MARK] if c.number.number is None else []
    out += [Block("title", (Run("BIÊN BẢN"),)), Block("subject", (Run(c.title),))]
    if c.correction is not None:
        out.append(Block("note", (Run(correction_text(c.correction, "Biên bản số")),)))
    out.append(para(Run("Thời gian bắt đầu:", bold=True), f" {nd30.clock(c.started_at)}."))
    place = c.place.strip()
    if c.host_site.strip():
        place += f"; điểm cầu chính: {c.host_site.strip()}"
    if c.sites_connected:
        place += f"; kết nối trực tuyến đến {len(c.sites_connected)} điểm cầu: " + "; ".join(c.sites_connected)
    out.append(para(Run("Địa điểm:", bold=True), f" {place}."))
    out.append(para(Run("Thành phần tham dự:", bold=True)))
    out += _people("Có mặt", c.present) + _people("Vắng mặt", c.absent, "lý do: ") + _people("Đến muộn", c.late)
    out.append(para(Run("Chủ trì:", bold=True), f" {person(c.chair)}."))
    out.append(para(Run("Thư ký:", bold=True), f" {person(c.secretary)}."))
    if c.opening_html.strip():  # the secretary's opening part (who opened the meeting, its purpose)
        out.append(Block("rich", html=c.opening_html))
    if c.items:
        out.append(para(Run("Nội dung cuộc họp:", bold=True)))
        for item in c.items:
            out += item_blocks(item)
    if c.closing_html.strip():  # before the closing sentence the log gives
        out.append(Block("rich", html=c.closing_html))
    return out


def _body_html(c: MinutesContent) -> str:
    header = nd30.header_html(c.issuer.governing_body, c.issuer.issuing_body, c.number.text(), None)
    return header + nd30.blocks_html(body_blocks(c))


def closing_sentence(c: MinutesContent) -> str:
    if c.ended_at is None:
        return "Cuộc họp kết thúc vào … giờ … phút, ngày … tháng … năm …/."
    local = c.ended_at.astimezone(nd30.VIETNAM_TZ)
    month = f"{local.month:02d}" if local.month < 3 else str(local.month)
    return (
        f"Cuộc họp kết thúc vào {local:%H} giờ {local:%M} phút, ngày {local.day:02d} tháng {month} năm {local.year}/."
    )


def signers(c: MinutesContent) -> tuple[tuple[str, list[str], str], tuple[str, list[str], str]]:
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
    left, right = signers(c)
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
