"""Search in a paper's words, the way Vietnamese readers type: with or without diacritics.

Pure functions over the words stored in ``text.json`` (``[x0, y0, x1, y1, text, line]`` per word, boxes 0..1 of
the displayed page). The rules:

- Text is split into tokens: runs of letters and digits (``30/2020/NĐ-CP`` is ``30 2020 nđ cp``), so
  punctuation never stops a match and a phrase may run across lines.
- A query token typed **without** diacritics matches any diacritics: ``bien ban`` finds ``biên bản`` and
  ``Biến bán``; ``Đ/đ`` counts as ``d``.
- A query token typed **with** diacritics must have the same letters and tone: ``bản`` finds ``Bản`` but not
  ``bàn``. The tone may sit on either vowel (old style ``Uỷ`` and new style ``Ủy`` are the same word).
- Tokens match whole tokens, except the query's last one, which may be a prefix (``biên b`` finds
  ``biên bản``), so a search box can search as the reader types.

A hit is ``{"page": n (1-based), "rects": [[x0, y0, x1, y1], ...], "snippet": "..."}``: one rectangle per
text line the hit covers, in the page's 0..1 coordinates.
"""

from __future__ import annotations

import re
import sys
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from functools import cache
from typing import Any, NamedTuple

_TOKEN = re.compile(r"[^\W_]+")
_TONE_MARKS = frozenset("\u0300\u0301\u0303\u0309\u0323")  # huyền, sắc, ngã, hỏi, nặng
SNIPPET_WORDS = 6  # words of context on each side of a hit
DEFAULT_LIMIT = 200


class Word(NamedTuple):
    """One word of a page as stored: its box on the displayed page (0..1, y down) and its text line."""

    x0: float
    y0: float
    x1: float
    y1: float
    text: str
    line: int


@cache
def _combining() -> dict[int, None]:
    """Every combining character, for str.translate to drop them in one pass (the search indexer folds every
    page); made on first use (~0.1 s), not on import."""
    return {c: None for c in range(sys.maxunicode + 1) if unicodedata.combining(chr(c))}


def fold(text: str) -> str:
    """Lower case without any diacritics: ``Biên Bản Đ`` -> ``bien ban d``."""
    bare = unicodedata.normalize("NFD", text).translate(_combining())
    return bare.replace("đ", "d").replace("Đ", "d").casefold()


def tone_key(token: str) -> tuple[str, str]:
    """``(letters, tone)``: the lower-case token with its tone mark lifted off, and that tone mark.

    ``Ủy`` and ``Uỷ`` give the same key; ``bản`` and ``bàn`` do not. Letters keep their other marks (â, ơ, đ).
    """
    decomposed = unicodedata.normalize("NFD", unicodedata.normalize("NFC", token).casefold())
    tones = "".join(sorted(ch for ch in decomposed if ch in _TONE_MARKS))
    letters = unicodedata.normalize("NFC", "".join(ch for ch in decomposed if ch not in _TONE_MARKS))
    return letters, tones


def tokens(text: str) -> list[str]:
    """The letter-and-digit runs of ``text`` (NFC first, so precomposed Vietnamese letters stay whole)."""
    return _TOKEN.findall(unicodedata.normalize("NFC", text))


def has_diacritics(token: str) -> bool:
    return fold(token) != unicodedata.normalize("NFC", token).casefold()


@dataclass(frozen=True)
class _QueryToken:
    folded: str
    letters: str  # tone_key's letters, used only when exact
    tone: str
    exact: bool


def _query(query: str) -> list[_QueryToken]:
    out = []
    for token in tokens(query):
        letters, tone = tone_key(token)
        out.append(_QueryToken(fold(token), letters, tone, has_diacritics(token)))
    return out


@dataclass
class TextIndex:
    """Tokens of every page in reading order, built once per paper and searched many times."""

    pages: Sequence[Sequence[Word]]
    _page: list[int] = field(default_factory=list, repr=False)  # per token: page index
    _word: list[int] = field(default_factory=list, repr=False)  # per token: word index in its page
    _folded: list[str] = field(default_factory=list, repr=False)
    _keys: list[tuple[str, str]] = field(default_factory=list, repr=False)
    _by_folded: dict[str, list[int]] = field(default_factory=dict, repr=False)

    def __post_init__(self) -> None:
        for page_index, words in enumerate(self.pages):
            for word_index, word in enumerate(words):
                for token in tokens(word.text):
                    position = len(self._folded)
                    folded = fold(token)
                    self._page.append(page_index)
                    self._word.append(word_index)
                    self._folded.append(folded)
                    self._keys.append(tone_key(token))
                    self._by_folded.setdefault(folded, []).append(position)

    def _matches(self, position: int, token: _QueryToken, prefix: bool) -> bool:
        folded = self._folded[position]
        if not (folded.startswith(token.folded) if prefix else folded == token.folded):
            return False
        if not token.exact:
            return True
        letters, tone = self._keys[position]
        if prefix:
            return letters.startswith(token.letters) and (not token.tone or tone == token.tone)
        return letters == token.letters and tone == token.tone

    def _starts(self, first: _QueryToken, prefix: bool) -> list[int]:
        if not prefix:
            return self._by_folded.get(first.folded, [])
        found: list[int] = []
        for key, positions in self._by_folded.items():
            if key.startswith(first.folded):
                found.extend(positions)
        found.sort()
        return found

    def search(self, query: str, limit: int = DEFAULT_LIMIT) -> list[dict[str, Any]]:
        """Hits for ``query`` in reading order (page by page), at most ``limit``; none for an empty query."""
        wanted = _query(query)
        if not wanted:
            return []
        last = len(wanted) - 1
        hits: list[dict[str, Any]] = []
        next_free = 0  # matches do not overlap
        for start in self._starts(wanted[0], prefix=last == 0):
            end = start + last
            if start < next_free or end >= len(self._folded) or self._page[end] != self._page[start]:
                continue
            if all(self._matches(start + i, token, prefix=i == last) for i, token in enumerate(wanted)):
                hits.append(self._hit(start, end))
                next_free = end + 1
                if len(hits) >= limit:
                    break
        return hits

    def _hit(self, start: int, end: int) -> dict[str, Any]:
        page_index = self._page[start]
        words = self.pages[page_index]
        first, last = self._word[start], self._word[end]
        rects: list[list[float]] = []
        line = None
        for word in words[first : last + 1]:
            if rects and word.line == line:
                box = rects[-1]
                box[0], box[1] = min(box[0], word.x0), min(box[1], word.y0)
                box[2], box[3] = max(box[2], word.x1), max(box[3], word.y1)
            else:
                rects.append([word.x0, word.y0, word.x1, word.y1])
                line = word.line
        return {"page": page_index + 1, "rects": rects, "snippet": snippet(words, first, last)}


def snippet(words: Sequence[Word], first: int, last: int, context: int = SNIPPET_WORDS) -> str:
    """The hit's words with some context around them, "…" marking where the page's text goes on."""
    lo, hi = max(0, first - context), min(len(words), last + 1 + context)
    text = " ".join(word.text for word in words[lo:hi])
    return ("… " if lo > 0 else "") + text + (" …" if hi < len(words) else "")


def load_words(pages: Iterable[Iterable[Sequence[Any]]]) -> list[list[Word]]:
    """``text.json``'s page arrays as :class:`Word` tuples."""
    return [
        [Word(float(w[0]), float(w[1]), float(w[2]), float(w[3]), str(w[4]), int(w[5])) for w in page] for page in pages
    ]
