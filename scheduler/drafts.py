"""The draft sweep: remind residents of a half-done report, drop it after a day."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from handlers.notify import unit_of_work
from handlers.report import drafts

from .host import Host

EVERY = timedelta(minutes=1)
MAX_BATCHES = 20


class DraftJobs:
    """One short transaction per batch of idle drafts; at most one look per minute of (fake) time."""

    def __init__(self, app: Host) -> None:
        self.app = app
        self._last: datetime | None = None

    async def sweep(self) -> int:
        """Remind or drop the drafts that are due; return how many."""
        app = self.app
        now = app.clock.now()
        if self._last is not None and now - self._last < EVERY:
            return 0
        self._last = now
        total = 0
        for _ in range(MAX_BATCHES):

            def one(s: Session) -> int:
                return drafts.sweep(unit_of_work(s, app.clock.now(), app.rules))

            done = await app.db.run(one)
            total += done
            if done < drafts.BATCH:
                break
        if total:
            app.wake()
        return total
