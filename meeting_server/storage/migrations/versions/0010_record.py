"""record: the biên bản and thông báo kết luận of a meeting, their texts and comments, and the official register

A document's frozen content (the MinutesContent of its approval) is JSON so its PDF can always be made again; the
register's counter row per (unit, kind, year, confidential) is taken with an UPSERT … RETURNING in the approving
transaction, so numbers are gap-free and never reused on SQLite and PostgreSQL alike.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07 15:20:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0010"
down_revision = "0009"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "record_documents",
        sa.Column("id", sa.String(48), primary_key=True),
        sa.Column("meeting_id", sa.String(48), sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer(), nullable=False),
        sa.Column("replaces_id", sa.String(48), sa.ForeignKey("record_documents.id"), nullable=True),
        sa.Column("replaced_by_id", sa.String(48), nullable=True),
        sa.Column("correction_reason", sa.Text(), nullable=False, server_default=""),
        sa.Column("confidential", sa.Boolean(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("unit_id", sa.String(48), nullable=False, server_default=""),
        sa.Column("number", sa.Integer(), nullable=True),
        sa.Column("year", sa.Integer(), nullable=True),
        sa.Column("issued_on", sa.String(10), nullable=True),
        sa.Column("slots", sa.JSON(), nullable=False),
        sa.Column("signer", sa.JSON(), nullable=False),
        sa.Column("content", sa.JSON(), nullable=True),
        sa.Column("pdf", sa.LargeBinary(), nullable=True),
        sa.Column("boxes", sa.JSON(), nullable=True),
        sa.Column("return_comment", sa.Text(), nullable=False, server_default=""),
        sa.Column("created_by", sa.String(48), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
    )
    op.create_index("ix_record_documents_meeting_id", "record_documents", ["meeting_id"])
    op.create_table(
        "record_texts",
        sa.Column("document_id", sa.String(48), sa.ForeignKey("record_documents.id", ondelete="CASCADE")),
        sa.Column("part", sa.String(48), nullable=False),
        sa.Column("field", sa.String(16), nullable=False),
        sa.Column("html", sa.Text(), nullable=False),
        sa.Column("revision", sa.Integer(), nullable=False),
        sa.Column("saved_by", sa.String(48), nullable=False),
        sa.Column("saved_by_name", sa.String(200), nullable=False),
        sa.Column("saved_at", sa.String(32), nullable=False),
        sa.PrimaryKeyConstraint("document_id", "part", "field"),
    )
    op.create_table(
        "record_comments",
        sa.Column("id", sa.String(48), primary_key=True),
        sa.Column(
            "document_id", sa.String(48), sa.ForeignKey("record_documents.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("part", sa.String(48), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("author_id", sa.String(48), nullable=False),
        sa.Column("author_name", sa.String(200), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
    )
    op.create_index("ix_record_comments_document_id", "record_comments", ["document_id"])
    op.create_table(
        "register_counters",
        sa.Column("unit_id", sa.String(48), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("confidential", sa.Boolean(), nullable=False),
        sa.Column("last_number", sa.Integer(), nullable=False),
        sa.PrimaryKeyConstraint("unit_id", "kind", "year", "confidential"),
    )
    op.create_table(
        "register_entries",
        sa.Column("id", sa.String(48), primary_key=True),
        sa.Column("unit_id", sa.String(48), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("year", sa.Integer(), nullable=False),
        sa.Column("confidential", sa.Boolean(), nullable=False),
        sa.Column("number", sa.Integer(), nullable=False),
        sa.Column("issued_on", sa.String(10), nullable=False),
        sa.Column("summary", sa.String(500), nullable=False),
        sa.Column("signer", sa.String(300), nullable=False, server_default=""),
        sa.Column("meeting_id", sa.String(48), sa.ForeignKey("meetings.id", ondelete="SET NULL"), nullable=True),
        sa.Column("document_id", sa.String(48), sa.ForeignKey("record_documents.id"), nullable=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.UniqueConstraint("unit_id", "kind", "year", "confidential", "number", name="uq_register_number"),
    )
    op.create_index("ix_register_entries_meeting_id", "register_entries", ["meeting_id", "kind"])


def downgrade() -> None:
    op.drop_index("ix_register_entries_meeting_id", "register_entries")
    op.drop_table("register_entries")
    op.drop_table("register_counters")
    op.drop_index("ix_record_comments_document_id", "record_comments")
    op.drop_table("record_comments")
    op.drop_table("record_texts")
    op.drop_index("ix_record_documents_meeting_id", "record_documents")
    op.drop_table("record_documents")
