"""Virtual seconds for driving real senders through their rate slots, optionally on a starved machine."""

from __future__ import annotations

import asyncio
import math
import random
from collections.abc import Callable, Sequence
from datetime import timedelta

from bot.delivery import Rate, Sender
from models.clock import FakeClock


class StarvedTime:
    """The limits' clock: a sleeper wakes at the next 20 ms tick, and a share of them up to 0.5 s late."""

    def __init__(self, clock: FakeClock, late_share: float = 0.125, seed: int = 9) -> None:
        self.t = 1_000_000.0
        self.clock = clock
        self.late_share = late_share
        self.rng = random.Random(seed)
        self.waiters: list[tuple[float, int, asyncio.Future[None]]] = []
        self.seq = 0

    def now(self) -> float:
        """Seconds on the virtual clock (epoch-like, as the limits expect)."""
        return self.t

    async def sleep(self, seconds: float) -> None:
        """Wait until the virtual clock has passed the wake-up time (and maybe a while longer)."""
        late = self.rng.uniform(0.0, 0.5) if self.rng.random() < self.late_share else 0.0
        future: asyncio.Future[None] = asyncio.get_running_loop().create_future()
        self.seq += 1
        self.waiters.append((self.t + max(0.0, seconds) + late, self.seq, future))
        await future

    def advance(self, until: float) -> None:
        """Move both clocks to the 20 ms tick after the first wake-up or `until`, and wake the due."""
        at = min([w[0] for w in self.waiters] + [until])
        at = self.t + max(0.02, math.ceil((at - self.t) / 0.02) * 0.02)
        self.clock.advance(timedelta(seconds=at - self.t))
        self.t = at
        due = [w for w in self.waiters if w[0] <= self.t]
        self.waiters = [w for w in self.waiters if w[0] > self.t]
        for _, _, future in due:
            future.set_result(None)

    async def drive(self, senders: Sequence[Sender], done: Callable[[], bool], limit: float = 200.0) -> None:
        """Run the senders as run_forever would (a step when a lane finished, else every 0.25 s) until done.

        Time stands still while any sender has a call in flight (a real HTTP call, a database
        transaction): it moves only when every in-flight message sleeps towards its slot.
        """
        start, poll = self.t, self.t
        while self.t < start + limit and not done():
            polled = self.t >= poll
            for sender in senders:
                if sender._changed.is_set() or polled:
                    await sender.step()
            poll = self.t + 0.25 if polled else poll
            for spin in range(1000):
                await asyncio.sleep(0 if spin < 3 else 0.002)
                if len(self.waiters) >= sum(len(s._inflight) for s in senders):
                    break
            self.advance(poll)


def windows_hold(times: list[float], rate: Rate) -> bool:
    """No sliding window of rate.per seconds holds more than rate.count of these send times."""
    times = sorted(times)
    return all(sum(1 for t in times if s <= t < s + rate.per) <= rate.count for s in times)
