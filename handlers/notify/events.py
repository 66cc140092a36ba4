"""Turn each domain event into the messages people get, inside the transaction that recorded it."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import replace
from datetime import datetime, timedelta

from sqlalchemy.orm import Session

from models import followers, hotline_push, ticket_photos
from models.escalation import admins_at, level_area
from models.events import EventKind, Happened
from models.messages import Button
from models.store.unit_of_work import Rules, Unit
from models.tables import Person, Rating, Status, Ticket, Tier
from models.tickets import needs_phone_followup, own_work, payee, self_handled

from .. import texts
from ..masking import mask_for_resident
from ..payloads import FollowerSolved, PhoneSatisfied, PhoneSolved
from ..render import area_label, deadline_words, due_text, fmt_time, person_name, role_name
from ..ticket_text import details_text, followup_buttons, progress_text
from . import consult, ladder
from .city import CITY_SAY
from .civic import CIVIC_SAY, report_points
from .deliver import (
    card_text,
    mark_moved,
    post_card,
    refresh_card,
    to_followers,
    to_handler,
    to_person,
    to_resident,
)
from .pause import PAUSE_SAY
from .property import PROPERTY_SAY


def send_details(u: Unit, ticket: Ticket, worker: Person) -> None:
    """Give the worker the full details (phone and address included) and the report's photo."""
    to_person(u, worker, details_text(u, ticket), ticket_id=ticket.id)
    if ticket.photo:
        to_person(
            u, worker, texts.DETAILS_PHOTO.format(id=ticket.id), photo=ticket.photo, ticket_id=ticket.id
        )
        more = ticket_photos.extra(u.session, ticket.id)
        for n, ref in more:
            caption = texts.DETAILS_PHOTO_MORE.format(n=n, count=len(more) + 1, id=ticket.id)
            to_person(u, worker, caption, photo=ref, ticket_id=ticket.id)


def _actor_name(h: Happened) -> str:
    return h.actor.name if h.actor is not None else ""


def _grabbed(u: Unit, h: Happened) -> None:
    ticket, worker = h.ticket, h.actor
    assert worker is not None
    refresh_card(u, ticket)
    send_details(u, ticket, worker)
    tier = texts.TIER[ticket.tier]
    role = role_name(u, worker.id)
    if ticket.due_at is None:  # a suggestion: no deadline to promise
        told = texts.R_CLAIMED_NO_DUE.format(id=ticket.id, role=role, handler=worker.name, tier=tier)
    else:
        deadline = deadline_words(u, ticket, texts.DEADLINE_EXPECTED)
        told = texts.R_CLAIMED.format(
            id=ticket.id, role=role, handler=worker.name, tier=tier, deadline=deadline
        )
    to_resident(u, ticket, told)


def _assigned(u: Unit, h: Happened) -> None:
    ticket = h.ticket
    worker = u.session.get(Person, ticket.handler_id)
    assert worker is not None
    previous = h.previous_handler_id
    if previous is not None and previous != worker.id:
        old = u.session.get(Person, previous)
        if old is not None:
            text = texts.W_UNASSIGNED.format(id=ticket.id, handler=worker.name)
            to_person(u, old, text, ticket_id=ticket.id)
    to_person(u, worker, texts.W_ASSIGNED.format(id=ticket.id), ticket_id=ticket.id)
    send_details(u, ticket, worker)
    refresh_card(u, ticket)
    if ticket.due_at is None:  # a suggestion: no deadline to promise
        tier = texts.TIER[ticket.tier]
        told = texts.R_ASSIGNED_NO_DUE.format(id=ticket.id, handler=worker.name, tier=tier)
    else:
        deadline = deadline_words(u, ticket, texts.DEADLINE_EXPECTED)
        told = texts.R_ASSIGNED.format(id=ticket.id, handler=worker.name, deadline=deadline)
    to_resident(u, ticket, told)


def _met(u: Unit, h: Happened) -> None:
    if h.repeat:
        return
    role = role_name(u, h.actor.id if h.actor is not None else None)
    to_resident(u, h.ticket, texts.R_MET.format(id=h.ticket.id, role=role, handler=_actor_name(h)))


def _note(u: Unit, h: Happened) -> None:
    to_resident(u, h.ticket, texts.R_NOTE.format(id=h.ticket.id, note=h.said))


def _tier(u: Unit, h: Happened) -> None:
    t = h.ticket
    tier = texts.TIER[t.tier]
    deadline = deadline_words(u, t, texts.DEADLINE_NEW)
    to_resident(u, t, texts.R_TIER.format(id=t.id, tier=tier, reason=h.said, deadline=deadline))


def _plan(u: Unit, h: Happened) -> None:
    t = h.ticket
    to_resident(u, t, texts.R_PLAN.format(id=t.id, plan=h.said, due=due_text(u, t)))


def _phone_task(u: Unit, t: Ticket) -> None:
    """A 代办 resident has no chat: the community's admins (not the filer, not the handler) call them."""
    question = texts.PHONE_FOLLOWUP_SOLVED if t.followup_stage == 1 else texts.PHONE_FOLLOWUP_SATISFIED
    kind = PhoneSolved if t.followup_stage == 1 else PhoneSatisfied
    labels = (
        (texts.BTN_YES, texts.BTN_NO)
        if t.followup_stage == 1
        else (texts.BTN_SATISFIED, texts.BTN_UNSATISFIED)
    )
    buttons = tuple(
        Button(label, kind(ticket_id=t.id, yes=yes).pack())
        for label, yes in zip(labels, (True, False), strict=True)
    )
    task = texts.SELF_FOLLOWUP_TASK if self_handled(t) else texts.PHONE_FOLLOWUP_TASK
    name = t.contact_name or (person_name(u.session, t.resident_id) if self_handled(t) else "")
    text = task.format(id=t.id, name=name, phone=t.phone or "", question=question)
    own = own_work(t)
    near = admins_at(u, level_area(u, t, 1).id)
    callers = [a for a in near if a.id not in own]
    if not callers:
        top = admins_at(u, u.tree.top().id)
        callers = [a for a in top if a.id not in own]
        if not callers:  # every admin worked on it: nobody may record the answer, so say what happens
            _nobody_to_phone(u, t, [a for a in (*near, *top) if a.id in own])
    for admin in callers:
        to_person(u, admin, text, buttons=buttons, ticket_id=t.id)


def _nobody_to_phone(u: Unit, t: Ticket, own_admins: list[Person]) -> None:
    """Tell the admins who worked on a 代办 ticket that no other admin can phone its resident."""
    closes = (t.resolved_at or u.now) + u.rules.sla.followup_autoclose_after
    text = texts.PHONE_FOLLOWUP_NOBODY.format(
        id=t.id, name=t.contact_name or "", phone=t.phone or "", closes=fmt_time(closes, u.rules.sla.timezone)
    )
    for admin in {a.id: a for a in own_admins}.values():
        to_person(u, admin, text, ticket_id=t.id)


def _ask_followup(u: Unit, t: Ticket, text: str) -> None:
    """Ask the resident the follow-up question, or, for a 代办 ticket, the admins to phone them."""
    if needs_phone_followup(t):
        _phone_task(u, t)
    else:
        to_resident(u, t, text, buttons=followup_buttons(t))


def _resolved(u: Unit, h: Happened) -> None:
    t = h.ticket
    refresh_card(u, t)
    if needs_phone_followup(t):
        # The filer hears it is done (and the admins will phone the resident); residents who
        # follow the ticket have chats of their own, so each gets their own 解决了吗 as usual.
        told = texts.SELF_RESOLVED if self_handled(t) else texts.PROXY_RESOLVED
        to_resident(u, t, told.format(id=t.id, note=h.said), followers=False)
        _ask_followers(u, t)
    _ask_followup(u, t, texts.R_RESOLVED.format(id=t.id, note=h.said))


def _result_photo(u: Unit, h: Happened) -> None:
    t = h.ticket
    to_resident(u, t, texts.R_RESOLVED_PHOTO.format(id=t.id), photo=t.resolution_photo)


def _confirmed(u: Unit, h: Happened) -> None:
    _ask_followup(u, h.ticket, texts.R_ASK_SATISFIED)


def _reopened(u: Unit, h: Happened) -> None:
    t = h.ticket
    refresh_card(u, t)
    ladder.announce_reopened(u, t)
    told = (
        texts.W_REOPENED_REASON.format(id=t.id, reason=h.said) if h.said else texts.W_REOPENED.format(id=t.id)
    )
    to_handler(u, t, told)
    to_resident(u, t, texts.R_REOPENED.format(id=t.id, handler=person_name(u.session, t.handler_id)))


def _closed(u: Unit, h: Happened) -> None:
    t = h.ticket
    rating = h.rating or Rating.UNRATED
    if t.handler_id is not None:
        paid = h.points if payee(t) == t.handler_id else 0
        to_handler(u, t, texts.W_CLOSED.format(id=t.id, rating=texts.RATING[rating], points=paid))
    credited = u.session.get(Person, t.credit_id) if t.credit_id and payee(t) == t.credit_id else None
    if credited is not None and credited.id != t.handler_id:  # resolved on the handler's behalf
        to_person(u, credited, texts.W_CLOSED_CREDITED.format(id=t.id, points=h.points), ticket_id=t.id)
    refresh_card(u, t)
    if rating in (Rating.DOUBLE_YES, Rating.UNSATISFIED):  # the resident's own answer: followers gave none
        told = texts.R_CLOSED_DOUBLE_YES if rating == Rating.DOUBLE_YES else texts.R_CLOSED_UNSATISFIED
        to_resident(u, t, told.format(id=t.id), followers=False)
        to_followers(u, t, texts.R_CLOSED_FOLLOWED.format(id=t.id))
    elif rating == Rating.UNRATED:  # nobody answered the follow-up in time
        days = f"{u.rules.sla.followup_autoclose_after / timedelta(days=1):g}"
        if needs_phone_followup(t):  # the filer was never asked: the admins' 回访 did not come
            to_resident(u, t, texts.R_AUTOCLOSED_UNVISITED.format(id=t.id, days=days), followers=False)
            to_followers(u, t, texts.R_AUTOCLOSED.format(id=t.id, days=days))
        else:
            to_resident(u, t, texts.R_AUTOCLOSED.format(id=t.id, days=days))
    report_points(u, t)


def _withdrawn(u: Unit, h: Happened) -> None:
    refresh_card(u, h.ticket)
    to_handler(u, h.ticket, texts.W_WITHDRAWN.format(id=h.ticket.id))


def _rejected(u: Unit, h: Happened) -> None:
    t = h.ticket
    refresh_card(u, t)
    to_handler(u, t, texts.W_REJECTED.format(id=t.id, reason=h.said))
    to_resident(u, t, texts.R_REJECTED.format(id=t.id, reason=h.said))


def _merged(u: Unit, h: Happened) -> None:
    t = h.ticket
    refresh_card(u, t)
    to_handler(u, t, texts.W_MERGED.format(id=t.id, into=t.merged_into_id))
    into = u.session.get(Ticket, t.merged_into_id) if t.merged_into_id is not None else None
    if into is None or followers.get(u.session, into.id, t.resident_id) is None:
        to_resident(u, t, texts.R_MERGED.format(id=t.id, into=t.merged_into_id))
        return
    # The merged ticket's residents now follow the survivor and hear what its resident hears.
    to_resident(u, t, texts.R_MERGED_FOLLOWING.format(id=t.id, into=into.id))
    refresh_card(u, into)
    if into.status == Status.RESOLVED and into.followup_stage:
        # The survivor already waits for its 双是: residents who just joined get their own 解决了吗 now.
        joined = {t.resident_id} | {f.person_id for f in followers.of_ticket(u.session, t.id)}
        _ask_followers(u, into, joined)


def _ask_followers(u: Unit, into: Ticket, only: set[int] | None = None) -> None:
    """Residents following a resolved ticket (or only these of them) each get their own 解决了吗."""
    text = texts.R_RESOLVED.format(id=into.id, note=into.resolution_note or "")
    for row in followers.of_ticket(u.session, into.id):
        person = u.session.get(Person, row.person_id)
        asked_already = row.resolved_answer is not None
        if (only is not None and row.person_id not in only) or asked_already or person is None:
            continue
        row.followup_stage, row.followup_asked_at = 1, u.now
        buttons = tuple(
            Button(label, FollowerSolved(into.id, yes).pack())
            for label, yes in ((texts.BTN_YES, True), (texts.BTN_NO, False))
        )
        to_person(u, person, text, buttons=buttons, ticket_id=into.id)


def _escalated(u: Unit, h: Happened) -> None:
    if h.ticket.status == Status.OPEN:
        ladder.announce_unclaimed(u, h.ticket)
    else:
        assert h.missed is not None
        ladder.announce_overdue(u, h.ticket, h.missed, h.points)


def _overdue(u: Unit, h: Happened) -> None:
    assert h.missed is not None
    if h.ticket.tier == Tier.CONSULT:
        consult.late(u, h.ticket)
        return
    ladder.announce_overdue_top(u, h.ticket, h.missed, h.points)


def _reminded(u: Unit, h: Happened) -> None:
    assert h.fraction is not None
    ladder.remind_handler(u, h.ticket, h.fraction)


def _overdue_reminded(u: Unit, h: Happened) -> None:
    if h.ticket.status == Status.OPEN:
        ladder.announce_still_unclaimed(u, h.ticket)
    else:
        assert h.missed is not None
        ladder.announce_still_overdue(u, h.ticket, h.missed)


def _followup_reminded(u: Unit, h: Happened) -> None:
    t = h.ticket
    text = texts.R_FOLLOWUP_REMINDER if t.followup_stage == 1 else texts.R_FOLLOWUP_REMINDER_RATE
    _ask_followup(u, t, text.format(id=t.id))


def _progress(u: Unit, h: Happened) -> None:
    to_resident(u, h.ticket, progress_text(u, h.ticket))


def _moved(u: Unit, h: Happened) -> None:
    """Old cards say where it went, the new area gets the card, a released worker and the resident hear."""
    t = h.ticket
    area = area_label(u, t.area_id)
    mark_moved(u, t, area)
    post_card(u, t)
    if h.previous_handler_id is not None:
        worker = u.session.get(Person, h.previous_handler_id)
        if worker is not None:
            to_person(u, worker, texts.W_MOVED_AWAY.format(id=t.id, area=area), ticket_id=t.id)
    to_resident(u, t, texts.R_MOVED.format(id=t.id, area=area))


def _recategorised(u: Unit, h: Happened) -> None:
    refresh_card(u, h.ticket)


def _released(u: Unit, h: Happened) -> None:
    """The handler lost his role: the card goes up again with 抢单, the resident is told."""
    refresh_card(u, h.ticket)
    post_card(u, h.ticket, texts.CARD_RELEASED.format(card=card_text(u, h.ticket)))
    to_resident(u, h.ticket, texts.R_RELEASED.format(id=h.ticket.id))


def _unfollowed(u: Unit, h: Happened) -> None:
    """The card's follower count changes; a resident an admin removed is told why the news stops."""
    refresh_card(u, h.ticket)
    follower = u.session.get(Person, int(h.note or 0))
    if follower is not None and h.actor is not None and h.actor.id != follower.id:
        to_person(u, follower, texts.UNFOLLOWED_BY_ADMIN.format(id=h.ticket.id), ticket_id=h.ticket.id)


def _quiet(u: Unit, h: Happened) -> None:
    """Recorded only: the flow that caused it answers for itself (a new ticket's card and receipt)."""


SAY: Mapping[EventKind, Callable[[Unit, Happened], None]] = {
    EventKind.CREATED: _quiet,
    EventKind.GRABBED: _grabbed,
    EventKind.ASSIGNED: _assigned,
    EventKind.MET: _met,
    EventKind.NOTE: _note,
    EventKind.TIER: _tier,
    EventKind.PLAN: _plan,
    EventKind.RESOLVED: _resolved,
    EventKind.RESULT_PHOTO: _result_photo,
    EventKind.CONFIRMED_RESOLVED: _confirmed,
    EventKind.REOPENED: _reopened,
    EventKind.CLOSED: _closed,
    EventKind.WITHDRAWN: _withdrawn,
    EventKind.REJECTED: _rejected,
    EventKind.MERGED: _merged,
    EventKind.ESCALATED: _escalated,
    EventKind.OVERDUE: _overdue,
    EventKind.REMINDED: _reminded,
    EventKind.OVERDUE_REMINDED: _overdue_reminded,
    EventKind.FOLLOWUP_REMINDED: _followup_reminded,
    EventKind.PROGRESS: _progress,
    EventKind.MOVED: _moved,
    EventKind.RECATEGORISED: _recategorised,
    EventKind.PHONE_FOLLOWUP: _quiet,
    EventKind.RELEASED: _released,
    EventKind.UNFOLLOWED: _unfollowed,
    EventKind.ANSWERED: consult.answered,
    **CITY_SAY,  # city hotline orders: 退单, 延期, the city's 回访
    **PAUSE_SAY,  # 挂起 and resuming
    **CIVIC_SAY,  # 金点子 stages
    **PROPERTY_SAY,  # 有事您找我: the community takes over from a property company
}


def announce(u: Unit, happened: Happened) -> None:
    """The unit's listener: queue what this event tells people, in the same transaction.

    What staff wrote for the resident goes out without other people's phones and rooms (the
    resident's own phone stays), and the writer is shown what was hidden."""
    said = happened.said
    if said:
        masked = mask_for_resident(said, happened.ticket.phone)
        if masked != said:
            happened = replace(happened, said=masked)
            if happened.actor is not None:
                to_person(u, happened.actor, texts.W_SAID_MASKED.format(id=happened.ticket.id, said=masked))
    SAY[happened.kind](u, happened)
    hotline_push.on_event(u, happened)  # a city order's answer to the city's callback, when it has one


def unit_of_work(session: Session, now: datetime, rules: Rules) -> Unit:
    """A unit of work whose events are told to the people concerned."""
    return Unit(session, now, rules, listener=announce)
