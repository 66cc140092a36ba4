"""City orders through the one state machine: intake, routing, 退单, 延期, the reply, the city's 回访."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select

from . import hotline_push, points, tickets
from .address_place import place
from .errors import BadInput, InvalidTransition, NotFound, Refusal
from .events import Happened
from .hotline import HotlineOrder, Request, Routed
from .hotline_rows import OrderRow
from .people import API_CHANNEL, get_or_create_person
from .refdata import catalogue
from .routing import router_for
from .store.unit_of_work import Unit
from .tables import CITY_SOURCE, Person, Rating, Status, Ticket
from .ticket_states import Action, get, load, refuse_state, transition

CALLER = "hotline"  # the chatless person every city order is filed under (its caller is contact_name)
LOOKUP_CHUNK = 500


@dataclass
class Intake:
    """What an import or a push did: new orders, city numbers already known, categories that fell back."""

    created: list[tuple[str, int]] = field(default_factory=list)  # (city number, ticket id)
    known: list[str] = field(default_factory=list)
    unrouted: list[int] = field(default_factory=list)  # ticket ids the dispatchers must assign
    fell_back: dict[str, str] = field(default_factory=dict)  # the city's category -> our code


def known_numbers(u: Unit, numbers: Iterable[str]) -> set[str]:
    """The city numbers already imported, of those given."""
    wanted = list(dict.fromkeys(numbers))
    found: set[str] = set()
    for start in range(0, len(wanted), LOOKUP_CHUNK):
        chunk = wanted[start : start + LOOKUP_CHUNK]
        found.update(u.session.scalars(select(HotlineOrder.number).where(HotlineOrder.number.in_(chunk))))
    return found


class Categories:
    """The city's category names to our codes: the mapping, then the catalogue (each looked up once)."""

    def __init__(self, u: Unit, mapping: dict[str, str], fallback: str) -> None:
        cats = catalogue(u.session)
        self._known: dict[str, str] = {}
        for c in cats.by_code.values():
            if not c.retired:
                for name in (c.name, cats.full_name(c.code), c.code):
                    self._known.setdefault(name, c.code)
        self._mapping = {k: v for k, v in mapping.items() if cats.get(v) is not None}
        live = cats.children(None)
        self.fallback = fallback if cats.get(fallback) is not None else (live[-1].code if live else fallback)
        self._seen: dict[str, tuple[str, bool]] = {}

    def code(self, city: str) -> tuple[str, bool]:
        """Our category code for the city's 问题分类, and whether it fell back (never dropped)."""
        if city not in self._seen:
            self._seen[city] = self._find(city)
        return self._seen[city]

    def _find(self, city: str) -> tuple[str, bool]:
        if city in self._mapping:
            return self._mapping[city], False
        if city in self._known:
            return self._known[city], False
        parts = [p for p in city.replace("／", "/").replace("-", "/").split("/") if p]
        if parts and parts[-1] in self._known:
            return self._known[parts[-1]], False
        return self.fallback, True


class Filer:
    """Files new city orders, with the lookups every order of one import shares."""

    def __init__(self, u: Unit, source: str, mapping: dict[str, str], fallback: str) -> None:
        self.u = u
        self.source = source[:80]
        self.categories = Categories(u, mapping, fallback)
        self.router = router_for(u.tree)
        self.caller = get_or_create_person(u.session, API_CHANNEL, CALLER, u.now, name="12345")
        self.out = Intake()

    def create_many(self, rows: list[OrderRow]) -> list[Ticket]:
        """File new city orders as tickets (the caller posts their cards) with their hotline rows, in
        a few batched statements for the whole list."""
        u = self.u
        drafts, routes = [], []
        for row in rows:
            code, fell_back = self.categories.code(row.category)
            if fell_back:
                self.out.fell_back[row.category] = code
            placed = place(u, row.address, self.router)
            routes.append(Routed.NAME if placed.area_id is not None else Routed.UNROUTED)
            drafts.append(
                tickets.Draft(
                    category_code=code,
                    description=row.description,
                    area_id=placed.area_id if placed.area_id is not None else u.tree.top().id,
                    lat=placed.lat,
                    lon=placed.lon,
                    address=row.address,
                    phone=row.phone,
                    source=CITY_SOURCE,
                    contact_name=row.caller,
                    city_due_at=row.deadline,
                    location_approx=placed.lat is not None,
                )
            )
        made = tickets.create_many(u, self.caller, drafts)
        u.session.add_all(
            HotlineOrder(
                ticket_id=ticket.id,
                number=row.number,
                source=self.source,
                dispatched_at=row.dispatched_at,
                deadline=row.deadline,
                category=row.category[:80],
                urgency=row.urgency,
                routed=routed,
                imported_at=u.now,
            )
            for ticket, row, routed in zip(made, rows, routes, strict=True)
        )
        for ticket, row, routed in zip(made, rows, routes, strict=True):
            self.out.created.append((row.number, ticket.id))
            if routed == Routed.UNROUTED:
                self.out.unrouted.append(ticket.id)
        return made


def order_of(u: Unit, ticket_id: int) -> HotlineOrder:
    """The hotline row of a ticket, or a refusal when it is not a city order."""
    order = u.session.scalar(select(HotlineOrder).where(HotlineOrder.ticket_id == ticket_id))
    if order is None:
        get(u, ticket_id)  # NotFound first when there is no such ticket
        raise InvalidTransition(Refusal.NOT_CITY_ORDER, id=ticket_id)
    return order


def by_number(u: Unit, number: str) -> HotlineOrder | None:
    """The city order of a city number."""
    return u.session.scalar(select(HotlineOrder).where(HotlineOrder.number == number))


def _reason(u: Unit, text: str) -> str:
    text = " ".join(text.split())
    if not text:
        raise BadInput(Refusal.REASON_REQUIRED)
    if len(text) > u.rules.limits.note_max:
        raise BadInput(Refusal.TOO_LONG, limit=u.rules.limits.note_max)
    return text


def ask_return(u: Unit, ticket_id: int, actor: Person, reason: str) -> Ticket:
    """A worker or community proposes returning a mis-dispatched order (退单), with a reason."""
    reason = _reason(u, reason)
    ticket = load(u, ticket_id, Action.RETURN_ASK, actor)
    order = order_of(u, ticket_id)
    if order.return_state == Request.ASKED:
        raise InvalidTransition(Refusal.REQUEST_PENDING, id=ticket_id)
    order.return_state, order.return_reason, order.return_by_id = Request.ASKED, reason, actor.id
    transition(u, ticket, Action.RETURN_ASK, actor, note=reason, said=reason)
    return ticket


def decide_return(u: Unit, ticket_id: int, admin: Person, approve: bool, why: str = "") -> Ticket:
    """A subdistrict admin approves (the order leaves the queues) or refuses a 退单 request."""
    action = Action.RETURN_APPROVE if approve else Action.RETURN_REFUSE
    ticket = load(u, ticket_id, action, admin)
    order = order_of(u, ticket_id)
    if order.return_state != Request.ASKED:
        raise InvalidTransition(Refusal.NO_REQUEST, id=ticket_id)
    if approve:
        order.return_state = Request.APPROVED
        order.reply, order.replied_at = order.return_reason, u.now
        reason = order.return_reason or ""
        transition(u, ticket, action, admin, changes={"reason": reason}, note=reason, said=reason)
    else:
        why = _reason(u, why)
        order.return_state = Request.REFUSED
        transition(u, ticket, action, admin, note=why, said=why)
    return ticket


def ask_extension(u: Unit, ticket_id: int, actor: Person, until: datetime, reason: str) -> Ticket:
    """The unit asks for more time (延期): a new date after the present deadline, and a reason."""
    reason = _reason(u, reason)
    ticket = load(u, ticket_id, Action.EXTEND_ASK, actor)
    order = order_of(u, ticket_id)
    if order.extend_state == Request.ASKED:
        raise InvalidTransition(Refusal.REQUEST_PENDING, id=ticket_id)
    current = ticket.city_due_at or order.deadline
    if until <= current or until <= u.now:
        raise BadInput(Refusal.DATE_INVALID, example=current.date().isoformat())
    order.extend_state, order.extend_reason, order.extend_to, order.extend_by_id = (
        Request.ASKED,
        reason,
        until,
        actor.id,
    )
    note = f"{until.date().isoformat()}: {reason}"
    transition(u, ticket, Action.EXTEND_ASK, actor, note=note, said=reason)
    return ticket


def decide_extension(u: Unit, ticket_id: int, admin: Person, approve: bool, note: str) -> Ticket:
    """A subdistrict admin records the city's approval (the deadline moves) or refuses the 延期."""
    note = _reason(u, note)
    action = Action.EXTEND_APPROVE if approve else Action.EXTEND_REFUSE
    ticket = load(u, ticket_id, action, admin)
    order = order_of(u, ticket_id)
    if order.extend_state != Request.ASKED or order.extend_to is None:
        raise InvalidTransition(Refusal.NO_REQUEST, id=ticket_id)
    if approve:
        order.extend_state = Request.APPROVED
        day = order.extend_to.date().isoformat()
        changes = {"city_due_at": order.extend_to}
        transition(u, ticket, action, admin, changes=changes, note=f"{day}: {note}", said=note)
    else:
        order.extend_state = Request.REFUSED
        transition(u, ticket, action, admin, note=note, said=note)
    return ticket


def settle_reply(u: Unit, ticket: Ticket) -> None:
    """At 办结 the handler's result becomes the formal reply (an admin may edit it before it is sent)."""
    order = u.session.scalar(select(HotlineOrder).where(HotlineOrder.ticket_id == ticket.id))
    if order is not None and order.reply is None:
        order.reply, order.replied_at = ticket.resolution_note, u.now


def edit_reply(u: Unit, ticket_id: int, admin: Person, text: str) -> HotlineOrder:
    """A subdistrict admin rewrites the formal reply of a resolved or returned order."""
    order = order_of(u, ticket_id)
    ticket = get(u, ticket_id)
    from .ticket_states import Right, check_right

    check_right(u, ticket, Right.DISPATCHER, admin)
    if ticket.status not in (Status.RESOLVED, Status.CLOSED, Status.RETURNED):
        raise InvalidTransition(Refusal.NOT_OPEN, id=ticket_id, status=ticket.status)
    text = " ".join(text.split())
    if not text:
        raise BadInput(Refusal.NOTE_REQUIRED)
    if len(text) > u.rules.limits.description_max:
        raise BadInput(Refusal.TOO_LONG, limit=u.rules.limits.description_max)
    order.reply, order.replied_at = text, u.now
    hotline_push.reply_edited(u, ticket, order)
    return order


@dataclass(frozen=True)
class Visit:
    """The city's 回访 of one order."""

    number: str
    responded: bool
    resolved: bool
    satisfied: bool


def record_visit(u: Unit, visit: Visit) -> Happened | None:
    """Record the city's 回访: 双是 closes and pays city_double_yes once; otherwise 二次办理 one level up.

    None when this very result was recorded before (a re-import changes nothing)."""
    order = by_number(u, visit.number)
    if order is None:
        raise NotFound(Refusal.NOT_FOUND, id=visit.number)
    same = (order.visit_responded, order.visit_resolved, order.visit_satisfied) == (
        visit.responded,
        visit.resolved,
        visit.satisfied,
    )
    if same and order.visit_at is not None:
        return None
    ticket = get(u, order.ticket_id, lock=True)
    if ticket.status not in (Status.RESOLVED, Status.CLOSED):
        refuse_state(u, ticket, Action.CITY_VISIT_CLOSE)
    order.visit_responded, order.visit_resolved, order.visit_satisfied = (
        visit.responded,
        visit.resolved,
        visit.satisfied,
    )
    order.visit_at = u.now
    note = "".join("y" if v else "n" for v in (visit.responded, visit.resolved, visit.satisfied))
    paid = tickets.payee(ticket)
    if visit.resolved and visit.satisfied:
        earned = 0
        if paid is not None:
            rules = u.rules.points
            if not points.earned(u.session, paid, ticket.id, "close"):
                points.award(u.session, paid, ticket.id, rules.close, "close", u.now)
                earned += rules.close
            if not points.earned(u.session, paid, ticket.id, "city_double_yes"):
                points.award(u.session, paid, ticket.id, rules.city_double_yes, "city_double_yes", u.now)
                earned += rules.city_double_yes
        rating = Rating.DOUBLE_YES
        changes = {"rating": rating}
        return transition(
            u, ticket, Action.CITY_VISIT_CLOSE, None, changes=changes, note=note, rating=rating, points=earned
        )
    return transition(u, ticket, Action.CITY_VISIT_REOPEN, None, note=note)
