"""a ticket's events by ticket and time

Open311 answers each request's updated_datetime, the time of its latest event: for a list of 1000
requests one grouped max over (ticket_id, at) that reads this index alone, not the events table.
It replaces the index on ticket_id only (its first column serves every lookup by ticket).

Revision ID: 0010
Revises: 0009
Create Date: 2026-11-30 18:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    op.create_index("ix_ticket_events_ticket_at", "ticket_events", ["ticket_id", "at"])
    op.drop_index("ix_ticket_events_ticket_id", table_name="ticket_events")


def downgrade() -> None:
    """Revert this revision."""
    op.create_index("ix_ticket_events_ticket_id", "ticket_events", ["ticket_id"])
    op.drop_index("ix_ticket_events_ticket_at", table_name="ticket_events")
