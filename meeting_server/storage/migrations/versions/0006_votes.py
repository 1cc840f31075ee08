"""votes and proxies: a vote and its tally, a secret vote's counts per choice, the authorisations

A secret vote keeps no row per ballot: `vote_counts` holds one row per (vote, choice), updated in place in the
transaction that marks the voter in the vote's `voted` set (docs/votes.md, the threat model).

Revision ID: 0006
Revises: 0004
Create Date: 2026-12-07 10:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0004"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "votes",
        sa.Column("id", sa.String(48), primary_key=True),
        sa.Column("meeting_id", sa.String(48), sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("closes_at", sa.String(32), nullable=True),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("tally", sa.JSON(), nullable=False),
        sa.Column("result", sa.JSON(), nullable=True),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_index("ix_votes_meeting_id", "votes", ["meeting_id"])
    op.create_index("ix_votes_status", "votes", ["status"])
    op.create_index("ix_votes_closes_at", "votes", ["closes_at"])
    op.create_table(
        "vote_counts",
        sa.Column("vote_id", sa.String(48), sa.ForeignKey("votes.id", ondelete="CASCADE"), primary_key=True),
        sa.Column("choice", sa.String(64), primary_key=True),
        sa.Column("n", sa.Integer(), nullable=False),
    )
    op.create_table(
        "vote_proxies",
        sa.Column("id", sa.String(48), primary_key=True),
        sa.Column("meeting_id", sa.String(48), sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("vote_id", sa.String(48), nullable=True),
        sa.Column("delegator", sa.String(48), nullable=False),
        sa.Column("proxy", sa.String(48), nullable=False),
        sa.Column("given_at", sa.String(32), nullable=False),
        sa.Column("recorded_by", sa.String(48), nullable=False),
        sa.Column("withdrawn_at", sa.String(32), nullable=True),
    )
    op.create_index("ix_vote_proxies_meeting_id", "vote_proxies", ["meeting_id"])


def downgrade() -> None:
    op.drop_index("ix_vote_proxies_meeting_id", "vote_proxies")
    op.drop_table("vote_proxies")
    op.drop_table("vote_counts")
    op.drop_index("ix_votes_closes_at", "votes")
    op.drop_index("ix_votes_status", "votes")
    op.drop_index("ix_votes_meeting_id", "votes")
    op.drop_table("votes")
