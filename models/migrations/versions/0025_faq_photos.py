"""The office's FAQ (咨询答复库) and a report's further photos

Revision ID: 0025
Revises: 0024
Create Date: 2026-12-08 00:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0025"
down_revision: str | None = "0024"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "faq_entries",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("position", ID, nullable=False),
        sa.Column("questions", sa.Text(), nullable=False),
        sa.Column("answer", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_faq_entries")),
    )
    op.create_table(
        "ticket_photos",
        sa.Column("ticket_id", ID, nullable=False),
        sa.Column("position", ID, nullable=False),
        sa.Column("ref", sa.String(length=500), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_photos_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("ticket_id", "position", name=op.f("pk_ticket_photos")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("ticket_photos")
    op.drop_table("faq_entries")
