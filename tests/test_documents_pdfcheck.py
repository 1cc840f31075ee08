"""The worker-side checks of meeting papers, called directly (no pool): what a paper is, where its words are,
how its pages render. Every figure is compared with poppler (pdfinfo, pdftotext) or pymupdf's own search
on the displayed page, and with the pixels of the rendered image."""

from __future__ import annotations

import json
import pickle
import re
import subprocess
from pathlib import Path
from typing import Any

import pymupdf
import pytest
from PIL import Image

from meeting_server.documents import pdfcheck
from meeting_server.documents.pdfcheck import PaperRejected
from tests import paper_samples as samples

LIMITS = {"max_pages": 2000, "max_page_side": 8640.0, "max_image_pixels": 1 << 29}
SETTINGS = {"max_pixels": 12_000_000, "quality": 80, "method": 0, "thumb_width": 200, "thumb_quality": 70}


@pytest.fixture(scope="module")
def paper_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("pdfcheck") / "upload"
    path.write_bytes(samples.paper())
    return path


def _write(tmp_path: Path, data: bytes, name: str = "upload") -> str:
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def _pdfinfo(path: Path | str, pages: int) -> dict[str, Any]:
    out = subprocess.run(["pdfinfo", "-f", "1", "-l", str(pages), str(path)], capture_output=True, text=True,
                         check=True).stdout  # fmt: skip
    sizes = [(float(w), float(h)) for w, h in re.findall(r"^Page +\d+ size: +([\d.]+) x ([\d.]+) pts", out, re.M)]
    rotations = [int(r) for r in re.findall(r"^Page +\d+ rot: +(\d+)", out, re.M)]
    pages_line = re.search(r"^Pages: +(\d+)", out, re.M)
    assert pages_line is not None, out
    return {"pages": int(pages_line.group(1)), "sizes": sizes, "rotations": rotations}


def _displayed(page: pymupdf.Page, rect: pymupdf.Rect) -> list[float]:
    """A rectangle from MuPDF's unrotated page space, on the displayed page, 0..1."""
    box = rect * page.rotation_matrix
    return [box.x0 / page.rect.width, box.y0 / page.rect.height, box.x1 / page.rect.width, box.y1 / page.rect.height]


def _union(rects: list[pymupdf.Rect]) -> pymupdf.Rect:
    out = pymupdf.Rect(rects[0])
    for rect in rects[1:]:
        out |= rect
    return out


def test_sniff_judges_by_content_not_by_name() -> None:
    assert pdfcheck.sniff(b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n")
    assert pdfcheck.sniff(b"\xef\xbb\xbf junk from a mail gateway\r\n%PDF-1.4\n")  # within the first KiB
    assert not pdfcheck.sniff(b" " * 1024 + b"%PDF-1.4")
    assert not pdfcheck.sniff(samples.text_file())
    assert not pdfcheck.sniff(b"")


def test_inspection_agrees_with_pdfinfo(paper_path: Path) -> None:
    meta = pdfcheck.inspect_pdf(str(paper_path), LIMITS)
    poppler = _pdfinfo(paper_path, len(samples.PAGES))
    assert meta["page_count"] == poppler["pages"] == len(samples.PAGES)
    assert [p["rotation"] for p in meta["pages"]] == poppler["rotations"] == [r for *_, r in samples.PAGES]
    for page, (width, height), rotation in zip(meta["pages"], poppler["sizes"], poppler["rotations"], strict=True):
        if rotation in (90, 270):  # pdfinfo gives the unrotated crop box; we give the page as displayed
            width, height = height, width
        assert page["width"] == pytest.approx(width, abs=0.01)
        assert page["height"] == pytest.approx(height, abs=0.01)
    assert meta["pages"][3]["width"] > meta["pages"][3]["height"]  # landscape A4
    assert meta["pages"][4]["width"] == pytest.approx(841.89)  # A4 turned by 90° is displayed landscape
    assert meta["title"] == "Báo cáo kinh tế - xã hội tháng 11"
    assert meta["outline"] == [
        {"level": 1, "title": "Phần I. Tình hình chung", "page": 1},
        {"level": 2, "title": "1. Kinh tế", "page": 2},
        {"level": 2, "title": "2. Xã hội", "page": 4},
        {"level": 1, "title": "Phần II. Nhiệm vụ tháng 12", "page": 7},
    ]
    assert meta["repaired"] is False


def test_words_match_pdftotext(paper_path: Path) -> None:
    pages = pdfcheck.extract_words(str(paper_path), 1, len(samples.PAGES))
    assert len(pages) == len(samples.PAGES)
    for number, page_json in enumerate(pages, start=1):
        ours = [w[4] for w in json.loads(page_json)]
        poppler = subprocess.run(["pdftotext", "-f", str(number), "-l", str(number), str(paper_path), "-"],
                                 capture_output=True, text=True, check=True).stdout.split()  # fmt: skip
        assert sorted(ours) == sorted(poppler), f"page {number}"
        start = ours.index("Biên")
        assert " ".join(ours[start : start + 10]) == samples.SENTENCE, f"page {number}"


def test_word_boxes_are_where_the_displayed_page_shows_them(paper_path: Path, tmp_path: Path) -> None:
    doc = pymupdf.open(paper_path)
    pages = [json.loads(p) for p in pdfcheck.extract_words(str(paper_path), 1, doc.page_count)]
    jobs = [(n, [800], False) for n in range(1, doc.page_count + 1)]
    assert pdfcheck.render_pages(str(paper_path), str(tmp_path), jobs, SETTINGS) == doc.page_count
    for number, words in enumerate(pages, start=1):
        page = doc[number - 1]
        found = page.search_for("Tuyên")  # pymupdf's own search, unrotated: a rectangle per font run
        expected = _displayed(page, _union(found))
        ours = [w for w in words if w[4] == "Tuyên"]
        assert len(ours) == 1, f"page {number}"
        assert ours[0][:4] == pytest.approx(expected, abs=0.003), f"page {number}"
        image = Image.open(tmp_path / "pages" / f"{number}-800.webp").convert("L")
        for x0, y0, x1, y1, text, _ in words:  # every word box has ink in it on the rendered image
            box = (int(x0 * image.width), int(y0 * image.height), int(x1 * image.width) + 1, int(y1 * image.height) + 1)
            assert samples.level(image.crop(box).getextrema()[0]) < 110, f"no ink under {text!r} on page {number}"
        top = min(w[1] for w in words)
        left = min(w[0] for w in words)
        blank = (0, 0, max(1, int(left * image.width) - 4), max(1, int(top * image.height) - 4))
        darkest = samples.level(image.crop(blank).getextrema()[0])
        assert darkest > 200, f"ink above and left of the text on page {number}"


def test_rendered_pages_are_webp_of_the_asked_width(paper_path: Path, tmp_path: Path) -> None:
    meta = pdfcheck.inspect_pdf(str(paper_path), LIMITS)
    jobs = [(1, [800, 1280], True), (4, [800], True), (5, [2048], False), (8, [1280], True)]
    assert pdfcheck.render_pages(str(paper_path), str(tmp_path), jobs, SETTINGS) == 8
    for number, widths, thumb in jobs:
        page = meta["pages"][number - 1]
        files = [(f"pages/{number}-{w}.webp", w) for w in widths] + ([(f"thumbs/{number}.webp", 200)] if thumb else [])
        for name, width in files:
            with Image.open(tmp_path / name) as image:
                assert image.format == "WEBP"
                assert image.width == width
                assert image.height == pytest.approx(page["height"] * width / page["width"], abs=1)
    assert not list(tmp_path.rglob("*.tmp"))


def test_a_very_long_page_is_rendered_narrower_to_stay_under_the_pixel_limit(tmp_path: Path) -> None:
    doc = pymupdf.open()
    doc.new_page(width=300, height=6000).insert_text((20, 40), "Bảng kê dài")
    path = _write(tmp_path, doc.tobytes())
    settings = {**SETTINGS, "max_pixels": 4_000_000}
    pdfcheck.render_pages(path, str(tmp_path), [(1, [2048], False)], settings)
    with Image.open(tmp_path / "pages" / "1-2048.webp") as image:
        assert image.width * image.height <= 4_000_000
        assert image.height <= pdfcheck.WEBP_MAX_SIDE
        assert image.height / image.width == pytest.approx(20, rel=0.01)
    assert pdfcheck.image_size(595.28, 841.89, 800, 12_000_000) == (800, 1131)
    assert pdfcheck.image_size(100, 100_000, 800, 10**9)[1] == pdfcheck.WEBP_MAX_SIDE


@pytest.mark.parametrize(
    ("make", "code"),
    [
        (samples.text_file, "paper_not_pdf"),
        (lambda: b"", "paper_empty"),
        (samples.encrypted, "paper_encrypted"),
        (samples.header_and_junk, "paper_corrupt"),
        (samples.broken_page_tree, "paper_corrupt"),
        (samples.huge_page, "paper_page_too_large"),
        (lambda: samples.image_bomb(40000), "paper_too_complex"),
    ],
    ids=["text-file", "empty", "encrypted", "junk", "no-page-tree", "200-inch-page", "declared-image-bomb"],
)
def test_refused_files(tmp_path: Path, make: Any, code: str) -> None:
    with pytest.raises(PaperRejected) as info:
        pdfcheck.inspect_pdf(_write(tmp_path, make(), "tai-lieu.pdf"), LIMITS)
    assert info.value.code == code
    again = pickle.loads(pickle.dumps(info.value))  # it travels back from a worker process whole
    assert (again.code, again.detail, again.params) == (info.value.code, info.value.detail, info.value.params)
    if code == "paper_page_too_large":
        assert info.value.params == {"page": 2}


def test_page_limit(tmp_path: Path) -> None:
    path = _write(tmp_path, samples.simple(3))
    with pytest.raises(PaperRejected) as info:
        pdfcheck.inspect_pdf(path, {**LIMITS, "max_pages": 2})
    assert info.value.code == "paper_too_many_pages"
    assert pdfcheck.inspect_pdf(path, {**LIMITS, "max_pages": 3})["page_count"] == 3


def test_a_repairable_cross_reference_table_is_accepted_as_repaired(tmp_path: Path) -> None:
    path = _write(tmp_path, samples.garbled_xref())
    meta = pdfcheck.inspect_pdf(path, LIMITS)
    assert meta["repaired"] is True
    assert meta["page_count"] == _pdfinfo(path, 3)["pages"] == 3  # poppler repairs it the same way
    words = [json.loads(p) for p in pdfcheck.extract_words(path, 1, 3)]
    assert [[w[4] for w in page] for page in words] == [["Trang", "1"], ["Trang", "2"], ["Trang", "3"]]


def test_an_owner_password_alone_does_not_stop_reading(tmp_path: Path) -> None:
    meta = pdfcheck.inspect_pdf(_write(tmp_path, samples.encrypted(user_password="")), LIMITS)
    assert meta["page_count"] == 2


@pytest.mark.parametrize("kind", ["next", "child", "parent"])
def test_cyclic_outlines_end(tmp_path: Path, kind: str) -> None:
    meta = pdfcheck.inspect_pdf(_write(tmp_path, samples.cyclic_outline(kind)), LIMITS)
    assert meta["page_count"] == 3
    assert len(meta["outline"]) <= 3  # MuPDF drops an outline that loops; the paper itself is fine


def test_a_jbig2_page_mupdf_cannot_decode_is_drawn_by_poppler(tmp_path: Path) -> None:
    """A real JBIG2 refinement image (``paper_samples.jbig2_refined``: an intermediate generic region refined
    onto the page). MuPDF itself, asked directly, warns and draws one flat colour: the failure is real. The
    served page is poppler's drawing of the frame, and the page is not reported (it renders right)."""
    path = _write(tmp_path, samples.jbig2_refined())
    doc = pymupdf.open(path)
    pymupdf.TOOLS.reset_mupdf_warnings()
    alone = doc[0].get_pixmap()
    assert alone.is_unicolor
    assert "jbig2" in pymupdf.TOOLS.mupdf_warnings()
    frame = samples.jbig2_frame()
    assert pdfcheck.render_pages(path, str(tmp_path), [(1, [800], True)], SETTINGS) == 2
    with Image.open(tmp_path / "pages" / "1-800.webp") as page, Image.open(tmp_path / "thumbs" / "1.webp") as thumb:
        assert page.size == (800, 400)
        assert samples.agreement(page, frame) > 0.95
        assert samples.agreement(thumb, frame) > 0.9
    mupdf_image = Image.frombytes("RGB", (alone.width, alone.height), alone.samples)
    assert samples.agreement(mupdf_image, frame) < 0.7  # what MuPDF alone would have served
    assert pdfcheck.check_pages(path, [1]) == []
    assert pdfcheck.inspect_pdf(path, LIMITS)["page_count"] == 1


def test_a_page_neither_engine_can_draw_is_reported(tmp_path: Path) -> None:
    """JBIG2 junk (``paper_samples.jbig2_garbage``): MuPDF warns, poppler draws a flat page too. The page is
    reported, and still rendered (MuPDF's image), so the reader sees the page exists."""
    data = samples.jbig2_garbage()
    path = _write(tmp_path, data)
    assert pdfcheck.check_pages(path, [1]) == [{"page": 1, "reason": pdfcheck.DECODE_FAILED}]
    assert pdfcheck.render_pages(path, str(tmp_path), [(1, [800], False)], SETTINGS) == 1
    assert (tmp_path / "pages" / "1-800.webp").exists()


def test_papers_that_render_right_have_no_page_warnings(paper_path: Path, tmp_path: Path) -> None:
    assert pymupdf.open(paper_path)[1].get_images()  # pages 2 and 5 have a photo: they are checked
    assert pdfcheck.check_pages(str(paper_path), pdfcheck.inspect_pdf(str(paper_path), LIMITS)["image_pages"]) == []
    blank = pymupdf.open()  # a page with an image that is white on purpose: flat in both engines, so said
    white = pymupdf.Pixmap(pymupdf.csRGB, (0, 0, 8, 8), 0)
    white.clear_with(255)
    blank.new_page().insert_image(pymupdf.Rect(0, 0, 200, 200), pixmap=white)
    path = _write(tmp_path, blank.tobytes(), "blank.pdf")
    assert pdfcheck.check_pages(path, [1]) == [{"page": 1, "reason": pdfcheck.FLAT_PAGE}]


def test_a_paper_with_only_its_attachment_encrypted_is_accepted(tmp_path: Path) -> None:
    """Encrypted for its attachment only (a user password, /EFF, pages /Identity): MuPDF alone asks for a
    password; every reader opens it without one, and so do we. A PDF carrying an encrypted PDF as its
    attachment opens plainly. A PDF that needs its password to open is still refused (test_refused_files)."""
    path = _write(tmp_path, samples.attachment_encrypted())
    assert pymupdf.open(path).needs_pass  # what MuPDF alone says
    meta = pdfcheck.inspect_pdf(path, LIMITS)
    assert meta["page_count"] == 1
    assert [w[4] for w in json.loads(pdfcheck.extract_words(path, 1, 1)[0])][:2] == ["Trang", "1:"]
    poppler = subprocess.run(["pdftotext", path, "-"], capture_output=True, text=True, check=True).stdout
    assert "Trang 1" in poppler
    assert pdfcheck.render_pages(path, str(tmp_path), [(1, [800], True)], SETTINGS) == 2
    nested = _write(tmp_path, samples.with_encrypted_attachment(), "nested.pdf")
    assert pymupdf.open(nested).embfile_count() == 1
    assert pdfcheck.inspect_pdf(nested, LIMITS)["page_count"] == 2


@pytest.mark.parametrize("rotation", [90, 180, 270])
def test_poppler_draws_a_turned_page_as_mupdf_would(tmp_path: Path, rotation: int) -> None:
    """pdftoppm's -scale-to-x/-y size the page before its /Rotate: a page turned by 90° is still drawn at the
    displayed size, the right way round (PDF turns clockwise), at every width and the thumbnail."""
    path = _write(tmp_path, samples.jbig2_refined(rotation))
    turned = samples.jbig2_frame().rotate(-rotation, expand=True)  # Pillow turns anticlockwise
    assert pdfcheck.render_pages(path, str(tmp_path), [(1, [800, 1280], True)], SETTINGS) == 3
    for name, width in (("pages/1-800.webp", 800), ("pages/1-1280.webp", 1280), ("thumbs/1.webp", 200)):
        with Image.open(tmp_path / name) as image:
            assert image.size == (width, round(width * turned.height / turned.width)), name
            assert samples.agreement(image, turned) > 0.93, name


def test_poppler_draws_every_shape_of_page_where_mupdf_does(paper_path: Path) -> None:
    """The second engine's image is the same page: the crop box, the turn and the size of every page of the
    sample paper (A3, landscape, turned by 90/180/270, cropped) as MuPDF draws them, pixel for pixel within
    anti-aliasing (the darkest ink in the same places)."""
    from PIL import ImageChops

    doc = pymupdf.open(paper_path)
    for number in range(1, doc.page_count + 1):
        page = doc[number - 1]
        w, h = pdfcheck.image_size(page.rect.width, page.rect.height, 400, 12_000_000)
        pix = page.get_pixmap(matrix=pymupdf.Matrix(w / page.rect.width, h / page.rect.height), alpha=False)
        ours = Image.frombytes("RGB", (pix.width, pix.height), pix.samples).crop((0, 0, w, h)).convert("L")
        theirs = pdfcheck.poppler_image(str(paper_path), number, w, h, page.rotation)
        assert theirs is not None and theirs.size == (w, h), f"page {number}"
        difference = ImageChops.difference(ours, theirs.convert("L"))
        mean = sum(i * n for i, n in enumerate(difference.histogram())) / (w * h)
        assert mean < 2.5, f"page {number}: poppler and MuPDF differ by {mean:.2f} on average"  # turned wrong: > 3
