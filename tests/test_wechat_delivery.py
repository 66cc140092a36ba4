"""Replies on WeChat: passive within the budget, else customer-service message, else template; one token."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.delivery import Rate
from handlers import texts
from models import outbox
from models.messages import Reply
from models.store.database import Database
from models.tables import Outbox, OutboxStatus

from .vtime import StarvedTime, windows_hold
from .wxfake import FakeWeChatAPI, WxEnv, openid

ADMIN = openid("admin")
R1 = openid("r1")
W1 = openid("w1")
PHOTO = "https://mmbiz.qpic.cn/test/photo.jpg"


@contextmanager
def database_held(db_url: str) -> Iterator[None]:
    """Another process holds the tables every push writes to (a slow database, as seen from here)."""
    other = Database(db_url)
    try:
        with other.engine.connect() as conn, conn.begin() as tx:
            if other.sqlite:
                conn.exec_driver_sql("SELECT 1")  # the transaction began with BEGIN IMMEDIATE
            else:
                conn.exec_driver_sql("LOCK TABLE seen_keys IN EXCLUSIVE MODE")
            yield
            tx.rollback()
    finally:
        other.close()


async def staff_and_ticket(wx: WxEnv, description: str = "春晗路12号门口人行道沉降破损约2平方米") -> None:
    """W1 works grid siji-1 from WeChat; R1 files ticket #1 there with a photo."""
    await wx.text(W1, "你好")
    await wx.text(ADMIN, f"/grant {W1} worker siji-1")
    await wx.text(W1, "/bind siji-1")
    for step in ("/report", "1", "1", description):
        await wx.text(R1, step)
    await wx.image(R1, PHOTO)
    await wx.location(R1, 29.3451, 120.0752)
    await wx.text(R1, "跳过")
    assert (await wx.text(R1, "1")).startswith("已受理！工单编号 #1。")
    await wx.deliver()


def rows_to(wx: WxEnv, chat: str) -> list[Outbox]:
    """Outbox rows addressed to one chat, oldest first."""
    query = select(Outbox).where(Outbox.chat_id == chat).order_by(Outbox.id)
    return list(wx.app.db.run_sync(lambda s: list(s.scalars(query))))


async def test_slow_handling_answers_success_then_sends_a_service_message(db_url: str) -> None:
    """When the database is too slow for the budget, WeChat gets `success`; the reply follows by CS."""
    wx = await WxEnv.create(db_url, budget=0.3)
    try:
        with database_held(db_url):
            response = await wx.push(wx.xml(R1, "text", Content="你好", MsgId="1"))
            assert (response.status_code, response.text) == (200, "success")
        await wx.deliver()
        [greeting] = wx.fake.texts_to(R1)
        assert greeting.startswith("您好！这里是北苑街道") and greeting.endswith("回复 3：❓ 使用帮助")
        assert [r.status for r in rows_to(wx, R1)] == [OutboxStatus.SENT]
    finally:
        await wx.close()


async def test_fast_handling_is_answered_passively_and_not_sent_twice(wx: WxEnv) -> None:
    """A reply given passively is recorded as sent and never repeated as a service message."""
    assert (await wx.text(R1, "你好")).startswith("您好！")
    await wx.deliver()
    assert wx.fake.texts_to(R1) == []
    [row] = rows_to(wx, R1)
    assert (row.status, row.remote_id) == (OutboxStatus.SENT, "passive")


async def test_replies_too_long_for_one_passive_answer_continue_by_service_message(wx: WxEnv) -> None:
    """The grab answer goes passively; the long details that do not fit follow as CS messages in order."""
    await staff_and_ticket(wx, description="人行道沉降破损，" * 110)
    grabbed = await wx.text(W1, "1")
    assert grabbed == texts.GRAB_WON.format(id=1)
    await wx.deliver()
    details = wx.fake.texts_to(W1)[1:]  # after the card
    assert details[0].startswith("工单 #1 详情")
    assert all(len(t.encode()) <= 2048 for t in details)
    assert details[-1] == texts.DETAILS_PHOTO.format(id=1) + "\n\n" + texts.WX_PHOTO_LINK.format(url=PHOTO)
    assert "".join(details).count("人行道沉降破损") == 110


async def test_notice_outside_the_window_goes_as_a_template(wx: WxEnv) -> None:
    """Two days after the resident last wrote, the 'claimed' notice arrives as a template message."""
    await staff_and_ticket(wx)
    wx.clock.advance(timedelta(hours=49))
    await wx.text(W1, "抢单 1")
    await wx.deliver()
    [template] = wx.fake.templates_to(R1)
    assert template["template_id"] == "TPL-progress"
    data = template["data"]
    assert data["first"]["value"].startswith("您反映的问题（#1）已由网格员")
    assert data["keyword1"]["value"] == "#1"
    assert data["remark"]["value"] == texts.WX_TEMPLATE_REMARK.format(id=1)
    assert not [t for t in wx.fake.texts_to(R1) if "已由网格员" in t]


async def test_errcode_45015_falls_back_to_the_template(wx: WxEnv) -> None:
    """When WeChat answers 45015 to a service message, the ticket notice goes as a template instead."""
    await staff_and_ticket(wx)
    wx.fake.cs_errors[R1] = 45015
    await wx.text(W1, "抢单 1")
    await wx.deliver()
    [template] = wx.fake.templates_to(R1)
    assert template["data"]["keyword1"]["value"] == "#1"
    assert rows_to(wx, R1)[-1].status == OutboxStatus.SENT


async def test_nothing_possible_is_recorded_as_failed(db_url: str) -> None:
    """Outside the window with no template configured, the notice is marked failed with the reason."""
    wx = await WxEnv.create(db_url, admins=(ADMIN,), template_id=None)
    try:
        await staff_and_ticket(wx)
        wx.clock.advance(timedelta(hours=49))
        await wx.text(W1, "抢单 1")
        await wx.deliver()
        notice = rows_to(wx, R1)[-1]
        assert notice.status == OutboxStatus.FAILED
        assert "48-hour window" in (notice.error or "")
        assert wx.fake.templates_to(R1) == []
    finally:
        await wx.close()


async def test_two_app_instances_share_one_token(db_url: str) -> None:
    """Two processes on one database fetch the access token once, also when both need a new one at once."""
    fake = FakeWeChatAPI()
    fake.token_delay = 0.3
    first = await WxEnv.create(db_url, fake=fake)
    second = await WxEnv.create(db_url, fake=fake)
    try:
        assert fake.token_requests == 1
        await first.text(R1, "你好")
        await second.text(W1, "你好")
        first.clock.advance(timedelta(hours=2))
        second.clock.advance(timedelta(hours=2))
        tokens = await asyncio.gather(
            asyncio.to_thread(lambda: first.channel.client.access_token),
            asyncio.to_thread(lambda: second.channel.client.access_token),
        )
        assert tokens[0] == tokens[1]
        assert fake.token_requests == 2
    finally:
        await first.close(fake=False)
        await second.close()


async def test_a_token_wechat_refuses_is_refreshed_once(db_url: str) -> None:
    """When WeChat says the token is invalid (40001), one new token is fetched and the message still goes."""
    wx = await WxEnv.create(db_url, budget=0)
    try:
        wx.fake.expire_tokens()
        assert await wx.text(R1, "你好") == ""
        await wx.deliver()
        assert len(wx.fake.texts_to(R1)) == 1
        assert wx.fake.token_requests == 2
    finally:
        await wx.close()


async def test_service_messages_keep_wechats_limits_in_every_sliding_window(wx: WxEnv) -> None:
    """Sixty notices to six users: the account's 40 in 10 s and each user's 3 in 3 s hold on arrival."""
    users = [openid(f"n{i}") for i in range(6)]
    for user in users:
        await wx.text(user, "你好")  # opens the user's 48-hour service window
    await wx.deliver()
    vt = StarvedTime(wx.clock, late_share=0.0)
    wx.app.sender.wall, wx.app.sender.sleep = vt.now, vt.sleep
    wx.fake.clock = vt.now

    def notices(session: Session) -> None:
        for n in range(10):
            for user in users:
                outbox.enqueue(session, Reply("wechat", user, f"通知{n}"), wx.clock.now())

    wx.app.db.run_sync(notices)
    await vt.drive([wx.app.sender], lambda: len(wx.fake.cs_times) >= 60)
    assert all(wx.fake.texts_to(user) == [f"通知{n}" for n in range(10)] for user in users)
    times = [t for _, t in wx.fake.cs_times]
    assert windows_hold(times, Rate(40, 10.0)) and not windows_hold(times, Rate(30, 10.0))  # kept busy
    assert all(windows_hold([t for u, t in wx.fake.cs_times if u == user], Rate(3, 3.0)) for user in users)
