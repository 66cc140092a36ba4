"""The handler's 见面, 进展, 定级, /plan and 办结 (with an optional photo)."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from handlers import texts
from models.tables import PointsEntry, TicketEvent

from .harness import Harness, write_png

# Whatever else each test checks, no group message may carry a phone number.
pytestmark = pytest.mark.usefixtures("group_privacy")


async def test_meet_tells_the_resident_and_pays_the_bonus_once(h: Harness) -> None:
    """见面 is recorded each time, told to the resident once a day at most, and pays the bonus once."""
    tid = await h.quick_claimed()
    out = await h.say(f"w1: 见面 {tid}")
    assert h.to("w1", out) == [texts.MEET_DONE.format(id=tid)]
    assert h.to("r1", out) == [texts.R_MET.format(id=tid, role="网格员", handler="w1")]
    assert h.ticket(tid).met_at == h.clock.now()
    h.clock.advance(timedelta(hours=3))
    out = await h.say(f"w1: 见面 {tid}")
    assert h.to("w1", out) == [texts.MEET_DONE.format(id=tid)]
    assert h.to("r1", out) == []  # the same visit again the same day: recorded, not re-announced
    assert h.events(tid) == ["created", "grabbed", "met", "met"]
    h.clock.advance(timedelta(days=1))
    out = await h.say(f"w1: 见面 {tid}")
    assert h.to("r1", out) == [texts.R_MET.format(id=tid, role="网格员", handler="w1")]
    assert h.count(PointsEntry, PointsEntry.reason == "meet") == 1


async def test_progress_note_reaches_the_resident(h: Harness) -> None:
    """进展 ID 内容 records the note and passes it on to the resident."""
    tid = await h.quick_claimed()
    out = await h.say(f"w1: 进展 {tid} 已联系施工队，明天上午修复")
    assert h.to("w1", out) == [texts.NOTE_DONE.format(id=tid)]
    assert h.to("r1", out) == [texts.R_NOTE.format(id=tid, note="已联系施工队，明天上午修复")]
    notes = h.query(lambda s: list(s.scalars(select(TicketEvent.note).where(TicketEvent.kind == "note"))))
    assert notes == ["已联系施工队，明天上午修复"]


async def test_progress_without_text_is_refused(h: Harness) -> None:
    """进展 without any content gets the usage line and records nothing."""
    tid = await h.quick_claimed()
    out = await h.say(f"w1: 进展 {tid}")
    assert h.to("w1", out) == [texts.USAGE.format(usage="进展 编号 内容")]
    assert h.events(tid) == ["created", "grabbed"]


async def test_tier_change_with_reason_moves_the_deadline(h: Harness) -> None:
    """定级 ID 复杂 理由 changes the tier, counts the window from the claim, and tells the resident why."""
    tid = await h.quick_claimed()
    assert h.ticket(tid).tier == "simple"
    out = await h.say(f"w1: 定级 {tid} 复杂 需要协调市政维修")
    t = h.ticket(tid)
    assert t.tier == "difficult"
    assert t.due_at - t.claimed_at == timedelta(days=3)
    assert h.to("w1", out) == [
        texts.TIER_DONE.format(
            id=tid, tier=texts.TIER["difficult"], deadline=texts.DEADLINE_NEW.format(due="11月26日 09:00")
        )
    ]
    assert h.to("r1", out) == [
        texts.R_TIER.format(
            id=tid,
            tier=texts.TIER["difficult"],
            reason="需要协调市政维修",
            deadline=texts.DEADLINE_NEW.format(due="11月26日 09:00"),
        )
    ]
    assert h.events(tid)[-1] == "tier"


async def test_tier_change_without_reason_or_with_unknown_tier_is_refused(h: Harness) -> None:
    """定级 without a reason, or with a tier word that does not exist, is refused and changes nothing."""
    tid = await h.quick_claimed()
    usage = texts.USAGE.format(usage="定级 编号 简单|复杂|暂难解决 理由")
    assert h.to("w1", await h.say(f"w1: 定级 {tid} 复杂")) == [usage]
    assert h.to("w1", await h.say(f"w1: 定级 {tid} 特急 很急")) == [usage]
    assert h.ticket(tid).tier == "simple"
    assert h.events(tid) == ["created", "grabbed"]


async def test_plan_for_a_pending_ticket_sets_the_new_deadline(h: Harness) -> None:
    """A pending ticket's /plan records the plan, its date becomes the deadline, and the resident is told."""
    tid = await h.quick_claimed()
    await h.say(f"w1: 定级 {tid} 暂难解决 需要申请维修资金")
    out = await h.say(f"w1: /plan {tid} 2026-12-10 先设围挡，资金到位后施工")
    assert h.to("w1", out) == [texts.PLAN_DONE.format(id=tid, due="12月10日 23:59")]
    assert h.to("r1", out) == [
        texts.R_PLAN.format(id=tid, plan="先设围挡，资金到位后施工", due="12月10日 23:59")
    ]
    t = h.ticket(tid)
    assert t.plan_note == "先设围挡，资金到位后施工"
    assert h.events(tid)[-1] == "plan"
    # The Chinese alias works the same way, with full-width digits.
    await h.say(f"w1: 方案 {tid} ２０２６-１２-１２ 围挡已设")
    assert h.ticket(tid).plan_note == "围挡已设"


async def test_plan_is_refused_for_other_tiers_and_past_or_bad_dates(h: Harness) -> None:
    """/plan of a non-pending ticket, with a past date or a malformed date is refused and changes nothing."""
    tid = await h.quick_claimed()
    out = await h.say(f"w1: /plan {tid} 2026-12-10 先设围挡")
    assert h.to("w1", out) == [texts.PLAN_NOT_PENDING.format(id=tid)]
    await h.say(f"w1: 定级 {tid} 暂难解决 需要申请维修资金")
    before = h.ticket(tid).due_at
    for when in ("2026-11-22", "昨天", "下周", "2026-13-01", "11月1日前"):
        out = await h.say(f"w1: /plan {tid} {when} 先设围挡")
        assert h.to("w1", out) == [texts.DATE_INVALID.format(example="2026-11-23")], when
    assert h.ticket(tid).due_at == before and h.ticket(tid).plan_note is None
    assert "plan" not in h.events(tid)


@pytest.mark.parametrize(
    ("when", "due"), [("明天", "11月24日 23:59"), ("下周一", "11月30日 23:59"), ("12月5日", "12月5日 23:59")]
)
async def test_plan_takes_a_date_in_words(h: Harness, when: str, due: str) -> None:
    """方案 N 明天 / 下周一 / 12月5日 set the deadline to that local day (today is Monday 23 November)."""
    tid = await h.quick_claimed()
    await h.say(f"w1: 定级 {tid} 暂难解决 需要申请维修资金")
    out = await h.say(f"w1: 方案 {tid} {when} 先设围挡")
    assert h.to("w1", out) == [texts.PLAN_DONE.format(id=tid, due=due)]
    assert h.ticket(tid).plan_note == "先设围挡"


async def test_plan_date_example_uses_the_local_date(h: Harness) -> None:
    """Late in the (UTC) evening the date example is already tomorrow's local date, not yesterday's."""
    tid = await h.quick_claimed()
    await h.say(f"w1: 定级 {tid} 暂难解决 需要申请维修资金")
    h.clock.advance(h.clock.now().replace(hour=17) - h.clock.now())  # 01:00 local on the 24th
    out = await h.say(f"w1: /plan {tid} soon 先设围挡")
    assert h.to("w1", out) == [texts.DATE_INVALID.format(example="2026-11-24")]


async def test_resolve_asks_the_resident_and_updates_the_card(h: Harness) -> None:
    """办结 ID 说明 marks the ticket resolved, asks the resident 是/否 and updates the group card."""
    tid = await h.quick_claimed()
    out = await h.say(f"w1: 办结 {tid} 人行道沉降破损修复2平方米")
    t = h.ticket(tid)
    assert (t.status, t.resolution_note) == ("resolved", "人行道沉降破损修复2平方米")
    ask = next(m for m in out if m["chat"] == "r1")
    assert ask["text"] == texts.R_RESOLVED.format(id=tid, note="人行道沉降破损修复2平方米")
    assert ask["buttons"] == [texts.BTN_YES, texts.BTN_NO]
    assert h.to("w1", out) == [texts.RESOLVE_DONE.format(id=tid)]
    assert "已办结，待居民确认" in h.to("@siji1", out)[0]
    assert h.events(tid)[-1] == "resolved"


async def test_resolve_without_a_note_is_refused(h: Harness) -> None:
    """办结 without a note is refused: the resident must be told what was done."""
    tid = await h.quick_claimed()
    out = await h.say(f"w1: 办结 {tid}")
    assert h.to("w1", out) == [texts.USAGE.format(usage="办结 编号 说明")]
    assert h.ticket(tid).status == "claimed"


async def test_photo_after_resolve_is_attached_and_shown_to_the_resident(h: Harness, tmp_path: Path) -> None:
    """A photo sent right after 办结 becomes the result photo, and the resident sees it."""
    png = write_png(tmp_path / "fixed.png", (0, 128, 0))
    tid = await h.quick_resolved()
    out = await h.say(f"w1: [photo {png}]")
    assert h.to("w1", out) == [texts.RESOLVE_PHOTO_SAVED.format(id=tid)]
    shown = [m for m in out if m["chat"] == "r1"]
    assert shown == [
        {"chat": "r1", "text": texts.R_RESOLVED_PHOTO.format(id=tid), "buttons": [], "photo": str(png)}
    ]
    assert h.ticket(tid).resolution_photo == str(png)
    assert h.events(tid)[-1] == "result_photo"


async def test_photo_is_optional_after_resolve(h: Harness, tmp_path: Path) -> None:
    """Anything but a photo after 办结 ends the wait: a later picture is not attached to the ticket."""
    tid = await h.quick_resolved()
    out = await h.say("w1: 你好")
    assert out[-1]["text"].startswith("您好！")
    await h.say(f"w1: [photo {write_png(tmp_path / 'late.png')}]")
    assert h.ticket(tid).resolution_photo is None
    assert "result_photo" not in h.events(tid)


async def test_only_the_handler_or_an_admin_handles_a_ticket(h: Harness) -> None:
    """Another worker of the same grid cannot meet, note or resolve someone else's ticket; an admin can."""
    tid = await h.quick_claimed()
    refusal = texts.NOT_HANDLER.format(id=tid)
    for line in (
        f"w2: 见面 {tid}",
        f"w2: 进展 {tid} 我来看看",
        f"w2: 办结 {tid} 好了",
        f"w2: 定级 {tid} 复杂 难",
    ):
        assert h.to("w2", await h.say(line)) == [refusal], line
    assert h.events(tid) == ["created", "grabbed"]
    await h.say(f"admin: 进展 {tid} 街道已协调")
    assert h.events(tid)[-1] == "note"


async def test_actions_in_the_wrong_state_are_refused(h: Harness) -> None:
    """见面 on an open ticket and 办结 on a resolved one are refused with the ticket's state."""
    await h.quick_grid()
    tid = await h.quick_report()
    out = await h.say(f"admin: 见面 {tid}")
    assert h.to("admin", out) == [texts.NOT_OPEN.format(id=tid, status="待接单")]
    await h.run(f"w1: 抢单 {tid}", f"w1: 办结 {tid} 好了")
    out = await h.say(f"w1: 办结 {tid} 又好了")
    assert h.to("w1", out) == [texts.NOT_OPEN.format(id=tid, status=texts.STAFF_STATUS["resolved"])]
    assert h.events(tid).count("resolved") == 1


async def test_mine_lists_the_workers_queue(h: Harness) -> None:
    """我的任务 (/mine) lists the worker's own claimed and resolved tickets with their deadlines."""
    tid = await h.quick_claimed()
    other = await h.quick_report("r2", category="elevator", description="电梯坏了三天了")
    await h.say(f"w1: 抢单 {other}")
    await h.say(f"w1: 办结 {tid} 已修复")
    out = await h.say("w1: 我的任务")
    assert h.to("w1", out) == [
        "\n".join(
            [
                texts.MINE_HEADER,
                f"#{tid} 大城管/道路破损 · {texts.STAFF_STATUS['resolved']} · 截止 11月24日 09:00",
                f"#{other} 物业/电梯 · 办理中 · 截止 11月26日 09:00",
            ]
        )
    ]
    assert h.to("w2", await h.say("w2: /mine")) == [texts.MINE_EMPTY]


async def test_grabbing_a_suggestion_tells_the_resident_without_a_deadline(h: Harness) -> None:
    """A suggestion has no deadline: the resident hears who handles it without a nonsensical due date."""
    await h.quick_grid()
    tid = await h.quick_report(category="idea", description="建议增设非机动车停车棚")
    out = await h.say(f"w1: 抢单 {tid}")
    told = h.to("r1", out)
    said = texts.R_CLAIMED_NO_DUE.format(id=tid, role="网格员", handler="w1", tier=texts.TIER["none"])
    assert told == [said]
    assert h.ticket(tid).due_at is None


async def test_assigning_a_suggestion_tells_the_resident_without_a_deadline(h: Harness) -> None:
    """An admin assigning a suggestion tells the resident who handles it, with no made-up due date."""
    await h.quick_grid()
    tid = await h.quick_report(category="idea", description="建议增设非机动车停车棚")
    out = await h.say(f"admin: /assign {tid} w2")
    assert h.to("r1", out) == [texts.R_ASSIGNED_NO_DUE.format(id=tid, handler="w2", tier=texts.TIER["none"])]
    details = next(t for t in h.to("w2", out) if t.startswith(f"工单 #{tid} 详情"))
    assert "时限：建议，截止 不设时限" in details


async def test_tier_change_of_an_open_ticket_says_when_the_clock_starts(h: Harness) -> None:
    """Changing the tier before anyone grabbed the ticket says the deadline counts from the claim."""
    await h.quick_grid()
    tid = await h.quick_report()
    out = await h.say(f"admin: 定级 {tid} 复杂 涉及多个部门")
    assert h.to("r1", out) == [
        texts.R_TIER.format(
            id=tid,
            tier=texts.TIER["difficult"],
            reason="涉及多个部门",
            deadline=texts.DEADLINE_NEW.format(due="接单后 3 天内"),
        )
    ]
    assert h.ticket(tid).due_at is None
