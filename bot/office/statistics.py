"""The statistics page: the 三率, on-time rate per tier, slowest grids and the points ranking."""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any, cast
from zoneinfo import ZoneInfo

from sqlalchemy import func, select
from starlette.requests import Request
from starlette.responses import FileResponse, Response

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


@dataclass
class _Entry:
    """One scope's figures for one version of the tickets, and its chart once drawn."""

    version: tuple[int, int, str]
    figures: dict[str, Any]
    chart: Path | None = None


# Each office keeps its own cache (Office.stats_cache): the figures and the chart, drawn when first
# asked for, per scope and period, until a ticket changes (or the hour turns). A cache shared by the
# process would hand one database's figures to another whose latest ids happen to be the same.
CACHE_MOST = 64


def cached(cache: dict[str, Any], u: Unit, sc: Scope) -> _Entry:
    """The scope's figures for the tickets' current version, computed once per version."""
    key, now = _key(sc), version(u)
    hit = cache.get(key)
    if hit is not None and hit.version == now:
        return cast(_Entry, hit)
    entry = _Entry(now, figures(u, sc))
    if len(cache) >= CACHE_MOST:
        cache.clear()
    cache[key] = entry
    return entry


def cached_chart(cache: dict[str, Any], u: Unit, sc: Scope) -> Path | None:
    """The scope's chart, drawn once per version of the tickets (again if pruned meanwhile)."""
    entry = cached(cache, u, sc)
    if entry.chart is None or not entry.chart.is_file():
        entry.chart = _chart(u, sc, entry.figures)
    return entry.chart


def stamp(entry: _Entry) -> str:
    """The tickets' version as a word, so a browser never shows an older chart from its cache."""
    return "-".join(str(v) for v in entry.version)


def _chart(u: Unit, sc: Scope, figs: dict[str, Any]) -> Path | None:
    today = u.now.astimezone(ZoneInfo(u.rules.sla.timezone)).date()
    first = today - timedelta(days=6 if sc.period == "week" else 29)
    series = daily(u.session, sc.area_ids, first, today, u.rules.sla.timezone)
    title = texts.CHART_TITLE.format(subdistrict=sc.label, period=PERIODS[sc.period])
    data = chart.chart_data(u, title, figs["stats"], figs["on_time_raw"], figs["grids_raw"], series)
    try:
        return chart.write_png(data, Path(u.rules.chart_dir), f"stats-web-{_key(sc)}")
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
            entry = cached(office.stats_cache, u, sc)
            return {
                "sc": sc,
                "communities": [u.tree.by_id[c] for c in viewer.communities],
                **entry.figures,
                "stamp": stamp(entry),
            }

        ctx = await office.run(read)
        # The chart is drawn by its own request, so the figures never wait for the drawing.
        where = request.url_for("stats_chart", period=period, community=ctx["sc"].community or "all")
        ctx["chart"] = f"{where.path}?v={ctx.pop('stamp')}"
        return office.page(
            request,
            "stats.html",
            {"viewer": viewer, "flash": flash, "periods": PERIODS, "period": period, **ctx},
            400 if flash else 200,
        )

    return page


def stats_chart(office: Office) -> Any:
    """GET /office/stats/chart/{period}/{community}: the statistics page's chart (admins, their scope)."""

    async def page(request: Request, viewer: Viewer) -> Response:
        period, raw = request.path_params["period"], request.path_params["community"]
        community = int(raw) if raw.isdigit() and int(raw) in viewer.communities else None
        if period not in PERIODS or (raw != "all" and community is None):
            return Response(status_code=404)
        drawn = await office.run(
            lambda u: cached_chart(office.stats_cache, u, scope(u, viewer, period, community))
        )
        if drawn is None:
            return Response(status_code=404)
        return FileResponse(drawn, media_type="image/png", headers={"Cache-Control": "private, max-age=3600"})

    return page
