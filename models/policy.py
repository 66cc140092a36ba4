"""Tunable rules: SLA windows and points, built from the config file."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, time, timedelta


@dataclass(frozen=True)
class SlaPolicy:
    """The "135" deadlines and the reminder/escalation timing."""

    claim_within: timedelta = timedelta(hours=2)
    # A city hotline order's 签收 window (office time, like the claim window it replaces for them).
    sign_within: timedelta = timedelta(minutes=30)
    # 有事您找我: a property company's staff take a ticket within this (calendar time: the service
    # desk keeps a 24-hour duty) and finish it within the second; else the community takes over.
    property_claim_within: timedelta = timedelta(minutes=30)
    property_handle_within: timedelta = timedelta(days=1)
    # The longest 挂起 (pause) a handler may ask for; at its end the clock runs again by itself.
    max_pause: timedelta = timedelta(days=15)
    simple_days: int = 1
    difficult_days: int = 3
    pending_days: int = 5
    # 咨询 (a question the FAQ could not answer): answered within this many working days (12345's rule).
    consult_days: int = 3
    reminder_fractions: tuple[float, ...] = (0.5, 0.8)
    followup_reminder_after: timedelta = timedelta(hours=24)
    followup_autoclose_after: timedelta = timedelta(days=3)
    progress_push_after: timedelta = timedelta(hours=24)
    progress_push_every: timedelta = timedelta(days=1)
    working_days: bool = False
    holidays: frozenset[date] = field(default_factory=frozenset)
    workdays_extra: frozenset[date] = field(default_factory=frozenset)
    # China's national holidays and 调休 workdays (models/holidays.py) in the working-day calendar.
    national_holidays: bool = True
    timezone: str = "Asia/Shanghai"
    # After the last escalation level, remind this often until the ticket is done.
    overdue_repeat: timedelta = timedelta(days=1)
    # Local time of the daily digest to the subdistrict admins.
    digest_time: time = time(8, 30)
    # How often the scheduler scans for due deadlines (`jiesu run`).
    scan_every: timedelta = timedelta(minutes=1)
    # Local office spans on working days: the claim window and unclaimed escalation count only
    # these; tier-deadline escalation notices wait for the next span. Empty: always open.
    office_hours: tuple[tuple[time, time], ...] = ((time(8, 30), time(12, 0)), (time(13, 30), time(17, 30)))
    # Local quiet stretch (may span midnight): scheduled notices wait for its end. None: never quiet.
    quiet_hours: tuple[time, time] | None = (time(21, 30), time(7, 30))
    # Category codes that ignore office and quiet hours (the catalogue's `urgent` flag adds to these).
    urgent_categories: frozenset[str] = frozenset({"safety"})


@dataclass(frozen=True)
class PointsPolicy:
    """The 积分链 rules: how many points each event is worth."""

    close: int = 10
    double_yes: int = 20
    grab: int = 2
    meet: int = 3
    overdue: int = -5
    # The city's 回访 of a city order reaching 双是 (是否解决 and 是否满意): paid once, as city_double_yes.
    city_double_yes: int = 20
    # 双向积分+, points outside the office: a resident's confirmed report (paid once, when it closes)
    # and an adopted 金点子 (paid once, when it reaches 落地).
    report: int = 0  # off unless [points] report is set (the example config sets 5)
    idea: int = 20
    # Whether a resident's own chat 双是 pays double_yes (as it always has); a city order never pays it twice.
    chat_double_yes: bool = True


@dataclass(frozen=True)
class Limits:
    """Input limits that keep one message from filling the database."""

    description_min: int = 4
    description_max: int = 1000
    note_max: int = 500
    address_max: int = 200
    name_max: int = 40
    text_max: int = 4000
    # Photos one report keeps (the first, and the ones sent after it while the report is written).
    photos_max: int = 3


# Telegram redelivers an update for about 24 hours: a seen key must outlive that, with a margin.
REDELIVERY_WINDOW = timedelta(hours=26)


@dataclass(frozen=True)
class StoragePolicy:
    """How long housekeeping rows are kept: idempotency keys and finished outbox rows."""

    seen_keys_for: timedelta = timedelta(days=3)
    outbox_for: timedelta = timedelta(days=30)
