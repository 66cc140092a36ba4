"""双向积分+ outside the office: a resident's confirmed report earns points once, when its ticket closes.

Confirmed means closed (销号): a duplicate is merged and a refused report rejected, and neither ever
closes. Not paid: a ticket filed on someone's behalf (代办, the filer is staff), a city order, a
ticket its own handler filed, a proposal (金点子 earn when adopted, models/ideas.py)."""

from __future__ import annotations

from . import points
from .ideas import is_proposal
from .people import has_chat
from .store.unit_of_work import Unit
from .tables import CITY_SOURCE, Person, Ticket

REASON = "report"  # the ledger reason of a confirmed report


def pay_report(u: Unit, ticket: Ticket) -> int:
    """Pay the resident for a report that closed; return the points (0: not his to earn, or paid)."""
    resident = u.session.get(Person, ticket.resident_id)
    if (
        resident is None
        or not has_chat(resident)
        or ticket.filed_by_id is not None
        or ticket.source == CITY_SOURCE
        or ticket.resident_id in (ticket.handler_id, ticket.resolved_by_id)
        or is_proposal(u.session, ticket.category_code)
        or points.earned(u.session, resident.id, ticket.id, REASON)
    ):
        return 0
    points.award(u.session, resident.id, ticket.id, u.rules.points.report, REASON, u.now)
    return u.rules.points.report
