"""The working-day calendar (weekends, holidays, 调休) and the SLA config keys."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import ConfigError, load
from handlers import texts
from models.hours import add_office_time
from models.policy import SlaPolicy
from models.sla import add_days, next_check

from .harness import Harness
from .test_sla import COMMUNITY, until

SHANGHAI = "Asia/Shanghai"
HOLIDAY = date(2026, 11, 30)  # a Monday


def local(day: date, hour: int = 9) -> datetime:
    """An instant (UTC) at a local time of day in Shanghai."""
    return datetime.combine(day, time(hour), ZoneInfo(SHANGHAI)).astimezone(UTC)


def test_working_days_skip_weekend_and_holiday() -> None:
    """One working day from Friday 09:00 is Monday 09:00, or Tuesday when Monday is a holiday."""
    policy = SlaPolicy(working_days=True)
    friday = local(date(2026, 11, 27))
    assert add_days(friday, 1, policy) == local(date(2026, 11, 30))
    assert add_days(friday, 1, replace(policy, holidays=frozenset({HOLIDAY}))) == local(date(2026, 12, 1))
    assert add_days(friday, 3, replace(policy, holidays=frozenset({HOLIDAY}))) == local(date(2026, 12, 3))
    # Calendar days (the default) count the weekend.
    assert add_days(friday, 1, SlaPolicy()) == local(date(2026, 11, 28))


def test_an_extra_working_saturday_counts() -> None:
    """A weekend day listed as an extra working day (调休) counts as a working day."""
    policy = SlaPolicy(working_days=True, workdays_extra=frozenset({date(2026, 11, 28)}))
    assert add_days(local(date(2026, 11, 27)), 1, policy) == local(date(2026, 11, 28))


@pytest.fixture
async def hw(db_url: str) -> AsyncIterator[Harness]:
    """The demo subdistrict with the working-day calendar and Monday 30 November as a holiday."""
    config = load(None, env={})
    sla = replace(config.rules.sla, working_days=True, holidays=frozenset({HOLIDAY}))
    config.rules = replace(config.rules, sla=sla)
    harness = await Harness.create(db_url, config)
    try:
        yield harness
    finally:
        harness.close()


async def test_friday_ticket_escalates_on_tuesday_after_a_holiday_monday(hw: Harness) -> None:
    """A simple ticket claimed on Friday is due Tuesday (Monday is a holiday) and escalates only then."""
    h = hw
    h.clock.set(local(date(2026, 11, 27)))  # Friday 09:00, nothing filed yet
    tid = await h.claimed()
    c = h.clock.now()
    t = h.ticket(tid)
    assert t.due_at == local(date(2026, 12, 1))
    assert t.next_check_at == next_check(t, h.app.rules.sla) == c + timedelta(days=2)  # 50% of 4 days
    # Saturday 09:00 (a calendar day) and Monday 09:00 (the holiday) pass without escalation.
    out = await until(h, c, timedelta(days=3, minutes=5))
    assert h.ticket(tid).level == 0 and not [m for m in h.to("w1", out) if "已超过办结时限" in m]
    out = await until(h, c, timedelta(days=3, hours=23, minutes=55))
    assert h.ticket(tid).level == 0
    out = await until(h, c, timedelta(days=4))
    assert h.ticket(tid).level == 1
    assert h.to("w1", out)[0] == texts.W_OVERDUE.format(
        id=tid, level=COMMUNITY, penalty="，积分 -5", due="12月2日 09:00"
    )


def test_sla_config_keys_are_read(tmp_path: Path) -> None:
    """[sla] digest_time, overdue_repeat, scan_every and [stats] chart_dir are read from the config file."""
    path = tmp_path / "jiesu.toml"
    path.write_text(
        '[sla]\ndigest_time = "07:45"\noverdue_repeat = "12h"\nscan_every = "30s"\n'
        'working_days = true\nholidays = ["2026-10-01"]\n[stats]\nchart_dir = "charts"\n',
        encoding="utf-8",
    )
    config = load(path, env={})
    sla = config.rules.sla
    assert (sla.digest_time, sla.overdue_repeat, sla.scan_every) == (
        time(7, 45),
        timedelta(hours=12),
        timedelta(seconds=30),
    )
    assert sla.working_days and sla.holidays == frozenset({date(2026, 10, 1)})
    assert config.rules.chart_dir == "charts"


@pytest.mark.parametrize(
    ("line", "message"),
    [
        ('digest_time = "8点半"', "sla.digest_time: expected a time of day like '08:30'"),
        ('digest_time = "25:00"', "sla.digest_time: expected a time of day like '08:30'"),
        ('overdue_repeat = "0h"', "must be longer than zero"),
        ('scan_every = "soon"', "sla.scan_every: expected a duration"),
        ("reminders = [0.5, 1.2]", "each fraction must be between 0 and 1"),
        ('holidays = ["国庆"]', "sla.holidays: '国庆' is not a date"),
    ],
)
def test_bad_sla_config_is_refused_with_a_clear_message(tmp_path: Path, line: str, message: str) -> None:
    """A bad [sla] value stops start-up with a message naming the key and the expected form."""
    path = tmp_path / "jiesu.toml"
    path.write_text(f"[sla]\n{line}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=re.escape(message)):
        load(path, env={})


# 国庆 2026 (State Council schedule): 1–7 October off; Saturday 10 October is a 调休 working day.
NATIONAL_DAY = [date(2026, 10, d) for d in range(1, 8)]
ADJUSTED_SATURDAY = date(2026, 10, 10)


def test_national_day_week_is_skipped_from_the_national_calendar() -> None:
    """A one-day ticket claimed on 30 September is due on 8 October: the 国庆 week is off without config."""
    policy = SlaPolicy(working_days=True)
    assert add_days(local(date(2026, 9, 30)), 1, policy) == local(date(2026, 10, 8))
    # Without the national calendar the same window would end on Thursday 1 October.
    assert add_days(local(date(2026, 9, 30)), 1, replace(policy, national_holidays=False)) == local(
        date(2026, 10, 1)
    )


def test_an_adjusted_saturday_is_a_working_day() -> None:
    """Friday 9 October + 1 working day is Saturday 10 October, the 调休 day, not Monday."""
    policy = SlaPolicy(working_days=True)
    assert add_days(local(date(2026, 10, 9)), 1, policy) == local(ADJUSTED_SATURDAY)
    assert add_days(local(date(2026, 10, 9)), 2, policy) == local(date(2026, 10, 12))


def test_local_overrides_beat_the_national_calendar() -> None:
    """The config's holidays and extra_workdays still decide first: a local day off, a local 调休 Sunday."""
    policy = SlaPolicy(
        working_days=True,
        holidays=frozenset({date(2026, 10, 8)}),
        workdays_extra=frozenset({date(2026, 10, 4)}),
    )
    assert add_days(local(date(2026, 9, 30)), 1, policy) == local(date(2026, 10, 4))
    assert add_days(local(date(2026, 10, 4)), 1, policy) == local(date(2026, 10, 9))


def test_office_hours_close_for_the_national_holiday() -> None:
    """A claim window opened on 30 September at 17:00 runs on 8 October, the first office day after 国庆."""
    policy = SlaPolicy()
    start = datetime.combine(date(2026, 9, 30), time(17), ZoneInfo(SHANGHAI))
    assert add_office_time(start, timedelta(hours=2), policy) == datetime.combine(
        date(2026, 10, 8), time(10), ZoneInfo(SHANGHAI)
    )


def test_national_holidays_can_be_switched_off_in_the_config(tmp_path: Path) -> None:
    """[sla] national_holidays = false leaves only the weekends and the config's own days."""
    path = tmp_path / "jiesu.toml"
    path.write_text("[sla]\nnational_holidays = false\n", encoding="utf-8")
    assert load(path, env={}).rules.sla.national_holidays is False
    assert load(None, env={}).rules.sla.national_holidays is True
