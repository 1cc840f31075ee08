"""Run a program that may touch only the files it is given (Linux Landlock), for the office conversion sandbox.

    python -m meeting_server.documents.landlock --read DIR … --write DIR … --socket DIR -- PROGRAM ARG…

restricts this process (and everything it runs, for good: Landlock cannot be undone) to reading and executing
under the ``--read`` directories and reading and writing under the ``--write`` ones, and to making and removing
Unix sockets in the ``--socket`` ones (no reading or writing there: LibreOffice binds its single-instance pipe in
/tmp whatever TMPDIR says, and removes it as it restarts itself), then executes PROGRAM.
No privilege is needed (the process sets no_new_privs itself). Everything else on the machine (the server's
database, papers, keys, home directories) cannot be opened. On a kernel without Landlock (before 5.13, or with it
disabled) it says so on stderr and runs PROGRAM without it; the caller's other walls (no network, its own user
where possible, limits) still stand, and ``available()`` lets the server log which it is.
"""

from __future__ import annotations

import argparse
import ctypes
import os
import sys

# linux/landlock.h (the syscall numbers are the same on every architecture)
SYS_CREATE_RULESET, SYS_ADD_RULE, SYS_RESTRICT_SELF = 444, 445, 446
CREATE_RULESET_VERSION = 1
RULE_PATH_BENEATH = 1
PR_SET_NO_NEW_PRIVS = 38

EXECUTE, WRITE_FILE, READ_FILE, READ_DIR = 1 << 0, 1 << 1, 1 << 2, 1 << 3
REMOVE_DIR, REMOVE_FILE, MAKE_CHAR, MAKE_DIR, MAKE_REG = 1 << 4, 1 << 5, 1 << 6, 1 << 7, 1 << 8
MAKE_SOCK, MAKE_FIFO, MAKE_BLOCK, MAKE_SYM = 1 << 9, 1 << 10, 1 << 11, 1 << 12
REFER, TRUNCATE = 1 << 13, 1 << 14  # ABI 2, ABI 3

READ = EXECUTE | READ_FILE | READ_DIR
WRITE = READ | WRITE_FILE | REMOVE_DIR | REMOVE_FILE | MAKE_DIR | MAKE_REG | MAKE_SOCK | MAKE_FIFO | MAKE_SYM


class _RulesetAttr(ctypes.Structure):
    _fields_ = [("handled_access_fs", ctypes.c_uint64)]


class _PathBeneath(ctypes.Structure):
    _pack_ = 1
    _fields_ = [("allowed_access", ctypes.c_uint64), ("parent_fd", ctypes.c_int32)]


_libc = ctypes.CDLL(None, use_errno=True)
_libc.syscall.restype = ctypes.c_long


def abi() -> int:
    """The kernel's Landlock ABI version; 0 when it has none."""
    version = int(_libc.syscall(SYS_CREATE_RULESET, None, ctypes.c_size_t(0), ctypes.c_uint32(CREATE_RULESET_VERSION)))
    return max(version, 0)


def available() -> bool:
    return abi() >= 1


def _handled(version: int) -> int:
    handled = WRITE | MAKE_CHAR | MAKE_BLOCK
    if version >= 2:
        handled |= REFER
    if version >= 3:
        handled |= TRUNCATE
    return handled


def restrict(read: list[str], write: list[str], sockets: list[str] = []) -> bool:  # noqa: B006  (never changed)
    """Landlock this process to ``read`` and ``write`` (directories or files) and to making sockets in ``sockets``;
    False when the kernel has no Landlock."""
    version = abi()
    if version < 1:
        return False
    handled = _handled(version)
    attr = _RulesetAttr(handled)
    ruleset = int(_libc.syscall(SYS_CREATE_RULESET, ctypes.byref(attr), ctypes.c_size_t(ctypes.sizeof(attr)), 0))
    if ruleset < 0:
        raise OSError(ctypes.get_errno(), "landlock_create_ruleset")
    try:
        writable = WRITE | (REFER if version >= 2 else 0) | (TRUNCATE if version >= 3 else 0)  # renames too
        for paths, access in ((read, READ), (write, writable), (sockets, MAKE_SOCK | REMOVE_FILE)):
            for path in paths:
                try:
                    fd = os.open(path, os.O_PATH | os.O_CLOEXEC)
                except FileNotFoundError:
                    continue  # /lib64 on some systems, a directory the caller names just in case
                try:
                    is_dir = os.path.isdir(path)
                    allowed = access if is_dir else access & (EXECUTE | READ_FILE | WRITE_FILE | TRUNCATE)
                    rule = _PathBeneath(allowed & handled, fd)
                    if _libc.syscall(SYS_ADD_RULE, ruleset, RULE_PATH_BENEATH, ctypes.byref(rule), 0) != 0:
                        raise OSError(ctypes.get_errno(), f"landlock_add_rule {path}")
                finally:
                    os.close(fd)
        if _libc.prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0:
            raise OSError(ctypes.get_errno(), "prctl(PR_SET_NO_NEW_PRIVS)")
        if _libc.syscall(SYS_RESTRICT_SELF, ruleset, 0) != 0:
            raise OSError(ctypes.get_errno(), "landlock_restrict_self")
    finally:
        os.close(ruleset)
    return True


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m meeting_server.documents.landlock")
    parser.add_argument("--read", action="append", default=[])
    parser.add_argument("--write", action="append", default=[])
    parser.add_argument("--socket", action="append", default=[])
    parser.add_argument("program", nargs=argparse.REMAINDER)
    args = parser.parse_args(argv)
    program = args.program[1:] if args.program[:1] == ["--"] else args.program
    if not program:
        parser.error("no program to run")
    if not restrict(args.read, args.write, args.socket):
        print("landlock: not available in this kernel; running without it", file=sys.stderr)
    os.execvp(program[0], program)


if __name__ == "__main__":
    main()
