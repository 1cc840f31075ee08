"""search pairs: on PostgreSQL a second tsvector of each unit's adjacent folded word pairs ("thang·quan") with its
own GIN index, so a phrase is found by its pairs instead of rechecking the word positions of every row holding its
words (storage/search.py, docs/search.md "Speed"). The rows already indexed get their pairs here, made in Python
from their folded text by the indexer's own function. SQLite: nothing (FTS5 finds phrases itself).

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-08 00:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op
from sqlalchemy.dialects.postgresql import ARRAY

from meeting_server.storage.search import word_pairs

revision = "0015"
down_revision = "0014"
branch_labels = None
depends_on = None

BATCH = 1000


def upgrade() -> None:
    bind = op.get_bind()
    if bind.dialect.name == "sqlite":
        return
    # NOT NULL, its default only for the rows already there (filled below, then dropped): a writer that forgot the
    # pairs fails rather than leaving a unit no phrase finds.
    op.execute("ALTER TABLE search_docs ADD COLUMN pairs tsvector NOT NULL DEFAULT ''::tsvector")
    fill = sa.text("UPDATE search_docs SET pairs = array_to_tsvector(:pairs) WHERE id = :id").bindparams(
        sa.bindparam("pairs", type_=ARRAY(sa.Text()))
    )
    last = 0
    while True:
        rows = bind.execute(
            sa.text("SELECT id, folded FROM search_docs WHERE id > :last ORDER BY id LIMIT :n"),
            {"last": last, "n": BATCH},
        ).all()
        if not rows:
            break
        bind.execute(fill, [{"id": r.id, "pairs": word_pairs(r.folded)} for r in rows])
        last = rows[-1].id
    op.execute("ALTER TABLE search_docs ALTER COLUMN pairs DROP DEFAULT")
    op.execute("CREATE INDEX ix_search_docs_pairs ON search_docs USING gin (pairs)")


def downgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        return
    op.execute("DROP INDEX IF EXISTS ix_search_docs_pairs")
    op.execute("ALTER TABLE search_docs DROP COLUMN IF EXISTS pairs")
