"""Deadline arithmetic for the "135" tiers, calendar or working days, and when to look at a ticket next."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy.orm import Session

from .hours import add_office_time, is_working_day, next_office_start
from .policy import SlaPolicy
from .property_first import claim_ends, with_company
from .refdata import catalogue
from .tables import CITY_SOURCE, Status, Ticket, Tier

# The escalation ladder: 0 grid, 1 community, 2 subdistrict department, 3 subdistrict leadership.
MAX_LEVEL = 3


def tier_days(tier: str, policy: SlaPolicy) -> int | None:
    """Length of a tier's window in days; None for tiers without a deadline."""
    return {
        Tier.SIMPLE: policy.simple_days,
        Tier.DIFFICULT: policy.difficult_days,
        Tier.PENDING: policy.pending_days,
        Tier.CONSULT: policy.consult_days,
    }.get(Tier(tier))


def add_days(start: datetime, days: int, policy: SlaPolicy) -> datetime:
    """Start plus days: calendar days, or working days skipping weekends and holidays.

    Working days keep the local time of day: a ticket claimed on Friday 10:00 with a
    one-day window is due on Monday 10:00 (or later when Monday is a holiday)."""
    if not policy.working_days:
        return start + timedelta(days=days)
    tz = ZoneInfo(policy.timezone)
    local = start.astimezone(tz).replace(tzinfo=None)
    remaining = days
    while remaining > 0:
        local += timedelta(days=1)
        if is_working_day(local.date(), policy):
            remaining -= 1
    # Wall-clock arithmetic, then back to an aware instant (DST-safe for zones that have it).
    return local.replace(tzinfo=tz).astimezone(start.tzinfo)


def deadline(start: datetime, tier: str, policy: SlaPolicy) -> datetime | None:
    """When a ticket of this tier, claimed at start, must be done (or planned)."""
    days = tier_days(tier, policy)
    if tier == Tier.CONSULT:  # the city's rule for consultations counts working days, always
        policy = replace(policy, working_days=True)
    return None if days is None else add_days(start, days, policy)


def reminder_time(start: datetime, due: datetime, fraction: float) -> datetime:
    """The moment a given fraction of the window has passed."""
    return start + (due - start) * fraction


def next_window_step(ticket: Ticket, policy: SlaPolicy) -> datetime | None:
    """When a claimed ticket's window next speaks: its next reminder, or its deadline."""
    if ticket.due_at is None:
        return None
    start = ticket.window_started_at or ticket.due_at
    fractions = policy.reminder_fractions
    if ticket.reminders_sent < len(fractions):
        return reminder_time(start, ticket.due_at, fractions[ticket.reminders_sent])
    return ticket.due_at


def window_check(start: datetime, due: datetime, steps: int, policy: SlaPolicy) -> datetime:
    """Next moment of a resolution window after `steps` steps (reminders, then the deadline, then repeats)."""
    fractions = policy.reminder_fractions
    if steps < len(fractions):
        return reminder_time(start, due, fractions[steps])
    if steps == len(fractions):
        return due
    return due + (steps - len(fractions)) * policy.overdue_repeat


def unclaimed_check(
    created: datetime, level: int, repeats: int, policy: SlaPolicy, *, urgent: bool = False, first: int = 0
) -> datetime:
    """Next moment for an unclaimed ticket: one level up per claim window, then repeats at the top.

    Claim windows count office time only, unless the ticket is urgent; the repeats at the
    top count calendar time and are moved to the next office start when they fall outside.
    first: the level the ticket started climbing from at `created` (1: a property company's
    ticket the community took over then)."""
    climbed, rungs = level - first, MAX_LEVEL - first
    if urgent:
        if level < MAX_LEVEL:
            return created + (climbed + 1) * policy.claim_within
        return created + rungs * policy.claim_within + (repeats + 1) * policy.overdue_repeat
    if level < MAX_LEVEL:
        return add_office_time(created, (climbed + 1) * policy.claim_within, policy)
    top = add_office_time(created, rungs * policy.claim_within, policy)
    return next_office_start(top + (repeats + 1) * policy.overdue_repeat, policy)


def claim_missed_at(ticket: Ticket, policy: SlaPolicy, *, urgent: bool = False) -> datetime:
    """When an unclaimed ticket's claim window ends: the moment the ladder first escalates it.

    Every figure that calls an unclaimed ticket late (digest, /overdue, the office, exports)
    counts from here, so none disagrees with the ladder."""
    if ticket.property_id is not None:
        return claim_ends(ticket, policy)  # the company's own window
    return unclaimed_check(ticket.created_at, 0, 0, policy, urgent=urgent)


def is_urgent(session: Session, ticket: Ticket, policy: SlaPolicy) -> bool:
    """Tell whether a ticket's category ignores office and quiet hours (the catalogue snapshot's word)."""
    return catalogue(session).is_urgent(ticket.category_code, policy.urgent_categories)


def next_check(ticket: Ticket, policy: SlaPolicy, *, urgent: bool = False) -> datetime | None:
    """When the scan must next look at a ticket, derived from its state alone (None: never).

    `urgent` (see is_urgent): an unclaimed ticket's ladder counts calendar time, not office time."""
    if ticket.status == Status.OPEN and ticket.tier == Tier.CONSULT:
        # A consultation is answered, not grabbed: its one check is its deadline.
        return ticket.due_at if ticket.overdue_since is None else None
    if ticket.status == Status.OPEN:
        if tier_days(ticket.tier, policy) is None:
            return None  # suggestions are under no deadline
        if ticket.source == CITY_SOURCE:  # a city order is to be signed for (签收) within its own window
            policy = replace(policy, claim_within=policy.sign_within)
        if with_company(ticket):
            return claim_ends(ticket, policy)  # then the community takes over (兜底)
        if ticket.property_left_at is not None:  # the community's ladder starts when it took over
            return unclaimed_check(
                ticket.property_left_at, ticket.level, ticket.reminders_sent, policy, urgent=urgent, first=1
            )
        return unclaimed_check(ticket.created_at, ticket.level, ticket.reminders_sent, policy, urgent=urgent)
    if ticket.status == Status.CLAIMED:
        if ticket.paused_at is not None:
            return ticket.pause_until  # 挂起: no reminders; at the limit the scan resumes it
        if ticket.due_at is None:
            return None
        start = ticket.window_started_at or ticket.due_at
        return window_check(start, ticket.due_at, ticket.reminders_sent, policy)
    if ticket.status == Status.RESOLVED:
        asked = ticket.followup_asked_at or ticket.resolved_at
        if asked is None:
            return None
        remind = policy.followup_reminder_after < policy.followup_autoclose_after
        if remind and not ticket.followup_reminded:
            return asked + policy.followup_reminder_after
        return asked + policy.followup_autoclose_after
    return None
