"""Re-route a ticket to another area: a held ticket is released, its deadlines keep running."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update

from .sla import next_check
from .tables import Area, Outbox, Person, Status, Ticket
from .tickets import event
from .unit import Unit


@dataclass(frozen=True)
class Moved:
    """What a move changed: where the ticket was, who held it (now released), the card chats."""

    old_area_id: int
    released_id: int | None
    old_card_chats: tuple[tuple[str, str], ...]


def card_chats(u: Unit, ticket_id: int) -> tuple[tuple[str, str], ...]:
    """The chats (channel, chat id) that show a live card of this ticket."""
    rows = u.session.execute(
        select(Outbox.channel, Outbox.chat_id)
        .where(Outbox.card_of == ticket_id, Outbox.edit_of.is_(None))
        .distinct()
        .order_by(Outbox.channel, Outbox.chat_id)
    ).all()
    return tuple((r[0], r[1]) for r in rows)


def detach_cards(u: Unit, ticket_id: int) -> None:
    """Stop updating the cards already posted (they now say where the ticket went)."""
    u.session.execute(
        update(Outbox)
        .where(Outbox.card_of == ticket_id)
        .values(card_of=None)
        .execution_options(synchronize_session=False)
    )


def relocate(u: Unit, ticket: Ticket, area: Area, actor: Person | None, note: str | None = None) -> Moved:
    """Give the ticket a new area; a claimed one goes back to open for the new grid to grab.

    The deadlines stay as they were (window_started_at, due_at): moving is no reset of the 135 clock.
    """
    old = ticket.area_id
    chats = card_chats(u, ticket.id)
    released = None
    before = ticket.status
    ticket.area_id = area.id
    if ticket.status == Status.CLAIMED:
        released = ticket.handler_id
        ticket.handler_id = None
        ticket.status = Status.OPEN
        ticket.next_check_at = next_check(ticket, u.rules.sla)
    old_code = u.tree.by_id[old].code if old in u.tree.by_id else str(old)
    event(u, ticket, actor, "moved", from_status=before, note=note or f"{old_code} -> {area.code}")
    return Moved(old, released, chats)
