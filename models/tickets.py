"""Ticket operations: each checks who may act, then goes through the state machine (ticket_states)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, bindparam, literal_column, select, type_coerce
from sqlalchemy.orm import Session
from sqlalchemy.types import NullType

from . import enterprise, followers, points, search
from .civic_points import pay_report
from .errors import BadInput, InvalidTransition, NotAllowed, Refusal
from .events import STAFF_ONLY, EventKind, Happened, record
from .people import can_handle
from .property_first import company_for
from .refdata import catalogue
from .sla import is_urgent, next_check
from .store.prepared import Prepared
from .store.unit_of_work import Unit
from .tables import (
    ACTIVE,
    CITY_SOURCE,
    FINAL,
    Person,
    Rating,
    Status,
    Ticket,
    TicketEvent,
    TicketFollower,
    Tier,
)
from .ticket_states import Action, allowed, get, is_admin_over, load, refuse_state, transition

__all__ = ["Draft", "get", "is_admin_over"]

_T = cast(Table, Ticket.__table__)
_F = cast(Table, TicketFollower.__table__)
# The confirm step of every report looks for a duplicate: prebuilt, straight to the driver. The
# active statuses are written into the SQL (constants, as the outbox's open statuses are).
SIMILAR_CANDIDATES = 50  # the newest ones looked at
_SIMILAR_CANDIDATES = Prepared(
    # Coordinates as the driver reads them (floats on both databases): SQLAlchemy's Float result
    # processor on PostgreSQL needs the column's type code, which a Prepared statement does not have.
    select(
        _T.c.id,
        type_coerce(_T.c.lat, NullType()),
        type_coerce(_T.c.lon, NullType()),
        _T.c.area_id,
        _T.c.description,
    )
    .where(
        _T.c.category_code == bindparam("category"),
        _T.c.status.in_([literal_column(f"'{s.value}'") for s in ACTIVE]),
        _T.c.created_at >= bindparam("since"),
        _T.c.resident_id != bindparam("person_id"),
        _T.c.id.not_in(select(_F.c.ticket_id).where(_F.c.person_id == bindparam("person_id"))),
    )
    .order_by(_T.c.created_at.desc())
    .limit(SIMILAR_CANDIDATES)
)


def similar_candidates(
    session: Session, category: str, since: datetime, person_id: int
) -> list[tuple[Any, ...]]:
    """(id, lat, lon, area_id, description) of the newest active tickets of a category filed since
    then: neither the person's own nor ones they follow."""
    session.flush()  # as a query would: rows changed in this transaction count
    return _SIMILAR_CANDIDATES.rows(session, {"category": category, "since": since, "person_id": person_id})


# A 见面 recorded again within this long is kept in the trail but not told to the resident again.
MEET_AGAIN_AFTER = timedelta(days=1)


@dataclass(frozen=True)
class Draft:
    """What the report wizard collected."""

    category_code: str
    description: str
    area_id: int
    photo: str | None = None
    lat: float | None = None
    lon: float | None = None
    datum: str = "wgs84"  # of lat/lon: "wgs84" (GPS, Telegram, Open311) or "gcj02" (WeChat)
    address: str | None = None
    phone: str | None = None
    source: str = "self"
    contact_name: str | None = None
    media_url: str | None = None  # Open311: the address of a photo the client keeps
    city_due_at: datetime | None = None  # a city order's 办结时限
    location_approx: bool = False  # lat/lon estimated from a typed address (its grid's centre)


def create(u: Unit, resident: Person, draft: Draft, filed_by: Person | None = None) -> Ticket:
    """Turn a confirmed draft into an open ticket (the caller then posts its card)."""
    ticket = _new(u, resident, draft, filed_by)
    u.session.add(ticket)
    u.session.flush()
    search.index(u.session, ticket)
    enterprise.stamp(u.session, ticket.id, resident.id)  # he reports for a company: the ticket is its
    record(u, Happened(EventKind.CREATED, ticket, filed_by or resident, note=draft.source))
    return ticket


def create_many(u: Unit, resident: Person, drafts: list[Draft]) -> list[Ticket]:
    """Open many tickets of one resident at once (an import): one batched INSERT for the tickets and
    one for their search words, instead of a round trip of each per ticket."""
    tickets = [_new(u, resident, d) for d in drafts]
    u.session.add_all(tickets)
    u.session.flush()
    search.index_new(u.session, tickets, resident.name)
    for ticket, draft in zip(tickets, drafts, strict=True):
        record(u, Happened(EventKind.CREATED, ticket, resident, note=draft.source))
    return tickets


def _new(u: Unit, resident: Person, draft: Draft, filed_by: Person | None = None) -> Ticket:
    category = catalogue(u.session).get(draft.category_code)
    if category is None:
        raise BadInput(Refusal.CHOICE_EXPECTED)
    ticket = Ticket(
        resident_id=resident.id,
        filed_by_id=filed_by.id if filed_by else None,
        source=draft.source,
        contact_name=draft.contact_name,
        category_code=draft.category_code,
        description=draft.description,
        photo=draft.photo,
        media_url=draft.media_url,
        lat=draft.lat,
        lon=draft.lon,
        datum=draft.datum if draft.lat is not None else None,
        address=draft.address,
        phone=draft.phone,
        area_id=draft.area_id,
        status=Status.OPEN,
        tier=category.default_tier,
        level=0,
        reminders_sent=0,
        created_at=u.now,
        next_push_at=u.now + u.rules.sla.progress_push_after,
        city_due_at=draft.city_due_at,
        location_approx=draft.location_approx,
    )
    urgent = is_urgent(u.session, ticket, u.rules.sla)
    company = company_for(u.session, ticket, urgent=urgent)  # 有事您找我: the company first
    ticket.property_id = company.id if company is not None else None
    ticket.next_check_at = next_check(ticket, u.rules.sla, urgent=urgent)
    return ticket


def grab(u: Unit, ticket_id: int, worker: Person) -> Ticket:
    """Claim an open ticket first-come-first-served; the database decides who was first."""
    ticket = load(u, ticket_id, Action.GRAB, worker, lock=False)
    transition(u, ticket, Action.GRAB, worker, changes={"handler_id": worker.id}, race=True)
    points.award(u.session, worker.id, ticket.id, u.rules.points.grab, "grab", u.now)
    return ticket


def assign(u: Unit, ticket_id: int, admin: Person, worker: Person) -> Ticket:
    """An admin hands a ticket to a named worker (or moves it to another)."""
    ticket = load(u, ticket_id, Action.ASSIGN, admin)
    if not can_handle(u.session, worker.id, ticket, u.tree):
        raise NotAllowed(Refusal.ASSIGN_NOT_IN_SCOPE, id=ticket_id, user=worker.name)
    previous = ticket.handler_id
    transition(
        u,
        ticket,
        Action.ASSIGN,
        admin,
        changes={"handler_id": worker.id},
        note=worker.name,
        previous_handler_id=previous,
    )
    return ticket


def meet(u: Unit, ticket_id: int, worker: Person) -> Ticket:
    """Record that the handler met the resident on site (bonus once per ticket)."""
    ticket = load(u, ticket_id, Action.MEET, worker)
    repeat = ticket.met_at is not None and u.now - ticket.met_at < MEET_AGAIN_AFTER
    note = "repeat" if repeat else None
    transition(u, ticket, Action.MEET, worker, changes={"met_at": u.now}, note=note, repeat=repeat)
    # The bonus is the handler's own visit: an admin recording one on his behalf earns him nothing.
    if ticket.handler_id == worker.id and not points.earned(u.session, worker.id, ticket.id, "meet"):
        points.award(u.session, ticket.handler_id, ticket.id, u.rules.points.meet, "meet", u.now)
    return ticket


def add_note(u: Unit, ticket_id: int, actor: Person, note: str) -> Ticket:
    """Record progress and pass it on to the resident."""
    note = _clean_note(u, note)
    ticket = load(u, ticket_id, Action.NOTE, actor)
    transition(u, ticket, Action.NOTE, actor, note=note, said=note)
    return ticket


def change_tier(u: Unit, ticket_id: int, actor: Person, tier: str, reason: str) -> Ticket:
    """Move a ticket to another 135 tier, with a reason; the window restarts from the claim."""
    reason = _clean_note(u, reason, Refusal.REASON_REQUIRED)
    ticket = load(u, ticket_id, Action.TIER, actor)
    old = ticket.tier
    note = f"{old}->{tier}: {reason}"
    transition(u, ticket, Action.TIER, actor, changes={"tier": Tier(tier)}, note=note, said=reason)
    return ticket


def set_plan(u: Unit, ticket_id: int, actor: Person, due: date, plan: str) -> Ticket:
    """Record the initial plan of a 'pending' ticket; its date becomes the new deadline."""
    plan = _clean_note(u, plan)
    ticket = load(u, ticket_id, Action.PLAN, actor)
    if ticket.tier != Tier.PENDING:
        raise InvalidTransition(Refusal.PLAN_NOT_PENDING, id=ticket.id)
    tz = ZoneInfo(u.rules.sla.timezone)
    if due < u.now.astimezone(tz).date():
        raise BadInput(Refusal.DATE_INVALID, example=u.now.astimezone(tz).date().isoformat())
    due_at = datetime.combine(due, time(23, 59, 59), tz).astimezone(u.now.tzinfo)
    changes = {"plan_note": plan, "due_at": due_at}
    transition(u, ticket, Action.PLAN, actor, changes=changes, note=f"{due.isoformat()}: {plan}", said=plan)
    return ticket


def resolve(u: Unit, ticket_id: int, actor: Person, note: str, credit: Person | None = None) -> Ticket:
    """The handler (or an admin on his behalf) reports the problem solved; the resident is asked to confirm.

    Resolved on behalf, the closing points go to nobody unless the admin credits a worker who
    may handle the ticket."""
    note = _clean_note(u, note)
    ticket = load(u, ticket_id, Action.RESOLVE, actor)
    on_behalf = ticket.handler_id != actor.id
    if credit is not None:
        if not on_behalf:
            raise BadInput(Refusal.CREDIT_NOT_ON_BEHALF, id=ticket.id)
        if not can_handle(u.session, credit.id, ticket, u.tree):
            raise NotAllowed(Refusal.CREDIT_NOT_IN_SCOPE, id=ticket.id, user=credit.name)
    credit_id = credit.id if credit is not None else None
    changes = {"resolution_note": note, "resolved_by_id": actor.id, "credit_id": credit_id}
    transition(u, ticket, Action.RESOLVE, actor, changes=changes, note=note, said=note)
    return ticket


def payee(ticket: Ticket) -> int | None:
    """Who earns the closing points: the handler, or after a resolve on his behalf the credited worker."""
    if ticket.resolved_by_id is None or ticket.resolved_by_id == ticket.handler_id:
        return ticket.handler_id
    return ticket.credit_id


def attach_resolution_photo(u: Unit, ticket_id: int, actor: Person, photo: str) -> Ticket:
    """Add the on-site photo of the result and show it to the resident."""
    ticket = load(u, ticket_id, Action.RESULT_PHOTO, actor)
    transition(u, ticket, Action.RESULT_PHOTO, actor, changes={"resolution_photo": photo})
    return ticket


def answer_followup(
    u: Unit,
    ticket_id: int,
    resident: Person,
    stage: int,
    yes: bool,
    reason: str | None = None,
    broken: bool = False,
) -> Ticket:
    """Take the resident's 是/否 or 满意/不满意 answer.

    reason: the resident's words with a "no" ("还是老样子"), kept in the trail and told to the handler.
    broken: the "no" says the problem is still there (又坏了 after 满意吗), so it reopens at either stage.
    """
    ticket = load(u, ticket_id, Action.CONFIRM, resident, check_status=False)
    _refuse_self_rating(ticket, resident)
    return _answer(u, ticket, resident, stage, yes, reason, broken)


def own_work(ticket: Ticket) -> set[int]:
    """Who may not answer a ticket's follow-up: its handler, the filer of a 代办, whoever resolved it."""
    return {i for i in (ticket.handler_id, ticket.filed_by_id, ticket.resolved_by_id) if i is not None}


def rates_own_work(ticket: Ticket, person_id: int) -> bool:
    """Tell whether an answer from this person would be a rating of their own work."""
    return person_id in own_work(ticket)


def _refuse_self_rating(ticket: Ticket, person: Person) -> None:
    """Nobody rates their own work: the filer of a 代办, the handler, an admin who resolved it."""
    if rates_own_work(ticket, person.id):
        raise NotAllowed(Refusal.SELF_RATING, id=ticket.id)


def _answer(
    u: Unit,
    ticket: Ticket,
    actor: Person,
    stage: int,
    yes: bool,
    reason: str | None = None,
    broken: bool = False,
) -> Ticket:
    if ticket.status != Status.RESOLVED or ticket.followup_stage != stage:
        raise InvalidTransition(Refusal.FOLLOWUP_NOT_NOW, id=ticket.id)
    if not yes and (stage == 1 or broken):
        return reopen(u, ticket, actor, reason)
    if stage == 1:
        transition(u, ticket, Action.CONFIRM, actor)
        return ticket
    return close(u, ticket, actor, Rating.DOUBLE_YES if yes else Rating.UNSATISFIED)


def needs_phone_followup(ticket: Ticket) -> bool:
    """The 回访 is an admin's: a 代办 resident has no chat, and nobody checks work they did themselves."""
    return ticket.filed_by_id is not None or self_handled(ticket)


def self_handled(ticket: Ticket) -> bool:
    """Tell whether a worker reported this problem himself and also handles or resolved it."""
    return ticket.filed_by_id is None and ticket.resident_id in (ticket.handler_id, ticket.resolved_by_id)


def filer_handles(ticket: Ticket) -> bool:
    """Tell whether whoever filed the ticket (for himself or as 代办) also handles or resolved it."""
    filer = ticket.filed_by_id if ticket.filed_by_id is not None else ticket.resident_id
    return filer in (ticket.handler_id, ticket.resolved_by_id)


def phone_followup(u: Unit, ticket_id: int, admin: Person, stage: int, yes: bool) -> Ticket:
    """An admin records the resident's answer given on the phone; the event names the admin."""
    ticket = get(u, ticket_id, lock=True)
    if not is_admin_over(u, admin, ticket):
        raise NotAllowed(Refusal.NOT_ADMIN)
    _refuse_self_rating(ticket, admin)
    if not needs_phone_followup(ticket) or ticket.status != Status.RESOLVED or ticket.followup_stage != stage:
        raise InvalidTransition(Refusal.FOLLOWUP_NOT_NOW, id=ticket.id)
    record(u, Happened(EventKind.PHONE_FOLLOWUP, ticket, admin, note=f"{stage}:{'y' if yes else 'n'}"))
    return _answer(u, ticket, admin, stage, yes)


def reopen(u: Unit, ticket: Ticket, actor: Person | None, reason: str | None = None) -> Ticket:
    """The resident says it is not solved: back to the same handler, one level up, with his words if any."""
    said = _short_reason(u, reason)
    transition(u, ticket, Action.REOPEN, actor, note=said, said=said)
    return ticket


def _short_reason(u: Unit, reason: str | None) -> str | None:
    """A resident's reason as the trail keeps it: stripped, at most the note limit, None when empty."""
    text = " ".join((reason or "").split())
    return text[: u.rules.limits.note_max] or None


def close(u: Unit, ticket: Ticket, actor: Person | None, rating: Rating) -> Ticket:
    """Close (销号) a resolved ticket and pay the handler's points."""
    earned = 0
    paid = payee(ticket)
    if rating == Rating.UNRATED and filer_handles(ticket):
        paid = None  # nobody checked work on a ticket its handler filed, so its points are never paid
    if paid is not None:
        rules = u.rules.points
        points.award(u.session, paid, ticket.id, rules.close, "close", u.now)
        earned = rules.close
        if rating == Rating.DOUBLE_YES and rules.chat_double_yes and ticket.source != CITY_SOURCE:
            points.award(u.session, paid, ticket.id, rules.double_yes, "double_yes", u.now)
            earned += rules.double_yes
    pay_report(u, ticket)  # 双向积分+: the resident's confirmed report
    transition(
        u, ticket, Action.CLOSE, actor, changes={"rating": rating}, note=rating, rating=rating, points=earned
    )
    return ticket


def withdraw(u: Unit, ticket_id: int, resident: Person) -> Ticket:
    """The resident takes back a ticket not yet resolved."""
    ticket = load(u, ticket_id, Action.WITHDRAW, resident)
    transition(u, ticket, Action.WITHDRAW, resident)
    return ticket


def withdrawable(u: Unit, ticket_id: int, resident: Person) -> Ticket:
    """The ticket, when the resident may withdraw it now; refused as withdraw() would be, nothing changed."""
    return load(u, ticket_id, Action.WITHDRAW, resident, lock=False)


def unfollow(u: Unit, ticket_id: int, follower: Person, actor: Person) -> Ticket:
    """The follower stops following the ticket (himself, or removed by an admin over it)."""
    ticket = get(u, ticket_id, lock=True)
    if actor.id != follower.id and not is_admin_over(u, actor, ticket):
        raise NotAllowed(Refusal.NOT_ADMIN)
    if not followers.remove(u.session, ticket.id, follower.id):
        raise BadInput(Refusal.NOT_FOLLOWING, id=ticket.id)
    record(u, Happened(EventKind.UNFOLLOWED, ticket, actor, note=str(follower.id)))
    return ticket


def reject(u: Unit, ticket_id: int, admin: Person, reason: str) -> Ticket:
    """An admin refuses a ticket, with a reason the resident is told."""
    reason = _clean_note(u, reason, Refusal.REASON_REQUIRED)
    ticket = load(u, ticket_id, Action.REJECT, admin)
    transition(u, ticket, Action.REJECT, admin, changes={"reason": reason}, note=reason, said=reason)
    return ticket


def merge(u: Unit, ticket_id: int, into_id: int, admin: Person) -> Ticket:
    """An admin folds a duplicate into the ticket that carries on."""
    if ticket_id == into_id:
        raise BadInput(Refusal.MERGE_SELF)
    # Both rows locked, in id order (two merges of a pair in opposite directions never deadlock).
    first, second = sorted((ticket_id, into_id))
    locked = {first: get(u, first, lock=True), second: get(u, second, lock=True)}
    ticket, target = locked[ticket_id], locked[into_id]
    if not (is_admin_over(u, admin, ticket) and is_admin_over(u, admin, target)):
        raise NotAllowed(Refusal.NOT_ADMIN)
    if not allowed(ticket, Action.MERGE):
        refuse_state(u, ticket, Action.MERGE, admin)
    if target.status in FINAL:
        raise InvalidTransition(Refusal.MERGE_TARGET_FINAL, into=into_id, status=target.status)
    follow_target(u, ticket, target)  # first: the merge's notices reach them as followers
    transition(u, ticket, Action.MERGE, admin, changes={"merged_into_id": target.id}, note=f"#{target.id}")
    return ticket


def follow_target(u: Unit, ticket: Ticket, into: Ticket) -> list[int]:
    """The residents of a merged ticket who now follow its target: its own resident and its followers.

    Not the target's own resident, handler or filer (nobody rates their own work), and not the
    resident of a 代办 ticket (no chat of their own: the filer was told of the merge)."""
    own = {into.resident_id, into.handler_id, into.filed_by_id}
    people = [] if needs_phone_followup(ticket) else [ticket.resident_id]
    people += [f.person_id for f in followers.of_ticket(u.session, ticket.id)]
    added = []
    for person_id in dict.fromkeys(people):
        if person_id not in own and followers.add(u.session, into.id, person_id, u.now):
            added.append(person_id)
    return added


def _clean_note(u: Unit, text: str, empty: Refusal = Refusal.NOTE_REQUIRED) -> str:
    text = " ".join(text.split())
    if not text:
        raise BadInput(empty)
    if len(text) > u.rules.limits.note_max:
        raise BadInput(Refusal.TOO_LONG, limit=u.rules.limits.note_max)
    return text


def visible_to(u: Unit, ticket: Ticket, person: Person) -> bool:
    """Residents see their own tickets; staff see tickets in their scope."""
    return ticket.resident_id == person.id or can_handle(u.session, person.id, ticket, u.tree)


def resident_trail(u: Unit, ticket: Ticket, limit: int = 6) -> list[TicketEvent]:
    """The ticket's latest events a resident may see, oldest first."""
    rows = u.session.scalars(
        select(TicketEvent)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind.not_in([k.value for k in STAFF_ONLY]))
        .order_by(TicketEvent.id.desc())
        .limit(limit)
    )
    return list(reversed(list(rows)))


def latest_note(u: Unit, ticket: Ticket) -> str | None:
    """The handler's latest progress note on the ticket, if any."""
    return u.session.scalar(
        select(TicketEvent.note)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind == EventKind.NOTE.value)
        .order_by(TicketEvent.id.desc())
        .limit(1)
    )


def release_unhandleable(u: Unit, worker: Person, admin: Person) -> list[int]:
    """After a role was revoked: the claimed tickets the worker may no longer handle go back to the pool."""
    held = u.session.scalars(
        select(Ticket)
        .where(Ticket.handler_id == worker.id, Ticket.status == Status.CLAIMED)
        .order_by(Ticket.id)
    ).all()
    moved = []
    for ticket in held:
        if can_handle(u.session, worker.id, ticket, u.tree):
            continue
        release(u, ticket.id, admin)
        moved.append(ticket.id)
    return moved


def release(u: Unit, ticket_id: int, admin: Person) -> Ticket:
    """An admin puts a claimed ticket back in the pool (its handler can no longer take it)."""
    ticket = load(u, ticket_id, Action.RELEASE, admin)
    previous = ticket.handler_id
    transition(u, ticket, Action.RELEASE, admin, note=str(previous), previous_handler_id=previous)
    return ticket
