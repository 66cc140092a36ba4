"""The same problem reported nearby is offered to follow instead of filed twice."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from handlers import texts
from models.tables import Ticket, TicketFollower

from .harness import Harness
from .tgfake import NEAR_GRID, Tg, report, setup_grid
from .wxfake import WxEnv, openid

pytestmark = pytest.mark.usefixtures("group_privacy")
ADDRESS = "春晗路12号3单元401"
OFFER_START = "附近已有相同问题 #1"


async def first_ticket(h: Harness, **report: object) -> int:
    """r1's ticket: a broken pavement at 四季社区 第一网格, with phone and exact address."""
    await h.quick_grid()
    return await h.quick_report("r1", address=ADDRESS, **report)  # type: ignore[arg-type]


async def second_report(h: Harness, where: str, description: str = "人行道的地砖碎了一大片") -> list[str]:
    """r2 reports a broken road through the wizard; return what r2 reads at the end."""
    await h.run(
        "r2: /report", "r2: [tap 大城管]", "r2: [tap 道路破损]", f"r2: {description}", "r2: [tap 跳过]"
    )
    if where.startswith("["):
        await h.say(f"r2: {where}")
    else:
        await h.run(f"r2: {where}", "r2: [tap 四季社区]")
    return h.to("r2", await h.say("r2: 13900139000"))


async def test_offer_within_150_metres_and_follow(h: Harness) -> None:
    """About 15 m away, same category: the offer names #1 and its state; following files nothing new."""
    await first_ticket(h)
    [offer] = await second_report(h, "[location 29.3452,120.0753]")
    assert offer.startswith(OFFER_START) and "待接单" in offer and "大城管/道路破损" in offer
    assert h.last("r2")["buttons"] == [texts.BTN_DUPLICATE_FOLLOW.format(id=1), texts.BTN_DUPLICATE_NEW]
    out = await h.say("r2: [tap 是，关注 #1]")
    assert h.to("r2", out) == [texts.DUPLICATE_FOLLOWING.format(id=1)]
    assert h.count(Ticket) == 1 and h.count(TicketFollower) == 1
    assert any("👥 2 位居民反映了同一问题" in t for t in h.to("@siji1", out))


async def test_the_offer_never_shows_the_other_residents_details(h: Harness) -> None:
    """No phone, name or exact address of r1 in anything r2 reads, offer or notices."""
    await first_ticket(h)
    await second_report(h, "[location 29.3452,120.0753]")
    await h.say("r2: 是")  # typed answers count too
    await h.run("w1: 抢单 1", "w1: 办结 1 已修复")
    seen = "\n".join(h.to("r2"))
    for secret in ("13800138000", ADDRESS, "r1"):
        assert secret not in seen


async def test_farther_than_150_metres_is_a_new_ticket(h: Harness) -> None:
    """About 500 m away: no offer, the confirm step as usual."""
    await first_ticket(h)
    [confirm] = await second_report(h, "[location 29.3480,120.0790]")
    assert confirm.startswith(texts.CONFIRM.split("{")[0])


async def test_without_gps_same_grid_and_similar_text_is_offered(h: Harness) -> None:
    """A typed address in the same community and a similar description: offered; a different one: not."""
    await first_ticket(h, location=None, area="siji-1", description="春晗路人行道地砖碎了一大片")
    [offer] = await second_report(h, "春晗路口", "春晗路人行道的地砖碎了好大一片")
    assert offer.startswith(OFFER_START)
    await h.say("r2: [tap 不是，继续提交]")
    assert h.count(Ticket) == 2
    [confirm] = await second_report(h, "春晗路口", "路中间有个大坑车子过不去")
    assert confirm.startswith(texts.CONFIRM.split("{")[0])


async def test_older_than_14_days_or_closed_is_not_offered(h: Harness) -> None:
    """A ticket filed 15 days ago is not offered."""
    await first_ticket(h)
    h.clock.advance(timedelta(days=15))
    [confirm] = await second_report(h, "[location 29.3452,120.0753]")
    assert confirm.startswith(texts.CONFIRM.split("{")[0])


async def test_other_text_re_asks_the_duplicate_question(h: Harness) -> None:
    """Free text that is not 是/不是 asks the duplicate question again with its buttons."""
    await first_ticket(h)
    await second_report(h, "[location 29.3452,120.0753]")
    out = await h.say("r2: 啥意思")
    assert out[0]["text"].startswith(texts.DUPLICATE_REASK.format(id=1))
    assert out[0]["buttons"] == [texts.BTN_DUPLICATE_FOLLOW.format(id=1), texts.BTN_DUPLICATE_NEW]
    await h.say("r2: 不是")
    assert h.count(Ticket) == 2


async def test_follower_gets_notices_and_their_own_double_yes(h: Harness) -> None:
    """The follower hears the grab and the resolution and answers their own 是/满意; r1 closes it."""
    await first_ticket(h)
    await second_report(h, "[location 29.3452,120.0753]")
    await h.say("r2: [tap 是，关注 #1]")
    out = await h.say("w1: 抢单 1")
    assert h.to("r2", out) == h.to("r1", out) != []
    out = await h.say("w1: 办结 1 已修复")
    assert h.to("r2", out) == [texts.R_RESOLVED.format(id=1, note="已修复")]
    assert h.last("r2")["buttons"] == [texts.BTN_YES, texts.BTN_NO]
    assert h.to("r2", await h.say("r2: 嗯嗯 解决了")) == [texts.R_ASK_SATISFIED]
    assert h.to("r2", await h.say("r2: [tap 满意]")) == [texts.FOLLOWER_THANKS.format(id=1)]
    assert h.ticket(1).status == "resolved"  # only r1's answer closes it
    status = h.to("r2", await h.say("r2: /status 1"))[0]
    assert "反映同一问题的居民：2 人" in status
    await h.run("r1: 是", "r1: 满意")
    assert h.ticket(1).rating == "double_yes"


async def test_follower_no_is_passed_to_the_worker(h: Harness) -> None:
    """A follower's 还没 is recorded and the handler hears it; the ticket stays as it is."""
    await first_ticket(h)
    await second_report(h, "[location 29.3452,120.0753]")
    await h.run("r2: [tap 是，关注 #1]", "w1: 抢单 1", "w1: 办结 1 已修复")
    out = await h.say("r2: 还没")
    assert h.to("r2", out) == [texts.FOLLOWER_NOT_RESOLVED.format(id=1)]
    assert h.to("w1", out) == [texts.W_FOLLOWER_NOT_RESOLVED.format(id=1)]
    assert h.ticket(1).status == "resolved"


async def test_wechat_duplicate_offer_by_number(wx: WxEnv) -> None:
    """On WeChat the offer is two numbered options; 1 follows #1."""
    r1, r2 = openid("r1"), openid("r2")
    for who in (r1, r2):
        for step in ("/report", "1", "1", "人行道的地砖碎了一大片", "跳过"):
            await wx.text(who, step)
        await wx.location(who, 29.3451, 120.0752)
        last = await wx.text(who, "跳过")
        if who == r1:
            assert (await wx.text(r1, "1")).startswith("已受理！工单编号 #1。")
    assert last.startswith(OFFER_START)
    assert last.endswith("回复 1：是，关注 #1\n回复 2：不是，继续提交")
    assert (await wx.text(r2, "1")) == texts.DUPLICATE_FOLLOWING.format(id=1)
    assert int(wx.app.db.run_sync(lambda s: s.query(TicketFollower).count())) == 1


async def test_telegram_duplicate_offer_and_follow(tg: Tg) -> None:
    """On Telegram the offer comes as two inline buttons; 是，关注 #1 follows it."""
    c = await setup_grid(tg)
    tid = await report(tg, c.r1)
    r2 = tg.u.user(1002, "张", "三", "zhangsan")
    chat = r2["id"]
    await tg.send(tg.u.text(r2, "/report"))
    await tg.tap(r2, chat, "大城管")
    await tg.tap(r2, chat, "道路破损")
    await tg.send(tg.u.text(r2, "人行道的地砖碎了一大片"))
    await tg.tap(r2, chat, "跳过")
    await tg.send(tg.u.location(r2, *NEAR_GRID))
    await tg.send(tg.u.contact(r2, "8613900139000"))
    assert tg.api.texts(chat)[-1].startswith(f"附近已有相同问题 #{tid}")
    await tg.tap(r2, chat, f"是，关注 #{tid}")
    assert tg.api.texts(chat)[-1] == texts.DUPLICATE_FOLLOWING.format(id=tid)
    assert "13800138000" not in "\n".join(tg.api.texts(chat))


async def test_stats_count_followers(h: Harness) -> None:
    """/stats says how many residents followed a ticket instead of filing again."""
    await first_ticket(h)
    before = h.to("admin", await h.say("admin: /stats"))[0]
    assert "关注同一问题" not in before
    await second_report(h, "[location 29.3452,120.0753]")
    await h.say("r2: [tap 是，关注 #1]")
    after = h.to("admin", await h.say("admin: /stats"))[0]
    assert after.endswith(texts.STATS_FOLLOWERS.format(count=1))


async def test_submit_from_the_confirm_message_files_anyway(h: Harness) -> None:
    """A resident who goes back and forth and presses 确认提交 files their own ticket."""
    await first_ticket(h)
    await second_report(h, "[location 29.3452,120.0753]")
    result, _ = await h.send("r2", payload="wz:submit")
    assert result.alert is None and h.count(Ticket) == 2


async def test_a_follower_button_from_someone_not_following_changes_nothing(h: Harness) -> None:
    """ff1/ff2 for a ticket the sender does not follow (or not now) is refused; no answer is recorded."""
    await first_ticket(h)
    await second_report(h, "[location 29.3452,120.0753]")
    await h.run("r2: [tap 是，关注 #1]", "w1: 抢单 1", "w1: 办结 1 已修复")
    for user, payload in (("r3", "ff1:1:y"), ("r1", "ff1:1:n"), ("r2", "ff2:1:y")):
        result, out = await h.send(user, payload=payload)
        assert (result.alert, out) == (texts.FOLLOWUP_NOT_NOW.format(id=1), []), (user, payload)
    rows = h.query(
        lambda s: [
            (f.followup_stage, f.resolved_answer, f.satisfied) for f in s.scalars(select(TicketFollower))
        ]
    )
    assert rows == [(1, None, None)]
    assert h.ticket(1).status == "resolved"
