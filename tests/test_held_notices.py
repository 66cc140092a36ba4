"""Notices held over the night are dropped when their ticket changed; the rest go out once."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from models.tables import Outbox, OutboxStatus

from .harness import Harness
from .test_office_hours import local
from .test_sla import bind_ladder, until

pytestmark = pytest.mark.usefixtures("group_privacy")
LATE = "超过办结时限"


def rows_of(h: Harness, ticket_id: int, status: str) -> list[tuple[str, str, str | None]]:
    """(chat, text, error) of a ticket's outbox rows in one status, oldest first."""

    def read(s: Session) -> list[tuple[str, str, str | None]]:
        found = s.execute(
            select(Outbox.chat_id, Outbox.text, Outbox.error)
            .where(Outbox.ticket_id == ticket_id, Outbox.status == status)
            .order_by(Outbox.id)
        ).all()
        return [(str(c), str(t), e) for c, t, e in found]

    return h.query(read)  # type: ignore[no-any-return]


async def test_escalation_held_overnight_is_dropped_when_the_ticket_is_resolved_at_7(h: Harness) -> None:
    """Two tickets overdue at 21:51: #a, resolved at 07:00, is not announced at 08:30; #b is, once."""
    await bind_ladder(h)
    h.clock.set(local(23, 21, 50))
    a = await h.claimed()
    b = await h.quick_report("r2", description="春晗路14号井盖松动，走上去会响")
    await h.say(f"w2: 抢单 {b}")
    due = h.ticket(b).due_at
    assert due is not None
    night = await h.advance(due - h.clock.now() + timedelta(minutes=1))  # both overdue, in quiet hours
    assert h.ticket(a).level == h.ticket(b).level == 1
    assert h.to("@siji", night) == [] and [m for m in h.to("w1", night) if LATE in m] == []
    held_a = rows_of(h, a, OutboxStatus.PENDING)
    assert {chat for chat, _, _ in held_a} >= {"@siji", "w1", "r1"}  # the ladder, the handler, the resident

    await until(h, local(25, 7), timedelta(0))
    out = await h.say(f"w1: 办结 {a} 已修复")
    assert h.to("r1", out) and h.to("w1", out)  # direct answers go out at once, even at 07:00
    dropped = rows_of(h, a, OutboxStatus.DROPPED)
    assert [(chat, text) for chat, text, _ in dropped] == [(chat, text) for chat, text, _ in held_a]
    assert all(error and "resolved" in error for _, _, error in dropped)

    morning = await until(h, local(25, 8, 30), timedelta(0))
    assert [m for m in morning if f"#{a}" in str(m["text"]) and LATE in str(m["text"])] == []
    assert not any("【督办" in t and f"#{a}" in t for t in h.to("@siji", morning))
    community = h.to("@siji", morning)
    assert len(community) == 1 and f"工单 #{b}" in community[0]
    assert len([m for m in h.to("w2", morning) if LATE in m]) == 1 and len(h.to("r2", morning)) == 1
    # In order: the group's notice of #b was written before the handler's and the resident's.
    order = [m["chat"] for m in morning if m["chat"] in ("@siji", "w2", "r2")]
    assert order == ["@siji", "w2", "r2"]
    later = await h.advance(timedelta(minutes=30))
    assert [m for m in later if f"#{b}" in str(m["text"])] == []  # sent once
    assert rows_of(h, b, OutboxStatus.DROPPED) == []


async def test_a_followup_reminder_held_overnight_is_dropped_once_the_resident_answered(h: Harness) -> None:
    """Resolved at 23:00, the 24 h 回访 reminder falls at 23:00 and is held; 双是 at 07:00 drops it."""
    h.clock.set(local(23, 22, 50))
    tid = await h.claimed()
    await until(h, local(23, 23), timedelta(0))
    await h.say(f"w1: 办结 {tid} 已修复")
    night = await until(h, local(24, 23, 1), timedelta(0))
    assert h.to("r1", night) == []
    assert [chat for chat, _, _ in rows_of(h, tid, OutboxStatus.PENDING)] == ["r1"]
    await until(h, local(25, 7), timedelta(0))
    await h.run("r1: 是", "r1: 满意")
    assert h.ticket(tid).status == "closed"
    morning = await until(h, local(25, 7, 31), timedelta(0))
    assert h.to("r1", morning) == []
    (dropped,) = rows_of(h, tid, OutboxStatus.DROPPED)
    assert dropped[0] == "r1" and dropped[2] is not None and "closed" in dropped[2]


async def test_a_held_reminder_of_a_ticket_that_did_not_change_is_still_sent(h: Harness) -> None:
    """A 回访 reminder held overnight with no answer given goes out at 07:30, once."""
    h.clock.set(local(23, 22, 50))
    tid = await h.claimed()
    await until(h, local(23, 23), timedelta(0))
    await h.say(f"w1: 办结 {tid} 已修复")
    morning = await until(h, local(25, 7, 31), timedelta(0))
    assert len(h.to("r1", morning)) == 1
    assert rows_of(h, tid, OutboxStatus.DROPPED) == []
    later = await h.advance(timedelta(hours=1))
    assert [m for m in later if f"#{tid}" in str(m["text"])] == []
