#!/usr/bin/env python3
"""Fan-out benchmark: how fast one chair's change reaches N delegates of one meeting.

For each size N (default 200, 500, 1000), one after another and each against a fresh server:

1. seed a temporary SQLite database through the product's Python API (an admin, a chair, N delegates, a
   scheduled meeting inviting them, and a session per delegate: no password logins);
2. start the real server as a subprocess (`python -m meeting_server serve --no-migrate`), or use the one
   given with --server-url;
3. spawn W worker processes that each hold many `room_client.feed.MeetingFeed` sockets (websocket only),
   joined in batches; plus one "probe" process holding two delegates, one joined first and one joined
   last, on an otherwise idle event loop;
4. the chair (a MeetingFeed in this process) renames an agenda item K times, ~300 ms apart; every
   delegate stamps `time.time()` when each event reaches it (same machine, same clock);
5. report latency = receive time - the chair's send time (p50/p90/p99/max over all N x K deliveries),
   deliveries received vs expected, connect time, the server's RSS and CPU seconds in the fan-out window.

Each run overwrites bench/results/fanout-latest.json and .md (fanout-page-turn-latest with --change page-turn;
--out NAME for another name); profiles go to bench/results/profiles/, which git ignores. See bench/README.md.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import logging
import multiprocessing as mp
import os
import platform
import resource
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from importlib import metadata
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results"
GOAL_N = 1000
GOAL_P99_MS = 100.0
CLK_TCK = os.sysconf("SC_CLK_TCK")

log = logging.getLogger("fanout")


# ---- small helpers -----------------------------------------------------------------------------------------


def raise_nofile(wanted: int = 65536) -> int:
    """Lift the open-file limit (one descriptor per socket, on both ends). Returns the new soft limit."""
    inf = resource.RLIM_INFINITY
    _, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    if hard != inf and hard < wanted:
        with contextlib.suppress(ValueError, OSError):  # root may raise the hard limit too
            resource.setrlimit(resource.RLIMIT_NOFILE, (wanted, wanted))
    soft, hard = resource.getrlimit(resource.RLIMIT_NOFILE)
    target = wanted if hard == inf else min(wanted, hard)
    if soft != inf and soft < target:
        with contextlib.suppress(ValueError, OSError):
            resource.setrlimit(resource.RLIMIT_NOFILE, (target, hard))
    return resource.getrlimit(resource.RLIMIT_NOFILE)[0]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def pct(values: list[float], q: float) -> float | None:
    """Nearest-rank percentile of an already sorted list."""
    if not values:
        return None
    rank = max(1, min(len(values), int(-(-q * len(values) // 100))))
    return values[rank - 1]


def summary_ms(seconds: list[float]) -> dict[str, Any]:
    ms = sorted(s * 1000.0 for s in seconds)
    if not ms:
        return {"count": 0}
    return {
        "count": len(ms),
        "p50": round(pct(ms, 50) or 0, 2),
        "p90": round(pct(ms, 90) or 0, 2),
        "p99": round(pct(ms, 99) or 0, 2),
        "max": round(ms[-1], 2),
        "min": round(ms[0], 2),
        "mean": round(sum(ms) / len(ms), 2),
    }


def proc_cpu_s(pid: int) -> float | None:
    """utime + stime of a process, in seconds (from /proc/PID/stat)."""
    try:
        with open(f"/proc/{pid}/stat") as f:
            fields = f.read().rsplit(")", 1)[1].split()
        return (int(fields[11]) + int(fields[12])) / CLK_TCK
    except (OSError, IndexError, ValueError):
        return None


def proc_mem_mb(pid: int) -> dict[str, float]:
    """VmRSS and VmHWM (peak RSS) in MiB, from /proc/PID/status."""
    out: dict[str, float] = {}
    try:
        with open(f"/proc/{pid}/status") as f:
            for line in f:
                key, _, rest = line.partition(":")
                if key in ("VmRSS", "VmHWM"):
                    out[key] = round(int(rest.split()[0]) / 1024.0, 1)
    except OSError:
        pass
    return out


def system_busy_s() -> float:
    """CPU seconds all cores spent not idle since boot (from /proc/stat)."""
    with open("/proc/stat") as f:
        parts = [int(x) for x in f.readline().split()[1:]]
    idle = parts[3] + (parts[4] if len(parts) > 4 else 0)
    return (sum(parts[:8]) - idle) / CLK_TCK


def code_version() -> dict[str, Any]:
    """The product's commit, and whether its files differ from it (others may be editing the tree)."""

    def git(*args: str) -> str:
        try:
            return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, timeout=10).stdout
        except (OSError, subprocess.SubprocessError):
            return ""

    dirty = [line[3:] for line in git("status", "--porcelain", "--", "meeting_server", "room_client").splitlines()]
    return {
        "commit": git("rev-parse", "--short", "HEAD").strip() or None,
        "subject": git("log", "-1", "--format=%s").strip() or None,
        "uncommitted_product_files": dirty,
    }


def machine_info() -> dict[str, Any]:
    model = ""
    with contextlib.suppress(OSError), open("/proc/cpuinfo") as f:
        for line in f:
            if line.startswith("model name"):
                model = line.split(":", 1)[1].strip()
                break
    mem_mb = 0
    with contextlib.suppress(OSError), open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal:"):
                mem_mb = int(line.split()[1]) // 1024
    versions: dict[str, str | None] = {}
    names = ("aiohttp", "python-socketio", "python-engineio", "SQLAlchemy", "aiosqlite", "simple-websocket")
    for name in names:
        try:
            versions[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            versions[name] = None
    return {
        "nproc": os.cpu_count(),
        "cpu_model": model,
        "mem_total_mb": mem_mb,
        "python": platform.python_version(),
        "implementation": platform.python_implementation(),
        "kernel": platform.release(),
        "packages": versions,
        "loadavg": os.getloadavg(),
    }


# ---- seeding, through the product's Python API -------------------------------------------------------------


def _deck(pages: int = 20) -> bytes:
    """A small real paper for the page-turn run (its pages are not fetched; the event is what is measured)."""
    import pymupdf

    doc = pymupdf.open()
    for n in range(1, pages + 1):
        page = doc.new_page(width=842, height=595)
        page.insert_htmlbox(
            pymupdf.Rect(40, 40, 800, 300),
            f"<h1>Báo cáo kinh tế - xã hội, trang {n}</h1><p>Số liệu quý III năm 2026.</p>",
        )
    data = bytes(doc.tobytes())
    doc.close()
    return data


async def _present_paper(services: Any, actor: Any, meeting_id: str, data_dir: Path) -> str:
    """Ingest a real deck through the product's pipeline, add it published, and open the meeting."""
    from meeting_server.actions import run_action
    from meeting_server.documents.paperfiles import PaperFiles, PaperPipeline
    from meeting_server.documents.workers import DocumentWorkers
    from meeting_server.storage import papers as paper_store
    from meeting_server.storage.db import new_id

    upload = data_dir / "deck.pdf"
    upload.write_bytes(_deck())
    async with DocumentWorkers(max_workers=1) as workers:
        info = (await PaperPipeline(workers, PaperFiles(data_dir / "papers")).ingest(upload)).to_dict()
    upload_id = new_id("up")
    async with services.db.write() as session:
        await paper_store.add_upload(session, upload_id, actor.id, info["sha256"], {**info, "filename": "deck.pdf"})
    paper = await run_action(
        services,
        actor,
        "paper.add",
        {"meeting_id": meeting_id, "upload_id": upload_id, "title": "Báo cáo", "publish": True},
    )
    await run_action(services, actor, "meeting.start", {"meeting_id": meeting_id})
    return str(paper["paper"]["id"])


async def seed(database_url: str, data_dir: Path, n: int, tag: str, with_paper: bool = False) -> dict[str, Any]:
    """An admin, a chair, n delegates, a scheduled meeting inviting them, and a session per person; with
    `with_paper`, the meeting is under way with a published paper the chair can present."""
    from meeting_server.actions import run_action
    from meeting_server.api.app import build_services
    from meeting_server.auth import COOKIE, Authenticator
    from meeting_server.config import Settings
    from meeting_server.domain.actors import Actor
    from meeting_server.passwords import hash_password
    from meeting_server.storage.db import new_id, now_iso
    from meeting_server.storage.models import UnitRow, UserRow

    settings = Settings(data_dir=data_dir, database_url=database_url)
    services = build_services(settings)
    try:
        shared_hash = hash_password(f"bench-{uuid.uuid4().hex}")  # one hash for everybody; nobody logs in
        now = now_iso()
        async with services.db.write() as session:
            province = UnitRow(
                id=new_id("un"), name="Tỉnh Tuyên Quang", kind="province", division_type="tỉnh", code="", created_at=now
            )
            session.add(province)
            await session.flush()

            def user(username: str, full_name: str, roles: list[str]) -> UserRow:
                return UserRow(
                    id=new_id("u"),
                    username=username,
                    full_name=full_name,
                    title="",
                    password_hash=shared_hash,
                    roles=roles,
                    unit_id=province.id,
                    lang="vi",
                    active=True,
                    created_at=now,
                )

            admin = user(f"bench-{tag}-admin", "Quản trị (bench)", ["admin"])
            chair = user(f"bench-{tag}-chair", "Chủ trì (bench)", ["chair"])
            delegates = [user(f"bench-{tag}-d{i:04d}", f"Đại biểu {i:04d}", ["delegate"]) for i in range(n)]
            session.add_all([admin, chair, *delegates])
        actor = Actor(kind="user", id=admin.id, name=admin.full_name, roles=frozenset({"admin"}), unit_id=province.id)
        meeting = await run_action(
            services,
            actor,
            "meeting.create",
            {
                "title": f"Hội nghị đo tải {n} đại biểu",
                "starts_at": "2030-11-24T08:00:00+07:00",
                "ends_at": "2030-11-24T11:00:00+07:00",
                "chair_id": chair.id,
                "invitee_ids": [d.id for d in delegates],
            },
        )
        item_ids = []
        for i in range(3):
            result = await run_action(
                services,
                actor,
                "agenda.add_item",
                {"meeting_id": meeting["id"], "title": f"Nội dung {i + 1}", "planned_minutes": 15},
            )
            item_ids.append(result["item_id"])
        await run_action(services, actor, "meeting.schedule", {"meeting_id": meeting["id"]})
        paper_id = await _present_paper(services, actor, meeting["id"], data_dir) if with_paper else None
        auth = Authenticator(services)
        chair_cookie, _ = await auth.issue_session(chair.id)
        cookies, csrf_tokens = [], []
        for d in delegates:
            value, csrf = await auth.issue_session(d.id)
            cookies.append(f"{COOKIE}={value}")
            csrf_tokens.append(csrf)
        return {
            "meeting_id": meeting["id"],
            "item_ids": item_ids,
            "chair_cookie": f"{COOKIE}={chair_cookie}",
            "delegate_cookies": cookies,
            "delegate_csrf": csrf_tokens,  # for REST writes (bench/votes.py --via rest)
            "paper_id": paper_id,
        }
    finally:
        await services.db.close()


# ---- delegates: worker processes ---------------------------------------------------------------------------


PRESENCE_BYTES = [0]  # presence JSON received by this worker process, all its sockets together


def install_presence_skim(parse: bool) -> None:
    """Count the presence payloads this process receives and, unless `parse`, skip decoding them.

    Servers before commit 88a294f sent the whole online list to everyone already in the meeting on every
    join: O(N^2) messages and O(N^3) bytes while N delegates join (34 GiB at N=1000). A real tablet decodes
    only its own share; here N sockets share one core, so decoding it all made the load generator, not the
    server, the bottleneck. Skimmed messages reach MeetingFeed as an empty change for no meeting (ignored).
    """
    import json as std_json

    import socketio.packet

    class SkimJSON:
        @staticmethod
        def dumps(*args: Any, **kwargs: Any) -> str:
            return std_json.dumps(*args, **kwargs)

        @staticmethod
        def loads(text: str | bytes, *args: Any, **kwargs: Any) -> Any:
            if isinstance(text, str) and text.startswith('["presence"'):
                PRESENCE_BYTES[0] += len(text)
                if not parse:
                    return ["presence", {"meeting_id": None, "online": []}]
            return std_json.loads(text, *args, **kwargs)

    socketio.packet.Packet.json = SkimJSON


def _timed_feed_class() -> type:
    from room_client.feed import MeetingFeed

    class TimedFeed(MeetingFeed):
        """A MeetingFeed that stamps each applied event and counts what the bench needs to judge the run."""

        def __init__(self, *args: Any, **kwargs: Any) -> None:
            self.receipts: list[tuple[int, float, bool]] = []  # (seq, time.time(), recovered through sync)
            self.syncs = 0
            self.disconnects = 0
            self.disconnect_reasons: Counter[str] = Counter()
            self.presence_msgs = 0
            self.connect_s: float | None = None
            self._syncing = False
            super().__init__(*args, on_event=self._stamp, **kwargs)

        def _stamp(self, event: dict[str, Any]) -> None:
            self.receipts.append((int(event["seq"]), time.time(), self._syncing))

        async def sync(self) -> None:
            self.syncs += 1
            self._syncing = True
            try:
                await super().sync()
            finally:
                self._syncing = False

        async def _on_presence(self, message: dict[str, Any]) -> None:
            self.presence_msgs += 1
            await super()._on_presence(message)

        async def _on_disconnect(self, *args: Any) -> None:
            self.disconnects += 1
            self.disconnect_reasons[str(args[0]) if args else "?"] += 1
            await super()._on_disconnect(*args)

    return TimedFeed


def worker_main(conn: Any, name: str, url: str, meeting_id: str, cookies: list[str], opts: dict[str, Any]) -> None:
    """Entry of a delegate process: holds len(cookies) sockets and answers the parent's commands."""
    raise_nofile()
    signal.signal(signal.SIGINT, signal.SIG_IGN)  # the parent decides when we stop
    if opts.get("nice"):
        os.nice(int(opts["nice"]))
    logging.basicConfig(level=logging.ERROR, format=f"{name} %(levelname)s %(name)s: %(message)s")
    for noisy in ("engineio.client", "socketio.client", "asyncio"):  # disconnects are counted, not logged
        logging.getLogger(noisy).setLevel(logging.CRITICAL)
    try:
        asyncio.run(_worker(conn, url, meeting_id, cookies, opts))
    finally:
        conn.close()


def parent_inbox(conn: Any) -> asyncio.Queue[tuple[Any, ...]]:
    """The parent's messages to a worker process, from its end of the pipe, as a queue on the running loop;
    ("stop",) when the pipe closes."""
    loop = asyncio.get_running_loop()
    inbox: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()

    def readable() -> None:
        try:
            inbox.put_nowait(conn.recv())
        except (EOFError, OSError):
            loop.remove_reader(conn.fileno())
            inbox.put_nowait(("stop",))

    loop.add_reader(conn.fileno(), readable)
    return inbox


async def _worker(conn: Any, url: str, meeting_id: str, cookies: list[str], opts: dict[str, Any]) -> None:
    inbox = parent_inbox(conn)
    install_presence_skim(not opts.get("skim_presence"))
    feed_class = _timed_feed_class()
    feeds = [feed_class(url, meeting_id, cookie=c) for c in cookies]
    if opts.get("deflate"):
        for feed in feeds:  # ask for permessage-deflate, as browsers do
            feed.sio.eio.websocket_extra_options = {"compress": 15}
    errors: Counter[str] = Counter()
    conn.send(("ready",))

    async def connect_one(feed: Any) -> None:
        started = time.perf_counter()
        try:
            await feed.connect(timeout=opts["connect_timeout"])
            feed.connect_s = time.perf_counter() - started
        except Exception as exc:
            errors[f"{type(exc).__name__}: {exc}"[:160]] += 1

    async def connect(indices: list[int]) -> None:
        started = time.perf_counter()
        batch = opts["batch"]
        for i in range(0, len(indices), batch):
            await asyncio.gather(*(connect_one(feeds[j]) for j in indices[i : i + batch]))
            conn.send(("progress", sum(f.joined.is_set() for f in feeds)))
            if opts["batch_pause"]:
                await asyncio.sleep(opts["batch_pause"])
        conn.send(
            (
                "connect",
                {
                    "joined": sum(feeds[j].joined.is_set() for j in indices),
                    "wall_s": time.perf_counter() - started,
                    "errors": dict(errors),
                },
            )
        )

    while True:
        msg = await inbox.get()
        kind = msg[0]
        if kind == "connect":
            await connect(msg[1])
        elif kind == "ping":
            with contextlib.suppress(Exception):
                await feeds[0].call("ping", {}, timeout=60)
            conn.send(("ping",))
        elif kind == "freeze":  # the sockets are long-lived: keep them out of the measured window's GC passes
            gc.collect()
            gc.freeze()
            conn.send(("freeze",))
        elif kind == "joined":
            conn.send(("joined", sum(f.joined.is_set() for f in feeds)))
        elif kind == "count":
            seqs = set(msg[1])
            conn.send(("count", sum(1 for f in feeds for s, _, _ in f.receipts if s in seqs)))
        elif kind == "collect":
            usage = resource.getrusage(resource.RUSAGE_SELF)
            conn.send(
                (
                    "collect",
                    {
                        "receipts": [f.receipts for f in feeds],
                        "connect_s": [f.connect_s for f in feeds],
                        "joined": [f.joined.is_set() for f in feeds],
                        "syncs": sum(f.syncs for f in feeds),
                        "disconnects": sum(f.disconnects for f in feeds),
                        "disconnect_reasons": dict(sum((f.disconnect_reasons for f in feeds), Counter())),
                        "presence_msgs": [f.presence_msgs for f in feeds],
                        "presence_bytes": PRESENCE_BYTES[0],
                        "errors": dict(errors),
                        "cpu_s": usage.ru_utime + usage.ru_stime,
                    },
                )
            )
        elif kind == "stop":
            for feed in feeds:
                feed.sio.reconnection = False
            with contextlib.suppress(Exception):
                closing = asyncio.gather(*(f.close() for f in feeds), return_exceptions=True)
                await asyncio.wait_for(closing, 15)
            for feed in feeds:  # sessions of clients that were between reconnects
                http = getattr(feed.sio.eio, "http", None)
                if http is not None and not http.closed:
                    with contextlib.suppress(Exception):
                        await http.close()
            with contextlib.suppress(Exception):
                conn.send(("stopped",))
            return


class Worker:
    """The parent's handle on one delegate process."""

    def __init__(self, name: str, url: str, meeting_id: str, cookies: list[str], opts: dict[str, Any]) -> None:
        ctx = mp.get_context("spawn")
        self.name = name
        self.size = len(cookies)
        self.conn, child = ctx.Pipe()
        self.proc = ctx.Process(
            target=worker_main, args=(child, name, url, meeting_id, cookies, opts), name=name, daemon=True
        )
        self.proc.start()
        child.close()
        self.progress = 0
        self.inbox: asyncio.Queue[tuple[Any, ...]] = asyncio.Queue()
        self._loop = asyncio.get_running_loop()
        self._loop.add_reader(self.conn.fileno(), self._readable)

    def _readable(self) -> None:
        try:
            msg = self.conn.recv()
        except (EOFError, OSError):
            self._loop.remove_reader(self.conn.fileno())
            self.inbox.put_nowait(("dead", self.proc.exitcode))
            return
        if msg[0] == "progress":
            self.progress = msg[1]
        else:
            self.inbox.put_nowait(msg)

    def send(self, *msg: Any) -> None:
        self.conn.send(msg)

    async def expect(self, kind: str, wait_s: float) -> Any:
        msg = await asyncio.wait_for(self.inbox.get(), wait_s)
        if msg[0] == "dead":
            raise RuntimeError(f"worker {self.name} died (exit code {msg[1]})")
        if msg[0] != kind:
            raise RuntimeError(f"worker {self.name}: expected {kind}, got {msg[0]}")
        return msg[1] if len(msg) > 1 else None

    async def ask(self, kind: str, *args: Any, wait_s: float = 30) -> Any:
        self.send(kind, *args)
        return await self.expect(kind, wait_s)

    async def shutdown(self) -> None:
        with contextlib.suppress(Exception):
            self.send("stop")
            await self.expect("stopped", 20)
        with contextlib.suppress(Exception):
            self._loop.remove_reader(self.conn.fileno())
        await asyncio.to_thread(self.proc.join, 5)
        if self.proc.is_alive():
            self.proc.terminate()
            await asyncio.to_thread(self.proc.join, 5)
        if self.proc.is_alive():
            self.proc.kill()
            await asyncio.to_thread(self.proc.join, 5)
        self.conn.close()


# ---- the server under test ---------------------------------------------------------------------------------


class ServerProcess:
    """`python -m meeting_server serve` on a loopback port, over a SQLite file in a temporary data dir."""

    def __init__(self, data_dir: Path, port: int) -> None:
        self.data_dir = data_dir
        self.port = port
        self.url = f"http://127.0.0.1:{port}"
        self.log_path = data_dir / "server.log"
        self.env = {**os.environ, "MS_DATA_DIR": str(data_dir), "HOST": "127.0.0.1", "PORT": str(port)}
        self.env.pop("MS_DATABASE_URL", None)
        self.env.pop("MS_REDIS_URL", None)
        self.proc: subprocess.Popen[bytes] | None = None
        self.cwd = ROOT  # where `python -m meeting_server` runs (bench/votes.py's baseline: another commit's code)

    @property
    def pid(self) -> int | None:
        return self.proc.pid if self.proc else None

    def migrate(self) -> None:
        subprocess.run(
            [sys.executable, "-m", "meeting_server", "migrate"],
            env=self.env,
            cwd=self.cwd,
            check=True,
            stdout=subprocess.DEVNULL,
            timeout=120,
        )

    def spawn(self) -> subprocess.Popen[bytes]:
        with open(self.log_path, "wb") as log_file:
            return subprocess.Popen(
                [sys.executable, "-m", "meeting_server", "serve", "--port", str(self.port), "--no-migrate"],
                env=self.env,
                cwd=self.cwd,
                stdout=log_file,
                stderr=subprocess.STDOUT,
                preexec_fn=raise_nofile,
                start_new_session=True,
            )

    async def start(self) -> None:
        import aiohttp

        self.proc = self.spawn()
        health = aiohttp.ClientTimeout(total=2)

        deadline = time.monotonic() + 60
        async with aiohttp.ClientSession() as http:
            while time.monotonic() < deadline:
                if self.proc.poll() is not None:
                    raise RuntimeError(f"server exited with {self.proc.returncode}: {self.tail()}")
                with contextlib.suppress(aiohttp.ClientError, OSError):
                    async with http.get(self.url + "/api/health", timeout=health) as r:
                        if r.status == 200:
                            return
                await asyncio.sleep(0.2)
        raise RuntimeError(f"server did not answer /api/health within 60 s: {self.tail()}")

    def tail(self, lines: int = 15) -> str:
        with contextlib.suppress(OSError):
            return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])
        return ""

    async def stop(self) -> None:
        if self.proc is None or self.proc.poll() is not None:
            return
        self.proc.send_signal(signal.SIGINT)  # aiohttp's run_app shuts down cleanly on SIGINT
        try:
            await asyncio.to_thread(self.proc.wait, 15)
        except subprocess.TimeoutExpired:
            self.proc.kill()
            await asyncio.to_thread(self.proc.wait, 10)


# ---- profiling (optional) ----------------------------------------------------------------------------------


def py_spy_path() -> str | None:
    candidate = Path(sys.executable).parent / "py-spy"
    return str(candidate) if candidate.exists() else shutil.which("py-spy")


def short_frame(frame: str) -> str:
    """'publish (meeting_server/signalling/hub.py:250)' -> 'publish (hub.py)'."""
    func, sep, where = frame.partition(" (")
    if not sep:
        return frame
    return f"{func} ({where.split(':')[0].rsplit('/', 1)[-1]})"


def spawn_py_spy(exe: str, pid: int, duration: int, path: Path) -> subprocess.Popen[bytes]:
    return subprocess.Popen(
        [
            exe,
            "record",
            "--pid",
            str(pid),
            "--rate",
            "250",
            "--format",
            "raw",
            "--nonblocking",
            "--duration",
            str(duration),
            "--output",
            str(path),
        ],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )


def summarize_collapsed(path: Path, top: int = 25) -> dict[str, Any]:
    """Self and inclusive sample shares per function from py-spy's raw (collapsed) output."""
    self_counts: Counter[str] = Counter()
    incl_counts: Counter[str] = Counter()
    total = 0
    with contextlib.suppress(OSError), open(path) as f:
        for line in f:
            stack, _, count_s = line.rstrip("\n").rpartition(" ")
            if not stack or not count_s.isdigit():
                continue
            count = int(count_s)
            total += count
            frames = [short_frame(fr) for fr in stack.split(";")]
            self_counts[frames[-1]] += count
            for fr in set(frames):
                incl_counts[fr] += count
    if not total:
        return {"samples": 0}
    return {
        "samples": total,
        "self": [(fr, round(100.0 * c / total, 1)) for fr, c in self_counts.most_common(top)],
        "inclusive": [(fr, round(100.0 * c / total, 1)) for fr, c in incl_counts.most_common(top)],
    }


# ---- one size ----------------------------------------------------------------------------------------------


@dataclass
class Options:
    sizes: list[int]
    changes: int
    warmup: int
    interval: float
    workers: int
    batch: int
    batch_pause: float
    connect_timeout: float
    join_wait: float
    join_budget: int
    size_timeout: float | None  # None: auto, max(180, 0.4 s per delegate)
    settle_timeout: float
    server_url: str | None
    server_pid: int | None
    database_url: str | None
    deflate: bool
    skim_presence: bool
    nice: int
    profile: bool
    stamp: str
    keep_tmp: bool
    change: str = "agenda"  # what the chair changes: "agenda" (rename an item) or "page-turn" (paper.present)


async def wait_quiet(pids: list[int], limit_s: float, threshold: float = 0.10) -> float:
    """Wait until the given processes together use < threshold of a core for two 0.5 s windows."""
    started = time.monotonic()
    calm = 0
    while time.monotonic() - started < limit_s and pids:
        before = sum(proc_cpu_s(p) or 0.0 for p in pids)
        await asyncio.sleep(0.5)
        used = sum(proc_cpu_s(p) or 0.0 for p in pids) - before
        calm = calm + 1 if used < threshold * 0.5 else 0
        if calm >= 2:
            break
    return time.monotonic() - started


def size_timeout(opts: Options, n: int) -> float:
    """Joining N delegates costs the server O(N^2) presence messages, so the default limit grows with N."""
    return opts.size_timeout if opts.size_timeout else max(180.0, 0.4 * n)


async def drain(server_pids: list[int], probe: Worker, limit_s: float = 60) -> float:
    """Wait until the server has written out what it queued: its CPU goes quiet, or (no pid known) the probe's
    first socket answers a ping, which the server queues behind everything sent to that socket before."""
    if server_pids:
        return await wait_quiet(server_pids, limit_s, threshold=0.25)
    started = time.monotonic()
    with contextlib.suppress(Exception):
        await probe.ask("ping", wait_s=limit_s)
    return time.monotonic() - started


async def run_size(n: int, opts: Options, out: dict[str, Any]) -> None:
    """Everything for one N; fills `out` as it goes so a timeout still reports how far it got."""
    from room_client.feed import MeetingFeed

    out.update(
        n=n,
        changes=opts.changes,
        interval_s=opts.interval,
        workers=opts.workers,
        status="running",
        phase="seed",
        change=opts.change,
    )
    tmp = Path(tempfile.mkdtemp(prefix=f"fanout-{n}-"))
    server: ServerProcess | None = None
    workers: list[Worker] = []
    chair: MeetingFeed | None = None
    spy: subprocess.Popen[bytes] | None = None
    try:
        tag = uuid.uuid4().hex[:8]
        if opts.server_url:
            url = opts.server_url.rstrip("/")
            database_url = opts.database_url or os.environ.get("MS_DATABASE_URL", "")
            if not database_url:
                from meeting_server.config import Settings

                database_url = Settings.from_env().resolved_database_url
            server_pid = opts.server_pid
        else:
            server = ServerProcess(tmp, free_port())
            await asyncio.to_thread(server.migrate)
            database_url = f"sqlite+aiosqlite:///{(tmp / 'meetings.sqlite3').resolve()}"
            url = server.url
            server_pid = None
        t = time.perf_counter()
        seeded = await seed(database_url, tmp, n, tag, with_paper=opts.change == "page-turn")
        out["seed_s"] = round(time.perf_counter() - t, 2)
        if server is not None:
            out["phase"] = "server start"
            await server.start()
            server_pid = server.pid
            out["server_log"] = str(server.log_path)
        pids: list[int] = [server_pid] if server_pid else []
        if server_pid:
            out["server_rss_mb_idle"] = proc_mem_mb(server_pid).get("VmRSS")
        cpu0 = proc_cpu_s(server_pid) if server_pid else None

        # Delegates: a probe process with the first and the last joiner, and W load workers with the rest.
        out["phase"] = "connect"
        cookies = seeded["delegate_cookies"]
        wopts = {
            "batch": opts.batch,
            "batch_pause": opts.batch_pause,
            "deflate": opts.deflate,
            "nice": 0,
            "connect_timeout": opts.connect_timeout,
            "skim_presence": opts.skim_presence,
        }
        probe_cookies = [cookies[0], cookies[-1]] if n >= 2 else cookies[:1]
        load = cookies[1:-1] if n >= 2 else []
        probe = Worker("probe", url, seeded["meeting_id"], probe_cookies, wopts)
        workers.append(probe)
        w = max(1, min(opts.workers, len(load))) if load else 0
        for i in range(w):
            part = load[i::w]
            workers.append(Worker(f"w{i}", url, seeded["meeting_id"], part, {**wopts, "nice": opts.nice}))
        pids += [wk.proc.pid for wk in workers if wk.proc.pid]
        for wk in workers:  # imports done, sockets not yet open
            await wk.expect("ready", 60)
        connect_started = time.perf_counter()
        connect_wait = 2 * opts.connect_timeout + 10
        connected: list[dict[str, Any]] = [await probe.ask("connect", [0], wait_s=connect_wait)]
        # Rounds of joins. A join costs the server one presence message per member already in the meeting,
        # so a round takes at most --join-budget such messages; between rounds, wait for the server to
        # drain its socket queues, lest a delegate's ping queue up behind presence for 20 s and it drop.
        queue = [
            (wk, i) for i in range(max((wk.size for wk in workers[1:]), default=0)) for wk in workers[1:] if i < wk.size
        ]
        rounds: list[list[float | None]] = []
        done, last_report = 1, time.perf_counter()
        while queue:
            size = opts.batch * max(1, len(workers[1:]))
            if opts.join_budget > 0:
                size = max(1, min(size, opts.join_budget // max(1, done)))
            take, queue = queue[:size], queue[size:]
            round_started = time.perf_counter()
            cpu_round = proc_cpu_s(server_pid) if server_pid else None
            by_worker: dict[Worker, list[int]] = {}
            for wk, i in take:
                by_worker.setdefault(wk, []).append(i)
            connected += await asyncio.gather(
                *(wk.ask("connect", idx, wait_s=connect_wait) for wk, idx in by_worker.items())
            )
            drained = await drain([server_pid] if server_pid else [], probe)
            done += len(take)
            cpu_used = (proc_cpu_s(server_pid) or 0) - cpu_round if server_pid and cpu_round is not None else None
            rounds.append(
                [
                    done,
                    len(take),
                    round(time.perf_counter() - round_started, 2),
                    round(drained, 2),
                    round(cpu_used, 2) if cpu_used is not None else None,
                ]
            )
            out["joined_so_far"] = done
            if time.perf_counter() - last_report > 10:
                print(
                    f"    ... {done}/{n} joined after {time.perf_counter() - connect_started:.0f} s "
                    f"(rounds of {len(take)})",
                    flush=True,
                )
                last_report = time.perf_counter()
        out["join_rounds"] = {"columns": ["joined", "batch", "wall_s", "drain_s", "server_cpu_s"], "rows": rounds}
        if len(probe_cookies) > 1:
            connected.append(await probe.ask("connect", [1], wait_s=connect_wait))
        errors: Counter[str] = Counter()
        for c in connected:
            errors.update(c["errors"])
        # Every connect call has returned; sockets dropped on the way reconnect and rejoin by themselves.
        join_deadline = time.perf_counter() + opts.join_wait
        while True:
            joined = sum(await asyncio.gather(*(wk.ask("joined") for wk in workers)))
            if joined >= n or time.perf_counter() > join_deadline:
                break
            await asyncio.sleep(0.5)
        connect_wall = time.perf_counter() - connect_started
        out["connect"] = {"wall_s": round(connect_wall, 2), "joined": joined, "errors": dict(errors)}
        if server_pid:
            cpu_join = proc_cpu_s(server_pid)
            out["server_cpu_s_seed_to_joined"] = round((cpu_join or 0) - (cpu0 or 0), 2)
            out["server_rss_mb_joined"] = proc_mem_mb(server_pid).get("VmRSS")
        print(f"    {joined}/{n} delegates joined in {connect_wall:.1f} s", flush=True)
        if joined < n:
            res = await asyncio.gather(*(wk.ask("collect", wait_s=60) for wk in workers))
            reasons = sum((Counter(r["disconnect_reasons"]) for r in res), Counter())
            out["connect"]["disconnects"] = sum(r["disconnects"] for r in res)
            out["connect"]["disconnect_reasons"] = dict(reasons)
            out["connect"]["presence_mib_total"] = round(sum(r["presence_bytes"] for r in res) / 2**20, 1)
            out["status"] = (
                f"join incomplete: {joined}/{n} joined after {connect_wall:.0f} s, "
                f"{out['connect']['disconnects']} disconnects; no fan-out measured"
            )
            return

        chair = MeetingFeed(url, seeded["meeting_id"], cookie=seeded["chair_cookie"])
        await chair.connect(timeout=opts.connect_timeout)
        await asyncio.gather(*(wk.ask("freeze", wait_s=60) for wk in workers))
        out["phase"] = "quiesce"
        out["quiesce_s"] = round(await wait_quiet(pids, 60), 2)

        # Warm-up changes (not counted), then the measured ones.
        out["phase"] = "fan-out"
        item = seeded["item_ids"][0]
        sends: list[dict[str, Any]] = []

        async def change(k: int, warm: bool) -> dict[str, Any]:
            t_send = time.time()
            if opts.change == "page-turn":  # follow the presenter: the chair turns to the next page
                result = await chair.command(
                    "paper.present",
                    {"paper_id": seeded["paper_id"], "page": 1 + (k + 100) % 20},
                    timeout=60,
                )
            else:
                result = await chair.command(
                    "agenda.update_item",
                    {"item_id": item, "title": f"Nội dung 1 - bản sửa {k} ({tag})"},
                    timeout=60,
                )
            t_ack = time.time()
            return {"k": k, "seq": int(result["last_seq"]), "t_send": t_send, "t_ack": t_ack, "warmup": warm}

        for k in range(opts.warmup):
            sends.append(await change(-opts.warmup + k, True))
            await asyncio.sleep(opts.interval)
        await wait_quiet(pids, 10)

        spy_path = RESULTS / "profiles" / f"fanout-{opts.stamp}-n{n}.txt"
        if opts.profile and server_pid and (exe := py_spy_path()):
            spy_path.parent.mkdir(parents=True, exist_ok=True)
            duration = int(opts.changes * opts.interval + 3)
            spy = spawn_py_spy(exe, server_pid, duration, spy_path)
            await asyncio.sleep(1.0)  # let it attach

        cpu_a = proc_cpu_s(server_pid) if server_pid else None
        workers_cpu_a = sum(proc_cpu_s(wk.proc.pid) or 0.0 for wk in workers if wk.proc.pid)
        busy_a = system_busy_s()
        window_a = time.time()
        measured_start = len(sends)
        t0 = time.time()
        for k in range(opts.changes):
            delay = t0 + k * opts.interval - time.time()
            if delay > 0:
                await asyncio.sleep(delay)
            sends.append(await change(k, False))
        measured = sends[measured_start:]
        seqs = [s["seq"] for s in measured]
        expected = n * len(measured)
        deadline = time.time() + opts.settle_timeout
        got = 0
        while time.time() < deadline:
            counts = await asyncio.gather(*(wk.ask("count", seqs) for wk in workers))
            got = sum(counts)
            if got >= expected:
                break
            await asyncio.sleep(0.2)
        window_b = time.time()
        cpu_b = proc_cpu_s(server_pid) if server_pid else None
        workers_cpu_b = sum(proc_cpu_s(wk.proc.pid) or 0.0 for wk in workers if wk.proc.pid)
        busy_b = system_busy_s()
        if server_pid:
            mem = proc_mem_mb(server_pid)
            out["server_rss_mb_end"] = mem.get("VmRSS")
            out["server_rss_mb_peak"] = mem.get("VmHWM")

        out["phase"] = "collect"
        results = [await wk.ask("collect", wait_s=60) for wk in workers]
        by_seq = {s["seq"]: s for s in sends}
        lat: list[float] = []
        per_change: dict[int, list[float]] = {s: [] for s in seqs}
        recovered = 0
        probe_first: list[float] = []
        probe_last: list[float] = []
        for wi, res in enumerate(results):
            for fi, receipts in enumerate(res["receipts"]):
                for seq, t_recv, via_sync in receipts:
                    if seq not in per_change:
                        continue
                    if via_sync:
                        recovered += 1
                    d = t_recv - by_seq[seq]["t_send"]
                    lat.append(d)
                    per_change[seq].append(d)
                    if wi == 0:
                        (probe_first if fi == 0 else probe_last).append(d)
        connect_times = [c for res in results for c in res["connect_s"] if c is not None]
        presence_msgs = [m for res in results for m in res["presence_msgs"]]
        presence_bytes = sum(res["presence_bytes"] for res in results)
        window = window_b - window_a
        server_cpu = (cpu_b - cpu_a) if cpu_a is not None and cpu_b is not None else None
        clients_cpu = workers_cpu_b - workers_cpu_a
        out.update(
            {
                "deliveries": {
                    "expected": expected,
                    "received": len(lat),
                    "missing": expected - len(lat),
                    "recovered_by_sync": recovered,
                    "syncs": sum(r["syncs"] for r in results),
                    "disconnects": sum(r["disconnects"] for r in results),
                    "disconnect_reasons": dict(sum((Counter(r["disconnect_reasons"]) for r in results), Counter())),
                },
                "latency_send_ms": summary_ms(lat),
                "probe_first_joiner_ms": summary_ms(probe_first),
                "probe_last_joiner_ms": summary_ms(probe_last),
                "last_delivery_per_change_ms": summary_ms([max(v) for v in per_change.values() if v]),
                "ack_ms": summary_ms([s["t_ack"] - s["t_send"] for s in measured]),
                "connect_per_socket_ms": summary_ms(connect_times),
                "presence_per_delegate": {
                    "messages_mean": round(sum(presence_msgs) / max(1, len(presence_msgs)), 1),
                    "mib_total": round(presence_bytes / 2**20, 1),
                    "kib_per_delegate": round(presence_bytes / 1024 / max(1, len(presence_msgs)), 1),
                    "decoded": not opts.skim_presence,
                },
                "window_s": round(window, 2),
                "server_cpu_s_fanout": round(server_cpu, 3) if server_cpu is not None else None,
                "server_cpu_us_per_delivery": round(1e6 * server_cpu / max(1, len(lat)), 1)
                if server_cpu is not None
                else None,
                "clients_cpu_s_fanout": round(clients_cpu, 3),
                "system_busy_cpu_s_fanout": round(busy_b - busy_a, 3),
                "other_cpu_s_fanout": round((busy_b - busy_a) - (server_cpu or 0) - clients_cpu, 3),
            }
        )
        if spy is not None:
            with contextlib.suppress(subprocess.TimeoutExpired):
                await asyncio.to_thread(spy.wait, opts.changes * opts.interval + 30)
            out["profile"] = {"path": str(spy_path.relative_to(ROOT)), **summarize_collapsed(spy_path)}
        rows = []
        for s in measured:
            v = sorted(per_change[s["seq"]])
            ms = [round(1000 * x, 1) for x in (v[0], v[len(v) // 2], v[-1])] if v else [None] * 3
            rows.append([s["seq"], round(1000 * (s["t_ack"] - s["t_send"]), 1), *ms, len(v), round(s["t_send"], 4)])
        out["per_change"] = {
            "columns": ["seq", "ack_ms", "first_ms", "median_ms", "last_ms", "received", "t_send_unix"],
            "rows": rows,
        }
        lost = expected - len(lat)
        out["status"] = "ok" if lost == 0 else f"lost {lost} of {expected} deliveries"
        out["phase"] = "done"
    except asyncio.CancelledError:
        out["status"] = f"timeout after {size_timeout(opts, n):.0f} s in phase {out.get('phase')}"
        raise
    except Exception as exc:
        out["status"] = f"error in phase {out.get('phase')}: {type(exc).__name__}: {exc}"[:400]
        log.exception("size %s failed", n)
    finally:
        if spy is not None and spy.poll() is None:
            spy.terminate()
        if chair is not None:
            with contextlib.suppress(Exception):
                chair.sio.reconnection = False
                await asyncio.wait_for(chair.close(), 5)
        await asyncio.gather(*(wk.shutdown() for wk in workers), return_exceptions=True)
        if server is not None:
            with contextlib.suppress(Exception):
                await server.stop()
            if out.get("status") != "ok":
                out["server_log_tail"] = server.tail()
        if not opts.keep_tmp:
            shutil.rmtree(tmp, ignore_errors=True)


# ---- report ------------------------------------------------------------------------------------------------


def fmt(v: Any, digits: int = 0) -> str:
    if v is None:
        return "-"
    if isinstance(v, float):
        return f"{v:.{digits}f}"
    return str(v)


COLUMNS: list[tuple[str, Callable[[dict[str, Any]], str]]] = [
    ("N", lambda r: str(r["n"])),
    ("joined", lambda r: fmt(r.get("connect", {}).get("joined", r.get("joined_so_far")))),
    ("connect s", lambda r: fmt(r.get("connect", {}).get("wall_s"), 1)),
    (
        "recv/expected",
        lambda r: f"{r['deliveries']['received']}/{r['deliveries']['expected']}" if "deliveries" in r else "-",
    ),
    ("p50 ms", lambda r: fmt(r.get("latency_send_ms", {}).get("p50"), 1)),
    ("p90 ms", lambda r: fmt(r.get("latency_send_ms", {}).get("p90"), 1)),
    ("p99 ms", lambda r: fmt(r.get("latency_send_ms", {}).get("p99"), 1)),
    ("max ms", lambda r: fmt(r.get("latency_send_ms", {}).get("max"), 1)),
    ("last-joiner p99", lambda r: fmt(r.get("probe_last_joiner_ms", {}).get("p99"), 1)),
    ("ack p50 ms", lambda r: fmt(r.get("ack_ms", {}).get("p50"), 1)),
    ("srv CPU s", lambda r: fmt(r.get("server_cpu_s_fanout"), 2)),
    ("srv µs/deliv", lambda r: fmt(r.get("server_cpu_us_per_delivery"), 1)),
    ("cli CPU s", lambda r: fmt(r.get("clients_cpu_s_fanout"), 2)),
    ("other CPU s", lambda r: fmt(r.get("other_cpu_s_fanout"), 2)),
    ("RSS MB", lambda r: fmt(r.get("server_rss_mb_end") or r.get("server_rss_mb_joined"), 0)),
    ("status", lambda r: str(r.get("status"))),
]


def table(rows: list[dict[str, Any]]) -> str:
    head = [c for c, _ in COLUMNS]
    body = [[f(r) for _, f in COLUMNS] for r in rows]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    lines += ["| " + " | ".join(row) + " |" for row in body]
    return "\n".join(lines)


def join_table(rows: list[dict[str, Any]]) -> str:
    head = [
        "N",
        "joined",
        "connect s",
        "rounds",
        "server CPU s (seed→joined)",
        "presence received MiB",
        "presence per delegate KiB",
        "disconnects",
        "RSS MB joined",
    ]
    lines = ["| " + " | ".join(head) + " |", "|" + "|".join("---" for _ in head) + "|"]
    for r in rows:
        c = r.get("connect", {})
        pres = r.get("presence_per_delegate", {})
        mib = pres.get("mib_total", c.get("presence_mib_total"))
        per = pres.get("kib_per_delegate")
        lines.append(
            "| "
            + " | ".join(
                [
                    str(r["n"]),
                    fmt(c.get("joined", r.get("joined_so_far"))),
                    fmt(c.get("wall_s"), 1),
                    fmt(len(r.get("join_rounds", {}).get("rows", [])) or None),
                    fmt(r.get("server_cpu_s_seed_to_joined"), 1),
                    fmt(mib, 0),
                    fmt(per, 0),
                    fmt(r.get("deliveries", {}).get("disconnects", c.get("disconnects"))),
                    fmt(r.get("server_rss_mb_joined"), 0),
                ]
            )
            + " |"
        )
    return "\n".join(lines)


def goal_line(rows: list[dict[str, Any]]) -> str:
    at = [r for r in rows if r["n"] == GOAL_N]
    if not at:
        return f"Goal: p99 ≤ {GOAL_P99_MS:.0f} ms at N={GOAL_N} (not measured in this run)."
    r = at[-1]
    p99 = r.get("latency_send_ms", {}).get("p99")
    if p99 is None:
        verdict = f"NOT MEASURED ({r.get('status')})"
    elif p99 <= GOAL_P99_MS and r.get("status") == "ok":
        verdict = f"MET (p99 {p99:.1f} ms)"
    else:
        verdict = (
            f"MISSED (p99 {p99:.1f} ms; last joiner on the idle probe p99 "
            f"{fmt(r.get('probe_last_joiner_ms', {}).get('p99'), 1)} ms; status {r.get('status')})"
        )
    return f"Goal: p99 ≤ {GOAL_P99_MS:.0f} ms at N={GOAL_N} on this {os.cpu_count()}-core machine: {verdict}."


def code_line(code: dict[str, Any]) -> str:
    dirty = code.get("uncommitted_product_files")
    line = (
        f"Code: commit {code.get('commit')} ({code.get('subject')})"
        + (
            ""
            if dirty is None
            else f", uncommitted changes in {', '.join(dirty)}"
            if dirty
            else ", no uncommitted product changes"
        )
        + "."
    )
    return line + (f" {code['note']}" if code.get("note") else "")


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    o = report["options"]
    lines = [
        f"# Fan-out benchmark, {report['started_at']}",
        "",
        f"Machine: {m['nproc']} × {m['cpu_model']}, {m['mem_total_mb']} MiB, Python {m['python']}, "
        f"kernel {m['kernel']}; " + ", ".join(f"{k} {v}" for k, v in m["packages"].items()) + ".",
        f"Load average before the run: {', '.join(f'{x:.2f}' for x in m['loadavg'])}.",
        code_line(report.get("code", {})),
        "",
        f"Server, {o['workers']} delegate worker processes, one probe process and the chair all share these "
        f"{m['nproc']} cores: client CPU competes with the server's (see `cli CPU s`, and `other CPU s` for "
        "processes outside the benchmark).",
        f"Each size: fresh server on SQLite, K={o['changes']} measured changes (after {o['warmup']} warm-up) "
        f"{o['interval']:.3f} s apart, websocket transport{', permessage-deflate' if o['deflate'] else ''}.",
        "Latency = delegate receive time − chair send time (the send includes the action's DB commit).",
        "",
        table(report["sizes"]),
        "",
        goal_line(report["sizes"]),
        "",
        "Joining (before the fan-out window): what assembling the meeting cost, with the presence messages "
        "the delegates received.",
        "",
        join_table(report["sizes"]),
        "",
        "Columns: `last-joiner p99` is one delegate, joined after all others, in the lightly loaded probe "
        "process; the server writes to a room's sockets in join order, so this is the server-side tail with "
        "little client-side queueing. `ack` is the chair's command round trip: the server answers only after "
        "publishing to every socket's queue. `srv µs/deliv` = server CPU in the window / deliveries.",
    ]
    for r in report["sizes"]:
        prof = r.get("profile")
        if prof and prof.get("samples"):
            lines += [
                "",
                f"Server profile at N={r['n']} ({prof['samples']} samples, `{prof['path']}`), top self time:",
                "",
            ]
            lines += [f"- {share}% {frame}" for frame, share in prof["self"][:12]]
    return "\n".join(lines) + "\n"


def print_row_detail(r: dict[str, Any]) -> None:
    keys = (
        "latency_send_ms",
        "probe_first_joiner_ms",
        "probe_last_joiner_ms",
        "last_delivery_per_change_ms",
        "ack_ms",
        "connect_per_socket_ms",
    )
    for key in keys:
        if key in r:
            s = r[key]
            if s.get("count"):
                print(
                    f"    {key:30} p50 {s['p50']:8.1f}  p90 {s['p90']:8.1f}  p99 {s['p99']:8.1f}  "
                    f"max {s['max']:8.1f}  (n={s['count']})"
                )
    for key in ("deliveries", "presence_per_delegate", "connect"):
        if key in r:
            print(f"    {key:30} {json.dumps(r[key], ensure_ascii=False)}")


async def main_async(opts: Options) -> int:
    report: dict[str, Any] = {
        "started_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "machine": machine_info(),
        "code": code_version(),
        "options": vars(opts).copy(),
        "sizes": [],
    }
    m = report["machine"]
    print(
        f"fan-out bench: {m['nproc']} cores ({m['cpu_model']}), Python {m['python']}, "
        + ", ".join(f"{k} {v}" for k, v in m["packages"].items() if k.startswith(("aiohttp", "python-")))
    )
    print(
        f"server, {opts.workers} delegate workers, a probe and the chair share these {m['nproc']} cores; "
        f"load average now {m['loadavg'][0]:.2f}"
    )
    code = report["code"]
    print(
        f"code at {code['commit']} ({code['subject']})"
        + (
            f"; uncommitted: {', '.join(code['uncommitted_product_files'])}"
            if code["uncommitted_product_files"]
            else ""
        )
    )
    for n in opts.sizes:
        out: dict[str, Any] = {"n": n}
        report["sizes"].append(out)
        print(f"N={n}: seeding, starting the server, joining {n} delegates ...", flush=True)
        with contextlib.suppress(asyncio.TimeoutError):
            await asyncio.wait_for(run_size(n, opts, out), size_timeout(opts, n))
        print(f"  N={n}: {out.get('status')}")
        print_row_detail(out)
    print()
    print(table(report["sizes"]))
    print(goal_line(report["sizes"]))
    print()
    print(join_table(report["sizes"]))
    RESULTS.mkdir(parents=True, exist_ok=True)
    base = RESULTS / f"fanout-{opts.stamp}"
    base.with_suffix(".json").write_text(json.dumps(report, ensure_ascii=False, indent=2) + "\n")
    base.with_suffix(".md").write_text(markdown(report))
    print(f"saved {base.relative_to(ROOT)}.json and .md")
    return 0 if all(r.get("status") == "ok" for r in report["sizes"]) else 1


def parse_args(argv: list[str] | None = None) -> Options:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    add = ap.add_argument
    add("--sizes", default="200,500,1000", help="delegate counts, comma separated (default %(default)s)")
    add("--changes", type=int, default=30, help="measured changes per size (default %(default)s)")
    add("--warmup", type=int, default=2, help="changes made first and not counted (default %(default)s)")
    add("--interval", type=float, default=0.3, help="seconds between changes (default %(default)s)")
    add(
        "--workers",
        type=int,
        default=2,
        help="delegate worker processes (default %(default)s: one per core of a 2-core machine)",
    )
    add("--batch", type=int, default=25, help="concurrent connects per worker (default %(default)s)")
    add("--batch-pause", type=float, default=0.05, help="pause between batches, s (default %(default)s)")
    add("--connect-timeout", type=float, default=60.0, help="per socket connect+join, s (default %(default)s)")
    add(
        "--join-budget",
        type=int,
        default=0,
        help="if > 0, a round joins at most budget / members delegates, for servers that send the full "
        "presence list on every join (20000 worked for those); default 0: rounds of batch x workers",
    )
    add(
        "--join-wait",
        type=float,
        default=60.0,
        help="after the last connect call, how long to wait for dropped sockets to rejoin, s (default %(default)s)",
    )
    add(
        "--size-timeout",
        type=float,
        default=None,
        help="overall limit per size, s (default max(180, 0.4 x N): 400 s at N=1000)",
    )
    add(
        "--settle-timeout",
        type=float,
        default=20.0,
        help="how long after the last change to wait for deliveries, s (default %(default)s)",
    )
    add("--server-url", help="use this running server instead of starting one per size")
    add("--server-pid", type=int, help="pid of the --server-url server, for its RSS and CPU")
    add(
        "--database-url",
        help="with --server-url: the server's database, for seeding "
        "(default MS_DATABASE_URL, or the SQLite file in MS_DATA_DIR)",
    )
    add("--deflate", action="store_true", help="delegates ask for permessage-deflate, as browsers do")
    add(
        "--skim-presence",
        action="store_true",
        help="delegates count presence bytes without decoding them (for servers that send the full list "
        "on every join; see README)",
    )
    add("--nice", type=int, default=0, help="niceness of the load workers (default %(default)s)")
    add("--profile", action="store_true", help="py-spy record the server during the fan-out window")
    add("--keep-tmp", action="store_true", help="keep each size's temporary data dir and server log")
    add(
        "--change",
        choices=("agenda", "page-turn"),
        default="agenda",
        help="what the chair changes: rename an agenda item, or turn the presented paper's page "
        "(follow the presenter; default %(default)s)",
    )
    add("--out", help="result file stem, overwritten (default fanout-latest, fanout-page-turn-latest)")
    a = ap.parse_args(argv)
    default = "page-turn-latest" if a.change == "page-turn" else "latest"
    stamp = a.out.removeprefix("fanout-") if a.out else default
    sizes = [int(x) for x in a.sizes.split(",") if x.strip()]
    return Options(
        sizes=sizes,
        changes=a.changes,
        warmup=a.warmup,
        interval=a.interval,
        workers=a.workers,
        batch=a.batch,
        batch_pause=a.batch_pause,
        connect_timeout=a.connect_timeout,
        join_wait=a.join_wait,
        join_budget=a.join_budget,
        size_timeout=a.size_timeout,
        settle_timeout=a.settle_timeout,
        server_url=a.server_url,
        server_pid=a.server_pid,
        database_url=a.database_url,
        deflate=a.deflate,
        skim_presence=a.skim_presence,
        nice=a.nice,
        profile=a.profile,
        stamp=stamp,
        keep_tmp=a.keep_tmp,
        change=a.change,
    )


def main(argv: list[str] | None = None) -> int:
    opts = parse_args(argv)
    limit = raise_nofile()
    need = max(opts.sizes) + 200
    if limit < need:
        print(f"warning: open-file limit {limit} < {need}; sockets may fail", file=sys.stderr)
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    try:
        return asyncio.run(main_async(opts))
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
