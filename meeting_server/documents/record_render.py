"""The record's documents rendered from their content as JSON (a draft's now, or the frozen content of an approved
one): runs in a document worker (top-level and picklable), never on the event loop."""

from __future__ import annotations

from typing import Any

from ..domain.record import from_json
from ..domain.record_content import ConclusionContent, MinutesContent, RenderedRecord
from ..vocabulary import RECORD_CONCLUSION


def render_record(kind: str, content: dict[str, Any]) -> RenderedRecord:
    """The PDF and signature boxes of a biên bản or thông báo kết luận (a draft, without a number, says DỰ THẢO)."""
    from .conclusion_pdf import render_conclusion
    from .minutes_pdf import render_minutes

    if kind == RECORD_CONCLUSION:
        return render_conclusion(from_json(ConclusionContent, content))
    return render_minutes(from_json(MinutesContent, content))


def render_record_docx(kind: str, content: dict[str, Any]) -> bytes:
    """The same document as an editable .docx (offices finish documents in Word; the PDF is the record)."""
    from .record_docx import conclusion_docx, minutes_docx

    if kind == RECORD_CONCLUSION:
        return conclusion_docx(from_json(ConclusionContent, content))
    return minutes_docx(from_json(MinutesContent, content))
