"""Writing a PDF the same way in every document: a Story flowed over as many pages as it needs, and the finishing
every document gets (its title, the Vietnamese fonts cut to the glyphs used, compressed). CPU-heavy: callers run
in the document workers."""

from __future__ import annotations

import io

import pymupdf


def flow(story: pymupdf.Story, page: pymupdf.Rect, body: pymupdf.Rect) -> bytes:
    """The story placed page after page into `body` of pages sized `page`, until it is all placed."""
    buf = io.BytesIO()
    writer = pymupdf.DocumentWriter(buf)
    more = True
    while more:
        device = writer.begin_page(page)
        more, _ = story.place(body)
        story.draw(device)
        writer.end_page()
    writer.close()
    return buf.getvalue()


def finish(doc: pymupdf.Document, metadata: dict[str, str]) -> bytes:
    """The document's bytes as we hand them out: its metadata (creator "meeting"), fonts subset (embedded whole,
    the four Vietnamese faces weigh over 1 MB), unused objects dropped and streams compressed."""
    doc.set_metadata({**metadata, "creator": "meeting"})
    doc.subset_fonts()
    return doc.tobytes(garbage=3, deflate=True)


def finished(raw: bytes, metadata: dict[str, str]) -> bytes:
    """`finish` for a PDF still in bytes (what a DocumentWriter wrote)."""
    with pymupdf.open("pdf", raw) as doc:
        return finish(doc, metadata)
