"""Where a dispute goes: mediator teams, the community's first, the 综治中心's once it climbs."""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import select
from sqlalchemy.orm import Session

from .mediation import ROUTE
from .refdata import catalogue
from .tables import AreaLevel, Person, Role, RoleGrant, Ticket
from .territory import AreaTree

# From this level of the ladder on (the department's), the subdistrict centre's team takes
# disputes too: the community team had its claim window (or its deadline) and let it climb.
CENTRE_LEVEL = 2


def is_mediation(session: Session, code: str) -> bool:
    """Tell whether tickets of this category go to mediators (its own route, or its parent's)."""
    cats = catalogue(session)
    cat = cats.get(code)
    while cat is not None:
        if cat.route:
            return cat.route == ROUTE
        cat = cats.get(cat.parent_code) if cat.parent_code else None
    return False


def is_centre(tree: AreaTree, area_id: int) -> bool:
    """Tell whether a mediator granted here is on the subdistrict's team (a department, or everywhere)."""
    area = tree.by_id.get(area_id)
    return area is not None and (area.level == AreaLevel.DEPARTMENT or area.id == tree.top().id)


def _local(tree: AreaTree, g: RoleGrant, ticket: Ticket) -> bool:
    """A community (or grid) team's grant whose area holds the ticket."""
    return not is_centre(tree, g.area_id) and tree.is_within(ticket.area_id, g.area_id)


def _mediator_grants(session: Session) -> list[RoleGrant]:
    return list(session.scalars(select(RoleGrant).where(RoleGrant.role == Role.MEDIATOR)))


def team_grants(session: Session, tree: AreaTree, ticket: Ticket) -> list[RoleGrant]:
    """The grants of the mediators who take this dispute now: its community's team, then the centre's.

    The centre's team joins at CENTRE_LEVEL, or at once when the community has no team."""
    every = _mediator_grants(session)
    local = [g for g in every if _local(tree, g, ticket)]
    if local and ticket.level < CENTRE_LEVEL:
        return local
    return local + [g for g in every if is_centre(tree, g.area_id)]


def team(session: Session, tree: AreaTree, ticket: Ticket) -> list[Person]:
    """The mediators who get the card of this dispute now (see team_grants), each once."""
    ids = list(dict.fromkeys(g.person_id for g in team_grants(session, tree, ticket)))
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids)))} if ids else {}
    return [people[i] for i in ids if i in people]


def may_handle(session: Session, grants: Iterable[RoleGrant], ticket: Ticket, tree: AreaTree) -> bool | None:
    """For a dispute: whether these grants may take it (admins over it, its team's mediators).

    None: not a dispute, or no mediator serves it (then grid workers take it, as before)."""
    if not is_mediation(session, ticket.category_code):
        return None
    mine = list(grants)
    if any(g.role == Role.ADMIN and tree.is_within(ticket.area_id, g.area_id) for g in mine):
        return True
    serving = team_grants(session, tree, ticket)
    if not serving:
        return None
    return any(g.person_id == m.person_id and g.area_id == m.area_id for g in mine for m in serving)


def team_area(session: Session, tree: AreaTree, person_id: int, ticket: Ticket) -> int | None:
    """The team a mediator works for on this ticket: his community grant over it, else his centre grant."""
    grants = [g for g in _mediator_grants(session) if g.person_id == person_id]
    for g in grants:
        if _local(tree, g, ticket):
            return g.area_id
    for g in grants:
        if is_centre(tree, g.area_id):
            return g.area_id
    return None
