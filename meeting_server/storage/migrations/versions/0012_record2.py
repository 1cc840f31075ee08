"""record2: the register line keeps the issuer's symbol (its number as text once, "01/BB-UBND"), and a record
document keeps its own "Nơi nhận" list (NULL: the defaults from the meeting)

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 16:10:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0012"
down_revision = "0011"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("register_entries") as batch:
        batch.add_column(sa.Column("symbol", sa.String(32), nullable=False, server_default=""))
    with op.batch_alter_table("record_documents") as batch:
        batch.add_column(sa.Column("recipients", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("record_documents") as batch:
        batch.drop_column("recipients")
    with op.batch_alter_table("register_entries") as batch:
        batch.drop_column("symbol")
