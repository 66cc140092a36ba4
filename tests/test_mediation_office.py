"""滴滴调解 on the web office and in the figures: the ticket page's form, /mediation, stats page, workbook."""

from __future__ import annotations

import io
from collections.abc import AsyncIterator
from datetime import timedelta

import pytest
from openpyxl import load_workbook
from sqlalchemy import select

from handlers import texts
from models.mediation import Mediation
from models.tables import Person

from .harness import Harness
from .office import client, office_with_grids, post_form, sign_in

pytestmark = pytest.mark.usefixtures("group_privacy")
DISPUTE = "租客与房东因押金退还发生纠纷"


@pytest.fixture
async def web(db_url: str) -> AsyncIterator[Harness]:
    """The office on; grid siji-1 with w1, w2; the community's mediator m1 and the 综治中心's m2."""
    async with office_with_grids(db_url) as h:
        await h.run(
            "m1: 你好", "m2: 你好", "admin: /grant m1 mediator siji", "admin: /grant m2 mediator dept-zz"
        )
        yield h


async def claimed_dispute(h: Harness, user: str = "r1") -> int:
    n = await h.quick_report(user, category="dispute", description=DISPUTE)
    await h.say(f"m1: 抢单 {n}")
    return n


async def test_the_mediator_records_the_outcome_on_the_ticket_page(web: Harness) -> None:
    """The form calls the chat's operation: the resident reads the same agreement and gives the 双是."""
    n = await claimed_dispute(web)
    async with client(web) as http:
        await sign_in(web, http, "m1")
        url = f"/office/tickets/{n}"
        page = await http.get(url)
        assert 'data-action="mediate"' in page.text
        start = len(web.transcript)
        form = {"outcome": "success", "agreement": "房东退还押金，双方签字", "amount": "2000"}
        assert (await post_form(http, url, f"{url}/mediate", form)).status_code == 303
        await web.app.sender.flush()
        note = "调解成功。协议内容：房东退还押金，双方签字（涉及金额 2000 元）"
        assert web.to("r1", web.transcript[start:])[0] == texts.R_RESOLVED.format(id=n, note=note)
        shown = (await http.get(url)).text
        assert "调解成功（涉及金额 2000 元）：房东退还押金，双方签字" in shown
    rows = web.query(
        lambda s: s.execute(select(Mediation.outcome, Mediation.amount_fen, Mediation.source)).all()
    )
    assert [tuple(r) for r in rows] == [("success", 200000, "web")]


async def test_bad_web_outcomes_are_refused_and_change_nothing(web: Harness) -> None:
    """A bad amount, a 转交 with nowhere to go, an empty agreement, a non-dispute: 400 with the reason."""
    n = await claimed_dispute(web)
    road = await web.quick_report("r2")
    await web.say(f"w1: 抢单 {road}")
    async with client(web) as http:
        await sign_in(web, http, "admin")
        url = f"/office/tickets/{n}"
        cases = [
            (n, {"outcome": "success", "agreement": "和解", "amount": "-5"}, "金额“-5元”写法不对"),
            (n, {"outcome": "transferred", "agreement": "移交", "to": ""}, texts.USAGE_MEDIATE),
            (n, {"outcome": "failed", "agreement": ""}, texts.USAGE_MEDIATE),
            (n, {"outcome": "maybe", "agreement": "和解"}, "“maybe”不是调解结果"),
            (road, {"outcome": "success", "agreement": "修好了"}, texts.NOT_DISPUTE.format(id=road)),
        ]
        for ticket_id, data, message in cases:
            url = f"/office/tickets/{ticket_id}"
            refused = await post_form(http, url, f"{url}/mediate", data)
            assert refused.status_code == 400, data
            assert message in refused.text, (data, refused.text[:300])
    assert web.ticket(n).status == "claimed" and web.ticket(road).status == "claimed"
    assert web.count(Mediation) == 0


async def test_mediation_figures_in_chat_on_the_page_and_in_the_workbook(web: Harness) -> None:
    """Two disputes: one settled with 3000 yuan after a day, one failed; the figures agree everywhere."""
    a = await claimed_dispute(web, "r1")
    b = await claimed_dispute(web, "r2")
    await web.advance(timedelta(hours=24))
    await web.say(f"m1: 调解 {a} 成功 双方和解 3000")
    await web.say(f"m1: 调解 {b} 未成功 双方分歧较大")
    answer = web.to("admin", await web.say("admin: 调解统计 month"))[0]
    assert answer.startswith(texts.MEDIATION_STATS_HEADER.format(period="近30天", scope="北苑街道"))
    total = texts.MEDIATION_STATS_LINE.format(
        name="合计", cases=2, success=1, failed=1, transferred=0, rate="50.0%", yuan="3000", settle="1天"
    )
    assert total in answer and "四季社区：受理 2 件" in answer
    assert web.to("w1", await web.say("w1: /mediation")) == [texts.NOT_ADMIN]
    assert web.to("admin", await web.say("admin: /mediation 去年")) == [
        texts.USAGE.format(usage=texts.USAGE_MEDIATION_STATS)
    ]
    async with client(web) as http:
        await sign_in(web, http, "admin")
        page = (await http.get("/office/stats?period=month")).text
        assert (
            "<td>四季社区调解队伍</td><td>2</td><td>1</td><td>1</td><td>0</td><td>50.0%</td><td>3000</td>"
            in page
        )
        wb = load_workbook(io.BytesIO((await http.get("/office/report/week.xlsx")).content))
    ws = wb["四季社区"]
    rows = [tuple(c.value for c in r) for r in ws.iter_rows()]
    at = next(i for i, r in enumerate(rows) if r[0] == texts.MEDIATION_XLS[0])
    assert rows[at + 1][:7] == ("合计", 2, 1, 1, 0, "50.0%", "3000")


async def test_an_admin_hands_a_dispute_to_a_mediator_not_a_grid_worker(web: Harness) -> None:
    """A dispute's 交办 list names its mediator, not the grid's worker; handing it to w1 is refused."""
    n = await web.quick_report("r1", category="dispute", description=DISPUTE)
    m1 = web.query(lambda s: s.scalar(select(Person.id).where(Person.external_id == "m1")))
    w1 = web.query(lambda s: s.scalar(select(Person.id).where(Person.external_id == "w1")))
    async with client(web) as http:
        await sign_in(web, http, "admin")
        url = f"/office/tickets/{n}"
        page = (await http.get(url)).text
        assert f'<option value="{m1}">m1</option>' in page and f'<option value="{w1}">' not in page
        assert (await post_form(http, url, f"{url}/assign", {"worker": str(m1)})).status_code == 303
        refused = await post_form(http, url, f"{url}/assign", {"worker": str(w1)})
        assert refused.status_code == 400
        assert texts.ASSIGN_NOT_IN_SCOPE.format(id=n, user="w1") in refused.text
    assert web.ticket(n).handler_id == m1
