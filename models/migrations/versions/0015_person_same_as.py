"""one person behind several channel identities (Telegram, WeChat, 企业微信)

A staff member listed with several ids in the staff file is one person: the other identities
point at the one that holds their roles, points and tasks. A plain id column, like the
tickets' resolved_by_id: no foreign key, so SQLite needs no table rebuild.

Revision ID: 0015
Revises: 0010
Create Date: 2026-12-07 14:50:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0015"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Apply this revision."""
    op.add_column("people", sa.Column("same_as_id", _ID, nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("people") as batch:
        batch.drop_column("same_as_id")
