"""Snippets with the query's words marked: the text around the first place the query's phrase occurs, HTML-escaped
except for the `<mark>` elements around the words that matched (with or without diacritics: documents/textfold)."""

from __future__ import annotations

import html
import re
import unicodedata

from ..documents.textfold import fold

_TOKEN = re.compile(r"[^\W_]+")
_SPACE = re.compile(r"\s+")
CONTEXT_TOKENS = 12  # words shown on each side of the hit
MAX_PLAIN = 240  # characters of a snippet with no hit to mark (a title match)


def snippet(body: str, phrase: list[str], context: int = CONTEXT_TOKENS) -> str:
    """The marked snippet of `body` for the folded query tokens `phrase` (all of them, in order)."""
    text = unicodedata.normalize("NFC", body)
    spans = [(m.start(), m.end(), fold(m.group())) for m in _TOKEN.finditer(text)]
    n = len(phrase)
    start = next(
        (i for i in range(len(spans) - n + 1) if all(spans[i + k][2] == phrase[k] for k in range(n))),
        None,
    )
    if start is None or n == 0:
        plain = " ".join(text.split())
        return html.escape(plain[:MAX_PLAIN]) + ("…" if len(plain) > MAX_PLAIN else "")
    lo = max(0, start - context)
    hi = min(len(spans), start + n + context)
    before = _plain(text[spans[lo][0] : spans[start][0]])
    hit = _plain(text[spans[start][0] : spans[start + n - 1][1]])
    after = _plain(text[spans[start + n - 1][1] : spans[hi - 1][1]])
    lead = "… " if lo > 0 else ""
    tail = " …" if hi < len(spans) else ""
    return f"{lead}{html.escape(before)}<mark>{html.escape(hit)}</mark>{html.escape(after)}{tail}"


def _plain(part: str) -> str:
    return _SPACE.sub(" ", part)
