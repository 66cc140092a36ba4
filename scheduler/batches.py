"""What the periodic sweeps share: at most one run per period of (fake) time, work drained in batches."""

from __future__ import annotations

from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from .host import Host


class Every:
    """Lets a sweep run at most once per period of the app's clock (ticks may come more often)."""

    def __init__(self, period: timedelta) -> None:
        self.period = period
        self._last: datetime | None = None

    def due(self, now: datetime) -> bool:
        """True (and the period starts again) when the last run is at least a period ago."""
        if self._last is not None and now - self._last < self.period:
            return False
        self._last = now
        return True


async def drain(app: Host, one: Callable[[Session], int], batch: int, most: int) -> int:
    """Run one batch per transaction until a batch comes back short (or `most` ran); return the total."""
    total = 0
    for _ in range(most):
        done = int(await app.db.run(one))
        total += done
        if done < batch:
            break
    return total
