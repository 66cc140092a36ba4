"""The office tells the truth: one overdue, deadlines that stay, reopened is not done, pins in place."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator
from datetime import datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

import pytest
from shapely.geometry import Point, shape

from handlers import texts
from handlers.reports.digest import overdue_lines
from models.geo import convert
from models.tables import Ticket

from .harness import Harness
from .office import API_KEY, client, map_data, map_markers, office_with_grids, sign_in

pytestmark = pytest.mark.usefixtures("group_privacy")


@pytest.fixture
async def web(db_url: str) -> AsyncIterator[Harness]:
    """The office on; workers w1, w2 in grid siji-1."""
    async with office_with_grids(db_url) as h:
        yield h


def ids_in(page: str) -> list[int]:
    """Ticket numbers listed in the tickets table, in order."""
    return [int(x) for x in re.findall(r'<tr data-id="(\d+)">', page)]


def local(h: Harness, when: datetime | None) -> str:
    """A time as the office prints it."""
    assert when is not None
    return when.astimezone(ZoneInfo(h.app.config.rules.sla.timezone)).strftime("%Y-%m-%d %H:%M")


async def test_only_overdue_holds_what_chat_overdue_holds(web: Harness) -> None:
    """仅超期 lists late claimed tickets and open ones nobody claimed in time, exactly as /overdue does."""
    late_claimed = await web.quick_claimed()
    on_time = await web.quick_report("r2")
    await web.say(f"w1: 抢单 {on_time}")
    web.clock.advance(timedelta(hours=22))
    unclaimed = await web.quick_report("r3", category="other", description="消防通道堵塞")
    fresh = await web.quick_report("r4", category="other", description="小区门口井盖丢失")
    web.clock.advance(timedelta(hours=5))  # #1 and #2 past their day; #3 waited 5 h
    await web.quick_report("r5", category="other", description="刚刚反映的问题")
    chat = web.query(lambda s: overdue_lines(web.app.unit(s)))
    chat_ids = sorted(int(line.split()[0].removeprefix("#")) for line in chat)
    assert unclaimed in chat_ids and fresh in chat_ids and late_claimed in chat_ids
    async with client(web) as http:
        await sign_in(web, http, "admin")
        page = (await http.get("/office/tickets?overdue=1")).text
        assert sorted(ids_in(page)) == chat_ids
        assert page.count(f'class="tag late">{texts.OFFICE["overdue"]}') == len(chat_ids)
        csv = (await http.get("/office/tickets.csv?overdue=1")).content.decode("utf-8-sig")
        assert sorted(int(line.split(",")[0]) for line in csv.splitlines()[1:]) == chat_ids
        # The map's red markers are the same ones.
        markers = map_markers(map_data((await http.get("/office/map")).text))
        assert sorted(int(m["id"]) for m in markers if m["late"]) == chat_ids  # type: ignore[call-overload]
        assert len(markers) == 5
        # The weekly workbook's overdue list is the same one.
        from io import BytesIO

        from openpyxl import load_workbook

        book = load_workbook(BytesIO((await http.get("/office/report/week.xlsx")).content))
        cells = [c for ws in book.worksheets for row in ws.iter_rows(values_only=True) for c in row]
        assert unclaimed in cells and late_claimed in cells


async def test_the_deadline_shown_is_the_one_missed(web: Harness) -> None:
    """After escalation the page shows the original deadline, how late, and the new level's deadline."""
    tid = await web.quick_claimed()
    first = web.ticket(tid).due_at
    await web.advance(timedelta(days=1, hours=3))
    t = web.ticket(tid)
    assert t.overdue_since == first and t.due_at is not None and t.due_at > first
    async with client(web) as http:
        await sign_in(web, http, "admin")
        page = (await http.get(f"/office/tickets/{tid}")).text
        assert f'id="first-due">{local(web, first)}<' in page
        assert re.search(r'id="late-by" class="late-text">已超期 \d', page)
        assert f'id="level-due">{local(web, t.due_at)}<' in page
        assert texts.OFFICE["level_due"].format(level=texts.LEVEL[t.level]) in page
        listed = (await http.get("/office/tickets")).text
        row = listed.split(f'<tr data-id="{tid}">')[1].split("</tr>")[0]
        assert local(web, first) in row and local(web, t.due_at) not in row and "已超期" in row


async def test_a_reopened_ticket_is_not_shown_as_done(web: Harness) -> None:
    """否 reopens: the old 办结 is history, not the current result; the next resolution is current."""
    tid = await web.quick_resolved()
    async with client(web) as http:
        await sign_in(web, http, "admin")
        done = (await http.get(f"/office/tickets/{tid}")).text
        assert 'id="resolution-note">已修复<' in done and 'id="resolutions"' not in done
        await web.say("r1: [tap 否]")
        assert web.ticket(tid).status == "claimed"
        reopened = (await http.get(f"/office/tickets/{tid}")).text
        assert 'id="resolved-at"' not in reopened and 'id="resolution-note"' not in reopened
        history = reopened.split('id="resolutions"')[1].split("</section>")[0]
        assert texts.OFFICE["reopened_now"].format(status=texts.CARD_STATUS["claimed"], n=1) in history
        assert "已修复" in history and "重新办理" in history
        await web.say(f"w1: 办结 {tid} 换了新井盖")
        again = (await http.get(f"/office/tickets/{tid}")).text
        assert 'id="resolution-note">换了新井盖<' in again
        history = again.split('id="resolutions"')[1].split("</section>")[0]
        assert history.index("换了新井盖") < history.index("已修复")  # the current one first


# A point well inside grid siji-1 as drawn (GCJ-02), and the same place as a phone's GPS reports it.
INSIDE_GCJ = (29.3410, 120.0775)
AS_GPS = convert(*INSIDE_GCJ, "gcj02", "wgs84")


async def test_pins_are_drawn_in_the_datum_of_the_grid_shapes(web: Harness) -> None:
    """A GPS (WGS-84) point lands inside its own GCJ-02 grid on the map; a WeChat point is not moved."""
    grids = json.loads((Path(__file__).parent.parent / "models/demo_data/grids.geojson").read_text())
    siji1 = next(shape(f["geometry"]) for f in grids["features"] if f["properties"]["code"] == "siji-1")
    assert not siji1.contains(Point(AS_GPS[1], AS_GPS[0]))  # unconverted, the pin would be outside
    gps = await web.quick_report("r1", location=AS_GPS)
    wechat = await web.quick_report("r2", location=INSIDE_GCJ)

    def as_wechat(s: object) -> None:
        t = s.get(Ticket, wechat)  # type: ignore[attr-defined]
        t.lat, t.lon, t.datum = INSIDE_GCJ[0], INSIDE_GCJ[1], "gcj02"

    web.query(as_wechat)
    assert web.ticket(gps).datum == "wgs84"
    assert web.query(lambda s: web.app.unit(s).tree.by_id[web.ticket(gps).area_id].code) == "siji-1"
    async with client(web) as http:
        await sign_in(web, http, "admin")
        data = map_data((await http.get("/office/map")).text)
        markers = {m["id"]: m for m in map_markers(data)}
        for tid in (gps, wechat):
            m = markers[tid]
            assert siji1.contains(Point(m["lon"], m["lat"]))
            assert (m["lat"], m["lon"]) == pytest.approx(INSIDE_GCJ, abs=1e-5)
        # The ticket page's own map too.
        page = (await http.get(f"/office/tickets/{gps}")).text
        lat = float(re.search(r'data-lat="([0-9.]+)"', page).group(1))  # type: ignore[union-attr]
        assert lat == pytest.approx(INSIDE_GCJ[0], abs=1e-5)
        # Open311 answers in WGS-84, whatever the channel sent.
        for tid in (gps, wechat):
            got = (await http.get(f"/open311/v2/requests/{tid}.json", params={"api_key": API_KEY})).json()
            assert (got[0]["lat"], got[0]["long"]) == pytest.approx(AS_GPS, abs=1.5e-3)


def test_office_templates_take_their_words_from_the_catalogue() -> None:
    """No office template (statistics, login, progress, every page) holds Chinese: it is in texts.OFFICE."""
    here = Path(__file__).parent.parent / "bot" / "office" / "templates"
    han = re.compile(r"[\u3400-\u4dbf\u4e00-\u9fff]")  # inside {{ … }} too: a literal there is one
    pages = sorted(here.glob("*.html"))
    assert {"stats.html", "login.html", "progress.html", "second_factor.html"} <= {p.name for p in pages}
    found = [
        f"{p.name}:{n}"
        for p in pages
        for n, line in enumerate(p.read_text("utf-8").splitlines(), 1)
        if han.search(line)
    ]
    assert found == []
    assert all(isinstance(v, str) and v for v in texts.OFFICE.values())
