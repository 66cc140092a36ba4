"""Enterprise reports (问政北苑's 企业): how many tickets of a period were filed for a company."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from ..enterprise import TicketEnterprise
from ..tables import Ticket


def count(session: Session, area_ids: set[int] | None, since: datetime | None) -> int:
    """How many tickets reported in the period were filed for a company (问政北苑's 企业 reports)."""
    stmt = (
        select(func.count())
        .select_from(TicketEnterprise)
        .join(Ticket, Ticket.id == TicketEnterprise.ticket_id)
    )
    if area_ids is not None:
        stmt = stmt.where(Ticket.area_id.in_(area_ids))
    if since is not None:
        stmt = stmt.where(Ticket.created_at >= since)
    return int(session.scalar(stmt) or 0)
