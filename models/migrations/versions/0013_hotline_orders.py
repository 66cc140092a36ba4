"""the city hotline's work orders

A city order (12345 接诉即办) is a ticket with a row in hotline_orders: the city's number,
dispatch time and deadline, its 退单 / 延期 requests, the formal reply and the city's 回访.
tickets.city_due_at caps the resolution deadline at the city's 办结时限; tickets.paused_at,
pause_until and paused_seconds record 挂起 (the clock stopped while waiting for the resident or a
third party).

Revision ID: 0013
Revises: 0014
Create Date: 2026-12-07 14:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0013"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Apply this revision."""
    op.add_column("tickets", sa.Column("city_due_at", models.base.UTCDateTime(), nullable=True))
    op.add_column("tickets", sa.Column("paused_at", models.base.UTCDateTime(), nullable=True))
    op.add_column("tickets", sa.Column("pause_until", models.base.UTCDateTime(), nullable=True))
    op.add_column("tickets", sa.Column("paused_seconds", _ID, server_default="0", nullable=False))
    op.add_column(
        "tickets", sa.Column("location_approx", sa.Boolean(), server_default=sa.text("false"), nullable=False)
    )
    op.create_table(
        "hotline_orders",
        sa.Column("id", _ID, nullable=False),
        sa.Column("ticket_id", _ID, nullable=False),
        sa.Column("number", sa.String(length=60), nullable=False),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("dispatched_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("deadline", models.base.UTCDateTime(), nullable=False),
        sa.Column("category", sa.String(length=80), nullable=False),
        sa.Column("urgency", sa.String(length=20), nullable=True),
        sa.Column("routed", sa.String(length=20), nullable=False),
        sa.Column("imported_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("return_state", sa.String(length=20), nullable=True),
        sa.Column("return_reason", sa.Text(), nullable=True),
        sa.Column("return_by_id", _ID, nullable=True),
        sa.Column("extend_state", sa.String(length=20), nullable=True),
        sa.Column("extend_reason", sa.Text(), nullable=True),
        sa.Column("extend_to", models.base.UTCDateTime(), nullable=True),
        sa.Column("extend_by_id", _ID, nullable=True),
        sa.Column("reply", sa.Text(), nullable=True),
        sa.Column("replied_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("visit_responded", sa.Boolean(), nullable=True),
        sa.Column("visit_resolved", sa.Boolean(), nullable=True),
        sa.Column("visit_satisfied", sa.Boolean(), nullable=True),
        sa.Column("visit_at", models.base.UTCDateTime(), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_hotline_orders_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_hotline_orders")),
        sa.UniqueConstraint("number", name=op.f("uq_hotline_orders_number")),
        sa.UniqueConstraint("ticket_id", name=op.f("uq_hotline_orders_ticket_id")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("hotline_orders")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("location_approx")
        batch.drop_column("paused_seconds")
        batch.drop_column("pause_until")
        batch.drop_column("paused_at")
        batch.drop_column("city_due_at")
