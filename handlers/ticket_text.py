"""What a ticket says about itself: full details, its trail, its progress, its follow-up buttons."""

from __future__ import annotations

from models import enterprise, tickets
from models.events import EventKind
from models.messages import Button
from models.sla import tier_days
from models.store.unit_of_work import Unit
from models.tables import Ticket

from . import texts
from .payloads import FollowupSatisfied, FollowupSolved
from .render import area_label, category_name, deadline_words, due_text, fmt_time, person_name

_WITH_NOTE = (EventKind.NOTE, EventKind.RESOLVED, EventKind.REJECTED, EventKind.REOPENED)


def details_text(u: Unit, ticket: Ticket) -> str:
    """Full details, phone and address included: only for the handler and admins."""
    location = f"{ticket.lat:.5f},{ticket.lon:.5f}" if ticket.lat is not None else texts.NONE
    contact = ticket.contact_name or person_name(u.session, ticket.resident_id)
    company = enterprise.of_ticket(u.session, ticket.id)
    text = texts.DETAILS.format(
        id=ticket.id,
        category=category_name(u.session, ticket.category_code),
        description=ticket.description,
        area=area_label(u, ticket.area_id),
        address=ticket.address or texts.NONE,
        location=location,
        contact=contact,
        phone=ticket.phone or texts.NONE,
        tier=texts.TIER_SHORT[ticket.tier],
        due=due_text(u, ticket),
    )
    if company is None:
        return text
    return text + "\n" + texts.DETAILS_COMPANY.format(name=company.name, code=code_words(company.credit_code))


def code_words(code: str | None) -> str:
    """（统一社会信用代码 …） or nothing."""
    return texts.COMPANY_CODE.format(code=code) if code else ""


def history_lines(u: Unit, ticket: Ticket, limit: int = 6) -> list[str]:
    """Recent events in words a resident understands."""
    out = []
    for ev in tickets.resident_trail(u, ticket, limit):
        line = f"{fmt_time(ev.at, u.rules.sla.timezone)} {texts.EVENT_TOLD[ev.kind]}"
        if ev.kind in _WITH_NOTE and ev.note:
            line += f"：{ev.note}"
        out.append(line)
    return out


def followup_buttons(ticket: Ticket) -> tuple[Button, ...]:
    """The buttons of the current follow-up question."""
    if ticket.followup_stage == 1:
        return (
            Button(texts.BTN_YES, FollowupSolved(ticket.id, True).pack()),
            Button(texts.BTN_NO, FollowupSolved(ticket.id, False).pack()),
        )
    return (
        Button(texts.BTN_SATISFIED, FollowupSatisfied(ticket.id, True).pack()),
        Button(texts.BTN_UNSATISFIED, FollowupSatisfied(ticket.id, False).pack()),
    )


def progress_text(u: Unit, ticket: Ticket) -> str:
    """The short progress message: status, latest note, deadline."""
    note = tickets.latest_note(u, ticket)
    latest = texts.R_PROGRESS_LATEST.format(note=note) if note else ""
    if tier_days(ticket.tier, u.rules.sla) is None:
        deadline = texts.DEADLINE_PROGRESS.format(due=texts.PROGRESS_NO_DEADLINE)
    elif ticket.due_at is None:
        deadline = texts.DEADLINE_PROGRESS.format(due=texts.PROGRESS_DUE_UNSET)
    else:  # a deadline already past is said to be past, never quoted as ahead
        deadline = deadline_words(u, ticket, texts.DEADLINE_PROGRESS)
    return texts.R_PROGRESS.format(
        id=ticket.id, status=texts.STATUS[ticket.status], latest=latest, deadline=deadline
    )
