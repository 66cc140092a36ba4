"""Health: a small registry of named checks that /healthz runs, and readiness for /readyz.

A check is an async callable that returns None when its part is up, or a short reason when it is
down (raising counts as down too). Parts register themselves by name: the database, the outbox
sender, the scheduler's heartbeat, each channel's token; other modules may add their own.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from .version import __version__

log = logging.getLogger(__name__)
Check = Callable[[], Awaitable[str | None]]
CHECK_TIMEOUT = 2.0  # seconds a part may take to answer before it counts as down
MISSED_TICKS = 3  # a heartbeat older than this many intervals is down


@dataclass
class Heartbeat:
    """A part that should act every `every` seconds (the scheduler's scans): down after 3 missed."""

    every: float
    clock: Callable[[], float] = time.monotonic
    last: float = field(default=0.0)

    def __post_init__(self) -> None:
        self.last = self.clock()

    def beat(self, *_: Any) -> None:
        """The part acted just now."""
        self.last = self.clock()

    async def check(self) -> str | None:
        """Down when no beat came for MISSED_TICKS intervals."""
        quiet = self.clock() - self.last
        if quiet > MISSED_TICKS * self.every:
            return f"no tick for {quiet:.0f} s (every {self.every:g} s)"
        return None


@dataclass
class Token:
    """A channel's credentials as the platform last judged them."""

    refused: str | None = None  # the platform's answer when it refused the token

    async def check(self) -> str | None:
        """Down while the last answer was a refusal."""
        return None if self.refused is None else f"token refused: {self.refused}"


class Health:
    """The named checks of one process, and whether it is ready for traffic."""

    def __init__(self) -> None:
        self.checks: dict[str, Check] = {}
        self.tokens: dict[str, Token] = {}
        self.ready = False  # set once every channel accepts updates (the webhook is registered)

    def add(self, name: str, check: Check) -> None:
        """Register (or replace) a named check."""
        self.checks[name] = check

    def token(self, channel: str) -> Token:
        """The token state of a channel, registered as check `channel` on first use."""
        if channel not in self.tokens:
            self.tokens[channel] = Token()
            self.add(channel, self.tokens[channel].check)
        return self.tokens[channel]

    async def _run(self, name: str, check: Check) -> str | None:
        try:
            return await asyncio.wait_for(check(), timeout=CHECK_TIMEOUT)
        except Exception as exc:  # the reason goes to the log and the body, never a traceback
            return f"{type(exc).__name__}" if not str(exc) else f"{type(exc).__name__}: {str(exc)[:200]}"

    async def report(self) -> dict[str, Any]:
        """{"status": "ok" | "down", "down": [names], "checks": {name: "ok" | reason}, …}."""
        names = list(self.checks)
        results = await asyncio.gather(*(self._run(n, self.checks[n]) for n in names))
        checks = {n: r or "ok" for n, r in zip(names, results, strict=True)}
        down = [n for n, r in zip(names, results, strict=True) if r]
        for name in down:
            log.warning("health check: %s is down (%s)", name, checks[name])
        return {
            "status": "down" if down else "ok",
            "version": __version__,
            "ready": self.ready and not down,
            "down": down,
            "checks": checks,
        }


def legacy(check: Callable[[], Awaitable[None]]) -> Check:
    """A check that raises when down (and returns nothing when up) as a registry check."""

    async def run() -> str | None:
        await check()
        return None

    return run


def sender_check(task: Callable[[], asyncio.Task[None] | None]) -> Check:
    """The outbox sender's task is running (it has not crashed or been stopped)."""

    async def check() -> str | None:
        running = task()
        if running is None:
            return "not started"
        if running.done():
            if running.cancelled():
                return "stopped"
            return f"stopped: {type(running.exception()).__name__}"
        return None

    return check
