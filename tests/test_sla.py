"""The 135 clock — reminders, the four-level ladder, overdue points, daily repeats at the top."""

from __future__ import annotations

import contextlib
from datetime import datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import select

from handlers import texts
from models import scan
from models.tables import PointsEntry, TicketEvent

from .harness import Harness

# Every group notice here (cards, reposts, the ladder) is masked and holds no phone number.
pytestmark = pytest.mark.usefixtures("group_privacy")

ROAD = "大城管/道路破损"
DESCRIPTION = "春晗路12号门口人行道沉降破损约2平方米"
SHOWN = "春晗路**号门口人行道沉降破损约2平方米"  # the description as groups read it (masked)
AREA = "四季社区 第一网格"
COMMUNITY = "社区（四季社区）"
DEPARTMENT = "街道科室（城市管理办公室）"
LEADERS = "街道领导"


async def bind_ladder(h: Harness) -> None:
    """Bind a group chat to each level above the grid: community, department, subdistrict."""
    await h.run("admin@siji: /bind siji", "admin@cg: /bind dept-cg", "admin@lead: /bind beiyuan")


async def until(h: Harness, start: datetime, offset: timedelta) -> list[dict[str, Any]]:
    """Advance tick by tick to start + offset; return what was sent meanwhile."""
    return await h.advance(start + offset - h.clock.now())


def points_of(h: Harness, user: str) -> int:
    """A person's total points, straight from the ledger."""
    from models.tables import Person

    def read(s: Any) -> int:
        pid = s.scalar(select(Person.id).where(Person.external_id == user))
        return sum(s.scalars(select(PointsEntry.delta).where(PointsEntry.person_id == pid)))

    return int(h.query(read))


def notes(h: Harness, tid: int, kind: str) -> list[str]:
    """Notes of a ticket's audit events of one kind, oldest first."""
    return list(
        h.query(
            lambda s: list(
                s.scalars(
                    select(TicketEvent.note)
                    .where(TicketEvent.ticket_id == tid, TicketEvent.kind == kind)
                    .order_by(TicketEvent.id)
                )
            )
        )
    )


def has(messages: list[str], fragment: str) -> int:
    """How many messages contain a fragment."""
    return sum(fragment in m for m in messages)


async def test_unclaimed_ticket_climbs_one_level_per_claim_window(h_open: Harness) -> None:
    """An ungrabbed ticket is reposted and climbs community, department, leadership every 2 h, then daily."""
    h = h_open
    await h.setup_grid()
    await bind_ladder(h)
    t0 = h.clock.now()
    tid = await h.report()
    out = await until(h, t0, timedelta(hours=1, minutes=55))
    assert [m for m in out if m["chat"] in ("@siji1", "@siji", "r1")] == []
    out = await until(h, t0, timedelta(hours=2))
    repost = texts.CARD_REPOST.format(id=tid, category=ROAD, description=SHOWN, area=AREA, age="2小时")
    assert h.to("@siji1", out) == [repost]
    assert h.last("@siji1")["buttons"] == [texts.BTN_GRAB]
    community = h.to("@siji", out)
    assert len(community) == 1
    assert community[0].startswith(f"【督办 · {COMMUNITY}】工单 #{tid} {ROAD}")
    assert "原因：提交后 2小时 无人接单" in community[0] and "办理人：未接单" in community[0]
    assert h.last("@siji")["buttons"] == [texts.BTN_GRAB]
    assert h.to("r1", out) == [texts.R_UNCLAIMED_ESCALATED.format(id=tid, level=COMMUNITY)]
    out = await until(h, t0, timedelta(hours=4))
    assert h.to("@cg", out)[0].startswith(f"【督办 · {DEPARTMENT}】工单 #{tid}")
    assert len(h.to("@siji1", out)) == 1
    out = await until(h, t0, timedelta(hours=6))
    assert h.to("@lead", out)[0].startswith(f"【督办 · {LEADERS}】工单 #{tid}")
    out = await until(h, t0, timedelta(days=1, hours=5, minutes=55))
    assert h.to("@lead", out) == []
    out = await until(h, t0, timedelta(days=1, hours=6))
    still = texts.SLA_STILL_UNCLAIMED.format(level=LEADERS, id=tid, category=ROAD, age="1天6小时", area=AREA)
    assert h.to("@lead", out) == [still]
    assert notes(h, tid, "escalated") == ["unclaimed:1", "unclaimed:2", "unclaimed:3"]
    # Anyone in the grid can still grab it from the repost; nothing is deducted from anyone.
    out = await h.say("w1@siji1: [tap 抢单]")
    assert h.ticket(tid).status == "claimed" and h.ticket(tid).level == 3
    assert h.count(PointsEntry, PointsEntry.reason == "overdue") == 0


async def test_simple_ticket_reminds_then_escalates_each_level_once(h_open: Harness) -> None:
    """Simple ticket: 50%/80% reminders per window, one level and -5 per missed deadline, daily at the top."""
    h = h_open
    tid = await h.claimed()
    await bind_ladder(h)
    c = h.clock.now()  # claimed 11月23日 09:00 local
    out = await until(h, c, timedelta(hours=11, minutes=55))
    assert h.to("w1", out) == []
    out = await until(h, c, timedelta(hours=12))
    assert h.to("w1", out) == [
        texts.SLA_REMINDER.format(id=tid, category=ROAD, percent=50, due="11月24日 09:00", left="12小时")
    ]
    out = await until(h, c, timedelta(hours=19, minutes=10))
    assert h.to("w1", out) == []
    out = await until(h, c, timedelta(hours=19, minutes=15))  # 80% is 19:12; the scan runs every 5 min
    assert h.to("w1", out) == [
        texts.SLA_REMINDER.format(id=tid, category=ROAD, percent=80, due="11月24日 09:00", left="4小时45分")
    ]
    out = await until(h, c, timedelta(hours=23, minutes=55))
    assert [m for m in out if m["chat"] in ("@siji", "w1", "r1")] == []
    out = await until(h, c, timedelta(days=1))
    notice = h.to("@siji", out)
    assert len(notice) == 1 and notice[0].startswith(f"【督办 · {COMMUNITY}】工单 #{tid} {ROAD}\n{SHOWN}")
    assert "已受理 1天，办理人：w1" in notice[0]
    assert "原因：超过办结时限（11月24日 09:00）未办结" in notice[0]
    assert notice[0].endswith("新的截止时间：11月25日 09:00")
    assert "13800138000" not in notice[0]  # never the resident's phone in a group
    assert h.to("w1", out) == [
        texts.W_OVERDUE.format(id=tid, level=COMMUNITY, penalty="，积分 -5", due="11月25日 09:00")
    ]
    assert h.to("r1", out) == [texts.R_ESCALATED.format(id=tid, level=COMMUNITY, due="11月25日 09:00")]
    assert points_of(h, "w1") == 2 - 5
    out = await until(h, c, timedelta(days=2))
    assert h.to("@cg", out)[0].startswith(f"【督办 · {DEPARTMENT}】工单 #{tid}")
    out = await until(h, c, timedelta(days=3))
    assert h.to("@lead", out)[0].startswith(f"【督办 · {LEADERS}】工单 #{tid}")
    assert h.ticket(tid).level == 3
    out = await until(h, c, timedelta(days=4))
    assert h.to("@lead", out) == [
        texts.SLA_STILL_OVERDUE.format(
            level=LEADERS, id=tid, category=ROAD, late=texts.LATE_JUST_NOW, area=AREA, handler="w1"
        )
    ]
    assert "0分钟" not in h.to("@lead", out)[0]  # the first last-level notice says 刚刚超期
    assert h.to("w1", out)[-1] == texts.W_OVERDUE_TOP.format(id=tid, level=LEADERS, penalty="，积分 -5")
    out = await until(h, c, timedelta(days=5))
    assert h.to("@lead", out) == [
        texts.SLA_STILL_OVERDUE.format(
            level=LEADERS, id=tid, category=ROAD, late="已超期 1天", area=AREA, handler="w1"
        )
    ]
    assert h.to("w1", out)[-1] == texts.W_STILL_OVERDUE.format(id=tid, late="已超期 1天")
    # Over the five days: every reminder and every level exactly once, four deductions in all.
    w1 = h.to("w1")
    assert (has(w1, "已过 50%"), has(w1, "已过 80%")) == (4, 4)
    assert [len(h.to(chat)) for chat in ("@siji", "@cg")] == [2, 2]  # the /bind answer and one notice
    assert notes(h, tid, "escalated") == ["overdue:1", "overdue:2", "overdue:3"]
    assert notes(h, tid, "overdue") == ["3"]
    assert h.count(PointsEntry, PointsEntry.reason == "overdue") == 4
    assert points_of(h, "w1") == 2 - 4 * 5
    assert h.ticket(tid).overdue_count == 4


async def test_difficult_ticket_uses_its_three_day_window(h: Harness) -> None:
    """A difficult ticket reminds at 36 h and 57.6 h and first escalates at 72 h, not after one day."""
    tid = await h.claimed(category=("物业", "物业服务", "物业交接"), description="物业不回应电梯维修问题")
    c = h.clock.now()
    assert h.ticket(tid).due_at == c + timedelta(days=3)
    out = await until(h, c, timedelta(hours=35, minutes=55))
    assert h.to("w1", out) == []
    out = await until(h, c, timedelta(hours=36))
    assert len(h.to("w1", out)) == 1 and "已过 50%" in h.to("w1", out)[0]
    out = await until(h, c, timedelta(hours=57, minutes=35))
    assert h.to("w1", out) == []
    out = await until(h, c, timedelta(hours=57, minutes=40))
    assert len(h.to("w1", out)) == 1 and "已过 80%" in h.to("w1", out)[0]
    out = await until(h, c, timedelta(hours=71, minutes=55))
    assert h.to("w1", out) == [] and h.ticket(tid).level == 0
    out = await until(h, c, timedelta(hours=72))
    assert h.to("w1", out)[0].startswith(f"工单 #{tid} 已超过办结时限")
    assert h.ticket(tid).level == 1 and h.ticket(tid).due_at == c + timedelta(days=6)


async def test_pending_ticket_without_a_plan_escalates_after_five_days(h_open: Harness) -> None:
    """A 'pending' ticket must have its initial plan within 5 days of the claim, else it escalates."""
    h = h_open
    tid = await h.claimed()
    c = h.clock.now()
    await h.say(f"w1: 定级 {tid} 暂难解决 需协调产权单位")
    assert h.ticket(tid).due_at == c + timedelta(days=5)
    out = await until(h, c, timedelta(days=2, hours=12))
    assert h.to("w1", out) == [
        texts.SLA_REMINDER.format(id=tid, category=ROAD, percent=50, due="11月28日 09:00", left="2天12小时")
    ]
    out = await until(h, c, timedelta(days=4, hours=23, minutes=55))
    assert h.ticket(tid).level == 0
    out = await until(h, c, timedelta(days=5))
    assert h.ticket(tid).level == 1
    assert h.to("w1", out)[0] == texts.W_OVERDUE.format(
        id=tid, level=COMMUNITY, penalty="，积分 -5", due="12月3日 09:00"
    )


async def test_pending_ticket_with_a_plan_is_due_on_the_plan_date(h_open: Harness) -> None:
    """With a plan the deadline is the end of the plan's date: no escalation at 5 days, one right after."""
    h = h_open
    tid = await h.claimed()
    await h.run(
        f"w1: 定级 {tid} 暂难解决 需协调产权单位", f"w1: 方案 {tid} 2026-11-29 先设置围挡，产权单位周末施工"
    )
    due = h.ticket(tid).due_at
    assert due == datetime.fromisoformat("2026-11-29T15:59:59+00:00")  # 23:59:59 local
    # Nothing is due until half the plan's window: jump there without scanning.
    h.clock.advance(timedelta(days=5))
    out = await h.advance(timedelta(minutes=5))
    assert h.to("w1", out)[0].startswith(f"提醒：工单 #{tid}") and h.ticket(tid).level == 0
    out = await until(h, due, timedelta(minutes=-4))
    assert h.ticket(tid).level == 0 and h.count(PointsEntry, PointsEntry.reason == "overdue") == 0
    out = await until(h, due, timedelta(minutes=1))
    assert h.ticket(tid).level == 1
    assert (
        "原因：超过办结时限（11月29日 23:59）未办结" in h.to("admin", out)[0]
    )  # no community chat: its admins


async def test_resolving_in_time_stops_the_clock(h: Harness) -> None:
    """A ticket resolved before its deadline gets no escalation and no deduction, only the 回访 reminder."""
    tid = await h.claimed()
    await bind_ladder(h)
    c = h.clock.now()
    await until(h, c, timedelta(hours=13))
    await h.say(f"w1: 办结 {tid} 已修复")
    out = await until(h, c, timedelta(days=2))
    assert h.to("@siji", out) == [] and h.count(PointsEntry, PointsEntry.reason == "overdue") == 0
    assert h.to("w1", out) == []
    assert h.to("r1", out) == [texts.R_FOLLOWUP_REMINDER.format(id=tid)]


async def test_a_scan_that_dies_before_commit_loses_nothing(h: Harness) -> None:
    """A scan killed before its commit leaves the deadline due: the next scan sends it, once."""
    tid = await h.claimed()
    h.clock.advance(timedelta(days=1))  # the deadline has passed; no scan ran yet

    class Killed(Exception):
        pass

    def dies(session: Any) -> None:
        assert scan.run_checks(h.app.unit(session)) == 1  # claimed and acted on...
        raise Killed  # ...then the process dies before COMMIT

    with contextlib.suppress(Killed):
        await h.app.db.run(dies)
    assert h.ticket(tid).level == 0 and h.count(PointsEntry, PointsEntry.reason == "overdue") == 0
    out = await h.advance(timedelta(minutes=5))
    assert len(h.to("w1", out)) == 1 and h.to("w1", out)[0].startswith(f"工单 #{tid} 已超过办结时限")
    assert h.ticket(tid).level == 1 and h.count(PointsEntry, PointsEntry.reason == "overdue") == 1
    out = await h.advance(timedelta(minutes=5))
    assert h.to("w1", out) == []
