"""territory and catalogue files

Areas get the territory file's geometry (datum on the subdistrict, a GeoJSON boundary, the 小区 /
street / building names of a grid), the categories a department owns, and a retired flag;
categories get keywords, the urgent flag and a retired flag. Staff invitations (people known by
phone or channel id before they first write) get their own table. Existing rows keep working:
every new column is nullable or defaults to false.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-30 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_FALSE = sa.text("false")
_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("areas") as batch:
        batch.add_column(sa.Column("datum", sa.String(length=10), nullable=True))
        batch.add_column(sa.Column("boundary", sa.JSON(none_as_null=True), nullable=True))
        batch.add_column(sa.Column("names", sa.JSON(none_as_null=True), nullable=True))
        batch.add_column(sa.Column("owns", sa.JSON(none_as_null=True), nullable=True))
        batch.add_column(sa.Column("retired", sa.Boolean(), server_default=_FALSE, nullable=False))
    with op.batch_alter_table("categories") as batch:
        batch.add_column(sa.Column("keywords", sa.JSON(none_as_null=True), nullable=True))
        batch.add_column(sa.Column("urgent", sa.Boolean(), server_default=_FALSE, nullable=False))
        batch.add_column(sa.Column("retired", sa.Boolean(), server_default=_FALSE, nullable=False))
    op.create_table(
        "staff_invites",
        sa.Column("id", _ID, nullable=False),
        sa.Column("channel", sa.String(length=20), nullable=False),
        sa.Column("key", sa.String(length=100), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("role", sa.String(length=20), nullable=False),
        sa.Column("area_id", _ID, nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_staff_invites_area_id_areas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_staff_invites")),
        sa.UniqueConstraint("channel", "key", "role", "area_id", name=op.f("uq_staff_invites_channel")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("staff_invites")
    with op.batch_alter_table("categories") as batch:
        for column in ("retired", "urgent", "keywords"):
            batch.drop_column(column)
    with op.batch_alter_table("areas") as batch:
        for column in ("retired", "owns", "names", "boundary", "datum"):
            batch.drop_column(column)
