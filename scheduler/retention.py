"""The retention job: closed tickets past the retention period lose their personal data (PIPL art. 19)."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from handlers import privacy
from handlers.notify import unit_of_work

from .host import Host

EVERY = timedelta(hours=1)
MAX_BATCHES = 50


class RetentionJobs:
    """One transaction per batch of due tickets; at most one look an hour of (fake) time."""

    def __init__(self, app: Host) -> None:
        self.app = app
        self._last: datetime | None = None

    async def sweep(self) -> int:
        """Anonymise every ticket that is due; return how many."""
        app = self.app
        now = app.clock.now()
        if self._last is not None and now - self._last < EVERY:
            return 0
        self._last = now
        total = 0
        for _ in range(MAX_BATCHES):

            def one(s: Session) -> int:
                return privacy.sweep(unit_of_work(s, app.clock.now(), app.rules))

            done = await app.db.run(one)
            total += done
            if done < privacy.BATCH:
                break
        return total
