"""Annotated and watermarked export, checked with readers other than pymupdf: pypdf reads the annotation
objects, poppler (pdftoppm, pdftotext, pdffonts) renders and extracts. The expected PDF positions are
computed here from the PDF spec (CropBox + /Rotate), not with pymupdf's matrices."""

from __future__ import annotations

import csv
import functools
import io
import math
import re
import shutil
import subprocess
from pathlib import Path
from typing import Any

import pymupdf
import pypdf
import pytest
from PIL import Image, ImageChops

from meeting_server.documents import export
from meeting_server.documents.export import (
    comments_csv,
    comments_report,
    export_annotated,
    normalise_annotation,
    render_watermarked,
    watermark_overlay,
)
from meeting_server.documents.workers import DocumentWorkers
from tests import paper_samples as samples
from tests.paper_samples import bands, level, pdf_dict

pytestmark = pytest.mark.timeout(120)

LINES = ["Nguyễn Văn A — Phòng Tài chính", "2026-11-22 14:05", "TÀI LIỆU MẬT"]
SECRET = "Quyxanhbimat"  # a word only the original's text layer has
# (width, height, rotation, MediaBox or None, CropBox or None) in PDF units; pages are 1-based below
PAGES = [
    (595, 842, 0, None, None),
    (842, 595, 0, None, None),
    (595, 842, 90, None, None),
    (595, 842, 180, None, None),
    (595, 842, 270, None, None),
    (595, 842, 0, None, "[50 142 500 762]"),
    (595, 842, 270, "[100 200 695 1042]", "[120 230 655 1000]"),
]
INK_RGB = (211, 47, 47)  # #d32f2f
HIGHLIGHT_RGB = (255, 235, 59)  # #ffeb3b: multiplied onto white paper it stays this colour
NOTE_RGB = (251, 192, 45)  # #fbc02d


def _tool(name: str) -> str:
    exe = shutil.which(name)
    if exe is None:
        pytest.fail(f"{name} (poppler-utils) is required: apt-get install poppler-utils")
    return exe


def pdftotext(path: Path, *extra: str) -> str:
    command = [_tool("pdftotext"), "-enc", "UTF-8", *extra, str(path), "-"]
    out = subprocess.run(command, capture_output=True, check=True)
    return out.stdout.decode("utf-8")


def poppler_pages(path: Path, tmp: Path, *extra: str) -> list[Image.Image]:
    """Every page as poppler draws it at 72 dpi (1 px = 1 pt), the CropBox only, as a reader shows it."""
    prefix = tmp / f"pp-{path.stem}"
    subprocess.run([_tool("pdftoppm"), "-cropbox", "-r", "72", *extra, "-png", str(path), str(prefix)], check=True)
    files = sorted(tmp.glob(f"{prefix.name}-*.png"), key=lambda p: int(p.stem.rsplit("-", 1)[1]))
    return [Image.open(f).convert("RGB") for f in files]


def make_paper(path: Path) -> None:
    doc = pymupdf.open()
    for number, (width, height, rotation, mediabox, cropbox) in enumerate(PAGES, start=1):
        page = doc.new_page(width=width, height=height)
        page.insert_htmlbox(
            pymupdf.Rect(60, 60, width - 60, 300),
            f"<p>Trang {number}: Báo cáo tình hình kinh tế - xã hội tỉnh Tuyên Quang. {SECRET}</p>",
        )
        if mediabox:
            doc.xref_set_key(page.xref, "MediaBox", mediabox)
        if cropbox:
            doc.xref_set_key(page.xref, "CropBox", cropbox)
        doc.xref_set_key(page.xref, "Rotate", str(rotation))
    doc.save(path)
    doc.close()


@pytest.fixture(scope="module")
def paper(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("paper") / "paper.pdf"
    make_paper(path)
    return path


def expected_pdf_point(reader_page: Any, x: float, y: float) -> tuple[float, float]:
    """Displayed 0..1 point to PDF user space, straight from ISO 32000 (CropBox, /Rotate clockwise)."""
    box = [float(v) for v in reader_page.cropbox]
    x0, y0, x1, y1 = min(box[0], box[2]), min(box[1], box[3]), max(box[0], box[2]), max(box[1], box[3])
    w, h = x1 - x0, y1 - y0
    rotation = int(reader_page.get("/Rotate", 0)) % 360
    if rotation == 0:
        return x0 + x * w, y1 - y * h
    if rotation == 90:  # the display's top-left is the unrotated bottom-left; right = up, down = right
        return x0 + y * w, y0 + x * h
    if rotation == 180:
        return x1 - x * w, y0 + y * h
    return x1 - y * w, y1 - x * h  # 270


def annotations_for_every_page() -> list[dict[str, Any]]:
    anns: list[dict[str, Any]] = []
    for number in range(1, len(PAGES) + 1):
        anns.append(
            {
                "kind": "ink",
                "page": number,
                "color": "#d32f2f",
                "width": 0.012,
                "opacity": 1.0,
                "strokes": [[[0.2, 0.3], [0.3, 0.3], [0.4, 0.3]], [[0.1, 0.9]]],  # a line and a tap
                "author": "Nguyễn Văn A",
                "created_at": "2026-11-22T14:05:00+07:00",
            }
        )
        anns.append(
            {
                "kind": "highlight",
                "page": number,
                "color": "#ffeb3b",
                "rects": [[0.5, 0.6, 0.8, 0.63], [0.5, 0.64, 0.7, 0.67]],
                "author": "Nguyễn Văn A",
            }
        )
        anns.append(
            {"kind": "note", "page": number, "x": 0.7, "y": 0.15, "text": "Đề nghị làm rõ số liệu", "color": "#fbc02d"}
        )
    anns.append(
        {
            "kind": "comment",
            "page": 4,
            "x": 0.1,
            "y": 0.1,
            "text": "Điều 3 cần bổ sung thời hạn",
            "author": "Trần Thị Bích",
            "status": "accepted",
            "answer": "Ban soạn thảo đã tiếp thu",
        }
    )
    return anns


@pytest.fixture(scope="module")
def exported(paper: Path, tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, dict[str, Any]]:
    out = tmp_path_factory.mktemp("export") / "annotated.pdf"
    summary = export_annotated(str(paper), annotations_for_every_page(), str(out))
    return out, summary


def _annots(page: Any) -> list[Any]:
    """The page's annotations, less the /Popup windows that belong to the Text ones."""
    annots = [a.get_object() for a in page.get("/Annots", [])]
    return [a for a in annots if a["/Subtype"] != "/Popup"]


def test_summary_counts_what_was_written(exported: tuple[Path, dict[str, Any]]) -> None:
    _, summary = exported
    n = len(PAGES)
    assert summary == {
        "pages": n,
        "annotations": {"ink": n, "highlight": n, "note": n, "comment": 1},
        "watermarked": False,
    }


def test_pypdf_reads_real_annotations_with_vietnamese_text(exported: tuple[Path, dict[str, Any]]) -> None:
    reader = pypdf.PdfReader(exported[0])
    assert len(reader.pages) == len(PAGES)
    for page in reader.pages:
        kinds = sorted(str(a["/Subtype"]) for a in _annots(page))
        assert kinds == ["/Highlight", "/Ink", "/Text", "/Text"] if page.page_number == 3 else kinds[:3]
        assert kinds[:3] == ["/Highlight", "/Ink", "/Text"]
        for annot in _annots(page):
            assert "/AP" in annot, "no appearance stream: other readers would draw nothing"
    first = _annots(reader.pages[0])
    ink = next(a for a in first if a["/Subtype"] == "/Ink")
    assert ink["/T"] == "Nguyễn Văn A"
    assert str(ink["/CreationDate"]).startswith("D:20261122140500+07'00")
    assert len(ink["/InkList"]) == 2
    assert [round(float(c), 3) for c in ink["/C"]] == [round(v / 255, 3) for v in INK_RGB]
    note = next(a for a in first if a["/Subtype"] == "/Text")
    assert note["/Contents"] == "Đề nghị làm rõ số liệu"
    assert note["/Name"] == "/Note"
    comment = next(a for a in _annots(reader.pages[3]) if a.get("/T") == "Trần Thị Bích")
    assert comment["/Subtype"] == "/Text" and comment["/Name"] == "/Comment"
    assert "Điều 3 cần bổ sung thời hạn" in comment["/Contents"]
    assert "Trạng thái: Đã tiếp thu" in comment["/Contents"]
    assert "Ban soạn thảo đã tiếp thu" in comment["/Contents"]


@pytest.mark.parametrize("number", range(1, len(PAGES) + 1))
def test_pdf_positions_follow_rotation_and_boxes(exported: tuple[Path, dict[str, Any]], number: int) -> None:
    page = pypdf.PdfReader(exported[0]).pages[number - 1]
    annots = _annots(page)
    ink = next(a for a in annots if a["/Subtype"] == "/Ink")
    got = [float(v) for v in ink["/InkList"][0]]
    want = [c for x in (0.2, 0.3, 0.4) for c in expected_pdf_point(page, x, 0.3)]
    assert got == pytest.approx(want, abs=0.01)

    highlight = next(a for a in annots if a["/Subtype"] == "/Highlight")
    quads = [float(v) for v in highlight["/QuadPoints"]]
    assert len(quads) == 16  # one annotation, one quad per line segment
    # QuadPoints order: upper-left, upper-right, lower-left, lower-right as the reader sees the text
    x0, y0, x1, y1 = 0.5, 0.6, 0.8, 0.63
    corners = [(x0, y0), (x1, y0), (x0, y1), (x1, y1)]
    want = [c for x, y in corners for c in expected_pdf_point(page, x, y)]
    assert quads[:8] == pytest.approx(want, abs=0.01)
    rect = [float(v) for v in highlight["/Rect"]]
    xs, ys = want[0::2], want[1::2]
    assert rect[0] <= min(xs) + 0.01 and rect[2] >= max(xs) - 0.01
    assert rect[1] <= min(ys) + 0.01 and rect[3] >= max(ys) - 0.01

    note = next(a for a in annots if a["/Subtype"] == "/Text")
    note_rect = [float(v) for v in note["/Rect"]]
    # NoRotate icon: its PDF upper-left corner (x0, y1) is the anchor, drawn upright from there
    assert int(note["/F"]) & 16
    assert (note_rect[0], note_rect[3]) == pytest.approx(expected_pdf_point(page, 0.7, 0.15), abs=0.01)


def _near(pixel: tuple[int, ...], rgb: tuple[int, int, int], tolerance: int = 40) -> bool:
    return all(abs(a - b) <= tolerance for a, b in zip(pixel, rgb, strict=False))


@pytest.fixture(scope="module")
def poppler_render(
    exported: tuple[Path, dict[str, Any]], tmp_path_factory: pytest.TempPathFactory
) -> list[Image.Image]:
    return poppler_pages(exported[0], tmp_path_factory.mktemp("render"))


@pytest.mark.parametrize("number", range(1, len(PAGES) + 1))
def test_poppler_draws_annotations_where_the_tablet_drew_them(poppler_render: list[Image.Image], number: int) -> None:
    image = poppler_render[number - 1]
    w, h = image.size
    width, height, rotation, _, _ = PAGES[number - 1]
    assert w > h if (width > height) != (rotation in (90, 270)) else w < h  # the displayed orientation

    def at(x: float, y: float, dx: float = 0, dy: float = 0) -> tuple[int, ...]:
        return bands(image.getpixel((min(w - 1, int(x * w + dx)), min(h - 1, int(y * h + dy)))))

    for x in (0.22, 0.3, 0.38):
        assert _near(at(x, 0.3), INK_RGB), (number, x, at(x, 0.3))
    assert _near(at(0.1, 0.9), INK_RGB), "a tap is a dot"
    assert _near(at(0.3, 0.3, dy=-0.03 * h), (255, 255, 255), 5), "ink only where it was drawn"
    assert _near(at(0.65, 0.615), HIGHLIGHT_RGB, 25)
    assert _near(at(0.6, 0.655), HIGHLIGHT_RGB, 25)
    assert _near(at(0.75, 0.655), (255, 255, 255), 5), "the second segment is shorter"
    assert _near(at(0.7, 0.15, 3, 3), NOTE_RGB, 30), "the note icon hangs from its anchor, upright"
    assert _near(at(0.7, 0.15, -4, -4), (255, 255, 255), 5)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"kind": "circle"}, "unknown kind"),
        ({"page": 0}, "out of range"),
        ({"page": 8}, "out of range"),
        ({"page": "1"}, "page must be an integer"),
        ({"page": True}, "page must be an integer"),
        ({"strokes": [[[0.2, 1.2]]]}, "outside the page"),
        ({"strokes": [[[math.nan, 0.5]]]}, "finite"),
        ({"strokes": [[[0.2, math.inf]]]}, "finite"),
        ({"strokes": [[[0.2, "0.5"]]]}, "expected a number"),
        ({"strokes": [[[0.2, 0.5, 0.1]]]}, "expected [x, y]"),
        ({"strokes": []}, "non-empty"),
        ({"strokes": [[]]}, "non-empty"),
        ({"strokes": [[[0.5, 0.5]] * 20_001]}, "more than 20000"),
        ({"color": "red"}, "colour"),
        ({"width": 0}, "width"),
        ({"width": 0.5}, "width"),
        ({"opacity": 1.5}, "opacity"),
        ({"created_at": "2026-11-22T14:05:00"}, "UTC offset"),
        ({"created_at": "hôm qua"}, "ISO 8601"),
        ({"author": 42}, "expected a string"),
    ],
)
def test_bad_ink_is_refused_and_nothing_is_written(
    paper: Path, tmp_path: Path, change: dict[str, Any], message: str
) -> None:
    good = {"kind": "ink", "page": 1, "color": "#d32f2f", "width": 0.004, "strokes": [[[0.1, 0.1], [0.2, 0.2]]]}
    out = tmp_path / "out.pdf"
    ok = [{"kind": "note", "page": 1, "x": 0.5, "y": 0.5, "text": "ok"}]
    with pytest.raises(ValueError, match=re.escape(message)):
        export_annotated(str(paper), [*ok, {**good, **change}], str(out))
    assert not out.exists()


@pytest.mark.parametrize(
    ("annotation", "message"),
    [
        ({"kind": "highlight", "page": 1, "rects": [[0.2, 0.2, 0.2, 0.3]]}, "no area"),
        ({"kind": "highlight", "page": 1, "rects": [[0.2, 0.2, 0.3]]}, "[x0, y0, x1, y1]"),
        ({"kind": "highlight", "page": 1, "rects": []}, "non-empty"),
        ({"kind": "note", "page": 1, "x": 0.5, "y": -0.2, "text": "x"}, "outside the page"),
        ({"kind": "note", "page": 1, "x": 0.5, "y": 0.5}, "text: expected a string"),
        ({"kind": "comment", "page": 1, "x": 0.5, "y": 0.5, "text": "x", "status": "done"}, "status"),
        ("ink", "expected an object"),
    ],
)
def test_bad_highlights_notes_and_comments_are_refused(annotation: Any, message: str) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        normalise_annotation(annotation, page_count=3)


def test_tiny_overshoots_are_clamped_and_text_normalised() -> None:
    decomposed = "Nguye\u0302\u0303n"  # "Nguyễn" typed with combining marks
    ink = normalise_annotation(
        {"kind": "ink", "page": 2, "strokes": [[[-0.004, 1.006], [0.5, 0.5]]], "author": decomposed, "extra": 1}
    )
    assert ink["strokes"] == [[(0.0, 1.0), (0.5, 0.5)]]
    assert ink["author"] == "Nguyễn"
    assert ink["color"] == export.DEFAULT_COLORS["ink"] and ink["width"] == export.DEFAULT_INK_WIDTH
    assert "extra" not in ink
    rect = normalise_annotation({"kind": "highlight", "page": 1, "rects": [[0.2, 0.6, 1.004, 0.7]]})
    assert rect["rects"] == [(0.2, 0.6, 1.0, 0.7)]
    with pytest.raises(ValueError, match="no area"):  # corners given backwards: refused, as saving refuses them
        normalise_annotation({"kind": "highlight", "page": 1, "rects": [[0.8, 0.7, 0.2, 0.6]]})


def _plain(paper: Path, number: int, width: int) -> Image.Image:
    with pymupdf.open(paper) as doc:
        page = doc[number - 1]
        zoom = width / page.rect.width
        pix = page.get_pixmap(matrix=pymupdf.Matrix(zoom, zoom), alpha=False)
        return Image.frombytes("RGB", (pix.width, pix.height), pix.samples)


def _mask(image: Image.Image, test: Any) -> Image.Image:
    return image.point(lambda v: 255 if test(v) else 0)


def _count(mask: Image.Image) -> int:
    return mask.histogram()[255]


@pytest.mark.parametrize("number", [1, 3])
def test_watermark_changes_the_pixels_under_it_and_no_others(paper: Path, number: int) -> None:
    width = 600
    marked = Image.open(io.BytesIO(render_watermarked(str(paper), number, width, LINES, "png"))).convert("RGB")
    plain = _plain(paper, number, width)
    assert marked.size == plain.size
    _, alpha = watermark_overlay(marked.width, marked.height, tuple(LINES))
    bands = ImageChops.difference(marked, plain).split()
    changed = _mask(ImageChops.lighter(ImageChops.lighter(bands[0], bands[1]), bands[2]), lambda v: v > 0)
    untouched = _mask(alpha, lambda v: v == 0)
    assert _count(ImageChops.multiply(changed, untouched)) == 0, "pixels changed outside the watermark"
    diagonal = _mask(alpha, lambda v: 40 <= v <= 60)
    covered = _count(diagonal) / (width * marked.height)
    assert 0.01 < covered < 0.4, "legible, but leaves the page readable"
    assert _count(ImageChops.subtract(diagonal, changed)) < 0.005 * _count(diagonal)
    # On bare paper the diagonal text is visible but faint: green drops by a clear, moderate amount.
    paper_under_mark = ImageChops.multiply(diagonal, _mask(plain.convert("L"), lambda v: v == 255))
    drops = bands[1].histogram(mask=paper_under_mark)
    median = next(i for i in range(256) if sum(drops[: i + 1]) * 2 >= sum(drops))
    assert 25 <= median <= 80, median
    footer_text = _mask(alpha, lambda v: v > 230)  # the band is 0.82 (209), glyphs go over it
    assert _count(ImageChops.multiply(footer_text, changed)) > 200, "the footer line is drawn"
    footer_rows = [y for y in range(marked.height) if level(alpha.getpixel((width // 2, y))) > 150]
    assert footer_rows and min(footer_rows) > marked.height * 0.95, "the footer stays at the bottom edge"


def test_watermark_text_is_the_viewers() -> None:
    """Different viewers get different marks, and Vietnamese needs no glyph the font lacks."""
    a = watermark_overlay(400, 566, tuple(LINES))[1]
    b = watermark_overlay(400, 566, ("Lê Thị Hồng Nhung — UBND xã Tân Trào", "2026-11-22 14:05", "TÀI LIỆU MẬT"))[1]
    assert ImageChops.difference(a, b).getbbox() is not None
    font = export._font(20, True)
    for ch in "ẢẠẤẦẨẪẬẮẰẲẴẶĐẺẼẸẾỀỂỄỆỈỊỎỌỐỒỔỖỘƠỚỜỞỠỢỦỤƯỨỪỬỮỰỲỶỸỴơưđ—·":
        assert font.getmask(ch).getbbox() is not None, ch


def test_webp_is_the_default_and_close_to_the_png(paper: Path) -> None:
    webp = render_watermarked(str(paper), 2, 640, LINES)
    assert webp[:4] == b"RIFF" and webp[8:12] == b"WEBP"
    png = Image.open(io.BytesIO(render_watermarked(str(paper), 2, 640, LINES, "png"))).convert("RGB")
    decoded = Image.open(io.BytesIO(webp)).convert("RGB")
    assert decoded.size == png.size == _plain(paper, 2, 640).size
    assert decoded.width == 640 and abs(decoded.height - 640 * 595 / 842) < 1
    diff = ImageChops.difference(decoded, png).convert("L").histogram()
    mean = sum(i * n for i, n in enumerate(diff)) / (decoded.width * decoded.height)
    assert mean < 3


@pytest.mark.parametrize(
    ("args", "message"),
    [
        ((9, 640, LINES, "webp"), "out of range"),
        ((0, 640, LINES, "webp"), "out of range"),
        ((1, 10, LINES, "webp"), "width"),
        ((1, 640, [], "webp"), "watermark"),
        ((1, 640, ["", " "], "webp"), "empty"),
        ((1, 640, LINES, "gif"), "fmt"),
    ],
)
def test_render_watermarked_refuses_bad_requests(paper: Path, args: tuple[Any, ...], message: str) -> None:
    with pytest.raises(ValueError, match=message):
        render_watermarked(str(paper), *args)


def test_restricted_export_keeps_nothing_of_the_original_but_its_look(paper: Path, tmp_path: Path) -> None:
    assert SECRET in pdftotext(paper)  # the check below can fail
    out = tmp_path / "restricted.pdf"
    anns = [a for a in annotations_for_every_page() if a["page"] in (1, 3)]
    summary = export_annotated(str(paper), anns, str(out), watermark=LINES, render_width=842)
    assert summary["watermarked"] and summary["pages"] == len(PAGES)
    assert summary["annotations"] == {"ink": 2, "highlight": 2, "note": 2, "comment": 0}

    text = pdftotext(out)
    assert not text.strip(), f"text layer left: {text[:80]!r}"
    fonts = subprocess.run([_tool("pdffonts"), str(out)], capture_output=True, text=True, check=True).stdout
    assert len(fonts.strip().splitlines()) == 2, f"fonts embedded:\n{fonts}"  # only pdffonts' two header lines
    reader = pypdf.PdfReader(out)
    original = pypdf.PdfReader(paper)
    for page, source in zip(reader.pages, original.pages, strict=True):
        assert int(page.get("/Rotate", 0)) == 0
        src_w, src_h = float(source.cropbox.width), float(source.cropbox.height)
        if int(source.get("/Rotate", 0)) % 180:
            src_w, src_h = src_h, src_w
        assert (float(page.mediabox.width), float(page.mediabox.height)) == pytest.approx((src_w, src_h), abs=0.01)
        resources = pdf_dict(page["/Resources"])
        xobjects = pdf_dict(resources["/XObject"])
        assert [str(pdf_dict(xobjects[k])["/Subtype"]) for k in xobjects] == ["/Image"]
        assert "/Font" not in resources
    assert sorted(str(a["/Subtype"]) for a in _annots(reader.pages[2])) == ["/Highlight", "/Ink", "/Text"]
    assert not _annots(reader.pages[1])

    # What poppler shows (annotations hidden) is the watermarked raster, not the plain page: page 5 is
    # 842 pt wide as displayed, rasterised at 842 px and drawn by poppler at 72 dpi, so pixels line up.
    shown = poppler_pages(out, tmp_path, "-hide-annotations")[4]  # page 5: rotated 270 in the original
    marked = Image.open(io.BytesIO(render_watermarked(str(paper), 5, shown.width, LINES, "png"))).convert("RGB")
    plain = _plain(paper, 5, shown.width)
    box = (0, 0, min(shown.width, marked.width), min(shown.height, marked.height))
    shown, marked, plain = shown.crop(box), marked.crop(box), plain.crop(box)
    _, alpha = watermark_overlay(marked.width, marked.height, tuple(LINES))
    diagonal = _mask(alpha, lambda v: v >= 40)

    def mean_difference(a: Image.Image, b: Image.Image) -> float:
        diff = ImageChops.multiply(ImageChops.difference(a, b).convert("L"), diagonal)
        return sum(i * n for i, n in enumerate(diff.histogram())) / _count(diagonal)

    assert mean_difference(shown, marked) < 12
    assert mean_difference(shown, plain) > 15


def test_export_needs_a_pdf(tmp_path: Path) -> None:
    fake = tmp_path / "not.pdf"
    Image.new("RGB", (10, 10)).save(fake, "PNG")
    with pytest.raises(ValueError, match="not a PDF"):
        export_annotated(str(fake), [], str(tmp_path / "out.pdf"))


ROWS: list[dict[str, Any]] = [
    {
        "page": 2,
        "author": "Nguyễn Văn A",
        "unit": "Phòng Tài chính - Kế hoạch",
        "text": "Đề nghị bổ sung số liệu thu ngân sách quý IV",
        "status": "accepted",
        "answer": "Đã bổ sung tại trang 3",
        "created_at": "2026-11-20T09:15:00+07:00",
    },
    {"page": None, "author": "Lê Thị Hồng", "text": '=HYPERLINK("x") <b>không</b> in đậm', "status": "new"},
    {"page": 5, "author": "Trần Văn Bình", "text": "Điều 4 chưa rõ", "status": "answered", "answer": "Giữ nguyên"},
]


def test_comments_report_is_a_vietnamese_table(tmp_path: Path) -> None:
    out = tmp_path / "comments.pdf"
    comments_report("Dự thảo Nghị quyết về kế hoạch đầu tư công năm 2027", ROWS, str(out))
    text = re.sub(r"\s+", " ", pdftotext(out, "-raw"))  # content order: cell by cell, wrapped lines joined
    for expected in [
        "TỔNG HỢP Ý KIẾN GÓP Ý",
        "Dự thảo: Dự thảo Nghị quyết về kế hoạch đầu tư công năm 2027",
        "Người góp ý",
        "Trạng thái",
        "Nguyễn Văn A",
        "Phòng Tài chính - Kế hoạch",
        "Đề nghị bổ sung số liệu thu ngân sách quý IV",
        "Đã tiếp thu",
        "Đã bổ sung tại trang 3",
        "<b>không</",  # shown literally, not as bold (the line may wrap after "</")
        "Mới",
        "Đã trả lời",
        "Tổng số: 3 ý kiến",
        "Trang 1",
    ]:
        assert expected in text, expected
    with pymupdf.open(out) as doc:
        assert doc[0].rect == pymupdf.paper_rect("a4")


def test_long_comments_report_flows_onto_more_pages(tmp_path: Path) -> None:
    out = tmp_path / "long.pdf"
    rows = [{**ROWS[0], "text": f"Ý kiến số {i}: " + "nội dung góp ý dài " * 12} for i in range(1, 41)]
    huge = "Điều khoản " * 800 + "https://" + "x" * 300  # taller than a page, and a word wider than its cell
    rows.append({"page": 9, "author": "Phạm Văn Dũng", "text": huge, "status": "new"})
    comments_report("Dự thảo", rows, str(out))
    assert len(pypdf.PdfReader(out).pages) >= 4
    text = pdftotext(out, "-raw")
    assert "Ý kiến số 40" in text and "Trang 4" in text
    assert text.count("Điều") == 800, "a row taller than a page is continued, not cut off"
    assert text.count("x") >= 300


def test_comments_csv_opens_in_excel() -> None:
    data = comments_csv(ROWS)
    assert data.startswith(b"\xef\xbb\xbf")
    assert b"\r\n" in data
    rows = list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))
    assert rows[0] == [
        "TT",
        "Trang",
        "Người góp ý",
        "Đơn vị",
        "Nội dung góp ý",
        "Trạng thái",
        "Trả lời / giải trình",
        "Thời gian",
    ]
    assert rows[1][:7] == [
        "1",
        "2",
        "Nguyễn Văn A",
        "Phòng Tài chính - Kế hoạch",
        "Đề nghị bổ sung số liệu thu ngân sách quý IV",
        "Đã tiếp thu",
        "Đã bổ sung tại trang 3",
    ]
    assert rows[2][1] == "" and rows[2][5] == "Mới"
    assert rows[2][4].startswith("'="), "a formula in a comment must not run in Excel"
    assert rows[3][5] == "Đã trả lời"
    assert rows[1][7] == "20/11/2026 09:15" and rows[2][7] == ""  # Vietnam time, as the secretary reads it


DOMAIN_COMMENT = {  # meeting_server.domain.papers.Comment.to_dict()
    "id": "c1",
    "paper_id": "p1",
    "version": 1,
    "page": 3,
    "x": 0.4,
    "y": 0.25,
    "author_id": "u7",
    "author_name": "Đỗ Thị Mai",
    "text": "Bổ sung căn cứ pháp lý",
    "status": "new",
    "answer": "",
    "created_at": "2026-11-22T07:05:00Z",
    "updated_at": "",
}


def test_domain_comments_fit_as_they_are(paper: Path, tmp_path: Path) -> None:
    rows = list(csv.reader(io.StringIO(comments_csv([DOMAIN_COMMENT]).decode("utf-8-sig"), newline="")))
    assert rows[1] == ["1", "3", "Đỗ Thị Mai", "", "Bổ sung căn cứ pháp lý", "Mới", "", "22/11/2026 14:05"]
    out = tmp_path / "draft.pdf"
    export_annotated(str(paper), [{"kind": "comment", **DOMAIN_COMMENT}], str(out))
    (comment,) = [a for a in _annots(pypdf.PdfReader(out).pages[2]) if a["/Subtype"] == "/Text"]
    assert comment["/T"] == "Đỗ Thị Mai" and "Trạng thái: Mới" in comment["/Contents"]
    assert str(comment["/CreationDate"]).startswith("D:20261122070500+00'00")
    with pytest.raises(ValueError, match="status"):
        comments_csv([{**ROWS[0], "status": "done"}])


def test_smallest_width_still_carries_the_mark(paper: Path) -> None:
    image = Image.open(io.BytesIO(render_watermarked(str(paper), 1, export.MIN_RENDER_WIDTH, LINES, "png")))
    assert image.width == export.MIN_RENDER_WIDTH
    assert watermark_overlay(image.width, image.height, tuple(LINES))[1].getbbox() is not None


def test_a_long_strip_is_rendered_within_limits(tmp_path: Path) -> None:
    strip = tmp_path / "strip.pdf"
    with pymupdf.open() as doc:
        doc.new_page(width=100, height=14_000).insert_text((10, 50), "Sơ đồ")
        doc.save(strip)
    image = Image.open(io.BytesIO(render_watermarked(str(strip), 1, 1280, LINES)))
    assert image.height <= export.MAX_RENDER_SIDE and image.width * image.height <= export.MAX_RENDER_PIXELS
    assert image.width < 1280


async def test_runs_in_document_workers(paper: Path, tmp_path: Path) -> None:
    """Everything crosses the process boundary (spawn, memory limit) as plain data; keyword arguments
    travel in a functools.partial, which pickles as long as the function is top-level."""
    out = tmp_path / "w.pdf"
    async with DocumentWorkers(max_workers=1) as workers:
        anns = [{"kind": "note", "page": 1, "x": 0.5, "y": 0.5, "text": "Ghi chú"}]
        restricted = functools.partial(export_annotated, watermark=LINES, render_width=300)
        summary = await workers.run(restricted, str(paper), anns, str(out), timeout=60)
        assert summary["annotations"]["note"] == 1 and summary["watermarked"] and out.exists()
        image = await workers.run(render_watermarked, str(paper), 1, 320, LINES, timeout=60)
        assert Image.open(io.BytesIO(image)).size[0] == 320
        with pytest.raises(ValueError, match="unknown kind"):
            await workers.run(export_annotated, str(paper), [{"kind": "x", "page": 1}], str(out), timeout=60)


def test_a_restricted_page_mupdf_cannot_decode_is_drawn_by_poppler(tmp_path: Path) -> None:
    """The per-viewer pages of a restricted paper get the second engine too: the JBIG2 refinement page
    (``paper_samples.jbig2_refined``) shows its frame under the watermark, not MuPDF's flat colour; and a
    paper encrypted for its attachment only is rendered and exported like any."""
    source = tmp_path / "ban-chup.pdf"
    source.write_bytes(samples.jbig2_refined())
    marked = Image.open(io.BytesIO(render_watermarked(str(source), 1, 800, LINES, "png")))
    assert marked.size == (800, 400)
    assert samples.agreement(marked, samples.jbig2_frame()) > 0.85  # MuPDF alone: about half
    attached = tmp_path / "to-trinh.pdf"
    attached.write_bytes(samples.attachment_encrypted())
    assert Image.open(io.BytesIO(render_watermarked(str(attached), 1, 400, LINES, "png"))).width == 400
    out = tmp_path / "out.pdf"
    assert export_annotated(str(attached), [], str(out))["pages"] == 1
    assert "Trang 1" in subprocess.run(["pdftotext", str(out), "-"], capture_output=True, text=True).stdout
