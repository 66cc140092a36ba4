"""indexes for the statistics page: one covering the grouped counts, one for phone 回访 events

The statistics (三率, on-time rate per tier, slowest grids) group the tickets by status, period and
area; ix_tickets_stats holds every column they read, so they scan an index rather than the rows.
ix_ticket_events_phone_followup lists the tickets whose 回访 an admin took on the phone.

Revision ID: 0026
Revises: 0028
Create Date: 2026-12-07 23:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0026"
down_revision: str | None = "0028"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

STATS_COLUMNS = [
    "status",
    "created_at",
    "area_id",
    "category_code",
    "tier",
    "claimed_at",
    "resolved_at",
    "overdue_count",
    "rating",
]
PHONE = sa.text("kind = 'phone_followup'")


def upgrade() -> None:
    """Apply this revision."""
    op.create_index("ix_tickets_stats", "tickets", STATS_COLUMNS)
    op.create_index(
        "ix_ticket_events_phone_followup",
        "ticket_events",
        ["ticket_id"],
        postgresql_where=PHONE,
        sqlite_where=PHONE,
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_ticket_events_phone_followup", table_name="ticket_events")
    op.drop_index("ix_tickets_stats", table_name="tickets")
