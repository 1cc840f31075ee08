"""Who may read what the server keeps on disk: its owner, and its group for backups, never everyone.

The database (SQLite and its -wal and -shm files), the papers' originals (restricted ones included), their page
images and the recordings are written by the server process and its document workers, which inherit its umask:
`meeting-server` sets UMASK at start, so directories are made 0750 and files 0640 (or 0600, as `mkstemp`
makes them). `restrict_data_dir` also tightens what an older version left world-readable (0644) in place.
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

from ..config import DIR_MODE, UMASK

__all__ = ["DIR_MODE", "UMASK", "restrict_data_dir", "sqlite_files", "use_private_umask"]


def use_private_umask() -> None:
    os.umask(UMASK)


def sqlite_files(database_url: str) -> list[Path]:
    """The SQLite database file of a URL and the journal files SQLite keeps beside it (none for PostgreSQL)."""
    if not database_url.startswith("sqlite"):
        return []
    path = database_url.split("///", 1)[-1]
    if not path or path == ":memory:":
        return []
    return [Path(path + suffix) for suffix in ("", "-wal", "-shm", "-journal")]


def restrict_data_dir(data_dir: Path, database_url: str) -> None:
    """Create the data directory 0750 and take the group's write and the world's every right off what is in
    it (and off the SQLite files, wherever the URL puts them). Files of another owner are left as they are."""
    data_dir.mkdir(parents=True, exist_ok=True, mode=DIR_MODE)
    _restrict(data_dir)
    for root, dirs, files in os.walk(data_dir):
        for name in (*dirs, *files):
            _restrict(Path(root) / name)
    for path in sqlite_files(database_url):
        _restrict(path)


def _restrict(path: Path) -> None:
    with contextlib.suppress(FileNotFoundError, PermissionError):
        info = path.lstat()
        if stat.S_ISLNK(info.st_mode) or info.st_uid != os.geteuid():
            return
        mode = stat.S_IMODE(info.st_mode)
        if mode & UMASK:
            path.chmod(mode & ~UMASK)
