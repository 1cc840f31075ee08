"""signature images: a person's signature image and a unit's seal image, re-encoded PNG (docs/signing.md "Images")

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-07 18:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0013"
down_revision = "0012"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "signature_images",
        sa.Column("id", sa.String(48), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("user_id", sa.String(48), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=True),
        sa.Column("unit_id", sa.String(48), sa.ForeignKey("units.id", ondelete="CASCADE"), nullable=True),
        sa.Column("png", sa.LargeBinary(), nullable=False),
        sa.Column("width", sa.Integer(), nullable=False),
        sa.Column("height", sa.Integer(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("updated_by", sa.String(48), nullable=False),
        sa.Column("updated_at", sa.String(32), nullable=False),
        sa.UniqueConstraint("user_id", name="uq_signature_images_user_id"),
        sa.UniqueConstraint("unit_id", name="uq_signature_images_unit_id"),
    )


def downgrade() -> None:
    op.drop_table("signature_images")
