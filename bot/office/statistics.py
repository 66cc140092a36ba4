"""The statistics page: the 三率, on-time rate per tier, slowest grids and the points ranking."""

from __future__ import annotations

import hashlib
import logging
from datetime import timedelta
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import Response

from handlers import texts
from handlers.reports import chart, weekly
from handlers.reports.weekly import Scope, figures
from models.reports.on_time import daily
from models.store.unit_of_work import Unit
from models.tables import Ticket, TicketEvent

from .auth import Viewer
from .context import Flash, Office

log = logging.getLogger(__name__)
PERIODS = {k: texts.PERIOD[k] for k in ("week", "month", "all")}


def scope(u: Unit, viewer: Viewer, period: str, community: int | None) -> Scope:
    """The figures' scope, never wider than the viewer's admin areas."""
    return weekly.scope(u, viewer.everywhere, viewer.admin_areas, period, community)


def _key(sc: Scope) -> str:
    """A short name for a scope and period (the chart's file name and the cache key)."""
    areas = ",".join(str(a) for a in sorted(sc.area_ids)) if sc.area_ids is not None else "all"
    return f"{sc.period}-{hashlib.sha1(areas.encode()).hexdigest()[:12]}"


def version(u: Unit) -> tuple[int, int, str]:
    """What the figures depend on: the latest ticket and event (every change records one), and the hour."""
    last_event = u.session.scalar(select(func.max(TicketEvent.id))) or 0
    last_ticket = u.session.scalar(select(func.max(Ticket.id))) or 0
    hour = u.now.astimezone(ZoneInfo(u.rules.sla.timezone)).strftime("%Y%m%d%H")
    return int(last_event), int(last_ticket), hour


# The figures and chart per scope and period, kept until a ticket changes (or the hour turns).
_CACHE: dict[str, tuple[tuple[int, int, str], dict[str, Any]]] = {}
CACHE_MOST = 64


def cached_figures(u: Unit, sc: Scope) -> dict[str, Any]:
    """The scope's figures and chart, computed once per version of the tickets."""
    key, now = _key(sc), version(u)
    hit = _CACHE.get(key)
    if hit is not None and hit[0] == now:
        drawn = hit[1]["chart"]
        if drawn is None or (Path(u.rules.chart_dir) / drawn).is_file():  # not pruned meanwhile
            return hit[1]
    figs = figures(u, sc)
    figs = {**figs, "chart": _chart(u, sc, figs)}
    if len(_CACHE) >= CACHE_MOST:
        _CACHE.clear()
    _CACHE[key] = (now, figs)
    return figs


def _chart(u: Unit, sc: Scope, figs: dict[str, Any]) -> str | None:
    today = u.now.astimezone(ZoneInfo(u.rules.sla.timezone)).date()
    first = today - timedelta(days=6 if sc.period == "week" else 29)
    series = daily(u.session, sc.area_ids, first, today, u.rules.sla.timezone)
    title = texts.CHART_TITLE.format(subdistrict=sc.label, period=PERIODS[sc.period])
    data = chart.chart_data(u, title, figs["stats"], figs["on_time_raw"], figs["grids_raw"], series)
    try:
        return chart.write_png(data, Path(u.rules.chart_dir), f"stats-web-{_key(sc)}").name
    except OSError:
        log.exception("cannot write the statistics chart under %s", u.rules.chart_dir)
        return None


def stats_page(office: Office) -> Any:
    """GET /office/stats?period=week&community=ID (admins)."""

    async def page(request: Request, viewer: Viewer) -> Response:
        period = request.query_params.get("period", "week")
        raw = request.query_params.get("community", "")
        flash = None

        def read(u: Unit) -> dict[str, Any]:
            nonlocal flash, period
            community = int(raw) if raw.isdigit() and int(raw) in viewer.communities else None
            if period not in PERIODS or (raw and community is None):
                flash = Flash(texts.WEB_BAD_FILTER.format(what=texts.WEB_FILTER["stats"]), ok=False)
                period = period if period in PERIODS else "week"
            sc = scope(u, viewer, period, community)
            figs = cached_figures(u, sc)
            return {
                "sc": sc,
                "communities": [u.tree.by_id[c] for c in viewer.communities],
                **figs,
            }

        ctx = await office.run(read)
        return office.page(
            request,
            "stats.html",
            {"viewer": viewer, "flash": flash, "periods": PERIODS, "period": period, **ctx},
            400 if flash else 200,
        )

    return page
