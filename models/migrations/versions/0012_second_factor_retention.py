"""second factor and retention

Staff TOTP secrets (the optional second factor of web sign-in), and the time a ticket's personal
data was removed (the retention job, or a resident's request to erase it).

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-07 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "second_factors",
        sa.Column("person_id", _ID, nullable=False),
        sa.Column("secret", sa.String(length=64), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("confirmed_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("last_step", _ID, nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_second_factors_person_id_people")
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_second_factors")),
    )
    op.add_column("tickets", sa.Column("anonymised_at", models.base.UTCDateTime(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("anonymised_at")
    op.drop_table("second_factors")
