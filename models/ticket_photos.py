"""A report's further photos: the first is Ticket.photo, the second and later ones are rows here."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from .tables import TicketPhoto

FIRST_EXTRA = 2  # the position of the second photo (the first is the ticket's own column)


def add(session: Session, ticket_id: int, refs: Sequence[str]) -> None:
    """Keep the photos sent after the first, in order."""
    for n, ref in enumerate(refs, FIRST_EXTRA):
        session.add(TicketPhoto(ticket_id=ticket_id, position=n, ref=ref))


def extra(session: Session, ticket_id: int) -> list[tuple[int, str]]:
    """(position, reference) of a ticket's further photos, in order."""
    rows = session.execute(
        select(TicketPhoto.position, TicketPhoto.ref)
        .where(TicketPhoto.ticket_id == ticket_id)
        .order_by(TicketPhoto.position)
    )
    return [(int(p), str(r)) for p, r in rows]


def forget(session: Session, ticket_id: int) -> list[str]:
    """Drop a ticket's further photos (personal data removed); return their references."""
    refs = [ref for _, ref in extra(session, ticket_id)]
    session.execute(delete(TicketPhoto).where(TicketPhoto.ticket_id == ticket_id))
    return refs
