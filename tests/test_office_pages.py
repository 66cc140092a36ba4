"""The tickets page, the ticket page and its actions, map, statistics, scopes per role."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import parse_qs, urlparse

import pytest

from handlers import texts
from models import followers
from models.tables import Person

from .harness import Harness
from .office import client, map_data, map_markers, office_with_grids, post_form, sign_in

pytestmark = pytest.mark.usefixtures("group_privacy")


@pytest.fixture
async def web(db_url: str) -> AsyncIterator[Harness]:
    """The office on; grid siji-1 with w1, w2; grid jingfa-1 with j1; community admin ca of 经发社区."""
    async with office_with_grids(db_url, jingfa=True) as h:
        await h.run("ca: 你好", "admin: /grant ca admin jingfa")
        yield h


async def three_tickets(h: Harness) -> tuple[int, int, int]:
    """One in 四季 (siji-1), one in 经发 (jingfa-1), one suggestion in 四季 with an <script> description."""
    a = await h.quick_report("r1")
    b = await h.quick_report("r2", location=(29.3380, 120.0900), description="经发路路灯不亮已经三天了")
    c = await h.quick_report("r3", category="idea", description="<script>alert('x')</script> 建议增设长椅")
    return a, b, c


def ids_in(page: str) -> list[int]:
    """Ticket numbers listed in the tickets table, in order."""
    import re

    return [int(x) for x in re.findall(r'<tr data-id="(\d+)">', page)]


async def test_tickets_page_filters_counts_and_url(web: Harness) -> None:
    """Counts per status at the top; every filter narrows the list and stays in the links."""
    a, b, c = await three_tickets(web)
    await web.say(f"w1: 抢单 {a}")
    async with client(web) as http:
        await sign_in(web, http, "admin")
        page = (await http.get("/office/tickets")).text
        assert ids_in(page) == [c, b, a]
        assert (
            'data-status="open">待接单 <b>2</b>' in page and 'data-status="claimed">办理中 <b>1</b>' in page
        )
        assert ids_in((await http.get("/office/tickets?status=open")).text) == [c, b]
        assert ids_in((await http.get("/office/tickets?sort=old")).text) == [a, b, c]
        jingfa = web.query(lambda s: web.app.unit(s).tree.by_code("jingfa").id)
        filtered = (await http.get(f"/office/tickets?community={jingfa}")).text
        assert ids_in(filtered) == [b]
        assert ids_in((await http.get("/office/tickets?category=city")).text) == [b, a]
        assert ids_in((await http.get("/office/tickets?tier=none")).text) == [c]
        assert ids_in((await http.get("/office/tickets?q=路灯")).text) == [b]
        assert ids_in((await http.get(f"/office/tickets?q=%23{a}")).text) == [a]
        w1 = web.query(lambda s: s.query(Person).filter_by(external_id="w1").one().id)
        assert ids_in((await http.get(f"/office/tickets?handler={w1}")).text) == [a]
        assert ids_in((await http.get("/office/tickets?since=2000-01-01&until=2000-01-02")).text) == []
        # The export link carries the same filters.
        link = urlparse(filtered.split('id="export-xlsx" href="')[1].split('"')[0].replace("&amp;", "&"))
        assert parse_qs(link.query) == {"community": [str(jingfa)]}


async def test_bad_filters_are_named_and_ignored(web: Harness) -> None:
    """A nonsense filter value gets a Chinese note, and the rest of the filters still apply."""
    _a, b, _c = await three_tickets(web)
    async with client(web) as http:
        await sign_in(web, http, "admin")
        page = await http.get("/office/tickets?status=nope&since=yesterday&page=-3&q=路灯")
        assert page.status_code == 400
        assert texts.WEB_BAD_FILTER.format(what="状态、起始日期、页码") in page.text
        assert ids_in(page.text) == [b]


async def test_pagination_50_per_page(web: Harness) -> None:
    """51 tickets: the first page holds 50, the second the oldest one."""
    first = await web.quick_report("r1")
    for i in range(50):
        await web.quick_report(f"r{i + 2}")
    async with client(web) as http:
        await sign_in(web, http, "admin")
        one = (await http.get("/office/tickets")).text
        assert len(ids_in(one)) == 50 and "第 1 / 2 页" in one and 'rel="next"' in one
        two = (await http.get("/office/tickets?page=2")).text
        assert ids_in(two) == [first]


async def test_resident_text_is_escaped(web: Harness) -> None:
    """A <script> description is shown as text on the list and the ticket page, never run."""
    _, _, c = await three_tickets(web)
    async with client(web) as http:
        await sign_in(web, http, "admin")
        for url in ("/office/tickets", f"/office/tickets/{c}"):
            page = (await http.get(url)).text
            assert "<script>alert" not in page and "&lt;script&gt;alert(" in page


async def test_scopes_per_role(web: Harness) -> None:
    """Subdistrict admin: all; community admin: their community; worker: their grid and own tickets."""
    a, b, c = await three_tickets(web)
    await web.say(f"admin: /assign {b} j1")
    async with client(web) as http:
        await sign_in(web, http, "ca")
        assert ids_in((await http.get("/office/tickets")).text) == [b]
        assert (await http.get(f"/office/tickets/{a}")).status_code == 404
        assert (await http.get(f"/office/tickets/{b}")).status_code == 200
        assert (await http.get("/office/stats")).status_code == 200
    async with client(web) as http:
        await sign_in(web, http, "w1")
        assert ids_in((await http.get("/office/tickets")).text) == [c, a]
        hidden = await http.get(f"/office/tickets/{b}")
        assert hidden.status_code == 404 and texts.WEB_TICKET_HIDDEN.format(id=b) in hidden.text
        stats = await http.get("/office/stats")
        assert stats.status_code == 403 and texts.WEB_FORBIDDEN in stats.text
        assert (await http.get("/office/report/week.xlsx")).status_code == 403
        assert (await http.get("/office/map")).status_code == 200
    async with client(web) as http:
        for url in (
            "/office/tickets",
            f"/office/tickets/{a}",
            "/office/map",
            "/office/stats",
            "/office/tickets.xlsx",
        ):
            assert (await http.get(url)).status_code == 401, url


async def test_phone_only_for_handler_and_admins(web: Harness) -> None:
    """The resident's phone shows to admins and the handler, not to another worker of the grid."""
    a = await web.quick_report("r1")
    await web.say(f"w1: 抢单 {a}")
    for user, sees in (("admin", True), ("w1", True), ("w2", False)):
        async with client(web) as http:
            await sign_in(web, http, user)
            page = (await http.get(f"/office/tickets/{a}")).text
            assert ("13800138000" in page) is sees, user


async def test_assign_form_does_what_assign_in_chat_does(web: Harness) -> None:
    """交办 on the web: the worker and the resident get the chat's messages; the timeline shows it."""
    a = await web.quick_report("r1")
    w2 = web.query(lambda s: s.query(Person).filter_by(external_id="w2").one().id)
    async with client(web) as http:
        await sign_in(web, http, "admin")
        start = len(web.transport.transcript)
        done = await post_form(
            http, f"/office/tickets/{a}", f"/office/tickets/{a}/assign", {"worker": str(w2)}
        )
        assert done.status_code == 303
        await web.app.sender.flush()
        out = web.transport.transcript[start:]
        assert web.to("w2", out)[0] == texts.W_ASSIGNED.format(id=a)
        assert web.to("r1", out) == [
            texts.R_ASSIGNED.format(
                id=a, handler="w2", deadline=texts.DEADLINE_EXPECTED.format(due="11月24日 09:00")
            )
        ]
        page = (await http.get(done.headers["location"])).text
        assert texts.WEB_DONE["assign"].format(id=a, detail="w2") in page
        assert "交办</b> · admin（管理员） → 办理中" in page
    assert web.events(a) == ["created", "assigned"]


async def test_web_and_chat_tell_the_resident_the_same(web: Harness) -> None:
    """交办 and 驳回 from the web and from chat: the resident and the worker read the same words."""
    by_chat = [await web.quick_report("r1"), await web.quick_report("r2")]
    by_web = [await web.quick_report("r3"), await web.quick_report("r4")]
    w2 = web.query(lambda s: s.query(Person).filter_by(external_id="w2").one().id)
    start = len(web.transport.transcript)
    await web.run(f"admin: /assign {by_chat[0]} w2", f"admin: /reject {by_chat[1]} 不属于本街道")
    chat = web.transport.transcript[start:]
    async with client(web) as http:
        await sign_in(web, http, "admin")
        start = len(web.transport.transcript)
        for ticket_id, action, data in (
            (by_web[0], "assign", {"worker": str(w2)}),
            (by_web[1], "reject", {"reason": "不属于本街道"}),
        ):
            url = f"/office/tickets/{ticket_id}"
            assert (await post_form(http, url, f"{url}/{action}", data)).status_code == 303
        await web.app.sender.flush()
        office = web.transport.transcript[start:]

    def said(out: list[Any], who: str, ticket_id: int, resident: str) -> list[str]:
        """What one chat read, with the ticket's number and its resident's name made neutral."""
        return [re.sub(rf"\b{ticket_id}\b", "N", t).replace(resident, "R") for t in web.to(who, out)]

    assert said(office, "r3", by_web[0], "r3") == said(chat, "r1", by_chat[0], "r1") != []
    assert said(office, "r4", by_web[1], "r4") == said(chat, "r2", by_chat[1], "r2") != []
    assert said(office, "w2", by_web[0], "r3") == said(chat, "w2", by_chat[0], "r1") != []


async def test_refusals_show_in_chinese_and_change_nothing(web: Harness) -> None:
    """Each form's refusal is the chat's refusal text, with the ticket unchanged."""
    a, _b, _ = await three_tickets(web)
    j1 = web.query(lambda s: s.query(Person).filter_by(external_id="j1").one().id)
    async with client(web) as http:
        await sign_in(web, http, "admin")
        url = f"/office/tickets/{a}"
        cases = [
            ("assign", {"worker": str(j1)}, texts.ASSIGN_NOT_IN_SCOPE.format(id=a, user="j1")),
            ("assign", {"worker": ""}, texts.WEB_WORKER_REQUIRED),
            ("reject", {"reason": "  "}, texts.REASON_REQUIRED),
            ("merge", {"into": str(a)}, texts.MERGE_SELF),
            ("merge", {"into": "abc"}, texts.WEB_NUMBER_REQUIRED.format(what="目标工单编号")),
            ("tier", {"tier": "difficult", "reason": ""}, texts.REASON_REQUIRED),
            ("note", {"note": "已联系"}, texts.NOT_OPEN.format(id=a, status=texts.STATUS["open"])),
            ("fly", {}, texts.WEB_UNKNOWN_ACTION),
        ]
        for action, data, message in cases:
            refused = await post_form(http, url, f"{url}/{action}", data)
            assert refused.status_code == 400, action
            assert message in refused.text, (action, refused.text[:300])
    assert web.ticket(a).status == "open" and web.events(a) == ["created"]


async def test_reject_merge_tier_note_and_grab_forms(web: Harness) -> None:
    """The other forms call the domain operations: the resident hears each, as from chat."""
    a, b, c = await three_tickets(web)
    async with client(web) as http:
        await sign_in(web, http, "w1")
        assert (
            await post_form(http, f"/office/tickets/{a}", f"/office/tickets/{a}/grab", {})
        ).status_code == 303
        note = await post_form(
            http, f"/office/tickets/{a}", f"/office/tickets/{a}/note", {"note": "已联系施工队"}
        )
        assert note.status_code == 303
    async with client(web) as http:
        await sign_in(web, http, "admin")
        tier = {"tier": "difficult", "reason": "需要协调施工"}
        assert (
            await post_form(http, f"/office/tickets/{a}", f"/office/tickets/{a}/tier", tier)
        ).status_code == 303
        assert (
            await post_form(http, f"/office/tickets/{c}", f"/office/tickets/{c}/merge", {"into": str(a)})
        ).status_code == 303
        rejected = await post_form(
            http, f"/office/tickets/{b}", f"/office/tickets/{b}/reject", {"reason": "不属于本街道"}
        )
        assert rejected.status_code == 303
    await web.app.sender.flush()
    assert texts.R_NOTE.format(id=a, note="已联系施工队") in web.to("r1")
    assert texts.R_MERGED_FOLLOWING.format(id=c, into=a) in web.to("r3")
    assert texts.R_REJECTED.format(id=b, reason="不属于本街道") in web.to("r2")
    assert web.events(a) == ["created", "grabbed", "note", "tier"]
    assert web.ticket(a).tier == "difficult" and web.ticket(c).status == "merged"


async def test_move_form_does_what_move_in_chat_does(web: Harness) -> None:
    """转派 on the web: the same domain operation as /move, so the resident and both groups read the same."""
    by_chat, by_web = await web.quick_report("r1"), await web.quick_report("r2")
    start = len(web.transport.transcript)
    await web.say(f"admin: /move {by_chat} jingfa-1")
    chat = web.transport.transcript[start:]
    async with client(web) as http:
        await sign_in(web, http, "admin")
        url = f"/office/tickets/{by_web}"
        page = (await http.get(url)).text
        assert 'id="move-area"' in page and 'value="jingfa-1"' in page
        start = len(web.transport.transcript)
        done = await post_form(http, url, f"{url}/move", {"area": "jingfa-1"})
        assert done.status_code == 303
        await web.app.sender.flush()
        office = web.transport.transcript[start:]
        shown = (await http.get(done.headers["location"])).text
    moved = texts.MOVE_DONE.format(id=by_web, old="四季社区 第一网格", area="经发社区 第一网格")
    assert moved in shown and "转派</b> · admin（管理员）" in shown
    for who in ("r1", "@siji1", "@jingfa1"):
        other = "r2" if who == "r1" else who
        heard = [t.replace(f"#{by_web}", "#N") for t in web.to(other, office)]
        assert heard == [t.replace(f"#{by_chat}", "#N") for t in web.to(who, chat)] != [], who
    code = web.query(lambda s: web.app.unit(s).tree.by_id[web.ticket(by_web).area_id].code)
    assert code == "jingfa-1" and web.events(by_web) == ["created", "moved"]


async def test_move_form_permissions_and_refusals(web: Harness) -> None:
    """Only admins see 转派; a community admin's choices stay in their community; refusals are in Chinese."""
    a, b, _ = await three_tickets(web)
    async with client(web) as http:
        await sign_in(web, http, "w1")
        page = (await http.get(f"/office/tickets/{a}")).text
        assert 'id="move-area"' not in page
        refused = await post_form(
            http, f"/office/tickets/{a}", f"/office/tickets/{a}/move", {"area": "siji-2"}
        )
        assert refused.status_code == 400 and texts.NOT_ADMIN in refused.text
    async with client(web) as http:
        await sign_in(web, http, "ca")  # admin of 经发社区 only
        page = (await http.get(f"/office/tickets/{b}")).text
        assert 'value="jingfa"' in page and 'value="siji-1"' not in page
        url = f"/office/tickets/{b}"
        refused = await post_form(http, url, f"{url}/move", {"area": "siji-1"})
        assert refused.status_code == 400 and texts.NOT_ADMIN in refused.text
        hidden = await post_form(http, url, f"/office/tickets/{a}/move", {"area": "jingfa-1"})
        assert hidden.status_code == 404 and texts.WEB_TICKET_HIDDEN.format(id=a) in hidden.text
    async with client(web) as http:
        await sign_in(web, http, "admin")
        url = f"/office/tickets/{a}"
        cases = [
            ({"area": "nowhere"}, texts.AREA_NOT_FOUND.format(code="nowhere")),
            ({"area": ""}, texts.AREA_NOT_FOUND.format(code="")),
            ({"area": "beiyuan"}, texts.MOVE_TARGET_LEVEL.format(code="beiyuan")),
        ]
        for data, message in cases:
            refused = await post_form(http, url, f"{url}/move", data)
            assert refused.status_code == 400 and message in refused.text, (data, refused.text[:300])
        same = await post_form(http, url, f"{url}/move", {"area": "siji-1"})
        shown = (await http.get(same.headers["location"])).text
        assert texts.MOVE_SAME.format(id=a, area="四季社区 第一网格") in shown
        await web.say(f"admin: /reject {a} 不属于本街道")
        page = (await http.get(url)).text
        assert 'id="move-area"' not in page
        refused = await post_form(http, url, f"{url}/move", {"area": "jingfa-1"})
        status = texts.STATUS["rejected"]
        assert (
            refused.status_code == 400 and texts.MOVE_NOT_ACTIVE.format(id=a, status=status) in refused.text
        )
    assert web.events(a) == ["created", "rejected"]
    assert web.events(b) == ["created"]


async def test_ticket_page_lists_followers_without_phones(web: Harness) -> None:
    """The ticket page lists who follows it, since when and their own 回访 answers; never their phone."""
    a = await web.quick_report("r1")
    await web.say("r5: 你好")

    def follow(s: Any) -> None:
        r5 = s.query(Person).filter_by(external_id="r5").one()
        r5.phone = "13700001111"
        followers.add(s, a, r5.id, web.clock.now())

    web.query(follow)
    async with client(web) as http:
        await sign_in(web, http, "admin")
        page = (await http.get(f"/office/tickets/{a}")).text
    listed = page.split('id="followers"')[1].split("</section>")[0]
    assert "关注人（1）" in listed and "<td>r5</td>" in listed
    assert texts.WEB_FOLLOWER_ANSWER[(None, None)] in listed and "13700001111" not in page
    async with client(web) as http:
        await sign_in(web, http, "admin")
        empty = (await http.get(f"/office/tickets/{await web.quick_report('r2')}")).text
    assert "关注人（0）" in empty


async def test_map_page_lists_open_tickets_in_scope(web: Harness) -> None:
    """The map carries the open tickets with a position; a community admin's only theirs."""
    a, b, _c = await three_tickets(web)
    async with client(web) as http:
        await sign_in(web, http, "ca")
        page = (await http.get("/office/map")).text
        shown = [int(m["id"]) for m in map_markers(map_data(page))]  # type: ignore[call-overload]
        assert b in shown and a not in shown
        assert "leaflet/leaflet.js" in page
        assert (await http.get("/office/static/leaflet/leaflet.js")).status_code == 200


async def test_stats_page_shows_rates_ranking_and_chart(web: Harness) -> None:
    """Statistics for a period and community: the 三率, on-time per tier, ranking and a PNG chart."""
    a = await web.resolved()
    await web.run("r1: [tap 是]", "r1: [tap 满意]")
    async with client(web) as http:
        await sign_in(web, http, "admin")
        page = await http.get("/office/stats?period=month")
        assert page.status_code == 200
        assert "响应率" in page.text and "100.0%" in page.text and "w1" in page.text
        chart = page.text.split('id="chart" alt="统计图" src="')[1].split('"')[0]
        png = await http.get(chart)
        assert png.status_code == 200 and png.content.startswith(b"\x89PNG")
        bad = await http.get("/office/stats?period=decade")
        assert bad.status_code == 400 and texts.WEB_BAD_FILTER.format(what="统计周期或社区") in bad.text
    assert web.ticket(a).status == "closed"


def test_every_event_kind_has_a_chinese_name_in_the_timeline() -> None:
    """The office's timeline names every kind of event (a reminder too), never its English key."""
    from models.events import EventKind

    assert set(texts.EVENT_NAME) == {k.value for k in EventKind}
