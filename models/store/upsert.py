"""INSERT … ON CONFLICT on PostgreSQL and SQLite: the one place that picks the dialect's INSERT."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import Column, Table
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

DialectInsert = postgresql.Insert | sqlite.Insert


def dialect_insert(dialect: str, table: Table) -> DialectInsert:
    """The INSERT of a supported dialect (both know ON CONFLICT)."""
    if dialect == "postgresql":
        return postgresql.insert(table)
    if dialect == "sqlite":
        return sqlite.insert(table)
    raise ValueError(f"unsupported database dialect {dialect!r} (PostgreSQL or SQLite)")


def insert_ignoring(dialect: str, table: Table) -> DialectInsert:
    """INSERT … ON CONFLICT DO NOTHING."""
    return dialect_insert(dialect, table).on_conflict_do_nothing()


def upsert(
    session: Session,
    table: Table,
    values: Mapping[str, Any],
    key: Sequence[Column[Any]],
    update: Mapping[str, Any],
) -> None:
    """Insert a row, or overwrite the given columns of the row with the same key."""
    stmt = dialect_insert(session.get_bind().dialect.name, table).values(dict(values))
    session.execute(stmt.on_conflict_do_update(index_elements=list(key), set_=dict(update)))
