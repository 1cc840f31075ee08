"""the meetings' check-in keys (mã điểm danh): one secret per meeting, a key for each meeting already there

Revision ID: 0008
Revises: 0006
Create Date: 2026-12-07 12:30:00
"""

from __future__ import annotations

import secrets
from datetime import UTC, datetime

import sqlalchemy as sa
from alembic import op

revision = "0008"
down_revision = "0006"
branch_labels = None
depends_on = None


def upgrade() -> None:
    keys = op.create_table(
        "checkin_keys",
        sa.Column("meeting_id", sa.String(length=48), nullable=False),
        sa.Column("key", sa.String(length=64), nullable=False),
        sa.Column("issued_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("meeting_id"),
    )
    meetings = op.get_bind().execute(sa.text("SELECT id FROM meetings")).scalars().all()
    now = datetime.now(UTC).isoformat(timespec="seconds")
    rows = [{"meeting_id": m, "key": secrets.token_urlsafe(32), "issued_at": now} for m in meetings]
    if rows:
        op.bulk_insert(keys, rows)


def downgrade() -> None:
    op.drop_table("checkin_keys")
