"""units after the 2025 reform: division type and official code

Units gain their division type in Vietnamese (tỉnh, thành phố, xã, phường, đặc khu; huyện, thị trấn... for data
from before the reform) and the official code of the administrative unit (mã đơn vị hành chính), unique where
present. Existing rows keep their kind and parent; their division type is read from the start of their name
("Xã Hợp Thành" is a xã, "Thị trấn Sơn Dương" a thị trấn), or the kind's usual type when the name says nothing.

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-07 02:40:00
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

# (kind, name prefix, division type), most specific first; the kind's default comes last.
_FROM_NAME = (
    ("province", "Thành phố ", "thành phố"),
    ("province", "Tỉnh ", "tỉnh"),
    ("province", "", "tỉnh"),
    ("district", "Thành phố ", "thành phố"),
    ("district", "Thị xã ", "thị xã"),
    ("district", "Quận ", "quận"),
    ("district", "", "huyện"),
    ("commune", "Thị trấn ", "thị trấn"),
    ("commune", "Phường ", "phường"),
    ("commune", "Đặc khu ", "đặc khu"),
    ("commune", "", "xã"),
)


def upgrade() -> None:
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.add_column(sa.Column("division_type", sa.String(length=16), server_default="", nullable=False))
        batch_op.add_column(sa.Column("official_code", sa.String(length=8), nullable=True))
        batch_op.create_unique_constraint("uq_units_official_code", ["official_code"])
    units = sa.table("units", sa.column("kind", sa.String), sa.column("name", sa.String), sa.column("division_type"))
    for kind, prefix, division_type in _FROM_NAME:
        condition = (units.c.kind == kind) & (units.c.division_type == "")
        if prefix:
            condition &= sa.func.substr(units.c.name, 1, len(prefix)) == prefix
        op.execute(units.update().where(condition).values(division_type=division_type))


def downgrade() -> None:
    with op.batch_alter_table("units", schema=None) as batch_op:
        batch_op.drop_constraint("uq_units_official_code", type_="unique")
        batch_op.drop_column("official_code")
        batch_op.drop_column("division_type")
