"""Office hours and quiet hours: when the claim clock runs, and when non-urgent notices may go out."""

from __future__ import annotations

from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from .holidays import national_workday
from .policy import SlaPolicy

# Longest stretch searched for the next office minute (a calendar with no working day at all).
_HORIZON_DAYS = 400


def is_working_day(day: date, policy: SlaPolicy) -> bool:
    """Tell whether a date counts in the working-day calendar.

    The config's own `holidays` and `extra_workdays` decide first (local overrides), then the
    national schedule (holidays and 调休 workdays) when `national_holidays` is on and knows the
    year, then the plain week."""
    if day in policy.holidays:
        return False
    if day in policy.workdays_extra:
        return True
    if policy.national_holidays:
        national = national_workday(day)
        if national is not None:
            return national
    return day.weekday() < 5


def _local(when: datetime, policy: SlaPolicy) -> datetime:
    return when.astimezone(ZoneInfo(policy.timezone)).replace(tzinfo=None)


def _aware(local: datetime, when: datetime, policy: SlaPolicy) -> datetime:
    return local.replace(tzinfo=ZoneInfo(policy.timezone)).astimezone(when.tzinfo)


def _day_spans(local: datetime, policy: SlaPolicy) -> list[tuple[datetime, datetime]]:
    """The office spans of a local day (empty on a non-working day)."""
    day = local.date()
    if not is_working_day(day, policy):
        return []
    return [(datetime.combine(day, start), datetime.combine(day, end)) for start, end in policy.office_hours]


def add_office_time(start: datetime, delta: timedelta, policy: SlaPolicy) -> datetime:
    """Start plus `delta` of office time (plain time when no office hours are configured).

    Office days are the working-day calendar's days; a span that ends exactly when the
    duration runs out ends there (a 2h window from 08:30 ends at 10:30, not after lunch)."""
    if not policy.office_hours:
        return start + delta
    cursor = _local(start, policy)
    remaining = delta
    for _ in range(_HORIZON_DAYS):
        for span_start, span_end in _day_spans(cursor, policy):
            begin = max(cursor, span_start)
            if begin >= span_end:
                continue
            if remaining <= span_end - begin:
                return _aware(begin + remaining, start, policy)
            remaining -= span_end - begin
        cursor = datetime.combine(cursor.date() + timedelta(days=1), time(0))
    return start + delta  # no office day within the horizon: fall back to plain time


def next_office_start(when: datetime, policy: SlaPolicy) -> datetime:
    """`when` itself inside office hours, else the start of the next office span."""
    if not policy.office_hours:
        return when
    cursor = _local(when, policy)
    for _ in range(_HORIZON_DAYS):
        for span_start, span_end in _day_spans(cursor, policy):
            if span_start <= cursor < span_end:
                return when
            if cursor < span_start:
                return _aware(span_start, when, policy)
        cursor = datetime.combine(cursor.date() + timedelta(days=1), time(0))
    return when


def quiet_until(when: datetime, policy: SlaPolicy) -> datetime | None:
    """The end of the quiet hours `when` falls in (None: not quiet, or no quiet hours)."""
    if policy.quiet_hours is None:
        return None
    start, end = policy.quiet_hours
    local = _local(when, policy)
    now = local.time()
    if start <= end:  # a quiet stretch within one day
        if start <= now < end:
            return _aware(datetime.combine(local.date(), end), when, policy)
        return None
    if now >= start:  # over midnight: quiet until tomorrow's end
        return _aware(datetime.combine(local.date() + timedelta(days=1), end), when, policy)
    if now < end:
        return _aware(datetime.combine(local.date(), end), when, policy)
    return None


def hold_until(when: datetime, policy: SlaPolicy, *, office: bool = False) -> datetime | None:
    """When a scheduled notice produced at `when` may go out (None: at once).

    Quiet hours hold every scheduled notice; `office` also holds it to the next office start
    (escalation notices of a deadline that passed out of hours)."""
    at = when
    if office:
        at = next_office_start(at, policy)
    quiet = quiet_until(at, policy)
    if quiet is not None:
        at = quiet
    return at if at > when else None
