"""Who hears of a city order's 退单, 延期 and 回访: the dispatchers decide, the unit that asked is told."""

from __future__ import annotations

from collections.abc import Callable, Mapping

from models.escalation import admins_at
from models.events import EventKind, Happened
from models.hotline import HotlineOrder
from models.store.unit_of_work import Unit
from models.tables import Person
from models.tickets import payee

from .. import texts
from ..render import fmt_time
from .deliver import refresh_card, to_handler, to_person


def _order(u: Unit, h: Happened) -> HotlineOrder | None:
    from sqlalchemy import select

    return u.session.scalar(select(HotlineOrder).where(HotlineOrder.ticket_id == h.ticket.id))


def _dispatchers(u: Unit, h: Happened, text: str) -> None:
    for admin in admins_at(u, u.tree.top().id):
        to_person(u, admin, text, ticket_id=h.ticket.id)


def _asker_and_handler(u: Unit, h: Happened, asker_id: int | None, text: str) -> None:
    to_handler(u, h.ticket, text)
    if asker_id is not None and asker_id != h.ticket.handler_id:
        asker = u.session.get(Person, asker_id)
        if asker is not None:
            to_person(u, asker, text, ticket_id=h.ticket.id)


def _return_asked(u: Unit, h: Happened) -> None:
    order = _order(u, h)
    if order is not None:
        text = texts.CITY_RETURN_ASKED.format(id=h.ticket.id, number=order.number, reason=h.said)
        _dispatchers(u, h, text)


def _returned(u: Unit, h: Happened) -> None:
    order = _order(u, h)
    refresh_card(u, h.ticket)
    if order is not None:
        text = texts.CITY_RETURN_DONE.format(id=h.ticket.id, number=order.number, reason=h.said)
        _asker_and_handler(u, h, order.return_by_id, text)


def _return_refused(u: Unit, h: Happened) -> None:
    order = _order(u, h)
    if order is not None:
        text = texts.CITY_RETURN_REFUSED.format(id=h.ticket.id, number=order.number, reason=h.said)
        _asker_and_handler(u, h, order.return_by_id, text)


def _extension_asked(u: Unit, h: Happened) -> None:
    order = _order(u, h)
    if order is not None and order.extend_to is not None:
        day = fmt_time(order.extend_to, u.rules.sla.timezone)
        text = texts.CITY_EXTENSION_ASKED.format(id=h.ticket.id, number=order.number, date=day, reason=h.said)
        _dispatchers(u, h, text)


def _extended(u: Unit, h: Happened) -> None:
    order = _order(u, h)
    refresh_card(u, h.ticket)
    if order is not None and order.extend_to is not None:
        day = fmt_time(order.extend_to, u.rules.sla.timezone)
        text = texts.CITY_EXTENDED.format(id=h.ticket.id, number=order.number, date=day, note=h.said)
        _asker_and_handler(u, h, order.extend_by_id, text)


def _extension_refused(u: Unit, h: Happened) -> None:
    order = _order(u, h)
    if order is not None:
        text = texts.CITY_EXTENSION_REFUSED.format(id=h.ticket.id, number=order.number, note=h.said)
        _asker_and_handler(u, h, order.extend_by_id, text)


def _city_visit(u: Unit, h: Happened) -> None:
    """双是: the handler hears of his points; otherwise why the order is his again, one level up."""
    order = _order(u, h)
    refresh_card(u, h.ticket)
    if order is None:
        return
    t = h.ticket
    if h.rating is not None:
        paid = payee(t)
        if paid is not None and h.points:
            person = u.session.get(Person, paid)
            if person is not None:
                text = texts.CITY_VISIT_DOUBLE_YES.format(id=t.id, number=order.number, points=h.points)
                to_person(u, person, text, ticket_id=t.id)
        return
    words = {True: texts.ANSWER["y"], False: texts.ANSWER["n"], None: "—"}
    text = texts.CITY_VISIT_REOPENED.format(
        id=t.id,
        number=order.number,
        resolved=words[order.visit_resolved],
        satisfied=words[order.visit_satisfied],
        level=texts.LEVEL.get(t.level, str(t.level)),
    )
    to_handler(u, t, text)


CITY_SAY: Mapping[EventKind, Callable[[Unit, Happened], None]] = {
    EventKind.RETURN_ASKED: _return_asked,
    EventKind.RETURNED: _returned,
    EventKind.RETURN_REFUSED: _return_refused,
    EventKind.EXTENSION_ASKED: _extension_asked,
    EventKind.EXTENDED: _extended,
    EventKind.EXTENSION_REFUSED: _extension_refused,
    EventKind.CITY_VISIT: _city_visit,
}
