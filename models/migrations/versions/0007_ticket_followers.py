"""ticket followers

Residents who report a problem already filed nearby follow the existing ticket instead of
filing a second one: they get its notices and their own 双是 question.

Revision ID: 0007
Revises: 0005
Create Date: 2026-11-30 14:10:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0007"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "ticket_followers",
        sa.Column("ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("person_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("followup_stage", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("followup_asked_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("resolved_answer", sa.Boolean(), nullable=True),
        sa.Column("satisfied", sa.Boolean(), nullable=True),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_ticket_followers_person_id_people")
        ),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_followers_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("ticket_id", "person_id", name=op.f("pk_ticket_followers")),
    )
    op.create_index(op.f("ix_ticket_followers_person_id"), "ticket_followers", ["person_id"], unique=False)


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index(op.f("ix_ticket_followers_person_id"), table_name="ticket_followers")
    op.drop_table("ticket_followers")
