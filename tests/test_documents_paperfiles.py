"""The paper pipeline end to end, through real worker processes: ingest, cache, page images, text and search,
and hostile files, each refused with its code while the same pipeline goes on serving good papers."""

from __future__ import annotations

import asyncio
import json
import multiprocessing
import os
import signal
import time
from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pymupdf
import pytest
import pytest_asyncio
from PIL import Image

from meeting_server.documents import pdfcheck
from meeting_server.documents.paperfiles import (
    IngestLimits,
    PageWarning,
    PaperFiles,
    PaperPipeline,
    RenderSettings,
)
from meeting_server.documents.workers import DocumentWorkers
from meeting_server.errors import AppError
from tests import paper_samples as samples
from tests.helpers import wait_for
from tests.worker_fns import HeldRender

pytestmark = [pytest.mark.asyncio(loop_scope="module"), pytest.mark.timeout(120)]

# Short timeouts so a bomb (which never finishes) costs seconds; real papers need a fraction of them.
LIMITS = IngestLimits(inspect_timeout=15, text_timeout=4, page_timeout=4)


@pytest_asyncio.fixture(scope="module", loop_scope="module")
async def pool(tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[DocumentWorkers]:
    workers = DocumentWorkers(max_workers=2, start_method="spawn")
    # Started before the first test, as the server does: a worker's start is not a paper's work, and on a busy
    # machine it would eat the short timeouts below.
    await PaperPipeline(workers, PaperFiles(tmp_path_factory.mktemp("warm-up"))).warm_up()
    yield workers
    await workers.close()


@pytest.fixture
def make_pipeline(pool: DocumentWorkers, tmp_path: Path) -> Callable[..., PaperPipeline]:
    def make(
        limits: IngestLimits = LIMITS, render: RenderSettings | None = None, hold: HeldRender | None = None
    ) -> PaperPipeline:
        if hold is None:
            return PaperPipeline(pool, PaperFiles(tmp_path / "papers"), limits, render)
        return PaperPipeline(pool, PaperFiles(tmp_path / "papers"), limits, render, render_pages=hold)

    return make


@pytest.fixture
def pipeline(make_pipeline: Callable[..., PaperPipeline]) -> PaperPipeline:
    return make_pipeline()


def _upload(tmp_path: Path, data: bytes, name: str = "upload.bin") -> Path:
    """Uploads land in a server-chosen temporary file; its name means nothing to the pipeline."""
    path = tmp_path / name
    path.write_bytes(data)
    return path


def _leftovers(root: Path) -> list[Path]:
    staging = root / ".staging"
    return [*root.rglob("*.tmp"), *(staging.iterdir() if staging.exists() else [])]


async def test_ingest_describes_caches_and_renders_page_one(pipeline: PaperPipeline, tmp_path: Path) -> None:
    paper = samples.paper()  # (each call makes a new /ID: other bytes)
    info = await pipeline.ingest(_upload(tmp_path, paper))
    assert info.page_count == len(samples.PAGES)
    assert info.title == "Báo cáo kinh tế - xã hội tháng 11"
    assert [o.page for o in info.outline] == [1, 2, 4, 7]
    assert [p.rotation for p in info.pages] == [0, 0, 0, 0, 90, 180, 270, 0]
    assert (info.pages[4].width, info.pages[4].height) == (841.89, 595.28)
    data = info.to_dict()
    assert data["pages"][0] == {"width": 595.28, "height": 841.89, "rotation": 0}
    assert data["outline"][1] == {"level": 2, "title": "1. Kinh tế", "page": 2}
    assert data["sha256"] == info.sha256 and data["bytes"] == len(paper)
    json.dumps(data)

    directory = pipeline.files.root / info.sha256[:2] / info.sha256
    assert (directory / "original.pdf").read_bytes() == paper
    assert json.loads((directory / "meta.json").read_text()) == data
    assert len(json.loads((directory / "text.json").read_text())["pages"]) == info.page_count
    for width in pipeline.widths:  # a reader can open page 1 at once, at any width
        with Image.open(directory / "pages" / f"1-{width}.webp") as image:
            assert (image.format, image.width) == ("WEBP", width)
    with Image.open(directory / "thumbs" / "1.webp") as image:
        assert image.width == pipeline.thumb_width
    assert not (directory / "pages" / "2-800.webp").exists()
    assert pipeline.progress(info.sha256) == (1, info.page_count)
    assert _leftovers(pipeline.files.root) == []

    jobs = pipeline.jobs
    again = await pipeline.ingest(_upload(tmp_path, paper, "same-bytes-other-meeting.pdf"))
    assert again == info and pipeline.jobs == jobs  # the same file again costs no worker job
    restarted = PaperPipeline(pipeline.workers, PaperFiles(pipeline.files.root), LIMITS)
    assert await restarted.ingest(_upload(tmp_path, paper, "after-restart")) == info
    assert restarted.jobs == 0
    assert restarted.progress(info.sha256) == (1, info.page_count)


async def test_concurrent_ingests_of_one_file_do_the_work_once(pipeline: PaperPipeline, tmp_path: Path) -> None:
    data = samples.simple(2)
    uploads = [_upload(tmp_path, data, f"u{i}") for i in range(3)]
    infos = await asyncio.gather(*(pipeline.ingest(u) for u in uploads))
    assert infos[0] == infos[1] == infos[2]
    assert pipeline.jobs == 3  # inspect, page 1, words


async def test_render_all_renders_every_page_once(pipeline: PaperPipeline, tmp_path: Path) -> None:
    info = await pipeline.ingest(_upload(tmp_path, samples.paper()))
    await asyncio.gather(pipeline.render_all(info.sha256), pipeline.render_all(info.sha256))
    assert pipeline.progress(info.sha256) == (info.page_count, info.page_count)
    directory = pipeline.files.directory(info.sha256)
    for number, page in enumerate(info.pages, start=1):
        for width in pipeline.widths:
            with Image.open(directory / "pages" / f"{number}-{width}.webp") as image:
                assert image.format == "WEBP"
                assert image.size[0] == width
                assert image.size[1] == pytest.approx(page.height * width / page.width, abs=1)
        assert (directory / "thumbs" / f"{number}.webp").exists()
    jobs = pipeline.jobs
    await pipeline.render_all(info.sha256)
    assert pipeline.jobs == jobs
    assert _leftovers(pipeline.files.root) == []
    path = await pipeline.page_image(info.sha256, 5, 1280)
    assert path == directory / "pages" / "5-1280.webp" and pipeline.jobs == jobs


async def test_search_finds_words_where_pymupdf_sees_them(pipeline: PaperPipeline, tmp_path: Path) -> None:
    info = await pipeline.ingest(_upload(tmp_path, samples.paper()))
    plain = await pipeline.search(info.sha256, "bien ban hop uy ban")
    marked = await pipeline.search(info.sha256, "Biên bản họp Ủy ban")
    assert plain == marked
    assert [hit["page"] for hit in plain] == list(range(1, info.page_count + 1))
    assert await pipeline.search(info.sha256, "bàn") == []  # "ban" with another tone is another word
    assert len(await pipeline.search(info.sha256, "ban")) >= info.page_count

    doc = pymupdf.open(stream=samples.paper())
    hits = await pipeline.search(info.sha256, "Tuyên Quang")
    assert len(hits) >= info.page_count  # the sentence is on every page
    for hit in hits:
        page = doc[hit["page"] - 1]
        found = page.search_for("Tuyên Quang")  # a rectangle per font run, on the unrotated page
        box = found[0]
        for rect in found[1:]:
            box |= rect
        box = box * page.rotation_matrix
        expected = [box.x0 / page.rect.width, box.y0 / page.rect.height,
                    box.x1 / page.rect.width, box.y1 / page.rect.height]  # fmt: skip
        assert len(hit["rects"]) == 1
        assert hit["rects"][0] == pytest.approx(expected, abs=0.003), f"page {hit['page']} rotated {page.rotation}"
        assert "Tuyên Quang" in hit["snippet"]

    words = await pipeline.text(info.sha256)
    assert len(words) == info.page_count
    first = [w["text"] for w in words[0]]
    start = first.index("Biên")
    assert " ".join(first[start : start + 10]) == samples.SENTENCE
    assert all(0 <= v <= 1 for page in words for w in page for v in w["box"])


async def test_widths_pages_and_papers_are_checked(pipeline: PaperPipeline, tmp_path: Path) -> None:
    assert [pipeline.nearest_width(w) for w in (1, 800, 801, 1280, 1536, 4000)] == [800, 800, 1280, 1280, 2048, 2048]
    info = await pipeline.ingest(_upload(tmp_path, samples.simple(2)))
    with pytest.raises(AppError) as bad_width:
        await pipeline.page_image(info.sha256, 1, 1000)
    assert bad_width.value.code == "invalid_input"
    for sha, page in ((info.sha256, 0), (info.sha256, 3), ("0" * 64, 1), ("../../etc/passwd", 1)):
        with pytest.raises(AppError) as missing:
            await pipeline.page_image(sha, page, 800)
        assert missing.value.code == "not_found"
    assert pipeline.progress("../x") == (0, 0)


async def test_concurrent_requests_for_one_missing_image_render_it_once(
    pipeline: PaperPipeline, tmp_path: Path
) -> None:
    info = await pipeline.ingest(_upload(tmp_path, samples.paper()))
    jobs = pipeline.jobs
    paths = await asyncio.gather(*(pipeline.page_image(info.sha256, 3, 2048) for _ in range(6)))
    assert len(set(paths)) == 1 and pipeline.jobs == jobs + 1
    thumbs = await asyncio.gather(*(pipeline.thumbnail(info.sha256, 3) for _ in range(4)))
    assert len(set(thumbs)) == 1 and pipeline.jobs == jobs + 2
    with Image.open(paths[0]) as image:
        assert image.width == 2048
    assert pipeline.progress(info.sha256) == (1, info.page_count)  # page 3 (portrait) still lacks its 800 image


async def test_a_reader_goes_before_background_rendering(
    make_pipeline: Callable[..., PaperPipeline], tmp_path: Path
) -> None:
    held, release = tmp_path / "held", tmp_path / "release"
    hold = HeldRender(15, str(held), str(release))  # the background cannot finish until the test says so
    pipeline = make_pipeline(IngestLimits(page_timeout=60), hold=hold)
    info = await pipeline.ingest(_upload(tmp_path, samples.text_pages(16)))
    background = asyncio.create_task(pipeline.render_all(info.sha256))
    await wait_for(held.exists)  # one worker holds background work
    path = await pipeline.page_image(info.sha256, 16, 2048)  # the last page, last in the background's order
    assert path.exists()
    assert not background.done()
    release.touch()
    await background
    assert pipeline.progress(info.sha256) == (16, 16)


async def test_size_is_checked_before_any_worker_job(make_pipeline: Callable[..., PaperPipeline],
                                                     tmp_path: Path) -> None:  # fmt: skip
    small = make_pipeline(IngestLimits(max_bytes=1 << 20, max_pages=2))
    with pytest.raises(AppError) as too_big:
        await small.ingest(_upload(tmp_path, b"%PDF-1.7\n" + bytes(2 << 20)))
    assert (too_big.value.code, too_big.value.status, small.jobs) == ("paper_too_large", 413, 0)
    assert "1 MB" in too_big.value.message("en")
    with pytest.raises(AppError) as too_long:
        await small.ingest(_upload(tmp_path, samples.simple(3)))
    assert (too_long.value.code, too_long.value.status) == ("paper_too_many_pages", 422)
    assert "2" in too_long.value.message("vi")
    assert (await small.ingest(_upload(tmp_path, samples.simple(2)))).page_count == 2


HOSTILE = {
    "text-file-named-pdf": (samples.text_file, "paper_not_pdf"),
    "empty": (lambda: b"", "paper_empty"),
    "encrypted": (samples.encrypted, "paper_encrypted"),
    "200-inch-page": (samples.huge_page, "paper_page_too_large"),
    "junk-after-header": (samples.header_and_junk, "paper_corrupt"),
    "no-page-tree": (samples.broken_page_tree, "paper_corrupt"),
    "declared-image-bomb": (lambda: samples.image_bomb(40000), "paper_too_complex"),
    "content-stream-bomb": (samples.endless_content, "paper_too_complex"),
    "cyclic-outline-next": (lambda: samples.cyclic_outline("next"), None),
    "cyclic-outline-child": (lambda: samples.cyclic_outline("child"), None),
    "cyclic-outline-parent": (lambda: samples.cyclic_outline("parent"), None),
    "garbled-xref": (samples.garbled_xref, None),
    "owner-password-only": (lambda: samples.encrypted(user_password=""), None),
    "encrypted-attachment": (samples.with_encrypted_attachment, None),
}


@pytest.mark.parametrize("name", list(HOSTILE))
async def test_hostile_file_then_a_good_one(pipeline: PaperPipeline, tmp_path: Path, name: str) -> None:
    make, code = HOSTILE[name]
    upload = _upload(tmp_path, make(), "tai-lieu.pdf")
    if code is None:  # accepted: MuPDF reads it like other readers do
        info = await pipeline.ingest(upload)
        assert info.page_count >= 2 and len(info.outline) <= 3
        assert info.repaired == (name == "garbled-xref")
        await pipeline.render_all(info.sha256)
        assert pipeline.progress(info.sha256) == (info.page_count, info.page_count)
    else:
        with pytest.raises(AppError) as refused:
            await pipeline.ingest(upload)
        assert refused.value.code == code
        assert refused.value.status == 422
        refused.value.message("vi"), refused.value.message("en")  # every placeholder is filled
        if code == "paper_page_too_large":
            assert "Trang 2" in refused.value.message("vi") and "120 inch" in refused.value.message("vi")
        assert [p for p in pipeline.files.root.iterdir() if p.name != ".staging"] == []  # nothing cached
    assert _leftovers(pipeline.files.root) == []
    good = await pipeline.ingest(_upload(tmp_path, samples.simple(2, "Tai lieu tot"), "good"))
    assert good.page_count == 2
    assert (await pipeline.page_image(good.sha256, 2, 800)).exists()
    assert (await pipeline.search(good.sha256, "tai lieu tot"))[0]["page"] == 1


async def test_a_heavy_page_after_page_one_fails_alone(make_pipeline: Callable[..., PaperPipeline],
                                                       tmp_path: Path) -> None:  # fmt: skip
    hold = HeldRender(2, str(tmp_path / "held"))  # page 2's rendering never ends; its words do
    pipeline = make_pipeline(LIMITS, RenderSettings(chunk_pages=1), hold)
    info = await pipeline.ingest(_upload(tmp_path, samples.simple(3)))
    with pytest.raises(AppError) as failed:
        await pipeline.render_all(info.sha256)
    assert failed.value.code == "paper_too_complex"
    assert pipeline.progress(info.sha256) == (2, 3)
    jobs = pipeline.jobs
    with pytest.raises(AppError) as again:
        await pipeline.page_image(info.sha256, 2, 800)
    assert again.value.code == "paper_too_complex" and pipeline.jobs == jobs  # known bad: not tried again
    assert (await pipeline.page_image(info.sha256, 3, 2048)).exists()


def _kill_workers() -> int:
    killed = 0
    for child in multiprocessing.active_children():  # this test process's children: the pool's workers
        assert child.pid is not None  # started, or it would not be active
        os.kill(child.pid, signal.SIGKILL)
        killed += 1
    return killed


async def test_a_worker_killed_mid_job(make_pipeline: Callable[..., PaperPipeline], tmp_path: Path) -> None:
    held = tmp_path / "held"
    once = make_pipeline(IngestLimits(page_timeout=60, crash_retries=0), hold=HeldRender(2, str(held), once=True))
    info = await once.ingest(_upload(tmp_path, samples.simple(3)))
    job = asyncio.create_task(once.page_image(info.sha256, 2, 800))
    await wait_for(held.exists)  # a worker is in the middle of the job
    assert _kill_workers() >= 1
    with pytest.raises(AppError) as crashed:
        await job
    assert crashed.value.code == "paper_too_complex"
    assert (await once.thumbnail(info.sha256, 3)).exists()  # the next job runs in a fresh pool

    held = tmp_path / "held-again"  # the default: a crash is tried once more (and this one renders)
    retrying = make_pipeline(IngestLimits(page_timeout=60), hold=HeldRender(2, str(held), once=True))
    jobs = retrying.jobs
    job = asyncio.create_task(retrying.page_image(info.sha256, 2, 1280))
    await wait_for(held.exists)
    assert _kill_workers() >= 1
    path = await job
    assert path.exists() and retrying.jobs == jobs + 2


async def test_staging_left_by_a_stopped_server_is_swept(tmp_path: Path) -> None:
    root = tmp_path / "papers"
    old, recent = root / ".staging" / "old", root / ".staging" / "recent"
    for directory in (old, recent):
        (directory / "pages").mkdir(parents=True)
        (directory / "original.pdf").write_bytes(b"%PDF-1.7\n")
    an_hour_ago = time.time() - 3700
    os.utime(old, (an_hour_ago, an_hour_ago))
    PaperFiles(root)
    assert not old.exists() and recent.exists()  # a recent one may be another server process's ingest


def _alive(pid: int) -> bool:
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(") ", 1)[1][0] != "Z"
    except FileNotFoundError:
        return False


async def test_an_upload_given_up_on_still_has_its_bomb_stopped(pipeline: PaperPipeline, tmp_path: Path) -> None:
    await pipeline.ingest(_upload(tmp_path, samples.simple(1)))  # the workers are up
    before = {child.pid for child in multiprocessing.active_children()}
    jobs = pipeline.jobs
    upload = asyncio.create_task(pipeline.ingest(_upload(tmp_path, samples.endless_content(), "bomb")))
    await wait_for(lambda: pipeline.jobs >= jobs + 3)  # inspected; page 1 and its words (never ending) started
    upload.cancel()  # the client went away mid-upload
    with pytest.raises(asyncio.CancelledError):
        await upload
    try:
        await wait_for(lambda: not any(_alive(pid) for pid in before if pid), timeout=LIMITS.text_timeout + 60)
    except AssertionError:
        raise AssertionError("the bomb kept its worker after the timeout") from None
    assert (await pipeline.ingest(_upload(tmp_path, samples.simple(2)))).page_count == 2
    assert _leftovers(pipeline.files.root) == []


async def test_pages_that_may_look_wrong_are_named_at_ingest(pipeline: PaperPipeline, tmp_path: Path) -> None:
    """JBIG2 junk on page 1 (neither MuPDF nor poppler draws it) is named in the paper's info, kept in
    meta.json (a restarted server says the same), and the page is still served; a JBIG2 refinement page
    MuPDF cannot decode is served as poppler draws it, with nothing to say."""
    info = await pipeline.ingest(_upload(tmp_path, samples.jbig2_garbage(pages=3)))
    assert info.page_warnings == (PageWarning(1, pdfcheck.DECODE_FAILED),)
    assert pipeline.quality(info.sha256) == {
        "repaired": False,
        "page_warnings": [{"page": 1, "reason": "image_not_decoded"}],
    }
    restarted = PaperPipeline(pipeline.workers, PaperFiles(pipeline.files.root), LIMITS)
    assert restarted.quality(info.sha256) == pipeline.quality(info.sha256)
    assert (await pipeline.page_image(info.sha256, 1, 800)).exists()

    refined = await pipeline.ingest(_upload(tmp_path, samples.jbig2_refined(), "refined"))
    assert refined.page_warnings == () and pipeline.quality(refined.sha256)["page_warnings"] == []
    with Image.open(await pipeline.page_image(refined.sha256, 1, 1280)) as image:
        assert samples.agreement(image, samples.jbig2_frame()) > 0.95
    assert pipeline.quality("0" * 64) == {"repaired": False, "page_warnings": []}  # unknown: nothing to say


async def test_a_paper_encrypted_for_its_attachment_only_is_ingested(pipeline: PaperPipeline, tmp_path: Path) -> None:
    info = await pipeline.ingest(_upload(tmp_path, samples.attachment_encrypted()))
    assert info.page_count == 1
    assert [w["text"] for w in (await pipeline.text(info.sha256))[0]][:2] == ["Trang", "1:"]
    await pipeline.render_all(info.sha256)
    assert pipeline.progress(info.sha256) == (1, 1)
    with pytest.raises(AppError) as refused:  # a password to open it: still refused
        await pipeline.ingest(_upload(tmp_path, samples.encrypted(), "locked"))
    assert refused.value.code == "paper_encrypted"
