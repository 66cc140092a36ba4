"""The today queue: late first, then due today, then what waits for me; each person sees their own."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from handlers import texts
from models.tables import Person, Ticket

from .harness import Harness
from .office import client, office_with_grids, sign_in

pytestmark = pytest.mark.usefixtures("group_privacy")


@pytest.fixture
async def web(db_url: str) -> AsyncIterator[Harness]:
    """The office on; workers w1, w2 in grid siji-1."""
    async with office_with_grids(db_url) as h:
        yield h


def section(page: str, key: str) -> list[int]:
    """Ticket numbers of one section of the today page, in order."""
    part = page.split(f'<section class="card" id="{key}">')[1].split("</section>")[0]
    return [int(x) for x in re.findall(r'<tr data-id="(\d+)">', part)]


def count(page: str, key: str) -> int:
    """The count the page's header gives for a section."""
    found = re.search(rf'data-key="{key}">[^<]*<b>(\d+)</b>', page)
    assert found, key
    return int(found.group(1))


async def test_today_queue_per_person(web: Harness) -> None:
    """w1 sees his own due ticket, the grid's late and fresh open ones; w2 his; the admin the 回访 call."""
    mine = await web.quick_claimed()  # due tomorrow 09:00
    other = await web.quick_report("r2")
    await web.say(f"w2: 抢单 {other}")
    oldest = await web.quick_report("r3", category="other", description="消防通道堵塞")
    web.clock.advance(timedelta(hours=3))
    later = await web.quick_report("r4", category="other", description="井盖丢失")
    web.clock.advance(timedelta(hours=20))  # the next morning 08:00: both claimed are due today
    fresh = await web.quick_report("r5", category="other", description="路灯不亮")
    proxy = await web.quick_resolved("r6", "w2")

    def as_proxy(s: object) -> None:
        t = s.get(Ticket, proxy)  # type: ignore[attr-defined]
        t.filed_by_id = s.query(Person).filter_by(external_id="w2").one().id  # type: ignore[attr-defined]

    web.query(as_proxy)
    async with client(web) as http:
        await sign_in(web, http, "w1")
        page = (await http.get("/office/today")).text
        assert section(page, "late") == [oldest, later]  # the most late first
        assert section(page, "due") == [mine]
        assert section(page, "claim") == [fresh]
        assert 'id="followup"' not in page  # workers make no 回访 calls
        assert (count(page, "late"), count(page, "due"), count(page, "claim")) == (2, 1, 1)
        assert texts.OFFICE["nav_mine"] in page
    async with client(web) as http:
        await sign_in(web, http, "w2")
        page = (await http.get("/office/today")).text
        assert section(page, "due") == [other] and section(page, "late") == [oldest, later]
    async with client(web) as http:
        await sign_in(web, http, "admin")
        page = (await http.get("/office/today")).text
        assert sorted(section(page, "due")) == sorted([mine, other])
        assert section(page, "followup") == [proxy]
        assert texts.OFFICE["nav_mine"] not in page


async def test_saved_views_are_named_filters_per_person(web: Harness) -> None:
    """A saved view is a named link to the list's filters; only its owner sees it; bad names are refused."""
    from .office import post_form

    await web.quick_claimed()
    async with client(web) as http:
        await sign_in(web, http, "w1")
        view = {"name": "我的超期", "query": "overdue=1&page=3&bogus=x"}
        saved = await post_form(http, "/office/tickets", "/office/views", view)
        assert saved.status_code == 303 and saved.headers["location"].endswith("?overdue=1&page=3&bogus=x")
        page = (await http.get("/office/tickets")).text
        assert 'href="?overdue=1" data-view="我的超期"' in page
        for bad in ("", "名" * 21):
            refused = await post_form(http, "/office/tickets", "/office/views", {"name": bad, "query": ""})
            page = (await http.get(refused.headers["location"])).text
            assert texts.OFFICE["view_error_name"] in page
        await post_form(http, "/office/tickets", "/office/views", {"name": "我的超期", "drop": "1"})
        assert 'data-view="我的超期"' not in (await http.get("/office/tickets")).text
        await post_form(http, "/office/tickets", "/office/views", {"name": "留着", "query": "status=open"})
    async with client(web) as http:
        await sign_in(web, http, "w2")
        assert 'data-view="留着"' not in (await http.get("/office/tickets")).text
