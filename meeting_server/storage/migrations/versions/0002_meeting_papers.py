"""meeting papers, annotations, comments, read receipts

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 16:09:03.094069
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None


def upgrade() -> None:

    op.create_table(
        "paper_uploads",
        sa.Column("id", sa.String(length=48), nullable=False),
        sa.Column("actor_id", sa.String(length=48), nullable=False),
        sa.Column("file_id", sa.String(length=64), nullable=False),
        sa.Column("info", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("paper_uploads", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_paper_uploads_actor_id"), ["actor_id"], unique=False)

    op.create_table(
        "papers",
        sa.Column("id", sa.String(length=48), nullable=False),
        sa.Column("meeting_id", sa.String(length=48), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("papers", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_papers_meeting_id"), ["meeting_id"], unique=False)

    op.create_table(
        "annotations",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("meeting_id", sa.String(length=48), nullable=False),
        sa.Column("paper_id", sa.String(length=48), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("page", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("owner_id", sa.String(length=48), nullable=False),
        sa.Column("layer", sa.String(length=16), nullable=False),
        sa.Column("data", sa.JSON(), nullable=False),
        sa.Column("updated_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["paper_id"], ["papers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("annotations", schema=None) as batch_op:
        batch_op.create_index("ix_annotations_paper_layer", ["paper_id", "layer"], unique=False)
        batch_op.create_index("ix_annotations_paper_owner", ["paper_id", "owner_id"], unique=False)

    op.create_table(
        "paper_comments",
        sa.Column("id", sa.String(length=64), nullable=False),
        sa.Column("meeting_id", sa.String(length=48), nullable=False),
        sa.Column("paper_id", sa.String(length=48), nullable=False),
        sa.Column("author_id", sa.String(length=48), nullable=False),
        sa.Column("state", sa.JSON(), nullable=False),
        sa.Column("created_at", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(["meeting_id"], ["meetings.id"], ondelete="CASCADE"),
        sa.ForeignKeyConstraint(["paper_id"], ["papers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("id"),
    )
    with op.batch_alter_table("paper_comments", schema=None) as batch_op:
        batch_op.create_index(batch_op.f("ix_paper_comments_meeting_id"), ["meeting_id"], unique=False)
        batch_op.create_index(batch_op.f("ix_paper_comments_paper_id"), ["paper_id"], unique=False)

    op.create_table(
        "paper_reads",
        sa.Column("paper_id", sa.String(length=48), nullable=False),
        sa.Column("user_id", sa.String(length=48), nullable=False),
        sa.Column("first_at", sa.String(length=32), nullable=False),
        sa.Column("last_at", sa.String(length=32), nullable=False),
        sa.Column("opens", sa.Integer(), nullable=False),
        sa.Column("last_version", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(["paper_id"], ["papers.id"], ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("paper_id", "user_id"),
    )


def downgrade() -> None:

    op.drop_table("paper_reads")
    with op.batch_alter_table("paper_comments", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_paper_comments_paper_id"))
        batch_op.drop_index(batch_op.f("ix_paper_comments_meeting_id"))

    op.drop_table("paper_comments")
    with op.batch_alter_table("annotations", schema=None) as batch_op:
        batch_op.drop_index("ix_annotations_paper_owner")
        batch_op.drop_index("ix_annotations_paper_layer")

    op.drop_table("annotations")
    with op.batch_alter_table("papers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_papers_meeting_id"))

    op.drop_table("papers")
    with op.batch_alter_table("paper_uploads", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_paper_uploads_actor_id"))

    op.drop_table("paper_uploads")
