"""Recording a mediation's outcome: the dispute is resolved with it, the resident asked for the 双是."""

from __future__ import annotations

from .errors import BadInput, NotAllowed, Refusal
from .mediation import Mediation, Outcome
from .mediation_routing import is_mediation, team_area
from .people import grants_of
from .store.unit_of_work import Unit
from .tables import Person, Role, Ticket
from .tickets import get, is_admin_over, resolve


def may_mediate(u: Unit, person_id: int) -> bool:
    """Tell whether a person may record outcomes at all: a mediator, or an admin."""
    return any(g.role in (Role.MEDIATOR, Role.ADMIN) for g in grants_of(u.session, person_id))


def record(
    u: Unit,
    ticket_id: int,
    actor: Person,
    outcome: Outcome,
    agreement: str,
    amount_fen: int | None,
    note: str,
    *,
    transferred_to: str | None = None,
    source: str = "chat",
) -> tuple[Ticket, Mediation]:
    """The handler (or an admin) records how the mediation ended; note is what the resident reads."""
    if not may_mediate(u, actor.id):
        raise NotAllowed(Refusal.NOT_MEDIATOR)
    ticket = get(u, ticket_id)
    if not is_mediation(u.session, ticket.category_code):
        raise BadInput(Refusal.NOT_DISPUTE, id=ticket.id, category=ticket.category_code)
    if team_area(u.session, u.tree, actor.id, ticket) is None and not is_admin_over(u, actor, ticket):
        raise NotAllowed(Refusal.NOT_MEDIATOR)
    ticket = resolve(u, ticket_id, actor, note)  # his own claimed ticket, or an admin's over it
    mediator = ticket.handler_id or actor.id
    team = team_area(u.session, u.tree, mediator, ticket)
    if team is None:  # a handler on no team (an admin, a worker before the teams): the community
        community = u.tree.community_of(ticket.area_id)
        team = community.id if community is not None else ticket.area_id
    row = Mediation(
        ticket_id=ticket.id,
        mediator_id=mediator,
        team_id=team,
        outcome=outcome,
        transferred_to=transferred_to,
        agreement=agreement,
        amount_fen=amount_fen,
        recorded_at=u.now,
        source=source,
    )
    u.session.add(row)
    u.session.flush()
    return ticket, row
