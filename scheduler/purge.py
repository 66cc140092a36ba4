"""The storage purge: seen keys past the redelivery window and old finished outbox rows, hourly."""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from models.store.purge import BATCH, purge_outbox, purge_seen

from .batches import Every, drain
from .host import Host

log = logging.getLogger(__name__)
Purge = Callable[[Session, datetime], int]
EVERY = timedelta(hours=1)
MAX_BATCHES = 50  # per run: a backlog drains over a few runs, never in one long transaction


class PurgeJobs:
    """One short transaction per batch; at most one run per hour of (fake) time."""

    def __init__(self, app: Host) -> None:
        self.app = app
        self._every = Every(EVERY)

    async def purge(self) -> int:
        """Drop what has outlived its keeping time; return how many rows went."""
        app = self.app
        now = app.clock.now()
        if not self._every.due(now):
            return 0
        storage = app.rules.storage
        steps: tuple[tuple[Purge, timedelta], ...] = (
            (purge_seen, storage.seen_keys_for),
            (purge_outbox, storage.outbox_for),
        )
        total = 0
        for purge, keep in steps:

            def one(s: Session, purge: Purge = purge, keep: timedelta = keep) -> int:
                return purge(s, now - keep)

            total += await drain(app, one, BATCH, MAX_BATCHES)
        if total:
            log.info("storage purge: %d rows past their keeping time removed", total)
        return total
