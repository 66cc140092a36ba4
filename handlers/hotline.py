"""City hotline orders in the flows: intake with cards, 退单 and 延期 in chat, replies out, 回访 in."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy import select

from models import hotline_orders
from models.errors import DomainError
from models.escalation import admins_at
from models.hotline import HotlineOrder, Request
from models.hotline_orders import Intake, Visit
from models.hotline_rows import Mapping_, Problem, Read
from models.store.unit_of_work import Unit
from models.tables import Person, Status, Ticket

from . import texts
from .arguments import ticket_arg
from .dates import end_of_named_day
from .hotline_text import remember_number
from .notify import post_card, to_person
from .refusals import refusal_text
from .render import area_label, short_description
from .spec import Spec, Who
from .turn import Turn

BATCH = 500  # orders filed per batch of statements: few round trips, bounded memory


def intake(u: Unit, read: Read, source: str, mapping: Mapping_, *, good_rows: bool = False) -> Intake | None:
    """File the new orders of a checked list and post their cards; None (nothing filed) when a row
    is bad and the caller did not ask for the good rows only. Known city numbers change nothing."""
    if read.problems and not good_rows:
        return None
    filer = hotline_orders.Filer(u, source, mapping.categories, mapping.fallback)
    known = hotline_orders.known_numbers(u, (r.number for r in read.rows))
    filer.out.known.extend(r.number for r in read.rows if r.number in known)
    new = [r for r in read.rows if r.number not in known]
    dispatchers = admins_at(u, u.tree.top().id)
    for start in range(0, len(new), BATCH):
        rows = new[start : start + BATCH]
        for ticket, row in zip(filer.create_many(rows), rows, strict=True):
            announce_new(u, ticket, row.number, dispatchers)
    return filer.out


def announce_new(u: Unit, ticket: Ticket, number: str, dispatchers: list[Person]) -> None:
    """A routed order's card goes to its grid; an unrouted one to the dispatchers (the subdistrict's
    admins), to assign."""
    remember_number(u, ticket, number)
    if ticket.id not in _unrouted(u, ticket):
        with u.session.no_autoflush:  # the group bindings do not depend on the rows just added
            post_card(u, ticket)
        return
    text = texts.CITY_UNROUTED.format(
        id=ticket.id,
        number=number,
        address=ticket.address or "",
        description=short_description(ticket.description),
    )
    for admin in dispatchers:
        to_person(u, admin, text, ticket_id=ticket.id)


def _unrouted(u: Unit, ticket: Ticket) -> set[int]:
    return {ticket.id} if ticket.area_id == u.tree.top().id else set()


@dataclass(frozen=True)
class ReplyRow:
    """One line of the reply export: what the city's terminal takes back."""

    number: str
    result: str
    done_at: datetime | None
    handler: str
    returned: str
    extension: str
    status: str


def replies(u: Unit, since: datetime, until: datetime | None = None) -> list[ReplyRow]:
    """Every city order whose reply became final (办结, 退单) or whose 延期 was decided since then."""
    rows = u.session.execute(
        select(HotlineOrder, Ticket)
        .join(Ticket, Ticket.id == HotlineOrder.ticket_id)
        .order_by(HotlineOrder.id)
    ).all()
    out = []
    tz = u.rules.sla.timezone
    for order, ticket in rows:
        done = ticket.resolved_at if ticket.status != Status.RETURNED else ticket.closed_at
        when = order.replied_at or done
        if when is None or when < since or (until is not None and when >= until):
            continue
        handler = u.session.get(Person, ticket.handler_id) if ticket.handler_id else None
        result = order.reply if order.reply is not None else (ticket.resolution_note or "")
        extension = ""
        if order.extend_state is not None and order.extend_to is not None:
            day = order.extend_to.astimezone(ZoneInfo(tz)).date().isoformat()
            state = texts.CITY_REQUEST_STATE[order.extend_state]
            extension = f"{state}：{day}，{order.extend_reason or ''}"
        returned = ""
        if order.return_state is not None:
            returned = f"{texts.CITY_REQUEST_STATE[order.return_state]}：{order.return_reason or ''}"
        out.append(
            ReplyRow(
                number=order.number,
                result=result,
                done_at=done,
                handler=handler.name if handler else "",
                returned=returned,
                extension=extension,
                status=texts.STAFF_STATUS[ticket.status],
            )
        )
    return out


@dataclass
class Results:
    """What a 回访 import did."""

    recorded: list[str] = field(default_factory=list)
    unchanged: list[str] = field(default_factory=list)
    problems: list[Problem] = field(default_factory=list)


def record_results(u: Unit, visits: list[tuple[int, Visit]]) -> Results:
    """Record the city's 回访 of each order; an unknown number or an order not done is a problem."""
    out = Results()
    for row, visit in visits:
        try:
            with u.session.begin_nested():
                happened = hotline_orders.record_visit(u, visit)
        except DomainError as refusal:
            out.problems.append(Problem(row, texts.CITY_RESULT_HEADERS["number"], refusal_text(refusal)))
            continue
        (out.recorded if happened is not None else out.unchanged).append(visit.number)
    return out


# --- chat commands of staff -------------------------------------------------------------------

RETURN_USAGE = texts.CITY_USAGE_RETURN
EXTEND_USAGE = texts.CITY_USAGE_EXTEND


def _decision(word: str) -> bool | None:
    if word in texts.CITY_YES:
        return True
    if word in texts.CITY_NO:
        return False
    return None


def city_return(turn: Turn, args: list[str]) -> None:
    """/city_return ID REASON (退单): the unit asks; ID 同意|不同意 [WHY]: a dispatcher decides."""
    ticket_id = ticket_arg(args, RETURN_USAGE, 2)
    decision = _decision(args[1])
    if decision is None:
        hotline_orders.ask_return(turn.u, ticket_id, turn.person, " ".join(args[1:]))
        turn.reply(texts.CITY_ASKED_OK)
        return
    hotline_orders.decide_return(turn.u, ticket_id, turn.person, decision, " ".join(args[2:]))
    turn.reply(texts.CITY_DECIDED_OK)


def city_extend(turn: Turn, args: list[str]) -> None:
    """/city_extend ID DATE REASON (延期): the unit asks; ID 同意|不同意 NOTE: a dispatcher decides."""
    ticket_id = ticket_arg(args, EXTEND_USAGE, 3)
    decision = _decision(args[1])
    if decision is None:
        until = end_of_named_day(turn.u, args[1], EXTEND_USAGE)
        hotline_orders.ask_extension(turn.u, ticket_id, turn.person, until, " ".join(args[2:]))
        turn.reply(texts.CITY_ASKED_OK)
        return
    hotline_orders.decide_extension(turn.u, ticket_id, turn.person, decision, " ".join(args[2:]))
    turn.reply(texts.CITY_DECIDED_OK)


REPLY_USAGE = texts.CITY_USAGE_REPLY


def city_reply(turn: Turn, args: list[str]) -> None:
    """/city_reply ID TEXT: a dispatcher rewrites the formal reply (办理情况) before it goes to the city."""
    ticket_id = ticket_arg(args, REPLY_USAGE, 2)
    hotline_orders.edit_reply(turn.u, ticket_id, turn.person, " ".join(args[1:]))
    turn.reply(texts.CITY_REPLY_SAVED.format(id=ticket_id))


CITY_RETURN = Spec(
    "city_return", city_return, Who.WORKER, RETURN_USAGE, ("退单",), help=texts.HELP_CITY_RETURN
)
CITY_EXTEND = Spec(
    "city_extend", city_extend, Who.WORKER, EXTEND_USAGE, ("延期",), help=texts.HELP_CITY_EXTEND
)
CITY_REPLY = Spec("city_reply", city_reply, Who.ADMIN, REPLY_USAGE, help=texts.HELP_CITY_REPLY)
SPECS = (CITY_RETURN, CITY_EXTEND, CITY_REPLY)


def pending(u: Unit) -> list[tuple[int, str]]:
    """Open 退单 and 延期 requests (ticket id, kind) for the dispatchers' list."""
    rows = u.session.scalars(
        select(HotlineOrder).where(
            (HotlineOrder.return_state == Request.ASKED) | (HotlineOrder.extend_state == Request.ASKED)
        )
    )
    return [(o.ticket_id, "return" if o.return_state == Request.ASKED else "extend") for o in rows]


def area_of(u: Unit, ticket: Ticket) -> str:
    """Where an order is handled, in words."""
    return area_label(u, ticket.area_id)
