"""Office papers (Word, spreadsheets, slides) become PDF once, through a sandboxed LibreOffice.

An uploaded file's type is decided by its content, never its name (``detect``): ``%PDF-`` is a PDF; ``{\\rtf``
is RTF; a ZIP holding ``word/document.xml``, ``xl/workbook.xml`` or ``ppt/presentation.xml`` (and
``[Content_Types].xml``) is .docx, .xlsx or .pptx; a ZIP whose ``mimetype`` member names an OpenDocument type is
.odt, .ods or .odp; an OLE2 compound file holding a ``WordDocument``, ``Workbook``/``Book`` or
``PowerPoint Document`` stream is .doc, .xls or .ppt. Anything else is refused (``paper_type_unsupported``).

Before LibreOffice sees a ZIP-based file, ``precheck`` reads its directory (in a thread): at most
``MAX_MEMBERS`` members, at most ``ConvertLimits.max_unpacked_bytes`` unpacked in all (a zip bomb is refused
as ``paper_convert_too_big`` without inflating it), and no XML part with a document type declaration (OOXML
and ODF never carry one; a DTD is how "billion laughs" entity bombs and external entities come in:
``paper_convert_damaged``). Password-protected files (an OLE2 ``EncryptedPackage``, an ODF manifest with
``encryption-data``) are ``paper_convert_protected``.

Conversion is a hostile-input boundary (LibreOffice has a long CVE history). Each job (``Converter.convert``):

- runs ``soffice --headless --convert-to pdf`` in a fresh private directory with a fresh profile
  (``-env:UserInstallation``) whose ``registrymodifications.xcu`` disables macros (``DisableMacrosExecution``,
  ``MacroSecurityLevel`` 3), blocks untrusted links (``BlockUntrustedRefererLinks``) and sets Writer's and
  Calc's link updating to "never"; the directory is removed after;
- has no network: its own network namespace with no interface but a down loopback. As root,
  ``unshare --net`` and then ``setpriv`` to the unprivileged system user ``meeting-convert`` (created with
  ``useradd --system`` if missing); not as root, ``unshare -rn`` (a user namespace: the server's own uid, no
  separate user, see docs/deploy.md). Without either the server refuses office papers
  (``paper_convert_unavailable``) rather than convert outside the sandbox;
- may open only the system's files and its job's directory (Landlock, ``landlock.py``): not the server's
  data, even as the server's own uid;
- runs under ``prlimit``: address space ``convert_memory_mb``, CPU time, output file size, no core dumps;
  and a wall-clock timeout (``convert_timeout_seconds``) after which its whole process group is killed;
- at most ``convert_max_jobs`` at once (an asyncio semaphore; the event loop only waits on the process).

The PDF it writes then goes through ``PaperPipeline.ingest`` like any uploaded PDF. The original is kept by its
own sha256 (``SourceFiles``) with the PDF it became, so the same file uploaded again is not converted again.
"""

from __future__ import annotations

import asyncio
import contextlib
import grp
import json
import logging
import os
import pwd
import shutil
import signal
import socket
import stat
import subprocess
import sys
import tempfile
import weakref
import zipfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal

from ..config import DIR_MODE
from ..errors import AppError
from . import landlock, pdfcheck
from .paperfiles import PaperPipeline, check_sha, write_atomic

log = logging.getLogger(__name__)

MiB = 1 << 20
CONVERT_USER: Final = "meeting-convert"
MAX_MEMBERS: Final = 10_000  # parts in one OOXML/ODF package; real ones have tens to a few hundred
XML_SCAN_BYTES: Final = 64 * 1024  # a DTD comes before the root element: the first 64 KiB of a part suffice
OLE_MAGIC: Final = b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
ZIP_MAGIC: Final = b"PK\x03\x04"

# The types accepted besides PDF: extension -> (MIME type, what it is, in Vietnamese and English)
OFFICE_TYPES: Final[dict[str, str]] = {
    "docx": "application/vnd.openxmlformats-officedocument.wordprocessingml.document",
    "doc": "application/msword",
    "odt": "application/vnd.oasis.opendocument.text",
    "rtf": "application/rtf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
    "xls": "application/vnd.ms-excel",
    "ods": "application/vnd.oasis.opendocument.spreadsheet",
    "pptx": "application/vnd.openxmlformats-officedocument.presentationml.presentation",
    "ppt": "application/vnd.ms-powerpoint",
    "odp": "application/vnd.oasis.opendocument.presentation",
}
ACCEPTED_EXTENSIONS: Final[tuple[str, ...]] = ("pdf", *OFFICE_TYPES)
_ODF_TYPES: Final = {mime: ext for ext, mime in OFFICE_TYPES.items() if ext.startswith("od")}
_OOXML_MAIN: Final = {"word/document.xml": "docx", "xl/workbook.xml": "xlsx", "ppt/presentation.xml": "pptx"}
# OLE2 stream names (UTF-16LE in the compound file's directory), the encrypted OOXML container first
_OLE_STREAMS: Final = (
    ("EncryptedPackage", "encrypted"),
    ("WordDocument", "doc"),
    ("Workbook", "xls"),
    ("Book", "xls"),
    ("PowerPoint Document", "ppt"),
)

SandboxMode = Literal["user+netns", "userns"]
SYSTEM_READABLE: Final = ("/usr", "/bin", "/sbin", "/lib", "/lib64", "/etc", "/proc", "/sys", "/dev",
                          "/var/cache/fontconfig", "/var/lib/libreoffice", "/var/spool/libreoffice")  # fmt: skip


@dataclass(frozen=True)
class ConvertLimits:
    max_jobs: int = 2
    timeout: float = 120.0  # seconds of wall clock for one conversion
    memory_mb: int = 2048  # address space of LibreOffice's processes (it maps ~1 GiB before reading a byte)
    max_unpacked_bytes: int = 512 * MiB  # a package's members unpacked, in all
    max_output_bytes: int = 512 * MiB  # any file LibreOffice writes (RLIMIT_FSIZE)

    def __post_init__(self) -> None:
        if self.max_jobs < 1 or self.timeout <= 0 or self.memory_mb < 256:
            raise ValueError("convert limits: at least one job, a positive timeout and 256 MB")


# ---- what the file is -------------------------------------------------------------------------------------------


def detect(path: Path) -> str | None:
    """The file's type as an extension of ACCEPTED_EXTENSIONS (or "encrypted" for a password-protected
    Office file), judged by content; None when it is none of them. Blocking: call it in a thread."""
    with path.open("rb") as f:
        head = f.read(pdfcheck.SNIFF_BYTES)
    if head.startswith(b"{\\rtf"):
        return "rtf"
    if pdfcheck.sniff(head):
        return "pdf"
    if head.startswith(ZIP_MAGIC):
        return _zip_type(path)
    if head.startswith(OLE_MAGIC):
        return _ole_type(path)
    return None


def _zip_type(path: Path) -> str | None:
    try:
        with zipfile.ZipFile(path) as z:
            names = set(z.namelist()) if len(z.infolist()) <= MAX_MEMBERS else set()
            if "mimetype" in names and z.getinfo("mimetype").file_size < 200:
                kind = _ODF_TYPES.get(z.read("mimetype").decode("ascii", "replace").strip())
                if kind:
                    return kind
            if "[Content_Types].xml" in names:
                for member, kind in _OOXML_MAIN.items():
                    if member in names:
                        return kind
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError):
        return None
    return None


def _ole_type(path: Path) -> str | None:
    """The compound file's streams by name. Reading the whole file (at most the upload limit) and looking for
    the UTF-16 names is cruder than walking the directory, and enough to route the file: LibreOffice parses it."""
    data = path.read_bytes()
    for stream, kind in _OLE_STREAMS:
        if (stream + "\0").encode("utf-16-le") in data:
            return kind
    return None


def precheck(path: Path, kind: str, limits: ConvertLimits) -> None:
    """Refuse what must never reach LibreOffice (see the module's docstring). Blocking: call it in a thread."""
    if kind == "encrypted":
        raise AppError("paper_convert_protected")
    if kind not in ("docx", "xlsx", "pptx", "odt", "ods", "odp"):
        return
    try:
        with zipfile.ZipFile(path) as z:
            members = z.infolist()
            if len(members) > MAX_MEMBERS:
                raise AppError("paper_convert_too_big", limit=limits.max_unpacked_bytes // MiB)
            if sum(m.file_size for m in members) > limits.max_unpacked_bytes:
                raise AppError("paper_convert_too_big", limit=limits.max_unpacked_bytes // MiB)
            for member in members:
                if member.filename.lower().endswith((".xml", ".rels")):
                    with z.open(member) as part:  # reads at most the declared size: inflating is bounded
                        start = part.read(XML_SCAN_BYTES)
                    if b"<!DOCTYPE" in start or b"<!ENTITY" in start:
                        log.info("office paper refused: %s declares a DTD", member.filename)
                        raise AppError("paper_convert_damaged")
            if kind.startswith("od") and "META-INF/manifest.xml" in z.namelist():
                with z.open("META-INF/manifest.xml") as part:
                    if b"encryption-data" in part.read(4 * MiB):
                        raise AppError("paper_convert_protected")
    except (zipfile.BadZipFile, OSError, ValueError, NotImplementedError, RuntimeError, EOFError) as exc:
        log.info("office paper refused: its package cannot be read: %s", exc)
        raise AppError("paper_convert_damaged") from None


# ---- the sandbox ------------------------------------------------------------------------------------------------

# Macros off and links never updated, in the fresh profile of each job (LibreOffice's configuration schema:
# Common/Security/Scripting; Writer's Update/Link 0 = never, Calc's 1 = never).
_SCRIPTING = "/org.openoffice.Office.Common/Security/Scripting"
PROFILE_ITEMS: Final[tuple[tuple[str, str, str], ...]] = (  # (path, property, value)
    (_SCRIPTING, "MacroSecurityLevel", "3"),  # very high: only macros from trusted places, and there are none
    (_SCRIPTING, "DisableMacrosExecution", "true"),
    (_SCRIPTING, "BlockUntrustedRefererLinks", "true"),
    (_SCRIPTING, "CheckDocumentEvents", "true"),
    ("/org.openoffice.Office.Writer/Content/Update", "Link", "0"),
    ("/org.openoffice.Office.Calc/Content/Update", "Link", "1"),
    ("/org.openoffice.Office.Common/Misc", "UseLocking", "false"),
)


def profile_settings() -> str:
    """The fresh profile's ``user/registrymodifications.xcu``."""
    items = "".join(
        f'<item oor:path="{path}"><prop oor:name="{name}" oor:op="fuse"><value>{value}</value></prop></item>\n'
        for path, name, value in PROFILE_ITEMS
    )
    return (
        '<?xml version="1.0" encoding="UTF-8"?>\n'
        '<oor:items xmlns:oor="http://openoffice.org/2001/registry" xmlns:xs="http://www.w3.org/2001/XMLSchema" '
        'xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance">\n' + items + "</oor:items>\n"
    )


def _probe(argv: list[str]) -> bool:
    try:
        return subprocess.run(argv, capture_output=True, timeout=30, check=False).returncode == 0
    except (OSError, subprocess.TimeoutExpired):
        return False


def sandbox_mode() -> SandboxMode | None:
    """How conversions are isolated on this machine (see the module's docstring); None: they cannot be."""
    if not shutil.which("unshare"):
        return None
    if os.geteuid() == 0:
        return "user+netns" if shutil.which("setpriv") and _probe(["unshare", "--net", "true"]) else None
    return "userns" if _probe(["unshare", "-rn", "true"]) else None


def ensure_user(name: str = CONVERT_USER) -> tuple[int, int]:
    """The uid and gid of the conversion user, made a system user without home or shell if it is missing
    (only root can, and only root needs it). Blocking."""
    try:
        entry = pwd.getpwnam(name)
    except KeyError:
        subprocess.run(
            ["useradd", "--system", "--no-create-home", "--home-dir", "/nonexistent", "--shell",
             "/usr/sbin/nologin", "--user-group", name],
            check=True, capture_output=True, timeout=60,
        )  # fmt: skip
        entry = pwd.getpwnam(name)
    grp.getgrgid(entry.pw_gid)
    return entry.pw_uid, entry.pw_gid


@dataclass
class _Job:
    root: Path
    source: Path
    out: Path
    profile: Path


class Converter:
    """Runs conversions in the sandbox; ``soffice`` is the program run inside it (a test points it at a wrapper
    that never finishes). Mode and user are found on the first job."""

    def __init__(
        self,
        limits: ConvertLimits | None = None,
        *,
        soffice: str = "soffice",
        user: str = CONVERT_USER,
        work_dir: Path | None = None,
        sandbox: SandboxMode | None = None,
    ) -> None:
        self.limits = limits or ConvertLimits()
        self.work_dir = work_dir  # where job directories are made (the system's temporary directory if None)
        self.soffice = soffice
        self.user = user
        self._slots = asyncio.Semaphore(self.limits.max_jobs)
        self._mode: SandboxMode | None = sandbox  # None: found on the first job (sandbox_mode)
        self._ids: tuple[int, int] | None = None
        self._ready = False
        self.running = 0  # jobs in the sandbox now (what the semaphore bounds)
        self.peak = 0  # the most that ever ran at once
        self.jobs = 0  # conversions started
        self._locks: weakref.WeakValueDictionary[str, asyncio.Lock] = weakref.WeakValueDictionary()
        self.landlock = False  # whether the kernel confines the conversion's files too (documents/landlock.py)

    async def _prepare(self) -> SandboxMode:
        if not self._ready:
            if self._mode is None:
                self._mode = await asyncio.to_thread(sandbox_mode)
            if self._mode == "user+netns":
                self._ids = await asyncio.to_thread(ensure_user, self.user)
            self._ready = True
            self.landlock = await asyncio.to_thread(landlock.available)
            log.info("office conversions run sandboxed: %s%s", self._mode or "unavailable",
                     ", landlock" if self.landlock else ", no landlock in this kernel")  # fmt: skip
        if self._mode is None or shutil.which(self.soffice) is None:
            raise AppError("paper_convert_unavailable")
        return self._mode

    def once(self, sha: str) -> asyncio.Lock:
        """Held while the file ``sha`` is converted and kept, so a second upload of it waits and reuses it (the
        lock lives as long as someone holds or waits for it)."""
        lock = self._locks.get(sha)
        if lock is None:
            lock = self._locks[sha] = asyncio.Lock()
        return lock

    @property
    def mode(self) -> SandboxMode | None:
        return self._mode

    def _argv(self, job: _Job, mode: SandboxMode) -> list[str]:
        limits = self.limits
        confine = [sys.executable, "-m", "meeting_server.documents.landlock",
                   *(f"--read={path}" for path in self._readable()), f"--write={job.root}", "--write=/dev/null",
                   "--socket=/tmp", "--"]  # fmt: skip
        if mode == "user+netns":
            assert self._ids is not None
            uid, gid = self._ids
            isolate = ["unshare", "--net", "--", *confine, "setpriv", f"--reuid={uid}", f"--regid={gid}",
                       "--clear-groups", "--no-new-privs", "--"]  # fmt: skip
        else:
            isolate = ["unshare", "--user", "--map-root-user", "--net", "--", *confine]
        rlimits = ["prlimit", f"--as={limits.memory_mb * MiB}", f"--cpu={int(limits.timeout) + 30}",
                   f"--fsize={limits.max_output_bytes}", "--core=0", "--"]  # fmt: skip
        office = [self.soffice, "--headless", "--invisible", "--norestore", "--nologo", "--nolockcheck",
                  "--nodefault", "--nofirststartwizard", f"-env:UserInstallation={job.profile.as_uri()}",
                  "--convert-to", "pdf", "--outdir", str(job.out), str(job.source)]  # fmt: skip
        return [*isolate, *rlimits, *office]

    def _readable(self) -> list[str]:
        """What the conversion may read and run (Landlock): the system's programs, libraries and settings,
        LibreOffice's own directories, and wherever ``soffice`` is; nothing of the server's (data, keys)."""
        found = shutil.which(self.soffice) or self.soffice
        program = {str(Path(found).parent), str(Path(found).resolve().parent)}
        return [*SYSTEM_READABLE, *sorted(program)]

    def _new_job(self, source: Path, kind: str) -> _Job:
        root = Path(tempfile.mkdtemp(prefix="convert-", dir=self.work_dir))  # 0700, private to whoever runs the job
        job = _Job(root, root / f"input.{kind}", root / "out", root / "profile")
        shutil.copyfile(source, job.source)
        for sub in (job.out, job.profile / "user", root / "home", root / "tmp"):
            sub.mkdir(parents=True)
        (job.profile / "user" / "registrymodifications.xcu").write_text(profile_settings(), encoding="utf-8")
        if self._ids is not None:  # the conversion user owns its job directory, nothing else
            for path in (root, *root.rglob("*")):
                os.chown(path, *self._ids)
        return job

    def _env(self, job: _Job) -> dict[str, str]:
        home = str(job.root / "home")
        return {
            "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
            "HOME": home,
            "XDG_CACHE_HOME": home,
            "XDG_CONFIG_HOME": home,
            "TMPDIR": str(job.root / "tmp"),
            "LANG": "C.UTF-8",
            "SAL_USE_VCLPLUGIN": "svp",
        }

    async def convert(self, source: Path, kind: str, target: Path) -> None:
        """Convert ``source`` (of type ``kind``, an OFFICE_TYPES key) to the PDF ``target``; AppError
        ``paper_convert_*`` when it cannot be (nothing is left behind either way)."""
        mode = await self._prepare()
        async with self._slots:
            self.running += 1
            self.jobs += 1
            self.peak = max(self.peak, self.running)
            job = await asyncio.to_thread(self._new_job, source, kind)
            try:
                await self._run(job, mode)
                await asyncio.to_thread(_take_output, job.out / "input.pdf", target, self.limits.max_output_bytes)
            finally:
                self.running -= 1
                await asyncio.to_thread(shutil.rmtree, job.root, True)
                await asyncio.to_thread(_sweep_pipes, self._ids[0] if self._ids else os.geteuid())

    async def _run(self, job: _Job, mode: SandboxMode) -> None:
        # The log is read back through the descriptor opened here, never by its name: the sandboxed process
        # owns the job directory and could put a link to another file in its place.
        with tempfile.TemporaryFile() as out:
            proc = await asyncio.create_subprocess_exec(
                *self._argv(job, mode), stdin=subprocess.DEVNULL, stdout=out, stderr=out,
                env=self._env(job), cwd=job.root, start_new_session=True,
            )  # fmt: skip
            try:
                await asyncio.wait_for(proc.wait(), self.limits.timeout)
            except TimeoutError:
                log.warning("office conversion killed after %g s", self.limits.timeout)
                raise AppError("paper_convert_timeout", limit=_seconds(self.limits.timeout)) from None
            finally:
                _kill_group(proc.pid)  # whatever it left running (or all of it, on a timeout or a cancel)
                await proc.wait()
            out.seek(max(0, out.seek(0, os.SEEK_END) - 64 * 1024))
            tail = out.read().decode("utf-8", "replace")
        if proc.returncode != 0:
            log.info("office conversion failed (%s): %s", proc.returncode, tail.strip()[-500:])
            memory = "bad_alloc" in tail or "out of memory" in tail.lower()
            if memory or proc.returncode in (-signal.SIGXCPU, -signal.SIGXFSZ, 128 + signal.SIGXCPU):
                raise AppError("paper_convert_too_big", limit=self.limits.memory_mb)  # its memory, not the package
            raise AppError("paper_convert_damaged")


def _take_output(produced: Path, target: Path, limit: int) -> None:
    """Copy the PDF the sandbox wrote, refusing anything but a plain file of its own: not a symbolic link
    (O_NOFOLLOW) and not a hard link (one name only) to a file the server may read, say another paper."""
    try:
        fd = os.open(produced, os.O_RDONLY | os.O_NOFOLLOW | os.O_NONBLOCK)
    except OSError:
        raise AppError("paper_convert_damaged") from None  # missing: LibreOffice could not load the file
    with os.fdopen(fd, "rb") as source:
        info = os.fstat(source.fileno())
        if not stat.S_ISREG(info.st_mode) or info.st_nlink != 1 or not 0 < info.st_size <= limit:
            log.warning("office conversion left no plain PDF (mode %o, links %d)", info.st_mode, info.st_nlink)
            raise AppError("paper_convert_damaged")
        with target.open("wb") as out:
            shutil.copyfileobj(source, out, MiB)


def _sweep_pipes(uid: int, directory: Path = Path("/tmp")) -> int:
    """Remove the single-instance sockets (``/tmp/OSL_PIPE_<uid>_…``) that killed conversions left behind:
    those of the conversion's uid that nothing listens on any more. Returns how many were removed."""
    removed = 0
    with contextlib.suppress(OSError):
        for entry in os.scandir(directory):
            if not entry.name.startswith("OSL_PIPE_"):
                continue
            with contextlib.suppress(OSError):
                info = entry.stat(follow_symlinks=False)
                if not stat.S_ISSOCK(info.st_mode) or info.st_uid != uid:
                    continue
                with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as probe:
                    try:
                        probe.connect(entry.path)
                        continue  # a running conversion's
                    except ConnectionRefusedError:
                        pass
                os.unlink(entry.path)
                removed += 1
    return removed


def _seconds(value: float) -> str:
    return f"{value:g}"


def _kill_group(pgid: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pgid, signal.SIGKILL)


# ---- originals --------------------------------------------------------------------------------------------------


class SourceFiles:
    """Office originals by their own sha256, beside the paper cache (``<papers>/sources/<sha[:2]>/<sha>/``):
    ``original.<ext>`` and ``converted.json`` (``{"type", "pdf_sha256"}``: what it became, written last)."""

    def __init__(self, papers_root: Path) -> None:
        self.root = Path(papers_root) / "sources"

    def directory(self, sha: str) -> Path:
        check_sha(sha)
        return self.root / sha[:2] / sha

    def original(self, sha: str, kind: str) -> Path:
        if kind not in OFFICE_TYPES:
            raise AppError("not_found", what="paper")
        return self.directory(sha) / f"original.{kind}"

    def converted(self, sha: str) -> dict[str, Any] | None:
        try:
            data: dict[str, Any] = json.loads((self.directory(sha) / "converted.json").read_bytes())
        except FileNotFoundError:
            return None
        return data

    def keep(self, upload: Path, sha: str, kind: str, pdf_sha: str) -> None:
        directory = self.directory(sha)
        directory.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
        target = self.original(sha, kind)
        if not target.exists():
            tmp = directory / f".{target.name}.tmp"
            shutil.copyfile(upload, tmp)
            tmp.chmod(0o640)
            os.replace(tmp, target)
        write_atomic(directory / "converted.json", json.dumps({"type": kind, "pdf_sha256": pdf_sha}).encode())


# ---- the upload's hook ------------------------------------------------------------------------------------------


async def ingest_upload(pipeline: PaperPipeline, converter: Converter, upload: Path, name: str = "") -> dict[str, Any]:
    """What `_receive_pdf` does with the uploaded file: a PDF is ingested as it is; an office file is checked,
    converted (or its earlier conversion reused) and its PDF ingested, the original kept. Returns the paper's
    info with ``converted_from`` (the type, or None) and, for converted files, ``original_id`` / ``original_bytes``.
    ``name`` is the client's file name: only to keep ``paper_not_pdf`` for a file that claims to be a PDF."""
    size = (await asyncio.to_thread(os.stat, upload)).st_size
    if size == 0:
        raise AppError("paper_empty")
    if size > pipeline.limits.max_bytes:
        raise AppError("paper_too_large", limit=pipeline.max_megabytes)
    kind = await asyncio.to_thread(detect, upload)
    if kind == "pdf":
        return {**(await pipeline.ingest(upload)).to_dict(), "converted_from": None}
    if kind is None and name.lower().endswith(".pdf"):
        raise AppError("paper_not_pdf")
    if kind is None:
        raise AppError("paper_type_unsupported")
    await asyncio.to_thread(precheck, upload, kind, converter.limits)
    sources = SourceFiles(pipeline.files.root)
    sha = await asyncio.to_thread(_sha256, upload)
    async with converter.once(sha):  # the same file uploaded twice at once is converted once
        done = await asyncio.to_thread(sources.converted, sha)
        if done is not None and pipeline.files.read_meta(str(done["pdf_sha256"])) is not None:
            info = await pipeline.ingest(pipeline.files.original(str(done["pdf_sha256"])))  # cached: no job
        else:
            pdf = upload.with_name("converted.pdf")
            await converter.convert(upload, kind, pdf)
            info = await pipeline.ingest(pdf)
            await asyncio.to_thread(sources.keep, upload, sha, kind, info.sha256)
    return {**info.to_dict(), "converted_from": kind, "original_id": sha, "original_bytes": size}


def _sha256(path: Path) -> str:
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as f:
        while chunk := f.read(MiB):
            digest.update(chunk)
    return digest.hexdigest()
