"""delivery lanes and shared limits

Outbox rows get the process holding their lease (`owner`, so "sent"/"retry"/"failed" apply only
to a row its process still holds) and a priority (0: a direct reply, 1: a bulk notice). Two
partial indexes over open rows (pending, sending) keep lane heads and the claim order cheap.
`delivery_limits` holds each sending limit's recent sends and 429 pauses, shared by every process.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-30 14:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = "status IN ('pending', 'sending')"
_BIGINT = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "delivery_limits",
        sa.Column("scope", sa.String(length=160), nullable=False),
        sa.Column("sends", sa.Text(), nullable=False),
        sa.Column("paused_until", sa.Double(), nullable=False),
        sa.Column("touched", sa.Double(), nullable=False),
        sa.PrimaryKeyConstraint("scope", name=op.f("pk_delivery_limits")),
    )
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.add_column(sa.Column("owner", sa.String(length=80), nullable=True))
        batch_op.add_column(sa.Column("priority", _BIGINT, server_default="0", nullable=False))
    where = sa.text(_OPEN)
    op.create_index(
        "ix_outbox_open_lane",
        "outbox",
        ["channel", "chat_id", "id"],
        postgresql_where=where,
        sqlite_where=where,
    )
    op.create_index(
        "ix_outbox_open_order", "outbox", ["priority", "id"], postgresql_where=where, sqlite_where=where
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_outbox_open_order", table_name="outbox")
    op.drop_index("ix_outbox_open_lane", table_name="outbox")
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_column("priority")
        batch_op.drop_column("owner")
    op.drop_table("delivery_limits")
