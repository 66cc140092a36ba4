"""The periodic jobs: deadline scans, progress pushes and the daily digest, run against the database."""

from __future__ import annotations

import logging
from datetime import datetime
from typing import TYPE_CHECKING
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from jiesu.models import digest
from jiesu.models import scan as scans

if TYPE_CHECKING:
    from jiesu.bot.app import App

log = logging.getLogger(__name__)

# Upper bound of batches per run, so one run cannot starve inbound messages for long;
# whatever is left is due again on the next run.
MAX_BATCHES = 50


class SlaJobs:
    """Async jobs that each run a few short transactions; safe to run in several processes at once."""

    def __init__(self, app: App, batch: int = scans.BATCH) -> None:
        self.app = app
        self.batch = batch
        self._last_digest_look: datetime = app.clock.now()

    async def scan(self) -> int:
        """Look cheaply for due work; if any, handle due checks and pushes in batches."""
        app = self.app
        checks, pushes = await app.db.run(lambda s: scans.due_now(s, app.clock.now()))
        done = 0
        if checks:
            done += await self._batches(scans.run_checks)
        if pushes:
            done += await self._batches(scans.run_pushes)
        if done:
            app.sender.wake()
        return done

    async def _batches(self, fn: scans.BatchFn) -> int:
        total = 0
        for _ in range(MAX_BATCHES):

            def one(s: Session) -> int:
                return fn(self.app.unit(s), self.batch)

            claimed = await self.app.db.run(one)
            total += claimed
            if claimed < self.batch:
                break
        return total

    async def digest(self) -> bool:
        """Send today's digest now (the scheduler's daily trigger); once a day across processes."""
        app = self.app
        tz = app.rules.sla.timezone
        day = app.clock.now().astimezone(ZoneInfo(tz)).date()
        sent = await app.db.run(lambda s: digest.send(app.unit(s), day))
        if sent:
            app.sender.wake()
        return sent

    async def digest_if_crossed(self) -> bool:
        """Send the digest when the configured time of day passed since the last look (fake time)."""
        app = self.app
        now = app.clock.now()
        day = digest.due_between(
            self._last_digest_look, now, app.rules.sla.digest_time, app.rules.sla.timezone
        )
        self._last_digest_look = now
        if day is None:
            return False
        sent = await app.db.run(lambda s: digest.send(app.unit(s), day))
        if sent:
            app.sender.wake()
        return sent
