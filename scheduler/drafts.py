"""The draft sweep: remind residents of a half-done report, drop it after a day."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from handlers.notify import unit_of_work
from handlers.report import drafts

from .batches import Every, drain
from .host import Host

EVERY = timedelta(minutes=1)
MAX_BATCHES = 20


class DraftJobs:
    """One short transaction per batch of idle drafts; at most one look per minute of (fake) time."""

    def __init__(self, app: Host) -> None:
        self.app = app
        self._every = Every(EVERY)

    async def sweep(self) -> int:
        """Remind or drop the drafts that are due; return how many."""
        app = self.app
        if not self._every.due(app.clock.now()):
            return 0

        def one(s: Session) -> int:
            return drafts.sweep(unit_of_work(s, app.clock.now(), app.rules))

        total = await drain(app, one, drafts.BATCH, MAX_BATCHES)
        if total:
            app.wake()
        return total
