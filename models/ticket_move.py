"""Re-route a ticket to another area or category: a held ticket is released, its deadlines keep running."""

from __future__ import annotations

from .events import Happened
from .store.unit_of_work import Unit
from .tables import Area, Category, Person, Status, Ticket
from .ticket_states import Action, allowed, transition


def _move_action(ticket: Ticket) -> Action:
    return Action.MOVE_RESOLVED if ticket.status == Status.RESOLVED else Action.MOVE


def movable(ticket: Ticket) -> bool:
    """Tell whether the ticket's status lets it be moved (it is still being handled)."""
    return allowed(ticket, _move_action(ticket))


def relocate(u: Unit, ticket: Ticket, area: Area, actor: Person | None, note: str | None = None) -> Happened:
    """Give the ticket a new area; a claimed one goes back to open for the new area to grab.

    The deadlines stay as they were (window_started_at, due_at): moving is no reset of the 135 clock.
    """
    old = u.tree.by_id.get(ticket.area_id)
    held = ticket.handler_id if ticket.status == Status.CLAIMED else None
    return transition(
        u,
        ticket,
        _move_action(ticket),
        actor,
        changes={"area_id": area.id},
        previous_handler_id=held,
        note=note or f"{old.code if old else ticket.area_id} -> {area.code}",
    )


def recategorise(u: Unit, ticket: Ticket, category: Category, actor: Person | None) -> Happened:
    """Give the ticket another category (its own was retired); status and deadlines stay."""
    note = f"{ticket.category_code} -> {category.code}"
    return transition(
        u, ticket, Action.RECATEGORISE, actor, changes={"category_code": category.code}, note=note
    )
