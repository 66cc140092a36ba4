"""滴滴调解 and enterprise reporters on Telegram and WeChat: the same words as on the console.

The dispute is filed with the operation the wizard calls (the wizard is tested elsewhere); the
mediator's card, grab, outcome and the resident's 双是 all go through the channel."""

from __future__ import annotations

import pytest
from sqlalchemy.orm import Session

from bot.app import App
from handlers import notify, texts
from models import tickets
from models.people import get_or_create_person
from models.tables import Status, Ticket

from .tgfake import GROUP_ID, Tg, setup_grid
from .wxfake import WxEnv, openid

pytestmark = pytest.mark.usefixtures("group_privacy")
DISPUTE = "楼上邻居夜里装修噪音，协商不成"
COMPANY = "义乌市萤萤电子商务商行"
CODE = "91330782MA2H1B2C3L"


def file_dispute(app: App, channel: str, resident: str) -> int:
    """A dispute in 四季社区 第一网格, its card posted as the wizard's submit posts it."""

    def write(s: Session) -> int:
        u = app.unit(s)
        area = u.tree.by_code("siji-1")
        assert area is not None
        person = get_or_create_person(s, channel, resident, u.now, name="李阿姨", chat_id=resident)
        draft = tickets.Draft(
            category_code="dispute", description=DISPUTE, area_id=area.id, phone="13700137000"
        )
        ticket = tickets.create(u, person, draft)
        notify.post_card(u, ticket)
        return ticket.id

    return int(app.db.run_sync(write))


def stored(app: App, ticket_id: int) -> Ticket:
    return app.db.run_sync(lambda s: s.get(Ticket, ticket_id))  # type: ignore[no-any-return]


async def test_telegram(tg: Tg) -> None:
    """m1 grabs the dispute from his private card, records the agreement; the resident taps 是 and 满意."""
    c = await setup_grid(tg)
    m1 = tg.u.user(3001, "季", "小强", "jixiaoqiang")
    await tg.send(tg.u.text(m1, "/start"), tg.u.text(c.r1, "/start"))
    await tg.send(tg.u.text(c.admin, "/grant @jixiaoqiang mediator siji"))
    n = file_dispute(tg.app, "telegram", str(c.r1["id"]))
    await tg.app.sender.flush()
    assert any(f"【新工单 #{n}】矛盾纠纷" in t for t in tg.api.texts(m1["id"]))
    assert not any(f"#{n}" in t for t in tg.api.texts(GROUP_ID)), "the grid's group is not asked"
    await tg.tap(m1, m1["id"], texts.BTN_GRAB)
    assert stored(tg.app, n).status == Status.CLAIMED
    await tg.send(tg.u.text(m1, f"调解 {n} 成功 双方约定晚十点后停工 500元"))
    assert tg.api.texts(m1["id"])[-1] == texts.MEDIATION_DONE.format(
        id=n, outcome="调解成功", amount="（涉及金额 500 元）"
    )
    note = "调解成功。协议内容：双方约定晚十点后停工（涉及金额 500 元）"
    assert texts.R_RESOLVED.format(id=n, note=note) in tg.api.texts(c.r1["id"])
    await tg.tap(c.r1, c.r1["id"], texts.BTN_YES)
    await tg.tap(c.r1, c.r1["id"], texts.BTN_SATISFIED)
    assert stored(tg.app, n).rating == "double_yes"
    await tg.send(tg.u.text(c.w1, f"调解 {n} 成功 双方和解"))
    assert tg.api.texts(c.w1["id"])[-1] == texts.NOT_MEDIATOR
    await tg.send(tg.u.text(c.r1, f"/company {COMPANY} {CODE}"))
    assert tg.api.texts(c.r1["id"])[-1] == texts.COMPANY_SET.format(
        name=COMPANY, code=texts.COMPANY_CODE.format(code=CODE)
    )


async def test_wechat(wx: WxEnv) -> None:
    """The same on WeChat: typed 抢单 and 调解 get passive replies, the resident is told by message."""
    r1, m1, w1 = openid("r1"), openid("m1"), openid("w1")
    for user in (r1, m1, w1):
        await wx.text(user, "你好")
    await wx.text(openid("admin"), f"/grant {m1} mediator siji")
    await wx.text(openid("admin"), f"/grant {w1} worker siji-1")
    n = file_dispute(wx.app, "wechat", r1)
    await wx.deliver()
    assert any(f"【新工单 #{n}】矛盾纠纷" in t for t in wx.fake.texts_to(m1))
    assert not any(f"#{n}" in t for t in wx.fake.texts_to(w1))
    assert await wx.text(w1, f"抢单 {n}") == texts.NOT_IN_SCOPE.format(id=n)
    await wx.text(m1, f"抢单 {n}")
    assert stored(wx.app, n).status == Status.CLAIMED
    assert await wx.text(m1, f"调解 {n} 好了 双方和解") == texts.OUTCOME_UNKNOWN.format(word="好了")
    said = await wx.text(m1, f"调解 {n} 未成功 双方分歧较大")
    assert said == texts.MEDIATION_DONE.format(id=n, outcome="调解未成功", amount="")
    await wx.deliver()
    note = "调解未成功：双方分歧较大。如有需要，您可以依法申请仲裁或向人民法院起诉。"
    assert any(t.startswith(texts.R_RESOLVED.format(id=n, note=note)) for t in wx.fake.texts_to(r1))
    assert stored(wx.app, n).status == Status.RESOLVED
    said = await wx.text(r1, f"企业 {COMPANY} 91330782MA2H1B2C3M")
    assert said == texts.CREDIT_CODE_INVALID.format(code="91330782MA2H1B2C3M")
