"""One transaction per inbound message: a redelivered message does nothing twice; a refusal stores nothing."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from handlers import texts
from models.messages import ChatKind, Inbound
from models.tables import Dialog, Outbox, Person, PointsEntry, SeenKey, Ticket, TicketEvent

from .harness import Harness, write_png

# Whatever else each test checks, no group message may carry a phone number.
pytestmark = pytest.mark.usefixtures("group_privacy")


async def test_redelivered_submit_files_one_ticket(h: Harness) -> None:
    """The same confirm press delivered twice files one ticket and sends one set of messages."""
    await h.quick_grid()
    await h.run("r1: /report", "r1: [tap 其他]", "r1: 井盖丢失了很危险", "r1: [tap 跳过]")
    await h.run("r1: [location 29.3451,120.0752]", "r1: [tap 跳过]")
    first, out1 = await h.send("r1", message_id="tg-1001", payload="wz:submit")
    rows = h.count(Outbox)
    second, out2 = await h.send("r1", message_id="tg-1001", payload="wz:submit")
    assert (first.duplicate, second.duplicate) == (False, True)
    assert len(out1) == 2 and out2 == []
    assert second.outbox_ids == [] and second.alert is None
    assert h.count(Ticket) == 1 and h.count(Outbox) == rows


async def test_redelivered_text_and_grab_do_nothing_twice(h: Harness) -> None:
    """A redelivered text or grab is recognised by its message id and ignored, whatever came in between."""
    await h.quick_grid()
    tid = await h.quick_report()
    await h.send("w1", group="siji1", message_id="m1", text=f"抢单 {tid}")
    assert h.ticket(tid).status == "claimed"
    await h.say(f"w1: 办结 {tid} 已修复")
    result, out = await h.send("w1", group="siji1", message_id="m1", text=f"抢单 {tid}")
    assert result.duplicate and out == []
    assert h.count(PointsEntry) == 1 and h.events(tid).count("grabbed") == 1
    assert h.ticket(tid).status == "resolved"


async def test_same_message_id_on_two_channels_is_two_messages(h: Harness) -> None:
    """Message ids are per channel: the same id from another channel is a different message."""
    await h.send("r1", message_id="42", text="你好")
    other = Inbound(channel="wechat", chat_id="o1", user_id="o1", message_id="42", text="你好")
    result = await h.app.handle(other)
    assert not result.duplicate
    assert h.count(SeenKey) == 2


async def test_one_message_delivered_to_two_processes_at_once_runs_once(h: Harness, db_url: str) -> None:
    """A webhook retried into two App instances at the same moment is handled by exactly one of them."""
    await h.quick_grid()
    tid = await h.quick_report()
    other = await Harness.create(db_url)
    try:
        msg = Inbound(
            channel="console",
            chat_id="@siji1",
            user_id="w1",
            chat_kind=ChatKind.GROUP,
            message_id="dup-7",
            payload=f"grab:{tid}",
            user_name="w1",
        )
        results = await asyncio.gather(h.app.handle(msg), other.app.handle(msg))
    finally:
        other.close()
    assert sorted(r.duplicate for r in results) == [False, True]
    winner = next(r for r in results if not r.duplicate)
    assert winner.alert == texts.GRAB_WON.format(id=tid)
    assert h.count(TicketEvent, TicketEvent.kind == "grabbed") == 1
    assert h.count(PointsEntry) == 1


async def test_messages_without_an_id_are_not_deduplicated(h: Harness) -> None:
    """A channel that gives no message id gets every message handled (no false duplicates)."""
    first, _ = await h.send("r1", text="你好")
    second, _ = await h.send("r1", text="你好")
    assert not first.duplicate and not second.duplicate
    assert h.count(SeenKey) == 0


async def test_refused_step_stores_nothing_it_had_begun(h: Harness, tmp_path: Path) -> None:
    """A photo after 办结 on a ticket rejected meanwhile is refused; the half-done step left no trace."""
    tid = await h.quick_resolved()
    await h.say(f"admin: /reject {tid} 重复反映")
    events, rows = h.count(TicketEvent), h.count(Outbox)
    state = h.query(lambda s: s.get(Dialog, ("console", "w1", "w1")).state)
    out = await h.say(f"w1: [photo {write_png(tmp_path / 'x.png')}]")
    assert h.to("w1", out) == [
        texts.ALREADY_DONE.format(
            id=tid, who="admin", done=texts.DONE["rejected"], status=texts.STATUS["rejected"]
        )
    ]
    assert h.count(TicketEvent) == events and h.count(Outbox) == rows + 1
    assert h.ticket(tid).resolution_photo is None
    # The dialog step the handler had already moved is back where it was.
    assert h.query(lambda s: s.get(Dialog, ("console", "w1", "w1")).state) == state == "await_result_photo"


async def test_refused_message_is_still_remembered(h: Harness) -> None:
    """A refused message is recorded as seen, so its redelivery is not refused (and answered) twice."""
    await h.quick_grid()
    tid = await h.quick_report()
    _, out1 = await h.send("r1", message_id="x9", text=f"抢单 {tid}")
    second, out2 = await h.send("r1", message_id="x9", text=f"抢单 {tid}")
    assert h.to("r1", out1) == [texts.NOT_STAFF]
    assert second.duplicate and out2 == []


async def test_first_messages_of_a_new_person_arriving_at_once(h: Harness) -> None:
    """Several first messages of a new user handled at once create one person, and each is answered."""
    results = await asyncio.gather(*(h.send("newbie", text=f"你好 {i}") for i in range(6)))
    assert h.count(Person, Person.external_id == "newbie") == 1
    assert all(not result.duplicate for result, _ in results)
    greetings = h.to("newbie")
    assert len(greetings) == 6 and all(t.startswith("您好！") for t in greetings)
