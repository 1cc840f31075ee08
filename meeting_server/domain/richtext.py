"""The secretary's rich text reduced to what the record keeps: the elements of `RICH_TEXT_TAGS`, no attributes.

Everything else is dropped (its text kept), except `script`/`style`/… whose content goes too; text is escaped, every
element closed. A text too long or nested too deep is refused whole (the text saved before stays as it was), with
a sentence that says why. Pure: the standard library's HTML tokenizer, no recursion (10 000 levels cost nothing).
"""

from __future__ import annotations

from html import escape
from html.parser import HTMLParser

from ..errors import AppError
from .record_content import RICH_TEXT_TAGS

MAX_HTML_CHARS = 200_000  # what the secretary sends for one field (about 60 printed pages)
MAX_DEPTH = 12  # elements inside one another: a list in a list in a paragraph … is far below
VOID_TAGS = frozenset({"br"})
SELF_CLOSING = frozenset({"li", "p"})  # a second one ends the first, as browsers read it
DROPPED_WITH_CONTENT = frozenset({"script", "style", "template", "iframe", "object", "noscript", "svg", "math"})


class Reducer(HTMLParser):
    """The one reduction of rich text to `RICH_TEXT_TAGS`: what is kept, what is dropped with its content, how
    elements close. How the kept parts are written is its hooks' (`start`, `void`, `begin`, `data`): here as the
    record stores them; `documents/nd30.py` writes them as a document prints them."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.out: list[str] = []
        self.open: list[str] = []
        self.hidden = 0  # inside a dropped-with-content element

    # ---- the hooks: how what is kept is written

    def start(self, tag: str) -> str:
        return f"<{tag}>"

    def void(self, tag: str) -> str:
        return f"<{tag}>"

    def begin(self, tag: str) -> None:
        """Before an element opens: "<li>1<li>2" (a second p or li) ends the first, as browsers read it."""
        if tag in SELF_CLOSING and self.open and self.open[-1] == tag:
            self.out.append(f"</{self.open.pop()}>")

    def data(self, data: str) -> None:
        self.out.append(escape(data, quote=False))

    # ---- the reduction

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in DROPPED_WITH_CONTENT:
            self.hidden += 1
            return
        if self.hidden or tag not in RICH_TEXT_TAGS:
            return
        if tag in VOID_TAGS:
            self.out.append(self.void(tag))
            return
        self.begin(tag)
        if len(self.open) >= MAX_DEPTH:
            raise too_deep()
        self.open.append(tag)
        self.out.append(self.start(tag))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if not self.hidden and tag in VOID_TAGS:
            self.out.append(self.void(tag))

    def handle_endtag(self, tag: str) -> None:
        if tag in DROPPED_WITH_CONTENT:
            self.hidden = max(0, self.hidden - 1)
            return
        if self.hidden or tag not in self.open:
            return
        while self.open:
            top = self.open.pop()
            self.out.append(f"</{top}>")
            if top == tag:
                break

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.data(data)

    def close_all(self) -> None:
        self.out.extend(f"</{tag}>" for tag in reversed(self.open))
        self.open.clear()

    def result(self) -> str:
        self.close()
        self.close_all()
        return "".join(self.out).strip()

    def reduce(self, html: str) -> str:
        self.feed(html)
        return self.result()


def too_deep() -> AppError:
    return AppError.invalid(
        f"Văn bản lồng nhau quá {MAX_DEPTH} tầng (danh sách trong danh sách …); nội dung chưa được lưu, "
        "bản đã lưu trước đó vẫn giữ nguyên.",
        f"The text is nested more than {MAX_DEPTH} levels deep (lists within lists …); it was not saved, the text "
        "saved before is kept.",
    )


def sanitize(html: str) -> str:
    """`html` reduced to `RICH_TEXT_TAGS` without attributes; AppError(invalid_input) when too long or too deep."""
    if len(html) > MAX_HTML_CHARS:
        raise AppError.invalid(
            f"Văn bản dài {len(html):,} ký tự, quá giới hạn {MAX_HTML_CHARS:,} ký tự cho một mục; nội dung chưa "
            "được lưu, bản đã lưu trước đó vẫn giữ nguyên. Hãy chia thành nhiều mục.".replace(",", "."),
            f"The text is {len(html):,} characters long, over the limit of {MAX_HTML_CHARS:,} for one field; it "
            "was not saved, the text saved before is kept. Split it over several items.",
        )
    return Reducer().reduce(html)
