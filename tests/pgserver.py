"""Throwaway PostgreSQL cluster for the test suite.

The storage layer has to behave identically on SQLite and PostgreSQL, and the
only honest way to check the PostgreSQL half is against a real server.  This
module starts a private, disposable cluster (``initdb`` into a temp dir, a free
loopback port, durability switched off for speed) so the tests need neither a
pre-provisioned database nor network access, and never touch a developer's own
PostgreSQL.

Only the standard library and asyncpg are used, so the module can be imported
from ``conftest.py`` before anything else of the project is importable.

Typical use from a session-scoped fixture::

    bindir = find_pg_bindir()
    if bindir is None:
        pytest.fail("PostgreSQL binaries missing: `make test` installs them")
    server = PostgresServer(bindir)
    server.start()
    url = await server.create_database("meeting_test")  # postgresql+asyncpg://...
    ...
    server.stop()
"""

from __future__ import annotations

import atexit
import contextlib
import glob
import os
import pwd
import re
import shlex
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from pathlib import Path
from types import TracebackType

import asyncpg

__all__ = ["PostgresServer", "find_pg_bindir"]

# Binaries a usable bindir must contain: initdb/pg_ctl are run directly and
# pg_ctl in turn execs ``postgres`` from its own directory.
_REQUIRED_BINARIES = ("initdb", "pg_ctl", "postgres")

# PostgreSQL refuses to run as root, so under root everything runs as this OS user.
_ROOT_RUN_AS = "postgres"

# How long pg_ctl may wait for the postmaster, and how long we wait for pg_ctl.
_PG_CTL_WAIT_SECONDS = 30
_SUBPROCESS_TIMEOUT_SECONDS = 90

# Lines of server log quoted in error messages.
_LOG_TAIL_LINES = 40

# Database names we accept; anything else is almost certainly a test bug, and
# restricting it keeps identifier quoting trivial.
_DB_NAME_RE = re.compile(r"^[A-Za-z_][A-Za-z0-9_\-]{0,62}$")


def _has_pg_binaries(directory: Path) -> bool:
    """True if *directory* holds every binary we need, as executable files."""
    return all(os.access(directory / name, os.X_OK) and (directory / name).is_file() for name in _REQUIRED_BINARIES)


def _version_key(bindir: str) -> tuple[int, ...]:
    """Sort key for ``/usr/lib/postgresql/<version>/bin`` so "16" beats "9.6"."""
    version = Path(bindir).parent.name
    return tuple(int(part) for part in re.findall(r"\d+", version)) or (-1,)


def find_pg_bindir() -> Path | None:
    """Locate a directory holding ``initdb``, ``pg_ctl`` and ``postgres``.

    Search order, most to least authoritative:

    1. ``pg_config --bindir`` -- names the installation the headers belong to.
       It is verified, because on Debian the ``pg_config`` from libpq-dev may
       point at a directory without the server binaries.
    2. ``/usr/lib/postgresql/*/bin``, highest major version first -- Debian and
       Ubuntu keep the server binaries off ``PATH``.
    3. ``PATH`` -- both the directory ``initdb`` was found in and, if it is a
       symlink (e.g. ``/usr/local/bin/initdb``), the directory it resolves to.

    Returns ``None`` instead of raising so callers can ``pytest.skip`` cleanly.
    """
    pg_config = shutil.which("pg_config")
    if pg_config:
        try:
            out = subprocess.run(
                [pg_config, "--bindir"], capture_output=True, text=True, timeout=10, check=True
            ).stdout.strip()
        except (OSError, subprocess.SubprocessError):
            out = ""
        if out and _has_pg_binaries(Path(out)):
            return Path(out)

    for candidate in sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=_version_key, reverse=True):
        if _has_pg_binaries(Path(candidate)):
            return Path(candidate)

    initdb = shutil.which("initdb")
    if initdb:
        for candidate_dir in (Path(initdb).parent, Path(initdb).resolve().parent):
            if _has_pg_binaries(candidate_dir):
                return candidate_dir
    return None


def _free_loopback_port() -> int:
    """Ask the kernel for an unused 127.0.0.1 port.

    There is an unavoidable window between closing this socket and the
    postmaster binding the port; :meth:`PostgresServer.start` retries with a
    fresh port if the bind loses that race.
    """
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _tail(path: Path, lines: int = _LOG_TAIL_LINES) -> str:
    """Last *lines* lines of a log file, or a note that it is missing/unreadable."""
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except OSError as exc:
        return f"<no log at {path}: {exc}>"
    return "\n".join(text.splitlines()[-lines:])


def _quote_ident(name: str) -> str:
    """Quote a SQL identifier (names are pre-validated, this is belt and braces)."""
    return '"' + name.replace('"', '""') + '"'


class PostgresServer:
    """A disposable PostgreSQL cluster bound to 127.0.0.1 on a free port.

    Durability is traded for speed (``fsync``, ``synchronous_commit`` and
    ``full_page_writes`` off; ``initdb --no-sync``) because the data is thrown
    away anyway.  Authentication is ``trust``: the server listens on loopback
    and a private socket dir only, for the lifetime of one test run.

    When the process runs as root (typical in CI containers) the data dir and
    socket dir are handed to the ``postgres`` OS user and every PostgreSQL
    binary is run through ``runuser -u postgres --``, since the postmaster
    refuses to start as root.  The database superuser is then ``postgres``;
    otherwise it is the current OS user.  Either way it is exposed as
    :attr:`user`.

    :meth:`stop` is idempotent and is also registered with :mod:`atexit`, so a
    test run that dies half-way does not leave a postmaster behind.
    """

    def __init__(self, bindir: Path | str | None = None, *, port: int | None = None) -> None:
        """Prepare (but do not start) a server.

        *bindir* defaults to :func:`find_pg_bindir`; *port* defaults to a free
        loopback port picked at :meth:`start` time.
        """
        resolved = Path(bindir) if bindir is not None else find_pg_bindir()
        if resolved is None or not _has_pg_binaries(resolved):
            raise RuntimeError(
                "PostgreSQL server binaries (initdb, pg_ctl, postgres) not found"
                + (f" in {resolved}" if resolved is not None else "")
                + "; install PostgreSQL or pass bindir="
            )
        self.bindir: Path = resolved
        self.host: str = "127.0.0.1"
        self._fixed_port = port
        self.port: int = port or 0

        self._run_as: pwd.struct_passwd | None = None
        if os.geteuid() == 0:
            try:
                self._run_as = pwd.getpwnam(_ROOT_RUN_AS)
            except KeyError:
                raise RuntimeError(
                    f"running as root but there is no {_ROOT_RUN_AS!r} OS user to run PostgreSQL as"
                ) from None
            if shutil.which("runuser") is None:
                raise RuntimeError("running as root but `runuser` (util-linux) is not available")
            self.user: str = _ROOT_RUN_AS
        else:
            self.user = pwd.getpwuid(os.geteuid()).pw_name

        self.base_dir: Path | None = None
        self.data_dir: Path | None = None
        self.socket_dir: Path | None = None
        self.log_file: Path | None = None
        self._started = False
        self._owner_pid: int | None = None

    # -- lifecycle ---------------------------------------------------------

    @property
    def running(self) -> bool:
        """True between a successful :meth:`start` and :meth:`stop`."""
        return self._started

    def start(self) -> None:
        """initdb a fresh cluster into temp dirs and start it; blocks until it accepts connections.

        Raises ``RuntimeError`` with the tail of the initdb/server log if
        anything fails; the temp dirs are removed in that case.
        """
        if self._started:
            raise RuntimeError("PostgresServer already started")
        self._owner_pid = os.getpid()
        atexit.register(self._atexit_stop)
        try:
            self._make_dirs()
            self._initdb()
            attempts = 1 if self._fixed_port else 3
            for attempt in range(1, attempts + 1):
                self.port = self._fixed_port or _free_loopback_port()
                try:
                    self._pg_ctl_start()
                    break
                except RuntimeError as exc:
                    # Another process grabbed the port between our probe and the bind.
                    lost_race = "could not bind" in str(exc) or "already in use" in str(exc)
                    if attempt == attempts or not lost_race:
                        raise
            self._started = True
        except BaseException:
            self._cleanup()
            raise

    def stop(self) -> None:
        """Stop the server (``pg_ctl stop -m immediate``) and delete its temp dirs.

        Safe to call more than once, and after a failed :meth:`start`.
        """
        self._cleanup()

    def _atexit_stop(self) -> None:
        """atexit hook: only the process that started the server may stop it.

        A forked child (multiprocessing, pytest-xdist helpers...) inherits the
        atexit registration; without this check its exit would kill the
        parent's server.
        """
        if os.getpid() == self._owner_pid:
            self.stop()

    def __enter__(self) -> PostgresServer:
        self.start()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.stop()

    # -- databases ---------------------------------------------------------

    def url(self, name: str) -> str:
        """SQLAlchemy async URL for database *name* on this server."""
        return f"postgresql+asyncpg://{self.user}@{self.host}:{self.port}/{name}"

    async def create_database(self, name: str) -> str:
        """Create database *name* (UTF8) and return its SQLAlchemy async URL.

        The URL has the form ``postgresql+asyncpg://USER@127.0.0.1:PORT/NAME``;
        strip ``+asyncpg`` to use it with asyncpg/psql directly.
        """
        self._check_name(name)
        conn = await self._admin_connect()
        try:
            await conn.execute(f"CREATE DATABASE {_quote_ident(name)} TEMPLATE template0 ENCODING 'UTF8'")
        finally:
            await conn.close()
        return self.url(name)

    async def drop_database(self, name: str) -> None:
        """Drop database *name* if it exists, disconnecting any sessions still using it.

        Leaked connections (e.g. an engine a failing test never disposed) would
        otherwise make ``DROP DATABASE`` fail and mask the real error.
        """
        self._check_name(name)
        conn = await self._admin_connect()
        try:
            if conn.get_server_version().major >= 13:
                await conn.execute(f"DROP DATABASE IF EXISTS {_quote_ident(name)} WITH (FORCE)")
            else:
                await conn.execute(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                    "WHERE datname = $1 AND pid <> pg_backend_pid()",
                    name,
                )
                await conn.execute(f"DROP DATABASE IF EXISTS {_quote_ident(name)}")
        finally:
            await conn.close()

    async def _admin_connect(self) -> asyncpg.Connection:
        """Connect to the maintenance database ``postgres`` as the superuser."""
        if not self._started:
            raise RuntimeError("PostgresServer is not running; call start() first")
        return await asyncpg.connect(host=self.host, port=self.port, user=self.user, database="postgres", timeout=15)

    @staticmethod
    def _check_name(name: str) -> None:
        if not _DB_NAME_RE.match(name):
            raise ValueError(f"unsupported database name {name!r}")

    # -- internals ---------------------------------------------------------

    def _make_dirs(self) -> None:
        """Create the temp dirs, owned by the OS user the server will run as.

        Under root they go in ``/tmp`` rather than ``$TMPDIR``, which may sit
        inside root's home where the ``postgres`` user cannot reach.  The socket
        dir is separate and short, because Unix socket paths are limited to
        ~107 bytes.
        """
        tmp_root = "/tmp" if os.path.isdir("/tmp") and os.access("/tmp", os.W_OK) else None
        base_parent = tmp_root if self._run_as is not None else None
        self.base_dir = Path(tempfile.mkdtemp(prefix="pgtest-", dir=base_parent))
        self.socket_dir = Path(tempfile.mkdtemp(prefix="pgsock-", dir=tmp_root))
        self.data_dir = self.base_dir / "data"
        self.log_file = self.base_dir / "postgres.log"
        if self._run_as is not None:
            for path in (self.base_dir, self.socket_dir):
                os.chown(path, self._run_as.pw_uid, self._run_as.pw_gid)

    def _command(self, *args: str) -> list[str]:
        """Wrap a pg command in ``runuser`` when we are root."""
        if self._run_as is not None:
            return ["runuser", "-u", self._run_as.pw_name, "--", *args]
        return list(args)

    def _env(self) -> dict[str, str]:
        """Child environment without PG* variables (PGDATA, PGPORT, PGOPTIONS...)
        that could redirect the binaries at a developer's real cluster."""
        env = {k: v for k, v in os.environ.items() if not k.startswith("PG")}
        env["LC_ALL"] = "C"
        return env

    def _run(self, *args: str) -> subprocess.CompletedProcess[str]:
        """Run a pg binary (as ``postgres`` under root), capturing its output.

        ``cwd`` is the temp dir so the ``postgres`` user is never left in a
        directory it cannot read.
        """
        return subprocess.run(
            self._command(*args),
            cwd=self.base_dir,
            env=self._env(),
            stdin=subprocess.DEVNULL,
            capture_output=True,
            text=True,
            errors="replace",
            timeout=_SUBPROCESS_TIMEOUT_SECONDS,
            check=False,
        )

    def _initdb(self) -> None:
        """initdb with UTF8 and trust auth, preferring the C.UTF-8 locale.

        C.UTF-8 gives correct character classification for Vietnamese text with
        byte-order collation; minimal systems (and macOS) lack it, so fall back
        to plain C, which still stores UTF8 fine.
        """
        assert self.data_dir is not None
        failures: list[str] = []
        for locale_name in ("C.UTF-8", "C"):
            proc = self._run(
                str(self.bindir / "initdb"),
                "-D",
                str(self.data_dir),
                "-U",
                self.user,
                "--encoding=UTF8",
                f"--locale={locale_name}",
                "--auth=trust",
                "--no-sync",
            )
            if proc.returncode == 0:
                return
            failures.append(
                f"--- initdb --locale={locale_name} (exit {proc.returncode}) ---\n"
                + "\n".join((proc.stdout + proc.stderr).splitlines()[-_LOG_TAIL_LINES:])
            )
            if self.data_dir.exists():
                shutil.rmtree(self.data_dir, ignore_errors=True)
        raise RuntimeError("initdb failed:\n" + "\n".join(failures))

    def _pg_ctl_start(self) -> None:
        """Start the postmaster with pg_ctl -w; raise with the log tail on failure."""
        assert self.data_dir is not None and self.socket_dir is not None and self.log_file is not None
        options = (
            f"-k {shlex.quote(str(self.socket_dir))} -p {self.port}"
            " -c listen_addresses=127.0.0.1"
            " -c fsync=off -c synchronous_commit=off -c full_page_writes=off"
        )
        started = time.monotonic()
        proc = self._run(
            str(self.bindir / "pg_ctl"),
            "start",
            "-w",
            "-t",
            str(_PG_CTL_WAIT_SECONDS),
            "-D",
            str(self.data_dir),
            "-l",
            str(self.log_file),
            "-o",
            options,
        )
        if proc.returncode != 0:
            # Nothing should be running, but make sure a half-started postmaster is gone.
            self._pg_ctl_stop()
            raise RuntimeError(
                f"pg_ctl start failed (exit {proc.returncode}) after "
                f"{time.monotonic() - started:.1f}s on port {self.port}:\n"
                f"{(proc.stdout + proc.stderr).strip()}\n"
                f"--- server log {self.log_file} (tail) ---\n{_tail(self.log_file)}"
            )

    def _pg_ctl_stop(self) -> None:
        """``pg_ctl stop -m immediate``; if that fails, SIGKILL the postmaster by pid.

        Immediate mode skips the shutdown checkpoint -- nothing here is worth
        persisting.  The fallback covers a pg_ctl that hangs or is gone.
        """
        if self.data_dir is None or not (self.data_dir / "postmaster.pid").exists():
            return
        try:
            proc = self._run(str(self.bindir / "pg_ctl"), "stop", "-m", "immediate", "-w", "-D", str(self.data_dir))
            if proc.returncode == 0:
                return
        except (OSError, subprocess.SubprocessError):
            pass
        try:
            pid = int((self.data_dir / "postmaster.pid").read_text().splitlines()[0])
        except (OSError, ValueError, IndexError):
            return
        with contextlib.suppress(ProcessLookupError, PermissionError):
            os.kill(pid, signal.SIGKILL)  # children exit on postmaster death

    def _cleanup(self) -> None:
        """Stop the server if it is up and remove the temp dirs; idempotent."""
        try:
            self._pg_ctl_stop()
        finally:
            self._started = False
        for path in (self.base_dir, self.socket_dir):
            if path is not None:
                shutil.rmtree(path, ignore_errors=True)
        self.base_dir = self.data_dir = self.socket_dir = self.log_file = None
        with contextlib.suppress(Exception):
            atexit.unregister(self._atexit_stop)
