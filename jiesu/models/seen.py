"""Idempotency keys: remember what has been processed, atomically."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Insert, Table, delete, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .fastsql import Prepared
from .tables import SeenKey

# Built once per dialect: constructing an upsert costs more than running it (on every message).
_INSERTS: dict[str, Prepared] = {}


def _insert(dialect: str) -> Prepared:
    prepared = _INSERTS.get(dialect)
    if prepared is None:
        table = cast(Table, SeenKey.__table__)  # the table, not the entity: no ORM bulk-insert path
        stmt: Insert
        if dialect == "postgresql":
            stmt = pg_insert(table).on_conflict_do_nothing()
        elif dialect == "sqlite":
            stmt = sqlite_insert(table).on_conflict_do_nothing()
        else:  # pragma: no cover - other dialects are not supported
            stmt = insert(table)
        # RETURNING says reliably whether the row went in (rowcount is not portable here).
        prepared = _INSERTS[dialect] = Prepared(stmt.returning(table.c.key))
    return prepared


def first_time(session: Session, namespace: str, key: str, now: datetime) -> bool:
    """Record key; return False when it was already recorded (by anyone, committed)."""
    values = {"namespace": namespace, "key": key[:200], "at": now}
    # Straight to the driver (fastsql): no ORM layer (nor autoflush) needed for a table of its own.
    return _insert(session.get_bind().dialect.name).first(session, values) is not None


def forget_before(session: Session, namespace: str, before: datetime) -> int:
    """Drop keys older than a horizon (housekeeping)."""
    result = session.execute(delete(SeenKey).where(SeenKey.namespace == namespace, SeenKey.at < before))
    return int(result.rowcount)  # type: ignore[attr-defined]
