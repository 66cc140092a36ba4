"""Interval jobs paced by the monotonic clock, so a step of the wall clock neither stalls nor skips them.

APScheduler's interval trigger keeps its next run as a wall-clock time: after the clock steps back
an hour the scan would wait that hour, and a step forward leaves it waiting on a stale timer. The
jobs here only need "every N seconds", which the event loop's monotonic clock gives exactly; the
scans themselves read the wall clock for what is due, so after a step forward they catch up on
the next tick. A step is told in one log line.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from typing import Any

from apscheduler.schedulers.asyncio import AsyncIOScheduler

log = logging.getLogger(__name__)

STEP = 5.0  # seconds the wall clock may drift from the monotonic one between two ticks before it is a step
Job = Callable[[], Awaitable[Any]]


class Ticker:
    """Run a job every `every` seconds of monotonic time, and notice steps of the wall clock."""

    def __init__(
        self,
        name: str,
        job: Job,
        every: float,
        *,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        sleep: Callable[[float], Awaitable[object]] = asyncio.sleep,
    ) -> None:
        self.name = name
        self.job = job
        self.every = every
        self.wall = wall
        self.monotonic = monotonic
        self.sleep = sleep
        self.steps = 0  # wall-clock steps noticed
        self.failures = 0  # failed runs in the current outage
        self._offset = wall() - monotonic()

    def noticed_step(self) -> float:
        """How far the wall clock stepped since the last look (0.0: no step); logs one line for a step."""
        offset = self.wall() - self.monotonic()
        moved, self._offset = offset - self._offset, offset
        if abs(moved) < STEP:
            return 0.0
        self.steps += 1
        log.warning(
            "wall clock stepped %s by %.0f s; %s runs on (due work is caught up now)",
            "forward" if moved > 0 else "back",
            abs(moved),
            self.name,
        )
        return moved

    async def tick(self) -> None:
        """One run of the job; an outage (the database down) is one log line, and one when it ends."""
        self.noticed_step()
        try:
            await self.job()
        except Exception as exc:  # the next tick tries again
            self.failures += 1
            if self.failures == 1:
                cause = getattr(exc, "orig", None) or exc
                first = (str(cause).strip().splitlines() or [""])[0][:160]
                log.error(
                    "%s failed (said once until it works again): %s: %s",
                    self.name,
                    type(cause).__name__,
                    first,
                )
            return
        if self.failures:
            log.warning("%s works again after %d failed runs", self.name, self.failures)
            self.failures = 0

    async def run_forever(self) -> None:
        """Tick every `every` seconds until cancelled."""
        while True:
            await self.sleep(self.every)
            await self.tick()


class Scheduler(AsyncIOScheduler):
    """APScheduler for calendar jobs (the daily digest), plus tickers for the interval jobs."""

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.tickers: list[Ticker] = []
        self._tasks: list[asyncio.Task[None]] = []

    def start(self, *args: Any, **kwargs: Any) -> None:
        """Start the calendar jobs and the tickers."""
        super().start(*args, **kwargs)
        self._tasks = [
            asyncio.get_running_loop().create_task(t.run_forever(), name=t.name) for t in self.tickers
        ]

    def shutdown(self, *args: Any, **kwargs: Any) -> None:
        """Stop the tickers and the calendar jobs."""
        for task in self._tasks:
            task.cancel()
        self._tasks = []
        super().shutdown(*args, **kwargs)
