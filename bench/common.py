"""Shared pieces of the benchmarks: one wizard step, timing, percentiles, fresh databases."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Step:
    """One inbound message of a simulated user: text, a button payload, a location or a contact."""

    user: str
    text: str = ""
    payload: str | None = None
    location: tuple[float, float] | None = None
    contact: str | None = None
