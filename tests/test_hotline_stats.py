"""The city's 三率 of 12345 orders, one definition: chat /stats, the office's statistics page, the 周报."""

from __future__ import annotations

import io
import re

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from handlers import texts
from models.hotline_kpi import By, kpi
from models.tables import Area

from .cityfake import City
from .harness import Harness
from .office import client, sign_in
from .test_hotline_city import WORKER, placed, town  # noqa: F401 (the fixture)

pytestmark = pytest.mark.usefixtures("group_privacy")


async def visited_orders(h: Harness) -> tuple[int, int, int, int]:
    """12 orders in 四季社区 handled and visited by the city: 11 responded, 9 resolved, 8 satisfied;
    3 more dispatched, not resolved (no 回访). Returns (dispatched, responded, resolved, satisfied)."""
    city = City(now=h.clock.now())
    orders = [o for o in city.dispatch(25, "S") if o.grid in ("siji-1", "siji-2")][:15]
    async with client(h) as http:
        assert (await city.push(http, orders)).status_code == 201
    where = placed(h)
    for o in orders:
        await h.say(f"{WORKER[o.grid or '']}: 抢单 {where[o.number][0]}")
    for o in orders[:12]:
        await h.say(f"{WORKER[o.grid or '']}: 办结 {where[o.number][0]} 已联系诉求人，现场已修复")
    verdicts = [
        (o.number, i != 0, i not in (0, 1, 2), i not in (0, 1, 2, 3)) for i, o in enumerate(orders[:12])
    ]
    async with client(h) as http:
        answer = await city.push_results(http, verdicts)
        assert answer.status_code == 200, answer.text
    return 15, 11, 9, 8


def city_line(said: str) -> str:
    """The /stats line of the city's 三率."""
    return next(line for line in said.splitlines() if line.startswith("12345市级工单"))


async def test_the_statistics_page_and_the_weekly_workbook_show_the_stats_figures(town: Harness) -> None:  # noqa: F811
    """The same counts and 响应率/解决率/满意率 in /stats, on /office/stats and in the 周报's sheet."""
    h = town
    dispatched, responded, resolved, satisfied = await visited_orders(h)
    line = city_line(h.to("admin", await h.say("admin: /stats week"))[0])
    want = [f"{p * 100:.1f}%" for p in (responded / 12, resolved / 12, satisfied / 12)]
    assert line == texts.STATS_CITY.format(
        count=dispatched, visited=12, response=want[0], resolution=want[1], satisfaction=want[2]
    )
    assert want == ["91.7%", "75.0%", "66.7%"]
    rows = [
        (texts.CITY_KPI_COUNTS[0], dispatched),
        (texts.CITY_KPI_COUNTS[1], 12),
        *zip(texts.WEB_RATES, want, strict=True),
    ]
    async with client(h) as http:
        await sign_in(h, http, "admin")
        page = await http.get("/office/stats?period=week")
        assert page.status_code == 200
        table = re.search(r'<table id="city-rates">(.*?)</table>', page.text, re.S)
        assert table is not None, page.text
        cells = re.findall(r"<td>(.*?)</td>", table.group(1))
        assert list(zip(cells[::2], cells[1::2], strict=True)) == [(n, str(v)) for n, v in rows]
        # A community with no city orders shows no city figures (not a row of zeros).
        jingfa = h.query(lambda s: s.scalar(select(Area.id).where(Area.name == "经发社区")))
        other = await http.get(f"/office/stats?period=week&community={jingfa}")
        assert other.status_code == 200 and 'id="city-rates"' not in other.text
        book = load_workbook(io.BytesIO((await http.get("/office/report/week.xlsx")).content))
    sheet = list(book["四季社区"].iter_rows(values_only=True))
    start = next(i for i, r in enumerate(sheet) if r[0] == texts.XLS_WEEKLY_CITY[0])
    assert [tuple(r[:2]) for r in sheet[start + 1 : start + 6]] == rows
    cells = [c for r in book["经发社区"].iter_rows(values_only=True) for c in r if c is not None]
    assert texts.XLS_WEEKLY_CITY[0] not in cells
    # One definition: the figures are those of models/hotline_kpi.py's total.
    total = h.query(
        lambda s: kpi(h.app.unit(s), h.clock.now().replace(year=2000), h.clock.now(), By.GRID)[-1]
    )
    assert (total.dispatched, total.visited, total.responded, total.resolved, total.satisfied) == (
        dispatched,
        12,
        responded,
        resolved,
        satisfied,
    )


async def test_an_office_without_city_orders_shows_no_city_figures(town: Harness) -> None:  # noqa: F811
    """No 12345 order: /stats, the page and the workbook carry no city line at all."""
    h = town
    said = h.to("admin", await h.say("admin: /stats"))[0]
    assert "12345市级工单" not in said
    async with client(h) as http:
        await sign_in(h, http, "admin")
        assert 'id="city-rates"' not in (await http.get("/office/stats")).text
        book = load_workbook(io.BytesIO((await http.get("/office/report/week.xlsx")).content))
    cells = [c for ws in book for r in ws.iter_rows(values_only=True) for c in r if c is not None]
    assert texts.XLS_WEEKLY_CITY[0] not in cells
