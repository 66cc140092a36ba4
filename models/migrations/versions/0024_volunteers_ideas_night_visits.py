"""Volunteers and party members, categories open to them, 金点子 stages, 夜访日记 with their tickets

Revision ID: 0024
Revises: 0020
Create Date: 2026-12-07 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0024"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Apply this revision."""
    false = sa.text("false")
    op.add_column(
        "categories", sa.Column("open_to_volunteers", sa.Boolean(), nullable=False, server_default=false)
    )
    op.add_column(
        "role_grants", sa.Column("party_member", sa.Boolean(), nullable=False, server_default=false)
    )
    op.add_column(
        "staff_invites", sa.Column("party_member", sa.Boolean(), nullable=False, server_default=false)
    )
    op.create_table(
        "idea_stages",
        sa.Column("ticket_id", ID, nullable=False),
        sa.Column("stage", sa.String(length=20), nullable=False),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.Column("changed_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("changed_by_id", ID, nullable=True),
        sa.ForeignKeyConstraint(["ticket_id"], ["tickets.id"], name=op.f("fk_idea_stages_ticket_id_tickets")),
        sa.ForeignKeyConstraint(
            ["changed_by_id"], ["people.id"], name=op.f("fk_idea_stages_changed_by_id_people")
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_idea_stages")),
    )
    op.create_index("ix_idea_stages_stage", "idea_stages", ["stage", "ticket_id"])
    op.create_table(
        "night_visits",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("visited_on", sa.Date(), nullable=False),
        sa.Column("team", sa.String(length=60), nullable=False),
        sa.Column("place", sa.String(length=200), nullable=False),
        sa.Column("area_id", ID, nullable=False),
        sa.Column("households", ID, nullable=False),
        sa.Column("notes", sa.Text(), nullable=False),
        sa.Column("recorded_by_id", ID, nullable=False),
        sa.Column("created_at", models.base.UTCDateTime(), nullable=False),
        sa.ForeignKeyConstraint(["area_id"], ["areas.id"], name=op.f("fk_night_visits_area_id_areas")),
        sa.ForeignKeyConstraint(
            ["recorded_by_id"], ["people.id"], name=op.f("fk_night_visits_recorded_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_night_visits")),
    )
    op.create_table(
        "night_visit_tickets",
        sa.Column("ticket_id", ID, nullable=False),
        sa.Column("visit_id", ID, nullable=False),
        sa.ForeignKeyConstraint(
            ["ticket_id"], ["tickets.id"], name=op.f("fk_night_visit_tickets_ticket_id_tickets")
        ),
        sa.ForeignKeyConstraint(
            ["visit_id"], ["night_visits.id"], name=op.f("fk_night_visit_tickets_visit_id_night_visits")
        ),
        sa.PrimaryKeyConstraint("ticket_id", name=op.f("pk_night_visit_tickets")),
    )
    op.create_index("ix_night_visit_tickets_visit", "night_visit_tickets", ["visit_id", "ticket_id"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_night_visit_tickets_visit", table_name="night_visit_tickets")
    op.drop_table("night_visit_tickets")
    op.drop_table("night_visits")
    op.drop_index("ix_idea_stages_stage", table_name="idea_stages")
    op.drop_table("idea_stages")
    with op.batch_alter_table("staff_invites") as batch:
        batch.drop_column("party_member")
    with op.batch_alter_table("role_grants") as batch:
        batch.drop_column("party_member")
    with op.batch_alter_table("categories") as batch:
        batch.drop_column("open_to_volunteers")
