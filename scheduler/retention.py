"""The retention job: closed tickets past the retention period lose their personal data (PIPL art. 19)."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy.orm import Session

from handlers import privacy
from handlers.notify import unit_of_work

from .batches import Every, drain
from .host import Host

EVERY = timedelta(hours=1)
MAX_BATCHES = 50


class RetentionJobs:
    """One transaction per batch of due tickets; at most one look an hour of (fake) time."""

    def __init__(self, app: Host) -> None:
        self.app = app
        self._every = Every(EVERY)

    async def sweep(self) -> int:
        """Anonymise every ticket that is due; return how many."""
        app = self.app
        if not self._every.due(app.clock.now()):
            return 0

        def one(s: Session) -> int:
            return privacy.sweep(unit_of_work(s, app.clock.now(), app.rules))

        return await drain(app, one, privacy.BATCH, MAX_BATCHES)
