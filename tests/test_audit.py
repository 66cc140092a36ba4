"""Every transition writes an audit event (who, from, to, note) and tells the resident."""

from __future__ import annotations

from typing import Any

import pytest
from sqlalchemy import select

from models.tables import Person, TicketEvent

from .harness import Harness

# Whatever else each test checks, no group message may carry a phone number.
pytestmark = pytest.mark.usefixtures("group_privacy")


def trail(h: Harness, ticket_id: int) -> list[tuple[str, str | None, str | None, str | None, str | None]]:
    """(kind, actor, from, to, note) of a ticket's events, oldest first."""

    def read(s: Any) -> list[tuple[str, str | None, str | None, str | None, str | None]]:
        rows = s.execute(
            select(TicketEvent, Person.external_id)
            .outerjoin(Person, Person.id == TicketEvent.actor_id)
            .where(TicketEvent.ticket_id == ticket_id)
            .order_by(TicketEvent.id)
        ).all()
        return [(e.kind, actor, e.from_status, e.to_status, e.note) for e, actor in rows]

    return h.query(read)  # type: ignore[no-any-return]


async def test_the_whole_life_of_a_ticket_is_in_its_audit_trail(h: Harness) -> None:
    """From report to 双是 via a reopen: one event per step, with actor, states and note."""
    await h.quick_grid()
    tid = await h.report()
    told_before = len(h.to("r1"))
    await h.run(
        f"w1: 抢单 {tid}",
        f"w1: 见面 {tid}",
        f"w1: 进展 {tid} 已联系施工队",
        f"w1: 定级 {tid} 复杂 需要市政配合",
        f"w1: 办结 {tid} 已修复",
        "r1: [tap 否]",
        f"w1: 办结 {tid} 已彻底修复",
        "r1: [tap 是]",
        "r1: [tap 满意]",
    )
    assert trail(h, tid) == [
        ("created", "r1", None, "open", "self"),
        ("grabbed", "w1", "open", "claimed", None),
        ("met", "w1", None, "claimed", None),
        ("note", "w1", None, "claimed", "已联系施工队"),
        ("tier", "w1", None, "claimed", "simple->difficult: 需要市政配合"),
        ("resolved", "w1", "claimed", "resolved", "已修复"),
        ("reopened", "r1", "resolved", "claimed", None),
        ("resolved", "w1", "claimed", "resolved", "已彻底修复"),
        ("confirmed_resolved", "r1", None, "resolved", None),
        ("closed", "r1", "resolved", "closed", "double_yes"),
    ]
    # The resident heard about every step: claimed, met, note, tier, resolved, reopened,
    # resolved again, the satisfaction question and the closing thanks.
    assert len(h.to("r1")) - told_before == 9


async def test_admin_transitions_are_audited_with_the_admin_as_actor(h: Harness) -> None:
    """Assign, reject, merge and withdraw each write one event naming who did it and the states."""
    await h.quick_grid()
    a = await h.quick_report("r1")
    b = await h.quick_report("r2")
    c = await h.quick_report("r3")
    d = await h.quick_report("r4")
    await h.run(f"admin: /assign {a} w1", f"admin: /reject {b} 不属于本街道", f"admin: /merge {c} {a}")
    await h.say(f"r4: /withdraw {d}")
    assert trail(h, a)[-1] == ("assigned", "admin", "open", "claimed", "w1")
    assert trail(h, b)[-1] == ("rejected", "admin", "open", "rejected", "不属于本街道")
    assert trail(h, c)[-1] == ("merged", "admin", "open", "merged", f"#{a}")
    assert trail(h, d)[-1] == ("withdrawn", "r4", "open", "withdrawn", None)
    for user in ("r1", "r2", "r3"):
        assert len(h.to(user)) == 1, user  # each resident was told once
