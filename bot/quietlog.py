"""Log a failure that repeats (the database is down) as one line per kind with a count."""

from __future__ import annotations

import logging
import time
from collections.abc import Callable
from dataclasses import dataclass, field


def kind_of(exc: BaseException) -> str:
    """A short, stable name for what went wrong: the exception type and its first line."""
    cause = getattr(exc, "orig", None) or exc
    first = (str(cause).strip().splitlines() or [""])[0][:120]
    return f"{type(cause).__name__}: {first}" if first else type(cause).__name__


@dataclass
class QuietLog:
    """First failure of a kind: one line; then a count every `every` seconds; then 'recovered'."""

    logger: logging.Logger
    what: str
    every: float = 30.0
    clock: Callable[[], float] = time.monotonic
    counts: dict[str, int] = field(default_factory=dict)  # failures per kind since the last line
    totals: dict[str, int] = field(default_factory=dict)
    _last: dict[str, float] = field(default_factory=dict)

    def failed(self, exc: BaseException) -> str:
        """Count one failure; log a line only for a new kind or when `every` seconds passed."""
        kind = kind_of(exc)
        self.totals[kind] = self.totals.get(kind, 0) + 1
        now = self.clock()
        if kind not in self._last:
            self.logger.error("%s failed: %s", self.what, kind)
            self._last[kind] = now
            self.counts[kind] = 0
        else:
            self.counts[kind] += 1
            if now - self._last[kind] >= self.every:
                self.logger.error("%s failed %d more times: %s", self.what, self.counts[kind], kind)
                self._last[kind] = now
                self.counts[kind] = 0
        return kind

    def ok(self) -> None:
        """A success after failures: say so once, with how many there were."""
        if self._last:
            total = sum(self.totals.values())
            self.logger.warning("%s works again after %d failures", self.what, total)
            self._last.clear()
            self.counts.clear()
            self.totals.clear()
