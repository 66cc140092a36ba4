"""Deadline scans: claim due tickets with one atomic statement, act on each, set when to look next.

Exactly-once across processes: the claim (`WITH pick AS MATERIALIZED (SELECT … FOR UPDATE SKIP
LOCKED) UPDATE … WHERE id = ANY(ARRAY(pick)) RETURNING id`), the actions, the outbox rows and the
new `next_*_at` are one transaction. Another process skips rows locked by it and, after it
commits, no longer sees them as due. A process killed mid-scan rolls back: the rows are still
due for the next scan.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from datetime import datetime, timedelta

from sqlalchemy import Update, any_, func, select, text, update
from sqlalchemy.orm import InstrumentedAttribute, Session

from . import points, tickets
from .base import UTCDateTime
from .events import RESIDENT_NEWS, EventKind, Happened, record
from .hours import hold_until
from .property_first import with_company
from .sla import MAX_LEVEL, deadline, is_urgent, next_check, reminder_time
from .store.unit_of_work import Unit
from .tables import Person, Rating, Status, Ticket, TicketEvent, Tier
from .ticket_states import Action, transition

log = logging.getLogger(__name__)

BATCH = 100
BatchFn = Callable[[Unit, int], int]
# A claimed row whose action failed is looked at again after this long (a poison ticket
# must not block the others, nor be retried on every tick).
RETRY_AFTER = timedelta(minutes=10)


def claim_statement(
    dialect: str,
    column: InstrumentedAttribute[datetime | None],
    now: datetime,
    limit: int,
    retry_at: datetime,
) -> Update:
    """UPDATE of at most `limit` due ids (oldest first, locked rows skipped) RETURNING id."""
    pick = select(Ticket.id).where(column <= now).order_by(column, Ticket.id).limit(limit)
    if dialect == "postgresql":
        # A MATERIALIZED CTE runs once; `IN (subquery … LIMIT … SKIP LOCKED)` may be re-run per
        # outer row by the planner and then claims more than `limit` rows.
        # `= ANY(ARRAY(…))`: an InitPlan, run once, whatever the statistics say.
        cte = pick.with_for_update(skip_locked=True).cte("pick").prefix_with("MATERIALIZED")
        stmt = update(Ticket).where(Ticket.id == any_(func.array(select(cte.c.id).scalar_subquery())))
    else:
        stmt = update(Ticket).where(Ticket.id.in_(pick.scalar_subquery()))
    return (
        stmt.where(column <= now)
        .values({column: retry_at})
        .returning(Ticket.id)
        .execution_options(synchronize_session=False)
    )


def claim_due(
    session: Session,
    column: InstrumentedAttribute[datetime | None],
    now: datetime,
    *,
    limit: int = BATCH,
    retry_at: datetime | None = None,
) -> list[int]:
    """Atomically take up to `limit` tickets whose `column` is due, moving it to a retry time."""
    stmt = claim_statement(session.get_bind().dialect.name, column, now, limit, retry_at or now + RETRY_AFTER)
    return sorted(session.scalars(stmt).all())


# The earliest pending moment of each kind: two index probes (the partial indexes) in one round
# trip; plain SQL because this runs on every scheduler tick.
_EARLIEST = text(
    "SELECT (SELECT next_check_at FROM tickets WHERE next_check_at IS NOT NULL"
    " ORDER BY next_check_at LIMIT 1) AS next_check,"
    " (SELECT next_push_at FROM tickets WHERE next_push_at IS NOT NULL"
    " ORDER BY next_push_at LIMIT 1) AS next_push"
).columns(next_check=UTCDateTime(), next_push=UTCDateTime())


def earliest(session: Session) -> tuple[datetime | None, datetime | None]:
    """The earliest deadline check and progress push still to happen (None: nothing pending)."""
    row = session.execute(_EARLIEST).one()
    return row.next_check, row.next_push


def _each(u: Unit, ids: list[int], act: Callable[[Unit, Ticket], None]) -> None:
    """Act on each claimed ticket in its own savepoint, so one failure loses only itself."""
    if not ids:
        return
    rows = u.session.scalars(select(Ticket).where(Ticket.id.in_(ids)).order_by(Ticket.id)).all()
    # Load the residents and handlers of the batch at once and hold them: the session's identity
    # map is weak, so without this every notice would read its person again.
    people = {t.resident_id for t in rows} | {t.handler_id for t in rows if t.handler_id is not None}
    held = u.session.scalars(select(Person).where(Person.id.in_(people))).all()
    for ticket in rows:
        mark = len(u.sent)
        # Scheduled notices wait out quiet hours, unless the ticket is urgent.
        u.hold = None if is_urgent(u.session, ticket, u.rules.sla) else hold_until(u.now, u.rules.sla)
        try:
            with u.session.begin_nested():
                act(u, ticket)
        except Exception:
            del u.sent[mark:]
            log.exception("SLA action failed for ticket #%s; retrying after %s", ticket.id, RETRY_AFTER)
        finally:
            u.hold = None
    del held


def _hold_to_office(u: Unit, ticket: Ticket) -> None:
    """A deadline passed out of office hours: its escalation notices wait for the next office start."""
    if not is_urgent(u.session, ticket, u.rules.sla):
        u.hold = hold_until(u.now, u.rules.sla, office=True)


def run_checks(u: Unit, limit: int = BATCH) -> int:
    """Claim and handle one batch of due deadline checks; return how many were claimed."""
    ids = claim_due(u.session, Ticket.next_check_at, u.now, limit=limit)
    _each(u, ids, check)
    return len(ids)


def run_pushes(u: Unit, limit: int = BATCH) -> int:
    """Claim and send one batch of due progress pushes; return how many were claimed."""
    ids = claim_due(u.session, Ticket.next_push_at, u.now, limit=limit)
    _each(u, ids, push)
    return len(ids)


def check(u: Unit, ticket: Ticket) -> None:
    """Do what is due for one ticket (one step), then set its next check from its new state."""
    urgent = is_urgent(u.session, ticket, u.rules.sla)
    due = next_check(ticket, u.rules.sla, urgent=urgent)
    if due is not None and due <= u.now:
        if ticket.status == Status.OPEN and ticket.tier == Tier.CONSULT:
            _consult_late(u, ticket)
        elif ticket.status == Status.OPEN:
            _unclaimed(u, ticket)
        elif ticket.status == Status.CLAIMED and ticket.paused_at is not None:
            minutes = int((u.now - ticket.paused_at).total_seconds() // 60)
            transition(u, ticket, Action.RESUME, None, note=str(minutes))  # the pause's limit came
        elif ticket.status == Status.CLAIMED:
            _window(u, ticket)
        elif ticket.status == Status.RESOLVED:
            _followup(u, ticket)
    ticket.next_check_at = next_check(ticket, u.rules.sla, urgent=urgent)


def _unclaimed(u: Unit, ticket: Ticket) -> None:
    """Nobody grabbed it: one level up per claim window, then a daily reminder at the top."""
    if with_company(ticket):  # the property company did not take it: the community steps in (兜底)
        transition(u, ticket, Action.BACKSTOP, None, note="unclaimed")
        return
    if ticket.level < MAX_LEVEL:
        ticket.level += 1
        record(u, Happened(EventKind.ESCALATED, ticket, note=f"unclaimed:{ticket.level}"))
        return
    ticket.reminders_sent += 1
    record(u, Happened(EventKind.OVERDUE_REMINDED, ticket, note=f"unclaimed:{ticket.reminders_sent}"))


def _consult_late(u: Unit, ticket: Ticket) -> None:
    """A consultation not answered within its working days: marked late once, the office told."""
    assert ticket.due_at is not None
    ticket.overdue_count += 1
    ticket.overdue_since = ticket.due_at
    record(u, Happened(EventKind.OVERDUE, ticket, note="consult", missed=ticket.due_at))


def _window(u: Unit, ticket: Ticket) -> None:
    """Reminders at fractions of the window; at the deadline, a deduction and one level up."""
    policy = u.rules.sla
    due = ticket.due_at
    assert due is not None
    fractions = policy.reminder_fractions
    if u.now < due:
        start = ticket.window_started_at or due
        passed = sum(1 for f in fractions if reminder_time(start, due, f) <= u.now)
        if passed > ticket.reminders_sent:
            # After a pause several may be due: send only the latest, each fraction at most once.
            ticket.reminders_sent = passed
            fraction = fractions[passed - 1]
            note = f"{ticket.level}:{fraction:g}"
            record(u, Happened(EventKind.REMINDED, ticket, note=note, fraction=fraction))
        return
    if with_company(ticket):  # taken but not finished in time: the community takes it over
        _hold_to_office(u, ticket)
        held_by = ticket.handler_id
        transition(u, ticket, Action.BACKSTOP, None, note="overdue", missed=due, previous_handler_id=held_by)
        return
    if ticket.reminders_sent > len(fractions):
        ticket.reminders_sent += 1
        note = f"{ticket.level}:{ticket.reminders_sent}"
        record(u, Happened(EventKind.OVERDUE_REMINDED, ticket, note=note, missed=due))
        return
    penalty = 0
    ticket.overdue_count += 1
    if ticket.overdue_since is None:
        ticket.overdue_since = due
    if ticket.handler_id is not None:
        penalty = u.rules.points.overdue
        points.award(u.session, ticket.handler_id, ticket.id, penalty, "overdue", u.now)
    if ticket.level < MAX_LEVEL:
        # The next level's window starts at the missed deadline, so the schedule does not
        # depend on when the scan happened to run.
        ticket.level += 1
        ticket.window_started_at = due
        ticket.due_at = deadline(due, ticket.tier, policy)
        ticket.reminders_sent = 0
        note = f"overdue:{ticket.level}"
        _hold_to_office(u, ticket)
        record(u, Happened(EventKind.ESCALATED, ticket, note=note, missed=due, points=penalty))
        return
    ticket.reminders_sent = len(fractions) + 1
    _hold_to_office(u, ticket)
    record(u, Happened(EventKind.OVERDUE, ticket, note=f"{ticket.level}", missed=due, points=penalty))


def _followup(u: Unit, ticket: Ticket) -> None:
    """No answer to 回访: one reminder, then close as unrated."""
    policy = u.rules.sla
    asked = ticket.followup_asked_at or ticket.resolved_at
    assert asked is not None
    if u.now < asked + policy.followup_autoclose_after:
        ticket.followup_reminded = True
        record(u, Happened(EventKind.FOLLOWUP_REMINDED, ticket, note=str(ticket.followup_stage)))
        return
    tickets.close(u, ticket, None, Rating.UNRATED)


def push(u: Unit, ticket: Ticket) -> None:
    """Tell a waiting resident where their ticket stands, unless they heard from us recently."""
    every = u.rules.sla.progress_push_every
    if ticket.status not in (Status.OPEN, Status.CLAIMED):
        ticket.next_push_at = None
        return
    last = u.session.scalar(
        select(func.max(TicketEvent.at)).where(
            TicketEvent.ticket_id == ticket.id, TicketEvent.kind.in_([k.value for k in RESIDENT_NEWS])
        )
    )
    if last is not None and u.now - last < every:
        ticket.next_push_at = last + every
        return
    record(u, Happened(EventKind.PROGRESS, ticket))
    ticket.next_push_at = u.now + every
