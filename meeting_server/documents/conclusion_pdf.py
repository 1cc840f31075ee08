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
from .nd30 import Block, Run, para


def date_text(c: ConclusionContent) -> str:
    if c.issued_on is None:
        return f"{c.issuer.place}, ngày … tháng … năm …"
    return nd30.date_line(c.issuer.place, c.issued_on)


def body_blocks(c: ConclusionContent) -> list[Block]:
    """The thông báo below its header, up to (not including) the closing sentence."""
    out = [nd30.DRAFT_MARK] if c.number.number is None else []
    out += [Block("title", (Run("THÔNG BÁO"),)), Block("subject", (Run(c.summary),))]
    if c.correction is not None:
        out.append(Block("note", (Run(correction_text(c.correction, "Thông báo số")),)))
    out.append(Block("rich", html=c.opening_html))
    for item in c.items:
        out += [para(Run(f"{item.number}. {item.title}", bold=True)), Block("rich", html=item.conclusion_html)]
    return out


def signer_lines(c: ConclusionContent) -> list[str]:
    return [x for x in (c.signer.authority.strip(), c.signer.title.strip()) if x]


def _body_html(c: ConclusionContent) -> str:
    header = nd30.header_html(c.issuer.governing_body, c.issuer.issuing_body, c.number.text(), date_text(c))
    return header + nd30.blocks_html(body_blocks(c))


def _closing_html(c: ConclusionContent) -> str:
    lines = signer_lines(c)
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
