"""Consultations (咨询): a question the FAQ could not answer, filed as a ticket and answered in words.

A consultation goes to the subdistrict (the 接诉 desk answers it), is under the 12345 rule's own
window (SlaPolicy.consult_days working days, models/sla.py) and is closed by its answer.
"""

from __future__ import annotations

from sqlalchemy.orm import Session

from . import tickets
from .errors import BadInput, Refusal
from .refdata import catalogue
from .sla import deadline, next_check
from .store.unit_of_work import Unit
from .tables import Person, Ticket, Tier
from .ticket_states import Action, allowed, load, refuse_state, transition


def category_for(session: Session, configured: str) -> str:
    """The catalogue code a consultation is filed under: the configured one, else the last top category."""
    cats = catalogue(session)
    found = cats.get(configured)
    if found is not None and not found.retired:
        return configured
    tops = cats.children(None)
    if not tops:
        raise BadInput(Refusal.CHOICE_EXPECTED)
    return tops[-1].code


def ask(u: Unit, resident: Person, question: str) -> Ticket:
    """File a consultation for the subdistrict, due within the consultation window from now."""
    draft = tickets.Draft(
        category_code=category_for(u.session, u.rules.consult_category),
        description=question,
        area_id=u.tree.top().id,
    )
    ticket = tickets.create(u, resident, draft)
    ticket.tier = Tier.CONSULT
    ticket.window_started_at = u.now
    ticket.due_at = deadline(u.now, Tier.CONSULT, u.rules.sla)
    ticket.next_check_at = next_check(ticket, u.rules.sla)
    ticket.next_push_at = None  # the answer is the news; there is no progress to push
    return ticket


def answer(u: Unit, ticket_id: int, actor: Person, text: str) -> Ticket:
    """答复 N 内容: answer a consultation in words, which closes it; other tickets are refused."""
    words = " ".join(text.split())
    ticket = load(u, ticket_id, Action.ANSWER, actor, check_status=False)
    if ticket.tier != Tier.CONSULT:
        raise BadInput(Refusal.NOT_CONSULT, id=ticket.id)
    if not allowed(ticket, Action.ANSWER):
        refuse_state(u, ticket, Action.ANSWER, actor)
    if not words:
        raise BadInput(Refusal.NOTE_REQUIRED)
    if len(words) > u.rules.limits.note_max:
        raise BadInput(Refusal.TOO_LONG, limit=u.rules.limits.note_max)
    changes = {"resolution_note": words, "resolved_at": u.now, "resolved_by_id": actor.id}
    transition(u, ticket, Action.ANSWER, actor, changes=changes, note=words, said=words)
    return ticket
