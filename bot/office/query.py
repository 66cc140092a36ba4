"""The tickets list: filters from the URL, sort, pages of 50, counts per status."""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, time, timedelta
from typing import Any
from urllib.parse import urlencode
from zoneinfo import ZoneInfo

from sqlalchemy import Select, and_, false, func, or_, select, true
from sqlalchemy.sql.elements import ColumnElement

from handlers import texts
from models import search
from models.enterprise import TicketEnterprise
from models.folding import nfkc
from models.hotline import HotlineOrder
from models.lateness import late_ids
from models.refdata import catalogue
from models.store.unit_of_work import Unit
from models.tables import AreaLevel, Ticket, Tier

from .auth import Viewer

PAGE_SIZE = 50
SORTS = texts.WEB_SORTS
NAME = texts.WEB_FILTER


@dataclass(frozen=True)
class Filters:
    """Everything the tickets page can be narrowed by; the same keys as in its URL."""

    status: str = ""
    community: int | None = None
    grid: int | None = None
    category: str = ""
    tier: str = ""
    overdue: bool = False
    since: date | None = None
    until: date | None = None
    handler: int | None = None
    enterprise: bool = False  # filed for a company (models/enterprise.py)
    city: bool = False  # the city's 12345 orders only (models/hotline.py)
    q: str = ""
    sort: str = "new"
    page: int = 1
    errors: tuple[str, ...] = field(default=(), compare=False)

    def query(self, **changes: Any) -> str:
        """The URL query for these filters (with some changed), for links and exports."""
        f = replace(self, **changes)
        pairs = {
            "status": f.status,
            "community": f.community,
            "grid": f.grid,
            "category": f.category,
            "tier": f.tier,
            "overdue": "1" if f.overdue else "",
            "since": f.since.isoformat() if f.since else "",
            "until": f.until.isoformat() if f.until else "",
            "handler": f.handler,
            "enterprise": "1" if f.enterprise else "",
            "city": "1" if f.city else "",
            "q": f.q,
            "sort": "" if f.sort == "new" else f.sort,
            "page": "" if f.page == 1 else f.page,
        }
        return urlencode({k: v for k, v in pairs.items() if v not in ("", None)})


MAX_NUMBER = 10**15 - 1  # larger ids and pages would overflow a database integer


def _int(value: str, what: str, errors: list[str]) -> int | None:
    if not value:
        return None
    try:
        n = int(value) if len(value) <= 20 else 0
    except ValueError:
        errors.append(what)
        return None
    if n < 1 or n > MAX_NUMBER:
        errors.append(what)
        return None
    return n


def _date(value: str, what: str, errors: list[str]) -> date | None:
    if not value:
        return None
    try:
        return date.fromisoformat(value)
    except ValueError:
        errors.append(what)
        return None


def parse(params: Any, u: Unit) -> Filters:
    """Filters from query parameters; a value that makes no sense is dropped and named."""
    errors: list[str] = []

    def get(k: str) -> str:
        return str(params.get(k, "")).strip()

    status = get("status")
    if status and status not in texts.STATUS:
        errors.append(NAME["status"])
        status = ""
    tier = get("tier")
    if tier and tier not in texts.TIER_SHORT:
        errors.append(NAME["tier"])
        tier = ""
    sort = get("sort") or "new"
    if sort not in SORTS:
        errors.append(NAME["sort"])
        sort = "new"
    community = _int(get("community"), NAME["community"], errors)
    if community is not None and (
        community not in u.tree.by_id or u.tree.by_id[community].level != AreaLevel.COMMUNITY
    ):
        errors.append(NAME["community"])
        community = None
    grid = _int(get("grid"), NAME["grid"], errors)
    if grid is not None and grid not in u.tree.by_id:
        errors.append(NAME["grid"])
        grid = None
    since, until = _date(get("since"), NAME["since"], errors), _date(get("until"), NAME["until"], errors)
    if since and until and since > until:
        errors.append(NAME["range"])
        since = until = None
    q = get("q")[:100]
    return Filters(
        status=status,
        community=community,
        grid=grid,
        category=get("category")[:40],
        tier=tier,
        overdue=get("overdue") in ("1", "on", "true"),
        since=since,
        until=until,
        handler=_int(get("handler"), NAME["handler"], errors),
        enterprise=get("enterprise") in ("1", "on", "true"),
        city=get("city") in ("1", "on", "true"),
        q=q,
        sort=sort,
        page=_int(get("page"), NAME["page"], errors) or 1,
        errors=tuple(dict.fromkeys(errors)),
    )


def _local_start(day: date, tz: str) -> datetime:
    return datetime.combine(day, time(0), ZoneInfo(tz))


def conditions(u: Unit, viewer: Viewer, f: Filters, *, with_status: bool = True) -> list[ColumnElement[bool]]:
    """The WHERE clauses of the filters and of the viewer's scope."""
    where: list[ColumnElement[bool]] = []
    scope = viewer.where()
    if scope is not None:
        where.append(scope)
    if with_status and f.status:
        where.append(Ticket.status == f.status)
    if f.grid is not None:
        where.append(Ticket.area_id.in_(u.tree.subtree_ids(f.grid)))
    elif f.community is not None:
        where.append(Ticket.area_id.in_(u.tree.subtree_ids(f.community)))
    if f.category:
        codes = [f.category, *(c.code for c in catalogue(u.session).children(f.category))]
        where.append(Ticket.category_code.in_(codes))
    if f.tier:
        where.append(Ticket.tier == Tier(f.tier))
    if f.overdue:
        # The same set as lateness.late(), read as three index ranges rather than one scan.
        where.append(Ticket.id.in_(late_ids(u.now, u.rules.sla.claim_within)))
    tz = u.rules.sla.timezone
    if f.since is not None:
        where.append(Ticket.created_at >= _local_start(f.since, tz))
    if f.until is not None:
        where.append(Ticket.created_at < _local_start(f.until + timedelta(days=1), tz))
    if f.handler is not None:
        where.append(Ticket.handler_id == f.handler)
    if f.enterprise:
        where.append(Ticket.id.in_(select(TicketEnterprise.ticket_id)))
    if f.city:
        where.append(Ticket.id.in_(select(HotlineOrder.ticket_id)))
    if f.q:
        where.append(searched(viewer, f.q))
    return where


def _private_ok(viewer: Viewer) -> ColumnElement[bool]:
    """Tickets whose resident's phone, name and exact address the viewer may see: handler and admins."""
    if viewer.everywhere:
        return true()
    return or_(Ticket.area_id.in_(viewer.admin_areas), Ticket.handler_id == viewer.person_id)


def searched(viewer: Viewer, q: str) -> ColumnElement[bool]:
    """Tickets a search finds: by number or city number, by the description's words, and (where the
    viewer may see them) by the resident's phone or its last digits, name or exact address; from the index."""
    found: list[ColumnElement[bool]] = []
    number = q.strip().removeprefix("#")
    if number.isdigit() and len(number) < 12:
        found.append(Ticket.id == int(number))
    city = city_numbers(q)
    if city:
        # The 12345 工单编号, whole (its unique index), shown on the page to all who see the ticket.
        found.append(Ticket.id.in_(select(HotlineOrder.ticket_id).where(HotlineOrder.number.in_(city))))
    words = set().union(*search.query_words(q))
    if words:
        found.append(Ticket.id.in_(search.matching(words, private=False)))
        private = [Ticket.id.in_(search.matching(words, private=True))]
        if number.isdigit() and len(number) >= search.PHONE_MIN:
            private.append(Ticket.id.in_(search.matching({f"#{number}"}, private=True)))
        found.append(and_(or_(*private), _private_ok(viewer)))
    return or_(*found) if found else false()


def city_numbers(q: str) -> list[str]:
    """The spellings of a city order number a query may be (as typed, folded, upper case); none for words."""
    typed = q.strip()
    folded = nfkc(typed)
    if not typed or len(typed) > 60 or not folded.replace("-", "").isalnum() or not folded.isascii():
        return []
    return sorted({typed, folded, folded.upper()})


def counts(u: Unit, viewer: Viewer, f: Filters) -> dict[str, int]:
    """Tickets per status under every filter but the status one."""
    where = conditions(u, viewer, f, with_status=False)
    # Unfiltered, the status index is the grouping. Filtered, grouping by an expression keeps
    # SQLite from walking the whole status index for its order: it reads the filter's own
    # covering index and groups the matches (EXPLAIN in bench/web.py's notes).
    status = func.coalesce(Ticket.status, "") if where else Ticket.status
    rows = u.session.execute(select(status, func.count()).where(*where).group_by(status))
    return {str(s): int(n) for s, n in rows}


def ordered(stmt: Select[Any], sort: str) -> Select[Any]:
    """Apply the chosen sort (ties by number)."""
    if sort == "old":
        return stmt.order_by(Ticket.id)
    if sort == "due":
        return stmt.order_by(Ticket.due_at.is_(None), Ticket.due_at, Ticket.id)
    return stmt.order_by(Ticket.id.desc())


def _sort_key(sort: str) -> Any:
    if sort == "old":
        return lambda r: r[0]
    if sort == "due":
        return lambda r: (r[2] is None, r[2] or datetime.min.replace(tzinfo=UTC), r[0])
    return lambda r: -r[0]


def page(u: Unit, viewer: Viewer, f: Filters) -> tuple[list[Ticket], int, dict[str, int]]:
    """One page of tickets, how many match in all, and the counts per status.

    The total comes from the counts (one scan, not two). A text search cannot use an index: its
    matches are read once (number, status, deadline) and counted, filtered and paged from there.
    """
    offset = (f.page - 1) * PAGE_SIZE
    if f.q:
        found = u.session.execute(
            select(Ticket.id, Ticket.status, Ticket.due_at).where(
                *conditions(u, viewer, f, with_status=False)
            )
        ).all()
        per_status: dict[str, int] = {}
        for _, status, _ in found:
            per_status[status] = per_status.get(status, 0) + 1
        chosen = sorted((r for r in found if not f.status or r[1] == f.status), key=_sort_key(f.sort))
        ids = [r[0] for r in chosen[offset : offset + PAGE_SIZE]]
        by_id = {t.id: t for t in u.session.scalars(select(Ticket).where(Ticket.id.in_(ids)))} if ids else {}
        return [by_id[i] for i in ids], len(chosen), per_status
    per_status = counts(u, viewer, f)
    total = per_status.get(f.status, 0) if f.status else sum(per_status.values())
    if offset >= total:
        return [], total, per_status
    # Numbers first (read from an index, however deep the page), then the 50 rows themselves.
    numbers = (
        ordered(select(Ticket.id).where(*conditions(u, viewer, f)), f.sort).limit(PAGE_SIZE).offset(offset)
    )
    ids = list(u.session.scalars(numbers))
    by_id = {t.id: t for t in u.session.scalars(select(Ticket).where(Ticket.id.in_(ids)))} if ids else {}
    return [by_id[i] for i in ids], total, per_status


def all_ids(u: Unit, viewer: Viewer, f: Filters) -> list[int]:
    """The numbers of every matching ticket in the chosen order (read from an index), for the exports."""
    return [
        int(i) for i in u.session.scalars(ordered(select(Ticket.id).where(*conditions(u, viewer, f)), f.sort))
    ]


def load(u: Unit, ids: list[int]) -> list[Ticket]:
    """Tickets by number, in the order given (in chunks, so the IN list stays small)."""
    by_id: dict[int, Ticket] = {}
    for start in range(0, len(ids), 1000):
        chunk = ids[start : start + 1000]
        by_id.update((t.id, t) for t in u.session.scalars(select(Ticket).where(Ticket.id.in_(chunk))))
    return [by_id[i] for i in ids if i in by_id]
