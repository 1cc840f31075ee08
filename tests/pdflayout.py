"""Reading a rendered document back with pdfplumber (not pymupdf, which wrote it) to check its layout: lines of
text with their font, size and position; the rules drawn; the text through poppler's pdftotext."""

from __future__ import annotations

import io
import subprocess
from dataclasses import dataclass
from typing import Any

import pdfplumber

MM = 72 / 25.4


@dataclass(frozen=True)
class Line:
    page: int
    text: str
    x0: float
    x1: float
    top: float
    bottom: float
    size: float
    fonts: frozenset[str]

    @property
    def bold(self) -> bool:
        return all("Bold" in f for f in self.fonts)

    @property
    def italic(self) -> bool:
        return all("Italic" in f for f in self.fonts)

    @property
    def centre(self) -> float:
        return (self.x0 + self.x1) / 2


@dataclass(frozen=True)
class Layout:
    width: float
    height: float
    pages: int
    lines: list[Line]
    rules: list[tuple[int, float, float, float]]  # page, x0, x1, top
    chars: list[tuple[int, float, float, float, float]]  # page, x0, x1, top, bottom

    def find(self, text: str, page: int | None = None) -> Line:
        found = [ln for ln in self.lines if text in ln.text and (page is None or ln.page == page)]
        assert found, f"{text!r} not printed; lines: {[ln.text for ln in self.lines][:60]}"
        return found[0]

    def all(self, text: str) -> list[Line]:
        return [ln for ln in self.lines if text in ln.text]


def read(pdf: bytes) -> Layout:
    lines: list[Line] = []
    rules: list[tuple[int, float, float, float]] = []
    chars: list[tuple[int, float, float, float, float]] = []
    with pdfplumber.open(io.BytesIO(pdf)) as doc:
        first = doc.pages[0]
        for n, page in enumerate(doc.pages):
            words: list[dict[str, Any]] = page.extract_words(
                extra_attrs=["fontname", "size"], keep_blank_chars=False, use_text_flow=True, x_tolerance=2
            )
            rows: dict[tuple[float, float], list[dict[str, Any]]] = {}
            for w in words:  # words of one line: same baseline, same size, close together
                key = (round(w["bottom"]), round(w["size"]))
                rows.setdefault(key, []).append(w)
            for (_, _), ws in sorted(rows.items()):
                ws.sort(key=lambda w: w["x0"])
                groups: list[list[dict[str, Any]]] = [[ws[0]]]
                for w in ws[1:]:
                    if w["x0"] - groups[-1][-1]["x1"] > 20:  # another column
                        groups.append([w])
                    else:
                        groups[-1].append(w)
                for g in groups:
                    lines.append(
                        Line(
                            n,
                            " ".join(w["text"] for w in g),
                            min(w["x0"] for w in g),
                            max(w["x1"] for w in g),
                            min(w["top"] for w in g),
                            max(w["bottom"] for w in g),
                            round(g[0]["size"], 1),
                            frozenset(w["fontname"].split("+")[-1] for w in g),
                        )
                    )
            rules += [(n, r["x0"], r["x1"], r["top"]) for r in page.rects + page.lines if r["x1"] - r["x0"] > 5]
            chars += [(n, c["x0"], c["x1"], c["top"], c["bottom"]) for c in page.chars if c["text"].strip()]
        lines.sort(key=lambda ln: (ln.page, ln.top, ln.x0))
        return Layout(float(first.width), float(first.height), len(doc.pages), lines, rules, chars)


def pdftotext(pdf: bytes) -> str:
    out = subprocess.run(["pdftotext", "-enc", "UTF-8", "-", "-"], input=pdf, capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def flat(text: str) -> str:
    return " ".join(text.split())
