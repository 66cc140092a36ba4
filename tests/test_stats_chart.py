"""/stats with on-time rate per tier, slowest grids and a PNG chart in Chinese."""

from __future__ import annotations

import struct
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest

from bot.config import load
from handlers import texts
from handlers.reports import chart
from models.reports import on_time as performance
from models.reports import stats
from models.store.unit_of_work import Unit

from .harness import Harness


@pytest.fixture
async def hc(db_url: str, tmp_path: Path) -> AsyncIterator[Harness]:
    """The demo subdistrict, writing its charts under a temporary directory."""
    config = load(None, env={})
    config.rules = replace(config.rules, chart_dir=str(tmp_path / "charts"))
    harness = await Harness.create(db_url, config)
    try:
        yield harness
    finally:
        harness.close()


async def story(h: Harness) -> tuple[int, int, int]:
    """One simple ticket done on time, one done a day late, one difficult ticket still open."""
    await h.setup_grid()
    on_time = await h.report("r1")
    late = await h.report("r2", category=("大城管", "违章停车"), description="春晗路口长期违章停车")
    waiting = await h.report("r3", category=("物业", "电梯"), description="3号楼电梯坏了三天")
    await h.run(f"w1: 抢单 {on_time}", f"w2: 抢单 {late}")
    await h.advance(timedelta(hours=6))
    await h.run(f"w1: 办结 {on_time} 已修复", "r1: 是", "r1: 满意")
    await h.advance(timedelta(days=1, hours=6))  # the late one misses its deadline, escalates
    await h.run(f"w2: 办结 {late} 已劝离并张贴告示")
    return on_time, late, waiting


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk (after checking the signature)."""
    head = path.read_bytes()[:24]
    assert head[:8] == b"\x89PNG\r\n\x1a\n" and head[12:16] == b"IHDR"
    width, height = struct.unpack(">II", head[16:24])
    return int(width), int(height)


async def test_stats_text_has_on_time_rates_and_slowest_grids(hc: Harness) -> None:
    """/stats week reports the 三率, the on-time rate per tier and the slowest grid, then sends the chart."""
    h = hc
    await story(h)
    out = await h.say("admin: /stats week")
    text, photo = h.to("admin", out)
    assert "响应率 66.7%\n解决率 66.7%\n满意率 100.0%" in text  # #3 is still unclaimed
    assert text.splitlines()[-2] == texts.STATS_ON_TIME.format(
        rates="简单 50.0%（1/2），复杂 —（0/0），暂难解决 —（0/0）"
    )
    # w1 took 6 h, w2 1 day 12 h: both are in the same grid, so its average is 21 h.
    assert text.splitlines()[-1] == texts.STATS_SLOW_GRIDS.format(
        grids=texts.STATS_SLOW_GRID_ITEM.format(area="四季社区 第一网格", avg="21小时", count=2)
    )
    assert photo == texts.CHART_CAPTION.format(period=texts.PERIOD["week"])
    path = Path(str(out[-1]["photo"]))
    assert path.parent == Path(h.app.rules.chart_dir).resolve()
    assert png_size(path) == (1100, 750) and path.stat().st_size > 20_000


async def test_chart_draws_the_expected_series(hc: Harness) -> None:
    """The chart's bars are the day-by-day counts, the on-time rates, the top categories and grid hours."""
    h = hc
    await story(h)
    u = Unit(h.app.db.sessions(), h.clock.now(), h.app.rules)
    try:
        today = h.clock.now().astimezone(ZoneInfo("Asia/Shanghai")).date()
        s = stats.compute(u.session, None, h.clock.now() - timedelta(days=7))
        on_time = performance.on_time_by_tier(u.session, None, None)
        grids = performance.slowest_grids(u.session, None, None)
        series = performance.daily(u.session, None, today - timedelta(days=6), today, "Asia/Shanghai")
        data = chart.chart_data(u, "统计", s, on_time, grids, series)
    finally:
        u.session.close()
    # Filed on 11/23; one resolved the same day, the other on 11/24 (created 09:00, now 11/24 21:00).
    assert data.days == ["11/18", "11/19", "11/20", "11/21", "11/22", "11/23", "11/24"]
    assert data.new == [0, 0, 0, 0, 0, 3, 0]
    assert data.solved == [0, 0, 0, 0, 0, 1, 1]
    assert (data.tiers, data.on_time_pct) == (["简单"], [50.0])
    assert data.categories == ["物业/电梯", "大城管/违章停车", "大城管/道路破损"]  # ties by code
    assert data.category_counts == [1, 1, 1]
    assert (data.grids, data.grid_hours) == (["四季社区 第一网格"], [21.0])
    fig = chart.figure(data)
    daily, rates, cats, grid = fig.axes
    heights = [p.get_height() for p in daily.patches]
    assert heights == data.new + data.solved
    assert [p.get_height() for p in rates.patches] == data.on_time_pct
    assert [p.get_width() for p in cats.patches] == data.category_counts
    assert [p.get_width() for p in grid.patches] == data.grid_hours
    assert [t.get_text() for t in cats.get_yticklabels()] == data.categories
    # Writing it renders every Chinese label in the bundled font (a missing glyph would warn,
    # and warnings are errors in this suite).
    path = chart.write_png(data, Path(h.app.rules.chart_dir), "stats-test")
    assert png_size(path) == (1100, 750)
    assert chart.font_family() == "Noto Sans SC"


async def test_stats_with_no_tickets_still_draws(hc: Harness) -> None:
    """On an empty subdistrict /stats answers with zeros and an (empty) chart rather than failing."""
    h = hc
    out = await h.say("admin: /stats month")
    text, _caption = h.to("admin", out)
    assert text.startswith("统计（近30天）：\n工单总数 0")
    assert texts.STATS_SLOW_GRIDS.format(grids=texts.STATS_NONE) in text
    assert png_size(Path(str(out[-1]["photo"]))) == (1100, 750)


async def test_bad_stats_period_writes_no_chart(hc: Harness) -> None:
    """/stats year is answered with the usage and no chart file is written."""
    h = hc
    out = await h.say("admin: /stats year")
    assert h.to("admin", out) == [texts.USAGE.format(usage="/stats [week|month]")]
    assert not Path(h.app.rules.chart_dir).exists()


async def test_an_average_under_a_minute_is_not_called_just_now(hc: Harness) -> None:
    """A grid whose tickets were resolved within seconds shows 平均 不到1分钟, never 平均 刚刚."""
    h = hc
    await h.setup_grid()
    tid = await h.report("r1")
    await h.run(f"w1: 抢单 {tid}", f"w1: 办结 {tid} 已修复", "r1: 是", "r1: 满意")
    text = h.to("admin", await h.say("admin: /stats week"))[0]
    assert text.splitlines()[-1] == texts.STATS_SLOW_GRIDS.format(
        grids=texts.STATS_SLOW_GRID_ITEM.format(area="四季社区 第一网格", avg="不到1分钟", count=1)
    )
