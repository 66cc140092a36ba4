"""Tickets as the office shows them: names instead of ids, Chinese labels, overdue flags."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers import texts
from handlers.audit import event_detail
from handlers.masking import mask_private
from handlers.render import category_name, fmt_elapsed
from models import enterprise
from models.events import EventKind
from models.followers import of_ticket as followers_of
from models.geo import Datum, convert
from models.hotline import HotlineOrder
from models.lateness import first_missed, is_late
from models.people import grants_of
from models.store.unit_of_work import Unit
from models.tables import AreaLevel, Person, Role, RoleGrant, Ticket, TicketEvent


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
    due_at: datetime | None  # the current escalation level's deadline
    first_due: datetime | None  # the deadline first promised (the one a late ticket missed)
    late_by: str  # 已超期 2天3小时, or empty when on time
    resolved_at: datetime | None
    closed_at: datetime | None
    overdue: bool
    rating: str
    source: str
    lat: float | None
    lon: float | None
    enterprise: str = ""  # the company it was filed for (问政北苑's 企业 reports), or empty
    city_number: str = ""  # a 12345 order's 工单编号, or empty for a resident's own report
    city_due: datetime | None = None  # the city's 办结时限 (moved by an approved 延期)
    city_signed: bool = False  # 签收: someone took the order (the city was told)


def on_map(u: Unit, t: Ticket) -> tuple[float | None, float | None]:
    """The ticket's point in the datum of the territory's shapes and tiles: the one conversion."""
    if t.lat is None or t.lon is None:
        return None, None
    return to_map(u, t.lat, t.lon, t.datum)


def to_map(u: Unit, lat: float, lon: float, datum: str | None) -> tuple[float, float]:
    """A stored point (in the datum its channel sent) in the datum of the territory's shapes and tiles."""
    return convert(lat, lon, datum or Datum.WGS84, u.tree.router.datum)


def names(u: Unit, ids: set[int]) -> dict[int, str]:
    """Display names of people, in one query."""
    if not ids:
        return {}
    return {
        pid: name for pid, name in u.session.execute(select(Person.id, Person.name).where(Person.id.in_(ids)))
    }


def city_numbers(session: Session, ids: list[int]) -> dict[int, str]:
    """The 12345 工单编号 of those tickets that are city orders, in one query."""
    if not ids:
        return {}
    found = session.execute(
        select(HotlineOrder.ticket_id, HotlineOrder.number).where(HotlineOrder.ticket_id.in_(ids))
    )
    return {tid: number for tid, number in found}


def rows(u: Unit, tickets: list[Ticket]) -> list[Row]:
    """Table rows for tickets, with people and places by name."""
    people = names(u, {t.handler_id for t in tickets if t.handler_id is not None})
    companies = enterprise.names_of(u.session, [t.id for t in tickets])
    city = city_numbers(u.session, [t.id for t in tickets])
    tree = u.tree
    out = []
    claim_within = u.rules.sla.claim_within
    for t in tickets:
        late = is_late(t, u.now, claim_within)
        missed = first_missed(t, u.rules.sla) if late else None
        lat, lon = on_map(u, t)
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
                first_due=missed or t.due_at,
                late_by=fmt_elapsed(u.now - missed, texts.LATE, texts.LATE_JUST_NOW) if missed else "",
                resolved_at=t.resolved_at,
                closed_at=t.closed_at,
                overdue=late,
                rating=texts.RATING.get(t.rating or "", ""),
                source=texts.SOURCE.get(t.source, t.source),
                lat=lat,
                lon=lon,
                enterprise=companies.get(t.id, ""),
                city_number=city.get(t.id, ""),
                city_due=t.city_due_at if t.id in city else None,
                city_signed=t.id in city and t.claimed_at is not None,
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
    system: bool = False  # done by the scheduler (reminders, escalations), not by a person


@dataclass(frozen=True)
class Fold:
    """A run of system events shown as one line that opens to show them."""

    label: str
    events: list[Event]
    system: bool = True


def folded(events: list[Event]) -> list[Event | Fold]:
    """The timeline with each run of two or more system events folded into one line."""
    out: list[Event | Fold] = []
    run: list[Event] = []

    def flush() -> None:
        if len(run) >= 2:
            kinds = {e.what for e in run}
            what = run[0].what if len(kinds) == 1 else texts.OFFICE["system_events"]
            out.append(Fold(texts.OFFICE["system_folded"].format(what=what, n=len(run)), list(run)))
        else:
            out.extend(run)
        run.clear()

    for e in events:
        if e.system:
            run.append(e)
            continue
        flush()
        out.append(e)
    flush()
    return out


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
    if Role.VOLUNTEER in roles:
        return texts.WEB_ROLE["volunteer"]
    if Role.MEDIATOR in roles:
        return texts.WEB_ROLE["mediator"]
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
            system=e.actor_id is None,
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


@dataclass(frozen=True)
class Resolution:
    """One time the ticket was resolved, and whether the resident then reopened it."""

    at: datetime
    by: str
    note: str
    reopened_at: datetime | None


def resolutions(u: Unit, t: Ticket) -> list[Resolution]:
    """Every resolution of the ticket, newest first, each with the reopening that undid it."""
    kinds = (EventKind.RESOLVED, EventKind.REOPENED)
    events = list(
        u.session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == t.id, TicketEvent.kind.in_(kinds))
            .order_by(TicketEvent.id)
        )
    )
    people = names(u, {e.actor_id for e in events if e.actor_id is not None})
    out: list[Resolution] = []
    for e in events:
        if e.kind == EventKind.RESOLVED:
            by = people.get(e.actor_id, "") if e.actor_id else texts.WEB_ROLE["system"]
            out.append(Resolution(e.at, by, e.note or "", None))
        elif out and out[-1].reopened_at is None:
            last = out[-1]
            out[-1] = Resolution(last.at, last.by, last.note, e.at)
    return out[::-1]
