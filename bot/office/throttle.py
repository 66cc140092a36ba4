"""Rate limits kept in memory (the `limits` library's moving window): Open311 keys, sign-in requests."""

from __future__ import annotations

from limits import RateLimitItem, parse_many
from limits.storage import MemoryStorage
from limits.strategies import MovingWindowRateLimiter


class Throttle:
    """Allow each key a number of hits per window (e.g. "20/minute;200/day")."""

    def __init__(self, rule: str) -> None:
        self.items: list[RateLimitItem] = parse_many(rule)
        self._limiter = MovingWindowRateLimiter(MemoryStorage())

    def allow(self, key: str) -> bool:
        """Count one hit for the key; False when it is over any of the limits (nothing counted then)."""
        if not all(self._limiter.test(item, key) for item in self.items):
            return False
        return all([self._limiter.hit(item, key) for item in self.items])
