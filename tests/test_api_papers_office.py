"""Office papers over the real upload route: a Vietnamese .docx becomes a paper like any PDF (pages, text, search,
the annotated copy) and its original downloads byte for byte; slides and spreadsheets; bombs and unknown types
refused with a sentence while the server keeps serving; a restricted converted paper's original is never sent."""

from __future__ import annotations

import asyncio
import subprocess
import tempfile
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from meeting_server.api.papers import CONVERTER
from meeting_server.documents.convert import OFFICE_TYPES
from tests import office_samples as samples
from tests.helpers import ApiClient, LiveServer, make_meeting
from tests.test_api_papers import World, make_pdf
from tests.test_api_papers import world as world  # noqa: F401  the papers tests' meeting and people

pytestmark = pytest.mark.timeout(240)


def pdf_text(pdf: bytes) -> str:
    with tempfile.NamedTemporaryFile(suffix=".pdf") as f:
        f.write(pdf)
        f.flush()
        out = subprocess.run(["pdftotext", f.name, "-"], capture_output=True, text=True, check=True).stdout
    return " ".join(out.split())


async def upload(client: ApiClient, base: str, content: bytes, name: str, **fields: str) -> tuple[int, dict]:
    status, body = await client.upload(f"{base}/papers", content, name, {"publish": "1", **fields})
    return status, body


async def test_a_vietnamese_docx_is_a_paper_and_its_original_downloads_as_it_was(world: World) -> None:
    original = samples.vietnamese_docx()
    status, answer = await upload(world.secretary, world.base, original, "Nghị quyết kinh tế.docx")
    assert status == 201, answer
    assert answer["converted_from"] == "docx"
    paper = answer["paper"]
    version = paper["versions"][0]
    assert version["converted_from"] == "docx" and version["filename"] == "Nghị quyết kinh tế.docx"
    assert paper["title"] == "Nghị quyết kinh tế" and version["page_count"] >= 1
    v1 = f"{world.base}/papers/{paper['id']}/versions/1"
    # The reading copy is the PDF: pages, words, search; the annotated copy is that PDF.
    status, found = await world.other.get(f"{v1}/search?q=nghi%20quyet")
    assert status == 200 and found["hits"], found
    status, words = await world.other.get(f"{v1}/text")
    assert "Ủy" in {w["text"] for page in words["pages"] for w in page}
    status, exported = await world.other.get(f"{v1}/export")
    assert status == 200 and exported[:5] == b"%PDF-"
    text = pdf_text(exported)
    for expected in ("Ủy ban nhân dân", "Nghị quyết", samples.BODY, samples.FOOTER, "Thu ngân sách"):
        assert expected in text, (expected, text)
    # The original, byte for byte, with its own type and name.
    async with world.other.http.get(world.server.url + f"{v1}/file") as response:
        assert response.status == 200
        assert response.headers["Content-Type"] == OFFICE_TYPES["docx"]
        assert ".docx" in response.headers["Content-Disposition"]
        assert await response.read() == original
    # The same file again is not converted again: it is the same reading copy.
    converter = world.server.runner.app[CONVERTER]  # type: ignore[union-attr]
    jobs = converter.jobs
    status, again = await upload(world.secretary, world.base, original, "ban-sao.docx")
    assert status == 201 and again["converted_from"] == "docx"
    status, listing = await world.secretary.get(f"{world.base}/papers")
    assert [p["versions"][0]["bytes"] for p in listing["papers"]] == [version["bytes"]] * 2
    assert converter.jobs == jobs
    # Nor a new file uploaded twice at once: the second waits for the first's conversion.
    other = samples.linked_image_docx("http://127.0.0.1:9/khong-co.png")
    both = await asyncio.gather(*(upload(world.secretary, world.base, other, f"{n}.docx") for n in (1, 2)))
    assert [status for status, _ in both] == [201, 201], both
    assert converter.jobs == jobs + 1


async def test_slides_and_a_spreadsheet(world: World) -> None:
    slides = ["Trang một: Ủy ban nhân dân", "Trang hai: Nghị quyết", "Trang ba: Kết luận"]
    pptx = samples.through_libreoffice(samples.flat_presentation(slides), "fodp", "pptx")
    status, answer = await upload(world.secretary, world.base, pptx, "trinh-chieu.pptx")
    assert status == 201, answer
    assert answer["converted_from"] == "pptx" and answer["paper"]["versions"][0]["page_count"] == 3
    pages = answer["paper"]["versions"][0]["pages"]
    assert all(p["width"] > p["height"] for p in pages)
    xlsx = samples.through_libreoffice(samples.flat_spreadsheet(samples.SHEET), "fods", "xlsx")
    status, answer = await upload(world.secretary, world.base, xlsx, "so-lieu.xlsx")
    assert status == 201 and answer["converted_from"] == "xlsx", answer
    v1 = f"{world.base}/papers/{answer['paper']['id']}/versions/1"
    status, words = await world.other.get(f"{v1}/text")
    seen = {w["text"] for page in words["pages"] for w in page}
    assert {"Yên", "Sơn", "12.500", "9.800"} <= seen
    # a PDF is still a PDF: not converted
    status, answer = await upload(world.secretary, world.base, make_pdf(1), "ban-pdf.pdf")
    assert status == 201 and answer["converted_from"] is None
    assert "converted_from" not in answer["paper"]["versions"][0]


async def test_a_restricted_converted_paper_never_sends_its_original(world: World) -> None:
    status, answer = await upload(
        world.secretary, world.base, samples.vietnamese_docx(), "mat.docx",
        access="restricted", user_ids=world.listed.user_id,
    )  # fmt: skip
    assert status == 201, answer
    v1 = f"{world.base}/papers/{answer['paper']['id']}/versions/1"
    status, body = await world.listed.get(f"{v1}/file")
    assert status == 403 and body["error"]["code"] == "paper_restricted"
    status, _ = await world.listed.get(f"{v1}/pages/1?w=800")
    assert status == 200


@pytest.fixture
async def small_server(tmp_path: Path) -> AsyncIterator[LiveServer]:
    """Packages may unpack to 16 MiB: a zip bomb a test can build in a moment is over it."""
    server = LiveServer(
        f"sqlite+aiosqlite:///{tmp_path / 'meetings.sqlite3'}", tmp_path, {"convert_max_unpacked_mb": 16}
    )
    await server.start()
    yield server
    await server.stop()


async def test_bombs_and_unknown_types_are_refused_and_the_server_keeps_serving(small_server: LiveServer) -> None:
    admin = await small_server.admin()
    meeting = await make_meeting(admin)
    base = f"/api/meetings/{meeting['id']}"
    cases = [
        ("billion laughs", samples.billion_laughs_docx(), "cuoi.docx", 422, "paper_convert_damaged", "hỏng"),
        ("zip bomb", samples.zip_bomb_docx(24), "bom.docx", 422, "paper_convert_too_big", "16 MB"),
        ("an image", b"\x89PNG\r\n\x1a\n" + bytes(200), "anh.docx", 415, "paper_type_unsupported", ".pptx"),
        ("text named .pdf", b"khong phai PDF\n" * 20, "gia.pdf", 422, "paper_not_pdf", "PDF"),
    ]
    for name, content, filename, status_code, code, words in cases:
        status, answer = await admin.upload(f"{base}/papers", content, filename, {"title": name})
        assert (status, answer["error"]["code"]) == (status_code, code), (name, answer)
        assert words in answer["error"]["message"], (name, answer)
        status, listing = await admin.get(f"{base}/papers")  # nothing half-added, and the server answers
        assert status == 200 and listing["papers"] == []
    status, answer = await admin.upload(f"{base}/papers", samples.vietnamese_docx(), "tot.docx")
    assert status == 201 and answer["converted_from"] == "docx", answer
