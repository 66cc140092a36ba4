"""What the office and the resident are told of a consultation (咨询): filed, late, answered."""

from __future__ import annotations

from models.events import Happened
from models.store.unit_of_work import Unit
from models.tables import Ticket

from .. import texts
from ..render import fmt_time
from .deliver import to_resident
from .ladder import notify_level


def filed(u: Unit, ticket: Ticket) -> None:
    """The subdistrict (its bound chats, else its admins privately) hears of a new consultation."""
    text = texts.CONSULT_NEW.format(
        id=ticket.id,
        days=u.rules.sla.consult_days,
        due=fmt_time(ticket.due_at, u.rules.sla.timezone),
        question=ticket.description,
    )
    notify_level(u, ticket, 0, text)


def late(u: Unit, ticket: Ticket) -> None:
    """Its working days passed unanswered: the subdistrict hears it again."""
    text = texts.CONSULT_LATE.format(
        id=ticket.id, due=fmt_time(ticket.due_at, u.rules.sla.timezone), question=ticket.description
    )
    notify_level(u, ticket, 0, text)


def answered(u: Unit, h: Happened) -> None:
    """The resident (and anyone following) gets the answer."""
    to_resident(u, h.ticket, texts.CONSULT_ANSWERED.format(id=h.ticket.id, answer=h.said or ""))
