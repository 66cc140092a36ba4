"""One definition of overdue: claimed past a deadline, or still open past the claim window."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import CompoundSelect, and_, or_, select, union_all
from sqlalchemy.sql.elements import ColumnElement

from .tables import Status, Ticket


def claimed_late(now: datetime) -> ColumnElement[bool]:
    """Claimed and past a deadline (an escalated ticket stays late though its due_at moved on)."""
    return and_(Ticket.status == Status.CLAIMED, or_(Ticket.overdue_since.is_not(None), Ticket.due_at < now))


def unclaimed_late(now: datetime, claim_within: timedelta) -> ColumnElement[bool]:
    """Open and not grabbed within the claim window."""
    return and_(Ticket.status == Status.OPEN, Ticket.created_at < now - claim_within)


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
        select(Ticket.id).where(Ticket.status == Status.OPEN, Ticket.created_at < now - claim_within),
    )


def is_late(t: Ticket, now: datetime, claim_within: timedelta) -> bool:
    """The same test in Python, for one loaded ticket."""
    return late_values(t.status, t.overdue_since, t.due_at, t.created_at, now, claim_within)


def late_values(
    status: str,
    overdue_since: datetime | None,
    due_at: datetime | None,
    created_at: datetime,
    now: datetime,
    claim_within: timedelta,
) -> bool:
    """The same test on a ticket's columns read without the ticket (the map's lean rows)."""
    if status == Status.CLAIMED:
        return overdue_since is not None or (due_at is not None and due_at < now)
    return status == Status.OPEN and created_at < now - claim_within


def first_missed(t: Ticket, claim_within: timedelta) -> datetime | None:
    """The first deadline a late ticket missed (escalation moves due_at, not this)."""
    if t.status == Status.OPEN:
        return t.created_at + claim_within
    return t.overdue_since or t.due_at
