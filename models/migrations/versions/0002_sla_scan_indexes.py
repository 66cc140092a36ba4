"""sla scan indexes

Ticket.overdue_since (the first missed deadline, kept while the ticket climbs the ladder), and
partial indexes on the two deadline columns the SLA scans walk (`next_check_at` and
`next_push_at`, then id): only tickets with something still to happen are in them, so a scan costs
the number of due rows, not the number of tickets ever filed.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 04:10:56.339866
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _create_partial(name: str, column: str) -> None:
    where = sa.text(f"{column} IS NOT NULL")
    op.create_index(name, "tickets", [column, "id"], postgresql_where=where, sqlite_where=where)


def upgrade() -> None:
    """Apply this revision."""
    op.add_column("tickets", sa.Column("overdue_since", models.base.UTCDateTime(), nullable=True))
    op.drop_index("ix_tickets_next_check", table_name="tickets")
    _create_partial("ix_tickets_next_check", "next_check_at")
    _create_partial("ix_tickets_next_push", "next_push_at")


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_tickets_next_push", table_name="tickets")
    op.drop_index("ix_tickets_next_check", table_name="tickets")
    op.create_index("ix_tickets_next_check", "tickets", ["next_check_at"])
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.drop_column("overdue_since")
