"""The points ledger (积分链): every change is a row with its reason and ticket."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from .tables import PointsEntry, Role, RoleGrant, Ticket


def award(
    session: Session, person_id: int, ticket_id: int | None, delta: int, reason: str, now: datetime
) -> None:
    """Add a ledger row (a zero rule writes nothing)."""
    if delta:
        session.add(PointsEntry(person_id=person_id, ticket_id=ticket_id, delta=delta, reason=reason, at=now))


def earned(session: Session, person_id: int, ticket_id: int, reason: str) -> bool:
    """Tell whether the person already has a ledger row of this reason for the ticket."""
    stmt = select(PointsEntry.id).where(
        PointsEntry.person_id == person_id, PointsEntry.ticket_id == ticket_id, PointsEntry.reason == reason
    )
    return session.scalar(stmt.limit(1)) is not None


def total(session: Session, person_id: int, since: datetime | None = None) -> int:
    """A person's points, all time or since a moment."""
    stmt = select(func.coalesce(func.sum(PointsEntry.delta), 0)).where(PointsEntry.person_id == person_id)
    if since is not None:
        stmt = stmt.where(PointsEntry.at >= since)
    return int(session.scalar(stmt) or 0)


def ranking(
    session: Session,
    since: datetime | None,
    area_ids: set[int] | None = None,
    limit: int = 10,
    *,
    staff: bool | None = None,
) -> list[tuple[int, int]]:
    """(person_id, points) best first; limited to people with a role in area_ids when given.

    staff: True, only the office's own staff (any role but volunteer); False, only the others
    (volunteers and residents, 双向积分+, placed in area_ids by their tickets' areas); None, everyone."""
    stmt = select(PointsEntry.person_id, func.sum(PointsEntry.delta).label("pts")).group_by(
        PointsEntry.person_id
    )
    if since is not None:
        stmt = stmt.where(PointsEntry.at >= since)
    if area_ids is not None and staff is False:  # no role to place them by: their tickets' areas
        stmt = stmt.where(PointsEntry.ticket_id.in_(select(Ticket.id).where(Ticket.area_id.in_(area_ids))))
    elif area_ids is not None:
        scoped = select(RoleGrant.person_id).where(RoleGrant.area_id.in_(area_ids))
        stmt = stmt.where(PointsEntry.person_id.in_(scoped))
    if staff is not None:
        office = select(RoleGrant.person_id).where(RoleGrant.role != Role.VOLUNTEER)
        inside = PointsEntry.person_id.in_(office)
        stmt = stmt.where(inside if staff else ~inside)
    stmt = stmt.order_by(func.sum(PointsEntry.delta).desc(), PointsEntry.person_id).limit(limit)
    return [(int(pid), int(pts)) for pid, pts in session.execute(stmt)]
