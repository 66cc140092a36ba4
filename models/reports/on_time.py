"""How well the 135 deadlines are kept: on-time rate per tier, slowest grids, a daily series."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import case, func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from ..tables import ACTIVE, Status, Ticket, Tier

TIERS = (Tier.SIMPLE, Tier.DIFFICULT, Tier.PENDING)
COUNTED = (*ACTIVE, Status.CLOSED)


@dataclass(frozen=True)
class TierOnTime:
    """Tickets of one tier whose outcome is known, and how many of them kept every deadline."""

    tier: str
    on_time: int
    decided: int

    @property
    def rate(self) -> float | None:
        """Share resolved without a missed deadline."""
        return self.on_time / self.decided if self.decided else None


@dataclass(frozen=True)
class GridSpeed:
    """Average time from report to 办结 in one area."""

    area_id: int
    resolved: int
    avg: timedelta


@dataclass(frozen=True)
class DailyCount:
    """Tickets reported and resolved on one local day."""

    day: date
    new: int
    solved: int


def _where(area_ids: set[int] | None, since: datetime | None) -> list[ColumnElement[bool]]:
    where: list[ColumnElement[bool]] = [Ticket.status.in_(COUNTED)]
    if area_ids is not None:
        # Tested in the covering ix_tickets_stats, not looked up in ix_tickets_area_status (rows).
        where.append((Ticket.area_id + 0).in_(area_ids))
    if since is not None:
        where.append(Ticket.created_at >= since)
    return where


def on_time_by_tier(session: Session, area_ids: set[int] | None, since: datetime | None) -> list[TierOnTime]:
    """Decided = resolved or already late; on time = resolved without any missed deadline."""
    resolved = Ticket.resolved_at.is_not(None)
    decided = func.sum(case((resolved | (Ticket.overdue_count > 0), 1), else_=0))
    on_time = func.sum(case((resolved & (Ticket.overdue_count == 0), 1), else_=0))
    rows = {
        str(tier): (int(ok or 0), int(n or 0))
        for tier, ok, n in session.execute(
            select(Ticket.tier, on_time, decided).where(*_where(area_ids, since)).group_by(Ticket.tier)
        )
    }
    return [TierOnTime(str(t), *rows.get(str(t), (0, 0))) for t in TIERS]


def _seconds(session: Session, later: Any, earlier: Any) -> ColumnElement[Any]:
    """later - earlier in seconds, in the database (SQLite's julianday, PostgreSQL's epoch)."""
    if session.get_bind().dialect.name == "postgresql":
        return func.extract("epoch", later - earlier)
    return (func.julianday(later) - func.julianday(earlier)) * 86400.0


def slowest_grids(
    session: Session, area_ids: set[int] | None, since: datetime | None, limit: int = 5
) -> list[GridSpeed]:
    """Areas by average report-to-办结 time, slowest first (averaged by the database, per area)."""
    span = _seconds(session, Ticket.resolved_at, Ticket.created_at)
    # Grouped by an expression, so SQLite reads the covering ix_tickets_stats rather than walking
    # the area index (in its order) and every row behind it.
    area = (Ticket.area_id + 0).label("area")
    rows = session.execute(
        select(area, func.count(), func.avg(span))
        .where(*_where(area_ids, since), Ticket.resolved_at.is_not(None))
        .group_by(area)
    )
    speeds = [GridSpeed(int(a), int(n), timedelta(seconds=round(float(avg), 3))) for a, n, avg in rows if n]
    speeds.sort(key=lambda g: (-g.avg, g.area_id))
    return speeds[:limit]


def daily(session: Session, area_ids: set[int] | None, first: date, last: date, tz: str) -> list[DailyCount]:
    """New and resolved tickets per local day from first to last (inclusive)."""
    zone = ZoneInfo(tz)
    start = datetime.combine(first, datetime.min.time(), zone)
    where: list[ColumnElement[bool]] = []
    if area_ids is not None:
        where.append(Ticket.area_id.in_(area_ids))
    new: dict[date, int] = defaultdict(int)
    solved: dict[date, int] = defaultdict(int)
    for (created,) in session.execute(select(Ticket.created_at).where(*where, Ticket.created_at >= start)):
        new[created.astimezone(zone).date()] += 1
    for resolved in session.scalars(select(Ticket.resolved_at).where(*where, Ticket.resolved_at >= start)):
        if resolved is not None:
            solved[resolved.astimezone(zone).date()] += 1
    days = [first + timedelta(days=i) for i in range((last - first).days + 1)]
    return [DailyCount(d, new[d], solved[d]) for d in days]
