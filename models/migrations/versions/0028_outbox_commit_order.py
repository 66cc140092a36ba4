"""Outbox lanes in commit order: a sequence stamped at commit, and the lane index over it

Revision ID: 0028
Revises: 0022
Create Date: 2026-12-07 23:45:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0028"
down_revision: str | None = "0022"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_OPEN = sa.text("status IN ('pending', 'sending')")


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("outbox") as batch:
        batch.add_column(sa.Column("seq", sa.BigInteger(), nullable=True))
    op.drop_index("ix_outbox_open_lane", table_name="outbox")
    op.create_index(
        "ix_outbox_open_lane",
        "outbox",
        ["channel", "chat_id", "seq", "id"],
        postgresql_where=_OPEN,
        sqlite_where=_OPEN,
    )
    if op.get_bind().dialect.name == "postgresql":
        # Open rows keep their place (seq = id); new rows are stamped above every id, under their
        # chats' locks, when their transaction commits (models/outbox.py stamp_commit_order).
        op.execute("CREATE SEQUENCE outbox_seq")
        op.execute("SELECT setval('outbox_seq', (SELECT coalesce(max(id), 0) + 1 FROM outbox), false)")
        op.execute("UPDATE outbox SET seq = id WHERE status IN ('pending', 'sending')")


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_outbox_open_lane", table_name="outbox")
    op.create_index(
        "ix_outbox_open_lane",
        "outbox",
        ["channel", "chat_id", "id"],
        postgresql_where=_OPEN,
        sqlite_where=_OPEN,
    )
    with op.batch_alter_table("outbox") as batch:
        batch.drop_column("seq")
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP SEQUENCE IF EXISTS outbox_seq")
