"""The city's 三率 of city orders (响应率, 解决率, 满意率) by community, grid, worker, category."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from sqlalchemy import select

from .hotline import HotlineOrder
from .refdata import catalogue
from .store.unit_of_work import Unit
from .tables import AreaLevel, Person, Status, Ticket


class By(StrEnum):
    """What the figures are grouped by."""

    COMMUNITY = "community"
    GRID = "grid"
    WORKER = "worker"
    CATEGORY = "category"


@dataclass
class Rates:
    """One group's city orders dispatched in the period and the city's 回访 of them."""

    name: str
    dispatched: int = 0
    returned: int = 0
    done_on_time: int = 0  # resolved no later than the city's (possibly extended) deadline
    visited: int = 0
    responded: int = 0
    resolved: int = 0
    satisfied: int = 0

    @staticmethod
    def rate(part: int, whole: int) -> float | None:
        """part / whole, None when there is nothing to count."""
        return part / whole if whole else None

    @property
    def response_rate(self) -> float | None:
        """响应率 of the visited orders."""
        return self.rate(self.responded, self.visited)

    @property
    def resolution_rate(self) -> float | None:
        """解决率 of the visited orders."""
        return self.rate(self.resolved, self.visited)

    @property
    def satisfaction_rate(self) -> float | None:
        """满意率 of the visited orders."""
        return self.rate(self.satisfied, self.visited)


BEGINNING = datetime(2000, 1, 1, tzinfo=UTC)  # "all time" for a period without a start


def kpi(u: Unit, since: datetime, until: datetime, by: By, area_ids: set[int] | None = None) -> list[Rates]:
    """The figures of the orders dispatched in [since, until) (handled in those areas, when given),
    one row per group and a total last."""
    query = (
        select(HotlineOrder, Ticket)
        .join(Ticket, Ticket.id == HotlineOrder.ticket_id)
        .where(HotlineOrder.dispatched_at >= since, HotlineOrder.dispatched_at < until)
        .order_by(HotlineOrder.id)
    )
    if area_ids is not None:
        query = query.where(Ticket.area_id.in_(sorted(area_ids)))
    rows = u.session.execute(query).all()
    key = _grouping(u, by)
    groups: dict[str, Rates] = {}
    total = Rates("合计")
    for order, ticket in rows:
        name = key(ticket)
        for r in (groups.setdefault(name, Rates(name)), total):
            r.dispatched += 1
            r.returned += ticket.status == Status.RETURNED
            due = ticket.city_due_at or order.deadline
            r.done_on_time += ticket.resolved_at is not None and ticket.resolved_at <= due
            if order.visit_at is not None:
                r.visited += 1
                r.responded += bool(order.visit_responded)
                r.resolved += bool(order.visit_resolved)
                r.satisfied += bool(order.visit_satisfied)
    return [groups[k] for k in sorted(groups)] + [total]


def in_scope(u: Unit, since: datetime | None, area_ids: set[int] | None) -> Rates:
    """The 三率 of the city orders dispatched since then (ever, without a start) up to now, in the
    areas (everywhere when None): what /stats, the statistics page and the weekly workbook show."""
    return kpi(u, since or BEGINNING, u.now, By.COMMUNITY, area_ids)[-1]


def _grouping(u: Unit, by: By) -> Callable[[Ticket], str]:
    tree = u.tree
    if by == By.CATEGORY:
        cats = catalogue(u.session)
        return lambda t: cats.full_name(t.category_code)
    if by == By.WORKER:
        names = {p.id: p.name for p in u.session.scalars(select(Person))}
        return lambda t: names.get(t.handler_id, "—") if t.handler_id is not None else "—"
    level = AreaLevel.COMMUNITY if by == By.COMMUNITY else AreaLevel.GRID

    def area(t: Ticket) -> str:
        for a in tree.ancestors(t.area_id):
            if a.level == level:
                return a.name if level == AreaLevel.COMMUNITY else _grid_name(u, a.id)
        return tree.top().name

    return area


def _grid_name(u: Unit, area_id: int) -> str:
    chain = u.tree.ancestors(area_id)
    return " ".join(a.name for a in reversed(chain[:2]))
