"""China's national holidays and 调休 workdays, from the maintained `chinese-calendar` package.

The State Council publishes each year's schedule in the autumn before; `chinese-calendar` ships it
in a new release. A year it does not know counts as plain weekdays and weekends, and `jiesu doctor`
warns about it (upgrade the package, or list the days in the config's `holidays`/`extra_workdays`).
"""

from __future__ import annotations

from datetime import date

import chinese_calendar

# Read once: two sets of dates (a few thousand), looked up for every day the clock walks.
_HOLIDAYS: frozenset[date] = frozenset(chinese_calendar.holidays)
_WORKDAYS: frozenset[date] = frozenset(chinese_calendar.workdays)
YEARS: frozenset[int] = frozenset(d.year for d in _HOLIDAYS)


def national_workday(day: date) -> bool | None:
    """Whether the national calendar makes `day` a working day; None for a year it does not know."""
    if day.year not in YEARS:
        return None
    if day in _HOLIDAYS:
        return False
    return day.weekday() < 5 or day in _WORKDAYS


def knows_year(year: int) -> bool:
    """Tell whether the installed calendar has the national schedule of `year`."""
    return year in YEARS


def library_version() -> str:
    """The installed chinese-calendar's version (for the doctor's advice)."""
    return str(getattr(chinese_calendar, "__version__", "?"))
