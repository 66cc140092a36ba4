"""The ticket state machine: each allowed transition of the table, one refused per action, events in words."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from handlers import texts
from handlers.notify import announce
from handlers.refusals import refusal_text
from models import consult, hotline_orders, tickets
from models import pause as pausing
from models.errors import DomainError, Refusal
from models.events import EventKind
from models.hotline import HotlineOrder, Request, Routed
from models.people import find_person
from models.refdata import catalogue
from models.store.unit_of_work import Unit
from models.tables import Area, Outbox, Person, Rating, Status, Ticket, TicketEvent, Tier
from models.ticket_move import recategorise, relocate
from models.ticket_states import TRANSITIONS, Action, transition

from .harness import Harness

STATUSES = tuple(Status)


class People:
    """The actors of these tests: the resident, the grid's workers and the subdistrict admin."""

    def __init__(self, s: Session) -> None:
        def one(ref: str) -> Person:
            person = find_person(s, ref, "console")
            assert person is not None, ref
            return person

        self.r1, self.w1, self.w2, self.admin = one("r1"), one("w1"), one("w2"), one("admin")


Op = Callable[[Unit, Ticket, People], object]


def _siji2(u: Unit) -> Area:
    area = u.tree.by_code("siji-2")
    assert area is not None
    return area


def _consultation(t: Ticket) -> Ticket:
    """The ticket as a 咨询 (only a consultation is answered in words)."""
    t.tier = Tier.CONSULT
    return t


def _to_parking(u: Unit, t: Ticket, p: People) -> object:
    parking = catalogue(u.session).get("parking")
    assert parking is not None
    return recategorise(u, t, parking, p.admin)


# Each action as the domain operation that performs it (actors chosen so the right is always held,
# so only the status decides).
OPS: dict[Action, Op] = {
    Action.GRAB: lambda u, t, p: tickets.grab(u, t.id, p.w1),
    Action.ASSIGN: lambda u, t, p: tickets.assign(u, t.id, p.admin, p.w2),
    Action.MEET: lambda u, t, p: tickets.meet(u, t.id, p.admin),
    Action.NOTE: lambda u, t, p: tickets.add_note(u, t.id, p.admin, "已联系施工队"),
    Action.TIER: lambda u, t, p: tickets.change_tier(u, t.id, p.admin, "difficult", "需要协调"),
    Action.PLAN: lambda u, t, p: tickets.set_plan(u, t.id, p.admin, date(2030, 1, 1), "先围挡"),
    Action.RESOLVE: lambda u, t, p: tickets.resolve(u, t.id, p.admin, "已修复"),
    Action.RESULT_PHOTO: lambda u, t, p: tickets.attach_resolution_photo(u, t.id, p.admin, "photo-1"),
    Action.CONFIRM: lambda u, t, p: tickets.answer_followup(u, t.id, p.r1, 1, True),
    Action.REOPEN: lambda u, t, p: tickets.reopen(u, t, p.r1),
    Action.CLOSE: lambda u, t, p: tickets.close(u, t, p.r1, Rating.DOUBLE_YES),
    Action.WITHDRAW: lambda u, t, p: tickets.withdraw(u, t.id, p.r1),
    Action.REJECT: lambda u, t, p: tickets.reject(u, t.id, p.admin, "不属实"),
    Action.MERGE: lambda u, t, p: tickets.merge(u, t.id, t.id - 1, p.admin),
    Action.MOVE: lambda u, t, p: relocate(u, t, _siji2(u), p.admin),
    Action.MOVE_RESOLVED: lambda u, t, p: relocate(u, t, _siji2(u), p.admin),
    Action.RECATEGORISE: _to_parking,
    Action.RELEASE: lambda u, t, p: tickets.release(u, t.id, p.admin),
    Action.RETURN_ASK: lambda u, t, p: hotline_orders.ask_return(u, _city(u, t).ticket_id, p.w1, "非本辖区"),
    Action.RETURN_APPROVE: lambda u, t, p: hotline_orders.decide_return(
        u, _asked(u, t).ticket_id, p.admin, True
    ),
    Action.RETURN_REFUSE: lambda u, t, p: hotline_orders.decide_return(
        u, _asked(u, t).ticket_id, p.admin, False, "属本辖区"
    ),
    Action.EXTEND_ASK: lambda u, t, p: hotline_orders.ask_extension(
        u, _city(u, t).ticket_id, p.w1, LATER, "需协调"
    ),
    Action.EXTEND_APPROVE: lambda u, t, p: hotline_orders.decide_extension(
        u, _asked(u, t).ticket_id, p.admin, True, "市级已批准"
    ),
    Action.EXTEND_REFUSE: lambda u, t, p: hotline_orders.decide_extension(
        u, _asked(u, t).ticket_id, p.admin, False, "市级未批准"
    ),
    Action.CITY_VISIT_CLOSE: lambda u, t, p: hotline_orders.record_visit(
        u, hotline_orders.Visit(_city(u, t).number, True, True, True)
    ),
    Action.PAUSE: lambda u, t, p: pausing.pause(u, t.id, p.admin, u.now + timedelta(days=2), "等待居民"),
    Action.RESUME: lambda u, t, p: pausing.resume(u, _paused(u, t).id, p.admin),
    Action.ANSWER: lambda u, t, p: consult.answer(u, _consultation(t).id, p.admin, "请带身份证到派出所开具"),
    Action.CITY_VISIT_REOPEN: lambda u, t, p: hotline_orders.record_visit(
        u, hotline_orders.Visit(_city(u, t).number, True, False, False)
    ),
    Action.BACKSTOP: lambda u, t, p: transition(u, t, Action.BACKSTOP, None, note="unclaimed"),
}
# Rows that one operation picks between by the ticket's status (a resolved ticket stays resolved
# when moved): the operation is refused only from a status neither row allows.
SAME_OPERATION = {Action.MOVE: Action.MOVE_RESOLVED, Action.MOVE_RESOLVED: Action.MOVE}

# What each allowed transition must leave in the columns besides the status.
CHECKS: dict[Action, Callable[[Ticket, Unit], bool]] = {
    Action.GRAB: lambda t, u: t.handler_id is not None and t.claimed_at == u.now and t.due_at is not None,
    Action.ASSIGN: lambda t, u: t.claimed_at is not None and t.due_at is not None,
    Action.MEET: lambda t, u: t.met_at == u.now,
    Action.NOTE: lambda t, u: True,
    Action.TIER: lambda t, u: t.tier == Tier.DIFFICULT,
    Action.PLAN: lambda t, u: (
        t.plan_note == "先围挡" and t.window_started_at == u.now and t.reminders_sent == 0
    ),
    Action.RESOLVE: lambda t, u: (
        t.resolved_at == u.now
        and t.followup_stage == 1
        and t.next_push_at is None
        and t.next_check_at is not None
    ),
    Action.RESULT_PHOTO: lambda t, u: t.resolution_photo == "photo-1",
    Action.CONFIRM: lambda t, u: t.followup_stage == 2,
    Action.REOPEN: lambda t, u: (
        t.followup_stage == 0 and t.reopen_count == 1 and t.level == 1 and t.window_started_at == u.now
    ),
    Action.CLOSE: lambda t, u: (
        t.closed_at == u.now
        and t.rating == Rating.DOUBLE_YES
        and t.next_check_at is None
        and t.next_push_at is None
    ),
    Action.WITHDRAW: lambda t, u: t.closed_at == u.now and t.next_check_at is None,
    Action.REJECT: lambda t, u: t.reason == "不属实" and t.next_check_at is None,
    Action.MERGE: lambda t, u: t.merged_into_id == t.id - 1 and t.next_check_at is None,
    # Released for the new area to grab; a claimed ticket keeps its window (no reset of the clock).
    Action.MOVE: lambda t, u: (
        t.area_id == _siji2(u).id
        and t.handler_id is None
        and t.next_check_at is not None
        and (t.claimed_at is None or t.due_at is not None)
    ),
    Action.MOVE_RESOLVED: lambda t, u: (
        t.area_id == _siji2(u).id and t.handler_id is not None and t.followup_stage == 1
    ),
    Action.RECATEGORISE: lambda t, u: t.category_code == "parking",
    Action.RELEASE: lambda t, u: t.handler_id is None and t.due_at is None and t.next_check_at is not None,
    Action.RETURN_ASK: lambda t, u: _city(u, t).return_state == Request.ASKED,
    Action.RETURN_APPROVE: lambda t, u: t.reason == "非本辖区" and t.next_check_at is None,
    Action.RETURN_REFUSE: lambda t, u: _city(u, t).return_state == Request.REFUSED,
    Action.EXTEND_ASK: lambda t, u: _city(u, t).extend_state == Request.ASKED,
    Action.EXTEND_APPROVE: lambda t, u: t.city_due_at == LATER and (t.due_at is None or t.due_at <= LATER),
    Action.EXTEND_REFUSE: lambda t, u: _city(u, t).extend_state == Request.REFUSED,
    Action.CITY_VISIT_CLOSE: lambda t, u: t.rating == Rating.DOUBLE_YES and t.closed_at == u.now,
    Action.PAUSE: lambda t, u: t.paused_at == u.now and t.next_check_at == t.pause_until,
    Action.RESUME: lambda t, u: t.paused_at is None and t.paused_seconds == 3600,
    Action.ANSWER: lambda t, u: t.closed_at == u.now and t.resolution_note == "请带身份证到派出所开具",
    Action.CITY_VISIT_REOPEN: lambda t, u: t.closed_at is None and t.level == 1 and t.handler_id is not None,
    Action.BACKSTOP: lambda t, u: t.handler_id is None and t.property_left_at == u.now and t.level >= 1,
}
LATER = datetime(2030, 1, 1, 15, 59, 59, tzinfo=UTC)


def _city(u: Unit, t: Ticket) -> HotlineOrder:
    """The ticket as a city order (its hotline row made on first use)."""
    order = u.session.scalar(select(HotlineOrder).where(HotlineOrder.ticket_id == t.id))
    if order is None:
        order = HotlineOrder(
            ticket_id=t.id,
            number=f"T{t.id}",
            source="test",
            dispatched_at=u.now,
            deadline=u.now + timedelta(days=7),
            category="道路",
            routed=Routed.NAME,
            imported_at=u.now,
        )
        u.session.add(order)
        u.session.flush()
    return order


def _paused(u: Unit, t: Ticket) -> Ticket:
    """The ticket as paused an hour ago."""
    t.paused_at, t.pause_until = u.now - timedelta(hours=1), u.now + timedelta(days=1)
    return t


def _asked(u: Unit, t: Ticket) -> HotlineOrder:
    """A city order with a 退单 and a 延期 request waiting for the dispatcher."""
    order = _city(u, t)
    order.return_state, order.return_reason = Request.ASKED, "非本辖区"
    order.extend_state, order.extend_reason, order.extend_to = Request.ASKED, "需协调", LATER
    return order


def bring_to(u: Unit, p: People, status: Status, *, pending: bool = False) -> Ticket:
    """A ticket in the given status, reached by the domain operations (after an open one to merge into)."""
    area = u.tree.by_code("siji-1")
    assert area is not None
    draft = tickets.Draft(category_code="road", description="人行道破损", area_id=area.id)
    tickets.create(u, p.r1, draft)  # the target of a merge
    ticket = tickets.create(u, p.r1, draft)
    if pending:
        ticket.tier = Tier.PENDING
    steps: dict[Status, list[Callable[[], object]]] = {
        Status.OPEN: [],
        Status.CLAIMED: [lambda: tickets.grab(u, ticket.id, p.w1)],
        Status.RESOLVED: [
            lambda: tickets.grab(u, ticket.id, p.w1),
            lambda: tickets.resolve(u, ticket.id, p.w1, "已修复"),
        ],
        Status.CLOSED: [
            lambda: tickets.grab(u, ticket.id, p.w1),
            lambda: tickets.resolve(u, ticket.id, p.w1, "已修复"),
            lambda: tickets.close(u, ticket, p.r1, Rating.DOUBLE_YES),
        ],
        Status.WITHDRAWN: [lambda: tickets.withdraw(u, ticket.id, p.r1)],
        Status.REJECTED: [lambda: tickets.reject(u, ticket.id, p.admin, "重复")],
        Status.MERGED: [lambda: tickets.merge(u, ticket.id, ticket.id - 1, p.admin)],
    }
    for step in steps[status]:
        step()
    assert ticket.status == status
    return ticket


def _events(s: Session, ticket_id: int) -> list[TicketEvent]:
    return list(
        s.scalars(select(TicketEvent).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id))
    )


@pytest.mark.parametrize("action", list(Action))
async def test_every_allowed_transition_and_a_refused_one(h: Harness, action: Action) -> None:
    """From each allowed status the action lands where the table says and records its event;
    from a status the table does not allow it is refused, and nothing changes."""
    await h.quick_grid()
    await h.say("r1: 你好")
    step = TRANSITIONS[action]

    def allowed_runs(s: Session) -> None:
        p = People(s)
        for before in step.allowed:
            u = h.app.unit(s)
            ticket = bring_to(u, p, before, pending=action == Action.PLAN)
            OPS[action](u, ticket, p)
            assert ticket.status == (step.to or before), (before, ticket.status)
            assert CHECKS[action](ticket, u), (action, before)
            last = _events(s, ticket.id)[-1]
            assert last.kind == step.event.value
            assert last.from_status == (before if step.to is not None else None)
            assert last.to_status == ticket.status

    h.query(allowed_runs)
    shared = TRANSITIONS[SAME_OPERATION[action]].allowed if action in SAME_OPERATION else frozenset()
    refused_from = next(st for st in STATUSES if st not in step.allowed | shared)

    def refused_run(s: Session) -> None:
        p = People(s)
        u = h.app.unit(s)
        ticket = bring_to(u, p, refused_from, pending=action == Action.PLAN)
        s.flush()
        trail, outbox = len(_events(s, ticket.id)), s.scalar(select(func.count()).select_from(Outbox))
        with pytest.raises(DomainError) as refused:
            OPS[action](u, ticket, p)
        expected = {Action.CONFIRM: Refusal.FOLLOWUP_NOT_NOW, Action.GRAB: Refusal.ALREADY_CLAIMED}.get(
            action, Refusal.NOT_OPEN
        )
        # Brought there by someone else, the refusal says who did what (ALREADY_DONE).
        # A grab by the worker who already holds it says so (ALREADY_YOURS), not who was faster.
        also = {Refusal.ALREADY_DONE} if expected == Refusal.NOT_OPEN else set()
        if action == Action.GRAB:
            also.add(Refusal.ALREADY_YOURS)
        assert refused.value.reason in {expected, *also}
        assert ticket.status == refused_from
        assert len(_events(s, ticket.id)) == trail
        assert s.scalar(select(func.count()).select_from(Outbox)) == outbox
        assert str(ticket.id) in refusal_text(refused.value)

    h.query(refused_run)


async def test_an_event_becomes_the_residents_notice(h: Harness) -> None:
    """A progress note is recorded by models; handlers' listener turns it into the resident's message."""
    tid = await h.quick_claimed()
    out = await h.say(f"w1: 进展 {tid} 已联系施工队，明天上午施工")
    assert h.to("r1", out) == [texts.R_NOTE.format(id=tid, note="已联系施工队，明天上午施工")]


async def test_without_a_listener_events_are_recorded_but_nobody_is_told(h: Harness) -> None:
    """models words nothing itself: a unit with no listener writes the trail and queues no message."""
    tid = await h.quick_claimed()

    def note(s: Session) -> tuple[int, list[str]]:
        u = Unit(s, h.clock.now(), h.app.rules)
        w1 = find_person(s, "w1", "console")
        assert w1 is not None
        tickets.add_note(u, tid, w1, "已联系施工队")
        return len(u.sent), [e.kind for e in _events(s, tid)]

    sent, kinds = h.query(note)
    assert sent == 0 and kinds[-1] == EventKind.NOTE.value

    def with_listener(s: Session) -> list[str]:
        u = Unit(s, h.clock.now(), h.app.rules, listener=announce)
        w1 = find_person(s, "w1", "console")
        assert w1 is not None
        tickets.add_note(u, tid, w1, "明天施工")
        return [r.text for r in u.sent]

    assert h.query(with_listener) == [texts.R_NOTE.format(id=tid, note="明天施工")]


async def test_scan_events_tell_the_resident_too(h: Harness) -> None:
    """An event recorded by the deadline scan (the ladder's first step) reaches the resident in words."""
    await h.quick_grid()
    tid = await h.quick_report()
    out = await h.advance(h.app.rules.sla.claim_within + timedelta(minutes=5))
    assert h.to("r1", out) == [texts.R_UNCLAIMED_ESCALATED.format(id=tid, level="社区（四季社区）")]
    kinds = h.query(lambda s: [e.kind for e in _events(s, tid)])
    assert EventKind.ESCALATED.value in kinds
