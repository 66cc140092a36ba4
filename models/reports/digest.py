"""The daily digest's figures (每日督办简报): counts of the day, late tickets, and when it is due."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from sqlalchemy import func, select

from .. import lateness, sla
from ..people import admins_over
from ..store.seen import first_time
from ..store.unit_of_work import Unit
from ..tables import Person, Status, Ticket
from . import stats


@dataclass(frozen=True)
class DayFigures:
    """What is active now, and what came in and went out on the day before."""

    day: date
    open: int
    claimed: int
    resolved: int
    new: int
    solved: int

    @property
    def active(self) -> int:
        """Tickets not yet final."""
        return self.open + self.claimed + self.resolved


def moment(day: date, at: time, tz: str) -> datetime:
    """The instant of a local time of day."""
    return datetime.combine(day, at, ZoneInfo(tz))


def late_tickets(
    u: Unit, area_ids: set[int] | None = None, limit: int = 200
) -> list[tuple[Ticket, timedelta]]:
    """Late claimed tickets, then open ones past the claim window, each with how late it is."""
    policy = u.rules.sla
    late = stats.overdue(u.session, u.now, area_ids, limit)
    rows = [(t, u.now - missed) for t in late if (missed := lateness.first_missed(t, policy)) is not None]
    # Which open tickets are late is lateness's one test; how late counts from the claim deadline
    # the ladder used (an urgent category's in plain time).
    for t in stats.unclaimed_late(u.session, u.now, policy.claim_within, area_ids, limit):
        missed = sla.claim_missed_at(t, policy, urgent=sla.is_urgent(u.session, t, policy))
        rows.append((t, max(u.now - missed, timedelta(0))))
    return rows


def figures(u: Unit, day: date) -> DayFigures:
    """The counts of the digest of one local day."""
    tz = u.rules.sla.timezone
    start = moment(day - timedelta(days=1), time(0), tz)
    end = moment(day, time(0), tz)
    by_status = dict(
        u.session.execute(
            select(Ticket.status, func.count())
            .where(Ticket.status.in_((Status.OPEN, Status.CLAIMED, Status.RESOLVED)))
            .group_by(Ticket.status)
        ).all()
    )
    new = u.session.scalar(select(func.count()).where(Ticket.created_at >= start, Ticket.created_at < end))
    solved = u.session.scalar(
        select(func.count()).where(Ticket.resolved_at >= start, Ticket.resolved_at < end)
    )
    return DayFigures(
        day,
        open=int(by_status.get(Status.OPEN, 0)),
        claimed=int(by_status.get(Status.CLAIMED, 0)),
        resolved=int(by_status.get(Status.RESOLVED, 0)),
        new=int(new or 0),
        solved=int(solved or 0),
    )


def take_turn(u: Unit, day: date) -> list[Person] | None:
    """The admins to send the day's digest to; None: no territory, or another process took the day."""
    if not u.tree.by_id:
        return None
    if not first_time(u.session, "digest", day.isoformat(), u.now):
        return None
    return admins_over(u.session, u.tree, u.tree.top().id)


def due_between(after: datetime, until: datetime, at: time, tz: str) -> date | None:
    """The local day whose digest time falls in (after, until], if any (the latest one)."""
    zone = ZoneInfo(tz)
    day = until.astimezone(zone).date()
    while True:
        when = moment(day, at, tz)
        if when <= after:
            return None
        if when <= until:
            return day
        day -= timedelta(days=1)
