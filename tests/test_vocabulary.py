"""One vocabulary: roles, meeting statuses and error codes are written in `meeting_server/vocabulary.py` only.

Checked on the source (an AST scan, like tests/test_layers.py) rather than trusted: a role, status or error code
spelt out as a string anywhere else in meeting_server/ fails here, unless mypy checks that very string against the
vocabulary's Literal types (the code given to AppError, a key of the error catalogue, a parameter's default).
"""

from __future__ import annotations

import ast
from pathlib import Path
from typing import get_args

from meeting_server import vocabulary as v
from meeting_server.errors import CATALOGUE

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "meeting_server"

WORDS: set[str] = (
    set(v.MEETING_ROLES) | set(v.GLOBAL_ROLES) | set(v.MEETING_STATUSES) | set(v.ERROR_CODES) | set(v.WARNING_CODES)
)
WORDS |= set(v.ATTENDANCE_STATUSES) | set(v.ATTENDANCE_PLACES) | set(v.QUORUM_BASES)  # attendance
# the floor's kinds, request states and speech endings ("withdrawn" is also a paper's, and checked with neither)
WORDS |= set(v.FLOOR_KINDS) | (set(v.FLOOR_REQUEST_STATES) - {v.WITHDRAWN}) | set(v.SPEECH_ENDS)
# votes: the words that cannot mean anything else ("open", "yes" … are too common to scan for)
VOTE_WORDS: set[str] = {*v.CHOICE_KINDS, *v.VOTE_BASES, *v.PASS_RULES, v.VOTE_MANAGE, v.VOTE_CAST, v.VOTE_HALL_TALLY}
WORDS |= VOTE_WORDS
# Files whose strings are data, not code: demo_data.py's people carry `roles` typed by GlobalRole (mypy checks them).
DATA_FILES = {PACKAGE / "vocabulary.py", PACKAGE / "demo_data.py"}
CODE_TAKERS = {"AppError", "PaperRejected"}  # their first argument is a vocabulary.ErrorCode
TYPED_BY = {
    "ErrorCode",
    "GlobalRole",
    "MeetingRole",
    "MeetingStatus",
    "AttendanceStatus",
    "QuorumBase",
}  # annotations mypy checks literals against
PRAGMA = "# not vocabulary"  # the same word meaning something else (the demo account named "admin")


def _names(node: ast.AST | None) -> set[str]:
    return {n.id for n in ast.walk(node) if isinstance(n, ast.Name)} if node is not None else set()


def _exempt(tree: ast.AST) -> set[int]:
    """ids of string constants that are docstrings or sit where mypy checks them against the vocabulary."""
    out: set[int] = set()
    for node in ast.walk(tree):
        body = getattr(node, "body", None)
        if isinstance(node, ast.Module | ast.ClassDef | ast.FunctionDef | ast.AsyncFunctionDef) and body:
            first = body[0]
            if isinstance(first, ast.Expr) and isinstance(first.value, ast.Constant):
                out.add(id(first.value))
        if isinstance(node, ast.Call):
            func = node.func
            name = func.id if isinstance(func, ast.Name) else func.attr if isinstance(func, ast.Attribute) else ""
            if name in CODE_TAKERS and node.args:
                out.add(id(node.args[0]))
            out.update(id(k.value) for k in node.keywords if k.arg == "what")  # a thing's name (errors.THINGS)
        if isinstance(node, ast.Compare):  # `err.code == "rate_limited"`: AppError.code is an ErrorCode
            sides = [node.left, *node.comparators]
            if any(isinstance(s, ast.Attribute) and s.attr == "code" for s in sides):
                out.update(id(s) for s in sides)
        if isinstance(node, ast.AnnAssign) and node.value is not None and _names(node.annotation) & TYPED_BY:
            out.update(id(c) for c in ast.walk(node.value) if isinstance(c, ast.Constant))
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            args = node.args
            positional = args.posonlyargs + args.args
            for arg, default in zip(positional[len(positional) - len(args.defaults) :], args.defaults, strict=True):
                if _names(arg.annotation) & TYPED_BY:
                    out.add(id(default))
            for arg, kw_default in zip(args.kwonlyargs, args.kw_defaults, strict=True):
                if kw_default is not None and _names(arg.annotation) & TYPED_BY:
                    out.add(id(kw_default))
    return out


def vocabulary_literals(path: Path, root: Path = ROOT) -> list[str]:
    text = path.read_text()
    lines = text.splitlines()
    tree = ast.parse(text)
    exempt = _exempt(tree)
    found = []
    for node in ast.walk(tree):
        if isinstance(node, ast.Constant) and isinstance(node.value, str) and node.value in WORDS:
            if id(node) in exempt or PRAGMA in lines[node.lineno - 1]:
                continue
            found.append(f"{path.relative_to(root)}:{node.lineno}: {node.value!r}")
    return found


def test_no_role_status_or_error_code_is_spelt_out_outside_the_vocabulary() -> None:
    found = [
        hit for path in sorted(PACKAGE.rglob("*.py")) if path not in DATA_FILES for hit in vocabulary_literals(path)
    ]
    assert not found, "import these from meeting_server.vocabulary instead:\n" + "\n".join(found)


def test_the_scan_finds_what_it_is_for(tmp_path: Path) -> None:
    """The scan is not blind: role, status and code strings in ordinary code are reported; checked ones are not."""
    sample = tmp_path / "sample.py"
    sample.write_text(
        '"""A docstring may say chair."""\n'
        'ROLES = ("organizer", "chair")\n'
        "def f(state, err):\n"
        '    if state.status == "in_progress":\n'
        '        raise AppError("not_found", what="site")\n'
        '    return err.code == "rate_limited" or err.kind == "forbidden"\n'
    )
    found = vocabulary_literals(sample, tmp_path)
    assert [hit.split(": ", 1)[1] for hit in found] == ["'organizer'", "'chair'", "'in_progress'", "'forbidden'"]


def test_each_vocabulary_is_whole_and_consistent() -> None:
    assert set(v.GLOBAL_ROLES) < set(v.MEETING_ROLES)
    assert set(CATALOGUE) == set(v.ERROR_CODES), "every error code has its messages, and no message lacks a code"
    assert set(v.MEETING_STATUSES) > v.CLOSED_STATUSES
    assert set(v.OPEN_STATUSES) | v.CLOSED_STATUSES == set(v.MEETING_STATUSES)
    assert set(v.STATUS_WORDS) >= set(v.MEETING_STATUSES) | {v.WITHDRAWN}
    assert set(v.GLOBAL_PERMISSIONS) == set(get_args(v.GlobalPermission))
    assert set(v.MEETING_PERMISSIONS) == set(get_args(v.MeetingPermission))
    assert set(get_args(v.FloorPermission)) < set(v.MEETING_PERMISSIONS)
    assert set(v.FLOOR_KIND_WORDS) == set(v.FLOOR_KINDS)
    for granted in v.GLOBAL_PERMISSIONS.values():
        assert granted <= set(v.GLOBAL_ROLES)
    for meeting_granted in v.MEETING_PERMISSIONS.values():
        assert meeting_granted <= set(v.MEETING_ROLES)
    # the Final names carry exactly the values of their Literal types
    for name in ("ADMIN", "CHAIR", "SECRETARY", "DELEGATE", "SITE_OPERATOR", "OBSERVER", "ORGANIZER", "SITE"):
        assert getattr(v, name) in v.MEETING_ROLES, name


def test_capabilities_follow_the_table() -> None:
    chair = v.global_capabilities(v.USER, frozenset({v.CHAIR}))
    assert chair == {v.MEETING_CREATE, v.ACCOUNT_EDIT}
    assert v.global_capabilities(v.SITE, frozenset()) == frozenset()
    assert v.MEETING_ORGANIZE in v.meeting_capabilities(v.CHAIR, chair)
    # named chair of a meeting, but the chair role was taken away since: no longer runs it
    assert v.MEETING_ORGANIZE not in v.meeting_capabilities(v.CHAIR, frozenset({v.ACCOUNT_EDIT}))
    # an observer watches, answers the invitation (whether they come), and signs a record's slot that names them
    observer = v.meeting_capabilities(v.OBSERVER, frozenset({v.ACCOUNT_EDIT}))
    assert observer == {v.MEETING_VIEW, v.INVITATION_ANSWER, v.RECORD_SIGN}
    # a room PC signs nothing; the seal is the organisers'
    assert v.RECORD_SIGN not in v.meeting_capabilities(v.SITE, frozenset())
    assert v.RECORD_SEAL not in v.meeting_capabilities(v.DELEGATE, frozenset({v.ACCOUNT_EDIT}))
    assert v.meeting_capabilities(v.SITE, frozenset()) == {v.MEETING_VIEW, v.CONFERENCE_PUBLISH, v.FLOOR_REQUEST_SITE}
    assert v.FLOOR_MANAGE in v.meeting_capabilities(v.CHAIR, chair)
    assert v.FLOOR_REQUEST not in v.meeting_capabilities(v.OBSERVER, frozenset({v.ACCOUNT_EDIT}))
    assert v.meeting_capabilities(None, chair) == frozenset()
