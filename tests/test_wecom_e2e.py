"""服务号 + 企业微信, Telegram off: a resident on WeChat, three workers on WeCom, a flaky WeCom API."""

from __future__ import annotations

import asyncio
from collections import Counter

from sqlalchemy import select

from handlers import texts
from handlers.payloads import Grab
from models.people import get_or_create_person, grant
from models.refdata import area_tree
from models.tables import Outbox, OutboxStatus, Role, Status, Ticket

from .wecomfake import WecomEnv
from .wxfake import WxEnv, openid

R1 = openid("r1")
WORKERS = ("w1", "w2", "w3")


async def settle(wc: WecomEnv, rounds: int = 12) -> None:
    """Deliver until nothing of WeCom's is due, letting rate-limit pauses pass."""
    for _ in range(rounds):
        await wc.deliver()
        pending = wc.app.db.run_sync(
            lambda s: s.scalars(
                select(Outbox.id).where(Outbox.channel == "wecom", Outbox.status == OutboxStatus.PENDING)
            ).all()
        )
        if not pending:
            return
        await wc.wait(61)


async def test_resident_on_wechat_workers_on_wecom_with_a_flaky_api(db_url: str) -> None:
    """Report on WeChat; three WeCom workers get one card; two tap at once; one wins, resolves with a
    photo; the resident answers 双是; random 45009 and token expiry lose and double nothing."""
    wx = await WxEnv.create(db_url)
    vt = wx.app.sender.wall.__self__  # type: ignore[attr-defined]
    wc = await WecomEnv.beside(wx.app, wx.clock, wx.console, vt)
    try:

        def boss(s: object) -> None:
            person = get_or_create_person(s, "wecom", "boss", wx.clock.now(), chat_id="boss")  # type: ignore[arg-type]
            grant(s, person, Role.ADMIN, area_tree(s).top().id, None, wx.clock.now())  # type: ignore[arg-type]

        wx.app.db.run_sync(boss)
        for w in WORKERS:
            await wc.text(w, "你好")
            await wc.text("boss", f"/grant {w} worker siji-1")
        await wc.channel.housekeep()
        wc.fake.chaos = 0.3
        for step in ("/report", "1", "1", "春晗路12号门口人行道沉降破损约2平方米"):
            await wx.text(R1, step)
        await wx.image(R1)
        await wx.location(R1, 29.3451, 120.0752)
        await wx.text(R1, "13800138000")
        assert (await wx.text(R1, "1")).startswith("已受理！工单编号 #1。")
        await settle(wc)
        cards = [m for m in wc.fake.sent if m["msgtype"] == "template_card"]
        assert len(cards) == 1 and cards[0]["touser"] == "w1|w2|w3"
        key, task = Grab(1).pack(), cards[0]["template_card"]["task_id"]
        await asyncio.gather(wc.tap("w1", key, task), wc.tap("w2", key, task))
        await settle(wc)
        ticket = wx.app.db.run_sync(lambda s: s.get(Ticket, 1))
        winner = next(w for w in WORKERS if texts.GRAB_WON.format(id=1) in wc.fake.texts_to(w))
        assert sum(texts.GRAB_WON.format(id=1) in wc.fake.texts_to(w) for w in WORKERS) == 1
        assert ticket.status == Status.CLAIMED
        assert len(wc.fake.updates) == 1
        await wc.text(winner, "办结 1 已修复路面")
        await wc.image(winner)
        await settle(wc)
        await wx.deliver()
        assert wx.app.db.run_sync(lambda s: s.get(Ticket, 1)).status == Status.RESOLVED
        await wx.text(R1, "1")  # 问题解决了吗？ 是
        await wx.text(R1, "1")  # 满意吗？ 满意
        await settle(wc)
        assert wx.app.db.run_sync(lambda s: s.get(Ticket, 1)).status == Status.CLOSED
        # Resolved and closed after the grab spent the card's code: no reposted card, no second update.
        assert len([m for m in wc.fake.sent if m["msgtype"] == "template_card"]) == 1
        assert len(wc.fake.updates) == 1
        assert wc.fake.refusals.get(45009, 0) + wc.fake.refusals.get(42001, 0) > 0
        statuses = wx.app.db.run_sync(
            lambda s: s.scalars(select(Outbox.status).where(Outbox.channel == "wecom")).all()
        )
        assert set(statuses) == {OutboxStatus.SENT}
        texts_sent = Counter(
            (m["touser"], m["text"]["content"]) for m in wc.fake.sent if m["msgtype"] == "text"
        )
        assert max(texts_sent.values()) == 1  # nothing doubled
    finally:
        await wc.close()
        await wx.close()
