"""Deadline arithmetic for the "135" tiers, calendar or working days."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from .policy import SlaPolicy
from .tables import Tier


def tier_days(tier: str, policy: SlaPolicy) -> int | None:
    """Length of a tier's window in days; None for tiers without a deadline."""
    return {
        Tier.SIMPLE: policy.simple_days,
        Tier.DIFFICULT: policy.difficult_days,
        Tier.PENDING: policy.pending_days,
    }.get(Tier(tier))


def add_days(start: datetime, days: int, policy: SlaPolicy) -> datetime:
    """Start plus days: calendar days, or working days skipping weekends and holidays."""
    if not policy.working_days:
        return start + timedelta(days=days)
    tz = ZoneInfo(policy.timezone)
    local = start.astimezone(tz)
    remaining = days
    while remaining > 0:
        local += timedelta(days=1)
        d = local.date()
        weekend = d.weekday() >= 5
        if (d in policy.holidays) or (weekend and d not in policy.workdays_extra):
            continue
        remaining -= 1
    return local.astimezone(start.tzinfo)


def deadline(start: datetime, tier: str, policy: SlaPolicy) -> datetime | None:
    """When a ticket of this tier, claimed at start, must be done (or planned)."""
    days = tier_days(tier, policy)
    return None if days is None else add_days(start, days, policy)
