"""City orders pushed back: the reply's revision, so each pushed reply has its own idempotency key

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-07 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("hotline_orders") as batch:
        batch.add_column(sa.Column("reply_revision", sa.Integer(), nullable=False, server_default="0"))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("hotline_orders") as batch:
        batch.drop_column("reply_revision")
