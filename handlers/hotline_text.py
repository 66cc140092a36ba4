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


def city_facts(u: Unit, ticket: Ticket) -> list[tuple[str, str]]:
    """A city order's facts for its office page: number, deadline, 签收, requests, reply, 回访 (none else)."""
    if ticket.source != CITY_SOURCE:
        return []
    order = u.session.scalar(select(HotlineOrder).where(HotlineOrder.ticket_id == ticket.id))
    if order is None:
        return []
    tz = u.rules.sla.timezone
    signed = fmt_time(ticket.claimed_at, tz) if ticket.claimed_at else texts.CITY_NOT_SIGNED
    facts = [
        (texts.CITY_FIELDS["number"], order.number),
        (texts.CITY_FIELDS["dispatched"], fmt_time(order.dispatched_at, tz)),
        (texts.CITY_FIELDS["deadline"], fmt_time(ticket.city_due_at or order.deadline, tz)),
        (texts.CITY_FIELDS["signed"], signed),
        (texts.CITY_FIELDS["category"], order.category),
    ]
    if order.return_state:
        state = texts.CITY_REQUEST_STATE[order.return_state]
        facts.append((texts.CITY_FIELDS["return"], f"{state}：{order.return_reason or ''}"))
    if order.extend_state and order.extend_to:
        state = texts.CITY_REQUEST_STATE[order.extend_state]
        facts.append(
            (
                texts.CITY_FIELDS["extend"],
                f"{state}：{fmt_time(order.extend_to, tz)}，{order.extend_reason or ''}",
            )
        )
    reply = order.reply if order.reply is not None else ticket.resolution_note
    if reply:
        facts.append((texts.CITY_FIELDS["reply"], reply))
    if order.visit_at is not None:
        words = [
            texts.ANSWER["y" if v else "n"]
            for v in (order.visit_responded, order.visit_resolved, order.visit_satisfied)
        ]
        facts.append((texts.CITY_FIELDS["visit"], texts.CITY_VISIT_WORDS.format(*words)))
    if ticket.paused_at is not None:
        facts.append((texts.CITY_FIELDS["paused"], fmt_time(ticket.pause_until, tz)))
    return facts
