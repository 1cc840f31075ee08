"""mail: an e-mail address per person, the outbox of invitation mails, the in-app notices

One outbox row per (recipient, message), written in the transaction of the event that causes it
(actions/mail.py); the sender (mail/sender.py) claims due rows, sends, and marks them sent, retried or failed.

Revision ID: 0009
Revises: 0008
Create Date: 2026-12-07 12:30:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0009"
down_revision = "0008"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("users") as batch:
        batch.add_column(sa.Column("email", sa.String(254), nullable=True))
    op.create_table(
        "mail_outbox",
        sa.Column("id", sa.String(48), primary_key=True),
        sa.Column("meeting_id", sa.String(48), sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("person_id", sa.String(48), sa.ForeignKey("users.id"), nullable=False),
        sa.Column("address", sa.String(254), nullable=False, server_default=""),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("last_error", sa.Text(), nullable=False, server_default=""),
        sa.Column("next_attempt_at", sa.String(32), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("sent_at", sa.String(32), nullable=True),
    )
    op.create_index("ix_mail_outbox_meeting_id", "mail_outbox", ["meeting_id"])
    op.create_index("ix_mail_outbox_due", "mail_outbox", ["status", "next_attempt_at"])
    op.create_table(
        "notices",
        sa.Column("id", sa.String(48), primary_key=True),
        sa.Column("user_id", sa.String(48), sa.ForeignKey("users.id", ondelete="CASCADE"), nullable=False),
        sa.Column("meeting_id", sa.String(48), sa.ForeignKey("meetings.id", ondelete="CASCADE"), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("title", sa.String(300), nullable=False),
        sa.Column("seq", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.String(32), nullable=False),
        sa.Column("read_at", sa.String(32), nullable=True),
    )
    op.create_index("ix_notices_user_id", "notices", ["user_id", "created_at"])


def downgrade() -> None:
    op.drop_index("ix_notices_user_id", "notices")
    op.drop_table("notices")
    op.drop_index("ix_mail_outbox_due", "mail_outbox")
    op.drop_index("ix_mail_outbox_meeting_id", "mail_outbox")
    op.drop_table("mail_outbox")
    with op.batch_alter_table("users") as batch:
        batch.drop_column("email")
