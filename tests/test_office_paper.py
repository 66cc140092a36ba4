"""The timeline folds system events; the print views (交办单 and the list); the privacy of both."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from handlers import texts

from .harness import Harness
from .office import client, office_with_grids, sign_in

pytestmark = pytest.mark.usefixtures("group_privacy")


@pytest.fixture
async def web(db_url: str) -> AsyncIterator[Harness]:
    """The office on; workers w1, w2 in grid siji-1."""
    async with office_with_grids(db_url) as h:
        yield h


async def test_system_events_fold_into_one_line(web: Harness) -> None:
    """Reminders and escalations in a row become one 系统… N 次 line that opens; people's events stay."""
    tid = await web.quick_claimed()
    await web.advance(timedelta(days=4))
    await web.say(f"w1: 进展 {tid} 已联系施工队")
    events = web.events(tid)
    system = [k for k in events if k not in ("created", "grabbed", "note")]
    assert len(system) >= 2
    async with client(web) as http:
        await sign_in(web, http, "admin")
        page = (await http.get(f"/office/tickets/{tid}")).text
        timeline = page.split('id="timeline"')[1].split("</section>")[0]
        folds = re.findall(r'<li class="system fold"><details><summary>(.*?)</summary>', timeline)
        shown = sum(int(re.search(r"(\d+) 次", f).group(1)) for f in folds)  # type: ignore[union-attr]
        assert folds and shown + timeline.count('<li class="system">') == len(system)
        assert timeline.count('<li class="person">') == 3  # 受理, 接单, 进展
        assert 'name="show" value="people"' in page  # the filter


async def test_print_views_of_a_ticket_and_the_list(web: Harness) -> None:
    """交办单 with phone for admins only; the list keeps the filters and never shows phones."""
    a = await web.quick_report("r1")
    b = await web.quick_report("r2", category="other", description="井盖丢失")
    async with client(web) as http:
        await sign_in(web, http, "admin")
        sheet = (await http.get(f"/office/tickets/{a}/print")).text
        assert texts.OFFICE["print_ticket_title"].format(id=a) in sheet and "13800138000" in sheet
        assert texts.OFFICE["print_sign_handler"] in sheet and 'id="do-print"' in sheet
        listed = (await http.get("/office/tickets/print?category=other")).text
        assert re.findall(r'<tr data-id="(\d+)">', listed) == [str(b)] and "13800138000" not in listed
        assert 'id="print-list"' in (await http.get("/office/tickets")).text
    async with client(web) as http:
        await sign_in(web, http, "w2")  # in the grid, not the handler: no phone on paper either
        sheet = (await http.get(f"/office/tickets/{a}/print")).text
        assert "13800138000" not in sheet
        assert (await http.get("/office/tickets/99999/print")).status_code == 404


async def test_statistics_are_cached_until_a_ticket_changes(
    web: Harness, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A second view reuses the figures and chart; a new event (a grab) recomputes them. The chart
    is its own request, drawn once per version; a chart of a bad period or community is a 404."""
    from bot.office import statistics

    computed: list[object] = []
    drawn: list[object] = []
    real, draw = statistics.figures, statistics._chart

    def counting(u: object, sc: object) -> object:
        computed.append(sc)
        return real(u, sc)  # type: ignore[arg-type]

    def drawing(u: object, sc: object, figs: object) -> object:
        drawn.append(sc)
        return draw(u, sc, figs)  # type: ignore[arg-type]

    monkeypatch.setattr(statistics, "figures", counting)
    monkeypatch.setattr(statistics, "_chart", drawing)
    tid = await web.quick_report("r1")
    async with client(web) as http:
        await sign_in(web, http, "admin")
        first = (await http.get("/office/stats?period=week")).text
        assert (len(computed), len(drawn)) == (1, 0)  # the page does not wait for the drawing
        second = (await http.get("/office/stats?period=week")).text
        assert len(computed) == 1
        chart = re.search(r'id="chart" alt="[^"]*" src="([^"]+)"', first)
        assert chart and chart.group(1) in second
        for _ in range(2):
            png = await http.get(chart.group(1))
            assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
            assert png.headers["cache-control"].startswith("private")
        assert (len(computed), len(drawn)) == (1, 1)
        await http.get("/office/stats?period=month")
        assert len(computed) == 2  # another period, its own entry
        await web.say(f"w1: 抢单 {tid}")
        third = (await http.get("/office/stats?period=week")).text
        assert len(computed) == 3
        again = re.search(r'id="chart" alt="[^"]*" src="([^"]+)"', third)
        assert again and again.group(1) != chart.group(1)  # a browser never shows the old one
        assert (await http.get(again.group(1))).status_code == 200 and len(drawn) == 2
        for bad in ("decade/all", "week/99999", "week/abc", "week/"):
            assert (await http.get(f"/office/stats/chart/{bad}")).status_code == 404, bad
        assert len(computed) == 3 and len(drawn) == 2
    async with client(web) as http:
        await sign_in(web, http, "w1")
        assert (await http.get(chart.group(1))).status_code == 403


async def test_reply_templates_are_pickable_and_an_office_replaces_them(
    web: Harness, tmp_path: object, caplog: pytest.LogCaptureFixture
) -> None:
    """The shipped templates are offered on the forms; an office file replaces a kind; a bad one is named."""
    from pathlib import Path

    from bot.office import replies

    tid = await web.quick_claimed()
    async with client(web) as http:
        await sign_in(web, http, "admin")
        page = (await http.get(f"/office/tickets/{tid}")).text
        for kind, target in (("note", "note-text"), ("close", "close-text")):
            assert f'data-target="{target}"' in page and f"<option>{replies.load()[kind][0]}</option>" in page
    own = Path(str(tmp_path)) / "replies.toml"
    own.write_text('close = ["已由四季社区修复完毕。"]\n', encoding="utf-8")
    got = replies.load(str(own))
    assert got["close"] == ["已由四季社区修复完毕。"] and got["note"] == replies.load()["note"]
    for bad in ('close = "一句话"\n', 'close = [""]\n', "nonsense = [1]\n", "close = [\n"):
        own.write_text(bad, encoding="utf-8")
        assert replies.load(str(own)) == replies.load()
    assert "is not used" in caplog.text
