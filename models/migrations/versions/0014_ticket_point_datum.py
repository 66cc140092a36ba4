"""the datum of each ticket's stored point; the office's search index


A ticket's point is stored as the channel sent it: WGS-84 from Telegram and Open311, GCJ-02 from
WeChat. The column says which, so the map converts each point to the datum of the territory's
shapes and tiles. Existing points get the datum of the channel of the person who filed them.

ticket_words is the office search's inverted index (models.search): each pair of adjacent
characters of a ticket's text and each ending of its phone number, keyed (word, ticket, private).
It is built here for the tickets there are.

Revision ID: 0014
Revises: 0012
Create Date: 2026-12-07 14:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op
from sqlalchemy.orm import Session

from models.search import reindex

revision: str = "0014"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    """Apply this revision."""
    with op.batch_alter_table("tickets") as batch:
        batch.add_column(sa.Column("datum", sa.String(length=10), nullable=True))
    op.execute(
        "UPDATE tickets SET datum = CASE WHEN"
        " (SELECT channel FROM people WHERE people.id = tickets.resident_id) = 'wechat'"
        " THEN 'gcj02' ELSE 'wgs84' END WHERE lat IS NOT NULL"
    )
    op.create_table(
        "ticket_words",
        sa.Column("word", sa.String(length=24), nullable=False),
        sa.Column("ticket_id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False),
        sa.Column("private", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_words_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("word", "ticket_id", "private", name=op.f("pk_ticket_words")),
    )
    reindex(Session(bind=op.get_bind()))


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("ticket_words")
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("datum")
