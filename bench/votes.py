#!/usr/bin/env python3
"""Vote benchmark: N voters cast their ballots the moment the chair opens a vote; how long until every ballot is
acknowledged, and how long from the close until the result is on every screen.

1. seed a temporary database (SQLite, or PostgreSQL with --postgres: a private cluster from tests/pgserver.py)
   through the product's Python API: a chair, N delegates invited to a scheduled meeting (bench/fanout.py's
   seed), every delegate checked in at the hall by the admin's desk (`attendance.record`); not timed;
2. start the real server (`python -m meeting_server serve --no-migrate`); with --baseline REF a second server
   runs REF's code (`git archive REF`) on its own fresh database, and the two are measured in turn, A B A B;
3. --workers processes hold the N voters as `room_client.feed.MeetingFeed` sockets, all joined before the open;
4. per vote (--modes, default named then secret; --rounds each): the chair (a socket in this process) prepares it
   (`vote.prepare`), then opens it (`vote.open`); every voter casts (`vote.cast_ballot` over its socket) as soon
   as its socket receives `vote.opened`; when every ballot is acknowledged the chair closes it (`vote.close`),
   and every voter's socket stamps the arrival of `vote.closed`;
5. report per vote: the ballot acks' latency (ack − send) p50/p99/max, the time from the chair's open command to
   the last ack ("all in"), the time from the chair's close command to the result on the last of the N screens,
   the server's CPU, and whether the result's counts are exactly the ballots sent.

Each run overwrites bench/results/votes-latest.json and .md (--out NAME for another name). See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import logging
import multiprocessing as mp
import os
import resource
import shutil
import signal
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import fanout  # bench/ is on sys.path: the same seed and server harness as the event fan-out
from fanout import code_version, fmt, free_port, machine_info, proc_cpu_s, raise_nofile, system_busy_s

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
GOAL = {"ack_p99_ms": 300, "all_in_s": 2.0, "result_s": 1.0}
CHOICES = ("yes", "no", "abstain")


def pct(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile (fanout's, on a sorted copy)."""
    return fanout.pct(sorted(values), q)


def choice_of(i: int) -> str:
    """Voter i's choice: a fixed mix, so the expected counts are known."""
    return CHOICES[0] if i % 3 else CHOICES[1] if i % 7 else CHOICES[2]


# ---- voters: worker processes ------------------------------------------------------------------------------


Voter = tuple[int, str, str]  # (index, session cookie, its CSRF token)


def worker_main(conn: Any, url: str, meeting_id: str, voters: list[Voter], opts: dict[str, Any]) -> None:
    raise_nofile()
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    logging.basicConfig(level=logging.ERROR)
    for noisy in ("engineio.client", "socketio.client", "asyncio"):
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    try:
        asyncio.run(_worker(conn, url, meeting_id, voters, opts))
    finally:
        conn.close()


async def _worker(conn: Any, url: str, meeting_id: str, voters: list[Voter], opts: dict[str, Any]) -> None:
    import aiohttp

    from room_client.feed import MeetingFeed

    loop = asyncio.get_running_loop()
    inbox = fanout.parent_inbox(conn)
    armed: dict[str, Any] = {"vote_id": None}
    acks: list[dict[str, Any]] = []
    results: dict[int, float] = {}
    result_counts: list[dict[str, int]] = []
    tasks: set[asyncio.Task[None]] = set()
    errors: Counter[str] = Counter()

    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0)) if opts["via"] == "rest" else None
    secrets = {index: (cookie, csrf) for index, cookie, csrf in voters}

    async def send(feed: MeetingFeed, index: int, vote_id: str) -> None:
        ballot = {"vote_id": vote_id, "choices": [choice_of(index)]}
        if http is None:
            await feed.command("vote.cast_ballot", ballot, timeout=opts["ack_timeout"])
            return
        cookie, csrf = secrets[index]  # as a tablet's page sends it: POST with the session and its CSRF token
        headers = {"Cookie": cookie, "X-CSRF-Token": csrf, "Origin": url, "Idempotency-Key": uuid.uuid4().hex}
        path = f"{url}/api/meetings/{meeting_id}/votes/{vote_id}/ballots"
        wait = aiohttp.ClientTimeout(total=opts["ack_timeout"])
        async with http.post(path, json={"choices": ballot["choices"]}, headers=headers, timeout=wait) as r:
            if r.status != 200:
                raise RuntimeError(f"HTTP {r.status}: {(await r.text())[:120]}")

    async def cast(feed: MeetingFeed, index: int, vote_id: str, seen: float) -> None:
        sent = time.time()
        try:
            await send(feed, index, vote_id)
            acks.append({"i": index, "seen": seen, "sent": sent, "acked": time.time(), "ok": True})
        except Exception as exc:
            errors[f"{type(exc).__name__}: {exc}"[:160]] += 1
            acks.append({"i": index, "seen": seen, "sent": sent, "acked": time.time(), "ok": False})

    def watcher(feed_ref: list[MeetingFeed], index: int) -> Any:
        def on_event(event: dict[str, Any]) -> None:
            kind, data = event.get("type"), event.get("data") or {}
            vote = data.get("vote") or {}
            if vote.get("id") != armed["vote_id"]:
                return
            if kind == "vote.opened":
                task = loop.create_task(cast(feed_ref[0], index, vote["id"], time.time()))
                tasks.add(task)
                task.add_done_callback(tasks.discard)
            elif kind == "vote.closed":
                results[index] = time.time()
                if not result_counts:
                    result_counts.append({c["choice"]: c["count"] for c in vote["result"]["counts"]})

        return on_event

    feeds: list[MeetingFeed] = []
    for index, cookie, _ in voters:
        ref: list[MeetingFeed] = []
        feed = MeetingFeed(url, meeting_id, cookie=cookie, on_event=watcher(ref, index))
        ref.append(feed)
        feeds.append(feed)
    conn.send(("ready",))

    async def connect_one(feed: MeetingFeed) -> None:
        try:
            await feed.connect(timeout=60)
        except Exception as exc:
            errors[f"connect {type(exc).__name__}: {exc}"[:160]] += 1

    while True:
        msg = await inbox.get()
        kind = msg[0]
        if kind == "connect":
            for i in range(0, len(feeds), opts["batch"]):
                await asyncio.gather(*(connect_one(f) for f in feeds[i : i + opts["batch"]]))
            conn.send(("connect", sum(f.joined.is_set() for f in feeds)))
        elif kind == "arm":
            armed["vote_id"] = msg[1]
            acks.clear()
            results.clear()
            result_counts.clear()
            errors.clear()
            conn.send(("arm",))
        elif kind == "acks":
            conn.send(("acks", len(acks)))
        elif kind == "results":
            conn.send(("results", len(results)))
        elif kind == "collect":
            usage = resource.getrusage(resource.RUSAGE_SELF)
            part = {"acks": list(acks), "results": dict(results), "counts": result_counts, "errors": errors}
            conn.send(("collect", {**part, "cpu_s": usage.ru_utime + usage.ru_stime}))
        elif kind == "stop":
            if http is not None:
                await http.close()
            for feed in feeds:
                feed.sio.reconnection = False
            with contextlib.suppress(Exception):
                await asyncio.wait_for(asyncio.gather(*(f.close() for f in feeds), return_exceptions=True), 15)
            conn.send(("stopped",))
            return


class Worker:
    def __init__(self, url: str, meeting_id: str, voters: list[Voter], opts: dict[str, Any]) -> None:
        ctx = mp.get_context("spawn")
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(target=worker_main, args=(child, url, meeting_id, voters, opts), daemon=True)
        self.proc.start()
        child.close()

    async def ask(self, *msg: Any, wait_s: float = 60) -> Any:
        self.conn.send(msg)
        ready = await asyncio.to_thread(self.conn.poll, wait_s)
        if not ready:
            raise TimeoutError(f"worker did not answer {msg[0]} within {wait_s} s")
        answer = self.conn.recv()
        if answer[0] != msg[0]:
            raise RuntimeError(f"worker: expected {msg[0]}, got {answer[0]}")
        return answer[1] if len(answer) > 1 else None

    async def start(self) -> None:
        ready = await asyncio.to_thread(self.conn.poll, 60)
        if not ready or self.conn.recv()[0] != "ready":
            raise RuntimeError("worker did not start")

    async def shutdown(self) -> None:
        with contextlib.suppress(Exception):
            await self.ask("stop", wait_s=20)
        await asyncio.to_thread(self.proc.join, 5)
        if self.proc.is_alive():
            self.proc.kill()
            await asyncio.to_thread(self.proc.join, 5)


# ---- one server under test ---------------------------------------------------------------------------------


class Server(fanout.ServerProcess):
    """fanout's server process, optionally on PostgreSQL and optionally running another commit's code."""

    def __init__(self, data_dir: Path, port: int, database_url: str | None, code_dir: Path | None) -> None:
        super().__init__(data_dir, port)
        if database_url:
            self.env["MS_DATABASE_URL"] = database_url
        if code_dir is not None:
            self.env["PYTHONPATH"] = str(code_dir)
            self.cwd = code_dir  # `python -m` puts the working directory first on sys.path


async def check_in(database_url: str, data_dir: Path, meeting_id: str, n: int, tag: str) -> None:
    """The admin's desk checks every delegate in at the hall, and the meeting is opened (not timed)."""
    from sqlalchemy import select

    from meeting_server.actions import run_action
    from meeting_server.api.app import build_services
    from meeting_server.config import Settings
    from meeting_server.domain.actors import Actor
    from meeting_server.storage.models import UserRow

    services = build_services(Settings(data_dir=data_dir, database_url=database_url))
    try:
        async with services.db.read() as session:
            rows = (await session.execute(select(UserRow).where(UserRow.username.like(f"bench-{tag}-%")))).scalars()
            users = {u.username: u for u in rows}
        admin = users[f"bench-{tag}-admin"]
        actor = Actor(kind="user", id=admin.id, name=admin.full_name, roles=frozenset({"admin"}))
        for i in range(n):
            args = {"meeting_id": meeting_id, "person_id": users[f"bench-{tag}-d{i:04d}"].id, "status": "checked_in"}
            await run_action(services, actor, "attendance.record", {**args, "place": "in_hall"})
        await run_action(services, actor, "meeting.start", {"meeting_id": meeting_id})  # votes open once under way
    finally:
        await services.db.close()


@dataclass
class Target:
    """One server under test with its seeded meeting, its chair's socket and its voters."""

    label: str
    server: Server
    meeting_id: str
    item_id: str
    chair: Any
    workers: list[Worker]


async def start_target(label: str, opts: Options, tmp: Path, pg: Any, code_dir: Path | None) -> Target:
    from room_client.feed import MeetingFeed

    data_dir = tmp / label
    data_dir.mkdir()
    database_url = await pg.create_database(f"votes_{label}") if pg else None
    url = database_url or f"sqlite+aiosqlite:///{(data_dir / 'meetings.sqlite3').resolve()}"
    server = Server(data_dir, free_port(), database_url, code_dir)
    await asyncio.to_thread(server.migrate)
    tag = f"{label}{uuid.uuid4().hex[:6]}"
    seeded = await fanout.seed(url, data_dir, opts.n, tag)
    await check_in(url, data_dir, seeded["meeting_id"], opts.n, tag)
    await server.start()
    voters = [
        (i, c, x) for i, (c, x) in enumerate(zip(seeded["delegate_cookies"], seeded["delegate_csrf"], strict=True))
    ]
    share = [voters[w :: opts.workers] for w in range(opts.workers)]
    wopts = {"batch": opts.batch, "ack_timeout": opts.ack_timeout, "via": opts.via}
    workers = [Worker(server.url, seeded["meeting_id"], s, wopts) for s in share]
    for w in workers:
        await w.start()
    joined = sum(await asyncio.gather(*(w.ask("connect", wait_s=300) for w in workers)))
    if joined != opts.n:
        raise RuntimeError(f"{label}: only {joined} of {opts.n} voters joined")
    chair = MeetingFeed(server.url, seeded["meeting_id"], cookie=seeded["chair_cookie"])
    await chair.connect(timeout=60)
    return Target(label, server, seeded["meeting_id"], seeded["item_ids"][0], chair, workers)


async def stop_target(t: Target) -> None:
    with contextlib.suppress(Exception):
        await t.chair.close()
    for w in t.workers:
        await w.shutdown()
    await t.server.stop()


async def wait_all(t: Target, kind: str, n: int, limit_s: float) -> int:
    """Poll the workers until n of `kind` (acks, results) are in, or the limit passes; the count reached."""
    deadline = time.monotonic() + limit_s
    while True:
        got = sum(await asyncio.gather(*(w.ask(kind) for w in t.workers)))
        if got >= n or time.monotonic() > deadline:
            return int(got)
        await asyncio.sleep(0.05)


async def one_vote(t: Target, opts: Options, secret: bool, round_no: int) -> dict[str, Any]:
    mode = "secret" if secret else "named"
    question = f"Biểu quyết đo tải {mode} {round_no + 1}"
    made = await t.chair.command("vote.prepare", {"item_id": t.item_id, "question": question, "secret": secret})
    vote_id = made["vote"]["id"]
    await asyncio.gather(*(w.ask("arm", vote_id) for w in t.workers))
    pid = t.server.pid or 0
    spy = None
    if opts.profile:
        spy_path = RESULTS / "profiles" / f"votes-{t.label}-{mode}-{round_no + 1}.txt"
        spy_path.parent.mkdir(parents=True, exist_ok=True)
        exe = fanout.py_spy_path()
        spy = fanout.spawn_py_spy(exe, pid, opts.profile, spy_path) if exe else None
        await asyncio.sleep(0.5)  # py-spy attached before the open
    cpu0 = proc_cpu_s(pid) or 0.0
    busy0 = system_busy_s()
    cli0 = sum(p["cpu_s"] for p in await asyncio.gather(*(w.ask("collect") for w in t.workers)))
    opened_at = time.time()
    await t.chair.command("vote.open", {"vote_id": vote_id}, timeout=60)
    await wait_all(t, "acks", opts.n, opts.vote_timeout)
    cpu_ballots = (proc_cpu_s(pid) or 0.0) - cpu0
    busy_ballots = system_busy_s() - busy0
    cli_ballots = sum(p["cpu_s"] for p in await asyncio.gather(*(w.ask("collect") for w in t.workers))) - cli0
    closed_at = time.time()
    close_error = None
    try:
        closed = await t.chair.command("vote.close", {"vote_id": vote_id}, timeout=120)
    except Exception as exc:  # measured as it is: the row says the close failed
        close_error = f"{type(exc).__name__}: {exc}"[:200]
        closed = {"vote": {"result": {"counts": []}}}
    close_ack = time.time() - closed_at
    shown = await wait_all(t, "results", opts.n, 0 if close_error else opts.vote_timeout)
    parts = await asyncio.gather(*(w.ask("collect") for w in t.workers))
    acks = [a for part in parts for a in part["acks"]]
    ok = [a for a in acks if a["ok"]]
    results = [r for part in parts for r in part["results"].values()]
    errors: Counter[str] = Counter()
    for part in parts:
        errors.update(part["errors"])
    if close_error:
        errors[f"close {close_error}"] += 1
    want = Counter(choice_of(i) for i in range(opts.n))
    counts = {c["choice"]: c["count"] for c in closed["vote"]["result"]["counts"]}
    seen_counts = [c for part in parts for c in part["counts"]]
    exact = counts == {c: want.get(c, 0) for c in CHOICES} and all(c == counts for c in seen_counts)
    lat = [(a["acked"] - a["sent"]) * 1000 for a in ok]
    row = {
        "target": t.label,
        "mode": mode,
        "round": round_no + 1,
        "n": opts.n,
        "acked": len(ok),
        "ack_p50_ms": pct(lat, 50),
        "ack_p99_ms": pct(lat, 99),
        "ack_max_ms": max(lat) if lat else None,
        "open_seen_p99_ms": pct([(a["seen"] - opened_at) * 1000 for a in acks], 99),
        "all_in_s": (max(a["acked"] for a in ok) - opened_at) if len(ok) == opts.n else None,
        "close_ack_ms": close_ack * 1000,
        "result_p50_s": pct([r - closed_at for r in results], 50),
        "result_all_s": (max(results) - closed_at) if len(results) == opts.n else None,
        "results_shown": shown,
        "counts": counts,
        "exact": exact and len(ok) == opts.n,
        "srv_cpu_ballots_s": cpu_ballots,
        "cli_cpu_ballots_s": cli_ballots,
        "other_cpu_ballots_s": busy_ballots - cpu_ballots - cli_ballots,
        "errors": dict(errors),
    }
    if spy is not None:
        await asyncio.to_thread(spy.wait, opts.profile + 30)
        row["profile"] = fanout.summarize_collapsed(spy_path)
    return row


# ---- the run -----------------------------------------------------------------------------------------------


@dataclass
class Options:
    n: int
    workers: int
    modes: list[str]
    rounds: int
    postgres: bool
    baseline: str | None
    batch: int
    ack_timeout: float
    vote_timeout: float
    out: str
    keep_tmp: bool
    profile: int
    via: str


def short_commit(ref: str) -> str:
    answer = subprocess.run(["git", "rev-parse", "--short", ref], cwd=ROOT, capture_output=True, text=True, check=True)
    return answer.stdout.strip()


def export_code(ref: str, into: Path) -> Path:
    """REF's meeting_server package (and its migrations) in a directory of its own."""
    into.mkdir(parents=True)
    archive = subprocess.run(["git", "archive", ref, "meeting_server"], cwd=ROOT, check=True, capture_output=True)
    subprocess.run(["tar", "-x", "-C", str(into)], input=archive.stdout, check=True)
    return into


def table(rows: list[dict[str, Any]]) -> str:
    head = (
        "| code | vote | acked | ack p50 ms | ack p99 ms | ack max ms | all in s | result on all screens s "
        "| close ack ms | srv / voters / other CPU s | exact |"
    )
    lines = [head, "|" + "---|" * 11]
    for r in rows:
        lines.append(
            f"| {r['target']} | {r['mode']} {r['round']} | {r['acked']}/{r['n']} | {fmt(r['ack_p50_ms'])} "
            f"| {fmt(r['ack_p99_ms'])} | {fmt(r['ack_max_ms'])} | {fmt(r['all_in_s'], 2)} "
            f"| {fmt(r['result_all_s'], 2)} | {fmt(r['close_ack_ms'])} | {fmt(r['srv_cpu_ballots_s'], 1)} / "
            f"{fmt(r['cli_cpu_ballots_s'], 1)} / {fmt(r['other_cpu_ballots_s'], 1)} "
            f"| {'yes' if r['exact'] else 'NO'} |"
        )
    return "\n".join(lines)


def markdown(report: dict[str, Any]) -> str:
    code, machine = report["code"], report["machine"]
    db = "PostgreSQL" if report["options"]["postgres"] else "SQLite"
    via = "REST" if report["options"].get("via") == "rest" else "socket.io"
    lines = [
        f"# Votes: {report['options']['n']} voters on {db}, ballots over {via}",
        "",
        f"{report['started']} · commit {code.get('commit', '?')}"
        + (
            f" (uncommitted: {', '.join(code['uncommitted_product_files'])})"
            if code.get("uncommitted_product_files")
            else ""
        )
        + f" · {machine.get('nproc', '?')} cores, load average {(machine.get('loadavg') or [0.0])[0]:.1f}"
        + f" · {report['options']['workers']} voter processes",
        "",
        table(report["rows"]),
        "",
        f"Goal: ack p99 ≤ {GOAL['ack_p99_ms']} ms, all {report['options']['n']} in ≤ {GOAL['all_in_s']} s, "
        f"the result on every screen ≤ {GOAL['result_s']} s after the close.",
    ]
    if report.get("baseline"):
        lines.append(f"Baseline `{report['baseline']}` and this commit measured in turn in the same run.")
    lines += [
        "",
        "ack = the voter's `vote.cast_ballot` command → its answer; all in = the chair's open command → the last ack;",
        "result = the chair's close command → `vote.closed` on the last of the screens; CPU in the ballots' window.",
    ]
    errs = {r["target"] + " " + r["mode"]: r["errors"] for r in report["rows"] if r["errors"]}
    if errs:
        lines += ["", "Errors: " + json.dumps(errs, ensure_ascii=False)]
    return "\n".join(lines) + "\n"


async def main_async(opts: Options) -> int:
    tmp = Path(tempfile.mkdtemp(prefix="ms-votes-bench-"))
    pg = None
    targets: list[Target] = []
    rows: list[dict[str, Any]] = []
    started = datetime.now(UTC).isoformat(timespec="seconds")
    try:
        if opts.postgres:
            sys.path.insert(0, str(ROOT))
            from tests.pgserver import PostgresServer, find_pg_bindir

            pg = PostgresServer(find_pg_bindir())
            await asyncio.to_thread(pg.start)
        if opts.baseline:  # named by its commit as it is now: HEAD may move while the bench runs
            opts.baseline = short_commit(opts.baseline)
            base_dir = export_code(opts.baseline, tmp / "baseline-code")
            targets.append(await start_target("baseline", opts, tmp, pg, base_dir))
        targets.append(await start_target("this", opts, tmp, pg, None))
        for round_no in range(opts.rounds):
            for mode in opts.modes:
                for t in targets:  # A B A B: the machine's drift hits both alike
                    row = await one_vote(t, opts, mode == "secret", round_no)
                    rows.append(row)
                    print(table([row]).splitlines()[-1], flush=True)
    finally:
        for t in targets:
            await stop_target(t)
        if pg is not None:
            await asyncio.to_thread(pg.stop)
        if not opts.keep_tmp:
            shutil.rmtree(tmp, ignore_errors=True)
    report = {
        "started": started,
        "options": {k: v for k, v in opts.__dict__.items()},
        "baseline": opts.baseline,
        "goal": GOAL,
        "rows": rows,
        "code": code_version(),
        "machine": machine_info(),
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{opts.out}.json").write_text(json.dumps(report, indent=2, ensure_ascii=False) + "\n")
    (RESULTS / f"{opts.out}.md").write_text(markdown(report))
    print()
    print(table(rows))
    print(markdown(report).splitlines()[-1])
    return 0 if all(r["exact"] for r in rows) else 1


def parse_args(argv: list[str] | None = None) -> Options:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--voters", type=int, default=500, help="voters checked in and casting (500)")
    ap.add_argument("--workers", type=int, default=4, help="voter processes (4)")
    ap.add_argument("--modes", default="named,secret", help="votes per round, in order (named,secret)")
    ap.add_argument("--rounds", type=int, default=1, help="how many times each mode is measured (1)")
    ap.add_argument("--postgres", action="store_true", help="a private PostgreSQL cluster instead of SQLite")
    ap.add_argument("--baseline", metavar="REF", help="also measure REF's code (git archive), in turn with this one")
    ap.add_argument("--batch", type=int, default=25, help="concurrent socket connects per worker (25)")
    ap.add_argument("--ack-timeout", type=float, default=60.0, help="a ballot's ack timeout, s (60)")
    ap.add_argument("--vote-timeout", type=float, default=120.0, help="bound on all acks / all results, s (120)")
    ap.add_argument("--out", default="votes-latest", help="result file name in bench/results/ (votes-latest)")
    ap.add_argument("--via", choices=("socket", "rest"), default="socket", help="ballots over socket.io or REST")
    ap.add_argument("--profile", type=int, default=0, metavar="S", help="py-spy the server for S s from the open")
    ap.add_argument("--keep-tmp", action="store_true", help="keep the temp dir with the server logs")
    a = ap.parse_args(argv)
    modes = [m.strip() for m in a.modes.split(",") if m.strip()]
    if not modes or any(m not in ("named", "secret") for m in modes):
        ap.error("--modes takes named and/or secret")
    return Options(
        n=a.voters,
        workers=a.workers,
        modes=modes,
        rounds=a.rounds,
        postgres=a.postgres,
        baseline=a.baseline,
        batch=a.batch,
        ack_timeout=a.ack_timeout,
        vote_timeout=a.vote_timeout,
        out=a.out,
        keep_tmp=a.keep_tmp,
        profile=a.profile,
        via=a.via,
    )


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    os.chdir(ROOT)
    return asyncio.run(main_async(opts))


if __name__ == "__main__":
    sys.exit(main())
