"""People, their staff roles and the scope of those roles."""

from __future__ import annotations

from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.orm import Session

from . import mediation_routing
from .office import end_sessions_of
from .property_first import may_take as company_may_take
from .security_log import SecurityKind, record
from .store.prepared import UNREAD, InsertIgnoring, Prepared, Unread, attached
from .tables import Person, Role, RoleGrant, Ticket
from .territory import AreaTree
from .volunteers import may_take

# The "person" behind tickets another system files through Open311: not a chat, so no message is
# ever queued to it (the client reads progress with GET requests and the ticket's token).
API_CHANNEL = "open311"
CHATLESS_CHANNELS = frozenset({API_CHANNEL})


def has_chat(person: Person) -> bool:
    """Whether messages to this person can be delivered to a chat at all."""
    return person.channel not in CHATLESS_CHANNELS


# Runs on every inbound message: prebuilt, straight to the driver (fastsql), and the row is
# attached to the session as if a query had loaded it (the ORM select cost ~3x more).
_T = cast(Table, Person.__table__)
_COLUMNS = tuple(c.key for c in _T.c)
_BY_EXTERNAL_ID = Prepared(
    select(_T).where(_T.c.channel == bindparam("channel"), _T.c.external_id == bindparam("external_id"))
)


# INSERT … ON CONFLICT DO NOTHING RETURNING the row (nothing when someone else made it).
_INSERT = InsertIgnoring(_T, *_T.c)


def _loaded(session: Session, row: tuple[Any, ...]) -> Person:
    """The session's Person for a row read with _BY_EXTERNAL_ID (the one it has, if any)."""
    return attached(session, Person, _COLUMNS, row)


def get_or_create_person(
    session: Session,
    channel: str,
    external_id: str,
    now: datetime,
    *,
    name: str | None = None,
    handle: str | None = None,
    chat_id: str | None = None,
    row: tuple[Any, ...] | Unread | None = UNREAD,
) -> Person:
    """Find the person behind a channel user id, creating or refreshing the row.

    row: the person's row when the caller has read it already (prelude.first_reads).
    """
    key = {"channel": channel, "external_id": external_id}
    if row is UNREAD:
        row = _BY_EXTERNAL_ID.first(session, key)
    if row is None:
        values = {
            **key,
            "name": (name or handle or external_id)[:100],
            "handle": handle[:100] if handle else None,
            "chat_id": chat_id,
            "created_at": now,
        }
        # Two first messages at once: the other transaction may insert first; then take its row.
        row = _INSERT.on(session).first(session, values)
        row = row or _BY_EXTERNAL_ID.first(session, key)
        assert row is not None
        return _loaded(session, row)
    person = _loaded(session, row)
    if person.same_as_id is not None:  # another identity of a person: everything is theirs
        primary = session.get(Person, person.same_as_id)
        if primary is not None:
            return primary
    if name and person.name != name[:100]:
        person.name = name[:100]
    if handle and person.handle != handle[:100]:
        person.handle = handle[:100]
    if chat_id and person.chat_id != chat_id:
        person.chat_id = chat_id
    return person


def find_person(session: Session, ref: str, channel: str | None = None) -> Person | None:
    """Find a person by @handle or channel user id; the asker's channel first."""
    ref = ref.strip().removeprefix("@")
    if not ref:
        return None
    rows = list(
        session.scalars(select(Person).where((Person.handle == ref) | (Person.external_id == ref)).limit(10))
    )
    rows.sort(key=lambda p: (p.channel != channel, p.id))
    if rows and rows[0].same_as_id is not None:
        return session.get(Person, rows[0].same_as_id) or rows[0]
    return rows[0] if rows else None


def grants_of(session: Session, person_id: int) -> list[RoleGrant]:
    """Every role grant a person holds."""
    return list(session.scalars(select(RoleGrant).where(RoleGrant.person_id == person_id)))


def has_role(
    session: Session, person_id: int, role: Role, tree: AreaTree, area_id: int | None = None
) -> bool:
    """Tell whether the person holds role over area_id (or anywhere, when area_id is None)."""
    for g in grants_of(session, person_id):
        if g.role != role:
            continue
        if area_id is None or tree.is_within(area_id, g.area_id):
            return True
    return False


def is_staff(session: Session, person_id: int) -> bool:
    """Tell whether the person holds any staff role."""
    return bool(grants_of(session, person_id))


def admin_scopes(session: Session, person_id: int) -> list[int]:
    """Areas over which the person is an admin."""
    return [g.area_id for g in grants_of(session, person_id) if g.role == Role.ADMIN]


def can_handle(session: Session, person_id: int, ticket: Ticket, tree: AreaTree) -> bool:
    """Staff whose scope holds the ticket, a worker inside a community-level ticket's area, or the
    staff of the property company whose turn it is.

    A dispute goes to its mediator team instead (models/mediation_routing.py); mediators take nothing else.
    A volunteer's grant covers only tickets of categories open to volunteers (models/volunteers.py)."""
    if company_may_take(session, person_id, ticket):
        return True
    grants = grants_of(session, person_id)
    routed = mediation_routing.may_handle(session, grants, ticket, tree)
    if routed is not None:
        return routed
    for g in grants:
        if g.role == Role.MEDIATOR:
            continue
        if g.role == Role.VOLUNTEER:
            if may_take(session, g, ticket, tree):
                return True
            continue
        if tree.is_within(ticket.area_id, g.area_id):
            return True
        if g.role == Role.WORKER and tree.is_within(g.area_id, ticket.area_id):
            return True
    return False


def grant(
    session: Session,
    person: Person,
    role: Role,
    area_id: int,
    by: Person | None,
    now: datetime,
    *,
    party_member: bool = False,
) -> bool:
    """Give a role (a volunteer's may mark him a party member); return False when he already had it there."""
    exists = session.scalar(
        select(RoleGrant).where(
            RoleGrant.person_id == person.id, RoleGrant.role == role, RoleGrant.area_id == area_id
        )
    )
    if exists:
        return False
    session.add(
        RoleGrant(
            person_id=person.id,
            role=role,
            area_id=area_id,
            granted_by_id=by.id if by else None,
            created_at=now,
            party_member=party_member,
        )
    )
    record(
        session,
        now,
        SecurityKind.ROLE_GRANTED,
        person_id=by.id if by else None,
        source="chat" if by else "config",
        detail=f"person={person.id} role={role} area={area_id}",
    )
    session.flush()
    return True


def revoke(
    session: Session, person: Person, role: Role, area_id: int | None, by: Person | None, now: datetime
) -> int:
    """Take a role away (in one area, or everywhere); with the last role go their web sessions."""
    stmt = delete(RoleGrant).where(RoleGrant.person_id == person.id, RoleGrant.role == role)
    if area_id is not None:
        stmt = stmt.where(RoleGrant.area_id == area_id)
    count = int(session.execute(stmt).rowcount)  # type: ignore[attr-defined]
    if count:
        record(
            session,
            now,
            SecurityKind.ROLE_REVOKED,
            person_id=by.id if by else None,
            source="chat" if by else "config",
            detail=f"person={person.id} role={role} area={area_id or 'all'} grants={count}",
        )
        if not grants_of(session, person.id):
            end_sessions_of(session, person.id, now)
    return count


def admins_over(session: Session, tree: AreaTree, area_id: int) -> list[Person]:
    """People who are admins of this area or of anything above it."""
    scope_ids = [a.id for a in tree.ancestors(area_id)]
    return list(
        session.scalars(
            select(Person)
            .join(RoleGrant, RoleGrant.person_id == Person.id)
            .where(RoleGrant.role == Role.ADMIN, RoleGrant.area_id.in_(scope_ids))
            .distinct()
        )
    )
