"""回访 reminder and auto-close, reopen escalation, progress pushes, points and /rank, the digest."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers import texts
from models.tables import PointsEntry, Ticket, TicketEvent
from scheduler import SlaJobs

from .harness import Harness
from .test_sla import COMMUNITY, bind_ladder, notes, points_of, until

# Every group notice here (cards, reposts, the ladder) is masked and holds no phone number.
pytestmark = pytest.mark.usefixtures("group_privacy")


async def test_followup_reminder_after_a_day_then_autoclose_unrated(h: Harness) -> None:
    """No answer: one reminder with the buttons at 24 h, closed as unrated at 3 days; the handler gets +10."""
    tid = await h.resolved()
    r = h.clock.now()
    out = await until(h, r, timedelta(hours=23, minutes=55))
    assert h.to("r1", out) == []
    out = await until(h, r, timedelta(hours=24))
    assert h.to("r1", out) == [texts.R_FOLLOWUP_REMINDER.format(id=tid)]
    assert h.last("r1")["buttons"] == [texts.BTN_YES, texts.BTN_NO]
    out = await until(h, r, timedelta(days=2, hours=23, minutes=55))
    assert h.to("r1", out) == [] and h.ticket(tid).status == "resolved"
    out = await until(h, r, timedelta(days=3))
    t = h.ticket(tid)
    assert (t.status, t.rating, t.closed_at) == ("closed", "unrated", r + timedelta(days=3))
    assert h.to("r1", out) == [texts.R_AUTOCLOSED.format(id=tid, days="3")]
    assert h.to("w1", out) == [texts.W_CLOSED.format(id=tid, rating=texts.RATING["unrated"], points=10)]
    assert h.to("@siji1", out)[0].startswith(f"【工单 #{tid} · 已销号】")
    assert points_of(h, "w1") == 2 + 10
    assert notes(h, tid, "closed") == ["unrated"]
    out = await until(h, r, timedelta(days=6))
    assert [m for m in out if m["chat"] in ("r1", "w1", "@siji1")] == []


async def test_followup_reminder_after_yes_asks_for_the_rating(h: Harness) -> None:
    """A resident who answered 是 but not 满意 is reminded to rate, and 满意 then pays 10+20."""
    tid = await h.resolved()
    r = h.clock.now()
    await h.say("r1: [tap 是]")
    out = await until(h, r, timedelta(hours=24))
    assert h.to("r1", out) == [texts.R_FOLLOWUP_REMINDER_RATE.format(id=tid)]
    assert h.last("r1")["buttons"] == [texts.BTN_SATISFIED, texts.BTN_UNSATISFIED]
    await h.say("r1: [tap 满意]")
    assert h.ticket(tid).rating == "double_yes"
    assert points_of(h, "w1") == 2 + 10 + 20
    out = await until(h, r, timedelta(days=4))
    assert h.to("r1", out) == []


async def test_reopen_escalates_one_level_with_a_new_window(h_open: Harness) -> None:
    """否 moves the ticket one level up, tells that level; the new window reminds and escalates on time."""
    h = h_open
    tid = await h.resolved()
    await bind_ladder(h)
    await until(h, h.clock.now(), timedelta(hours=2))
    o = h.clock.now()  # 11月23日 11:00 local
    out = await h.say("r1: [tap 否]")
    notice = h.to("@siji", out)
    assert len(notice) == 1 and notice[0].startswith(f"【督办 · {COMMUNITY}】工单 #{tid}")
    assert "原因：居民反馈问题未解决（第 1 次退回）" in notice[0]
    assert notice[0].endswith("新的截止时间：11月24日 11:00")
    t = h.ticket(tid)
    assert (t.level, t.window_started_at, t.due_at) == (1, o, o + timedelta(days=1))
    out = await until(h, o, timedelta(hours=12))
    assert [m for m in h.to("w1", out) if "已过 50%" in m] == [
        texts.SLA_REMINDER.format(
            id=tid, category="大城管/道路破损", percent=50, due="11月24日 11:00", left="12小时"
        )
    ]
    out = await until(h, o, timedelta(days=1))
    assert h.to("@cg", out)[0].startswith(f"【督办 · 街道科室（城市管理办公室）】工单 #{tid}")
    assert h.ticket(tid).level == 2
    assert points_of(h, "w1") == 2 - 5  # grab, then the missed deadline after the reopen


async def test_rank_in_the_group_shows_overdue_deductions(h: Harness) -> None:
    """/rank week in the grid group orders workers by points after a deduction: on time beats late."""
    await h.setup_grid()
    late = await h.report("r1")
    good = await h.report("r2", category=("其他",))  # the same problem at the same spot would be a follow
    await h.run(f"w1: 抢单 {late}", f"w2: 抢单 {good}", f"w2: 办结 {good} 已修复", "r2: 是", "r2: 满意")
    await h.advance(timedelta(days=1))  # w1 misses the 1-day deadline
    assert h.count(PointsEntry, PointsEntry.reason == "overdue") == 1
    await h.run(f"w1: 办结 {late} 已修复", "r1: 是", "r1: 满意")
    out = await h.say("w1@siji1: /rank week")
    assert h.to("@siji1", out) == [
        "\n".join(
            [
                texts.RANK_HEADER.format(period=texts.PERIOD["week"]),
                texts.RANK_LINE.format(pos=1, name="w2", points=2 + 10 + 20),
                texts.RANK_LINE.format(pos=2, name="w1", points=2 - 5 + 10 + 20),
            ]
        )
    ]


async def test_progress_push_after_a_day_then_daily_with_the_latest_note(h: Harness) -> None:
    """A waiting resident hears status, latest note and deadline 24 h after the last news, then daily."""
    tid = await h.claimed(category=("物业", "物业服务", "物业交接"), description="物业不回应电梯维修问题")
    c = h.clock.now()
    await until(h, c, timedelta(hours=3))
    await h.say(f"w1: 进展 {tid} 已联系电梯维保单位")
    out = await until(h, c, timedelta(hours=26, minutes=55))
    assert h.to("r1", out) == []  # the note at 3 h was news: the first push waits for 3 h + 24 h
    out = await until(h, c, timedelta(hours=27))
    push = texts.R_PROGRESS.format(
        id=tid,
        status=texts.STATUS["claimed"],
        latest=texts.R_PROGRESS_LATEST.format(note="已联系电梯维保单位"),
        deadline=texts.DEADLINE_PROGRESS.format(due="11月26日 09:00"),
    )
    assert h.to("r1", out) == [push]
    out = await until(h, c, timedelta(hours=50, minutes=55))
    assert h.to("r1", out) == []
    out = await until(h, c, timedelta(hours=51))
    assert h.to("r1", out) == [push]
    await h.say(f"w1: 办结 {tid} 已更换电梯按钮")
    out = await until(h, c, timedelta(hours=76))
    assert texts.R_PROGRESS.split("：")[0].format(id=tid) not in "".join(h.to("r1", out))


async def test_suggestion_is_never_escalated_but_hears_progress(h: Harness) -> None:
    """An untaken suggestion (no deadline) is never escalated, yet its author hears from us after a day."""
    await h.setup_grid()
    await bind_ladder(h)
    t0 = h.clock.now()
    tid = await h.report(category=("建议 金点子",), description="建议在春晗路增设共享单车停放点")
    out = await until(h, t0, timedelta(hours=24))
    assert [m for m in out if m["chat"] in ("@siji", "@siji1", "@cg", "@lead")] == []
    assert h.to("r1", out) == [
        texts.R_PROGRESS.format(
            id=tid,
            status=texts.STATUS["open"],
            latest="",
            deadline=texts.DEADLINE_PROGRESS.format(due=texts.PROGRESS_NO_DEADLINE),
        )
    ]
    assert h.ticket(tid).level == 0


async def test_daily_digest_goes_to_subdistrict_admins_once(h: Harness) -> None:
    """At 08:30 the subdistrict admins get the digest with the overdue list, once across processes."""
    tid = await h.claimed()
    await h.run(
        "boss: 你好", "admin: /grant boss admin beiyuan", "cadmin: 你好", "admin: /grant cadmin admin siji"
    )
    t0 = h.clock.now()  # 11月23日 09:00 local: today's digest time has passed already
    out = await until(h, t0, timedelta(hours=23, minutes=25))
    assert h.to("admin", out) == []
    h.clock.advance(timedelta(hours=1, minutes=4))  # 11月24日 09:29 local, the ticket is 29 min late
    out = await h.advance(timedelta(minutes=5))
    digest = texts.DIGEST_HEADER.format(
        date="11月24日", active=1, open=0, claimed=1, resolved=0, new=1, solved=0
    )
    late = f"#{tid} 大城管/道路破损 · 四季社区 第一网格 · w1 · 已超期 34分钟"
    expected = "\n".join([digest, texts.DIGEST_OVERDUE.format(count=1), late])
    assert [m for m in h.to("admin", out) if m.startswith("【每日督办简报")] == [expected]
    assert [m for m in h.to("boss", out) if m.startswith("【每日督办简报")] == [expected]
    # A community admin is not a subdistrict admin: no digest, only the escalation of their community.
    assert [m[:9] for m in h.to("cadmin", out)] == [f"【督办 · {COMMUNITY}】"[:9]]
    # Another process sharing the database finds the digest already sent.
    other = SlaJobs(h.app)
    assert await other.digest() is False
    out = await h.advance(timedelta(hours=2))
    assert [m for m in h.to("admin", out) if m.startswith("【每日督办简报")] == []


async def test_closed_and_withdrawn_tickets_are_left_alone(h: Harness) -> None:
    """Once a ticket is closed or withdrawn no reminder, escalation or push is ever sent for it."""
    done = await h.resolved()
    await h.run("r1: [tap 是]", "r1: [tap 满意]")
    gone = await h.report("r2")
    await h.say(f"r2: /withdraw {gone}")
    events = h.count(TicketEvent)
    out = await h.advance(timedelta(days=4))
    assert [m for m in out if m["chat"] in ("r1", "r2", "w1", "@siji1")] == []
    assert h.count(TicketEvent) == events
    assert h.count(Ticket, Ticket.next_check_at.is_not(None)) == 0
    assert h.count(Ticket, Ticket.next_push_at.is_not(None)) == 0
    assert {h.ticket(done).status, h.ticket(gone).status} == {"closed", "withdrawn"}
