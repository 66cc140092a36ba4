"""security log

An append-only audit table for 等保 2.0: sign-ins, roles, exports, private data viewed, Open311
keys, configuration imports. Triggers on both backends refuse UPDATE and DELETE of its rows.

Revision ID: 0011
Revises: 0015
Create Date: 2026-12-07 14:30:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

import models.base

revision: str = "0011"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_ID = sa.BigInteger().with_variant(sa.Integer(), "sqlite")

PG_FUNCTION = """
CREATE FUNCTION security_log_append_only() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION 'security_log is append-only';
END;
$$ LANGUAGE plpgsql
"""
PG_TRIGGER = (
    "CREATE TRIGGER security_log_append_only BEFORE UPDATE OR DELETE ON security_log "
    "FOR EACH ROW EXECUTE FUNCTION security_log_append_only()"
)
SQLITE_TRIGGERS = [
    f"CREATE TRIGGER security_log_no_{what.lower()} BEFORE {what} ON security_log "
    "BEGIN SELECT RAISE(ABORT, 'security_log is append-only'); END"
    for what in ("UPDATE", "DELETE")
]


def upgrade() -> None:
    """Apply this revision."""
    op.create_table(
        "security_log",
        sa.Column("id", _ID, nullable=False),
        sa.Column("at", models.base.UTCDateTime(), nullable=False),
        sa.Column("kind", sa.String(length=30), nullable=False),
        sa.Column("person_id", _ID, nullable=True),
        sa.Column("source", sa.String(length=80), nullable=False),
        sa.Column("detail", sa.Text(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_security_log")),
    )
    op.create_index(op.f("ix_security_log_at"), "security_log", ["at"])
    op.create_index(op.f("ix_security_log_kind"), "security_log", ["kind"])
    op.create_index(op.f("ix_security_log_person_id"), "security_log", ["person_id"])
    if op.get_bind().dialect.name == "postgresql":
        op.execute(PG_FUNCTION)
        op.execute(PG_TRIGGER)
    else:
        for trigger in SQLITE_TRIGGERS:
            op.execute(trigger)


def downgrade() -> None:
    """Revert this revision."""
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER security_log_append_only ON security_log")
        op.execute("DROP FUNCTION security_log_append_only()")
    op.drop_index(op.f("ix_security_log_person_id"), table_name="security_log")
    op.drop_index(op.f("ix_security_log_kind"), table_name="security_log")
    op.drop_index(op.f("ix_security_log_at"), table_name="security_log")
    op.drop_table("security_log")
