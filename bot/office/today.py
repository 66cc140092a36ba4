"""The today queue (今日待办): what is late, what is due today and what waits for the signed-in person."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, time, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import and_, not_, select, true
from sqlalchemy.sql.elements import ColumnElement
from starlette.requests import Request
from starlette.responses import Response

from models.lateness import first_missed, late
from models.store.unit_of_work import Unit
from models.tables import Status, Ticket

from . import present
from .auth import Viewer
from .context import Office

LIMIT = 200  # tickets per section at most
SECTIONS = ("late", "due", "claim", "followup")


@dataclass(frozen=True)
class Section:
    """One part of the queue: its key (texts.OFFICE today_<key>), its rows, most urgent first."""

    key: str
    rows: list[present.Row]


def _end_of_today(u: Unit) -> datetime:
    zone = ZoneInfo(u.rules.sla.timezone)
    day = u.now.astimezone(zone).date() + timedelta(days=1)
    return datetime.combine(day, time(0), zone)


def _mine(viewer: Viewer) -> ColumnElement[bool]:
    """What a person answers for: an admin their admin areas, a worker the tickets they hold."""
    if viewer.everywhere:
        return true()
    if viewer.admin:
        return Ticket.area_id.in_(viewer.admin_areas)
    return Ticket.handler_id == viewer.person_id


def _tickets(u: Unit, *where: ColumnElement[bool], order: Any) -> list[Ticket]:
    return list(u.session.scalars(select(Ticket).where(*where).order_by(order, Ticket.id).limit(LIMIT)))


def sections(u: Unit, viewer: Viewer) -> list[Section]:
    """The queue: late (most late first), due today (soonest first), to claim or hand out, to call back."""
    claim_within = u.rules.sla.claim_within
    is_late = late(u.now, claim_within)
    scope = viewer.where()
    seen = [scope] if scope is not None else []
    mine = _mine(viewer)
    # Late: one's own, and the open ones of one's areas nobody claimed in time.
    overdue = _tickets(u, *seen, is_late, mine | (Ticket.status == Status.OPEN), order=Ticket.created_at)
    overdue.sort(key=lambda t: (first_missed(t, u.rules.sla) or t.created_at, t.id))
    due = _tickets(
        u,
        *seen,
        mine,
        Ticket.status == Status.CLAIMED,
        not_(is_late),
        Ticket.due_at < _end_of_today(u),
        order=Ticket.due_at,
    )
    # Waiting for me: an open ticket to grab (worker) or hand out (admin), in time still.
    claim = _tickets(u, *seen, Ticket.status == Status.OPEN, not_(is_late), order=Ticket.created_at)
    # 回访 by phone: a resolved 代办 ticket, whose resident has no chat (admins only).
    followup = (
        _tickets(
            u,
            *seen,
            mine,
            and_(Ticket.status == Status.RESOLVED, Ticket.filed_by_id.is_not(None)),
            order=Ticket.resolved_at,
        )
        if viewer.admin
        else []
    )
    return [
        Section(key, present.rows(u, found))
        for key, found in zip(SECTIONS, (overdue, due, claim, followup), strict=True)
    ]


def today_page(office: Office) -> Any:
    """GET /office/today."""

    async def page(request: Request, viewer: Viewer) -> Response:
        found = await office.run(lambda u: sections(u, viewer))
        return office.page(request, "today.html", {"viewer": viewer, "sections": found, "limit": LIMIT})

    return page
