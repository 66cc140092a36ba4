"""property companies (物业) as first handlers: companies, their staff, a category's first handler

Tickets remember the company they went to first and when its turn ended (the community took
over). Plain columns on tickets and categories: the ticket's company is a plain id (as
resolved_by_id is), so SQLite needs no table rebuild.

Revision ID: 0022
Revises: 0021
Create Date: 2026-12-07 23:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0022"
down_revision: str | None = "0021"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "property_companies",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.Column("compounds", sa.JSON(), nullable=True),
        sa.Column("retired", sa.Boolean(), server_default=sa.text("false"), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_property_companies")),
        sa.UniqueConstraint("code", name=op.f("uq_property_companies_code")),
    )
    op.create_table(
        "property_staff",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("company_id", ID, nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("phone", sa.String(length=40), nullable=True),
        sa.ForeignKeyConstraint(
            ["company_id"],
            ["property_companies.id"],
            name=op.f("fk_property_staff_company_id_property_companies"),
        ),
        sa.ForeignKeyConstraint(
            ["person_id"], ["people.id"], name=op.f("fk_property_staff_person_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_property_staff")),
        sa.UniqueConstraint("company_id", "person_id", name=op.f("uq_property_staff_company_id")),
    )
    op.create_index("ix_property_staff_company_id", "property_staff", ["company_id"])
    op.create_index("ix_property_staff_person_id", "property_staff", ["person_id"])
    op.add_column("categories", sa.Column("first", sa.String(length=20), nullable=True))
    op.add_column("tickets", sa.Column("property_id", ID, nullable=True))
    op.add_column("tickets", sa.Column("property_left_at", models.base.UTCDateTime(), nullable=True))


def downgrade() -> None:
    """Revert this revision."""
    with op.batch_alter_table("tickets") as batch:
        batch.drop_column("property_left_at")
        batch.drop_column("property_id")
    with op.batch_alter_table("categories") as batch:
        batch.drop_column("first")
    op.drop_index("ix_property_staff_person_id", table_name="property_staff")
    op.drop_index("ix_property_staff_company_id", table_name="property_staff")
    op.drop_table("property_staff")
    op.drop_table("property_companies")
