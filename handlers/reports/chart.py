"""The /stats chart: a PNG drawn with matplotlib (Agg, no display) in a bundled CJK font."""

from __future__ import annotations

import threading
import time
import uuid
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from models.reports.on_time import DailyCount, GridSpeed, TierOnTime
from models.reports.stats import Stats
from models.store.unit_of_work import Unit

from .. import texts
from ..render import area_label, category_name

if TYPE_CHECKING:
    from matplotlib.axes import Axes
    from matplotlib.figure import Figure


@dataclass(frozen=True)
class ChartData:
    """Exactly the series drawn in the /stats chart, with their Chinese labels."""

    title: str
    days: list[str]
    new: list[int]
    solved: list[int]
    tiers: list[str]
    on_time_pct: list[float]
    categories: list[str]
    category_counts: list[int]
    grids: list[str]
    grid_hours: list[float]


def chart_data(
    u: Unit,
    title: str,
    stats: Stats,
    on_time: list[TierOnTime],
    grids: list[GridSpeed],
    series: list[DailyCount],
    top: int = 5,
) -> ChartData:
    """Turn the figures into labelled series (tiers without a decided ticket are left out)."""
    known = [t for t in on_time if t.rate is not None]
    cats = list(stats.by_category.items())[:top]

    return ChartData(
        title=title,
        days=[f"{d.day.month}/{d.day.day}" for d in series],
        new=[d.new for d in series],
        solved=[d.solved for d in series],
        tiers=[texts.TIER_SHORT[t.tier] for t in known],
        on_time_pct=[round(100 * (t.rate or 0.0), 1) for t in known],
        categories=[category_name(u.session, code) for code, _ in cats],
        category_counts=[n for _, n in cats],
        grids=[area_label(u, g.area_id) for g in grids],
        grid_hours=[round(g.avg.total_seconds() / 3600, 1) for g in grids],
    )


# matplotlib's rc settings and font cache are process-wide: draw one chart at a time.
_LOCK = threading.Lock()
_family: str | None = None
KEEP_SECONDS = 7 * 24 * 3600
SLOTS = 5  # bars per horizontal panel, so one bar is not drawn as a wall


def font_family() -> str:
    """Register the bundled Noto Sans SC (pylopdf-fonts-zh-cn) once and return its family name."""
    global _family
    if _family is None:
        import pylopdf_fonts_zh_cn
        from matplotlib import font_manager

        path = str(pylopdf_fonts_zh_cn.sans_path())
        font_manager.fontManager.addfont(path)
        _family = font_manager.FontProperties(fname=path).get_name()
    return _family


def _empty(ax: Axes, title: str) -> None:
    ax.set_title(title)
    ax.text(0.5, 0.5, texts.CHART_EMPTY, ha="center", va="center", transform=ax.transAxes, color="grey")
    ax.set_xticks([])
    ax.set_yticks([])


def _barh(ax: Axes, title: str, labels: list[str], values: list[float], color: str) -> None:
    from matplotlib.ticker import MaxNLocator

    if not labels:
        _empty(ax, title)
        return
    positions = list(range(len(labels)))
    ax.barh(positions, values, height=0.6, color=color)
    ax.set_yticks(positions, labels)
    ax.set_ylim(max(len(labels), SLOTS) - 0.5, -0.5)  # biggest first, read from the top
    ax.set_xlim(0, max(values) * 1.15 or 1)
    ax.xaxis.set_major_locator(MaxNLocator(integer=True))
    ax.set_title(title)
    for y, v in zip(positions, values, strict=True):
        ax.annotate(f"{v:g}", (v, y), xytext=(3, 0), textcoords="offset points", va="center", fontsize=8)


def figure(data: ChartData) -> Figure:
    """Four panels: daily new vs resolved, on-time rate per tier, top categories, slowest grids."""
    from matplotlib.figure import Figure
    from matplotlib.ticker import MaxNLocator

    fig = Figure(figsize=(11, 7.5), dpi=100, layout="constrained")
    (daily, on_time), (cats, grids) = fig.subplots(2, 2)
    fig.suptitle(data.title, fontsize=14)
    if data.days:
        x = list(range(len(data.days)))
        width = 0.4
        daily.bar([i - width / 2 for i in x], data.new, width, label=texts.CHART_NEW, color="#4e79a7")
        daily.bar([i + width / 2 for i in x], data.solved, width, label=texts.CHART_SOLVED, color="#59a14f")
        step = max(1, len(x) // 10)
        daily.set_xticks(x[::step], data.days[::step])
        daily.yaxis.set_major_locator(MaxNLocator(integer=True))
        daily.set_ylim(0, max([*data.new, *data.solved, 1]) * 1.3)  # room for the legend
        daily.legend(loc="upper left", ncols=2)
        daily.set_title(texts.CHART_DAILY)
    else:
        _empty(daily, texts.CHART_DAILY)
    if data.tiers:
        on_time.bar(data.tiers, data.on_time_pct, width=0.5, color="#f28e2b")
        on_time.set_xlim(-0.75, max(len(data.tiers), 3) - 0.25)
        on_time.set_ylim(0, 110)
        on_time.set_title(texts.CHART_ON_TIME)
        for i, v in enumerate(data.on_time_pct):
            on_time.annotate(f"{v:g}%", (i, v), xytext=(0, 3), textcoords="offset points", ha="center")
    else:
        _empty(on_time, texts.CHART_ON_TIME)
    _barh(cats, texts.CHART_CATEGORIES, data.categories, [float(n) for n in data.category_counts], "#76b7b2")
    _barh(grids, texts.CHART_SLOW_GRIDS, data.grids, data.grid_hours, "#e15759")
    return fig


def write_png(data: ChartData, directory: Path, stem: str) -> Path:
    """Draw the chart into a new PNG file under directory (old charts there are pruned)."""
    import matplotlib

    directory.mkdir(parents=True, exist_ok=True)
    path = (directory / f"{stem}-{uuid.uuid4().hex[:8]}.png").resolve()
    with (
        _LOCK,
        matplotlib.rc_context({"font.family": [font_family(), "DejaVu Sans"], "axes.unicode_minus": False}),
    ):
        from matplotlib.backends.backend_agg import FigureCanvasAgg

        fig = figure(data)
        FigureCanvasAgg(fig).print_png(str(path))  # type: ignore[no-untyped-call]
    _prune(directory)
    return path


def _prune(directory: Path) -> None:
    """Delete charts older than a week (they have been sent long ago)."""
    cutoff = time.time() - KEEP_SECONDS
    for old in directory.glob("stats-*.png"):
        try:
            if old.stat().st_mtime < cutoff:
                old.unlink()
        except OSError:
            pass
