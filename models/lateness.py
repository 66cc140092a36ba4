"""One definition of overdue: claimed past a deadline, or still open past the claim window."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import and_, or_
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


def is_late(t: Ticket, now: datetime, claim_within: timedelta) -> bool:
    """The same test in Python, for one loaded ticket."""
    if t.status == Status.CLAIMED:
        return t.overdue_since is not None or (t.due_at is not None and t.due_at < now)
    return t.status == Status.OPEN and t.created_at < now - claim_within


def first_missed(t: Ticket, claim_within: timedelta) -> datetime | None:
    """The first deadline a late ticket missed (escalation moves due_at, not this)."""
    if t.status == Status.OPEN:
        return t.created_at + claim_within
    return t.overdue_since or t.due_at
