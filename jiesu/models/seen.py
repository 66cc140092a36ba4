"""Idempotency keys: remember what has been processed, atomically."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Insert, delete, insert
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from .tables import SeenKey


def first_time(session: Session, namespace: str, key: str, now: datetime) -> bool:
    """Record key; return False when it was already recorded (by anyone, committed)."""
    values = {"namespace": namespace, "key": key[:200], "at": now}
    name = session.get_bind().dialect.name
    stmt: Insert
    if name == "postgresql":
        stmt = pg_insert(SeenKey).values(values).on_conflict_do_nothing()
    elif name == "sqlite":
        stmt = sqlite_insert(SeenKey).values(values).on_conflict_do_nothing()
    else:  # pragma: no cover - other dialects are not supported
        stmt = insert(SeenKey).values(values)
    # RETURNING says reliably whether the row went in (rowcount is not portable here).
    return session.execute(stmt.returning(SeenKey.key)).first() is not None


def forget_before(session: Session, namespace: str, before: datetime) -> int:
    """Drop keys older than a horizon (housekeeping)."""
    result = session.execute(delete(SeenKey).where(SeenKey.namespace == namespace, SeenKey.at < before))
    return int(result.rowcount)  # type: ignore[attr-defined]
