"""The search index behind one interface, on two engines: SQLite FTS5 (the embedded default) and PostgreSQL
full-text search (production), chosen by the database URL (docs/search.md).

Both index the same thing, `search_docs.folded`: the text's tokens folded by documents/textfold (lower case, no
diacritics, "đ" as "d"), so "nghi quyet" and "Nghị quyết" are one query on either engine. A query is a phrase of
its folded tokens; hits are ranked by bm25 (FTS5) or ts_rank (PostgreSQL). PostgreSQL also keeps each unit's
adjacent word pairs ("thang·quan", migration 0015) with their own index: a phrase is looked up by its pairs first.

The read rules are a `Scope` turned into the query's WHERE clause: what a person may not read is neither
returned nor counted (the count is the same query's). The count stops at a cap and only that many of the
newest readable matches are ranked, so a query's time stays bounded however many pages match.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    ColumnElement,
    Integer,
    Select,
    Table,
    Text,
    TypeDecorator,
    and_,
    any_,
    bindparam,
    delete,
    exists,
    false,
    func,
    insert,
    literal_column,
    or_,
    select,
    text,
    true,
    update,
)
from sqlalchemy import (
    cast as sql_cast,
)
from sqlalchemy.dialects.postgresql import TSQUERY
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql import column, table

from ..documents.textfold import fold, tokens
from .db import now_iso
from .models import MeetingRow, SearchCheckpointRow, SearchDocRow, SearchGrantRow

DOCS: Table = cast(Table, SearchDocRow.__table__)
Condition = ColumnElement[bool]
Column = ColumnElement[Any]
GRANTS: Table = cast(Table, SearchGrantRow.__table__)
# Objects of the engines' own (migrations 0014, 0015) that the models do not describe: the schema comparison skips
# them.
ENGINE_TABLES = frozenset({"search_fts"})
ENGINE_COLUMNS = frozenset({"tsv", "pairs"})
ENGINE_INDEXES = frozenset({"ix_search_docs_tsv", "ix_search_docs_pairs"})
# Two adjacent folded words as one lexeme of PostgreSQL's pairs vector: "thang·quan". Tokens are letters and digits
# only (documents/textfold), so the joiner (a middle dot) is never part of a word.
PAIR_JOIN = "\u00b7"
# A tsvector lexeme must be shorter than 2 KiB: a longer pair is not kept, and a phrase needing it is matched on the
# main vector alone.
PAIR_MAX_BYTES = 2000


def engine_owned(name: str | None, type_: str) -> bool:
    """True for a table, column or index the search engine keeps itself (FTS5's shadow tables included)."""
    if name is None:
        return False
    if type_ == "table":
        return any(name == t or name.startswith(t + "_") for t in ENGINE_TABLES)
    if type_ == "column":
        return name in ENGINE_COLUMNS
    if type_ == "index":
        return name in ENGINE_INDEXES
    return False


def folded_text(text: str) -> str:
    """What the engines index: the text's tokens, folded, one space apart (folded at once: fold works character by
    character and no character folds into a space, so this is each token folded)."""
    return fold(" ".join(tokens(text)))


def word_pairs(folded: str) -> list[str]:
    """The distinct pairs of adjacent words of folded text (folded_text's), as the pairs vector keeps them. Words
    are adjacent when nothing but spaces, punctuation or a line break stood between them: the main vector's
    positions (and FTS5's) count the same tokens, so a phrase across a full stop matches on both and here."""
    words = folded.split()
    joined = {a + PAIR_JOIN + b for a, b in zip(words, words[1:], strict=False)}
    return sorted(p for p in joined if len(p.encode()) <= PAIR_MAX_BYTES)


def query_tokens(query: str) -> list[str]:
    return [fold(t) for t in tokens(query)]


@dataclass(frozen=True)
class MeetingSet:
    """Meetings, as the query names them: every meeting (`every`), or these."""

    ids: frozenset[str] = frozenset()
    every: bool = False

    def holds(self, meeting_id: ColumnElement[Any]) -> ColumnElement[bool]:
        if self.every:
            return true()
        if not self.ids:
            return false()
        return meeting_id.in_(sorted(self.ids))


@dataclass(frozen=True)
class Scope:
    """What one person may read, by meeting (views/search.py derives it from their roles):

    - `visible`: meetings they hold a part in (agenda items; papers published to them);
    - `managed`: meetings where they read every paper but restricted ones and every comment (PAPER_MANAGE);
    - `restricted`: meetings where they read restricted papers (PAPER_READ_RESTRICTED);
    - `record`: meetings whose record documents they read (RECORD_READ).
    """

    user_id: str | None
    unit_id: str | None
    visible: MeetingSet = field(default_factory=MeetingSet)
    managed: MeetingSet = field(default_factory=MeetingSet)
    restricted: MeetingSet = field(default_factory=MeetingSet)
    record: MeetingSet = field(default_factory=MeetingSet)


@dataclass(frozen=True)
class Filters:
    kinds: tuple[str, ...] = ()
    meeting_id: str | None = None
    unit_id: str | None = None
    since: str | None = None  # ISO UTC, inclusive
    until: str | None = None  # ISO UTC, exclusive


def _paper_readable(scope: Scope) -> ColumnElement[bool]:
    """domain.papers.Paper.can_read, as SQL over the copied paper fields and its grants."""
    d = DOCS.c
    named: list[ColumnElement[bool]] = []
    if scope.user_id:
        named.append(and_(GRANTS.c.kind == "user", GRANTS.c.ref_id == scope.user_id))
    if scope.user_id and scope.unit_id:
        named.append(and_(GRANTS.c.kind == "unit", GRANTS.c.ref_id == scope.unit_id))
    listed = exists().where(GRANTS.c.paper_id == d.paper_id, or_(*named)) if named else false()
    return or_(
        and_(d.access == "restricted", scope.restricted.holds(d.meeting_id)),
        and_(d.access != "restricted", scope.managed.holds(d.meeting_id)),
        and_(scope.visible.holds(d.meeting_id), d.status == "published", or_(d.access == "all", listed)),
    )


def readable(scope: Scope) -> ColumnElement[bool]:
    """The read rules of every kind of unit, as one condition."""
    d = DOCS.c
    own = d.author_id == scope.user_id if scope.user_id else false()
    return or_(
        and_(d.kind == "page", _paper_readable(scope)),
        and_(d.kind == "comment", _paper_readable(scope), or_(scope.managed.holds(d.meeting_id), own)),
        and_(d.kind == "agenda", scope.visible.holds(d.meeting_id)),
        and_(d.kind == "record", scope.record.holds(d.meeting_id)),
    )


def _filtered(filters: Filters) -> list[ColumnElement[bool]]:
    d = DOCS.c
    out: list[ColumnElement[bool]] = []
    if filters.kinds:
        out.append(d.kind.in_(filters.kinds))
    if filters.meeting_id:
        out.append(d.meeting_id == filters.meeting_id)
    if filters.unit_id:
        out.append(d.unit_id == filters.unit_id)
    if filters.since:
        out.append(d.at >= filters.since)
    if filters.until:
        out.append(d.at < filters.until)
    return out


@dataclass(frozen=True)
class Hit:
    id: int
    kind: str
    meeting_id: str
    meeting_title: str
    paper_id: str | None
    version: int | None
    page: int | None
    ref_id: str | None
    title: str
    body: str
    folded: str
    at: str
    rank: float


@dataclass(frozen=True)
class Results:
    """One page of hits and how many readable hits there are: `total` exactly when `more` is false; when more
    than the cap match, `total` is the cap, `more` is true and the hits are ranked among the newest cap."""

    total: int
    more: bool
    hits: list[Hit]


class SearchIndex:
    """The interface: writing units, querying with a scope. The engines differ only in how they match and rank.

    A query is two steps bounded by the cap (`Settings.search_count_cap`), not by the number of matches
    (docs/search.md, Speed):
    1. the newest `cap + 1` readable matches' ids, walking the match in descending id order and stopping there:
       the count (capped) and the lowest id of the ranked set;
    2. the rank of exactly those (readable) matches, one page of ids, and only then those rows' text, for the
       page's snippets."""

    name = ""

    def _match(self, phrase: list[str]) -> tuple[ColumnElement[bool], ColumnElement[Any], Any, ColumnElement[Any]]:
        """(the match condition, the rank expression, what to join docs with, the id the engine walks in order)."""
        raise NotImplementedError

    async def search(
        self, session: AsyncSession, query: str, scope: Scope, filters: Filters, limit: int, offset: int, cap: int
    ) -> Results:
        """The readable hits' count (capped) and one page of them, best first."""
        phrase = query_tokens(query)
        if not phrase:
            return Results(0, False, [])
        await self._prepare(session)
        condition, rank, source, key = self._match(phrase)
        rules = [readable(scope), *_filtered(filters)]
        ids = (await session.execute(_newest(condition, rules, source, key, cap))).scalars().all()
        total, more = min(len(ids), cap), len(ids) > cap
        if total == 0 or offset >= total:
            return Results(total, more, [])
        d = DOCS.c
        ranked = (
            select(d.id.label("id"), rank.label("rank"))
            .select_from(source)
            .where(*self._ranked_set(condition, rules, key, ids[:total]))
            .order_by(self._order(rank), d.id)
            .limit(limit)
            .offset(offset)
            .subquery("ranked")
        )
        page = (
            select(
                d.id,
                d.kind,
                d.meeting_id,
                d.paper_id,
                d.version,
                d.page,
                d.ref_id,
                d.title,
                d.body,
                d.folded,
                d.at,
                ranked.c.rank,
            )  # fmt: skip
            .join(ranked, ranked.c.id == d.id)
            .order_by(self._order(ranked.c.rank), d.id)
        )
        rows = (await session.execute(page)).all()
        titles = await _meeting_titles(session, {r.meeting_id for r in rows})
        hits = [
            Hit(
                id=r.id,
                kind=r.kind,
                meeting_id=r.meeting_id,
                meeting_title=titles.get(r.meeting_id, ""),
                paper_id=r.paper_id,
                version=r.version,
                page=r.page,
                ref_id=r.ref_id,
                title=r.title,
                body=r.body,
                folded=r.folded,
                at=r.at,
                rank=float(r.rank),
            )  # fmt: skip
            for r in rows
        ]
        return Results(total, more, hits)

    def first_step(self, query: str, scope: Scope, filters: Filters, cap: int) -> Select[Any]:
        """Step 1's statement for a query (bench/search.py prints its plan); the query has at least one token."""
        condition, _, source, key = self._match(query_tokens(query))
        return _newest(condition, [readable(scope), *_filtered(filters)], source, key, cap)

    def _order(self, rank: ColumnElement[Any]) -> ColumnElement[Any]:
        return rank.asc()

    async def _prepare(self, session: AsyncSession) -> None:
        """Whatever the engine needs set in the read transaction before the two steps."""

    def _ranked_set(self, match: Condition, rules: list[Condition], key: Column, ids: Sequence[int]) -> list[Condition]:
        """The condition of step 2: the same match, read rules and filters from the lowest of step 1's ids up
        (FTS5 takes the rowid range and walks only the match). The rules are applied again in either engine: a
        row changed between the two statements is not shown to someone who may no longer read it."""
        return [match, *rules, key >= ids[-1]]


def _newest(condition: Condition, rules: list[Condition], source: Any, key: Column, cap: int) -> Select[Any]:
    return select(key).select_from(source).where(condition, *rules).order_by(key.desc()).limit(cap + 1)


class SqliteSearch(SearchIndex):
    """FTS5 (external content over search_docs.folded); bm25: lower is better."""

    name = "sqlite-fts5"
    _fts = table("search_fts", column("rowid"))

    def _match(self, phrase: list[str]) -> tuple[ColumnElement[bool], ColumnElement[Any], Any, ColumnElement[Any]]:
        expression = '"' + " ".join(phrase) + '"'  # tokens are letters and digits only: nothing to escape
        fts: ColumnElement[Any] = literal_column("search_fts")
        source = DOCS.join(self._fts, self._fts.c.rowid == DOCS.c.id)
        # the FTS table's rowid: FTS5 walks its match in rowid order and takes rowid ranges itself
        return fts.op("MATCH")(expression), func.bm25(fts), source, self._fts.c.rowid


class PostgresSearch(SearchIndex):
    """tsvector ('simple' configuration over the folded tokens) with a GIN index; ts_rank: higher is better."""

    name = "postgresql-tsvector"

    def __init__(self, pairs: bool = True) -> None:
        self.pairs = pairs  # False: phrases on the main vector alone, as before 0015 (bench/search.py compares)

    def _match(self, phrase: list[str]) -> tuple[ColumnElement[bool], ColumnElement[Any], Any, ColumnElement[Any]]:
        # the configuration as a constant of the statement (so bench/search.py can print it with literal values)
        tsquery = func.to_tsquery(literal_column("'simple'::regconfig"), " <-> ".join(phrase))
        tsv: ColumnElement[Any] = literal_column("search_docs.tsv")
        condition: Condition = tsv.op("@@")(tsquery)
        pairs = word_pairs(" ".join(phrase))
        if pairs and self.pairs:  # two words or more (and no pair too long to be kept)
            # GIN keeps no positions: `a <-> b` alone is rechecked in every row holding both words (the slowest
            # queries: two common words rarely side by side). The pairs' index finds the rows holding each of the
            # phrase's adjacent pairs: exactly the two-word phrase's rows; for three words or more a superset, on
            # which the main vector's phrase check then runs. One bound tsquery of quoted lexemes.
            lexemes = " & ".join("'" + p.replace("\\", "\\\\").replace("'", "''") + "'" for p in pairs)
            adjacent = literal_column("search_docs.pairs").op("@@")(
                sql_cast(bindparam("phrase_pairs", lexemes), TSQUERY)
            )
            condition = adjacent if len(phrase) == 2 else and_(adjacent, condition)
        return condition, func.ts_rank(tsv, tsquery), DOCS, DOCS.c.id

    def _order(self, rank: ColumnElement[Any]) -> ColumnElement[Any]:
        return rank.desc()

    async def _prepare(self, session: AsyncSession) -> None:
        # asyncpg prepares each statement, and after five runs PostgreSQL may plan it once for any parameters: that
        # generic plan cannot know a phrase is common, so it rechecks every match from the GIN index instead of
        # walking the ids down and stopping at the cap (measured: 24 ms became 70-110 ms from the sixth query on).
        await session.execute(text("SET LOCAL plan_cache_mode = force_custom_plan"))

    def _ranked_set(self, match: Condition, rules: list[Condition], key: Column, ids: Sequence[int]) -> list[Condition]:
        # Step 1's ids themselves, by primary key (and the rules again), not the match: that would recheck every
        # row from the lowest id up (GIN keeps no word positions, so a phrase is checked in each row's tsvector).
        # One array parameter, not one per id: the cap may be set past the 32,767 parameters a statement takes.
        return [*rules, DOCS.c.id == any_(bindparam("ranked_ids", list(ids), type_=ARRAY(Integer)))]


def index_for(is_sqlite: bool) -> SearchIndex:
    return SqliteSearch() if is_sqlite else PostgresSearch()


async def _meeting_titles(session: AsyncSession, ids: set[str]) -> dict[str, str]:
    if not ids:
        return {}
    rows = await session.execute(select(MeetingRow.id, MeetingRow.title).where(MeetingRow.id.in_(sorted(ids))))
    return {r.id: r.title for r in rows}


# ---- writing (the indexer's) -------------------------------------------------------------------------------------


async def pending_meetings(session: AsyncSession, limit: int = 100) -> list[tuple[str, int]]:
    """Meetings whose log has moved past the indexer's checkpoint (or that it has never indexed)."""
    c = SearchCheckpointRow
    query = (
        select(MeetingRow.id, MeetingRow.last_seq)
        .outerjoin(c, c.meeting_id == MeetingRow.id)
        .where(or_(c.seq.is_(None), c.seq < MeetingRow.last_seq))
        .order_by(MeetingRow.updated_at)
        .limit(limit)
    )
    return [(r.id, int(r.last_seq)) for r in await session.execute(query)]


async def indexed_versions(session: AsyncSession, meeting_id: str) -> set[tuple[str, int]]:
    """(paper, version) pairs whose pages are in the index already."""
    d = DOCS.c
    rows = await session.execute(
        select(d.paper_id, d.version).where(d.meeting_id == meeting_id, d.kind == "page").distinct()
    )
    return {(r.paper_id, int(r.version)) for r in rows}


@dataclass
class MeetingUnits:
    """Everything a meeting contributes to the index, as the indexer read it."""

    meeting_id: str
    seq: int
    at: str
    unit_id: str
    papers: list[dict[str, Any]]  # {"id", "title", "access", "status", "versions": [int], "grants": [(kind, ref)]}
    new_pages: list[dict[str, Any]]  # rows of pages not yet indexed (with their "folded" text, made off the loop)
    others: list[dict[str, Any]]  # agenda items, record documents, comments: rewritten on every pass


async def write_meeting(session: AsyncSession, units: MeetingUnits) -> None:
    """Bring the meeting's part of the index to `units` (idempotent), and move its checkpoint to `units.seq`."""
    d = DOCS.c
    mid = units.meeting_id
    checkpoint = await session.get(SearchCheckpointRow, mid)
    if checkpoint is not None and checkpoint.seq > units.seq:
        return  # another node indexed a later state meanwhile
    kept = {(p["id"], v) for p in units.papers for v in p["versions"]}
    await session.execute(delete(DOCS).where(d.meeting_id == mid, d.kind != "page"))
    existing = await indexed_versions(session, mid)
    for paper_id, version in existing - kept:  # removed papers, or versions no longer there
        await session.execute(delete(DOCS).where(d.paper_id == paper_id, d.version == version))
    for paper in units.papers:
        await session.execute(
            update(DOCS)
            .where(d.paper_id == paper["id"], d.kind == "page")
            .values(
                title=paper["title"], access=paper["access"], status=paper["status"], at=units.at, unit_id=units.unit_id
            )
        )
    await session.execute(delete(GRANTS).where(GRANTS.c.meeting_id == mid))
    grants = [
        {"paper_id": p["id"], "kind": kind, "ref_id": ref, "meeting_id": mid}
        for p in units.papers
        for kind, ref in sorted(set(p["grants"]))
    ]
    if grants:
        await session.execute(insert(GRANTS), grants)
    rows = [*_with_meeting(units.new_pages, units), *_with_meeting(units.others, units)]
    postgres = session.get_bind().dialect.name == "postgresql"
    for chunk in _chunks(rows, 500):
        if postgres:
            await session.execute(insert(_DOCS_WITH_PAIRS), [_with_pairs(r) for r in chunk])
        else:  # FTS5 finds phrases itself
            await session.execute(insert(DOCS), [{k: v for k, v in r.items() if k != "pairs"} for r in chunk])
    if checkpoint is None:
        session.add(SearchCheckpointRow(meeting_id=mid, seq=units.seq, indexed_at=now_iso()))
    else:
        checkpoint.seq = units.seq
        checkpoint.indexed_at = now_iso()
    await session.flush()


def _with_meeting(rows: Iterable[dict[str, Any]], units: MeetingUnits) -> list[dict[str, Any]]:
    return [
        {
            "meeting_id": units.meeting_id,
            "at": units.at,
            "unit_id": units.unit_id,
            "paper_id": None,
            "version": None,
            "page": None,
            "ref_id": None,
            "author_id": None,
            "access": "all",
            "status": "",
            **row,
            "folded": row["folded"] if "folded" in row else folded_text(row["body"]),
        }
        for row in rows
    ]


class _PairsVector(TypeDecorator[list[str]]):
    """The pairs column as written: the words pairs (a text array) made a tsvector of exactly those lexemes by
    array_to_tsvector, not by to_tsvector, whose parser would split them again."""

    impl = ARRAY(Text)
    cache_ok = True

    def bind_expression(self, bindvalue: Any) -> Any:
        return func.array_to_tsvector(bindvalue)


# search_docs as PostgreSQL's indexer writes it: the model's columns and the pairs vector (migration 0015).
_DOCS_WITH_PAIRS = table(
    "search_docs", *(column(c.name, c.type) for c in DOCS.columns), column("pairs", _PairsVector())
)


def _with_pairs(row: dict[str, Any]) -> dict[str, Any]:
    """A row with its pairs, made from its folded text unless the indexer's thread made them (pages: page_texts)."""
    return row if "pairs" in row else {**row, "pairs": word_pairs(row["folded"])}


def _chunks(rows: Sequence[dict[str, Any]], size: int) -> Iterable[Sequence[dict[str, Any]]]:
    for start in range(0, len(rows), size):
        yield rows[start : start + size]


async def counts(session: AsyncSession) -> dict[str, int]:
    """Units in the index by kind (for the status line and the tests)."""
    rows = await session.execute(select(DOCS.c.kind, func.count()).group_by(DOCS.c.kind))
    return {r[0]: int(r[1]) for r in rows}
