"""A city order's 签收, 回复, 退单 and 延期 queued for the city's callback: one outbox row per action."""

from __future__ import annotations

import json
from datetime import datetime
from enum import StrEnum
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import select

from .events import EventKind, Happened
from .hotline import HotlineOrder
from .messages import Reply
from .outbox import enqueue
from .store.unit_of_work import Unit
from .tables import CITY_SOURCE, Person, Ticket

CHANNEL = "hotline"  # the outbox channel of pushes to the city; a lane (chat_id) per source


class Action(StrEnum):
    """What the office tells the city about an order."""

    SIGN = "sign"  # 签收
    REPLY = "reply"  # 回复 (办理情况)
    RETURN = "return"  # 退单
    EXTEND = "extend"  # 延期


def _iso(u: Unit, at: datetime | None) -> str | None:
    return at.astimezone(ZoneInfo(u.rules.sla.timezone)).isoformat(timespec="seconds") if at else None


def _handler(u: Unit, ticket: Ticket) -> str | None:
    person = u.session.get(Person, ticket.handler_id) if ticket.handler_id is not None else None
    return person.name if person is not None else None


def _order(u: Unit, ticket: Ticket) -> HotlineOrder | None:
    if ticket.source != CITY_SOURCE:
        return None
    order = u.session.scalar(select(HotlineOrder).where(HotlineOrder.ticket_id == ticket.id))
    return order if order is not None and order.source in u.rules.city_callbacks else None


def queue(u: Unit, ticket: Ticket, action: Action, **fields: Any) -> int | None:
    """Queue one action of a pushed city order for its source's callback; the outbox row's id, or None
    when the order's source has no callback (its answers go back as the export)."""
    order = _order(u, ticket)
    if order is None:
        return None
    if action == Action.REPLY:
        order.reply_revision += 1
        key = f"{order.number}:reply:{order.reply_revision}"
        fields["revision"] = order.reply_revision
    elif action == Action.EXTEND:
        key = f"{order.number}:extend:{fields['until']}"
    else:
        key = f"{order.number}:{action.value}"  # once per order: the city keeps the first
    body = {"idempotency_key": key, "number": order.number, "action": action.value, "at": _iso(u, u.now)}
    body.update(fields)
    text = json.dumps(body, ensure_ascii=False, sort_keys=True)
    row = enqueue(u.session, Reply(CHANNEL, order.source, text), u.now)
    u.sent.append(row)
    return row.id


def reply_fields(u: Unit, ticket: Ticket, order: HotlineOrder) -> dict[str, Any]:
    """The formal reply as the city receives it."""
    result = order.reply if order.reply is not None else (ticket.resolution_note or "")
    return {"result": result, "done_at": _iso(u, ticket.resolved_at), "handler": _handler(u, ticket)}


def on_event(u: Unit, h: Happened) -> None:
    """Queue what this event of a city order tells the city: the first claim is its 签收, 办结 its reply,
    an approved 退单 or 延期 the request with its reason (the city's rules decide on its side)."""
    ticket = h.ticket
    if ticket.source != CITY_SOURCE or not u.rules.city_callbacks:
        return
    signed = h.kind in (EventKind.GRABBED, EventKind.ASSIGNED) and h.previous_handler_id is None
    if not signed and h.kind not in (EventKind.RESOLVED, EventKind.RETURNED, EventKind.EXTENDED):
        return
    order = _order(u, ticket)
    if order is None:
        return
    if signed:
        queue(u, ticket, Action.SIGN, handler=_handler(u, ticket))
    elif h.kind == EventKind.RESOLVED:
        queue(u, ticket, Action.REPLY, **reply_fields(u, ticket, order))
    elif h.kind == EventKind.RETURNED:
        queue(u, ticket, Action.RETURN, reason=order.return_reason or "")
    elif ticket.city_due_at is not None:
        queue(u, ticket, Action.EXTEND, until=_iso(u, ticket.city_due_at), reason=order.extend_reason or "")


def reply_edited(u: Unit, ticket: Ticket, order: HotlineOrder) -> None:
    """An admin rewrote the reply of an order already answered: the city gets the new one."""
    queue(u, ticket, Action.REPLY, **reply_fields(u, ticket, order))
