"""The figures of a scope (the 三率, on-time per tier, slowest grids, ranking) and the weekly workbook (周报).

Shared by the web office's statistics page and downloads and by /report_week in chat.
"""

from __future__ import annotations

import io
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from openpyxl import Workbook
from openpyxl.styles import Font
from openpyxl.worksheet.worksheet import Worksheet
from sqlalchemy import select

from models import hotline_kpi, points
from models.lateness import first_missed
from models.people import grants_of
from models.reports import enterprise as enterprise_figures
from models.reports import mediation as mediation_figures
from models.reports import stats as stats_mod
from models.reports.digest import late_tickets
from models.reports.on_time import on_time_by_tier, slowest_grids
from models.store.unit_of_work import Unit
from models.tables import AreaLevel, Person, Role

from .. import texts, texts_property
from ..render import area_label, category_name, fmt_amount
from . import mediation as mediation_words
from . import property as property_report

XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"
DATE_FORMAT = "yyyy-mm-dd hh:mm"


@dataclass(frozen=True)
class AdminScope:
    """Where an admin's figures may come from."""

    everywhere: bool  # an admin of the whole subdistrict
    admin_areas: frozenset[int]  # every area under their admin grants
    communities: tuple[int, ...]  # the communities they see, in the order they were set up


def admin_scope(u: Unit, person_id: int) -> AdminScope:
    """The areas a person's admin grants cover (empty when they are no admin)."""
    tree = u.tree
    areas: set[int] = set()
    for g in grants_of(u.session, person_id):
        if g.role == Role.ADMIN:
            areas |= tree.subtree_ids(g.area_id)
    everywhere = tree.top().id in areas
    communities = tuple(
        a.id
        for a in sorted(tree.level(AreaLevel.COMMUNITY), key=lambda a: a.id)
        if everywhere or a.id in areas or any(tree.is_within(x, a.id) for x in areas)
    )
    return AdminScope(everywhere, frozenset(areas), communities)


@dataclass(frozen=True)
class Scope:
    """A period and an area the figures are for."""

    period: str
    community: int | None
    since: datetime | None
    area_ids: set[int] | None
    label: str


def scope(u: Unit, everywhere: bool, admin_areas: Iterable[int], period: str, community: int | None) -> Scope:
    """The figures' scope, never wider than the admin's areas."""
    since = {"week": u.now - timedelta(days=7), "month": u.now - timedelta(days=30), "all": None}[period]
    if community is not None:
        ids = u.tree.subtree_ids(community)
        if not everywhere:
            ids &= set(admin_areas)
        return Scope(period, community, since, ids, u.tree.by_id[community].name)
    if everywhere:
        return Scope(period, None, since, None, u.rules.subdistrict_name)
    return Scope(period, None, since, set(admin_areas), texts.WEB_MY_SCOPE)


def pct(rate: float | None) -> str:
    """A rate as text (— when nothing was counted)."""
    return texts.STATS_NA if rate is None else f"{rate * 100:.1f}%"


def names(u: Unit, ids: set[int]) -> dict[int, str]:
    """Display names of people, in one query."""
    if not ids:
        return {}
    rows = u.session.execute(select(Person.id, Person.name).where(Person.id.in_(ids)))
    return {int(pid): str(name) for pid, name in rows}


def figures(u: Unit, sc: Scope) -> dict[str, Any]:
    """Everything the statistics page and the weekly workbook show for one scope."""
    s = stats_mod.compute(u.session, sc.area_ids, sc.since)
    on_time = on_time_by_tier(u.session, sc.area_ids, sc.since)
    grids = slowest_grids(u.session, sc.area_ids, sc.since)
    ranking = points.ranking(u.session, sc.since, sc.area_ids, staff=True)
    public = points.ranking(u.session, sc.since, sc.area_ids, staff=False)  # 双向积分+
    people = names(u, {pid for pid, _ in ranking + public})
    return {
        "stats": s,
        "by_status": [(texts.CARD_STATUS[k], s.by_status[k]) for k in texts.CARD_STATUS if k in s.by_status],
        "rates": [
            (texts.WEB_RATES[0], pct(s.response_rate)),
            (texts.WEB_RATES[1], pct(s.resolution_rate)),
            (texts.WEB_RATES[2], pct(s.satisfaction_rate)),
        ],
        "on_time": [(texts.TIER_SHORT[t.tier], pct(t.rate), t.on_time, t.decided) for t in on_time],
        "on_time_raw": on_time,
        "grids": [(area_label(u, g.area_id), fmt_amount(g.avg), g.resolved) for g in grids],
        "grids_raw": grids,
        "ranking": [(i, people.get(pid, str(pid)), pts) for i, (pid, pts) in enumerate(ranking, 1)],
        "public_ranking": [(i, people.get(pid, str(pid)), pts) for i, (pid, pts) in enumerate(public, 1)],
        # 滴滴调解 per team and community, and the reports filed for companies (问政北苑's 企业诉求).
        "mediation": mediation_words.rows(
            u, mediation_figures.compute(u.session, u.tree, sc.area_ids, sc.since)
        ),
        "enterprise": enterprise_figures.count(u.session, sc.area_ids, sc.since),
        "city": city_rows(u, sc),
        "property_columns": texts_property.COLUMNS,
        "property_rows": property_report.rows(u, sc.area_ids, sc.since),  # 有事您找我
    }


def city_rows(u: Unit, sc: Scope) -> list[tuple[str, int | str]]:
    """The city's 三率 of the 12345 orders of the scope (counts, then rates); none without orders."""
    r = hotline_kpi.in_scope(u, sc.since, sc.area_ids)
    if not r.dispatched:
        return []
    rates = (r.response_rate, r.resolution_rate, r.satisfaction_rate)
    return [
        (texts.CITY_KPI_COUNTS[0], r.dispatched),
        (texts.CITY_KPI_COUNTS[1], r.visited),
        *((name, pct(rate)) for name, rate in zip(texts.WEB_RATES, rates, strict=True)),
    ]


def local(u: Unit, when: datetime | None) -> datetime | None:
    """Excel has no time zones: local wall-clock time, naive."""
    if when is None:
        return None
    return when.astimezone(ZoneInfo(u.rules.sla.timezone)).replace(tzinfo=None)


def dates(ws: Worksheet, first_row: int) -> None:
    """Give every date cell from first_row on a real Excel date format."""
    for row in ws.iter_rows(min_row=first_row):
        for cell in row:
            if isinstance(cell.value, datetime):
                cell.number_format = DATE_FORMAT


HEADINGS = {
    t[0]
    for t in (
        texts.XLS_WEEKLY_STATUS,
        texts.XLS_WEEKLY_RATES,
        texts.XLS_WEEKLY_CITY,
        texts.XLS_WEEKLY_ON_TIME,
        texts.XLS_WEEKLY_OVERDUE,
        texts.XLS_WEEKLY_RANKING,
        texts.XLS_WEEKLY_PUBLIC_RANKING,
        texts.MEDIATION_XLS,
        texts_property.COLUMNS,
    )
}


def workbook(u: Unit, everywhere: bool, admin_areas: Iterable[int], communities: Iterable[int]) -> bytes:
    """The weekly meeting's workbook: one sheet per community with counts, 三率, on-time, overdue, ranking."""
    areas = frozenset(admin_areas)
    wb = Workbook()
    first = wb.active
    assert first is not None
    wb.remove(first)
    for community_id in communities:
        community = u.tree.by_id[community_id]
        sc = scope(u, everywhere, areas, "week", community_id)
        figs = figures(u, sc)
        ws = wb.create_sheet(community.name[:31])
        now = f"{local(u, u.now):%Y-%m-%d %H:%M}"
        ws.append([texts.XLS_WEEKLY_TITLE.format(community=community.name, now=now)])
        ws["A1"].font = Font(bold=True, size=14)
        ws.append([])
        ws.append(list(texts.XLS_WEEKLY_STATUS))
        for name, n in figs["by_status"]:
            ws.append([name, n])
        ws.append([texts.XLS_WEEKLY_TOTAL, figs["stats"].total])
        ws.append([])
        ws.append(list(texts.XLS_WEEKLY_RATES))
        for name, rate in figs["rates"]:
            ws.append([name, rate])
        ws.append([])
        if figs["city"]:
            ws.append(list(texts.XLS_WEEKLY_CITY))
            for name, value in figs["city"]:
                ws.append([name, value])
            ws.append([])
        ws.append(list(texts.XLS_WEEKLY_ON_TIME))
        for row in figs["on_time"]:
            ws.append(list(row))
        ws.append([])
        ws.append(list(texts.XLS_WEEKLY_OVERDUE))
        late = [t for t, _ in late_tickets(u, sc.area_ids, limit=200)]
        people = names(u, {t.handler_id for t in late if t.handler_id})
        for t in late:
            ws.append(
                [
                    t.id,
                    category_name(u.session, t.category_code),
                    area_label(u, t.area_id),
                    people.get(t.handler_id or 0, ""),
                    local(u, first_missed(t, u.rules.sla)),
                ]
            )
        ws.append([])
        ws.append(list(texts.XLS_WEEKLY_RANKING))
        for pos, name, pts in figs["ranking"]:
            ws.append([pos, name, pts])
        ws.append([])
        ws.append(list(texts.XLS_WEEKLY_PUBLIC_RANKING))
        for pos, name, pts in figs["public_ranking"]:
            ws.append([pos, name, pts])
        ws.append(list(texts.MEDIATION_XLS))
        for row in figs["mediation"]:
            ws.append(list(row))
        ws.append([texts.OFFICE["stats_enterprise"], figs["enterprise"]])
        if figs["property_rows"]:
            ws.append([])
            ws.append(list(texts_property.COLUMNS))
            for row in figs["property_rows"]:
                ws.append(list(row))
        for cells in ws.iter_rows():
            if cells[0].value in HEADINGS:
                for cell in cells:
                    cell.font = Font(bold=True)
        dates(ws, 1)
        for col, width in zip("ABCDE", (22, 18, 18, 12, 17), strict=True):
            ws.column_dimensions[col].width = width
    if not wb.sheetnames:
        wb.create_sheet(texts.STATS_NONE[:31] or texts.XLS_WEEKLY_EMPTY)
    out = io.BytesIO()
    wb.save(out)
    return out.getvalue()


def file_name(u: Unit) -> str:
    """The workbook's file name, e.g. 周报-20261123.xlsx."""
    stamp = u.now.astimezone(ZoneInfo(u.rules.sla.timezone)).strftime("%Y%m%d")
    return texts.XLS_WEEKLY_FILE.format(stamp=stamp)
