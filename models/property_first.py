"""有事您找我: which property company takes a ticket first, who its staff are, and when its turn ends."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from .datafiles.addresses import AddressIndex, MatchKind
from .datafiles.catalogue_file import FIRST_PROPERTY
from .policy import SlaPolicy
from .property_tables import PropertyCompany, PropertyStaff
from .refdata import area_tree, catalogue
from .tables import CITY_SOURCE, Person, Ticket


def with_company(ticket: Ticket) -> bool:
    """Tell whether the ticket is still the property company's turn (not yet taken over)."""
    return ticket.property_id is not None and ticket.property_left_at is None


def goes_to_property(session: Session, code: str) -> bool:
    """Tell whether the catalogue sends this category to the property company first."""
    cat = catalogue(session).get(code)
    return cat is not None and cat.first == FIRST_PROPERTY


def live_companies(session: Session) -> list[PropertyCompany]:
    """Companies of the current territory file, in code order."""
    return list(
        session.scalars(
            select(PropertyCompany).where(PropertyCompany.retired.is_(False)).order_by(PropertyCompany.code)
        )
    )


def company_for(session: Session, ticket: Ticket, *, urgent: bool = False) -> PropertyCompany | None:
    """The company a new ticket goes to first: None unless its category says so and a company serves it.

    A typed address naming one company's compound decides; otherwise a grid whose compounds all
    belong to one company is that company's. Urgent tickets keep their own path (straight to the
    community and the department), city orders theirs; a company without staff is passed over."""
    if urgent or ticket.source == CITY_SOURCE or not goes_to_property(session, ticket.category_code):
        return None  # a city order is signed for (签收) by the office itself
    companies = [c for c in live_companies(session) if c.compounds and staff_ids(session, c.id)]
    if not companies:
        return None
    if ticket.address:
        index = AddressIndex.of({c.id: tuple(str(n) for n in c.compounds or ()) for c in companies})
        match = index.match(ticket.address)
        if match.kind == MatchKind.ONE:
            return next(c for c in companies if c.id == match.area_ids[0])
    grid = area_tree(session).by_id.get(ticket.area_id)
    names = set(grid.names or ()) if grid is not None else set()
    owners = [c for c in companies if names and names <= set(c.compounds or ())]
    serving = [c for c in companies if names & set(c.compounds or ())]
    return owners[0] if len(owners) == 1 and len(serving) == 1 else None


def staff_ids(session: Session, company_id: int) -> list[int]:
    """The people who answer for a company."""
    return list(
        session.scalars(
            select(PropertyStaff.person_id)
            .where(PropertyStaff.company_id == company_id)
            .order_by(PropertyStaff.id)
        )
    )


def staff_of(session: Session, company_id: int) -> list[Person]:
    """The company's staff as people, in file order."""
    ids = staff_ids(session, company_id)
    people = {p.id: p for p in session.scalars(select(Person).where(Person.id.in_(ids)))}
    return [people[i] for i in ids if i in people]


def company_of_person(session: Session, person_id: int) -> PropertyCompany | None:
    """The live company a person answers for, if any."""
    return session.scalar(
        select(PropertyCompany)
        .join(PropertyStaff, PropertyStaff.company_id == PropertyCompany.id)
        .where(PropertyStaff.person_id == person_id, PropertyCompany.retired.is_(False))
        .order_by(PropertyCompany.id)
        .limit(1)
    )


def is_member(session: Session, person_id: int) -> bool:
    """Tell whether the person answers for some property company."""
    return company_of_person(session, person_id) is not None


def may_take(session: Session, person_id: int, ticket: Ticket) -> bool:
    """The company's staff may take and see a ticket while it is their company's turn."""
    if not with_company(ticket):
        return False
    assert ticket.property_id is not None
    return person_id in staff_ids(session, ticket.property_id)


def claim_ends(ticket: Ticket, policy: SlaPolicy) -> datetime:
    """When the company's claim window ends: the community takes over an untaken ticket then."""
    return ticket.created_at + policy.property_claim_within


def handle_ends(start: datetime, policy: SlaPolicy) -> datetime:
    """When the company must have finished a ticket it took at start."""
    return start + policy.property_handle_within
