"""Start-up that waits out a database or chat platform that is not reachable yet, with backoff."""

from __future__ import annotations

import logging
import os
import sys
import time
from collections.abc import Callable

from .exitcodes import Exit, database_status

log = logging.getLogger(__name__)
BUDGET_ENV = "JIESU_START_RETRY_SECONDS"  # how long to keep trying before exiting 75 (default 60)
DEFAULT_BUDGET = 60.0


def delays(budget: float, first: float = 1.0, most: float = 15.0) -> list[float]:
    """Waits of 1, 2, 4, 8, 15, 15 … seconds whose sum stays within the budget."""
    out: list[float] = []
    wait = first
    while sum(out) + wait <= budget:
        out.append(wait)
        wait = min(wait * 2, most)
    return out


def budget(env: dict[str, str] | None = None) -> float:
    """The retry budget in seconds, from JIESU_START_RETRY_SECONDS."""
    value = (os.environ if env is None else env).get(BUDGET_ENV, "")
    try:
        return max(0.0, float(value)) if value else DEFAULT_BUDGET
    except ValueError:
        return DEFAULT_BUDGET


def retrying(start: Callable[[], int], sleep: Callable[[float], None] = time.sleep) -> int:
    """Run `start` again while it ends TEMPORARY (or the database does not answer), within the budget."""
    from sqlalchemy.exc import OperationalError

    waits = delays(budget())
    for attempt in range(len(waits) + 1):
        try:
            status = start()
        except OperationalError as exc:
            if database_status(exc) != Exit.TEMPORARY or attempt == len(waits):
                raise
            reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
            status, why = Exit.TEMPORARY, f"the database does not answer ({reason})"
        else:
            why = "a part is not reachable yet"
        if status != Exit.TEMPORARY or attempt == len(waits):
            return status
        print(f"{why}; trying again in {waits[attempt]:g} s", file=sys.stderr, flush=True)
        sleep(waits[attempt])
    return Exit.TEMPORARY
