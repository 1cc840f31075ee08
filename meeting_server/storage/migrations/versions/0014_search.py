"""search: the index of what people may read (search_docs), the people and units a listed paper names
(search_grants), the indexer's checkpoint per meeting; the engine's own part: an FTS5 table kept by triggers on
SQLite, a generated tsvector column with a GIN index on PostgreSQL (storage/search.py)

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-07 18:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0014"
down_revision = "0013"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "search_docs",
        sa.Column("id", sa.Integer(), primary_key=True, autoincrement=True),
        sa.Column("key", sa.String(200), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("meeting_id", sa.String(48), sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("paper_id", sa.String(48), nullable=True),
        sa.Column("version", sa.Integer(), nullable=True),
        sa.Column("page", sa.Integer(), nullable=True),
        sa.Column("ref_id", sa.String(64), nullable=True),
        sa.Column("author_id", sa.String(48), nullable=True),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("body", sa.Text(), nullable=False),
        sa.Column("folded", sa.Text(), nullable=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("unit_id", sa.String(48), nullable=False, server_default=""),
        sa.Column("access", sa.String(16), nullable=False, server_default="all"),
        sa.Column("status", sa.String(16), nullable=False, server_default=""),
    )
    op.create_index("ix_search_docs_meeting_id", "search_docs", ["meeting_id"])
    op.create_index("ix_search_docs_paper_id", "search_docs", ["paper_id"])
    op.create_table(
        "search_grants",
        sa.Column("paper_id", sa.String(48), nullable=False),
        sa.Column("kind", sa.String(8), nullable=False),
        sa.Column("ref_id", sa.String(48), nullable=False),
        sa.Column("meeting_id", sa.String(48), sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False),
        sa.PrimaryKeyConstraint("paper_id", "kind", "ref_id"),
    )
    op.create_index("ix_search_grants_meeting_id", "search_grants", ["meeting_id"])
    op.create_table(
        "search_checkpoints",
        sa.Column("meeting_id", sa.String(48), sa.ForeignKey("meetings.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("indexed_at", sa.String(32), nullable=False),
    )
    if op.get_bind().dialect.name == "sqlite":
        # An external-content FTS5 table over search_docs.folded: the text is stored once, the triggers keep the
        # index in step (rows are inserted and deleted, never their text updated).
        op.execute(
            "CREATE VIRTUAL TABLE search_fts USING fts5(folded, content='search_docs', content_rowid='id', "
            "tokenize='unicode61 remove_diacritics 0')"
        )
        op.execute(
            "CREATE TRIGGER search_docs_ai AFTER INSERT ON search_docs BEGIN "
            "INSERT INTO search_fts(rowid, folded) VALUES (new.id, new.folded); END"
        )
        op.execute(
            "CREATE TRIGGER search_docs_ad AFTER DELETE ON search_docs BEGIN "
            "INSERT INTO search_fts(search_fts, rowid, folded) VALUES ('delete', old.id, old.folded); END"
        )
        op.execute(
            "CREATE TRIGGER search_docs_au AFTER UPDATE OF folded ON search_docs BEGIN "
            "INSERT INTO search_fts(search_fts, rowid, folded) VALUES ('delete', old.id, old.folded); "
            "INSERT INTO search_fts(rowid, folded) VALUES (new.id, new.folded); END"
        )
    else:
        op.execute(
            "ALTER TABLE search_docs ADD COLUMN tsv tsvector GENERATED ALWAYS AS (to_tsvector('simple', folded)) STORED"
        )
        op.execute("CREATE INDEX ix_search_docs_tsv ON search_docs USING gin (tsv)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        for trigger in ("search_docs_ai", "search_docs_ad", "search_docs_au"):
            op.execute(f"DROP TRIGGER IF EXISTS {trigger}")
        op.execute("DROP TABLE IF EXISTS search_fts")
    op.drop_table("search_checkpoints")
    op.drop_table("search_grants")
    op.drop_table("search_docs")
