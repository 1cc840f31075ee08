"""signing: one-time signature requests for a record document's slot (the `meeting-sign` agent's link)

A request binds a slot of a document to the person who signs it and to the PDF as it was when the link was made
(its SHA-256); the link's token is kept only as its SHA-256. `state` holds what pyHanko's interrupted signing
needs between `prepare` and `finish`; `used_at` makes the link single-use.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-07 16:00:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0011"
down_revision = "0010"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signing_requests",
        sa.Column("id", sa.String(48), primary_key=True),
        sa.Column(
            "document_id", sa.String(48), sa.ForeignKey("record_documents.id", ondelete="CASCADE"), nullable=False
        ),
        sa.Column("meeting_id", sa.String(48), nullable=False),
        sa.Column("slot", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(48), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("pdf_sha256", sa.String(64), nullable=False),
        sa.Column("state", sa.LargeBinary(), nullable=True),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("expires_at", sa.String(32), nullable=False),
        sa.Column("used_at", sa.String(32), nullable=True),
    )
    op.create_index("ix_signing_requests_document_id", "signing_requests", ["document_id"])


def downgrade() -> None:
    op.drop_index("ix_signing_requests_document_id", table_name="signing_requests")
    op.drop_table("signing_requests")
