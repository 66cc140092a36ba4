"""Ticket cards in the grid's Telegram group, the 抢单 race, and untrusted button data."""

from __future__ import annotations

import asyncio
from typing import Any

from sqlalchemy import func, select
from telegram import Update

from handlers import texts
from models.tables import ChatBinding, Outbox, Person, PointsEntry, Ticket, TicketEvent

from .tgfake import GROUP_ID, Cast, Tg, report, setup_grid


def snapshot(tg: Tg) -> tuple[Any, ...]:
    """What a refused tap must leave unchanged: tickets, events, points and queued messages."""

    def read(s: Any) -> tuple[Any, ...]:
        tickets = [(t.id, t.status, t.handler_id) for t in s.scalars(select(Ticket).order_by(Ticket.id))]
        counts = [s.scalar(select(func.count()).select_from(t)) for t in (TicketEvent, PointsEntry, Outbox)]
        return (tickets, *counts)

    return tg.query(read)


def answers(tg: Tg) -> list[dict[str, Any]]:
    """Every answerCallbackQuery Telegram accepted."""
    return tg.api.of("answerCallbackQuery")


def card_edits(tg: Tg, chat_id: int = GROUP_ID) -> list[dict[str, Any]]:
    """editMessageText calls on a chat."""
    return [p for p in tg.api.of("editMessageText") if p["chat_id"] == chat_id]


async def test_bind_with_the_bot_suffix_and_cards_arrive_with_a_grab_button(tg: Tg) -> None:
    """`/bind@bot siji-1` in the group binds it; the next report's card there carries a 抢单 button."""
    c = await setup_grid(tg)
    assert tg.query(lambda s: s.scalar(select(ChatBinding.chat_id))) == str(GROUP_ID)
    tid = await report(tg, c.r1)
    card = tg.api.latest_with_buttons(GROUP_ID)
    assert card["text"].startswith(f"【新工单 #{tid}】大城管/道路破损")
    assert card["reply_markup"]["inline_keyboard"] == [
        [{"text": texts.BTN_GRAB, "callback_data": f"grab:{tid}"}]
    ]


async def test_grab_edits_the_card_in_place_and_sends_details_privately(tg: Tg) -> None:
    """Tapping 抢单 answers with an alert, edits the card (handler, no button), details go to the worker."""
    c = await setup_grid(tg)
    tid = await report(tg, c.r1, photo=True)
    card = tg.api.latest_with_buttons(GROUP_ID)
    await tg.tap(c.w1, GROUP_ID, "抢单")
    assert answers(tg)[-1]["text"] == texts.GRAB_WON.format(id=tid)
    assert answers(tg)[-1]["show_alert"] is True
    [edit] = card_edits(tg)
    assert edit["message_id"] == card["message_id"]
    assert "办理人：王 五" in edit["text"] and "reply_markup" not in edit
    assert "reply_markup" not in tg.api.messages[(str(GROUP_ID), card["message_id"])]
    private = tg.api.texts(c.w1["id"])
    assert any(t.startswith(f"工单 #{tid} 详情") and "13800138000" in t for t in private)
    photo = tg.api.of("sendPhoto")[-1]
    assert photo["chat_id"] == c.w1["id"] and photo["caption"] == texts.DETAILS_PHOTO.format(id=tid)
    assert tg.api.texts(c.r1["id"])[-1].startswith(f"您反映的问题（#{tid}）已由网格员 王 五 接单办理")
    assert all("13800138000" not in t for t in tg.api.texts(GROUP_ID))


async def test_two_workers_tap_grab_at_the_same_moment(tg: Tg) -> None:
    """Two simultaneous taps: exactly one worker wins, the card is edited once, the other gets an alert."""
    c = await setup_grid(tg)
    tid = await report(tg, c.r1)
    message, data = tg.api.button(GROUP_ID, "抢单")
    taps = [tg.u.callback(w, message, data) for w in (c.w1, c.w2)]
    bot = tg.runtime.application.bot
    results = await asyncio.gather(*(tg.runtime.process(Update.de_json(t, bot)) for t in taps))
    await tg.app.sender.flush()
    assert results == [True, True]
    ticket = tg.query(lambda s: s.get(Ticket, tid))
    assert ticket.status == "claimed"
    winner = tg.query(lambda s: s.get(Person, ticket.handler_id).name)
    alerts = sorted(a["text"] for a in answers(tg)[-2:])
    assert alerts == sorted(
        [texts.GRAB_WON.format(id=tid), texts.ALREADY_CLAIMED.format(id=tid, handler=winner)]
    )
    assert all(a["show_alert"] is True for a in answers(tg)[-2:])
    assert len(card_edits(tg)) == 1
    assert tg.query(lambda s: s.scalar(select(func.count()).select_from(PointsEntry))) == 1


async def test_card_follows_the_ticket_to_the_end(tg: Tg) -> None:
    """The card is edited when the ticket is resolved and when the resident's 双是 closes it."""
    c = await setup_grid(tg)
    tid = await report(tg, c.r1)
    await tg.tap(c.w1, GROUP_ID, "抢单")
    await tg.send(tg.u.text(c.w1, f"/resolve@jiesu_test_bot {tid} 已修复", chat=c.group))
    assert f"【工单 #{tid} · 已办结，待居民确认】" in card_edits(tg)[-1]["text"]
    await tg.tap(c.r1, c.r1["id"], "是")
    await tg.tap(c.r1, c.r1["id"], "满意")
    assert tg.query(lambda s: s.get(Ticket, tid)).status == "closed"
    assert card_edits(tg)[-1]["text"] == f"【工单 #{tid} · 已销号】大城管/道路破损\n区域：四季社区 第一网格"
    card_id = card_edits(tg)[-1]["message_id"]
    cards = [t for t in tg.api.texts(GROUP_ID) if t.startswith("【")]
    assert len(cards) == 1  # the card was posted once: every change after that was an edit
    assert {e["message_id"] for e in card_edits(tg)} == {card_id}


async def forge(tg: Tg, who: dict[str, Any], chat_id: int, data: str) -> dict[str, Any]:
    """Tap forged or stale data on the chat's newest message; return the answer Telegram got."""
    message = tg.api.latest_with_buttons(chat_id)
    await tg.send(tg.u.callback(who, message, data))
    return answers(tg)[-1]


async def refused(tg: Tg, who: dict[str, Any], chat_id: int, data: str, alert: str) -> None:
    """The tap is answered with this alert and changes nothing."""
    before = snapshot(tg)
    answer = await forge(tg, who, chat_id, data)
    assert (answer["text"], answer["show_alert"]) == (alert, True)
    assert snapshot(tg) == before


async def grid_with_ticket(tg: Tg) -> tuple[Cast, int]:
    """A bound grid, its two workers, and one open ticket."""
    c = await setup_grid(tg)
    return c, await report(tg, c.r1)


async def test_grab_by_someone_without_the_role_is_refused(tg: Tg) -> None:
    """A resident in the group tapping 抢单 gets 'staff only' and the ticket stays open."""
    c, tid = await grid_with_ticket(tg)
    await refused(tg, c.r1, GROUP_ID, f"grab:{tid}", texts.NOT_STAFF)


async def test_stale_grab_on_a_ticket_that_moved_on_is_refused(tg: Tg) -> None:
    """A tap on the 抢单 of a card whose ticket was already taken tells who has it, and changes nothing."""
    c, tid = await grid_with_ticket(tg)
    message, data = tg.api.button(GROUP_ID, "抢单")
    await tg.tap(c.w1, GROUP_ID, "抢单")
    before = snapshot(tg)
    await tg.send(tg.u.callback(c.w2, message, data))  # w2's client still showed the old card
    assert answers(tg)[-1]["text"] == texts.ALREADY_CLAIMED.format(id=tid, handler="王 五")
    assert snapshot(tg) == before


async def test_garbage_callback_data_is_refused(tg: Tg) -> None:
    """Data that is no payload of ours, or a grab of no number, is answered 'button expired'."""
    c, _ = await grid_with_ticket(tg)
    for data in (
        "xyz",
        "grab:",
        "grab:abc",
        "grab:1;DROP TABLE tickets",
        "menu:nothing",
        "fu1:x:y",
        "~deadbeef",
    ):
        await refused(tg, c.w1, GROUP_ID, data, texts.BUTTON_EXPIRED)


async def test_data_of_another_chat_is_refused(tg: Tg) -> None:
    """A wizard button replayed in the group, another grid's grab, and someone else's follow-up fail."""
    c, tid = await grid_with_ticket(tg)
    await refused(tg, c.w1, GROUP_ID, "wz:cat:road", texts.BUTTON_EXPIRED)
    await refused(tg, c.w1, GROUP_ID, f"grab:{tid + 100}", texts.NOT_FOUND.format(id=tid + 100))
    # A ticket of 经发社区 (another grid): a worker of 四季 cannot grab it.
    await tg.send(tg.u.text(c.r1, "/report"))
    await tg.tap(c.r1, c.r1["id"], "其他")
    await tg.send(tg.u.text(c.r1, "经发社区的路灯坏了一整排"))
    await tg.tap(c.r1, c.r1["id"], "跳过")
    await tg.send(tg.u.location(c.r1, 29.3381, 120.0901))
    await tg.tap(c.r1, c.r1["id"], "跳过")
    await tg.tap(c.r1, c.r1["id"], "确认提交")
    other = tid + 1
    await refused(tg, c.w1, GROUP_ID, f"grab:{other}", texts.NOT_IN_SCOPE.format(id=other))
    # The follow-up question of r1's ticket, tapped by a worker in their own chat.
    await tg.tap(c.w1, GROUP_ID, "抢单")
    await tg.send(tg.u.text(c.w1, f"/resolve {tid} 已修复", chat=c.group))
    await refused(tg, c.w2, c.w2["id"], f"fu1:{tid}:y", texts.NOT_FOUND.format(id=tid))
    # The resident's own stage-2 answer before stage 1 (a replayed or forged button) is not now.
    await refused(tg, c.r1, c.r1["id"], f"fu2:{tid}:y", texts.FOLLOWUP_NOT_NOW.format(id=tid))


async def test_tap_on_a_message_without_a_chat_is_refused(tg: Tg) -> None:
    """A tap that carries no message (an inline message) is answered 'button expired' and stores nothing."""
    c, _ = await grid_with_ticket(tg)
    query_id = "q-inline"
    tg.api.queries.add(query_id)
    before = snapshot(tg)
    update = {
        "update_id": tg.u.next_id(),
        "callback_query": {
            "id": query_id,
            "from": c.w1,
            "chat_instance": "x",
            "inline_message_id": "AAAA",
            "data": "grab:1",
        },
    }
    await tg.send(update)
    assert answers(tg)[-1] == {
        "callback_query_id": query_id,
        "text": texts.BUTTON_EXPIRED,
        "show_alert": True,
    }
    assert snapshot(tg) == before


async def test_typed_alias_and_suffixed_command_work_in_the_group(tg: Tg) -> None:
    """`抢单 1` (with privacy mode off) and `/grab@bot 1` (with it on) both grab from the group."""
    c, tid = await grid_with_ticket(tg)
    await tg.send(tg.u.text(c.w1, f"抢单 {tid}", chat=c.group))
    assert tg.api.texts(GROUP_ID)[-1] == texts.GRAB_WON.format(id=tid)
    second = await report(tg, c.r1)
    await tg.send(tg.u.text(c.w2, f"/grab@jiesu_test_bot {second}", chat=c.group))
    assert tg.api.texts(GROUP_ID)[-1] == texts.GRAB_WON.format(id=second)
    assert tg.query(lambda s: s.get(Ticket, second)).handler_id is not None


async def test_group_upgraded_to_supergroup_keeps_its_binding(tg: Tg) -> None:
    """When Telegram migrates the group to a supergroup, the binding follows and new cards go there."""
    c = await setup_grid(tg)
    new_id = -1009999999999
    tg.u.group(new_id, "四季社区第一网格", "supergroup")
    await tg.send(tg.u.service(c.admin, c.group, migrate_to_chat_id=new_id))
    assert tg.query(lambda s: s.scalar(select(ChatBinding.chat_id))) == str(new_id)
    tid = await report(tg, c.r1)
    assert tg.api.texts(new_id)[-1].startswith(f"【新工单 #{tid}】")


async def test_sending_to_a_migrated_group_follows_it(tg: Tg) -> None:
    """A card sent to the old group id is re-sent to the new supergroup and the binding is moved."""
    c = await setup_grid(tg)
    new_id = -1008888888888
    tg.u.group(new_id, "四季社区第一网格", "supergroup")
    tg.api.fail(
        "sendMessage",
        400,
        "Bad Request: group chat was upgraded to a supergroup chat",
        chat_id=GROUP_ID,
        parameters={"migrate_to_chat_id": new_id},
    )
    tid = await report(tg, c.r1)
    assert tg.api.texts(new_id)[-1].startswith(f"【新工单 #{tid}】")
    assert tg.query(lambda s: s.scalar(select(ChatBinding.chat_id))) == str(new_id)
    status = tg.query(lambda s: s.scalar(select(Outbox.status).where(Outbox.card_of == tid)))
    assert status == "sent"


async def test_status_in_the_group_is_answered_in_the_private_chat(tg: Tg) -> None:
    """A resident's /status in the Telegram group: the answer in private, a one-line note in the group."""
    c = await setup_grid(tg)
    tid = await report(tg, c.r1)
    before = len(tg.api.texts(GROUP_ID))
    await tg.send(tg.u.text(c.r1, f"/status@jiesu_test_bot {tid}", chat=c.group))
    assert tg.api.texts(GROUP_ID)[before:] == [texts.GROUP_ANSWERED_PRIVATELY.format(name="李 阿姨")]
    assert tg.api.texts(c.r1["id"])[-1].startswith(f"工单 #{tid}\n")


async def test_status_in_the_group_from_a_stranger_asks_for_a_private_chat(tg: Tg) -> None:
    """Someone who never opened a private chat is asked to, and nothing about the ticket reaches the group."""
    c = await setup_grid(tg)
    tid = await report(tg, c.r1)
    stranger = {"id": 3001, "is_bot": False, "first_name": "路人"}
    before = len(tg.api.texts(GROUP_ID))
    await tg.send(tg.u.text(stranger, f"/status {tid}", chat=c.group))
    assert tg.api.texts(GROUP_ID)[before:] == [texts.GROUP_ASK_PRIVATE.format(name="路人")]
    assert tg.api.sent(3001) == []
