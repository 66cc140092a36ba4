"""积分回馈: rewards that points buy, and redemption requests an admin decides

Revision ID: 0020
Revises: 0013
Create Date: 2026-12-07 15:00:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0020"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "rewards",
        sa.Column("code", sa.String(length=40), nullable=False),
        sa.Column("name", sa.String(length=100), nullable=False),
        sa.Column("points", ID, nullable=False),
        sa.Column("stock", ID, nullable=False),
        sa.Column("provider", sa.String(length=100), nullable=False),
        sa.Column("active", sa.Boolean(), nullable=False),
        sa.PrimaryKeyConstraint("code", name=op.f("pk_rewards")),
    )
    op.create_table(
        "redemptions",
        sa.Column("id", ID, autoincrement=True, nullable=False),
        sa.Column("reward_code", sa.String(length=40), nullable=False),
        sa.Column("person_id", ID, nullable=False),
        sa.Column("points", ID, nullable=False),
        sa.Column("status", sa.String(length=20), nullable=False),
        sa.Column("requested_at", models.base.UTCDateTime(), nullable=False),
        sa.Column("decided_at", models.base.UTCDateTime(), nullable=True),
        sa.Column("decided_by_id", ID, nullable=True),
        sa.Column("reason", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["reward_code"], ["rewards.code"], name=op.f("fk_redemptions_reward_code_rewards")
        ),
        sa.ForeignKeyConstraint(["person_id"], ["people.id"], name=op.f("fk_redemptions_person_id_people")),
        sa.ForeignKeyConstraint(
            ["decided_by_id"], ["people.id"], name=op.f("fk_redemptions_decided_by_id_people")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_redemptions")),
    )
    op.create_index("ix_redemptions_person_status", "redemptions", ["person_id", "status"])


def downgrade() -> None:
    """Revert this revision."""
    op.drop_index("ix_redemptions_person_status", table_name="redemptions")
    op.drop_table("redemptions")
    op.drop_table("rewards")
