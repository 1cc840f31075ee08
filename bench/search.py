#!/usr/bin/env python3
"""Search benchmark: N papers of P pages of Vietnamese administrative text, indexed and searched on SQLite FTS5 and
on PostgreSQL (a private cluster from tests/pgserver.py), as docs/search.md describes.

1. generate the papers as real PDFs with pymupdf (Noto Sans, full diacritics; text from a word list of the
   administrative vocabulary, a Zipf-like choice so some words are everywhere and some rare); timed;
2. extract their words with the product's extractor (documents/pdfcheck.extract_words, in a process pool of one
   worker per core) into each paper's text.json where the paper pipeline keeps it; timed ("extract"); the page
   images an upload also renders are not made;
3. per engine, a fresh database (migrated): a secretary, a delegate, M meetings inviting the delegate (through
   the product's actions), the papers in them (one in ten restricted to the secretary's side); then the indexer
   (search/indexer.py) runs from an empty index until `settled()`; timed ("index");
4. per engine: Q two-word queries (a phrase of two adjacent words of the vocabulary, as typed with diacritics and
   again without), each through views/search.search as the REST handler calls it (the delegate's scope, the count,
   one page of 20 ranked hits with their snippets); p50/p99/max latency and the hits' counts.

Each run overwrites bench/results/search-latest.json and .md (--out NAME for another name). See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import multiprocessing as mp
import os
import random
import shutil
import statistics
import sys
import tempfile
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
RESULTS = ROOT / "bench" / "results"
GOAL_P99_MS = 100.0
FONT = "/usr/share/fonts/truetype/noto/NotoSans-Regular.ttf"

from fanout import code_version, machine_info  # noqa: E402  (bench/ is on sys.path)

# The administrative vocabulary: words (many of two syllables) as they appear in tờ trình, báo cáo, nghị quyết.
WORDS = [
    "ủy ban nhân dân",
    "hội đồng nhân dân",
    "nghị quyết",
    "quyết định",
    "tờ trình",
    "báo cáo",
    "kế hoạch",
    "dự toán",
    "ngân sách",
    "đầu tư công",
    "giải ngân",
    "kinh tế",
    "xã hội",
    "quốc phòng",
    "an ninh",
    "địa bàn",
    "tỉnh",
    "xã",
    "phường",
    "thôn",
    "bản",
    "tổ dân phố",
    "cán bộ",
    "công chức",
    "viên chức",
    "đại biểu",
    "thường trực",
    "chủ tịch",
    "phó chủ tịch",
    "giám đốc",
    "sở",
    "ban",
    "ngành",
    "đoàn thể",
    "thực hiện",
    "triển khai",
    "chỉ đạo",
    "điều hành",
    "tổ chức",
    "phối hợp",
    "kiểm tra",
    "giám sát",
    "đánh giá",
    "tổng kết",
    "rà soát",
    "nhiệm vụ",
    "giải pháp",
    "chỉ tiêu",
    "mục tiêu",
    "kết quả",
    "tồn tại",
    "hạn chế",
    "nguyên nhân",
    "đề xuất",
    "kiến nghị",
    "đề nghị",
    "xây dựng",
    "nông thôn mới",
    "chuyển đổi số",
    "dịch vụ công",
    "trực tuyến",
    "cải cách hành chính",
    "thủ tục",
    "hồ sơ",
    "đất đai",
    "tài nguyên",
    "môi trường",
    "khoáng sản",
    "rừng",
    "thiên tai",
    "mưa lũ",
    "sạt lở",
    "cứu nạn",
    "phòng chống",
    "giáo dục",
    "đào tạo",
    "y tế",
    "văn hóa",
    "thể thao",
    "du lịch",
    "lao động",
    "việc làm",
    "an sinh",
    "giảm nghèo",
    "bảo hiểm",
    "giao thông",
    "thủy lợi",
    "điện",
    "nước sạch",
    "trường học",
    "trạm y tế",
    "nhà văn hóa",
    "chợ",
    "đường",
    "cầu",
    "năm",
    "tháng",
    "quý",
    "kỳ họp",
    "phiên họp",
    "cuộc họp",
    "hội nghị",
    "biên bản",
    "thông báo",
    "kết luận",
    "ý kiến",
    "thống nhất",
    "theo",
    "về",
    "của",
    "và",
    "các",
    "những",
    "trong",
    "trên",
    "cho",
    "với",
    "đã",
    "đang",
    "sẽ",
    "được",
    "có",
    "không",
    "đạt",
    "vượt",
    "so với",
    "cùng kỳ",
    "tỷ đồng",
    "triệu đồng",
    "phần trăm",
    "hộ",
    "người",
    "học sinh",
    "giáo viên",
    "bác sĩ",
    "doanh nghiệp",
    "hợp tác xã",
    "Tuyên Quang",
    "Hà Giang",
    "Sơn Dương",
    "Yên Sơn",
    "Hàm Yên",
    "Chiêm Hóa",
    "Na Hang",
    "Lâm Bình",
    "Mỹ Lâm",
    "Minh Xuân",
]


def zipf_weights(n: int, s: float = 1.0) -> list[float]:
    return [1.0 / (rank**s) for rank in range(1, n + 1)]


def page_text(rng: random.Random, words: int) -> str:
    chosen = rng.choices(WORDS, weights=WEIGHTS, k=words)
    sentences, line = [], []
    for word in chosen:
        line.append(word)
        if len(line) >= rng.randint(10, 18):
            sentences.append(" ".join(line).capitalize() + ".")
            line = []
    if line:
        sentences.append(" ".join(line).capitalize() + ".")
    return " ".join(sentences)


WEIGHTS = zipf_weights(len(WORDS), 0.8)


def make_paper(args: tuple[str, int, int, int]) -> tuple[str, str, int]:
    """One PDF of `pages` pages; returns (its path, its sha256, its size)."""
    import hashlib

    import pymupdf

    out_dir, number, pages, words = args
    rng = random.Random(number)
    doc = pymupdf.open()
    for n in range(pages):
        page = doc.new_page(width=595, height=842)
        page.insert_font(fontname="noto", fontfile=FONT)
        page.insert_textbox(pymupdf.Rect(56, 56, 539, 800), page_text(rng, words), fontname="noto", fontsize=10)
        if n == 0:
            page.insert_textbox(pymupdf.Rect(56, 20, 539, 50), f"Tài liệu số {number}", fontname="noto", fontsize=9)
    data = doc.tobytes(garbage=3, deflate=True)
    doc.close()
    path = Path(out_dir) / f"paper-{number:05d}.pdf"
    path.write_bytes(data)
    return str(path), hashlib.sha256(data).hexdigest(), len(data)


def write_text(args: tuple[int, str, int, int]) -> tuple[str, str, int]:
    """A paper not made as a PDF: its generated words straight into text.json (one word a box, in lines)."""
    import hashlib

    from meeting_server.documents.paperfiles import PaperFiles

    number, root, pages, words = args
    rng = random.Random(number)
    out = []
    for _ in range(pages):
        tokens = page_text(rng, words).split()
        out.append([[0.1, 0.1, 0.2, 0.12, t, i // 12] for i, t in enumerate(tokens)])
    data = json.dumps({"version": 1, "pages": out}, ensure_ascii=False).encode()
    sha = hashlib.sha256(data).hexdigest()
    folder = PaperFiles(root).directory(sha)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "text.json").write_bytes(data)
    return "", sha, len(data)


def extract(args: tuple[str, str, str, int]) -> int:
    """The product's extractor into the paper store's text.json (and a meta.json the store can read)."""
    from meeting_server.documents import pdfcheck
    from meeting_server.documents.paperfiles import PaperFiles

    pdf, sha, root, pages = args
    files = PaperFiles(root)
    words = pdfcheck.extract_words(pdf, 1, pages)
    folder = files.directory(sha)
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "text.json").write_text('{"version":1,"pages":[' + ",".join(words) + "]}")
    return len(words)


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * len(ordered)) - 1))]


async def run_engine(
    engine: str, url: str, data_dir: Path, papers: list[tuple[str, str, int]], opts: argparse.Namespace
) -> dict[str, Any]:
    from meeting_server.actions import run_action
    from meeting_server.api.app import build_services
    from meeting_server.config import Settings
    from meeting_server.documents.paperfiles import PaperFiles
    from meeting_server.domain.actors import Actor
    from meeting_server.domain.papers import Paper, PaperVersion
    from meeting_server.passwords import hash_password
    from meeting_server.search.indexer import Indexer
    from meeting_server.storage import papers as paper_store
    from meeting_server.storage import search as search_store
    from meeting_server.storage.db import new_id, now_iso
    from meeting_server.storage.migrate import upgrade_async
    from meeting_server.storage.models import UnitRow, UserRow
    from meeting_server.views import search as search_views

    await upgrade_async(url)
    settings = Settings(data_dir=data_dir, database_url=url)
    services = build_services(settings)
    try:
        now = now_iso()
        secret = hash_password(f"bench-{uuid.uuid4().hex}")
        async with services.db.write() as session:
            unit = UnitRow(id=new_id("un"), name="Tỉnh Tuyên Quang", kind="province", code="", created_at=now)
            session.add(unit)
            await session.flush()
            people = {
                role: UserRow(
                    id=new_id("u"),
                    username=f"bench-{role}",
                    full_name=role,
                    title="",
                    password_hash=secret,
                    roles=[role],
                    unit_id=unit.id,
                    lang="vi",
                    active=True,
                    created_at=now,
                )
                for role in ("secretary", "delegate")
            }
            session.add_all(people.values())

        def actor(role: str) -> Actor:
            row = people[role]
            return Actor(kind="user", id=row.id, name=row.full_name, roles=frozenset({role}), unit_id=unit.id)

        secretary, delegate = actor("secretary"), actor("delegate")
        per_meeting = max(1, len(papers) // opts.meetings)
        meeting_ids = []
        for m in range(opts.meetings):
            day = 1 + m % 28
            meeting = await run_action(
                services,
                secretary,
                "meeting.create",
                {
                    "title": f"Phiên họp thường kỳ số {m + 1}",
                    "starts_at": f"2026-{1 + m % 12:02d}-{day:02d}T08:00:00+07:00",
                    "ends_at": f"2026-{1 + m % 12:02d}-{day:02d}T11:00:00+07:00",
                    "secretary_id": secretary.id,
                    "invitee_ids": [delegate.id],
                },
            )
            await run_action(
                services,
                secretary,
                "agenda.add_item",
                {"meeting_id": meeting["id"], "title": "Báo cáo kinh tế - xã hội", "planned_minutes": 15},
            )
            await run_action(services, secretary, "meeting.schedule", {"meeting_id": meeting["id"]})
            meeting_ids.append(meeting["id"])
        async with services.db.write() as session:
            for i, (_, sha, size) in enumerate(papers):
                version = PaperVersion(
                    version=1,
                    file_id=sha,
                    filename=f"tai-lieu-{i}.pdf",
                    bytes=size,
                    page_count=opts.pages,
                    pages=({"width": 595, "height": 842, "rotation": 0},) * opts.pages,
                )
                paper = Paper(
                    id=new_id("p"),
                    meeting_id=meeting_ids[min(i // per_meeting, len(meeting_ids) - 1)],
                    title=f"Tài liệu số {i}",
                    versions=(version,),
                    status="published",
                    access="restricted" if i % 10 == 0 else "all",
                    created_by=secretary.id,
                    created_at=now,
                )
                await paper_store.save_paper(session, paper)
        indexer = Indexer(services, PaperFiles(settings.papers_dir))
        started = time.perf_counter()
        indexer.start()
        await indexer.settled()
        index_s = time.perf_counter() - started
        await indexer.stop()
        async with services.db.read() as session:
            counts = await search_store.counts(session)

        rng = random.Random(7)
        two_word = [w for w in WORDS if len(w.split()) == 2]
        queries = [rng.choice(two_word) for _ in range(opts.queries)]
        rows: dict[str, Any] = {}
        for label, shaped in (("with diacritics", lambda q: q), ("without diacritics", search_store.folded_text)):
            for warm in queries[:5]:
                await search_views.search(
                    services, delegate, shaped(warm), search_views.filters((), None, None, None, None), 1
                )
            times, totals = [], []
            profiler = None
            if opts.profile:
                import cProfile

                profiler = cProfile.Profile()
                profiler.enable()
            for q in queries:
                t0 = time.perf_counter()
                found = await search_views.search(
                    services, delegate, shaped(q), search_views.filters((), None, None, None, None), 1
                )
                times.append(time.perf_counter() - t0)
                totals.append(found.total)
            if profiler is not None:
                import pstats

                profiler.disable()
                pstats.Stats(profiler).sort_stats("cumulative").print_stats(25)
            rows[label] = {
                "queries": len(times),
                "p50_ms": round(pct(times, 0.50) * 1000, 1),
                "p99_ms": round(pct(times, 0.99) * 1000, 1),
                "max_ms": round(max(times) * 1000, 1),
                "mean_ms": round(statistics.fmean(times) * 1000, 1),
                "hits_median": int(statistics.median(totals)),
                "hits_max": max(totals),
            }
        return {
            "engine": engine,
            "index_s": round(index_s, 2),
            "units": counts,
            "queries": rows,
            "engine_name": search_store.index_for(services.db.is_sqlite).name,
        }
    finally:
        await services.db.close()


def _per_page(report: dict[str, Any]) -> str:
    pages = report["pdf_sample"] * report["params"]["pages"]
    return f"{report['extract_s'] * 1000 / pages:.1f}" if pages else "-"


def _all_extract(report: dict[str, Any]) -> str:
    sample = report["pdf_sample"]
    return f"{report['extract_s'] * report['params']['papers'] / sample / 60:.0f}" if sample else "-"


def markdown(report: dict[str, Any]) -> str:
    p = report["params"]
    lines = [
        "# Search benchmark (bench/search.py)",
        "",
        f"{p['papers']} papers × {p['pages']} pages ({p['papers'] * p['pages']} pages, about {p['words']} words "
        f"each) of generated Vietnamese administrative text in {p['meetings']} meetings, one paper in ten "
        f"restricted; {report['at']}, commit {report['code']['commit']}, load average "
        f"{report['machine']['loadavg'][0]:.1f} on {report['machine']['nproc']} cores.",
        "",
        f"- text extraction from real PDFs, on a sample of {report['pdf_sample']} papers "
        f"({report['pdf_sample'] * p['pages']} pages): generating them (pymupdf) {report['generate_s']} s, extracting "
        f"their words with the product's extractor (pdfcheck.extract_words, {report['extract_workers']} processes) "
        f"{report['extract_s']} s, {_per_page(report)} ms a page; the other papers' text.json is written from the "
        "generated text directly (at that rate extracting all of them would take "
        f"{_all_extract(report)} min, past this benchmark's few minutes)",
        "",
        "| engine | index (s, from text.json) | units | query | p50 ms | p99 ms | max ms | hits (median / max) |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in report["engines"]:
        for label, q in r["queries"].items():
            units = sum(r["units"].values())
            lines.append(
                f"| {r['engine_name']} | {r['index_s']} | {units} | two words, {label} | {q['p50_ms']} | "
                f"{q['p99_ms']} | {q['max_ms']} | {q['hits_median']} / {q['hits_max']} |"
            )
    worst = max(q["p99_ms"] for r in report["engines"] for q in r["queries"].values())
    verdict = "met" if worst <= GOAL_P99_MS else "missed"
    lines += [
        "",
        f"Goal: p99 ≤ {GOAL_P99_MS:.0f} ms for a two-word query: {verdict} (worst p99 {worst} ms).",
        "",
        "A query's time is views/search.search as the REST handler calls it: the delegate's scope (their "
        "meetings and roles), the count and one page of 20 ranked hits with snippets; not the HTTP round "
        "trip.",
    ]
    return "\n".join(lines) + "\n"


async def main_async(opts: argparse.Namespace) -> int:
    work = Path(tempfile.mkdtemp(prefix="bench-search-"))
    try:
        pdf_dir = work / "pdfs"
        pdf_dir.mkdir()
        data_dir = work / "data"
        workers = max(1, os.cpu_count() or 1)
        ctx = mp.get_context("spawn")
        sample = min(opts.pdf_sample, opts.papers)
        t0 = time.perf_counter()
        with ctx.Pool(workers) as pool:
            papers = pool.map(make_paper, [(str(pdf_dir), i, opts.pages, opts.words) for i in range(sample)], 4)
        generate_s = time.perf_counter() - t0
        print(f"generated {len(papers)} PDFs in {generate_s:.1f} s", flush=True)
        root = data_dir / "papers"
        root.mkdir(parents=True)
        t0 = time.perf_counter()
        with ctx.Pool(workers) as pool:
            pool.map(extract, [(path, sha, str(root), opts.pages) for path, sha, _ in papers], 4)
        extract_s = time.perf_counter() - t0
        print(f"extracted their words in {extract_s:.1f} s", flush=True)
        with ctx.Pool(workers) as pool:
            papers += pool.map(
                write_text, [(i, str(root), opts.pages, opts.words) for i in range(sample, opts.papers)], 16
            )
        engines = []
        for engine in opts.engines.split(","):
            if engine == "sqlite":
                url = f"sqlite+aiosqlite:///{work / 'search.sqlite3'}"
                engines.append(await run_engine(engine, url, data_dir, papers, opts))
            else:
                from tests.pgserver import PostgresServer

                server = PostgresServer()
                server.start()
                try:
                    name = f"bench_{uuid.uuid4().hex[:8]}"
                    await server.create_database(name)
                    engines.append(await run_engine(engine, server.url(name), data_dir, papers, opts))
                finally:
                    server.stop()
            print(json.dumps(engines[-1], ensure_ascii=False), flush=True)
        report = {
            "at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
            "params": {
                "papers": opts.papers,
                "pages": opts.pages,
                "words": opts.words,
                "meetings": opts.meetings,
                "queries": opts.queries,
            },
            "pdf_sample": sample,
            "generate_s": round(generate_s, 1),
            "extract_s": round(extract_s, 1),
            "extract_workers": workers,
            "engines": engines,
            "machine": machine_info(),
            "code": code_version(),
        }
        RESULTS.mkdir(parents=True, exist_ok=True)
        (RESULTS / f"{opts.out}.json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
        (RESULTS / f"{opts.out}.md").write_text(markdown(report))
        print(markdown(report))
        return 0
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--papers", type=int, default=2000)
    parser.add_argument("--pages", type=int, default=20)
    parser.add_argument("--words", type=int, default=300, help="words per page")
    parser.add_argument(
        "--pdf-sample",
        type=int,
        default=100,
        help="papers made as real PDFs and extracted (timed); the others' text.json is written directly",
    )
    parser.add_argument("--meetings", type=int, default=100)
    parser.add_argument("--queries", type=int, default=200, help="per form (with and without diacritics)")
    parser.add_argument("--engines", default="sqlite,postgres")
    parser.add_argument("--out", default="search-latest")
    parser.add_argument("--profile", action="store_true", help="print cProfile's top of the queries")
    return asyncio.run(main_async(parser.parse_args(argv)))


if __name__ == "__main__":
    sys.exit(main())
