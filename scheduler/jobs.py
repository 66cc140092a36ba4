"""The periodic jobs: deadline scans, progress pushes and the daily digest, run against the database."""

from __future__ import annotations

import logging
import time
from datetime import datetime
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import event
from sqlalchemy.orm import Session

from handlers.notify import unit_of_work
from handlers.reports import digest as digest_text
from models import outbox
from models import scan as scans
from models.hours import hold_until
from models.reports import digest
from models.store.unit_of_work import Unit

from .host import Host

log = logging.getLogger(__name__)

# Upper bound of batches per run, so one run cannot starve inbound messages for long;
# whatever is left is due again on the next run.
MAX_BATCHES = 50
# How long (real seconds) "nothing is due before T" is trusted without asking the database.
# Only fake-time runs (console `!advance`, tests) tick faster than this; with the real clock
# the scheduler's interval is longer, so every real scan asks the database.
QUIET_TTL = 0.5
_TICKET_WRITES = ("INSERT INTO tickets ", "UPDATE tickets ")


class SlaJobs:
    """Async jobs that each run a few short transactions; safe to run in several processes at once."""

    def __init__(self, app: Host, batch: int = scans.BATCH) -> None:
        self.app = app
        self.batch = batch
        self._last_digest_look: datetime = app.clock.now()
        self._quiet_until: datetime | None = None
        self._quiet_since = 0.0
        self._quiet_writes = 0
        self._writes = 0
        event.listen(app.db.engine, "before_cursor_execute", self._on_sql)

    def _unit(self, session: Session) -> Unit:
        return unit_of_work(session, self.app.clock.now(), self.app.rules)

    def _bulk_unit(self, session: Session) -> Unit:
        """A unit whose messages are bulk notices (the digest): they wait behind direct replies."""
        outbox.bulk(session)
        return self._unit(session)

    def _digest_unit(self, session: Session) -> Unit:
        """A digest in quiet hours waits for their end."""
        u = self._bulk_unit(session)
        u.hold = hold_until(u.now, u.rules.sla)
        return u

    def _on_sql(self, conn: Any, cursor: Any, statement: str, *args: Any) -> None:
        """Count this process's writes to tickets: any of them may bring a deadline forward."""
        if statement.startswith(_TICKET_WRITES):
            self._writes += 1

    def _quiet(self, now: datetime) -> bool:
        """Tell whether the last look proved nothing can be due yet (cheap, no database)."""
        return (
            self._quiet_until is not None
            and now < self._quiet_until
            and self._writes == self._quiet_writes
            and time.monotonic() - self._quiet_since < QUIET_TTL
        )

    async def scan(self) -> int:
        """Look cheaply for due work; if any, handle due checks and pushes in batches."""
        app = self.app
        now = app.clock.now()
        if self._quiet(now):
            return 0
        writes = self._writes
        next_check, next_push = await app.db.run(scans.earliest)
        done = 0
        if next_check is not None and next_check <= now:
            done += await self._batches(scans.run_checks)
        if next_push is not None and next_push <= now:
            done += await self._batches(scans.run_pushes)
        if done:
            self._quiet_until = None
            app.wake()
        else:
            pending = [t for t in (next_check, next_push) if t is not None]
            self._quiet_until = min(pending) if pending else datetime.max.replace(tzinfo=now.tzinfo)
            self._quiet_since = time.monotonic()
            self._quiet_writes = writes
        return done

    async def _batches(self, fn: scans.BatchFn) -> int:
        total = 0
        for _ in range(MAX_BATCHES):

            def one(s: Session) -> int:
                outbox.bulk(s)  # reminders and pushes wait behind direct replies
                return fn(self._unit(s), self.batch)

            claimed = await self.app.db.run(one)
            total += claimed
            if claimed < self.batch:
                break
        return total

    async def digest(self) -> bool:
        """Send today's digest now (the scheduler's daily trigger); once a day across processes."""
        app = self.app
        day = app.clock.now().astimezone(ZoneInfo(app.rules.sla.timezone)).date()
        sent = await app.db.run(lambda s: digest_text.send(self._digest_unit(s), day))
        if sent:
            app.wake()
        return sent

    async def digest_if_crossed(self) -> bool:
        """Send the digest when the configured time of day passed since the last look (fake time)."""
        app = self.app
        now = app.clock.now()
        sla = app.rules.sla
        day = digest.due_between(self._last_digest_look, now, sla.digest_time, sla.timezone)
        self._last_digest_look = now
        if day is None:
            return False
        sent = await app.db.run(lambda s: digest_text.send(self._digest_unit(s), day))
        if sent:
            app.wake()
        return sent
