"""The thông báo kết luận (Nghị định 30/2020, Phụ lục III, Mẫu 1.4) as a PDF: the shared header with the place/date
line, THÔNG BÁO and the trích yếu ("Kết luận của …"), the opening, each item's conclusion, the closing sentence,
then "Nơi nhận" on the left and the signer on the right ("TL. CHỦ TỊCH" / "KT. CHỦ TỊCH", the title, the name),
whose box the organisation's seal overlaps. A draft (no number yet) says DỰ THẢO. CPU-heavy: run it via
``DocumentWorkers``.
"""

from __future__ import annotations

from ..domain.record_content import ConclusionContent, RenderedRecord
from ..vocabulary import SLOT_SIGNER
from . import nd30
from .minutes_pdf import correction_text
from .nd30 import e


def _body_html(c: ConclusionContent) -> str:
    dated = (
        nd30.date_line(c.issuer.place, c.issued_on)
        if c.issued_on is not None
        else f"{c.issuer.place}, ngày … tháng … năm …"
    )
    parts = [nd30.header_html(c.issuer.governing_body, c.issuer.issuing_body, c.number.text(), dated)]
    if c.number.number is None:
        parts.append('<p class="draft" style="margin-top:10pt">DỰ THẢO</p>')
    parts.append('<p class="title">THÔNG BÁO</p>')
    parts.append(f'<p class="subject">{e(c.summary)}</p>')
    if c.correction is not None:
        parts.append(f'<p class="c"><i>{e(correction_text(c.correction, "Thông báo số"))}</i></p>')
    parts.append('<div style="height:8pt"></div>')
    parts.append(nd30.rich(c.opening_html))
    for item in c.items:
        parts.append(f'<p class="para"><b>{e(item.number)}. {e(item.title)}</b></p>')
        parts.append(nd30.rich(item.conclusion_html))
    return "".join(parts)


def _closing_html(c: ConclusionContent) -> str:
    lines = [x for x in (c.signer.authority.strip(), c.signer.title.strip()) if x]
    closing = nd30.rich(c.closing_html) if c.closing_html.strip() else ""
    return f"""
{closing}
<div style="height:10pt"></div>
<table style="width:{nd30.CONTENT.width}pt"><tr>
<td style="width:{nd30.LEFT_W}pt">{nd30.recipients_html(c.recipients, c.archive_line)}</td>
<td style="width:{nd30.RIGHT_W}pt">{nd30.signature_block_html(SLOT_SIGNER, lines, c.signer.name)}</td>
</tr></table>
"""


def render_conclusion(content: ConclusionContent) -> RenderedRecord:
    """The thông báo's PDF and the boxes for the signer and (when it is sealed) the seal."""
    pdf, boxes = nd30.render(
        _body_html(content),
        _closing_html(content),
        {"title": f"Thông báo - {content.summary}", "author": content.issuer.issuing_body},
        [SLOT_SIGNER],
        seal_in=SLOT_SIGNER if content.sealed else None,
    )
    return RenderedRecord(pdf=pdf, boxes=boxes)
