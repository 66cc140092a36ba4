"""夜访日记: a night team's visit (date, team, place, households, notes) and the 代办 tickets of its needs."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session

from . import tickets
from .address_place import place as place_address
from .errors import BadInput, NotAllowed, NotFound, Refusal
from .people import grants_of
from .store.unit_of_work import Unit
from .tables import NightVisit, NightVisitTicket, Person, Ticket
from .volunteers import office_grants

SOURCE = "visit"  # Ticket.source of a need noted on a night visit (夜访), as /proxy's 夜访
TEAM_MAX = 60
PLACE_MAX = 200
HOUSEHOLDS_MAX = 10_000
LIST_MOST = 50


@dataclass(frozen=True)
class Visit:
    """What a visit record says, checked by the caller's reading of it."""

    visited_on: date
    team: str
    place: str
    households: int
    notes: str


def office_areas(session: Session, person: Person) -> list[int]:
    """The areas of the person's office roles (a volunteer's grant is not one)."""
    return [g.area_id for g in office_grants(grants_of(session, person.id))]


def record(u: Unit, recorder: Person, visit: Visit) -> NightVisit:
    """Record a visit: staff only; it must say something (households visited, or notes)."""
    areas = office_areas(u.session, recorder)
    if not areas:
        raise NotAllowed(Refusal.NOT_STAFF)
    team, where, notes = (" ".join(s.split()) for s in (visit.team, visit.place, visit.notes))
    if not team or not where or (visit.households <= 0 and not notes):
        raise BadInput(Refusal.VISIT_EMPTY)
    if visit.households < 0 or visit.households > HOUSEHOLDS_MAX:
        raise BadInput(Refusal.VISIT_EMPTY)
    if len(team) > TEAM_MAX or len(where) > PLACE_MAX or len(notes) > u.rules.limits.text_max:
        raise BadInput(Refusal.TOO_LONG, limit=max(TEAM_MAX, PLACE_MAX))
    row = NightVisit(
        visited_on=visit.visited_on,
        team=team,
        place=where,
        area_id=_area(u, where, areas[0]),
        households=visit.households,
        notes=notes,
        recorded_by_id=recorder.id,
        created_at=u.now,
    )
    u.session.add(row)
    u.session.flush()
    return row


def _area(u: Unit, where: str, fallback: int) -> int:
    """The area a place names: an area's code or unique name, a grid's 小区 / street, else the recorder's."""
    word = where.split()[0]
    area = u.tree.by_code(word)
    if area is not None:
        return area.id
    named = [a.id for a in u.tree.by_id.values() if a.name == word and not a.retired]
    if len(named) == 1:  # 四季社区; not 第一网格, which every community has
        return named[0]
    return place_address(u, where).area_id or fallback


def get(session: Session, visit_id: int) -> NightVisit:
    """A visit by number, or a refusal naming it."""
    row = session.get(NightVisit, visit_id)
    if row is None:
        raise NotFound(Refusal.VISIT_UNKNOWN, id=visit_id)
    return row


def file_need(u: Unit, recorder: Person, visit_id: int, draft: tickets.Draft) -> Ticket:
    """A need noted on the visit becomes a 代办 ticket (the /proxy operation), linked to the visit."""
    visit = get(u.session, visit_id)
    if not office_areas(u.session, recorder):
        raise NotAllowed(Refusal.NOT_STAFF)
    ticket = tickets.create(u, recorder, draft, filed_by=recorder)
    u.session.add(NightVisitTicket(ticket_id=ticket.id, visit_id=visit.id))
    u.session.flush()
    return ticket


def tickets_of(session: Session, visit_id: int) -> list[Ticket]:
    """The tickets of one visit's needs, in the order they were noted."""
    stmt = (
        select(Ticket)
        .join(NightVisitTicket, NightVisitTicket.ticket_id == Ticket.id)
        .where(NightVisitTicket.visit_id == visit_id)
        .order_by(Ticket.id)
    )
    return list(session.scalars(stmt))


def recent(session: Session, area_ids: set[int] | None = None, limit: int = LIST_MOST) -> list[NightVisit]:
    """The latest visits, newest first (within the areas given, when given)."""
    stmt = select(NightVisit).order_by(NightVisit.visited_on.desc(), NightVisit.id.desc())
    if area_ids is not None:
        stmt = stmt.where(NightVisit.area_id.in_(area_ids))
    return list(session.scalars(stmt.limit(limit)))


def visit_of(session: Session, ticket_id: int) -> int | None:
    """The visit a ticket was noted on, if any."""
    return session.scalar(select(NightVisitTicket.visit_id).where(NightVisitTicket.ticket_id == ticket_id))
