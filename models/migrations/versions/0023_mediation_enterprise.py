"""滴滴调解 and enterprise reporters: category routes, mediation outcomes, companies behind reports

Revision ID: 0023
Revises: 0025
Create Date: 2026-12-07 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0023"
down_revision: str | None = "0025"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Apply this revision."""
    op.add_column("categories", sa.Column("route", sa.String(length=20), nullable=True))
    op.create_table(
        "mediations",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("ticket_id", ID, nullable=False),
        sa.Column("mediator_id", ID, nullable=False),
        sa.Column("team_id", ID, nullable=False),
        sa.Column("outcome", sa.String(length=20), nullable=False),
        sa.Column("transferred_to", sa.String(length=100), nullable=True),
        sa.Column("agreement", sa.Text(), nullable=False),
        sa.Column("amount_fen", ID, nullable=True),
        sa.Column("recorded_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("source", sa.String(length=20), nullable=False),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_mediations_ticket_id_tickets")),
        sa.ForeignKeyConstraint(
            ["mediator_id"], ["people.id"], name=op.f("fk_mediations_mediator_id_people")
        ),
        sa.ForeignKeyConstraint(["team_id"], ["areas.id"], name=op.f("fk_mediations_team_id_areas")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_mediations")),
    )
    op.create_index("ix_mediations_ticket_id", "mediations", ["ticket_id"])
    op.create_index("ix_mediations_recorded", "mediations", ["recorded_at", "id"])
    op.create_table(
        "reporter_enterprises",
        sa.Column("person_id", ID, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=True),
        sa.Column("updated_at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_reporter_enterprises_person_id_people")
        ),
        sa.PrimaryKeyConstraint("person_id", name=op.f("pk_reporter_enterprises")),
    )
    op.create_table(
        "ticket_enterprises",
        sa.Column("ticket_id", ID, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("credit_code", sa.String(length=18), nullable=True),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_ticket_enterprises_ticket_id_tickets")
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_ticket_enterprises")),
    )


def downgrade() -> None:
    """Revert this revision."""
    op.drop_table("ticket_enterprises")
    op.drop_table("reporter_enterprises")
    op.drop_index("ix_mediations_recorded", table_name="mediations")
    op.drop_index("ix_mediations_ticket_id", table_name="mediations")
    op.drop_table("mediations")
    with op.batch_alter_table("categories") as batch:
        batch.drop_column("route")
