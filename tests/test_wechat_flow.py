"""Residents and staff on the WeChat official account: wizard by numbers, events, QR scenes, staff loop."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import func, select

from bot.channels.wechat_store import window_is_open
from handlers import texts
from handlers.commands import help_text
from handlers.spec import Who
from models.tables import Area, ChatBinding, Ticket, TicketEvent

from .wxfake import WxEnv, openid

ADMIN = openid("admin")
R1 = openid("r1")
R2 = openid("r2")
W1 = openid("w1")
DESCRIPTION = "春晗路12号门口人行道沉降破损约2平方米"
PHOTO = "https://mmbiz.qpic.cn/test/photo.jpg"


def tickets(wx: WxEnv) -> list[Ticket]:
    """Every stored ticket."""
    return list(wx.app.db.run_sync(lambda s: list(s.scalars(select(Ticket).order_by(Ticket.id)))))


def area_code(wx: WxEnv, area_id: int) -> str:
    """The command code of an area."""
    return str(wx.app.db.run_sync(lambda s: s.scalar(select(Area.code).where(Area.id == area_id))))


async def test_whole_wizard_answered_by_numbers(wx: WxEnv) -> None:
    """A resident files a report answering every numbered option with its number, photo and location too."""
    greeting = await wx.text(R1, "你好")
    assert greeting.startswith("您好！这里是北苑街道「接诉即办」服务。")
    assert greeting.endswith("回复 1：📝 反映问题\n回复 2：📋 我的工单\n回复 3：❓ 使用帮助")
    assert (await wx.text(R1, "1")).startswith(texts.ASK_CATEGORY + "\n\n回复 1：大城管")
    assert "回复 1：道路破损" in await wx.text(R1, "1")
    assert (await wx.text(R1, "1")).startswith("类别：大城管/道路破损")
    assert (await wx.text(R1, DESCRIPTION)).startswith(texts.ASK_PHOTO)
    assert texts.WX_LOCATION_HINT in await wx.image(R1, PHOTO)
    assert (await wx.location(R1, 29.3451, 120.0752)).startswith(texts.ASK_PHONE)
    confirm = await wx.text(R1, "13800138000")
    assert "位置：已定位（四季社区 第一网格）" in confirm and "回复 1：✅ 确认提交" in confirm
    done = await wx.text(R1, "1")
    assert done.startswith("已受理！工单编号 #1。")
    [ticket] = tickets(wx)
    assert (ticket.category_code, ticket.photo, ticket.phone) == ("road", PHOTO, "13800138000")
    assert (ticket.lat, ticket.lon, area_code(wx, ticket.area_id)) == (29.3451, 120.0752, "siji-1")


async def test_wizard_answered_by_labels_and_typed_address(wx: WxEnv) -> None:
    """Options can also be answered by their label; a typed address leads to the community choice."""
    await wx.text(R1, "你好")
    assert (await wx.text(R1, "反映问题")).startswith(texts.ASK_CATEGORY)
    await wx.text(R1, "大城管")
    await wx.text(R1, "道路破损")
    await wx.text(R1, DESCRIPTION)
    assert (await wx.text(R1, "跳过")).startswith(texts.ASK_LOCATION)
    assert (await wx.text(R1, "春晗路12号3单元")).startswith(texts.ASK_COMMUNITY)
    assert (await wx.text(R1, "四季社区")).startswith(texts.ASK_PHONE)
    await wx.text(R1, "跳过")
    assert (await wx.text(R1, "确认提交")).startswith("已受理！工单编号 #1。")
    [ticket] = tickets(wx)
    assert (ticket.address, ticket.phone, ticket.photo) == ("春晗路12号3单元", None, None)


async def test_number_outside_the_options_is_read_as_text(wx: WxEnv) -> None:
    """A number with no such option is not a choice: the wizard asks to pick one of the options."""
    await wx.text(R1, "/report")
    assert await wx.text(R1, "12") == texts.CHOICE_EXPECTED
    assert (await wx.text(R1, "1")).startswith("「大城管」下请再选择具体类别")


async def test_duplicate_delivery_files_one_ticket(wx: WxEnv) -> None:
    """WeChat retrying the same MsgId (with a new nonce) files the ticket once and answers `success`."""
    for step in ("/report", "1", "1", DESCRIPTION, "跳过", "春晗路12号3单元", "四季社区", "跳过"):
        await wx.text(R1, step)
    first = await wx.text(R1, "确认提交", msg_id=777)
    again = await wx.text(R1, "确认提交", msg_id=777)
    assert first.startswith("已受理！工单编号 #1。")
    assert again == ""
    assert len(tickets(wx)) == 1


async def test_subscribe_welcomes_and_unsubscribe_is_silent(wx: WxEnv) -> None:
    """Following the account brings the welcome and menu; unfollowing gets no reply."""
    welcome = await wx.event(R1, "subscribe")
    assert welcome.startswith("您好！这里是北苑街道") and "回复 1：📝 反映问题" in welcome
    assert await wx.event(R1, "unsubscribe") == ""
    await wx.deliver()
    assert wx.fake.sent == []


@pytest.mark.parametrize(
    ("key", "expected"),
    [("report", texts.ASK_CATEGORY), ("my", texts.MY_EMPTY), ("help", help_text([Who.RESIDENT]))],
)
async def test_menu_click_keys_run_their_commands(wx: WxEnv, key: str, expected: str) -> None:
    """The custom menu's CLICK keys report, my and help run /report, /my and /help."""
    assert (await wx.event(R1, "CLICK", key)).startswith(expected)


async def test_qr_scene_on_subscribe_prefills_the_grid(wx: WxEnv) -> None:
    """Following by scanning a grid's QR code (qrscene_siji-2) files a typed-address report in that grid."""
    hello = await wx.event(R1, "subscribe", "qrscene_siji-2")
    assert hello.startswith("已根据您扫码的位置确定网格：四季社区 第二网格。")
    for step in ("1", "1", "1", DESCRIPTION, "跳过"):
        await wx.text(R1, step)
    assert (await wx.text(R1, "春晗路12号3单元")).startswith(texts.ASK_PHONE)  # no community question
    await wx.text(R1, "跳过")
    await wx.text(R1, "1")
    [ticket] = tickets(wx)
    assert area_code(wx, ticket.area_id) == "siji-2"


async def test_scan_by_a_follower_prefills_the_grid(wx: WxEnv) -> None:
    """A follower scanning a grid's QR code (SCAN event) gets the same pre-filled grid."""
    await wx.event(R1, "subscribe")
    assert (await wx.event(R1, "SCAN", "siji-1")).startswith(
        "已根据您扫码的位置确定网格：四季社区 第一网格。"
    )


@pytest.mark.parametrize("kind", ["video", "link"])
async def test_videos_and_links_get_a_friendly_reply(wx: WxEnv, kind: str) -> None:
    """A video or a link is answered with a request to type or send a photo."""
    xml = wx.xml(R1, kind, MediaId="M1", MsgId="42")
    assert wx.reply(await wx.push(xml)) == texts.WX_UNSUPPORTED


async def test_a_voice_message_is_read_from_wechats_recognition(wx: WxEnv) -> None:
    """With 语音识别 on, the Recognition text is read as if typed: 我要反映问题 starts a report."""
    typed = await wx.text(R2, "我要反映问题")
    xml = wx.xml(R1, "voice", MediaId="M1", Format="amr", Recognition="我要反映问题。", MsgId="43")
    assert wx.reply(await wx.push(xml)) == typed


@pytest.mark.parametrize("recognition", [None, "", "  "])
async def test_a_voice_message_without_recognition_asks_for_text(wx: WxEnv, recognition: str | None) -> None:
    """No recognised text: a polite request to type or send a photo, and nothing else happens."""
    fields = {"MediaId": "M1", "Format": "amr", "MsgId": "44"} | (
        {"Recognition": recognition} if recognition is not None else {}
    )
    assert wx.reply(await wx.push(wx.xml(R1, "voice", **fields))) == texts.WX_UNHEARD


async def test_staff_work_tickets_from_their_private_chat(wx: WxEnv) -> None:
    """A WeChat worker subscribes to a grid, gets the card, grabs by number, resolves; the resident: 双是."""
    await wx.text(W1, "你好")
    assert (await wx.text(ADMIN, f"/grant {W1} worker siji-1")).startswith("已授予")
    assert await wx.text(W1, "/bind siji-1") == texts.WX_BIND_DONE.format(
        area="四季社区 第一网格", code="siji-1"
    )
    for step in ("/report", "1", "1", DESCRIPTION, "跳过"):
        await wx.text(R1, step)
    await wx.location(R1, 29.3451, 120.0752)
    await wx.text(R1, "13800138000")
    await wx.text(R1, "1")
    await wx.deliver()
    [card] = wx.fake.texts_to(W1)
    assert card.startswith("【新工单 #1】大城管/道路破损") and card.endswith("回复 1：🙋 抢单")
    assert "13800138000" not in card
    grabbed = await wx.text(W1, "1")
    assert grabbed.startswith("抢单成功！工单 #1 由您办理。\n\n工单 #1 详情")
    assert "电话：13800138000" in grabbed
    await wx.text(W1, "见面 1")
    assert await wx.text(W1, "办结 1 已修复") == texts.RESOLVE_DONE.format(id=1)
    await wx.deliver()
    assert (
        wx.fake.texts_to(R1)[-1]
        == "工单 #1 已办结：已修复\n请您确认：问题解决了吗？\n\n回复 1：是\n回复 2：否"
    )
    assert (await wx.text(R1, "1")).startswith(texts.R_ASK_SATISFIED)
    assert (await wx.text(R1, "满意")).startswith("感谢您的确认！工单 #1 已销号。")
    assert tickets(wx)[0].status == "closed"
    assert len(wx.fake.texts_to(W1)) == 1  # the card's updates are not re-sent as new messages


async def test_private_bind_is_for_staff_within_their_grid(wx: WxEnv) -> None:
    """A resident cannot subscribe to cards, nor a worker to a grid outside their role; nothing is bound."""
    await wx.text(W1, "你好")
    await wx.text(ADMIN, f"/grant {W1} worker siji-1")
    assert await wx.text(R1, "/bind siji-1") == texts.WX_BIND_NOT_STAFF.format(id=R1)
    assert await wx.text(W1, "/bind siji-2") == texts.WX_BIND_OUTSIDE.format(area="四季社区 第二网格")
    assert await wx.text(W1, "/bind nowhere") == texts.AREA_NOT_FOUND.format(code="nowhere")
    count = wx.app.db.run_sync(lambda s: s.scalar(select(func.count()).select_from(ChatBinding)))
    assert count == 0


async def test_a_refused_message_changes_nothing_but_is_seen_and_answered(wx: WxEnv) -> None:
    """Withdrawing someone else's ticket is answered passively, changes nothing, and is not redone."""
    for step in ("/report", "1", "1", DESCRIPTION, "跳过", "春晗路12号3单元", "四季社区", "跳过", "1"):
        await wx.text(R1, step)

    def state() -> tuple[object, ...]:
        def read(s: Any) -> tuple[object, ...]:
            return (
                [(t.status, t.handler_id) for t in s.scalars(select(Ticket))],
                s.scalar(select(func.count()).select_from(TicketEvent)),
            )

        return wx.app.db.run_sync(read)  # type: ignore[no-any-return]

    before = state()
    assert await wx.text(R2, "撤回 1", msg_id=901) == texts.NOT_FOUND.format(id=1)
    assert state() == before
    assert await wx.text(R2, "撤回 1", msg_id=901) == ""  # WeChat's retry: seen, not answered again
    # The push itself still counts: R2 may now be sent customer-service messages for 48 hours.
    assert wx.app.db.run_sync(lambda s: window_is_open(s, R2, wx.app.clock.now()))
