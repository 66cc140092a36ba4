"""Residents following a ticket another resident filed (the same problem nearby)."""

from __future__ import annotations

from datetime import datetime
from typing import cast

from sqlalchemy import Table, bindparam, func, select
from sqlalchemy.orm import Session

from .store.prepared import Prepared
from .tables import Ticket, TicketFollower


def of_ticket(session: Session, ticket_id: int) -> list[TicketFollower]:
    """The followers of a ticket, oldest first."""
    query = select(TicketFollower).where(TicketFollower.ticket_id == ticket_id)
    return list(session.scalars(query.order_by(TicketFollower.created_at, TicketFollower.person_id)))


_FOLLOWERS = cast(Table, TicketFollower.__table__)
# Every ticket card counts its followers (each report's submit step): prebuilt, straight to the driver.
_COUNT = Prepared(
    select(func.count()).select_from(_FOLLOWERS).where(_FOLLOWERS.c.ticket_id == bindparam("ticket_id"))
)


def count(session: Session, ticket_id: int) -> int:
    """How many residents follow a ticket."""
    session.flush()  # as a query would: follows added in this transaction count
    row = _COUNT.first(session, {"ticket_id": ticket_id})
    return int(row[0] or 0) if row else 0


def get(session: Session, ticket_id: int, person_id: int) -> TicketFollower | None:
    """The person's follow of the ticket, if they follow it."""
    return session.get(TicketFollower, (ticket_id, person_id))


def add(session: Session, ticket_id: int, person_id: int, now: datetime) -> bool:
    """Make the person a follower; False when they already were."""
    if get(session, ticket_id, person_id) is not None:
        return False
    session.add(TicketFollower(ticket_id=ticket_id, person_id=person_id, created_at=now))
    session.flush()
    return True


def remove(session: Session, ticket_id: int, person_id: int) -> bool:
    """The person no longer follows the ticket; False when they did not."""
    row = get(session, ticket_id, person_id)
    if row is None:
        return False
    session.delete(row)
    session.flush()
    return True


def owed(session: Session, person_id: int) -> TicketFollower | None:
    """The person's newest follow with a follow-up question (solved? satisfied?) waiting for their answer."""
    return session.scalar(
        select(TicketFollower)
        .where(TicketFollower.person_id == person_id, TicketFollower.followup_stage > 0)
        .order_by(TicketFollower.followup_asked_at.desc())
        .limit(1)
    )


def count_in(session: Session, area_ids: set[int] | None, since: datetime | None) -> int:
    """Followers of the tickets in these areas filed since then (all when None), for /stats."""
    query = (
        select(func.count()).select_from(TicketFollower).join(Ticket, Ticket.id == TicketFollower.ticket_id)
    )
    if area_ids is not None:
        query = query.where(Ticket.area_id.in_(area_ids))
    if since is not None:
        query = query.where(Ticket.created_at >= since)
    return int(session.scalar(query) or 0)
