"""Idempotency keys: remember what has been processed, atomically."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, delete
from sqlalchemy.orm import Session

from ..tables import SeenKey
from .prepared import InsertIgnoring

# RETURNING says reliably whether the row went in (rowcount is not portable here); the
# table, not the entity, so the ORM bulk-insert path is not taken.
_TABLE = cast(Table, SeenKey.__table__)
_INSERT = InsertIgnoring(_TABLE, _TABLE.c.key)


def first_time(session: Session, namespace: str, key: str, now: datetime) -> bool:
    """Record key; return False when it was already recorded (by anyone, committed)."""
    values = {"namespace": namespace, "key": key[:200], "at": now}
    # Straight to the driver (fastsql): no ORM layer (nor autoflush) needed for a table of its own.
    return _INSERT.on(session).first(session, values) is not None


def forget_before(session: Session, namespace: str, before: datetime) -> int:
    """Drop keys older than a horizon (housekeeping)."""
    result = session.execute(delete(SeenKey).where(SeenKey.namespace == namespace, SeenKey.at < before))
    return int(result.rowcount)  # type: ignore[attr-defined]
