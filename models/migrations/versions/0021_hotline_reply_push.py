"""City orders pushed back: the reply's revision (each pushed reply its own idempotency key); cards by ticket

Revision ID: 0021
Revises: 0023
Create Date: 2026-12-07 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0023"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("hotline_orders") as batch:
        batch.add_column(sa.Column("reply_revision", ID, nullable=False, server_default="0"))
    # A new card's lookup of an earlier card of its ticket read the chat's whole history (an import
    # of 10,000 orders into four group chats was quadratic).
    op.create_index(
        "ix_outbox_card",
        "outbox",
        ["card_of", "channel", "chat_id", "id"],
        postgresql_where=sa.text("card_of IS NOT NULL"),
        sqlite_where=sa.text("card_of IS NOT NULL"),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_outbox_card", table_name="outbox")
    with op.batch_alter_table("hotline_orders") as batch:
        batch.drop_column("reply_revision")
