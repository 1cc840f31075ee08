"""Searching a paper's words the way Vietnamese readers type: diacritics optional, phrases across lines."""

from __future__ import annotations

from typing import Any

from meeting_server.documents.textfold import TextIndex, Word, fold, load_words, tokens, tone_key


def _line(text: str, y: float, line: int, x: float = 0.1, width: float = 0.05) -> list[Word]:
    words = []
    for word in text.split():
        words.append(Word(round(x, 4), y, round(x + width, 4), y + 0.02, word, line))
        x += width + 0.01
    return words


PAGE_1 = (
    _line("BIÊN BẢN HỌP", 0.1, 0)
    + _line("Ủy ban nhân dân huyện Sơn Dương họp bàn", 0.2, 1)
    + _line("về biên", 0.3, 2)
    + _line("bản dự thảo Nghị định 30/2020/NĐ-CP.", 0.35, 3)
)
PAGE_2 = _line("Uỷ ban nhân dân xã Hợp Thành bán đấu giá; bàn giao đất.", 0.5, 0)
INDEX = TextIndex([PAGE_1, PAGE_2])


def _texts(hits: list[dict[str, Any]]) -> list[tuple[int, str]]:
    return [(hit["page"], hit["snippet"]) for hit in hits]


def test_fold_drops_every_diacritic_and_case() -> None:
    assert fold("Biên bản họp Ủy ban nhân dân huyện Sơn Dương") == "bien ban hop uy ban nhan dan huyen son duong"
    assert fold("ĐẠI BIỂU đồng ý") == "dai bieu dong y"
    assert fold("Nghị định 30/2020/NĐ-CP") == "nghi dinh 30/2020/nd-cp"
    decomposed = "Bie\u0302\u0301n"  # NFD input, as some PDFs carry it
    assert fold(decomposed) == "bien"


def test_tone_key_ignores_where_the_tone_mark_sits() -> None:
    assert tone_key("Ủy") == tone_key("Uỷ") == ("uy", "\u0309")
    assert tone_key("hoà") == tone_key("hòa")
    assert tone_key("bản") != tone_key("bàn")
    assert tone_key("bản")[0] == tone_key("bàn")[0] == "ban"
    assert tone_key("Đường")[0] == "đương"
    assert tokens("30/2020/NĐ-CP.") == ["30", "2020", "NĐ", "CP"]


def test_search_without_diacritics_finds_every_spelling() -> None:
    hits = INDEX.search("bien ban")
    assert [h["page"] for h in hits] == [1, 1]
    assert hits[0]["snippet"].startswith("BIÊN BẢN HỌP")
    assert [h["page"] for h in INDEX.search("ban")] == [1, 1, 1, 1, 2, 2, 2]  # BẢN, ban, bàn, bản / ban, bán, bàn
    assert [h["page"] for h in INDEX.search("son duong")] == [1]
    assert [h["page"] for h in INDEX.search("dat")] == [2]  # đấu (prefix "dau" no), đất yes


def test_search_with_diacritics_is_exact_about_them() -> None:
    assert [h["page"] for h in INDEX.search("biên bản")] == [1, 1]
    assert _texts(INDEX.search("bàn")) == [
        (1, "… nhân dân huyện Sơn Dương họp bàn về biên bản dự thảo Nghị …"),
        (2, "… xã Hợp Thành bán đấu giá; bàn giao đất."),
    ]
    assert [h["page"] for h in INDEX.search("bán")] == [2]
    assert INDEX.search("biến bản") == []
    # old-style and new-style tone placement are the same word
    assert [h["page"] for h in INDEX.search("Ủy ban")] == [1, 2]
    assert [h["page"] for h in INDEX.search("uỷ ban")] == [1, 2]


def test_a_phrase_runs_across_lines_with_a_rectangle_per_line() -> None:
    hits = INDEX.search("bàn về biên bản dự thảo")
    assert len(hits) == 1
    rects = hits[0]["rects"]
    assert len(rects) == 3  # "bàn" / "về biên" / "bản dự thảo"
    assert rects[0][1] == 0.2 and rects[1][1] == 0.3 and rects[2][1] == 0.35
    first_line = rects[1]
    assert first_line[0] == 0.1 and first_line[2] == 0.21  # union of "về" and "biên"


def test_the_last_word_may_be_a_prefix_and_punctuation_does_not_matter() -> None:
    assert [h["page"] for h in INDEX.search("huyện Sơn Dư")] == [1]
    assert [h["page"] for h in INDEX.search("nghi dinh 30/2020/nd-cp")] == [1]
    assert [h["page"] for h in INDEX.search("NĐ-CP")] == [1]
    assert [h["page"] for h in INDEX.search("2020")] == [1]
    assert INDEX.search("uy ba nhan") == []  # only the last word is a prefix


def test_empty_queries_limits_and_no_page_crossing() -> None:
    assert INDEX.search("") == []
    assert INDEX.search("  ;.  ") == []
    assert len(INDEX.search("ban", limit=2)) == 2
    assert INDEX.search("bản uỷ") == []  # the last word of page 1 and the first of page 2 are not a phrase


def test_words_load_from_stored_arrays() -> None:
    pages = load_words([[[0.1, 0.2, 0.3, 0.25, "Biên", 0], [0.31, 0.2, 0.4, 0.25, "bản", 0]]])
    assert pages[0][1] == Word(0.31, 0.2, 0.4, 0.25, "bản", 0)
    assert TextIndex(pages).search("bien ban")[0]["rects"] == [[0.1, 0.2, 0.4, 0.25]]
