"""Who hears that a property company's turn ended (有事您找我): community, grid, its staff, resident."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from models.events import EventKind, Happened
from models.outbox import detach_cards
from models.property_tables import PropertyCompany
from models.store.unit_of_work import Unit
from models.tables import Person, Ticket
from models.territory import chats_up_from

from .. import texts_property
from ..render import area_label, category_name, fmt_duration, short_description
from .deliver import card_places, grab_button, post_card, to_group, to_person, to_resident
from .ladder import level_label, notify_level


def _why(u: Unit, h: Happened) -> str:
    if h.note == "overdue":
        return texts_property.WHY_OVERDUE.format(window=fmt_duration(u.rules.sla.property_handle_within))
    return texts_property.WHY_UNCLAIMED.format(window=fmt_duration(u.rules.sla.property_claim_within))


def _backstopped(u: Unit, h: Happened) -> None:
    """The company's cards say the community has it; the community and the grid get it with 抢单."""
    t = h.ticket
    company = u.session.get(PropertyCompany, t.property_id) if t.property_id is not None else None
    name = company.name if company is not None else ""
    why = _why(u, h)
    category = category_name(u.session, t.category_code)
    gone = texts_property.CARD_GONE.format(id=t.id, category=category, why=why)
    for channel, chat_id in card_places(u, t):
        to_group(u, channel, chat_id, gone, ticket_id=t.id, card_of=t.id)
    detach_cards(u.session, t.id)
    held_by = u.session.get(Person, h.previous_handler_id) if h.previous_handler_id is not None else None
    handler = texts_property.BACKSTOP_HANDLER.format(name=held_by.name) if held_by is not None else ""
    notice = texts_property.BACKSTOP.format(
        id=t.id,
        category=category,
        description=short_description(t.description),
        area=area_label(u, t.area_id),
        company=name,
        why=why,
        handler=handler,
    )
    chats = notify_level(u, t, t.level, notice, grab_button(t))
    shown = {(c.channel, c.chat_id) for c in chats}
    if not any(place in shown for place in _grid_chats(u, t)):
        post_card(u, t)
    if held_by is not None:
        to_person(u, held_by, texts_property.W_BACKSTOP.format(id=t.id, why=why), ticket_id=t.id)
    level = level_label(u, t, t.level)
    to_resident(u, t, texts_property.R_BACKSTOP.format(id=t.id, company=name, why=why, level=level))


def _grid_chats(u: Unit, t: Ticket) -> list[tuple[str, str]]:
    return [(c.channel, c.chat_id) for c in chats_up_from(u.session, u.tree, t.area_id)]


PROPERTY_SAY: Mapping[EventKind, Callable[[Unit, Happened], None]] = {EventKind.BACKSTOPPED: _backstopped}
