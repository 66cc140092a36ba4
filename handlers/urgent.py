"""Urgent categories (gas leak, blocked fire exits): the community and the department hear at once."""

from __future__ import annotations

from handlers import texts
from models.refdata import catalogue
from models.store.unit_of_work import Unit
from models.tables import Ticket

from .notify import card_text, grab_button
from .notify.ladder import notify_level

# Levels of the ladder told about an urgent ticket as soon as it is filed, day and night.
URGENT_LEVELS = (1, 2)


def alert_if_urgent(u: Unit, ticket: Ticket) -> None:
    """Post an urgent ticket's card to its community and its department as well as its grid."""
    if not catalogue(u.session).is_urgent(ticket.category_code, u.rules.sla.urgent_categories):
        return
    text = texts.URGENT_CARD.format(card=card_text(u, ticket))
    for level in URGENT_LEVELS:
        notify_level(u, ticket, level, text, grab_button(ticket))
