"""Ticket operations: every transition checks who may do it, writes an event and tells people."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time
from typing import NoReturn, cast
from zoneinfo import ZoneInfo

from sqlalchemy import Table, insert, select, update

from handlers import texts

from . import escalation, notify, points
from .errors import AlreadyClaimed, BadInput, InvalidTransition, NotAllowed, NotFound
from .fastsql import Prepared
from .messages import Button
from .people import can_handle, has_role
from .refdata import catalogue
from .render import category_name, fmt_time, person_name
from .sla import MAX_LEVEL, deadline, next_check, window_check
from .tables import FINAL, Person, Rating, Role, Status, Ticket, TicketEvent, Tier
from .unit import Unit


@dataclass(frozen=True)
class Draft:
    """What the report wizard collected."""

    category_code: str
    description: str
    area_id: int
    photo: str | None = None
    lat: float | None = None
    lon: float | None = None
    address: str | None = None
    phone: str | None = None
    source: str = "self"
    contact_name: str | None = None


def get(u: Unit, ticket_id: int, *, lock: bool = False) -> Ticket:
    """Load a ticket or raise NotFound."""
    stmt = select(Ticket).where(Ticket.id == ticket_id)
    if lock and u.session.get_bind().dialect.name == "postgresql":
        stmt = stmt.with_for_update()
    ticket = u.session.scalar(stmt)
    if ticket is None:
        raise NotFound(texts.NOT_FOUND.format(id=ticket_id))
    return ticket


_INSERT_EVENT = Prepared(insert(cast(Table, TicketEvent.__table__)))


def event(
    u: Unit,
    ticket: Ticket,
    actor: Person | None,
    kind: str,
    *,
    from_status: str | None = None,
    note: str | None = None,
) -> None:
    """Append to the ticket's audit trail."""
    if ticket.id is None or (actor is not None and actor.id is None):
        u.session.flush()  # the rows the event refers to must exist first
    # Written at once with a prebuilt INSERT (fastsql): nothing reads it back as an object.
    _INSERT_EVENT.rows(
        u.session,
        {
            "ticket_id": ticket.id,
            "actor_id": actor.id if actor else None,
            "at": u.now,
            "kind": kind,
            "from_status": from_status,
            "to_status": ticket.status,
            "note": note,
        },
    )


def is_admin_over(u: Unit, person: Person, ticket: Ticket) -> bool:
    """Tell whether the person is an admin of the ticket's area."""
    return has_role(u.session, person.id, Role.ADMIN, u.tree, ticket.area_id)


def _require_state(ticket: Ticket, *allowed: Status) -> None:
    if ticket.status not in allowed:
        raise InvalidTransition(texts.NOT_OPEN.format(id=ticket.id, status=texts.STATUS[ticket.status]))


def _require_handler_or_admin(u: Unit, ticket: Ticket, actor: Person) -> None:
    if ticket.handler_id == actor.id or is_admin_over(u, actor, ticket):
        return
    raise NotAllowed(texts.NOT_HANDLER.format(id=ticket.id))


def _start_window(u: Unit, ticket: Ticket) -> None:
    """Start a fresh resolution window for the ticket's tier from now."""
    ticket.window_started_at = u.now
    ticket.due_at = deadline(u.now, ticket.tier, u.rules.sla)
    ticket.reminders_sent = 0
    ticket.next_check_at = next_check(ticket, u.rules.sla)


def create(u: Unit, resident: Person, draft: Draft, filed_by: Person | None = None) -> Ticket:
    """Turn a confirmed draft into an open ticket (the caller then posts its card)."""
    category = catalogue(u.session).get(draft.category_code)
    if category is None:
        raise BadInput(texts.CHOICE_EXPECTED)
    ticket = Ticket(
        resident_id=resident.id,
        filed_by_id=filed_by.id if filed_by else None,
        source=draft.source,
        contact_name=draft.contact_name,
        category_code=draft.category_code,
        description=draft.description,
        photo=draft.photo,
        lat=draft.lat,
        lon=draft.lon,
        address=draft.address,
        phone=draft.phone,
        area_id=draft.area_id,
        status=Status.OPEN,
        tier=category.default_tier,
        level=0,
        reminders_sent=0,
        created_at=u.now,
        next_push_at=u.now + u.rules.sla.progress_push_after,
    )
    ticket.next_check_at = next_check(ticket, u.rules.sla)
    u.session.add(ticket)
    u.session.flush()
    event(u, ticket, filed_by or resident, "created", note=draft.source)
    return ticket


def details_text(u: Unit, ticket: Ticket) -> str:
    """Full details, phone and address included: only for the handler and admins."""
    location = f"{ticket.lat:.5f},{ticket.lon:.5f}" if ticket.lat is not None else texts.NONE
    contact = ticket.contact_name or person_name(u.session, ticket.resident_id)
    return texts.DETAILS.format(
        id=ticket.id,
        category=category_name(u.session, ticket.category_code),
        description=ticket.description,
        area=notify.area_label(u, ticket.area_id),
        address=ticket.address or texts.NONE,
        location=location,
        contact=contact,
        phone=ticket.phone or texts.NONE,
        tier=texts.TIER_SHORT[ticket.tier],
        due=notify.due_text(u, ticket),
    )


def _send_details(u: Unit, ticket: Ticket, worker: Person) -> None:
    notify.to_person(u, worker, details_text(u, ticket), ticket_id=ticket.id)
    if ticket.photo:
        notify.to_person(
            u, worker, texts.DETAILS_PHOTO.format(id=ticket.id), photo=ticket.photo, ticket_id=ticket.id
        )


def grab(u: Unit, ticket_id: int, worker: Person) -> Ticket:
    """Claim an open ticket first-come-first-served; the database decides who was first."""
    ticket = get(u, ticket_id)
    if not can_handle(u.session, worker.id, ticket, u.tree):
        raise NotAllowed(texts.NOT_IN_SCOPE.format(id=ticket_id))
    if ticket.status != Status.OPEN:  # taken already: no need to race for it (a burst's late taps)
        _refuse_grab(u, ticket)
    # A ticket moved after it was claimed keeps its window (moving is no reset of the 135 clock).
    started = ticket.window_started_at or u.now
    due = ticket.due_at or deadline(u.now, ticket.tier, u.rules.sla)
    won = (
        u.session.execute(
            update(Ticket)
            .where(Ticket.id == ticket_id, Ticket.status == Status.OPEN)
            .values(
                status=Status.CLAIMED,
                handler_id=worker.id,
                claimed_at=u.now,
                window_started_at=started,
                due_at=due,
                reminders_sent=0,
                next_check_at=None if due is None else window_check(started, due, 0, u.rules.sla),
            )
            .returning(Ticket.id)
            .execution_options(synchronize_session=False)
        ).first()
        is not None
    )
    u.session.refresh(ticket)
    if not won:
        _refuse_grab(u, ticket)
    event(u, ticket, worker, "grabbed", from_status=Status.OPEN)
    points.award(u.session, worker.id, ticket.id, u.rules.points.grab, "grab", u.now)
    notify.refresh_card(u, ticket)
    _send_details(u, ticket, worker)
    tier = texts.TIER[ticket.tier]
    if ticket.due_at is None:  # a suggestion: no deadline to promise
        told = texts.R_CLAIMED_NO_DUE.format(id=ticket.id, handler=worker.name, tier=tier)
    else:
        told = texts.R_CLAIMED.format(
            id=ticket.id, handler=worker.name, tier=tier, due=notify.due_text(u, ticket)
        )
    notify.to_resident(u, ticket, told)
    return ticket


def _refuse_grab(u: Unit, ticket: Ticket) -> NoReturn:
    """Say why a ticket cannot be grabbed: who was faster, or what state it is in."""
    if ticket.status == Status.OPEN:  # pragma: no cover - only if the row vanished
        raise InvalidTransition(texts.NOT_OPEN.format(id=ticket.id, status=texts.STATUS["open"]))
    if ticket.handler_id is not None and ticket.status in (Status.CLAIMED, Status.RESOLVED):
        raise AlreadyClaimed(
            texts.ALREADY_CLAIMED.format(id=ticket.id, handler=person_name(u.session, ticket.handler_id))
        )
    raise InvalidTransition(texts.NOT_OPEN.format(id=ticket.id, status=texts.STATUS[ticket.status]))


def assign(u: Unit, ticket_id: int, admin: Person, worker: Person) -> Ticket:
    """An admin hands a ticket to a named worker (or moves it to another)."""
    ticket = get(u, ticket_id, lock=True)
    if not is_admin_over(u, admin, ticket):
        raise NotAllowed(texts.NOT_ADMIN)
    _require_state(ticket, Status.OPEN, Status.CLAIMED)
    if not can_handle(u.session, worker.id, ticket, u.tree):
        raise NotAllowed(texts.ASSIGN_NOT_IN_SCOPE.format(id=ticket_id, user=worker.name))
    previous, before = ticket.handler_id, ticket.status
    ticket.handler_id = worker.id
    ticket.status = Status.CLAIMED
    if ticket.claimed_at is None:
        ticket.claimed_at = u.now
        _start_window(u, ticket)
    event(u, ticket, admin, "assigned", from_status=before, note=worker.name)
    if previous is not None and previous != worker.id:
        old = u.session.get(Person, previous)
        if old is not None:
            notify.to_person(
                u, old, texts.W_UNASSIGNED.format(id=ticket.id, handler=worker.name), ticket_id=ticket.id
            )
    notify.to_person(u, worker, texts.W_ASSIGNED.format(id=ticket.id), ticket_id=ticket.id)
    _send_details(u, ticket, worker)
    notify.refresh_card(u, ticket)
    if ticket.due_at is None:  # a suggestion: no deadline to promise
        told = texts.R_ASSIGNED_NO_DUE.format(id=ticket.id, handler=worker.name, tier=texts.TIER[ticket.tier])
    else:
        told = texts.R_ASSIGNED.format(id=ticket.id, handler=worker.name, due=notify.due_text(u, ticket))
    notify.to_resident(u, ticket, told)
    return ticket


def meet(u: Unit, ticket_id: int, worker: Person) -> Ticket:
    """Record that the handler met the resident on site (bonus once per ticket)."""
    ticket = get(u, ticket_id, lock=True)
    _require_handler_or_admin(u, ticket, worker)
    _require_state(ticket, Status.CLAIMED)
    first = ticket.met_at is None
    ticket.met_at = u.now
    event(u, ticket, worker, "met")
    if first and ticket.handler_id is not None:
        points.award(u.session, ticket.handler_id, ticket.id, u.rules.points.meet, "meet", u.now)
    notify.to_resident(u, ticket, texts.R_MET.format(id=ticket.id, handler=worker.name))
    return ticket


def add_note(u: Unit, ticket_id: int, actor: Person, note: str) -> Ticket:
    """Record progress and pass it on to the resident."""
    note = _clean_note(u, note)
    ticket = get(u, ticket_id, lock=True)
    _require_handler_or_admin(u, ticket, actor)
    _require_state(ticket, Status.CLAIMED)
    event(u, ticket, actor, "note", note=note)
    notify.to_resident(u, ticket, texts.R_NOTE.format(id=ticket.id, note=note))
    return ticket


def change_tier(u: Unit, ticket_id: int, actor: Person, tier: str, reason: str) -> Ticket:
    """Move a ticket to another 135 tier, with a reason; the window restarts from the claim."""
    reason = _clean_note(u, reason, texts.REASON_REQUIRED)
    ticket = get(u, ticket_id, lock=True)
    _require_handler_or_admin(u, ticket, actor)
    _require_state(ticket, Status.OPEN, Status.CLAIMED)
    old = ticket.tier
    ticket.tier = Tier(tier)
    if ticket.window_started_at is not None:
        ticket.due_at = deadline(ticket.window_started_at, ticket.tier, u.rules.sla)
        ticket.reminders_sent = 0
        ticket.next_check_at = next_check(ticket, u.rules.sla)
    event(u, ticket, actor, "tier", note=f"{old}->{tier}: {reason}")
    notify.to_resident(
        u,
        ticket,
        texts.R_TIER.format(
            id=ticket.id, tier=texts.TIER[ticket.tier], reason=reason, due=notify.due_text(u, ticket)
        ),
    )
    return ticket


def set_plan(u: Unit, ticket_id: int, actor: Person, due: date, plan: str) -> Ticket:
    """Record the initial plan of a 'pending' ticket; its date becomes the new deadline."""
    plan = _clean_note(u, plan)
    ticket = get(u, ticket_id, lock=True)
    _require_handler_or_admin(u, ticket, actor)
    _require_state(ticket, Status.CLAIMED)
    if ticket.tier != Tier.PENDING:
        raise InvalidTransition(texts.PLAN_NOT_PENDING.format(id=ticket.id))
    tz = ZoneInfo(u.rules.sla.timezone)
    if due < u.now.astimezone(tz).date():
        raise BadInput(texts.DATE_INVALID.format(example=u.now.astimezone(tz).date().isoformat()))
    ticket.plan_note = plan
    ticket.window_started_at = u.now
    ticket.due_at = datetime.combine(due, time(23, 59, 59), tz).astimezone(u.now.tzinfo)
    ticket.reminders_sent = 0
    ticket.next_check_at = next_check(ticket, u.rules.sla)
    event(u, ticket, actor, "plan", note=f"{due.isoformat()}: {plan}")
    notify.to_resident(
        u, ticket, texts.R_PLAN.format(id=ticket.id, plan=plan, due=notify.due_text(u, ticket))
    )
    return ticket


def resolve(u: Unit, ticket_id: int, actor: Person, note: str) -> Ticket:
    """The handler reports the problem solved; the resident is asked to confirm."""
    note = _clean_note(u, note)
    ticket = get(u, ticket_id, lock=True)
    _require_handler_or_admin(u, ticket, actor)
    _require_state(ticket, Status.CLAIMED)
    ticket.status = Status.RESOLVED
    ticket.resolved_at = u.now
    ticket.resolution_note = note
    ticket.followup_stage = 1
    ticket.followup_asked_at = u.now
    ticket.followup_reminded = False
    ticket.overdue_since = None
    ticket.next_check_at = next_check(ticket, u.rules.sla)
    ticket.next_push_at = None  # the follow-up questions take over from progress pushes
    event(u, ticket, actor, "resolved", from_status=Status.CLAIMED, note=note)
    notify.refresh_card(u, ticket)
    notify.to_resident(
        u, ticket, texts.R_RESOLVED.format(id=ticket.id, note=note), buttons=followup_buttons(ticket)
    )
    return ticket


def followup_buttons(ticket: Ticket) -> tuple[Button, ...]:
    """The buttons of the current follow-up question."""
    if ticket.followup_stage == 1:
        return (Button(texts.BTN_YES, f"fu1:{ticket.id}:y"), Button(texts.BTN_NO, f"fu1:{ticket.id}:n"))
    return (
        Button(texts.BTN_SATISFIED, f"fu2:{ticket.id}:y"),
        Button(texts.BTN_UNSATISFIED, f"fu2:{ticket.id}:n"),
    )


def attach_resolution_photo(u: Unit, ticket_id: int, actor: Person, photo: str) -> Ticket:
    """Add the on-site photo of the result and show it to the resident."""
    ticket = get(u, ticket_id, lock=True)
    _require_handler_or_admin(u, ticket, actor)
    _require_state(ticket, Status.RESOLVED, Status.CLOSED)
    ticket.resolution_photo = photo
    event(u, ticket, actor, "result_photo")
    notify.to_resident(u, ticket, texts.R_RESOLVED_PHOTO.format(id=ticket.id), photo=photo)
    return ticket


def answer_followup(u: Unit, ticket_id: int, resident: Person, stage: int, yes: bool) -> Ticket:
    """Take the resident's 是/否 or 满意/不满意 answer."""
    ticket = get(u, ticket_id, lock=True)
    if ticket.resident_id != resident.id:  # a forged press: reveal nothing about the ticket
        raise NotFound(texts.NOT_FOUND.format(id=ticket_id))
    if ticket.status != Status.RESOLVED or ticket.followup_stage != stage:
        raise InvalidTransition(texts.FOLLOWUP_NOT_NOW.format(id=ticket.id))
    if stage == 1 and not yes:
        return reopen(u, ticket, resident)
    if stage == 1:
        ticket.followup_stage = 2
        event(u, ticket, resident, "confirmed_resolved")
        notify.to_resident(u, ticket, texts.R_ASK_SATISFIED, buttons=followup_buttons(ticket))
        return ticket
    return close(u, ticket, resident, Rating.DOUBLE_YES if yes else Rating.UNSATISFIED)


def reopen(u: Unit, ticket: Ticket, actor: Person | None) -> Ticket:
    """The resident says it is not solved: back to the same handler, one level up."""
    ticket.status = Status.CLAIMED
    ticket.followup_stage = 0
    ticket.reopen_count += 1
    ticket.level = min(MAX_LEVEL, ticket.level + 1)
    _start_window(u, ticket)
    ticket.next_push_at = u.now + u.rules.sla.progress_push_after
    event(u, ticket, actor, "reopened", from_status=Status.RESOLVED)
    notify.refresh_card(u, ticket)
    escalation.announce_reopened(u, ticket)
    notify.to_handler(u, ticket, texts.W_REOPENED.format(id=ticket.id))
    notify.to_resident(
        u, ticket, texts.R_REOPENED.format(id=ticket.id, handler=person_name(u.session, ticket.handler_id))
    )
    return ticket


def close(u: Unit, ticket: Ticket, actor: Person | None, rating: Rating) -> Ticket:
    """Close (销号) a resolved ticket and pay the handler's points."""
    ticket.status = Status.CLOSED
    ticket.closed_at = u.now
    ticket.rating = rating
    ticket.followup_stage = 0
    ticket.next_check_at = None
    ticket.next_push_at = None
    event(u, ticket, actor, "closed", from_status=Status.RESOLVED, note=rating)
    earned = 0
    if ticket.handler_id is not None:
        rules = u.rules.points
        points.award(u.session, ticket.handler_id, ticket.id, rules.close, "close", u.now)
        earned = rules.close
        if rating == Rating.DOUBLE_YES:
            points.award(u.session, ticket.handler_id, ticket.id, rules.double_yes, "double_yes", u.now)
            earned += rules.double_yes
        notify.to_handler(
            u, ticket, texts.W_CLOSED.format(id=ticket.id, rating=texts.RATING[rating], points=earned)
        )
    notify.refresh_card(u, ticket)
    if rating == Rating.DOUBLE_YES:
        notify.to_resident(u, ticket, texts.R_CLOSED_DOUBLE_YES.format(id=ticket.id))
    elif rating == Rating.UNSATISFIED:
        notify.to_resident(u, ticket, texts.R_CLOSED_UNSATISFIED.format(id=ticket.id))
    return ticket


def _finish(
    u: Unit, ticket: Ticket, actor: Person, status: Status, kind: str, note: str | None = None
) -> None:
    before = ticket.status
    ticket.status = status
    ticket.closed_at = u.now
    ticket.next_check_at = None
    ticket.next_push_at = None
    ticket.followup_stage = 0
    event(u, ticket, actor, kind, from_status=before, note=note)
    notify.refresh_card(u, ticket)


def withdraw(u: Unit, ticket_id: int, resident: Person) -> Ticket:
    """The resident takes back a ticket not yet resolved."""
    ticket = get(u, ticket_id, lock=True)
    if ticket.resident_id != resident.id:
        raise NotFound(texts.NOT_FOUND.format(id=ticket_id))
    _require_state(ticket, Status.OPEN, Status.CLAIMED)
    _finish(u, ticket, resident, Status.WITHDRAWN, "withdrawn")
    notify.to_handler(u, ticket, texts.W_WITHDRAWN.format(id=ticket.id))
    return ticket


def reject(u: Unit, ticket_id: int, admin: Person, reason: str) -> Ticket:
    """An admin refuses a ticket, with a reason the resident is told."""
    reason = _clean_note(u, reason, texts.REASON_REQUIRED)
    ticket = get(u, ticket_id, lock=True)
    if not is_admin_over(u, admin, ticket):
        raise NotAllowed(texts.NOT_ADMIN)
    _require_state(ticket, Status.OPEN, Status.CLAIMED, Status.RESOLVED)
    ticket.reason = reason
    _finish(u, ticket, admin, Status.REJECTED, "rejected", reason)
    notify.to_handler(u, ticket, texts.W_REJECTED.format(id=ticket.id, reason=reason))
    notify.to_resident(u, ticket, texts.R_REJECTED.format(id=ticket.id, reason=reason))
    return ticket


def merge(u: Unit, ticket_id: int, into_id: int, admin: Person) -> Ticket:
    """An admin folds a duplicate into the ticket that carries on."""
    if ticket_id == into_id:
        raise BadInput(texts.MERGE_SELF)
    ticket = get(u, ticket_id, lock=True)
    target = get(u, into_id)
    if not (is_admin_over(u, admin, ticket) and is_admin_over(u, admin, target)):
        raise NotAllowed(texts.NOT_ADMIN)
    _require_state(ticket, Status.OPEN, Status.CLAIMED, Status.RESOLVED)
    if target.status in FINAL:
        raise InvalidTransition(
            texts.MERGE_TARGET_FINAL.format(into=into_id, status=texts.STATUS[target.status])
        )
    ticket.merged_into_id = target.id
    _finish(u, ticket, admin, Status.MERGED, "merged", f"#{target.id}")
    notify.to_handler(u, ticket, texts.W_MERGED.format(id=ticket.id, into=target.id))
    notify.to_resident(u, ticket, texts.R_MERGED.format(id=ticket.id, into=target.id))
    return ticket


def _clean_note(u: Unit, text: str, empty_message: str = texts.NOTE_REQUIRED) -> str:
    text = " ".join(text.split())
    if not text:
        raise BadInput(empty_message)
    if len(text) > u.rules.limits.note_max:
        raise BadInput(texts.TOO_LONG.format(limit=u.rules.limits.note_max))
    return text


def visible_to(u: Unit, ticket: Ticket, person: Person) -> bool:
    """Residents see their own tickets; staff see tickets in their scope."""
    return ticket.resident_id == person.id or can_handle(u.session, person.id, ticket, u.tree)


def history_lines(u: Unit, ticket: Ticket, limit: int = 6) -> list[str]:
    """Recent events in words a resident understands."""
    rows = list(
        u.session.scalars(
            select(TicketEvent)
            .where(TicketEvent.ticket_id == ticket.id, TicketEvent.kind.not_in(escalation.STAFF_ONLY_EVENTS))
            .order_by(TicketEvent.id.desc())
            .limit(limit)
        )
    )
    words = {
        "created": "已受理",
        "grabbed": "网格员接单",
        "assigned": "交办",
        "met": "网格员上门见面",
        "note": "进展",
        "tier": "调整时限",
        "plan": "初步方案",
        "resolved": "办结",
        "confirmed_resolved": "居民确认已解决",
        "reopened": "居民反馈未解决，重新办理",
        "closed": "销号",
        "withdrawn": "撤回",
        "rejected": "驳回",
        "merged": "合并",
        "escalated": "升级督办",
        "overdue": "超期，街道领导督办",
        "progress": "进展提醒",
        "result_photo": "补充办结照片",
        "moved": "转派",
        "recategorised": "调整类别",
    }
    out = []
    for ev in reversed(rows):
        line = f"{fmt_time(ev.at, u.rules.sla.timezone)} {words.get(ev.kind, ev.kind)}"
        if ev.kind in ("note", "resolved", "rejected") and ev.note:
            line += f"：{ev.note}"
        out.append(line)
    return out
