"""A resident who followed a ticket by mistake can stop following it; an admin can remove him."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from handlers import texts
from models.tables import Person, TicketEvent, TicketFollower

from .harness import Harness
from .office import client, office_with_grids, post_form, sign_in

pytestmark = pytest.mark.usefixtures("group_privacy")


async def followed(h: Harness) -> int:
    """r1 files a broken pavement; r2 reports the same thing 15 m away and follows #1."""
    await h.quick_grid()
    tid = await h.quick_report("r1")
    await h.run("r2: /report", "r2: [tap 大城管]", "r2: [tap 道路破损]", "r2: 人行道的地砖碎了一大片")
    await h.run("r2: [tap 跳过]", "r2: [location 29.3452,120.0753]", "r2: 13900139000")
    await h.say(f"r2: [tap 是，关注 #{tid}]")
    assert h.count(TicketFollower) == 1
    return tid


async def test_unfollowing_stops_the_news_and_the_double_yes(h: Harness) -> None:
    """取消关注 1: r2 is told, the card's count drops, and the grab and 办结 reach r1 only."""
    tid = await followed(h)
    out = await h.say(f"r2: 取消关注 {tid}")
    assert h.to("r2", out) == [texts.UNFOLLOWED.format(id=tid)]
    assert h.count(TicketFollower) == 0
    assert not any("位居民反映了同一问题" in t for t in h.to("@siji1", out))
    out = await h.run(f"w1: 抢单 {tid}", f"w1: 办结 {tid} 已修复")
    assert h.to("r2", out) == [] and h.to("r1", out) != []
    out = await h.say("r2: 是")  # no 双是 is owed any more: an everyday 是 is not taken as one
    assert texts.FOLLOWER_THANKS.format(id=tid) not in h.to("r2", out)
    history = h.to("w1", await h.say(f"w1: /history {tid}"))[0]
    assert "取消关注" in history and "r2 不再关注" in history


async def test_unfollow_refusals_change_nothing(h: Harness) -> None:
    """Not a follower, no number, someone else's ticket number: a clear answer, nothing removed."""
    tid = await followed(h)
    assert h.to("r3", await h.say(f"r3: /unfollow {tid}")) == [texts.NOT_FOLLOWING.format(id=tid)]
    usage = texts.USAGE.format(usage="取消关注 编号（/unfollow 编号）")
    assert h.to("r2", await h.say("r2: 取消关注")) == [usage]
    assert h.to("r2", await h.say("r2: /unfollow 999")) == [texts.NOT_FOUND.format(id=999)]
    assert h.count(TicketFollower) == 1
    assert h.count(TicketEvent, TicketEvent.kind == "unfollowed") == 0


async def test_unfollow_in_a_group_is_answered_in_private(h: Harness) -> None:
    """/unfollow sent in the grid's group: the answer goes to r2 privately (取消关注 there is chat)."""
    tid = await followed(h)
    await h.say(f"r2@siji1: 取消关注 {tid}")  # an everyday phrase between neighbours: nothing happens
    assert h.count(TicketFollower) == 1
    out = await h.say(f"r2@siji1: /unfollow {tid}")
    assert h.to("r2", out) == [texts.UNFOLLOWED.format(id=tid)]
    assert h.count(TicketFollower) == 0


async def test_an_admin_removes_a_follower_on_the_web(db_url: str) -> None:
    """移除 on the ticket page: r2 is told why the news stops, the trail names the admin."""
    async with office_with_grids(db_url) as web:
        tid = await followed(web)
        r2 = web.query(lambda s: s.scalar(select(Person.id).where(Person.external_id == "r2")))
        url = f"/office/tickets/{tid}"
        async with client(web) as http:
            await sign_in(web, http, "admin")
            page = (await http.get(url)).text
            assert f'id="unfollow-{r2}"' in page
            start = len(web.transport.transcript)
            done = await post_form(http, url, f"{url}/unfollow", {"person": str(r2)})
            assert done.status_code == 303
            shown = (await http.get(done.headers["location"])).text
            assert texts.WEB_DONE["unfollow"].format(id=tid, detail="r2") in shown
            await web.app.sender.flush()
            told = web.to("r2", web.transport.transcript[start:])
            assert told == [texts.UNFOLLOWED_BY_ADMIN.format(id=tid)]
            again = await post_form(http, url, f"{url}/unfollow", {"person": str(r2)})
            assert again.status_code == 400 and texts.NOT_FOLLOWING.format(id=tid) in again.text
            forged = await post_form(http, url, f"{url}/unfollow", {"person": "abc"})
            assert forged.status_code == 400
        kinds = web.query(
            lambda s: [
                (e.kind, s.get(Person, e.actor_id).external_id, e.note)
                for e in s.scalars(select(TicketEvent).where(TicketEvent.kind == "unfollowed"))
            ]
        )
        assert kinds == [("unfollowed", "admin", str(r2))]


async def test_a_worker_cannot_remove_a_follower_on_the_web(db_url: str) -> None:
    """A worker sees no 移除 and a forged form is refused: the follower stays."""
    async with office_with_grids(db_url) as web:
        tid = await followed(web)
        r2 = web.query(lambda s: s.scalar(select(Person.id).where(Person.external_id == "r2")))
        url = f"/office/tickets/{tid}"
        async with client(web) as http:
            await sign_in(web, http, "w1")
            page = (await http.get(url)).text
            assert f'id="unfollow-{r2}"' not in page
            refused = await post_form(http, url, f"{url}/unfollow", {"person": str(r2)})
            assert refused.status_code == 400 and texts.NOT_ADMIN in refused.text
        assert web.count(TicketFollower) == 1
