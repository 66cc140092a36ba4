"""office speed, media_url, documents

Indexes for the web office's tickets list and Open311 (filters by area, status, category and
date, each ending in id so a page in number order needs no sort); the photo address an Open311
client sends (`media_url`); a file the outbox delivers (`/report_week`'s workbook); and the page a
single-use sign-in link opens after signing in (the workbook link sent to WeChat).

Revision ID: 0008
Revises: 0007
Create Date: 2026-11-30 17:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

INDEXES = {
    "ix_tickets_area_status": ["area_id", "status", "category_code", "tier", "id"],
    "ix_tickets_status_created": ["status", "created_at", "id"],
    "ix_tickets_category_status": ["category_code", "status", "id"],
    "ix_tickets_created": ["created_at", "id"],
    "ix_tickets_status_due": ["status", "due_at", "overdue_since", "id"],
}


def upgrade() -> None:
    """Apply this revision."""
    for name, columns in INDEXES.items():
        op.create_index(name, "tickets", columns)
    op.add_column("tickets", sa.Column("media_url", sa.String(length=500), nullable=True))
    op.add_column("outbox", sa.Column("document", sa.String(length=500), nullable=True))
    op.add_column("web_sign_in_links", sa.Column("next_path", sa.String(length=200), nullable=True))
    # Notices once queued to Open311 clients' tickets: no channel ever sends "open311" (they are
    # no longer queued at all); close them so they do not wait for ever.
    op.execute(
        "UPDATE outbox SET status = 'failed', error = 'no chat channel (Open311 client)' "
        "WHERE channel = 'open311' AND status IN ('pending', 'sending')"
    )


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("web_sign_in_links") as batch_op:
        batch_op.drop_column("next_path")
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_column("document")
    with op.batch_alter_table("tickets") as batch_op:
        batch_op.drop_column("media_url")
    for name in reversed(INDEXES):
        op.drop_index(name, table_name="tickets")
