"""What a city order says of itself on its card and pages: the city's number and deadline."""

from __future__ import annotations

from sqlalchemy import select

from models.hotline import HotlineOrder
from models.store.unit_of_work import Unit
from models.tables import CITY_SOURCE, Ticket

from . import texts
from .render import fmt_time

NUMBERS = "hotline_numbers"  # Session.info: ticket id -> city number of the orders filed in it


def remember_number(u: Unit, ticket: Ticket, number: str) -> None:
    """Note a new order's city number for its card (read before the order's row is flushed)."""
    u.session.info.setdefault(NUMBERS, {})[ticket.id] = number


def city_tag(u: Unit, ticket: Ticket) -> str:
    """The line a city order's card starts with (nothing for a resident's own report)."""
    if ticket.source != CITY_SOURCE:
        return ""
    number = u.session.info.get(NUMBERS, {}).get(ticket.id)  # filed in this transaction: no flush needed
    if number is None:
        number = u.session.scalar(select(HotlineOrder.number).where(HotlineOrder.ticket_id == ticket.id))
    if number is None:
        return ""
    due = fmt_time(ticket.city_due_at, u.rules.sla.timezone) if ticket.city_due_at else texts.NONE
    return texts.CITY_CARD_TAG.format(number=number, due=due) + "\n"
