"""who resolved a ticket, whom an admin credited; a ticket's pending notices by ticket

An admin may resolve (办结) a ticket a worker holds; its closing points then go to nobody, or to
the worker the admin names. Plain id columns, like the outbox's ticket_id:
no foreign key, so SQLite needs no table rebuild. A partial index finds the notices of a ticket
still pending, which a status change drops when they were held for later.

Revision ID: 0009
Revises: 0008
Create Date: 2026-11-30 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Apply this revision."""
    op.add_column("tickets", sa.Column("resolved_by_id", _ID, nullable=True))
    op.add_column("tickets", sa.Column("credit_id", _ID, nullable=True))
    pending = sa.text("status = 'pending'")
    op.create_index(
        "ix_outbox_pending_ticket",
        "outbox",
        ["ticket_id", "status"],
        postgresql_where=pending,
        sqlite_where=pending,
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_outbox_pending_ticket", table_name="outbox")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("credit_id")
        batch.drop_column("resolved_by_id")
