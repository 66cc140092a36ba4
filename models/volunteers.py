"""Volunteers and party members: which tickets they may take (categories open to volunteers)."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.orm import Session

from .refdata import catalogue
from .tables import Role, RoleGrant, Ticket
from .territory import AreaTree


def open_to_volunteers(session: Session, code: str) -> bool:
    """Tell whether the catalogue opens this category (or one above it) to volunteers."""
    cats = catalogue(session)
    cat = cats.get(code)
    while cat is not None:
        if cat.open_to_volunteers:
            return True
        cat = cats.get(cat.parent_code) if cat.parent_code else None
    return False


def may_take(session: Session, grant: RoleGrant, ticket: Ticket, tree: AreaTree) -> bool:
    """A volunteer's grant covers the ticket: inside its area and in a category open to volunteers."""
    return tree.is_within(ticket.area_id, grant.area_id) and open_to_volunteers(session, ticket.category_code)


def closed_to(session: Session, grants: list[RoleGrant], ticket: Ticket, tree: AreaTree) -> bool:
    """Why a volunteer may not take a ticket in his area: its category is not open to volunteers."""
    return any(
        g.role == Role.VOLUNTEER and tree.is_within(ticket.area_id, g.area_id) for g in grants
    ) and not open_to_volunteers(session, ticket.category_code)


def is_party_member(session: Session, person_id: int) -> bool:
    """Tell whether any of the person's grants marks him a party member (党员)."""
    stmt = select(RoleGrant.id).where(RoleGrant.person_id == person_id, RoleGrant.party_member.is_(True))
    return session.scalar(stmt.limit(1)) is not None


def office_grants(grants: list[RoleGrant]) -> list[RoleGrant]:
    """The grants that make someone office staff (the web office, night visits): all but volunteers'."""
    return [g for g in grants if g.role != Role.VOLUNTEER]
