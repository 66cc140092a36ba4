"""Delivery to Telegram through the outbox: limits, 429, retries, permanent failures, edits."""

from __future__ import annotations

import itertools
from typing import Any

import pytest
from sqlalchemy import select

from bot.delivery import OutgoingMessage
from handlers import texts
from models import refdata
from models.messages import Button, ChatKind, Inbound
from models.tables import Category, Outbox, Ticket

from .tgfake import GROUP_ID, NEAR_GRID, Tg, cast, report, setup_grid


def rows(tg: Tg, chat_id: int | str) -> list[Outbox]:
    """Outbox rows addressed to a chat, oldest first."""
    return list(
        tg.query(
            lambda s: s.scalars(
                select(Outbox).where(Outbox.chat_id == str(chat_id)).order_by(Outbox.id)
            ).all()
        )
    )


async def test_429_waits_retry_after_then_sends_once(tg: Tg) -> None:
    """A 429 with retry_after 7 keeps the message back 7 seconds, then it is sent exactly once."""
    r1 = cast(tg.u).r1
    tg.api.fail("sendMessage", 429, retry_after=7)
    await tg.send(tg.u.text(r1, "/start"))
    assert tg.api.sent(r1["id"]) == []
    [row] = rows(tg, r1["id"])
    assert row.status == "pending" and "429" in (row.error or "")
    assert (row.next_attempt_at - tg.clock.now()).total_seconds() == 7
    await tg.advance(6)
    assert tg.api.sent(r1["id"]) == []
    await tg.advance(1)
    assert len(tg.api.sent(r1["id"])) == 1
    assert rows(tg, r1["id"])[0].status == "sent"
    await tg.advance(60)
    assert len(tg.api.sent(r1["id"])) == 1
    assert len(tg.api.attempts("sendMessage")) == 2


async def test_blocked_user_is_marked_failed_and_not_retried(tg: Tg) -> None:
    """A 403 'bot was blocked by the user' marks the message failed at once; it is never tried again."""
    r1 = cast(tg.u).r1
    tg.api.block(r1["id"])
    await tg.send(tg.u.text(r1, "/start"))
    [row] = rows(tg, r1["id"])
    assert row.status == "failed" and "blocked" in (row.error or "")
    await tg.advance(24 * 3600)
    assert len([c for c in tg.api.attempts("sendMessage") if c.params["chat_id"] == r1["id"]]) == 1


async def test_chat_not_found_is_permanent(tg: Tg) -> None:
    """A card for a group that no longer exists (400 chat not found) fails for good; the ticket is filed."""
    c = await setup_grid(tg)
    del tg.api.chats[str(GROUP_ID)]
    tid = await report(tg, c.r1)
    card = rows(tg, GROUP_ID)[-1]
    assert card.status == "failed" and "chat not found" in (card.error or "").lower()
    await tg.advance(3600)
    assert rows(tg, GROUP_ID)[-1].status == "failed"
    assert tg.query(lambda s: s.get(Ticket, tid)).status == "open"


async def test_5xx_and_timeouts_are_retried_with_backoff(tg: Tg) -> None:
    """A 502 and then a timeout are retried after 2 s and 5.2 s (2 s ×2.6 per attempt); it arrives once."""
    r1 = cast(tg.u).r1
    tg.api.fail("sendMessage", 502)
    tg.api.fail_network("sendMessage")
    await tg.send(tg.u.text(r1, "/start"))
    assert rows(tg, r1["id"])[0].status == "pending"
    await tg.advance(2)  # second attempt: the timeout
    assert tg.api.sent(r1["id"]) == [] and rows(tg, r1["id"])[0].attempts == 2
    await tg.advance(5)
    assert tg.api.sent(r1["id"]) == []
    await tg.advance(1)
    assert len(tg.api.sent(r1["id"])) == 1
    assert [c.status for c in tg.api.attempts("sendMessage")] == [502, 0, 200]


async def test_a_failed_message_keeps_the_next_ones_behind_it(tg: Tg) -> None:
    """When the first of two answers times out, the second waits: the resident reads them in order."""
    r1 = cast(tg.u).r1
    tg.api.fail_network("sendMessage")
    await tg.send(tg.u.document(r1, "application/pdf", "a.pdf")[0])  # 'photos only', then the menu
    assert tg.api.sent(r1["id"]) == []
    await tg.advance(2)
    sent = tg.api.texts(r1["id"])
    assert len(sent) == 2 and sent[0] == texts.PHOTO_ONLY and sent[1].startswith("您好！")


async def test_a_chat_gets_a_short_burst_then_one_message_a_second(tg: Tg) -> None:
    """Eight answers to one chat: three go at once, then never more than three in any 3 s, in order."""
    r1 = cast(tg.u).r1
    for _ in range(8):
        await tg.app.handle(tg_inbound(r1, "/help"))
    await tg.app.sender.flush()
    for _ in range(10):
        await tg.advance(1)
    times = [c.at for c in tg.api.attempts("sendMessage") if c.params["chat_id"] == r1["id"]]
    assert len(times) == 8 and times == sorted(times)
    assert times[2] - times[0] < 0.1  # the burst (the bot's stream spaces sends 1/30 s apart)
    for start in times:
        assert sum(1 for t in times if start <= t < start + 3) <= 3
    assert [r.status for r in rows(tg, r1["id"])] == ["sent"] * 8


async def test_a_busy_group_is_deferred_not_dropped(tg: Tg) -> None:
    """Forty answers to a group keep to 20/min: the late ones wait in the outbox, all arrive, in order."""
    c = cast(tg.u)
    for i in range(1, 41):
        await tg.app.handle(tg_inbound(c.admin, f"/reject {i} 重复", chat=c.group))
    await tg.app.sender.flush()
    first = len(tg.api.sent(GROUP_ID))
    assert 20 <= first < 40
    waiting = [r for r in rows(tg, GROUP_ID) if r.status == "pending"]
    assert len(waiting) == 40 - first and waiting[0].next_attempt_at > tg.clock.now()  # the lane's head
    for _ in range(60):
        await tg.advance(3)
    assert tg.api.texts(GROUP_ID) == [texts.NOT_FOUND.format(id=i) for i in range(1, 41)]
    assert all(r.status == "sent" for r in rows(tg, GROUP_ID))
    times = [c.at for c in tg.api.attempts("sendMessage") if c.status == 200]
    for start in times:  # never more than 20 + 20 in a minute (PTB's AIORateLimiter allows the same)
        assert sum(1 for t in times if start <= t < start + 60) <= 40


def tg_inbound(user: dict[str, Any], text: str, chat: dict[str, Any] | None = None) -> Inbound:
    """What the channel makes of a text message (for queueing many answers without the network)."""
    group = chat is not None
    return Inbound(
        channel="telegram",
        chat_id=str(chat["id"] if chat else user["id"]),
        user_id=str(user["id"]),
        chat_kind=ChatKind.GROUP if group else ChatKind.PRIVATE,
        text=text,
        message_id=f"test:{next(_ids)}",
        user_name=user["first_name"],
        user_handle=user.get("username"),
    )


_ids = itertools.count(1)


def console_step(user: str, **fields: Any) -> Inbound:
    """A resident on another channel (the console), one message."""
    return Inbound(channel="console", chat_id=user, user_id=user, message_id=f"c:{next(_ids)}", **fields)


async def report_from_console(tg: Tg, photo: str) -> int:
    """A console resident files a ticket with a photo reference Telegram cannot use."""
    for fields in (
        {"text": "/report"},
        {"payload": "wz:cat:city"},
        {"payload": "wz:cat:road"},
        {"text": "春晗路12号门口人行道沉降破损约2平方米"},
        {"photo": photo},
        {"location": NEAR_GRID},
        {"payload": "wz:skip"},
        {"payload": "wz:submit"},
    ):
        await tg.app.handle(console_step("c1", **fields))
    await tg.app.sender.flush()
    return int(tg.query(lambda s: s.scalar(select(Ticket.id).order_by(Ticket.id.desc()))))


@pytest.mark.parametrize("photo", ["/var/jiesu/photos/ab12.jpg", "wxMEDIA_Zq8s9d8f7s9d8f7s9d8f7s9"])
async def test_photo_from_another_channel_sends_the_text_with_a_note(tg: Tg, photo: str) -> None:
    """A worker on Telegram grabbing a console or WeChat resident's ticket gets the details and a note."""
    c = await setup_grid(tg)
    tid = await report_from_console(tg, photo)
    await tg.tap(c.w1, GROUP_ID, "抢单")
    private = tg.api.texts(c.w1["id"])
    assert texts.DETAILS_PHOTO.format(id=tid) + "\n" + texts.TG_PHOTO_UNAVAILABLE in private
    assert tg.api.of("sendPhoto") == []
    assert all(r.status == "sent" for r in rows(tg, c.w1["id"]))


async def test_card_edit_posts_anew_when_the_original_is_gone(tg: Tg) -> None:
    """When the group's card was deleted, the grabbed state is posted as a new message."""
    c = await setup_grid(tg)
    tid = await report(tg, c.r1)
    message, data = tg.api.button(GROUP_ID, "抢单")
    del tg.api.messages[(str(GROUP_ID), message["message_id"])]
    await tg.send(tg.u.callback(c.w1, message, data))
    assert tg.api.texts(GROUP_ID)[-1].startswith(f"【工单 #{tid} · 办理中】")
    assert rows(tg, GROUP_ID)[-1].status == "sent"


async def test_an_edit_that_changes_nothing_counts_as_done(tg: Tg) -> None:
    """Telegram's 'message is not modified' answer to an edit is success, not a failure to retry."""
    c = await setup_grid(tg)
    await report(tg, c.r1)
    card = tg.api.latest_with_buttons(GROUP_ID)
    same = OutgoingMessage(
        id=10_000,
        channel="telegram",
        chat_id=str(GROUP_ID),
        text=card["text"],
        buttons=(Button(texts.BTN_GRAB, "grab:1"),),
        photo=None,
        keyboard=None,
        attempts=1,
        edit_remote_id=f"{GROUP_ID}:{card['message_id']}",
        is_edit=True,
    )
    delivery = await tg.runtime.transport.deliver(same)
    assert delivery.ok and delivery.remote_id == same.edit_remote_id
    assert tg.api.attempts("editMessageText")[-1].status == 400


async def test_payload_longer_than_64_bytes_still_works(tg: Tg) -> None:
    """A category whose code makes the button data exceed 64 bytes is still offered and chosen correctly."""
    code = "人行道沉降破损与井盖缺失及路面塌陷积水问题"  # 21 characters, 63 bytes of UTF-8

    def add(s: Any) -> None:
        s.add(Category(code=code, name="人行道井盖", parent_code="city", default_tier="simple", position=99))
        refdata.forget(s)  # as an in-process catalogue change does

    tg.query(add)
    r1 = cast(tg.u).r1
    await tg.send(tg.u.text(r1, "/report"))
    await tg.tap(r1, r1["id"], "大城管")
    _, data = tg.api.button(r1["id"], "人行道井盖")
    assert len(f"wz:cat:{code}".encode()) > 64 and len(data.encode()) <= 64
    await tg.tap(r1, r1["id"], "人行道井盖")
    assert tg.api.texts(r1["id"])[-1].startswith("类别：大城管/人行道井盖")
