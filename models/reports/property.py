"""有事您找我 figures per property company: tickets sent first, taken in time, finished, 双是, taken over."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import and_, case, func, or_, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import ColumnElement

from ..events import EventKind
from ..property_tables import PropertyCompany
from ..tables import ACTIVE, Rating, Status, Ticket, TicketEvent


@dataclass(frozen=True)
class CompanyFigures:
    """One company's figures over a period and an area."""

    code: str
    name: str
    routed: int  # tickets that went to the company first (withdrawn, rejected, merged not counted)
    claimed: int  # the company's staff took them within the claim window
    resolved: int  # and finished them themselves
    double_yes: int  # closed 双是 from the company's own work
    rated: int  # closed with the resident's answer (双是 or 不满意) from its own work
    backstopped: int  # the community took over (not taken, or not finished, in time)

    @property
    def response_rate(self) -> float | None:
        """Taken in time / sent first."""
        return self.claimed / self.routed if self.routed else None

    @property
    def double_yes_rate(self) -> float | None:
        """双是 / rated answers on the company's own work."""
        return self.double_yes / self.rated if self.rated else None


def _count(condition: ColumnElement[bool]) -> ColumnElement[int]:
    return func.coalesce(func.sum(case((condition, 1), else_=0)), 0)


def by_company(session: Session, area_ids: set[int] | None, since: datetime | None) -> list[CompanyFigures]:
    """Every company that had a ticket in the scope, in code order."""
    where: list[ColumnElement[bool]] = [
        Ticket.property_id.is_not(None),
        Ticket.status.in_((*ACTIVE, Status.CLOSED)),
    ]
    if area_ids is not None:
        where.append(Ticket.area_id.in_(area_ids))
    if since is not None:
        where.append(Ticket.created_at >= since)
    # Taken in time: still the company's (and claimed), or taken over only for finishing late.
    late_finish = select(TicketEvent.ticket_id).where(
        TicketEvent.kind == EventKind.BACKSTOPPED.value, TicketEvent.note == "overdue"
    )
    own = Ticket.property_left_at.is_(None)
    claimed = or_(and_(own, Ticket.claimed_at.is_not(None)), Ticket.id.in_(late_finish))
    resolved = and_(own, Ticket.status.in_((Status.RESOLVED, Status.CLOSED)))
    closed_own = and_(own, Ticket.status == Status.CLOSED)
    rows = session.execute(
        select(
            PropertyCompany.code,
            PropertyCompany.name,
            func.count(),
            _count(claimed),
            _count(resolved),
            _count(and_(closed_own, Ticket.rating == Rating.DOUBLE_YES)),
            _count(and_(closed_own, Ticket.rating.in_((Rating.DOUBLE_YES, Rating.UNSATISFIED)))),
            _count(Ticket.property_left_at.is_not(None)),
        )
        .join(PropertyCompany, PropertyCompany.id == Ticket.property_id)
        .where(*where)
        .group_by(PropertyCompany.code, PropertyCompany.name)
        .order_by(PropertyCompany.code)
    ).all()
    return [CompanyFigures(str(r[0]), str(r[1]), *(int(v) for v in r[2:])) for r in rows]
