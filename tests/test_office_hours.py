"""Office hours for the claim clock, quiet nights for scheduled notices, urgent categories."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any

import pytest

from bot.config import ConfigError, load
from handlers import texts
from models.hours import add_office_time, hold_until, next_office_start, quiet_until
from models.policy import SlaPolicy

from .conftest import _copy_sqlite_template
from .harness import Harness
from .test_sla import COMMUNITY, bind_ladder, until

# Every group notice here (cards, reposts, the ladder) is masked and holds no phone number.
pytestmark = pytest.mark.usefixtures("group_privacy")

POLICY = SlaPolicy()


def local(day: int, hour: int, minute: int = 0) -> datetime:
    """A November 2026 moment given in Shanghai time (UTC+8), as an aware UTC instant."""
    return datetime(2026, 11, day, hour, minute, tzinfo=UTC) - timedelta(hours=8)


async def make(db_url: str, factory: pytest.TempPathFactory, **sla: Any) -> Harness:
    """A harness whose [sla] rules differ from the defaults by `sla`."""
    if db_url.startswith("sqlite:///"):
        await _copy_sqlite_template(db_url, factory)
    config = load(None, env={})
    config.rules = replace(config.rules, sla=replace(config.rules.sla, **sla))
    return await Harness.create(db_url, config)


@pytest.fixture
async def h_days(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    """Working days on, Monday 30 November a holiday."""
    holiday = frozenset({date(2026, 11, 30)})
    harness = await make(db_url, tmp_path_factory, working_days=True, holidays=holiday)
    try:
        yield harness
    finally:
        harness.close()


@pytest.fixture
async def h_fold(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    """Two reminders that both fall in the night (70% at 01:48, 80% at 04:12 of a 09:00 claim)."""
    harness = await make(db_url, tmp_path_factory, reminder_fractions=(0.7, 0.8))
    try:
        yield harness
    finally:
        harness.close()


@pytest.fixture
async def h_late(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    """Reminders at 87.5% and 99%: of a window from Mon 08:00 to Tue 08:00, at 05:00 and 07:45."""
    harness = await make(db_url, tmp_path_factory, reminder_fractions=(0.875, 0.99))
    try:
        yield harness
    finally:
        harness.close()


# --- the calendar itself ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("start", "hours", "expected"),
    [
        (local(23, 22), 2, local(24, 10, 30)),  # a night report: the window starts at 08:30
        (local(23, 11), 2, local(23, 14, 30)),  # lunch does not count
        (local(23, 8, 30), 2, local(23, 10, 30)),  # inside office hours: plain time
        (local(27, 17), 2, local(30, 10)),  # Friday 17:00: 30 min, then Monday 08:30 + 1h30
        (local(28, 9), 2, local(30, 10, 30)),  # Saturday: nothing counts until Monday
        (local(23, 12), 4, local(23, 17, 30)),  # a span that ends exactly when the time runs out
    ],
)
def test_office_time_counts_only_office_spans_of_working_days(
    start: datetime, hours: int, expected: datetime
) -> None:
    """Claim windows run 08:30-12:00 and 13:30-17:30 on working days only."""
    assert add_office_time(start, timedelta(hours=hours), POLICY) == expected


def test_office_time_skips_holidays_and_honours_extra_workdays() -> None:
    """The working-day calendar decides which days have office hours (调休 included)."""
    holiday = replace(POLICY, holidays=frozenset({date(2026, 11, 30)}))
    assert add_office_time(local(27, 18), timedelta(hours=2), holiday) == datetime(
        2026, 12, 1, 2, 30, tzinfo=UTC
    )
    extra = replace(POLICY, workdays_extra=frozenset({date(2026, 11, 28)}))
    assert add_office_time(local(27, 18), timedelta(hours=2), extra) == local(28, 10, 30)


def test_no_office_hours_means_plain_time() -> None:
    """office_hours = [] keeps the calendar-time ladder."""
    open_all_day = replace(POLICY, office_hours=())
    assert add_office_time(local(23, 22), timedelta(hours=2), open_all_day) == local(24, 0)
    assert next_office_start(local(23, 22), open_all_day) == local(23, 22)


def test_quiet_hours_span_midnight() -> None:
    """21:30-07:30: quiet until 07:30 of the right day; daytime is not quiet."""
    assert quiet_until(local(23, 21, 29), POLICY) is None
    assert quiet_until(local(23, 21, 30), POLICY) == local(24, 7, 30)
    assert quiet_until(local(24, 4, 12), POLICY) == local(24, 7, 30)
    assert quiet_until(local(24, 7, 30), POLICY) is None
    assert quiet_until(local(24, 4), replace(POLICY, quiet_hours=None)) is None


def test_escalation_notices_wait_for_office_hours_and_the_end_of_quiet_hours() -> None:
    """A deadline at 22:00 is told at 08:30; a reminder at 04:12 at 07:30; at 10:00 nothing waits."""
    assert hold_until(local(24, 22), POLICY, office=True) == local(25, 8, 30)
    assert hold_until(local(24, 4, 12), POLICY) == local(24, 7, 30)
    assert hold_until(local(24, 10), POLICY, office=True) is None
    assert hold_until(local(24, 12, 30), POLICY, office=True) == local(24, 13, 30)


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('office_hours = "08:30-12:00"', "sla.office_hours: expected a list"),
        ('office_hours = ["12:00-08:30"]', "spans must lie within one day"),
        ('office_hours = ["08:30-12:00", "11:00-17:30"]', "without overlap"),
        ('office_hours = ["08:30"]', "expected a span like '08:30-12:00'"),
        ('quiet_hours = "21:30-21:30"', "must not start and end at the same time"),
    ],
)
def test_bad_office_or_quiet_hours_are_refused_with_a_clear_message(
    tmp_path: Any, toml: str, message: str
) -> None:
    """A wrong [sla] span stops startup with the key and an example."""
    path = tmp_path / "jiesu.toml"
    path.write_text(f"[sla]\n{toml}\n", encoding="utf-8")
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace("[", r"\[")):
        load(str(path), env={})


def test_office_and_quiet_hours_are_read_from_the_config(tmp_path: Any) -> None:
    """The keys change the policy; '' and [] switch them off."""
    path = tmp_path / "jiesu.toml"
    path.write_text(
        '[sla]\noffice_hours = ["09:00-17:00"]\nquiet_hours = ""\n'
        'urgent_categories = ["safety", "elevator"]\n',
        encoding="utf-8",
    )
    sla = load(str(path), env={}).rules.sla
    assert sla.office_hours == ((time(9), time(17)),)
    assert sla.quiet_hours is None
    assert sla.urgent_categories == frozenset({"safety", "elevator"})
    default = load(None, env={}).rules.sla.office_hours
    assert default == ((time(8, 30), time(12)), (time(13, 30), time(17, 30)))


# --- clock tests on both databases ----------------------------------------------------------


async def test_a_report_at_22_is_escalated_at_10_30_next_working_day(h: Harness) -> None:
    """Nothing climbs overnight: the community hears of an unclaimed 22:00 report at 10:30."""
    await h.setup_grid()
    await bind_ladder(h)
    h.clock.set(local(23, 22))
    tid = await h.report()
    night = await until(h, local(23, 22), timedelta(hours=12, minutes=29))  # to Tue 10:29
    assert h.to("@siji", night) == [] and h.to("@cg", night) == [] and h.to("@lead", night) == []
    assert h.to("r1", night) == []
    assert h.ticket(tid).level == 0
    out = await until(h, local(24, 10, 29), timedelta(minutes=1))
    community = h.to("@siji", out)
    assert len(community) == 1 and community[0].startswith(f"【督办 · {COMMUNITY}】工单 #{tid}")
    assert h.to("r1", out) == [texts.R_UNCLAIMED_ESCALATED.format(id=tid, level=COMMUNITY)]
    # The next level after two more office hours, lunch excluded: 10:30-12:00, 13:30-14:00.
    out = await until(h, local(24, 10, 30), timedelta(hours=3, minutes=29))
    assert h.to("@cg", out) == []
    out = await until(h, local(24, 13, 59), timedelta(minutes=1))
    assert len(h.to("@cg", out)) == 1


async def test_overdue_figures_use_the_ladders_office_clock(h: Harness) -> None:
    """A 22:00 report is not late at 08:30 (the ladder escalates it at 10:30); at 11:00 it is 30 min late."""
    await h.setup_grid()
    h.clock.set(local(23, 22))
    tid = await h.report()
    h.clock.set(local(24, 8, 30))
    assert h.to("admin", await h.say("admin: /overdue")) == [texts.OVERDUE_EMPTY]
    h.clock.set(local(24, 11))
    (listed,) = h.to("admin", await h.say("admin: /overdue"))
    assert f"#{tid}" in listed and texts.LATE.format(duration="30分钟") in listed


async def test_an_urgent_category_at_22_escalates_at_once(h: Harness) -> None:
    """公共安全 ignores office and quiet hours: the community hears at midnight."""
    await h.setup_grid()
    await bind_ladder(h)
    h.clock.set(local(23, 22))
    tid = await h.report(category=("公共安全", "其他安全隐患"))
    out = await until(h, local(23, 22), timedelta(hours=2))
    community = h.to("@siji", out)
    assert len(community) == 1 and community[0].startswith(f"【督办 · {COMMUNITY}】工单 #{tid}")
    assert len(h.to("r1", out)) == 1
    assert h.ticket(tid).level == 1


async def test_a_friday_evening_report_waits_for_the_day_after_the_holiday(h_days: Harness) -> None:
    """Friday 18:00, Monday a holiday: the first escalation comes on Tuesday at 10:30."""
    h = h_days
    await h.setup_grid()
    await bind_ladder(h)
    h.clock.set(local(27, 18))
    tid = await h.report()
    out = await h.advance(datetime(2026, 12, 1, 2, 29, tzinfo=UTC) - h.clock.now())  # Tue 10:29
    assert h.to("@siji", out) == [] and h.ticket(tid).level == 0
    out = await h.advance(timedelta(minutes=1))
    assert len(h.to("@siji", out)) == 1 and h.ticket(tid).level == 1


async def test_night_reminders_wait_for_07_30_and_speak_once_for_07_30(h_fold: Harness) -> None:
    """70% (01:48) and 80% (04:12) fall in the night: at 07:30 one reminder, worded for 07:30."""
    h = h_fold
    tid = await h.claimed()  # claimed Mon 09:00, due Tue 09:00
    out = await until(h, local(23, 9), timedelta(hours=22, minutes=29))  # to Tue 07:29
    assert [m for m in h.to("w1", out) if "提醒" in m] == []
    assert h.ticket(tid).reminders_sent == 2  # both were due and are recorded on time
    out = await h.advance(timedelta(minutes=1))
    reminders = h.to("w1", out)
    assert reminders == [
        texts.SLA_REMINDER.format(
            id=tid, category="大城管/道路破损", percent=94, due="11月24日 09:00", left="1小时30分"
        )
    ]
    out = await h.advance(timedelta(minutes=30))
    assert h.to("w1", out) == []


async def test_a_held_reminder_followed_soon_by_the_next_is_dropped(h_late: Harness) -> None:
    """87.5% falls at 05:00 (held to 07:30), 99% at 07:45: the handler hears only the 99% one."""
    h = h_late
    h.clock.set(local(23, 8))
    tid = await h.claimed()  # claimed Mon 08:00, due Tue 08:00
    out = await until(h, local(23, 8), timedelta(hours=23, minutes=50))  # to Tue 07:50
    reminders = [m for m in h.to("w1", out) if m.startswith("提醒")]
    assert len(reminders) == 1 and "已过 99%" in reminders[0], reminders
    assert h.ticket(tid).reminders_sent == 2


async def test_a_deadline_at_night_is_marked_then_told_at_office_start(h: Harness) -> None:
    """Due Tue 22:00: overdue (and −5) at 22:00 for the statistics, the ladder hears at Wed 08:30."""
    await bind_ladder(h)
    h.clock.set(local(23, 21, 50))
    tid = await h.claimed()  # grabbed about 21:50, due Tue about 21:50
    due = h.ticket(tid).due_at
    assert due is not None
    out = await h.advance(due - h.clock.now() + timedelta(minutes=1))
    assert h.ticket(tid).level == 1 and h.ticket(tid).overdue_count == 1
    assert h.ticket(tid).overdue_since == due
    assert h.to("@siji", out) == [] and [m for m in h.to("w1", out) if "超过办结时限" in m] == []
    out = await h.advance(local(25, 8, 29) - h.clock.now())
    assert h.to("@siji", out) == []
    out = await h.advance(timedelta(minutes=1))
    assert len(h.to("@siji", out)) == 1
    assert len([m for m in h.to("w1", out) if "超过办结时限" in m]) == 1
    assert len(h.to("r1", out)) == 1


async def test_direct_answers_are_never_held(h: Harness) -> None:
    """At 23:00 a worker who grabs still gets the answer, and the resident hears at once."""
    await h.setup_grid()
    h.clock.set(local(23, 22, 50))
    tid = await h.report()
    out = await h.say(f"w1: 抢单 {tid}")
    assert len(h.to("w1", out)) >= 1 and len(h.to("r1", out)) == 1
