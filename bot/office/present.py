"""Tickets as the office shows them: names instead of ids, Chinese labels, overdue flags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select

from handlers import texts
from handlers.audit import event_detail
from handlers.masking import mask_private
from handlers.render import category_name
from models.followers import of_ticket as followers_of
from models.people import grants_of
from models.store.unit_of_work import Unit
from models.tables import AreaLevel, Person, Role, RoleGrant, Status, Ticket, TicketEvent


@dataclass(frozen=True)
class Row:
    """One line of the tickets table (and of the exports)."""

    id: int
    status: str
    status_label: str
    category: str
    community: str
    grid: str
    description: str
    tier: str
    handler: str
    created_at: datetime
    due_at: datetime | None
    resolved_at: datetime | None
    closed_at: datetime | None
    overdue: bool
    rating: str
    source: str
    lat: float | None
    lon: float | None


def is_overdue(u: Unit, t: Ticket) -> bool:
    """Claimed and past a deadline (the same test as /overdue)."""
    return t.status == Status.CLAIMED and (
        t.overdue_since is not None or (t.due_at is not None and t.due_at < u.now)
    )


def names(u: Unit, ids: set[int]) -> dict[int, str]:
    """Display names of people, in one query."""
    if not ids:
        return {}
    return {
        pid: name for pid, name in u.session.execute(select(Person.id, Person.name).where(Person.id.in_(ids)))
    }


def rows(u: Unit, tickets: list[Ticket]) -> list[Row]:
    """Table rows for tickets, with people and places by name."""
    people = names(u, {t.handler_id for t in tickets if t.handler_id is not None})
    tree = u.tree
    out = []
    for t in tickets:
        chain = {a.level: a.name for a in tree.ancestors(t.area_id)}
        out.append(
            Row(
                id=t.id,
                status=t.status,
                status_label=texts.CARD_STATUS[t.status],
                category=category_name(u.session, t.category_code),
                community=chain.get(AreaLevel.COMMUNITY, ""),
                grid=chain.get(AreaLevel.GRID, ""),
                # Lists and exports: never a phone or door (the ticket page shows it to who may see it).
                description=mask_private(t.description),
                tier=texts.TIER_SHORT[t.tier],
                handler=people.get(t.handler_id, "") if t.handler_id else "",
                created_at=t.created_at,
                due_at=t.due_at,
                resolved_at=t.resolved_at,
                closed_at=t.closed_at,
                overdue=is_overdue(u, t),
                rating=texts.RATING.get(t.rating or "", ""),
                source=texts.SOURCE.get(t.source, t.source),
                lat=t.lat,
                lon=t.lon,
            )
        )
    return out


@dataclass(frozen=True)
class Event:
    """One line of a ticket's full timeline."""

    at: datetime
    actor: str
    role: str
    what: str
    note: str
    status: str


@dataclass(frozen=True)
class Follower:
    """A resident following the ticket, with their own 双是 answers so far."""

    person_id: int
    name: str
    since: datetime
    answer: str


def followers(u: Unit, t: Ticket) -> list[Follower]:
    """Who follows the ticket, oldest first: name, since when, their answers (never a phone)."""
    rows_ = followers_of(u.session, t.id)
    people = names(u, {r.person_id for r in rows_})
    return [
        Follower(
            r.person_id,
            people.get(r.person_id, ""),
            r.created_at,
            texts.WEB_FOLLOWER_ANSWER[(r.resolved_answer, r.satisfied)],
        )
        for r in rows_
    ]


def role_word(u: Unit, t: Ticket, person_id: int | None) -> str:
    """居民, 网格员, 管理员 or 系统, as the actor stood to this ticket."""
    if person_id is None:
        return texts.WEB_ROLE["system"]
    if person_id == t.resident_id:
        return texts.WEB_ROLE["resident"]
    roles = {g.role for g in grants_of(u.session, person_id)}
    if Role.ADMIN in roles:
        return texts.WEB_ROLE["admin"]
    if Role.WORKER in roles:
        return texts.WEB_ROLE["worker"]
    return texts.WEB_ROLE["resident"]


def timeline(u: Unit, t: Ticket) -> list[Event]:
    """Every event of the ticket, oldest first, staff-only ones included."""
    events = list(
        u.session.scalars(select(TicketEvent).where(TicketEvent.ticket_id == t.id).order_by(TicketEvent.id))
    )
    people = names(u, {e.actor_id for e in events if e.actor_id is not None})
    return [
        Event(
            at=e.at,
            actor=people.get(e.actor_id, "") if e.actor_id else texts.WEB_ROLE["system"],
            role=role_word(u, t, e.actor_id),
            what=texts.EVENT_NAME[e.kind],
            note=event_detail(u, e),  # in words, as /history says it (never a stored code or id)
            status=texts.CARD_STATUS.get(e.to_status or "", ""),
        )
        for e in events
    ]


def workers_for(u: Unit, area_id: int) -> list[tuple[int, str]]:
    """Workers who may be handed a ticket in this area (their grant's area holds it, or lies in it)."""
    tree = u.tree
    rows_ = u.session.execute(
        select(Person.id, Person.name, RoleGrant.area_id)
        .join(RoleGrant, RoleGrant.person_id == Person.id)
        .where(RoleGrant.role == Role.WORKER)
        .order_by(Person.name, Person.id)
    )
    seen: dict[int, str] = {}
    for pid, name, grant_area in rows_:
        if tree.is_within(area_id, grant_area) or tree.is_within(grant_area, area_id):
            seen.setdefault(int(pid), str(name))
    return list(seen.items())
