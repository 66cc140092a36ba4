"""Domain events: what happened to a ticket, recorded in its audit trail and handed to a listener."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import TYPE_CHECKING, cast

from sqlalchemy import Table, insert

from .store.prepared import Prepared
from .tables import Person, Rating, Status, Ticket, TicketEvent

if TYPE_CHECKING:
    from .store.unit_of_work import Unit


class EventKind(StrEnum):
    """Every kind of ticket event; the value is what the audit trail stores."""

    CREATED = "created"
    GRABBED = "grabbed"
    ASSIGNED = "assigned"
    MET = "met"
    NOTE = "note"
    TIER = "tier"
    PLAN = "plan"
    RESOLVED = "resolved"
    RESULT_PHOTO = "result_photo"
    CONFIRMED_RESOLVED = "confirmed_resolved"
    REOPENED = "reopened"
    CLOSED = "closed"
    WITHDRAWN = "withdrawn"
    REJECTED = "rejected"
    MERGED = "merged"
    ESCALATED = "escalated"
    OVERDUE = "overdue"
    REMINDED = "reminded"
    OVERDUE_REMINDED = "overdue_reminded"
    FOLLOWUP_REMINDED = "followup_reminded"
    PROGRESS = "progress"
    MOVED = "moved"  # re-routed to another area (by an admin, or as its area was retired)
    RECATEGORISED = "recategorised"  # given another category (its own was retired)
    PHONE_FOLLOWUP = "phone_followup"
    RELEASED = "released"
    UNFOLLOWED = "unfollowed"  # a resident stopped following it (or an admin removed him); note: his id
    # City hotline orders (models/hotline.py): 退单 and 延期 asked and decided, the city's 回访.
    RETURN_ASKED = "return_asked"  # note: the reason
    RETURNED = "returned"  # note: the reason, now part of the reply to the city
    RETURN_REFUSED = "return_refused"  # note: why not
    EXTENSION_ASKED = "extension_asked"  # note: "YYYY-MM-DD: reason"
    EXTENDED = "extended"  # note: "YYYY-MM-DD: the city's approval"
    EXTENSION_REFUSED = "extension_refused"  # note: why not
    CITY_VISIT = "city_visit"  # note: "响应 解决 满意" as y/n, e.g. "yyn"
    PAUSED = "paused"  # 挂起, the clock stops; note: "YYYY-MM-DD: reason" (the limit)
    RESUMED = "resumed"  # the clock runs again; note: the minutes paused
    IDEA_STAGE = "idea_stage"  # a 金点子 moved a stage (models/ideas.py); note: "stage：reason"
    ANSWERED = "answered"  # a consultation answered (and so closed); note: the answer
    BACKSTOPPED = "backstopped"  # the property company's turn ended, the community took over; note: why


# Events after which the resident has just heard from us (no progress push needed yet).
RESIDENT_NEWS = frozenset(
    {
        EventKind.CREATED,
        EventKind.GRABBED,
        EventKind.ASSIGNED,
        EventKind.MET,
        EventKind.NOTE,
        EventKind.TIER,
        EventKind.PLAN,
        EventKind.REOPENED,
        EventKind.ESCALATED,
        EventKind.PROGRESS,
        EventKind.MOVED,
        EventKind.IDEA_STAGE,
        EventKind.BACKSTOPPED,
    }
)
# Events that concern staff only: kept in the trail, not shown in a resident's /status.
STAFF_ONLY = frozenset(
    {
        EventKind.REMINDED,
        EventKind.FOLLOWUP_REMINDED,
        EventKind.PROGRESS,
        EventKind.OVERDUE_REMINDED,
        EventKind.PHONE_FOLLOWUP,
        EventKind.UNFOLLOWED,
        EventKind.RETURN_ASKED,
        EventKind.RETURN_REFUSED,
        EventKind.EXTENSION_ASKED,
        EventKind.EXTENSION_REFUSED,
    }
)


@dataclass(frozen=True)
class Happened:
    """One event of one ticket, with the facts the people told about it need."""

    kind: EventKind
    ticket: Ticket
    actor: Person | None = None
    from_status: Status | None = None
    note: str | None = None  # the audit trail's note
    said: str | None = None  # what the actor wrote for the resident: a note, a reason, a plan
    previous_handler_id: int | None = None  # assigned, moved: whom the ticket was taken from
    points: int = 0  # closed: points earned; overdue/escalated: the penalty
    fraction: float | None = None  # reminded: how much of the window is gone
    missed: datetime | None = None  # a deadline that passed
    rating: Rating | None = None  # closed: the resident's verdict
    repeat: bool = False  # met: the same visit again within a day (recorded, not announced)


_INSERT_EVENT = Prepared(insert(cast(Table, TicketEvent.__table__)))


def record(u: Unit, happened: Happened) -> None:
    """Append the event to the ticket's audit trail, then let the listener tell people (same transaction)."""
    ticket, actor = happened.ticket, happened.actor
    if ticket.id is None or (actor is not None and actor.id is None):
        u.session.flush()  # the rows the event refers to must exist first
    # Written at once with a prepared INSERT: nothing reads it back as an object.
    _INSERT_EVENT.rows(
        u.session,
        {
            "ticket_id": ticket.id,
            "actor_id": actor.id if actor else None,
            "at": u.now,
            "kind": happened.kind.value,
            "from_status": happened.from_status,
            "to_status": ticket.status,
            "note": happened.note,
        },
    )
    if u.listener is not None:
        u.listener(u, happened)
