"""A dispute's card goes to its mediator team privately, with 抢单: the community's, then the centre's."""

from __future__ import annotations

from models.mediation_routing import is_mediation, team
from models.store.unit_of_work import Unit
from models.tables import Status, Ticket

from .. import texts
from . import deliver  # a module import: deliver's post_card hands disputes to this one


def post_to_team(u: Unit, ticket: Ticket, text: str | None = None) -> bool:
    """Send an open dispute's card to each mediator who takes it now; False: not a dispute, or no team.

    The card is the ticket's own (later changes edit it), as in a grid's group."""
    if ticket.status != Status.OPEN or not is_mediation(u.session, ticket.category_code):
        return False
    people = team(u.session, u.tree, ticket)
    for person in people:
        deliver.to_group(
            u,
            person.channel,
            person.chat_id or person.external_id,
            text or deliver.card_text(u, ticket),
            deliver.grab_button(ticket),
            ticket_id=ticket.id,
            card_of=ticket.id if text is None else None,
        )
    return bool(people)


def handed_to(u: Unit, ticket: Ticket, area: str) -> str | None:
    """已转交 四季社区 的调解员, for a dispute a team takes; None otherwise."""
    if not is_mediation(u.session, ticket.category_code) or not team(u.session, u.tree, ticket):
        return None
    return texts.SUBMITTED_TO["mediation"].format(area=area)
