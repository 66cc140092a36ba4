"""Keep storage bounded: drop idempotency keys past the redelivery window and old finished outbox rows."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, delete, select
from sqlalchemy.orm import Session

from ..tables import Outbox, OutboxStatus, SeenKey, Status, Ticket

_SEEN = cast(Table, SeenKey.__table__)
_OUTBOX = cast(Table, Outbox.__table__)
FINISHED = (OutboxStatus.SENT, OutboxStatus.FAILED, OutboxStatus.DROPPED)
# A card row of a ticket still moving is kept: later edits of that card need its message id.
ACTIVE = (Status.OPEN, Status.CLAIMED, Status.RESOLVED)
BATCH = 2000


def purge_seen(session: Session, before: datetime, limit: int = BATCH) -> int:
    """Delete up to `limit` seen keys recorded before `before` (oldest first, by ix_seen_keys_at)."""
    oldest = (
        select(_SEEN.c.namespace, _SEEN.c.key).where(_SEEN.c.at < before).order_by(_SEEN.c.at).limit(limit)
    )
    rows = session.execute(oldest).all()
    if not rows:
        return 0
    for namespace in {r.namespace for r in rows}:
        keys = [r.key for r in rows if r.namespace == namespace]
        session.execute(delete(_SEEN).where(_SEEN.c.namespace == namespace, _SEEN.c.key.in_(keys)))
    return len(rows)


def purge_outbox(session: Session, before: datetime, limit: int = BATCH) -> int:
    """Delete up to `limit` finished outbox rows created before `before`, oldest first (by id).

    Pending and sending rows are never touched, nor the card rows of tickets still open, claimed
    or resolved (their cards are edited later)."""
    active = select(Ticket.id).where(Ticket.status.in_(ACTIVE))
    pick = (
        select(_OUTBOX.c.id)
        .where(
            _OUTBOX.c.status.in_([s.value for s in FINISHED]),
            _OUTBOX.c.created_at < before,
            (_OUTBOX.c.card_of.is_(None)) | (_OUTBOX.c.card_of.not_in(active)),
        )
        .order_by(_OUTBOX.c.id)
        .limit(limit)
    )
    ids = list(session.scalars(pick))
    if ids:
        session.execute(delete(_OUTBOX).where(_OUTBOX.c.id.in_(ids)))
    return len(ids)
