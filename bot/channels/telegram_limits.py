"""Telegram's sending limits: about 30 messages/s overall, 20/min per group, 1/s per chat."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field


@dataclass(frozen=True)
class Rate:
    """`count` messages per `per` seconds, of which `burst` may go at once."""

    count: int
    per: float
    burst: int = 1

    @property
    def interval(self) -> float:
        """Seconds between two messages at the steady rate."""
        return self.per / self.count

    @property
    def tolerance(self) -> float:
        """How far ahead of the steady schedule a burst may run."""
        return self.interval * (max(1, self.burst) - 1)


OVERALL = Rate(30, 1.0, burst=30)
PER_CHAT = Rate(1, 1.0, burst=3)  # a reply and its follow-up go out together, then 1/s
PER_GROUP = Rate(20, 60.0, burst=20)


@dataclass
class _Bucket:
    """GCRA: the theoretical arrival time of the next message at the steady rate."""

    rate: Rate
    tat: float = 0.0

    def earliest(self, now: float) -> float:
        return max(now, self.tat - self.rate.tolerance)

    def take(self, at: float) -> None:
        self.tat = max(self.tat, at) + self.rate.interval


@dataclass
class RateLimiter:
    """Reserves a sending slot per message; short waits are slept, long ones handed back."""

    overall: Rate | None = OVERALL
    per_chat: Rate | None = PER_CHAT
    per_group: Rate | None = PER_GROUP
    max_wait: float = 1.5  # longer waits go back to the outbox instead of stalling the sender
    clock: Callable[[], float] = time.monotonic
    sleep: Callable[[float], Awaitable[object]] = asyncio.sleep
    _overall: _Bucket | None = field(init=False, default=None)
    _chats: dict[str, _Bucket] = field(init=False, default_factory=dict)
    _groups: dict[str, _Bucket] = field(init=False, default_factory=dict)
    _reserved: dict[int, float] = field(init=False, default_factory=dict)

    def __post_init__(self) -> None:
        self._overall = _Bucket(self.overall) if self.overall else None

    @classmethod
    def unlimited(cls) -> RateLimiter:
        """A limiter that never waits (benchmarks, local Bot API experiments)."""
        return cls(overall=None, per_chat=None, per_group=None)

    def _buckets(self, chat_id: str) -> list[_Bucket]:
        buckets = [self._overall] if self._overall else []
        if self.per_chat:
            buckets.append(self._chats.setdefault(chat_id, _Bucket(self.per_chat)))
        if self.per_group and chat_id.startswith("-"):  # groups and supergroups have negative ids
            buckets.append(self._groups.setdefault(chat_id, _Bucket(self.per_group)))
        return buckets

    def reserve(self, chat_id: str, key: int) -> float:
        """Book the next free slot for message `key` to chat_id; return seconds until it."""
        now = self.clock()
        if key in self._reserved:  # came back for a slot booked earlier
            return max(0.0, self._reserved.pop(key) - now)
        buckets = self._buckets(chat_id)
        at = max((b.earliest(now) for b in buckets), default=now)
        for b in buckets:
            b.take(at)
        self._prune(now)
        return at - now

    async def acquire(self, chat_id: str, key: int) -> float | None:
        """Wait for message `key`'s slot; return the seconds to come back later when it is far off."""
        wait = self.reserve(chat_id, key)
        if wait > self.max_wait:
            self._reserved[key] = self.clock() + wait
            return wait
        if wait > 0:
            await self.sleep(wait)
        return None

    def hold(self, chat_id: str, seconds: float) -> None:
        """Send nothing more to chat_id for a while (Telegram answered 429 retry_after)."""
        if not self.per_chat:
            return
        bucket = self._chats.setdefault(chat_id, _Bucket(self.per_chat))
        bucket.tat = max(bucket.tat, self.clock() + seconds + bucket.rate.tolerance)

    def _prune(self, now: float) -> None:
        """Forget idle chats so the tables stay small."""
        for table in (self._chats, self._groups):
            if len(table) > 10_000:
                for chat in [c for c, b in table.items() if b.tat < now]:
                    del table[chat]
        if len(self._reserved) > 10_000:
            for key in [k for k, at in self._reserved.items() if at < now - 3600]:
                del self._reserved[key]
