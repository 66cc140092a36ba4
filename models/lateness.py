"""One definition of overdue: claimed past a deadline, or still open past the claim window.

The claim window counts office time, as the escalation ladder does: an open ticket is late once
the ladder has escalated it (its level is above 0) or its claim deadline (`next_check_at` at
level 0) has passed. Office time is never shorter than wall time, so `created_at < now -
claim_within` only narrows the search first (an index range)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CompoundSelect, and_, or_, select, union_all
from sqlalchemy.sql.elements import ColumnElement

from .policy import SlaPolicy
from .sla import claim_missed_at
from .tables import Status, Ticket, Tier


def claimed_late(now: datetime) -> ColumnElement[bool]:
    """Claimed and past a deadline (an escalated ticket stays late though its due_at moved on)."""
    return and_(Ticket.status == Status.CLAIMED, or_(Ticket.overdue_since.is_not(None), Ticket.due_at < now))


def unclaimed_late(now: datetime, claim_within: timedelta) -> ColumnElement[bool]:
    """Open and not grabbed within the claim window, by the ladder's clock (a 咨询: past its due)."""
    return and_(
        Ticket.status == Status.OPEN,
        Ticket.created_at < now - claim_within,
        or_(Ticket.level > 0, Ticket.next_check_at <= now, Ticket.overdue_since.is_not(None)),
    )


def late(now: datetime, claim_within: timedelta) -> ColumnElement[bool]:
    """The SQL test of overdue: the same in every view, filter, count and export."""
    return or_(claimed_late(now), unclaimed_late(now, claim_within))


def late_ids(now: datetime, claim_within: timedelta) -> CompoundSelect[Any]:
    """The numbers of the late tickets, as three index range reads (the same set as late())."""
    return union_all(
        select(Ticket.id).where(Ticket.status == Status.CLAIMED, Ticket.overdue_since.is_not(None)),
        select(Ticket.id).where(
            Ticket.status == Status.CLAIMED, Ticket.overdue_since.is_(None), Ticket.due_at < now
        ),
        select(Ticket.id).where(unclaimed_late(now, claim_within)),
    )


def is_late(t: Ticket, now: datetime, claim_within: timedelta) -> bool:
    """The same test in Python, for one loaded ticket."""
    return late_values(
        t.status, t.overdue_since, t.due_at, t.created_at, now, claim_within, t.level, t.next_check_at
    )


def late_values(
    status: str,
    overdue_since: datetime | None,
    due_at: datetime | None,
    created_at: datetime,
    now: datetime,
    claim_within: timedelta,
    level: int = 0,
    next_check_at: datetime | None = None,
) -> bool:
    """The same test on a ticket's columns read without the ticket (the map's lean rows)."""
    if status == Status.CLAIMED:
        return overdue_since is not None or (due_at is not None and due_at < now)
    if status != Status.OPEN or created_at >= now - claim_within:
        return False
    return level > 0 or overdue_since is not None or (next_check_at is not None and next_check_at <= now)


def first_missed(t: Ticket, policy: SlaPolicy) -> datetime | None:
    """The first deadline a late ticket missed (escalation moves due_at, not this).

    For an open ticket, the end of its claim window in office time, as the ladder counts it."""
    if t.status == Status.OPEN and t.tier != Tier.CONSULT:  # a 咨询 is due, not to be claimed
        return claim_missed_at(t, policy)
    return t.overdue_since or t.due_at
