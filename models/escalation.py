"""The four-level ladder (督办): which area supervises a late ticket at each level, and who hears of it."""

from __future__ import annotations

from sqlalchemy import select

from .people import admins_over
from .refdata import catalogue
from .store.unit_of_work import Unit
from .tables import Area, AreaLevel, Person, Role, RoleGrant, Ticket


def department_of(u: Unit, ticket: Ticket) -> Area | None:
    """The subdistrict department that owns the ticket's category (or its parent's)."""
    cats = catalogue(u.session)
    cat = cats.get(ticket.category_code)
    while cat is not None and not cat.department_code and cat.parent_code:
        cat = cats.get(cat.parent_code)
    if cat is None or not cat.department_code:
        return None
    area = u.tree.by_code(cat.department_code)
    return area if area is not None and area.level == AreaLevel.DEPARTMENT else None


def level_area(u: Unit, ticket: Ticket, level: int) -> Area:
    """The area that supervises a ticket at a level of the ladder."""
    tree = u.tree
    if level <= 0:
        return tree.by_id[ticket.area_id]
    if level == 1:
        return tree.community_of(ticket.area_id) or tree.top()
    if level == 2:
        return department_of(u, ticket) or tree.top()
    return tree.top()


def admins_at(u: Unit, area_id: int) -> list[Person]:
    """Admins granted on exactly this area, else the nearest admins above it."""
    exact = list(
        u.session.scalars(
            select(Person)
            .join(RoleGrant, RoleGrant.person_id == Person.id)
            .where(RoleGrant.role == Role.ADMIN, RoleGrant.area_id == area_id)
            .order_by(Person.id)
            .distinct()
        )
    )
    return exact or admins_over(u.session, u.tree, area_id)
