"""挂起 for any ticket: waiting for the resident or a third party stops the clock, with a reason and limit."""

from __future__ import annotations

from datetime import datetime

from .errors import BadInput, InvalidTransition, Refusal
from .store.unit_of_work import Unit
from .tables import Person, Ticket
from .ticket_states import Action, load, transition


def pause(u: Unit, ticket_id: int, actor: Person, until: datetime, reason: str) -> Ticket:
    """The handler (or an admin) pauses a claimed ticket until a date at most max_pause away."""
    reason = " ".join(reason.split())
    if not reason:
        raise BadInput(Refusal.REASON_REQUIRED)
    if len(reason) > u.rules.limits.note_max:
        raise BadInput(Refusal.TOO_LONG, limit=u.rules.limits.note_max)
    ticket = load(u, ticket_id, Action.PAUSE, actor)
    if ticket.paused_at is not None:
        raise InvalidTransition(Refusal.ALREADY_PAUSED, id=ticket_id)
    longest = u.rules.sla.max_pause
    if until <= u.now:
        raise BadInput(Refusal.DATE_INVALID, example=(u.now + longest).date().isoformat())
    if until - u.now > longest:
        raise BadInput(Refusal.PAUSE_TOO_LONG, days=longest.days)
    note = f"{until.date().isoformat()}: {reason}"
    transition(u, ticket, Action.PAUSE, actor, changes={"pause_until": until}, note=note, said=reason)
    return ticket


def resume(u: Unit, ticket_id: int, actor: Person) -> Ticket:
    """The handler (or an admin) lets the clock run again; the deadline moves by the time paused."""
    ticket = load(u, ticket_id, Action.RESUME, actor)
    if ticket.paused_at is None:
        raise InvalidTransition(Refusal.NOT_PAUSED, id=ticket_id)
    minutes = int((u.now - ticket.paused_at).total_seconds() // 60)
    transition(u, ticket, Action.RESUME, actor, note=str(minutes))
    return ticket
