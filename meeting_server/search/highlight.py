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


def snippet(body: str, phrase: list[str], folded: str | None = None, context: int = CONTEXT_TOKENS) -> str:
    """The marked snippet of `body` for the folded query tokens `phrase` (all of them, in order). `folded` is the
    body's folded tokens as the index keeps them (storage/search.folded_text): the phrase is found there with one
    string search instead of folding every word again."""
    text = unicodedata.normalize("NFC", body)
    spans = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
    n = len(phrase)
    start = _find(phrase, folded) if folded is not None else _find_slow(text, spans, phrase)
    if start is None or n == 0 or start + n > len(spans):
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


def _find(phrase: list[str], folded: str) -> int | None:
    """The token index where `phrase` first occurs in the space-separated folded tokens."""
    at = f" {folded} ".find(" " + " ".join(phrase) + " ")
    return None if at < 0 else folded.count(" ", 0, at)


def _find_slow(text: str, spans: list[tuple[int, int]], phrase: list[str]) -> int | None:
    words = [fold(text[a:b]) for a, b in spans]
    n = len(phrase)
    return next((i for i in range(len(words) - n + 1) if words[i : i + n] == phrase), None)


def _plain(part: str) -> str:
    return _SPACE.sub(" ", part)
