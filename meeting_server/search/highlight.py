"""Snippets with the query's words marked: the text around the first place the query's phrase occurs, HTML-escaped
except for the `<mark>` elements around the words that matched (with or without diacritics: documents/textfold)."""

from __future__ import annotations

import html
import re
import unicodedata
from itertools import islice

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
    n = len(phrase)
    if folded is not None:  # only the words around the hit are located in the body (a page has hundreds)
        start, count = _find(phrase, folded), folded.count(" ") + 1 if folded else 0
    else:
        spans = [(m.start(), m.end()) for m in _TOKEN.finditer(text)]
        start, count = _find_slow(text, spans, phrase), len(spans)
    if start is None or n == 0 or start + n > count:
        return _plain_start(text)
    lo = max(0, start - context)
    hi = min(count, start + n + context)
    window = [(m.start(), m.end()) for m in islice(_TOKEN.finditer(text), lo, hi)]
    if len(window) < hi - lo:  # the body's words are not the folded ones: no place to mark
        return _plain_start(text)
    first, last = window[start - lo], window[start - lo + n - 1]
    before = _plain(text[window[0][0] : first[0]])
    hit = _plain(text[first[0] : last[1]])
    after = _plain(text[last[1] : window[-1][1]])
    lead = "… " if lo > 0 else ""
    tail = " …" if hi < count else ""
    return f"{lead}{html.escape(before)}<mark>{html.escape(hit)}</mark>{html.escape(after)}{tail}"


def _plain_start(text: str) -> str:
    plain = " ".join(text.split())
    return html.escape(plain[:MAX_PLAIN]) + ("…" if len(plain) > MAX_PLAIN else "")


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
