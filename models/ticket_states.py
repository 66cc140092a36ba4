"""The ticket state machine: one table of what each action may do, and the one transition() applying it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import datetime
from enum import Enum, StrEnum
from typing import Any, NoReturn, cast

from sqlalchemy import select, update

from .errors import AlreadyClaimed, InvalidTransition, NotAllowed, NotFound, Refusal
from .events import EventKind, Happened, record
from .hours import add_office_time
from .outbox import drop_held
from .people import can_handle, grants_of, has_role
from .property_first import handle_ends, with_company
from .sla import MAX_LEVEL, deadline, is_urgent, next_check
from .store.unit_of_work import Unit
from .tables import Person, Role, Status, Ticket, TicketEvent
from .volunteers import closed_to


class Action(StrEnum):
    """Everything that can be done to a ticket by a person."""

    GRAB = "grab"
    ASSIGN = "assign"
    MEET = "meet"
    NOTE = "note"
    TIER = "tier"
    PLAN = "plan"
    RESOLVE = "resolve"
    RESULT_PHOTO = "result_photo"
    CONFIRM = "confirm"
    REOPEN = "reopen"
    CLOSE = "close"
    WITHDRAW = "withdraw"
    REJECT = "reject"
    MERGE = "merge"
    MOVE = "move"
    MOVE_RESOLVED = "move_resolved"
    RECATEGORISE = "recategorise"
    RELEASE = "release"
    # City hotline orders: 退单 and 延期 (asked by the unit, decided by the dispatchers), the city's 回访.
    RETURN_ASK = "return_ask"
    RETURN_APPROVE = "return_approve"
    RETURN_REFUSE = "return_refuse"
    EXTEND_ASK = "extend_ask"
    EXTEND_APPROVE = "extend_approve"
    EXTEND_REFUSE = "extend_refuse"
    CITY_VISIT_CLOSE = "city_visit_close"
    CITY_VISIT_REOPEN = "city_visit_reopen"
    PAUSE = "pause"
    RESUME = "resume"
    ANSWER = "answer"  # a consultation (咨询) answered in words, which closes it
    # 有事您找我: the property company did not take or finish it in time; the community takes over.
    BACKSTOP = "backstop"


class Right(Enum):
    """Who may take an action."""

    SCOPE = "a worker or admin whose areas include the ticket's"
    ADMIN = "an admin over the ticket's area"
    HANDLER_OR_ADMIN = "the ticket's handler or an admin over its area"
    RESIDENT = "the resident who reported it"
    DISPATCHER = "an admin of the whole subdistrict (the 指挥中心 that answers to the city)"
    CITY = "the city platform's 回访 (an import or a push: no person)"
    CLOCK = "the deadline scan (no person)"


class Effect(Enum):
    """The columns a transition sets or clears besides the status."""

    CLAIM = "first claim: claimed_at, and a resolution window starts"
    REDATE = "the window's deadline follows the new tier; reminders start again"
    PLAN = "a new window from now; due_at is the planned date"
    ASK_FOLLOWUP = "resolved_at, follow-up question 1 asked, no overdue mark, no progress pushes"
    ASK_SATISFACTION = "follow-up question 2"
    REOPEN = "no follow-up, reopened once more, one level up, a new window, pushes again"
    FINISH = "closed_at; no more checks, pushes or follow-up"
    RELEASE = "no handler: the ticket is up for grabs again, its window and deadline run on"
    RETURN_TO_POOL = "back to the pool: no handler, no window; the claim clock starts again from now"
    EXTEND = "city_due_at moves (given in changes); the deadline follows it, reminders start again"
    UNCLOSE = "closed_at cleared: a closed city order the city's 回访 sends back for 二次办理"
    PAUSE = "paused_at and pause_until set (given in changes): no reminders, the scan resumes it at the limit"
    RESUME = "the window and deadline move by the time paused (never past the city's); reminders follow"
    BACKSTOP = "the property company's turn ends: no handler, no window, the community's claim clock from now"


@dataclass(frozen=True)
class Step:
    """One row of the table: from which statuses, to which, who may, what it sets, what it records."""

    allowed: frozenset[Status]
    to: Status | None  # None: the status stays
    right: Right
    effects: tuple[Effect, ...]
    event: EventKind


def _from(*statuses: Status) -> frozenset[Status]:
    return frozenset(statuses)


OPEN, CLAIMED, RESOLVED, CLOSED = Status.OPEN, Status.CLAIMED, Status.RESOLVED, Status.CLOSED
TRANSITIONS: Mapping[Action, Step] = {
    Action.GRAB: Step(_from(OPEN), CLAIMED, Right.SCOPE, (Effect.CLAIM,), EventKind.GRABBED),
    Action.ASSIGN: Step(_from(OPEN, CLAIMED), CLAIMED, Right.ADMIN, (Effect.CLAIM,), EventKind.ASSIGNED),
    Action.MEET: Step(_from(CLAIMED), None, Right.HANDLER_OR_ADMIN, (), EventKind.MET),
    Action.NOTE: Step(_from(CLAIMED), None, Right.HANDLER_OR_ADMIN, (), EventKind.NOTE),
    Action.TIER: Step(_from(OPEN, CLAIMED), None, Right.HANDLER_OR_ADMIN, (Effect.REDATE,), EventKind.TIER),
    Action.PLAN: Step(_from(CLAIMED), None, Right.HANDLER_OR_ADMIN, (Effect.PLAN,), EventKind.PLAN),
    Action.RESOLVE: Step(
        _from(CLAIMED), RESOLVED, Right.HANDLER_OR_ADMIN, (Effect.ASK_FOLLOWUP,), EventKind.RESOLVED
    ),
    Action.RESULT_PHOTO: Step(
        _from(RESOLVED, CLOSED), None, Right.HANDLER_OR_ADMIN, (), EventKind.RESULT_PHOTO
    ),
    Action.CONFIRM: Step(
        _from(RESOLVED), None, Right.RESIDENT, (Effect.ASK_SATISFACTION,), EventKind.CONFIRMED_RESOLVED
    ),
    Action.REOPEN: Step(_from(RESOLVED), CLAIMED, Right.RESIDENT, (Effect.REOPEN,), EventKind.REOPENED),
    Action.CLOSE: Step(_from(RESOLVED), CLOSED, Right.RESIDENT, (Effect.FINISH,), EventKind.CLOSED),
    Action.WITHDRAW: Step(
        _from(OPEN, CLAIMED), Status.WITHDRAWN, Right.RESIDENT, (Effect.FINISH,), EventKind.WITHDRAWN
    ),
    Action.REJECT: Step(
        _from(OPEN, CLAIMED, RESOLVED), Status.REJECTED, Right.ADMIN, (Effect.FINISH,), EventKind.REJECTED
    ),
    Action.MERGE: Step(
        _from(OPEN, CLAIMED, RESOLVED), Status.MERGED, Right.ADMIN, (Effect.FINISH,), EventKind.MERGED
    ),
    # Moved to another area: a held ticket is released for the new area to grab; a resolved one
    # waits for the resident's answer where it is now.
    Action.MOVE: Step(_from(OPEN, CLAIMED), OPEN, Right.ADMIN, (Effect.RELEASE,), EventKind.MOVED),
    Action.MOVE_RESOLVED: Step(_from(RESOLVED), None, Right.ADMIN, (), EventKind.MOVED),
    Action.RECATEGORISE: Step(_from(OPEN, CLAIMED, RESOLVED), None, Right.ADMIN, (), EventKind.RECATEGORISED),
    Action.RELEASE: Step(_from(CLAIMED), OPEN, Right.ADMIN, (Effect.RETURN_TO_POOL,), EventKind.RELEASED),
    Action.RETURN_ASK: Step(_from(OPEN, CLAIMED), None, Right.SCOPE, (), EventKind.RETURN_ASKED),
    Action.RETURN_APPROVE: Step(
        _from(OPEN, CLAIMED), Status.RETURNED, Right.DISPATCHER, (Effect.FINISH,), EventKind.RETURNED
    ),
    Action.RETURN_REFUSE: Step(_from(OPEN, CLAIMED), None, Right.DISPATCHER, (), EventKind.RETURN_REFUSED),
    Action.EXTEND_ASK: Step(_from(OPEN, CLAIMED), None, Right.SCOPE, (), EventKind.EXTENSION_ASKED),
    Action.EXTEND_APPROVE: Step(
        _from(OPEN, CLAIMED), None, Right.DISPATCHER, (Effect.EXTEND,), EventKind.EXTENDED
    ),
    Action.EXTEND_REFUSE: Step(_from(OPEN, CLAIMED), None, Right.DISPATCHER, (), EventKind.EXTENSION_REFUSED),
    # The city's 回访 of a resolved order (or one closed unrated meanwhile): 双是 closes it, 未解决 or
    # 不满意 sends it back for 二次办理 one level up, to the same handler.
    Action.CITY_VISIT_CLOSE: Step(
        _from(RESOLVED, CLOSED), CLOSED, Right.CITY, (Effect.FINISH,), EventKind.CITY_VISIT
    ),
    # 挂起: waiting for the resident or a third party stops the clock, with a reason and a limit.
    Action.PAUSE: Step(_from(CLAIMED), None, Right.HANDLER_OR_ADMIN, (Effect.PAUSE,), EventKind.PAUSED),
    Action.RESUME: Step(_from(CLAIMED), None, Right.HANDLER_OR_ADMIN, (Effect.RESUME,), EventKind.RESUMED),
    Action.ANSWER: Step(_from(OPEN, CLAIMED), CLOSED, Right.SCOPE, (Effect.FINISH,), EventKind.ANSWERED),
    Action.BACKSTOP: Step(_from(OPEN, CLAIMED), OPEN, Right.CLOCK, (Effect.BACKSTOP,), EventKind.BACKSTOPPED),
    Action.CITY_VISIT_REOPEN: Step(
        _from(RESOLVED, CLOSED), CLAIMED, Right.CITY, (Effect.UNCLOSE, Effect.REOPEN), EventKind.CITY_VISIT
    ),
}


class _Projected:
    """The ticket as it will be after the pending changes (read by next_check before they are written)."""

    def __init__(self, ticket: Ticket, changes: dict[str, Any]) -> None:
        self._ticket = ticket
        self._changes = changes

    def __getattr__(self, name: str) -> Any:
        return self._changes[name] if name in self._changes else getattr(self._ticket, name)


def _due(u: Unit, view: _Projected, start: datetime) -> datetime | None:
    """The tier's deadline from start (a property company's: its own), never past a city order's 办结时限."""
    if with_company(cast(Ticket, view)):
        due: datetime | None = handle_ends(start, u.rules.sla)
    else:
        due = deadline(start, view.tier, u.rules.sla)
    city = view.city_due_at
    if city is None:
        return due
    return city if due is None or city < due else due


def _window(u: Unit, view: _Projected, changes: dict[str, Any]) -> None:
    changes["window_started_at"] = u.now
    changes["due_at"] = _due(u, view, u.now)
    changes["reminders_sent"] = 0


def _recheck(u: Unit, ticket: Ticket, changes: dict[str, Any]) -> None:
    view = cast(Ticket, _Projected(ticket, changes))
    changes["next_check_at"] = next_check(view, u.rules.sla, urgent=is_urgent(u.session, view, u.rules.sla))


def _claim(u: Unit, ticket: Ticket, changes: dict[str, Any]) -> None:
    if ticket.claimed_at is None:
        changes["claimed_at"] = u.now
        _window(u, _Projected(ticket, changes), changes)
        _recheck(u, ticket, changes)
    elif ticket.status == Status.OPEN:  # released by a move: the first claim's window runs on
        changes["reminders_sent"] = 0
        _recheck(u, ticket, changes)


def _redate(u: Unit, ticket: Ticket, changes: dict[str, Any]) -> None:
    view = _Projected(ticket, changes)
    if view.window_started_at is not None:
        changes["due_at"] = _due(u, view, view.window_started_at)
        changes["reminders_sent"] = 0
        _recheck(u, ticket, changes)


def _unclose(u: Unit, ticket: Ticket, changes: dict[str, Any]) -> None:
    changes.update(closed_at=None, rating=None)


def _pause(u: Unit, ticket: Ticket, changes: dict[str, Any]) -> None:
    changes["paused_at"] = u.now
    _recheck(u, ticket, changes)


def _resume(u: Unit, ticket: Ticket, changes: dict[str, Any]) -> None:
    if ticket.paused_at is None:
        return
    paused = u.now - ticket.paused_at
    changes.update(
        paused_at=None, pause_until=None, paused_seconds=ticket.paused_seconds + int(paused.total_seconds())
    )
    if ticket.window_started_at is not None:
        changes["window_started_at"] = ticket.window_started_at + paused
    if ticket.due_at is not None:
        due = ticket.due_at + paused
        changes["due_at"] = min(due, ticket.city_due_at) if ticket.city_due_at is not None else due
    _recheck(u, ticket, changes)


def _plan(u: Unit, ticket: Ticket, changes: dict[str, Any]) -> None:
    changes["window_started_at"] = u.now
    changes["reminders_sent"] = 0
    _recheck(u, ticket, changes)


def _ask_followup(u: Unit, ticket: Ticket, changes: dict[str, Any]) -> None:
    changes.update(
        resolved_at=u.now,
        followup_stage=1,
        followup_asked_at=u.now,
        followup_reminded=False,
        overdue_since=None,
    )
    _recheck(u, ticket, changes)
    changes["next_push_at"] = None  # the follow-up questions take over from progress pushes


def _ask_satisfaction(u: Unit, ticket: Ticket, changes: dict[str, Any]) -> None:
    changes["followup_stage"] = 2


def _reopen(u: Unit, ticket: Ticket, changes: dict[str, Any]) -> None:
    changes["followup_stage"] = 0
    changes["reopen_count"] = ticket.reopen_count + 1
    changes["level"] = min(MAX_LEVEL, ticket.level + 1)
    _window(u, _Projected(ticket, changes), changes)
    _recheck(u, ticket, changes)
    changes["next_push_at"] = u.now + u.rules.sla.progress_push_after


def _finish(u: Unit, ticket: Ticket, changes: dict[str, Any]) -> None:
    changes.update(closed_at=u.now, followup_stage=0, next_check_at=None, next_push_at=None)


def _release(u: Unit, ticket: Ticket, changes: dict[str, Any]) -> None:
    changes["handler_id"] = None
    _recheck(u, ticket, changes)


def _return_to_pool(u: Unit, ticket: Ticket, changes: dict[str, Any]) -> None:
    changes.update(
        handler_id=None, claimed_at=None, window_started_at=None, due_at=None, reminders_sent=0, met_at=None
    )
    # Not grabbed again within a claim window (office time) from now: the ladder resumes.
    changes["next_check_at"] = add_office_time(u.now, u.rules.sla.claim_within, u.rules.sla)


def _backstop(u: Unit, ticket: Ticket, changes: dict[str, Any]) -> None:
    changes.update(
        handler_id=None,
        claimed_at=None,
        window_started_at=None,
        due_at=None,
        reminders_sent=0,
        met_at=None,
        level=max(ticket.level, 1),
        property_left_at=u.now,
    )
    _recheck(u, ticket, changes)


_EFFECTS: Mapping[Effect, Callable[[Unit, Ticket, dict[str, Any]], None]] = {
    Effect.CLAIM: _claim,
    Effect.REDATE: _redate,
    Effect.PLAN: _plan,
    Effect.ASK_FOLLOWUP: _ask_followup,
    Effect.ASK_SATISFACTION: _ask_satisfaction,
    Effect.REOPEN: _reopen,
    Effect.FINISH: _finish,
    Effect.RELEASE: _release,
    Effect.RETURN_TO_POOL: _return_to_pool,
    Effect.EXTEND: _redate,
    Effect.UNCLOSE: _unclose,
    Effect.PAUSE: _pause,
    Effect.RESUME: _resume,
    Effect.BACKSTOP: _backstop,
}


def get(u: Unit, ticket_id: int, *, lock: bool = False) -> Ticket:
    """Load a ticket or raise NotFound; lock=True: lock its row and read it afresh under the lock.

    Fresh matters: the caller may have loaded the ticket before (a visibility check), and the
    session would otherwise keep the attributes read before another transaction's commit.
    """
    stmt = select(Ticket).where(Ticket.id == ticket_id)
    if lock:
        if u.session.get_bind().dialect.name == "postgresql":
            stmt = stmt.with_for_update()
        stmt = stmt.execution_options(populate_existing=True)
    ticket = u.session.scalar(stmt)
    if ticket is None:
        raise NotFound(Refusal.NOT_FOUND, id=ticket_id)
    return ticket


def is_admin_over(u: Unit, person: Person, ticket: Ticket) -> bool:
    """Tell whether the person is an admin of the ticket's area."""
    return has_role(u.session, person.id, Role.ADMIN, u.tree, ticket.area_id)


def check_right(u: Unit, ticket: Ticket, right: Right, actor: Person) -> None:
    """Refuse unless the actor holds the right over this ticket."""
    if right == Right.SCOPE:
        if not can_handle(u.session, actor.id, ticket, u.tree):
            if closed_to(u.session, grants_of(u.session, actor.id), ticket, u.tree):
                raise NotAllowed(Refusal.VOLUNTEER_CLOSED, id=ticket.id)
            raise NotAllowed(Refusal.NOT_IN_SCOPE, id=ticket.id)
    elif right == Right.ADMIN:
        if not is_admin_over(u, actor, ticket):
            raise NotAllowed(Refusal.NOT_ADMIN)
    elif right == Right.HANDLER_OR_ADMIN:
        if ticket.handler_id != actor.id and not is_admin_over(u, actor, ticket):
            raise NotAllowed(Refusal.NOT_HANDLER, id=ticket.id)
    elif right == Right.DISPATCHER:
        if not has_role(u.session, actor.id, Role.ADMIN, u.tree, u.tree.top().id):
            raise NotAllowed(Refusal.NOT_DISPATCHER)
    elif right in (Right.CITY, Right.CLOCK):
        raise NotAllowed(Refusal.NOT_ADMIN)  # only the city's own 回访 results, never a person
    elif ticket.resident_id != actor.id:  # someone else's ticket: reveal nothing about it
        raise NotFound(Refusal.NOT_FOUND, id=ticket.id)


# Status changes a refusal names ("已被 X 办结"); the catalogue has words for each (texts.DONE).
DONE_KINDS = frozenset(
    {
        EventKind.GRABBED,
        EventKind.ASSIGNED,
        EventKind.RESOLVED,
        EventKind.REOPENED,
        EventKind.CLOSED,
        EventKind.WITHDRAWN,
        EventKind.REJECTED,
        EventKind.MERGED,
        EventKind.MOVED,
        EventKind.RELEASED,
        EventKind.ANSWERED,
    }
)


def _last_change(u: Unit, ticket: Ticket) -> tuple[EventKind, Person] | None:
    """The event that brought the ticket to its status, and who did it (None: nobody, or its creation)."""
    row = u.session.execute(
        select(TicketEvent.kind, TicketEvent.actor_id)
        .where(TicketEvent.ticket_id == ticket.id, TicketEvent.from_status.is_not(None))
        .order_by(TicketEvent.id.desc())
        .limit(1)
    ).first()
    if row is None or row.actor_id is None or row.kind not in DONE_KINDS:
        return None
    actor = u.session.get(Person, row.actor_id)
    return (EventKind(row.kind), actor) if actor is not None else None


def _already_done(ticket: Ticket, kind: EventKind, by: Person) -> dict[str, Any]:
    """The facts of ALREADY_DONE; the resident is not named (who=None: the catalogue's word for him)."""
    who = None if by.id == ticket.resident_id else by.name
    return {"id": ticket.id, "who": who, "done": kind, "status": ticket.status}


def refuse_state(u: Unit, ticket: Ticket, action: Action, actor: Person | None = None) -> NoReturn:
    """Say why the ticket's status does not allow the action: who was faster, and with what."""
    last = _last_change(u, ticket)
    if action == Action.GRAB and actor is not None and ticket.handler_id == actor.id:
        raise InvalidTransition(Refusal.ALREADY_YOURS, id=ticket.id)  # he is the one who has it
    if action == Action.GRAB and ticket.handler_id is not None and ticket.status in (CLAIMED, RESOLVED):
        if last is None or last[0] == EventKind.GRABBED:
            handler = u.session.get(Person, ticket.handler_id)
            raise AlreadyClaimed(
                Refusal.ALREADY_CLAIMED, id=ticket.id, handler=handler.name if handler else ""
            )
        raise AlreadyClaimed(Refusal.ALREADY_DONE, **_already_done(ticket, *last))
    if last is not None and (actor is None or last[1].id != actor.id):
        raise InvalidTransition(Refusal.ALREADY_DONE, **_already_done(ticket, *last))
    raise InvalidTransition(Refusal.NOT_OPEN, id=ticket.id, status=ticket.status)


def load(
    u: Unit, ticket_id: int, action: Action, actor: Person, *, lock: bool = True, check_status: bool = True
) -> Ticket:
    """The shared preamble: load the ticket, check the actor's right, check its status allows the action."""
    step = TRANSITIONS[action]
    ticket = get(u, ticket_id, lock=lock)
    check_right(u, ticket, step.right, actor)
    if check_status and ticket.status not in step.allowed:
        refuse_state(u, ticket, action, actor)
    return ticket


def allowed(ticket: Ticket, action: Action) -> bool:
    """Tell whether the ticket's status allows the action."""
    return ticket.status in TRANSITIONS[action].allowed


def transition(
    u: Unit,
    ticket: Ticket,
    action: Action,
    actor: Person | None,
    *,
    changes: Mapping[str, Any] | None = None,
    race: bool = False,
    **facts: Any,
) -> Happened:
    """Apply one row of the table: status, the given changes, the row's effects, then record its event.

    race=True writes everything in one UPDATE guarded by the allowed statuses, so of two
    concurrent grabs the database lets exactly one through; the other is refused.
    """
    step = TRANSITIONS[action]
    before = ticket.status
    if before not in step.allowed:
        refuse_state(u, ticket, action, actor)
    pending: dict[str, Any] = dict(changes or {})
    if step.to is not None:
        pending["status"] = step.to
    for effect in step.effects:
        _EFFECTS[effect](u, ticket, pending)
    if race:
        won = u.session.execute(
            update(Ticket)
            .where(Ticket.id == ticket.id, Ticket.status.in_(step.allowed))
            .values(pending)
            .returning(Ticket.id)
            .execution_options(synchronize_session=False)
        ).first()
        u.session.refresh(ticket)
        if won is None:
            refuse_state(u, ticket, action, actor)
    else:
        for name, value in pending.items():
            setattr(ticket, name, value)
    if step.to is not None:
        # Reminders, escalations and pushes held for later speak of the status just left.
        reason = f"ticket {before} -> {ticket.status} ({action}) while held"
        drop_held(u.session, ticket.id, u.now, reason, [row.id for row in u.sent])
    happened = Happened(
        step.event,
        ticket,
        actor,
        from_status=before if step.to is not None else None,
        **facts,
    )
    record(u, happened)
    return happened
