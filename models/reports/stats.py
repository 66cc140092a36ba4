"""Counts, the 三率 and the overdue list, straight from the tickets table."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from .. import lateness
from ..lateness import claimed_late
from ..tables import ACTIVE, Rating, Status, Ticket, TicketEvent, TicketFollower


@dataclass(frozen=True)
class Stats:
    """Figures for /stats."""

    total: int
    by_status: dict[str, int]
    by_category: dict[str, int]
    response_rate: float | None
    resolution_rate: float | None
    satisfaction_rate: float | None
    # Closed tickets whose follow-up an admin took on the phone (代办 residents without a chat).
    phone_followups: int = 0


def _rate(part: int, whole: int) -> float | None:
    return part / whole if whole else None


def compute(session: Session, area_ids: set[int] | None, since: datetime | None) -> Stats:
    """Response = claimed ever / counted; resolution = resolved or closed / counted;
    satisfaction = 双是 / rated answers (closes, and followers' own answers). Withdrawn, rejected
    and merged tickets are not counted (their residents' answers count on the ticket they follow)."""
    where: list[ColumnElement[bool]] = []
    if area_ids is not None:
        # Tested in ix_tickets_stats itself: as a plain column SQLite would look the area up in
        # ix_tickets_area_status and read every row behind it.
        where.append((Ticket.area_id + 0).in_(area_ids))
    if since is not None:
        where.append(Ticket.created_at >= since)
    # One grouped count gives both breakdowns, from an index alone. Everything: in the order of
    # ix_tickets_category_status (no sort). A period or an area: grouped by expressions over one
    # range of ix_tickets_stats per status (every status named), so SQLite never walks the
    # category index and every row behind it to find the few.
    category: Any = Ticket.category_code
    status: Any = Ticket.status
    grouped = list(where)
    if since is not None or area_ids is not None:
        category, status = func.coalesce(category, ""), func.coalesce(status, "")
        grouped.append(Ticket.status.in_(list(Status)))
    found = select(category, status, func.count()).where(*grouped).group_by(category, status)
    by_status: dict[str, int] = {}
    categories: dict[str, int] = {}
    for c, s, n in session.execute(found).all():
        by_status[str(s)] = by_status.get(str(s), 0) + int(n)
        categories[str(c)] = categories.get(str(c), 0) + int(n)
    by_category = dict(sorted(categories.items(), key=lambda kv: (-kv[1], kv[0])))
    counted_states = (*ACTIVE, Status.CLOSED)
    counted = sum(n for s, n in by_status.items() if s in counted_states)
    responded = int(
        session.scalar(
            select(func.count()).where(
                *where, Ticket.status.in_(counted_states), Ticket.claimed_at.is_not(None)
            )
        )
        or 0
    )
    solved = by_status.get(Status.RESOLVED, 0) + by_status.get(Status.CLOSED, 0)
    rated = dict(
        session.execute(
            select(Ticket.rating, func.count())
            .where(*where, Ticket.status == Status.CLOSED)
            .group_by(Ticket.rating)
        ).all()
    )
    double_yes = int(rated.get(Rating.DOUBLE_YES, 0))
    rated_total = double_yes + int(rated.get(Rating.UNSATISFIED, 0))
    # Residents following a ticket (the same problem nearby, or a merged ticket's) answer for
    # themselves: each answer counts once, for its own resident; 否 is an answer, not 双是.
    answered = or_(TicketFollower.satisfied.is_not(None), TicketFollower.resolved_answer.is_(False))
    both_yes = and_(TicketFollower.resolved_answer.is_(True), TicketFollower.satisfied.is_(True))
    row = session.execute(
        select(func.count(), func.coalesce(func.sum(case((both_yes, 1), else_=0)), 0))
        .select_from(TicketFollower)
        .join(Ticket, Ticket.id == TicketFollower.ticket_id)
        .where(*where, answered)
    ).one()
    rated_total += int(row[0])
    double_yes += int(row[1])
    by_phone = select(TicketEvent.ticket_id).where(TicketEvent.kind == "phone_followup")
    phone = int(
        session.scalar(
            select(func.count()).where(*where, Ticket.status == Status.CLOSED, Ticket.id.in_(by_phone))
        )
        or 0
    )
    return Stats(
        total=sum(by_status.values()),
        by_status=by_status,
        by_category=by_category,
        response_rate=_rate(responded, counted),
        resolution_rate=_rate(solved, counted),
        satisfaction_rate=_rate(double_yes, rated_total),
        phone_followups=phone,
    )


def overdue(session: Session, now: datetime, area_ids: set[int] | None, limit: int = 50) -> list[Ticket]:
    """Claimed tickets that missed a deadline (escalated ones included), most overdue first."""
    since = func.coalesce(Ticket.overdue_since, Ticket.due_at)
    stmt = select(Ticket).where(claimed_late(now)).order_by(since, Ticket.id).limit(limit)
    if area_ids is not None:
        stmt = stmt.where(Ticket.area_id.in_(area_ids))
    return list(session.scalars(stmt))


def unclaimed_late(
    session: Session, now: datetime, claim_within: timedelta, area_ids: set[int] | None, limit: int = 50
) -> list[Ticket]:
    """Open tickets past their claim window (lateness.unclaimed_late), oldest first."""
    stmt = (
        select(Ticket)
        .where(lateness.unclaimed_late(now, claim_within))
        .order_by(Ticket.created_at)
        .limit(limit)
    )
    if area_ids is not None:
        stmt = stmt.where(Ticket.area_id.in_(area_ids))
    return list(session.scalars(stmt))
