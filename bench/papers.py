#!/usr/bin/env python3
"""Paper pipeline benchmark: how soon an uploaded meeting paper is ready for the delegates' tablets.

One run makes a 100-page deck like those secretaries upload (A4 reports in Vietnamese with tables and photos,
16:9 slides with bullet points and pictures; built here with pymupdf and Pillow, nothing downloaded), then
measures, one section after another on the same file:

1. **pipeline**: the product's `PaperPipeline` on a warm `DocumentWorkers(max_workers=2)` pool (as a running
   server has it after `warm_up()`), fresh cache: time to the first viewable page (`ingest` returns once page 1
   is rendered at every width and the words of every page are extracted), time until every page is ready for
   tablets (`render_all`'s first pass: each page at the width it is most likely read at, portrait pages at
   800 px and slides at 1280 px, and its thumbnail; polled with `progress`), time until everything is (every
   width), the workers' CPU seconds, and the disk used per page and width; the same `ingest` once more on a
   cold pool (a server that did not warm up);
2. **first_pass**: other choices of the first pass, timed the same way (upload to the end of that pass);
3. **pdftoppm**: `pdftoppm -r 150 -png` on the same file (one 1240 px PNG per page, single-threaded), wall time
   and CPU, and the ratio;
4. **per width**: in this process, single-threaded, what one page costs at each width (MuPDF + Pillow's WebP
   encoder, with the product's settings), over every 4th page, and what the text extraction costs.

5. **page_links** (issue 13): cached page images through the real server from a load generator in another
   process (bench/pageload.py): the session route beside signed page links (domain/pagelinks.py), requests/s and
   p50/p99 over `--connections` keep-alive connections for `--rate-seconds` each; then `--tablets` tablets (600)
   prefetching the whole deck (`--pages`, or `--tablet-pages`) over signed links, two connections each, and
   `--session-tablets` (60) doing the same over the session route for comparison.

Other people's work on the machine slows a run down: each section reports the CPU others used meanwhile
(`other cores`), and "CPU-bound" figures divide the workers' CPU seconds by the cores, what an idle machine
would take. Sections are functions returning dicts, so more can be added (`SECTIONS`).

Each run overwrites bench/results/papers-latest.json and .md (the page turn: fanout-page-turn-latest; --out NAME
for another name).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import io
import json
import multiprocessing
import random
import resource
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

import fanout  # bench/ is on sys.path: the same server harness as the event fan-out runs
from fanout import code_version, machine_info, proc_cpu_s, system_busy_s

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"

GOAL_READY_S = 4.0
GOAL_FASTER_THAN_PDFTOPPM = 4.0
GOAL_FIRST_PAGE_S = 1.0
GOAL_CACHED_PAGE_P99_MS = 50.0
GOAL_PAGE_TURN_P99_MS = 50.0
GOAL_CACHED_PAGES_PER_S = 1500.0  # one server process, cached page images (issue 13)
GOAL_TABLETS_S = 120.0  # 600 tablets prefetching a 100-page deck

PHRASES = (
    "Ủy ban nhân dân huyện Sơn Dương báo cáo kết quả thực hiện nhiệm vụ phát triển kinh tế - xã hội",
    "bảo đảm quốc phòng - an ninh trên địa bàn",
    "tiến độ giải ngân vốn đầu tư công đạt 78,5% kế hoạch vốn tỉnh giao",
    "chuyển đổi số cấp xã, cung cấp dịch vụ công trực tuyến toàn trình",
    "xây dựng nông thôn mới nâng cao, nông thôn mới kiểu mẫu",
    "phòng, chống thiên tai và tìm kiếm cứu nạn mùa mưa lũ",
    "các xã Hợp Thành, Kháng Nhật, Thiện Kế, Sơn Nam đã hoàn thành chỉ tiêu",
    "đề nghị Thường trực Hội đồng nhân dân huyện xem xét, cho ý kiến",
    "thu ngân sách nhà nước trên địa bàn ước đạt 412,7 tỷ đồng",
    "công tác cải cách hành chính, nâng cao chỉ số hài lòng của người dân",
)
UNITS = ("Hợp Thành", "Kháng Nhật", "Hợp Hòa", "Thiện Kế", "Sơn Nam", "Đại Phú", "Phúc Ứng", "Tú Thịnh",
         "Đông Thọ", "Quyết Thắng", "Vĩnh Lợi", "Trường Sinh")  # fmt: skip


# ---- the deck ----------------------------------------------------------------------------------------------------


def photo(seed: int, width: int = 1200, height: int = 800) -> bytes:
    """A photo-like JPEG: soft colour fields, a horizon, grain. Different for every seed."""
    from PIL import Image, ImageDraw, ImageFilter

    rng = random.Random(seed)
    small = Image.new("RGB", (12, 8))
    small.putdata([(rng.randrange(40, 230), rng.randrange(60, 220), rng.randrange(40, 200)) for _ in range(96)])
    image = small.resize((width, height), Image.Resampling.BICUBIC)
    draw = ImageDraw.Draw(image)
    horizon = rng.randrange(height // 3, 2 * height // 3)
    for _ in range(25):  # fields, houses, trees
        x, y = rng.randrange(width), rng.randrange(horizon, height)
        w, h = rng.randrange(20, 200), rng.randrange(10, 120)
        colour = (rng.randrange(30, 200), rng.randrange(60, 180), rng.randrange(20, 120))
        draw.rectangle((x, y - h, x + w, y), fill=colour)
    image = image.filter(ImageFilter.GaussianBlur(2))
    grain = Image.effect_noise((width, height), 18).convert("RGB")
    image = Image.blend(image, grain, 0.12)
    out = io.BytesIO()
    image.save(out, "JPEG", quality=85)
    return out.getvalue()


def sentence(rng: random.Random, n: int = 2) -> str:
    text = ", ".join(rng.choice(PHRASES) for _ in range(n))
    return text[0].upper() + text[1:] + "."


def make_deck(pages: int = 100, seed: int = 2026) -> bytes:
    """Pages 1-3 of every 5 are A4 reports (heading, justified paragraphs, a table or a photo), pages 4-5
    are 16:9 slides (title, bullets, a photo on every other slide): ~40 distinct photos in all."""
    import pymupdf

    rng = random.Random(seed)
    doc = pymupdf.open()
    for i in range(pages):
        if i % 5 in (3, 4):
            page = doc.new_page(width=960, height=540)
            page.draw_rect(pymupdf.Rect(0, 0, 960, 90), color=None, fill=(0.0, 0.25, 0.5))
            page.insert_htmlbox(
                pymupdf.Rect(40, 18, 920, 86),
                f"<h1 style='color:white;font-size:28pt'>{i + 1}. {rng.choice(PHRASES)[:60]}</h1>",
            )
            bullets = "".join(f"<li>{sentence(rng, 1)}</li>" for _ in range(4))
            with_photo = i % 2 == 1
            page.insert_htmlbox(
                pymupdf.Rect(40, 110, 500 if with_photo else 920, 520),
                f"<ul style='font-size:19pt;line-height:1.3'>{bullets}</ul>",
            )
            if with_photo:
                page.insert_image(pymupdf.Rect(520, 120, 920, 420), stream=photo(seed + i))
        else:
            page = doc.new_page(width=595.28, height=841.89)
            heading = (
                f"<p style='text-align:center;font-weight:bold;font-size:13pt'>BÁO CÁO<br/>"
                f"{rng.choice(PHRASES).upper()[:70]}</p><p style='text-align:center'><i>(Trang {i + 1})</i></p>"
            )
            body = "".join(f"<p style='text-align:justify;text-indent:28pt;font-size:13pt'>{sentence(rng, 3)}</p>"
                           for _ in range(4))  # fmt: skip
            page.insert_htmlbox(pymupdf.Rect(85, 57, 538, 520), heading + body)
            if i % 3 == 0:
                page.insert_image(pymupdf.Rect(110, 530, 510, 790), stream=photo(seed + i))
            else:
                rows = "".join(
                    f"<tr><td>{r + 1}</td><td>Xã {UNITS[(i + r) % len(UNITS)]}</td>"
                    f"<td style='text-align:right'>{rng.randrange(100, 99999):,}</td>"
                    f"<td style='text-align:right'>{rng.randrange(40, 101)}%</td></tr>"
                    for r in range(10)
                )
                page.insert_htmlbox(pymupdf.Rect(85, 530, 538, 800),
                                    "<table border='1' style='border-collapse:collapse;font-size:10pt;width:100%'>"
                                    "<tr><th>TT</th><th>Đơn vị</th><th>Kinh phí (triệu đồng)</th><th>Tỷ lệ</th></tr>"
                                    + rows + "</table>")  # fmt: skip
    doc.set_metadata({"title": "Tài liệu kỳ họp thứ 12, HĐND huyện Sơn Dương khóa XX"})
    doc.subset_fonts()
    return doc.tobytes(garbage=3, deflate=True)


# ---- measuring helpers -------------------------------------------------------------------------------------------


def pool_cpu_s() -> float:
    """CPU seconds of this process's child processes that are alive (the pool's workers)."""
    return sum(proc_cpu_s(p.pid) or 0.0 for p in multiprocessing.active_children() if p.pid)


class Window:
    """Wall time, the pool's CPU, this process's CPU and everybody else's over a stretch of the run."""

    def __init__(self) -> None:
        self.wall, self.pool = time.perf_counter(), pool_cpu_s()
        self.me, self.busy = time.process_time(), system_busy_s()

    def close(self) -> dict[str, float]:
        wall = time.perf_counter() - self.wall
        pool, me = pool_cpu_s() - self.pool, time.process_time() - self.me
        others = max(0.0, system_busy_s() - self.busy - pool - me)
        return {"wall_s": round(wall, 3), "workers_cpu_s": round(pool, 3), "server_cpu_s": round(me, 3),
                "other_cores": round(others / wall, 2) if wall else 0.0}  # fmt: skip


def dir_bytes(path: Path, pattern: str) -> int:
    return sum(f.stat().st_size for f in path.glob(pattern))


# ---- sections ----------------------------------------------------------------------------------------------------


async def pipeline_run(workers: Any, root: Path, deck: Path, opts: argparse.Namespace) -> dict[str, Any]:
    """One upload of the deck into an empty cache: ingest, then render_all, timed."""
    from meeting_server.documents.paperfiles import PaperFiles, PaperPipeline

    pipeline = PaperPipeline(workers, PaperFiles(root / "cache"))
    upload = root / "upload"
    shutil.copyfile(deck, upload)
    out: dict[str, Any] = {}
    whole = Window()
    first = Window()
    info = await pipeline.ingest(upload)
    out["first_page"] = first.close()
    sha, pages = info.sha256, info.page_count
    ready_at: list[float] = []
    ready_cpu: list[float] = []

    async def watch() -> None:
        while pipeline.progress(sha)[0] < pages:  # noqa: ASYNC110 (progress is polled, as the API does)
            await asyncio.sleep(0.005)
        ready_at.append(time.perf_counter())
        ready_cpu.append(pool_cpu_s() - whole.pool + time.process_time() - whole.me)

    watcher = asyncio.create_task(watch())
    await pipeline.render_all(sha)
    await watcher
    out["complete"] = whole.close()
    out["ready_s"] = round(ready_at[0] - whole.wall, 3)
    out["ready_cpu_bound_s"] = round(ready_cpu[0] / opts.workers, 2)
    cpu = out["complete"]["workers_cpu_s"] + out["complete"]["server_cpu_s"]
    out["complete_cpu_bound_s"] = round(cpu / opts.workers, 2)
    out["jobs"] = pipeline.jobs
    out["pages"], out["bytes"] = pages, info.bytes
    directory = pipeline.files.directory(sha)
    disk = {str(w): dir_bytes(directory, f"pages/*-{w}.webp") for w in pipeline.widths}
    disk["thumb"] = dir_bytes(directory, "thumbs/*.webp")
    disk["text"] = (directory / "text.json").stat().st_size
    disk["all"] = sum(f.stat().st_size for f in directory.rglob("*") if f.is_file() and f.name != "original.pdf")
    out["disk_kib_per_page"] = {k: round(v / pages / 1024, 1) for k, v in disk.items()}
    search = time.perf_counter()
    hits = await pipeline.search(sha, "uy ban nhan dan huyen")
    out["search"] = {
        "query": "uy ban nhan dan huyen",
        "hits": len(hits),
        "first_s": round(time.perf_counter() - search, 3),
    }
    shutil.rmtree(root)
    return out


async def section_pipeline(deck: Path, opts: argparse.Namespace) -> dict[str, Any]:
    """``--repeat`` uploads on one warm pool, each into an empty cache; the figures are those of the run with
    the least interference (the shortest), every run is listed. Then one ingest on a cold pool."""
    from meeting_server.documents.paperfiles import PaperFiles, PaperPipeline, RenderSettings
    from meeting_server.documents.workers import DocumentWorkers

    render = RenderSettings()
    out: dict[str, Any] = {
        "widths": list(render.widths),
        "first_pass": {"portrait": list(render.ready_portrait), "landscape": list(render.ready_landscape)},
        "thumb_width": render.thumb_width,
        "webp": {"quality": render.quality, "method": render.method, "thumb_quality": render.thumb_quality},
    }
    with tempfile.TemporaryDirectory(prefix="papers-bench-") as tmp:
        async with DocumentWorkers(max_workers=opts.workers) as workers:
            started = time.perf_counter()
            await PaperPipeline(workers, PaperFiles(Path(tmp) / "warm")).warm_up()
            out["warm_up_s"] = round(time.perf_counter() - started, 3)
            runs = []
            for n in range(opts.repeat):
                run = await pipeline_run(workers, Path(tmp) / f"run{n}", deck, opts)
                runs.append(run)
                print(f"  run {n + 1}: first page {run['first_page']['wall_s']:.2f} s, ready {run['ready_s']:.2f} s, "
                      f"everything {run['complete']['wall_s']:.2f} s (others {run['complete']['other_cores']} cores)",
                      flush=True)  # fmt: skip
        best = min(runs, key=lambda r: r["complete"]["wall_s"])
        out.update(best)
        out["runs"] = [{"first_page_s": r["first_page"]["wall_s"], "ready_s": r["ready_s"],
                        "complete_s": r["complete"]["wall_s"], "other_cores": r["complete"]["other_cores"]}
                       for r in runs]  # fmt: skip
        async with DocumentWorkers(max_workers=opts.workers) as workers:  # a server that did not warm up
            pipeline = PaperPipeline(workers, PaperFiles(Path(tmp) / "cold"))
            upload = Path(tmp) / "cold-upload"
            shutil.copyfile(deck, upload)
            cold = Window()
            await pipeline.ingest(upload)
            out["first_page_cold_pool"] = cold.close()
    return out


async def section_first_pass(deck: Path, opts: argparse.Namespace) -> dict[str, Any]:
    """Other choices of the first pass: upload to every page at these widths with thumbnails (the pass only)."""
    from meeting_server.documents.paperfiles import PaperFiles, PaperPipeline, RenderSettings
    from meeting_server.documents.workers import DocumentWorkers

    out: dict[str, Any] = {}
    with tempfile.TemporaryDirectory(prefix="papers-pass-") as tmp:
        async with DocumentWorkers(max_workers=opts.workers) as workers:
            for n, choice in enumerate(opts.first_pass):
                render = RenderSettings(widths=choice, ready_portrait=choice, ready_landscape=choice)
                pipeline = PaperPipeline(workers, PaperFiles(Path(tmp) / f"c{n}"), render=render)
                await pipeline.warm_up()
                upload = Path(tmp) / f"upload{n}"
                shutil.copyfile(deck, upload)
                window = Window()
                info = await pipeline.ingest(upload)
                first = time.perf_counter() - window.wall
                await pipeline.render_all(info.sha256)
                result = window.close()
                result["first_page_s"] = round(first, 3)
                result["cpu_bound_s"] = round((result["workers_cpu_s"] + result["server_cpu_s"]) / opts.workers, 2)
                out["+".join(str(w) for w in choice)] = result
                print(
                    f"  first pass {list(choice)} + thumbnails: {result['wall_s']:.2f} s "
                    f"({result['cpu_bound_s']:.2f} s CPU-bound, others {result['other_cores']} cores)",
                    flush=True,
                )
    return out


async def section_pdftoppm(deck: Path, opts: argparse.Namespace) -> dict[str, Any]:
    if shutil.which("pdftoppm") is None:
        return {"error": "pdftoppm is not installed (apt-get install poppler-utils)"}
    with tempfile.TemporaryDirectory(prefix="pdftoppm-") as tmp:
        before = resource.getrusage(resource.RUSAGE_CHILDREN)
        window = Window()
        await asyncio.to_thread(subprocess.run, ["pdftoppm", "-r", "150", "-png", str(deck), f"{tmp}/p"], check=True)
        out: dict[str, Any] = window.close()
        after = resource.getrusage(resource.RUSAGE_CHILDREN)
        out["cpu_s"] = round(after.ru_utime + after.ru_stime - before.ru_utime - before.ru_stime, 2)
        sizes = [f.stat().st_size for f in Path(tmp).glob("p-*.png")]  # noqa: ASYNC240 (after the timing)
        out["pages"] = len(sizes)
        out["kib_per_page"] = round(sum(sizes) / max(1, len(sizes)) / 1024, 1)
    return out


def section_per_width(deck: Path, opts: argparse.Namespace) -> dict[str, Any]:
    """One core, this process: each sample page rendered alone at each width (opening the file included,
    ~1 ms), with the product's settings; the first pass's cost follows from each page's orientation."""
    import pymupdf

    from meeting_server.documents import pdfcheck
    from meeting_server.documents.paperfiles import IngestLimits, PageSize, RenderSettings

    render = RenderSettings()
    settings = {"max_pixels": IngestLimits().max_render_pixels, "quality": render.quality, "method": render.method,
                "thumb_width": render.thumb_width, "thumb_quality": render.thumb_quality}  # fmt: skip
    doc = pymupdf.open(deck)
    sample = list(range(1, doc.page_count + 1, 4))
    sizes = {n: PageSize(doc[n - 1].rect.width, doc[n - 1].rect.height, 0) for n in sample}
    costs: dict[str, dict[int, float]] = {}
    out: dict[str, Any] = {"sample_pages": len(sample), "widths": {}}
    for width in (*render.widths, "thumb"):
        costs[str(width)] = {}
        with tempfile.TemporaryDirectory(prefix="width-") as tmp:
            for n in sample:
                asked = [width] if isinstance(width, int) else []  # "thumb" renders the thumbnail only
                cpu = time.process_time()
                pdfcheck.render_pages(str(deck), tmp, [(n, asked, width == "thumb")], settings)
                costs[str(width)][n] = (time.process_time() - cpu) * 1000
            size = dir_bytes(Path(tmp), "*/*.webp") / len(sample) / 1024
        ms = sum(costs[str(width)].values()) / len(sample)
        out["widths"][str(width)] = {"ms_per_page": round(ms, 1), "kib_per_page": round(size, 1)}
    cpu = time.process_time()
    pdfcheck.extract_words(str(deck), 1, doc.page_count)
    out["text_ms_per_page"] = round((time.process_time() - cpu) / doc.page_count * 1000, 2)
    cpu = time.process_time()
    pdfcheck.inspect_pdf(str(deck), IngestLimits().worker_limits())
    out["inspect_ms"] = round((time.process_time() - cpu) * 1000, 1)
    first = [sum(costs[str(w)][n] for w in render.ready_widths(sizes[n])) + costs["thumb"][n] for n in sample]
    out["first_pass_ms_per_page"] = round(sum(first) / len(first), 1)
    out["all_widths_ms_per_page"] = round(sum(v["ms_per_page"] for v in out["widths"].values()), 1)
    return out


def _ms(values: list[float]) -> dict[str, float]:
    ordered = sorted(values)

    def q(frac: float) -> float:
        return round(ordered[min(len(ordered) - 1, int(frac * len(ordered)))] * 1000, 1)

    return {"n": len(ordered), "p50": q(0.50), "p99": q(0.99), "max": round(ordered[-1] * 1000, 1)}


@contextlib.asynccontextmanager
async def served_deck(deck: Path, env: dict[str, str] | None = None) -> AsyncIterator[dict[str, Any]]:
    """The real server (`meeting-server serve` in its own process, over HTTP on loopback) with the deck uploaded
    by the chair: yields {server, http (the chair's session), meeting, paper, base, pages, cookie, upload_s}."""
    import aiohttp

    tmp = Path(tempfile.mkdtemp(prefix="papers-serve-"))
    server = fanout.ServerProcess(tmp, fanout.free_port())
    server.env.update(env or {})
    try:
        await asyncio.to_thread(server.migrate)
        seeded = await fanout.seed(f"sqlite+aiosqlite:///{(tmp / 'meetings.sqlite3').resolve()}", tmp, 2, "serve")
        await server.start()
        await asyncio.sleep(2.0)  # the document workers warm up at boot
        meeting = seeded["meeting_id"]
        headers = {"Cookie": seeded["chair_cookie"]}
        async with aiohttp.ClientSession(headers=headers) as http:
            async with http.get(f"{server.url}/api/auth/session") as r:
                csrf = (await r.json())["csrf_token"]
            form = aiohttp.FormData()
            form.add_field("title", "Báo cáo 100 trang")
            form.add_field("publish", "1")
            form.add_field(
                "file", await asyncio.to_thread(deck.read_bytes), filename="bao-cao.pdf", content_type="application/pdf"
            )
            started = time.perf_counter()
            async with http.post(
                f"{server.url}/api/meetings/{meeting}/papers", data=form, headers={"X-CSRF-Token": csrf}
            ) as r:
                paper = (await r.json())["paper"]
                assert r.status == 201, paper
            yield {
                "server": server,
                "http": http,
                "meeting": meeting,
                "paper": paper,
                "base": f"{server.url}/api/meetings/{meeting}/papers/{paper['id']}/versions/1",
                "pages": paper["versions"][0]["page_count"],
                "cookie": seeded["chair_cookie"],
                "upload_s": time.perf_counter() - started,
            }
    finally:
        await server.stop()
        shutil.rmtree(tmp, ignore_errors=True)


async def wait_rendered(served: dict[str, Any]) -> None:
    """Until the first pass has every page, then the second pass (other widths) some time to finish."""
    http, server = served["http"], served["server"]
    ready_deadline = time.monotonic() + 120
    while time.monotonic() < ready_deadline:
        async with http.get(f"{server.url}/api/meetings/{served['meeting']}/papers/{served['paper']['id']}") as r:
            if (await r.json())["paper"]["rendered_pages"] >= served["pages"]:
                break
        await asyncio.sleep(0.5)
    await asyncio.sleep(15.0)


async def section_serving(deck: Path, opts: argparse.Namespace) -> dict[str, Any]:
    """Page images through the real server: an image not rendered yet (rendered on demand: the 2048 px width of
    the last pages, asked for at once after the upload while the first pass runs) against one already on disk,
    one reader at a time and 50 at once (the session route, from the chair's aiohttp client)."""
    async with served_deck(deck) as served:
        http, base, pages = served["http"], served["base"], served["pages"]

        async def fetch(url: str) -> float:
            t = time.perf_counter()
            async with http.get(url) as r:
                await r.read()
                assert r.status == 200, (url, r.status)
            return time.perf_counter() - t

        on_demand = [await fetch(f"{base}/pages/{n}?w=2048") for n in range(pages, pages - 30, -1)]
        await wait_rendered(served)
        urls = [f"{base}/pages/{1 + (k * 7) % pages}?w=1280" for k in range(200)]
        for url in urls[:20]:
            await fetch(url)  # on disk for sure now
        one = [await fetch(url) for url in urls]
        many: list[float] = []
        for start in range(0, len(urls), 50):
            many += await asyncio.gather(*(fetch(url) for url in urls[start : start + 50]))
        async with http.get(f"{base}/pages/1?w=1280") as r:
            cache_control = r.headers.get("Cache-Control", "")
        return {
            "upload_s": round(served["upload_s"], 2),
            "on_demand_2048": _ms(on_demand),
            "on_disk_one_at_a_time": _ms(one),
            "on_disk_50_at_once": _ms(many),
            "cache_control": cache_control,
        }


async def pageload(spec: dict[str, Any], server_pid: int | None) -> dict[str, Any]:
    """bench/pageload.py with `spec`, in its own process; its answer with the server's CPU seconds meanwhile and
    the CPU others used (cores busy beyond the server and the load generator)."""
    busy0, cpu0 = system_busy_s(), proc_cpu_s(server_pid) if server_pid else None
    pipe = asyncio.subprocess.PIPE
    proc = await asyncio.create_subprocess_exec(
        sys.executable, str(ROOT / "bench" / "pageload.py"),
        stdin=pipe, stdout=pipe, stderr=pipe, preexec_fn=fanout.raise_nofile,
    )  # fmt: skip
    start_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    out, err = await proc.communicate(json.dumps(spec).encode())
    if proc.returncode != 0:
        return {"error": err.decode(errors="replace")[-2000:]}
    end_children = resource.getrusage(resource.RUSAGE_CHILDREN)
    result: dict[str, Any] = json.loads(out)
    cpu1 = proc_cpu_s(server_pid) if server_pid else None
    seconds = result.get("seconds") or result.get("wall_s") or 1.0
    server_cpu = round(cpu1 - cpu0, 2) if cpu0 is not None and cpu1 is not None else None
    load_cpu = (end_children.ru_utime + end_children.ru_stime) - (start_children.ru_utime + start_children.ru_stime)
    result["server_cpu_s"] = server_cpu
    result["server_cores"] = round(server_cpu / seconds, 2) if server_cpu is not None else None
    result["load_generator_cpu_s"] = round(load_cpu, 2)
    others = (system_busy_s() - busy0) - (server_cpu or 0) - load_cpu
    result["other_cores"] = round(max(0.0, others) / seconds, 2)
    return result


def _signed_paths(paper: dict[str, Any], meeting: str, width: int) -> list[str]:
    links = paper["page_links"]
    base = f"/api/meetings/{meeting}/papers/{paper['id']}/versions/{links['version']}/pages"
    return [f"{base}/{n}/signed?w={width}&f={links['f']}&e={links['e']}&s={sig}" for n, sig in enumerate(links["s"], 1)]


async def section_page_links(deck: Path, opts: argparse.Namespace) -> dict[str, Any]:
    """Cached page images from one server process at full speed, the session route (a session, the meeting and
    the paper read per request) beside the signed links (domain/pagelinks.py: no database), then N tablets
    prefetching the whole deck over signed links, two connections each as static/app/reader/prefetch.js does.
    The load comes from bench/pageload.py in another process (keep-alive HTTP/1.1), so that the server has a
    core of its own as far as the machine allows (`other_cores` says what others used meanwhile)."""
    async with served_deck(deck) as served:
        http, server, meeting, pages = served["http"], served["server"], served["meeting"], served["pages"]
        await wait_rendered(served)
        width = 1280
        session_paths = [f"/api/meetings/{meeting}/papers/{served['paper']['id']}/versions/1/pages/{n}?w={width}"
                         for n in range(1, pages + 1)]  # fmt: skip

        async def links() -> dict[str, Any]:
            async with http.get(f"{server.url}/api/meetings/{meeting}/papers/{served['paper']['id']}") as r:
                return dict((await r.json())["paper"])

        for path in _signed_paths(await links(), meeting, width):  # every page on disk at this width
            async with http.get(server.url + path) as r:
                await r.read()
                assert r.status == 200, (path, r.status)
        where = {"host": "127.0.0.1", "port": server.port}
        rows: dict[str, Any] = {}
        for name, paths, headers in (
            ("session_route", session_paths, {"Cookie": served["cookie"]}),
            ("signed_route", _signed_paths(await links(), meeting, width), {}),
        ):
            spec = {**where, "mode": "rate", "connections": opts.connections, "seconds": opts.rate_seconds,
                    "paths": paths, "headers": headers}  # fmt: skip
            rows[name] = await pageload(spec, server.pid)
            print(f"  {name}: {json.dumps(rows[name])}", flush=True)
        signed = _signed_paths(await links(), meeting, width)[: opts.tablet_pages or pages]
        spec = {**where, "mode": "tablets", "per_tablet": 2, "tablets": [signed] * opts.tablets}
        rows["tablets"] = await pageload(spec, server.pid)
        print(f"  tablets: {json.dumps(rows['tablets'])}", flush=True)
        if opts.session_tablets:
            paths = session_paths[: opts.tablet_pages or pages]
            spec = {**where, "mode": "tablets", "per_tablet": 2, "tablets": [paths] * opts.session_tablets,
                    "headers": {"Cookie": served["cookie"]}}  # fmt: skip
            rows["session_tablets"] = await pageload(spec, server.pid)
        rows["width"] = width
        rows["page_bytes_mean"] = round(
            rows["signed_route"].get("bytes", 0) / max(1, rows["signed_route"].get("requests", 1))
        )
        return rows


async def section_page_turn(deck: Path, opts: argparse.Namespace) -> dict[str, Any]:
    """Follow the presenter: the chair's page turn (`paper.present`) to 200 readers, measured by bench/fanout.py
    in a process of its own (its delegates are real socket.io clients in worker processes)."""
    out = RESULTS / ("fanout-page-turn-latest" if opts.stamp == "latest" else f"fanout-page-turn-{opts.stamp}")
    proc = await asyncio.create_subprocess_exec(
        sys.executable,
        str(ROOT / "bench" / "fanout.py"),
        "--sizes",
        str(opts.readers),
        "--change",
        "page-turn",
        "--changes",
        "30",
        "--out",
        out.name,
        cwd=str(ROOT),
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    text, _ = await proc.communicate()
    if proc.returncode != 0:
        return {"error": text.decode(errors="replace")[-2000:]}
    row = json.loads(out.with_suffix(".json").read_text())["sizes"][0]
    return {
        "readers": opts.readers,
        "result_file": f"bench/results/{out.name}.json",
        "latency_ms": row.get("latency_send_ms"),
        "deliveries": row.get("deliveries"),
        "ack_ms": row.get("ack_ms"),
        "status": row.get("status"),
    }


async def run_sync(fn: Callable[[Path, argparse.Namespace], dict[str, Any]], deck: Path,
                   opts: argparse.Namespace) -> dict[str, Any]:  # fmt: skip
    return fn(deck, opts)


SECTIONS: dict[str, Callable[[Path, argparse.Namespace], Awaitable[dict[str, Any]]]] = {
    "pipeline": section_pipeline,
    "first_pass": section_first_pass,
    "pdftoppm": section_pdftoppm,
    "per_width": lambda deck, opts: run_sync(section_per_width, deck, opts),
    "serving": section_serving,
    "page_links": section_page_links,
    "page_turn": section_page_turn,
}


# ---- report ------------------------------------------------------------------------------------------------------


def _first(pipe: dict[str, Any]) -> str:
    return f"portrait pages {pipe['first_pass']['portrait']} px, landscape {pipe['first_pass']['landscape']} px"


def goals(report: dict[str, Any]) -> list[str]:
    s = report["sections"]
    pipe, ppm = s.get("pipeline", {}), s.get("pdftoppm", {})
    lines = []
    if "ready_s" in pipe:
        ready, complete = pipe["ready_s"], pipe["complete"]["wall_s"]
        others = pipe["complete"]["other_cores"]
        lines.append(
            f"{'MET' if ready <= GOAL_READY_S else 'MISSED'}: ready for tablets in ≤ {GOAL_READY_S:g} s: {ready:.2f} s "
            f"to every page at its first-pass width ({_first(pipe)}) with thumbnails and text (upload to the last "
            "image); "
            f"{'MET' if complete <= GOAL_READY_S else 'MISSED'} for every width {pipe['widths']}: {complete:.2f} s "
            f"({pipe['complete_cpu_bound_s']:.2f} s CPU-bound on {report['options']['workers']} workers; "
            f"others used {others:.2f} cores meanwhile)"
        )
    if "wall_s" in ppm and "ready_s" in pipe:
        ratio_ready = ppm["wall_s"] / pipe["ready_s"]
        ratio_all = ppm["wall_s"] / pipe["complete"]["wall_s"]
        idle_ready = ppm["cpu_s"] / pipe["ready_cpu_bound_s"]
        idle_all = ppm["cpu_s"] / pipe["complete_cpu_bound_s"]
        lines.append(
            f"{'MET' if ratio_ready >= GOAL_FASTER_THAN_PDFTOPPM else 'MISSED'}: ≥ {GOAL_FASTER_THAN_PDFTOPPM:g}× "
            f"faster than `pdftoppm -r 150 -png` ({ppm['wall_s']:.2f} s, one 1240 px PNG per page, others used "
            f"{ppm['other_cores']} cores meanwhile): {ratio_ready:.1f}× to ready, {ratio_all:.1f}× to every width, "
            f"thumbnail and the text; on CPU alone (pdftoppm's {ppm['cpu_s']:.1f} s on one core against our CPU "
            f"seconds over {report['options']['workers']} workers): {idle_ready:.1f}× and {idle_all:.1f}×"
        )
    if "first_page" in pipe:
        first = pipe["first_page"]["wall_s"]
        cold = pipe["first_page_cold_pool"]["wall_s"]
        lines.append(
            f"{'MET' if first <= GOAL_FIRST_PAGE_S else 'MISSED'}: first viewable page in ≤ {GOAL_FIRST_PAGE_S:g} s: "
            f"{first:.2f} s on a warm pool (ingest: checked, words of all pages, page 1 at every width); "
            f"{cold:.2f} s on a cold pool (spawning the workers and importing MuPDF)"
        )
    serving = s.get("serving", {})
    if "on_disk_one_at_a_time" in serving:
        one, many = serving["on_disk_one_at_a_time"], serving["on_disk_50_at_once"]
        lines.append(
            f"{'MET' if one['p99'] <= GOAL_CACHED_PAGE_P99_MS else 'MISSED'}: cached page p99 ≤ "
            f"{GOAL_CACHED_PAGE_P99_MS:g} ms: {one['p99']} ms one reader at a time (p50 {one['p50']}), "
            f"{many['p99']} ms with 50 at once (p50 {many['p50']}); not yet rendered (2048 px, on demand while the "
            f"first pass runs): p50 {serving['on_demand_2048']['p50']}, p99 {serving['on_demand_2048']['p99']} ms. "
            f"A tablet that has the page pays nothing: `{serving['cache_control']}`"
        )
    links = s.get("page_links", {})
    if "signed_route" in links and "per_second" in links["signed_route"]:
        new, old = links["signed_route"], links["session_route"]
        lines.append(
            f"{'MET' if new['per_second'] >= GOAL_CACHED_PAGES_PER_S else 'MISSED'}: ≥ {GOAL_CACHED_PAGES_PER_S:g} "
            f"cached page images/s from one server process: {new['per_second']}/s over signed links "
            f"(p50 {new['latency_ms']['p50']}, p99 {new['latency_ms']['p99']} ms, {new['connections']} connections, "
            f"server {new['server_cores']} cores); the session route {old['per_second']}/s (p50 "
            f"{old['latency_ms']['p50']}, p99 {old['latency_ms']['p99']} ms)"
        )
    tabs = links.get("tablets", {})
    if "wall_s" in tabs:
        lines.append(
            f"{'MET' if tabs['wall_s'] <= GOAL_TABLETS_S and not tabs['errors'] else 'MISSED'}: {tabs['tablets']} "
            f"tablets prefetch a {tabs['requests'] // max(1, tabs['tablets'])}-page deck in ≤ {GOAL_TABLETS_S:g} s: "
            f"{tabs['wall_s']} s ({tabs['per_second']} images/s, errors {tabs['errors'] or 'none'}, connections "
            f"reset and opened again {tabs.get('reconnects', 0)})"
        )
    turn = s.get("page_turn", {})
    if turn.get("latency_ms"):
        lat = turn["latency_ms"]
        lines.append(
            f"{'MET' if (lat.get('p99') or 1e9) <= GOAL_PAGE_TURN_P99_MS else 'MISSED'}: page turn to "
            f"{turn['readers']} readers p99 ≤ {GOAL_PAGE_TURN_P99_MS:g} ms: p50 {lat.get('p50')}, p99 "
            f"{lat.get('p99')} ms (chair's send to each reader's socket, commit included; "
            f"{turn['deliveries']['received']}/{turn['deliveries']['expected']} delivered; {turn['result_file']})"
        )
    return lines


def markdown(report: dict[str, Any]) -> str:
    m, code, s = report["machine"], report["code"], report["sections"]
    dirty = code.get("uncommitted_product_files")
    lines = [
        f"# Paper pipeline benchmark, {report['started_at']}",
        "",
        f"Machine: {m['nproc']} × {m['cpu_model']}, {m['mem_total_mb']} MiB, Python {m['python']}; "
        + ", ".join(f"{k} {v}" for k, v in m["packages"].items() if v)
        + ".",
        f"Load average before the run: {', '.join(f'{x:.2f}' for x in m['loadavg'])}.",
        f"Code: commit {code.get('commit')}"
        + (f", uncommitted changes in {len(dirty)} product files" if dirty else "")
        + ".",
        f"Deck: {report['deck']['pages']} pages ({report['deck']['a4']} A4 report pages, {report['deck']['slides']} "
        f"16:9 slides, {report['deck']['images']} photos), {report['deck']['bytes'] / 2**20:.1f} MiB.",
        "",
        "## Goals",
        "",
        *[f"- {line}" for line in report["goals"]],
        "",
    ]
    pipe = s.get("pipeline")
    if pipe:
        lines += [
            "## Pipeline (2 workers, warm)",
            "",
            "| stage | wall s | workers CPU s | server CPU s | other cores |",
            "|---|---|---|---|---|",
        ]
        for name, key in (("first page (ingest)", "first_page"), ("everything", "complete"),
                          ("first page, cold pool", "first_page_cold_pool")):  # fmt: skip
            w = pipe[key]
            cells = (name, w["wall_s"], w["workers_cpu_s"], w["server_cpu_s"], w["other_cores"])
            lines.append("| " + " | ".join(str(c) for c in cells) + " |")
        lines += [
            "",
            f"Ready (every page at its first-pass width, {_first(pipe)}, and its thumbnail): **{pipe['ready_s']} s** "
            f"({pipe['ready_cpu_bound_s']} s CPU-bound); everything "
            f"(widths {pipe['widths']}): **{pipe['complete']['wall_s']} s**, {pipe['jobs']} worker jobs. "
            f"WebP quality {pipe['webp']['quality']}, method {pipe['webp']['method']} (thumbnails "
            f"{pipe['thumb_width']} px, quality {pipe['webp']['thumb_quality']}). Warm-up of the pool: "
            f"{pipe['warm_up_s']} s. First search ({pipe['search']['query']!r}): {pipe['search']['hits']} hits in "
            f"{pipe['search']['first_s']} s (loads the words, builds the index).",
            "",
            f"The figures are the shortest of {len(pipe['runs'])} uploads; all of them (s): "
            + "; ".join(
                f"first page {r['first_page_s']}, ready {r['ready_s']}, everything {r['complete_s']} "
                f"(others {r['other_cores']} cores)"
                for r in pipe["runs"]
            )
            + ".",
            "",
            "Disk per page (KiB): " + ", ".join(f"{k} {v}" for k, v in pipe["disk_kib_per_page"].items()) + ".",
            "",
        ]
    passes = s.get("first_pass")
    if passes:
        lines += [
            "## Other first passes (upload to every page at these widths + thumbnails)",
            "",
            "| widths | first page s | ready s | CPU-bound s | other cores |",
            "|---|---|---|---|---|",
        ]
        lines += [
            f"| {k} | {v['first_page_s']} | {v['wall_s']} | {v['cpu_bound_s']} | {v['other_cores']} |"
            for k, v in passes.items()
        ]
        lines.append("")
    ppm = s.get("pdftoppm")
    if ppm and "wall_s" in ppm:
        lines += ["## pdftoppm -r 150 -png", "",
                  f"{ppm['wall_s']} s wall, {ppm['cpu_s']} s CPU, {ppm['pages']} pages, {ppm['kib_per_page']} KiB per "
                  f"page; other cores meanwhile {ppm['other_cores']}.", ""]  # fmt: skip
    per = s.get("per_width")
    if per:
        lines += ["## Cost per page and width (one core, this process)", "", "| width | ms per page | KiB per page |",
                  "|---|---|---|"]  # fmt: skip
        lines += [f"| {w} | {v['ms_per_page']} | {v['kib_per_page']} |" for w, v in per["widths"].items()]
        lines += ["", f"Sample: {per['sample_pages']} pages (every 4th). First pass: {per['first_pass_ms_per_page']} "
                  f"ms per page; all widths and the thumbnail: {per['all_widths_ms_per_page']} ms per page. Words: "
                  f"{per['text_ms_per_page']} ms per page; inspecting the whole file: {per['inspect_ms']} ms.",
                  ""]  # fmt: skip
    serving = s.get("serving")
    if serving and "on_disk_one_at_a_time" in serving:
        lines += [
            "## Page images through the server (HTTP on loopback, the server in its own process)",
            "",
            "| request | n | p50 ms | p99 ms | max ms |",
            "|---|---|---|---|---|",
        ]
        for name, key in (("not rendered yet (2048 px, on demand)", "on_demand_2048"),
                          ("on disk, one reader at a time", "on_disk_one_at_a_time"),
                          ("on disk, 50 at once", "on_disk_50_at_once")):  # fmt: skip
            v = serving[key]
            lines.append(f"| {name} | {v['n']} | {v['p50']} | {v['p99']} | {v['max']} |")
        lines += [
            "",
            f"Upload of the deck over HTTP until the answer (page 1 viewable): {serving['upload_s']} s. "
            f"`Cache-Control: {serving['cache_control']}`: a tablet's second look costs no request.",
            "",
        ]
    links = s.get("page_links")
    if links and "signed_route" in links:
        lines += [
            "## Cached page images from one server process: the session route against signed page links",
            "",
            f"Load from `bench/pageload.py` in its own process (keep-alive HTTP/1.1, {links['width']} px pages, "
            f"{links['page_bytes_mean'] / 1024:.0f} KiB on average); `other cores`: CPU others used meanwhile.",
            "",
            "| run | connections | requests | wall s | per s | p50 ms | p99 ms | server cores | load generator CPU s "
            "| other cores | errors |",
            "|---|---|---|---|---|---|---|---|---|---|---|",
        ]
        for name, key in (("session route (session, meeting, paper read)", "session_route"),
                          ("signed links (no database)", "signed_route"),
                          ("tablets over signed links", "tablets"),
                          ("tablets over the session route", "session_tablets")):  # fmt: skip
            v = links.get(key)
            if not v or "requests" not in v:
                continue
            who = v.get("connections") or f"{v['tablets']} tablets × {v['per_tablet']}"
            wall = v.get("seconds") or v.get("wall_s")
            row = (name, who, v["requests"], wall, v["per_second"], v["latency_ms"]["p50"], v["latency_ms"]["p99"],
                   v["server_cores"], v["load_generator_cpu_s"], v["other_cores"], v["errors"] or "none")  # fmt: skip
            lines.append("| " + " | ".join(str(c) for c in row) + " |")
        lines.append("")
    turn = s.get("page_turn")
    if turn:
        lines += [
            "## Follow the presenter: page turns to readers",
            "",
            f"`bench/fanout.py --change page-turn --sizes {turn.get('readers')}`: "
            + json.dumps(
                {k: turn.get(k) for k in ("latency_ms", "ack_ms", "deliveries", "status", "error")}, ensure_ascii=False
            ),
            "",
        ]
    return "\n".join(lines) + "\n"


async def main_async(opts: argparse.Namespace) -> int:
    info = machine_info()
    info["packages"] = {name: _version(name) for name in ("pymupdf", "pillow")}
    from PIL import features

    info["packages"]["libwebp"] = features.version("webp")
    report: dict[str, Any] = {"started_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"), "machine": info,
                              "code": code_version(), "options": vars(opts).copy(), "sections": {}}  # fmt: skip
    print(f"papers bench: {info['nproc']} cores ({info['cpu_model']}), load {info['loadavg'][0]:.2f}", flush=True)
    with tempfile.TemporaryDirectory(prefix="papers-deck-") as tmp:
        deck = Path(tmp) / "deck.pdf"
        started = time.perf_counter()
        deck.write_bytes(make_deck(opts.pages))
        slides = sum(1 for i in range(opts.pages) if i % 5 in (3, 4))
        images = sum(1 for i in range(opts.pages) if (i % 5 in (3, 4) and i % 2 == 1) or (i % 5 < 3 and i % 3 == 0))
        report["deck"] = {"pages": opts.pages, "bytes": deck.stat().st_size, "slides": slides,
                          "a4": opts.pages - slides, "images": images}  # fmt: skip
        print(f"deck: {opts.pages} pages, {deck.stat().st_size / 2**20:.1f} MiB, made in "
              f"{time.perf_counter() - started:.1f} s", flush=True)  # fmt: skip
        for name in opts.sections:
            print(f"{name} ...", flush=True)
            result = await SECTIONS[name](deck, opts)
            report["sections"][name] = result
            print(json.dumps(result, ensure_ascii=False), flush=True)
    report["goals"] = goals(report)
    print()
    print("\n".join(report["goals"]))
    RESULTS.mkdir(parents=True, exist_ok=True)
    base = RESULTS / f"papers-{opts.stamp}"
    base.with_suffix(".json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    base.with_suffix(".md").write_text(markdown(report))
    print(f"saved {base.relative_to(ROOT)}.json and .md")
    return 0


def _version(name: str) -> str | None:
    try:
        return metadata.version(name)
    except metadata.PackageNotFoundError:
        return None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    ap = argparse.ArgumentParser(description=(__doc__ or "").split("\n\n")[0])
    ap.add_argument("--pages", type=int, default=100, help="pages in the deck (default %(default)s)")
    ap.add_argument("--workers", type=int, default=2, help="document worker processes (default %(default)s)")
    ap.add_argument("--repeat", type=int, default=3, help="uploads timed in the pipeline section (default %(default)s)")
    ap.add_argument("--sections", default=",".join(SECTIONS),
                    help="comma-separated sections to run, in order (default %(default)s)")  # fmt: skip
    ap.add_argument(
        "--first-pass",
        default="800;1280;800,1280",
        help="first_pass section: width sets to time, ';' between sets (default %(default)s)",
    )
    ap.add_argument("--readers", type=int, default=200, help="page_turn section: readers (default %(default)s)")
    ap.add_argument("--tablets", type=int, default=600, help="page_links section: tablets prefetching the deck "
                    "(default %(default)s)")  # fmt: skip
    ap.add_argument("--tablet-pages", type=int, default=0, help="page_links section: pages each tablet fetches "
                    "(default: the whole deck, --pages)")  # fmt: skip
    ap.add_argument("--session-tablets", type=int, default=60, help="page_links section: tablets prefetching over "
                    "the session route, for comparison (default %(default)s; 0: none)")  # fmt: skip
    ap.add_argument("--connections", type=int, default=64, help="page_links section: keep-alive connections for "
                    "the requests/s figures (default %(default)s)")  # fmt: skip
    ap.add_argument("--rate-seconds", type=float, default=10.0, help="page_links section: seconds per route "
                    "(default %(default)s)")  # fmt: skip
    ap.add_argument("--out", help="result file name (without extension), overwritten; default papers-latest")
    opts = ap.parse_args(argv)
    opts.first_pass = [tuple(int(w) for w in part.split(",")) for part in opts.first_pass.split(";") if part]
    opts.sections = [s.strip() for s in opts.sections.split(",") if s.strip()]
    unknown = [s for s in opts.sections if s not in SECTIONS]
    if unknown:
        ap.error(f"unknown sections: {', '.join(unknown)} (known: {', '.join(SECTIONS)})")
    opts.stamp = opts.out.removeprefix("papers-") if opts.out else "latest"
    return opts


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    try:
        return asyncio.run(main_async(opts))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
