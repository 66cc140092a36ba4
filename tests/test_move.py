"""/move (转派): an admin re-routes a misrouted ticket; everyone concerned is told, the clock runs on."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers import texts
from models.sla import window_check

from .harness import Harness

# Every group notice here (cards, reposts, the ladder) is masked and holds no phone number.
pytestmark = pytest.mark.usefixtures("group_privacy")


async def test_move_a_claimed_ticket_to_another_grid(h: Harness) -> None:
    """Old card marked moved, new grid's card with 抢单, the worker released and the resident told."""
    await h.setup_grid()
    await h.setup_grid(group="jingfa1", grid="jingfa-1", workers=("w3",))
    tid = await h.claimed()
    before = h.ticket(tid)
    await h.advance(timedelta(hours=2))
    out = await h.say(f"admin: /move {tid} jingfa-1")
    assert h.to("admin", out) == [
        texts.MOVE_DONE.format(id=tid, old="四季社区 第一网格", area="经发社区 第一网格")
    ]
    assert h.last("@siji1")["text"] == (
        f"【工单 #{tid} · 已转派】大城管/道路破损\n已转派至 经发社区 第一网格，本群无需处理。"
    )
    assert h.last("@siji1")["buttons"] == []
    card = h.last("@jingfa1")
    assert card["text"].startswith(f"【新工单 #{tid}】大城管/道路破损") and card["buttons"] == [
        texts.BTN_GRAB
    ]
    assert h.last("w1")["text"] == texts.W_MOVED_AWAY.format(id=tid, area="经发社区 第一网格")
    assert h.last("r1")["text"] == texts.R_MOVED.format(id=tid, area="经发社区 第一网格")
    after = h.ticket(tid)
    assert (after.status, after.handler_id) == ("open", None)
    assert after.due_at == before.due_at  # the 135 window is not reset
    assert h.events(tid)[-1] == "moved"
    # The new grid grabs it: the deadline is still the one set at the first claim.
    await h.say("w3@jingfa1: [tap 抢单]")
    regrabbed = h.ticket(tid)
    assert (regrabbed.window_started_at, regrabbed.due_at) == (before.window_started_at, before.due_at)
    # Its reminders start again for the new handler, within the same window.
    assert before.window_started_at is not None and before.due_at is not None
    first = window_check(before.window_started_at, before.due_at, 0, h.app.rules.sla)
    assert (regrabbed.reminders_sent, regrabbed.next_check_at) == (0, first)
    # Later changes edit the new card only: the old group keeps its "moved" note.
    assert h.last("@siji1")["text"].startswith(f"【工单 #{tid} · 已转派】")


async def test_move_with_the_chinese_alias_to_a_community(h: Harness) -> None:
    """转派 ID SCOPE works like /move, here to a community."""
    tid = await h.quick_report()
    out = await h.say(f"admin: 转派 {tid} jingfa")
    said = h.to("admin", out)
    assert said[-1] == texts.MOVE_DONE.format(id=tid, old="四季社区 第一网格", area="经发社区")
    assert said[0].startswith(f"工单 #{tid}（经发社区）没有绑定的群")  # no group there yet: admins told
    assert h.last("r1")["text"] == texts.R_MOVED.format(id=tid, area="经发社区")


async def test_move_refusals(h: Harness) -> None:
    """Bad usage, unknown scope, the subdistrict as target, same area and non-admins are refused."""
    tid = await h.quick_report()
    cases = {
        "admin: /move": texts.USAGE.format(usage="/move 编号 范围代码（如 /move 12 jingfa-1）"),
        f"admin: /move {tid} nowhere": texts.AREA_NOT_FOUND.format(code="nowhere"),
        f"admin: /move {tid} beiyuan": texts.MOVE_TARGET_LEVEL.format(code="beiyuan"),
        f"admin: /move {tid} siji-1": texts.MOVE_SAME.format(id=tid, area="四季社区 第一网格"),
        f"r1: /move {tid} jingfa-1": texts.NOT_ADMIN,
    }
    for line, expected in cases.items():
        user = line.split(":")[0]
        assert h.to(user, await h.say(line)) == [expected], line
    assert h.events(tid) == ["created"]  # nothing moved


async def test_move_needs_admin_over_both_areas(h: Harness) -> None:
    """A community admin cannot pull a ticket out of, or push one into, another community."""
    await h.run("ca: 你好", "admin: /grant ca admin siji")
    tid = await h.quick_report(location=(29.3381, 120.0901))  # in 经发社区
    assert h.to("ca", await h.say(f"ca: /move {tid} siji-1")) == [texts.NOT_ADMIN]
    mine = await h.quick_report("r2")
    assert h.to("ca", await h.say(f"ca: /move {mine} jingfa-1")) == [texts.NOT_ADMIN]
    assert h.to("ca", await h.say(f"ca: /move {mine} siji-2"))[-1].startswith(f"工单 #{mine} 已从")


async def test_closed_ticket_cannot_be_moved(h: Harness) -> None:
    """A withdrawn ticket stays where it was."""
    tid = await h.quick_report()
    await h.say(f"r1: /withdraw {tid}")
    out = await h.say(f"admin: /move {tid} jingfa-1")
    assert h.to("admin", out) == [texts.MOVE_NOT_ACTIVE.format(id=tid, status=texts.STATUS["withdrawn"])]
