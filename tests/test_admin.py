"""Admin commands: assign, reject, merge, grant, revoke, bind, overdue, stats, areas."""

from __future__ import annotations

from datetime import timedelta

import pytest

from handlers import texts
from models.tables import ChatBinding, RoleGrant

from .harness import Harness

DUE = texts.DEADLINE_EXPECTED.format(due="11月24日 09:00")  # the deadline words of a simple ticket

# Whatever else each test checks, no group message may carry a phone number.
pytestmark = pytest.mark.usefixtures("group_privacy")


async def test_assign_hands_an_open_ticket_to_a_worker(h: Harness) -> None:
    """/assign ID USER gives the ticket to a worker, who gets the details; resident and card are told."""
    await h.quick_grid()
    tid = await h.quick_report()
    out = await h.say(f"admin: /assign {tid} w2")
    assert h.to("admin", out) == [texts.ASSIGN_DONE.format(id=tid, handler="w2")]
    w2 = h.to("w2", out)
    assert w2[0] == texts.W_ASSIGNED.format(id=tid) and w2[1].startswith(f"工单 #{tid} 详情")
    assert h.to("r1", out) == [texts.R_ASSIGNED.format(id=tid, handler="w2", deadline=DUE)]
    assert "办理人：w2" in h.to("@siji1", out)[0]
    t = h.ticket(tid)
    assert (t.status, t.claimed_at) == ("claimed", h.clock.now())
    assert h.events(tid) == ["created", "assigned"]


async def test_reassign_tells_the_previous_worker(h: Harness) -> None:
    """Moving a claimed ticket to another worker tells the first one who has it now (交办 alias, @handle)."""
    tid = await h.quick_claimed()
    out = await h.say(f"admin: 交办 {tid} @w2")
    assert h.to("w1", out) == [texts.W_UNASSIGNED.format(id=tid, handler="w2")]
    assert h.ticket(tid).handler_id != h.ticket(tid).resident_id
    await h.say(f"w2: 办结 {tid} 已修复")
    assert h.ticket(tid).status == "resolved"


async def test_assign_refusals(h: Harness) -> None:
    """Assigning to an unknown user, to someone outside the ticket's area or a closed ticket is refused."""
    await h.quick_grid()
    await h.run("j1: 你好", "admin: /grant j1 worker jingfa-1")
    tid = await h.quick_report()
    assert h.to("admin", await h.say(f"admin: /assign {tid} nobody")) == [
        texts.USER_NOT_FOUND.format(user="nobody")
    ]
    assert h.to("admin", await h.say(f"admin: /assign {tid} j1")) == [
        texts.ASSIGN_NOT_IN_SCOPE.format(id=tid, user="j1")
    ]
    assert h.to("admin", await h.say(f"admin: /assign {tid}")) == [
        texts.USAGE.format(usage="/assign 编号 用户")
    ]
    await h.say(f"r1: /withdraw {tid}")
    assert h.to("admin", await h.say(f"admin: /assign {tid} w1")) == [
        texts.ALREADY_DONE.format(
            id=tid, who=texts.DONE_BY_RESIDENT, done=texts.DONE["withdrawn"], status=texts.STATUS["withdrawn"]
        )
    ]
    assert h.events(tid) == ["created", "withdrawn"]


async def test_reject_with_reason(h: Harness) -> None:
    """/reject ID REASON ends the ticket and tells resident and handler why; no reason is refused."""
    tid = await h.quick_claimed()
    out = await h.say(f"admin: /reject {tid}")
    assert h.to("admin", out) == [texts.USAGE.format(usage="/reject 编号 理由")]
    out = await h.say(f"admin: 驳回 {tid} 不属于本街道管辖范围")
    assert h.to("admin", out) == [texts.REJECT_DONE.format(id=tid)]
    assert h.to("r1", out) == [texts.R_REJECTED.format(id=tid, reason="不属于本街道管辖范围")]
    assert h.to("w1", out) == [texts.W_REJECTED.format(id=tid, reason="不属于本街道管辖范围")]
    t = h.ticket(tid)
    assert (t.status, t.reason) == ("rejected", "不属于本街道管辖范围")
    assert h.to("@siji1", out)[0].startswith(f"【工单 #{tid} · 已驳回】")
    assert h.events(tid)[-1] == "rejected"


async def test_merge_a_duplicate_and_status_shows_the_survivor(h: Harness) -> None:
    """/merge ID INTO folds a duplicate; its resident is told and /status of it shows the survivor."""
    keep = await h.quick_claimed()
    dup = await h.quick_report("r2", description="春晗路12号人行道坏了")
    out = await h.say(f"admin: /merge {dup} {keep}")
    assert h.to("admin", out) == [texts.MERGE_DONE.format(id=dup, into=keep)]
    assert h.to("r2", out) == [texts.R_MERGED_FOLLOWING.format(id=dup, into=keep)]
    assert (h.ticket(dup).status, h.ticket(dup).merged_into_id) == ("merged", keep)
    await h.say(f"w1: 进展 {keep} 明天施工")
    out = await h.say(f"r2: /status {dup}")
    shown = h.to("r2", out)
    assert len(shown) == 1
    assert shown[0].startswith(f"工单 #{keep}\n") and "办理人：w1" in shown[0] and "明天施工" in shown[0]
    assert "13800138000" not in shown[0]


async def test_merged_residents_status_offers_no_foreign_followup_buttons(h: Harness) -> None:
    """The merged ticket's resident is not offered the survivor's follow-up buttons."""
    keep = await h.quick_claimed()
    dup = await h.quick_report("r2")
    await h.run(f"admin: /merge {dup} {keep}", f"w1: 办结 {keep} 已修复")
    out = await h.say(f"r2: /status {dup}")
    assert [m["buttons"] for m in out] == [[]]


async def test_merge_refusals(h: Harness) -> None:
    """Merging into itself, into a finished or a missing ticket is refused and changes nothing."""
    await h.quick_grid()
    a = await h.quick_report("r1")
    b = await h.quick_report("r2")
    assert h.to("admin", await h.say(f"admin: /merge {a} {a}")) == [texts.MERGE_SELF]
    await h.say(f"r2: /withdraw {b}")
    assert h.to("admin", await h.say(f"admin: /merge {a} {b}")) == [
        texts.MERGE_TARGET_FINAL.format(into=b, status=texts.STATUS["withdrawn"])
    ]
    assert h.to("admin", await h.say(f"admin: /merge {a} 99")) == [texts.NOT_FOUND.format(id=99)]
    assert h.to("admin", await h.say(f"admin: /merge {a} x")) == [
        texts.USAGE.format(usage="/merge 编号 目标编号")
    ]
    assert h.ticket(a).status == "open"


async def test_grant_and_revoke_roles(h: Harness) -> None:
    """/grant gives a role in an area (once), /revoke takes it back, and the worker then cannot grab."""
    await h.run("admin@siji1: /bind siji-1", "x1: 你好")
    out = await h.say("admin: /grant x1 网格员 siji-1")
    assert h.to("admin", out) == [texts.GRANT_DONE.format(user="x1", role="网格员", area="四季社区 第一网格")]
    out = await h.say("admin: /grant @x1 worker siji-1")
    assert h.to("admin", out) == [
        texts.GRANT_EXISTS.format(user="x1", role="网格员", area="四季社区 第一网格")
    ]
    assert h.count(RoleGrant) == 2  # the demo admin and x1
    out = await h.say("admin: /revoke x1 worker siji-1")
    assert h.to("admin", out) == [texts.REVOKE_DONE.format(user="x1", role="网格员", count=1)]
    out = await h.say("admin: /revoke x1 worker")
    assert h.to("admin", out) == [texts.REVOKE_NONE.format(user="x1", role="网格员")]
    tid = await h.quick_report()
    assert h.to("x1", await h.say("x1@siji1: [tap 抢单]")) == [texts.NOT_STAFF]
    assert h.ticket(tid).status == "open"


async def test_grant_refusals(h: Harness) -> None:
    """Bad role, unknown area, unknown user or a wrong number of words each get a clear answer."""
    await h.say("x1: 你好")
    cases = {
        "admin: /grant x1 boss siji-1": texts.ROLE_INVALID,
        "admin: /grant x1 worker mars-1": texts.AREA_NOT_FOUND.format(code="mars-1"),
        "admin: /grant ghost worker siji-1": texts.USER_NOT_FOUND.format(user="ghost"),
        "admin: /grant x1 worker": texts.USAGE.format(usage="/grant 用户 worker|admin|mediator 范围代码"),
    }
    for line, answer in cases.items():
        assert h.to("admin", await h.say(line)) == [answer], line
    assert h.count(RoleGrant) == 1


async def test_bind_only_in_a_group_and_rebind_moves_it(h: Harness) -> None:
    """/bind works only in a group; binding the group again moves it to the new area."""
    assert h.to("admin", await h.say("admin: /bind siji-1")) == [texts.GROUP_ONLY]
    assert h.count(ChatBinding) == 0
    out = await h.say("admin@g: /bind siji-1")
    assert h.to("@g", out) == [texts.BIND_DONE.format(area="四季社区 第一网格", code="siji-1")]
    out = await h.say("admin@g: 绑定 jingfa")
    assert h.to("@g", out) == [
        texts.BIND_MOVED.format(old="四季社区 第一网格", area="经发社区", code="jingfa")
    ]
    assert h.count(ChatBinding) == 1
    assert h.to("@g", await h.say("admin@g: /bind nowhere")) == [texts.AREA_NOT_FOUND.format(code="nowhere")]
    tid = await h.quick_report(location=(29.3381, 120.0901))
    assert h.last("@g")["text"].startswith(f"【新工单 #{tid}】")


async def test_overdue_lists_late_and_unclaimed_tickets(h: Harness) -> None:
    """/overdue lists claimed tickets past their deadline and open ones past the claim window, by how late."""
    late = await h.quick_claimed()
    assert h.to("admin", await h.say("admin: /overdue")) == [texts.OVERDUE_EMPTY]
    h.clock.advance(timedelta(hours=22))
    waiting = await h.quick_report("r2", category="other", description="小区门口井盖丢失")
    # Ticket 1 is 3 h past its 1-day deadline. Ticket 2 came at 07:00, before the office opens: its
    # claim window (2 h of office time) ended at 10:30, as the ladder counts it, so at 12:00 it is
    # 1 h 30 min late, not 3 h.
    h.clock.advance(timedelta(hours=5))
    out = await h.say("admin: 超期")
    assert h.to("admin", out) == [
        "\n".join(
            [
                texts.OVERDUE_HEADER.format(count=2),
                f"#{late} 大城管/道路破损 · 四季社区 第一网格 · w1 · 已超期 3小时",
                f"#{waiting} 其他 · 四季社区 第一网格 · 未接单 · 已超期 1小时30分",
            ]
        )
    ]


async def test_stats_counts_and_three_rates(h: Harness) -> None:
    """/stats counts by status and category and computes response, resolution and satisfaction rates."""
    await h.quick_grid()
    t1 = await h.quick_report("r1")
    t2 = await h.quick_report("r2")
    t3 = await h.quick_report("r3", category="elevator", description="电梯坏了三天")
    await h.quick_report("r4", category="other", description="路边井盖丢失")
    t5 = await h.quick_report("r5")
    await h.run(f"w1: 抢单 {t1}", f"w1: 办结 {t1} 修好了", "r1: 是", "r1: 满意")
    await h.run(f"w1: 抢单 {t2}", f"w1: 办结 {t2} 修好了", "r2: 是", "r2: 不满意")
    await h.run(f"w2: 抢单 {t3}", f"r5: /withdraw {t5}")
    out = await h.say("admin: /stats")
    assert h.to("admin", out)[0].startswith(
        texts.STATS.format(
            period="全部",
            total=5,
            by_status="待接单 1，办理中 1，已销号 2，已撤回 1",
            by_category="大城管/道路破损 3，物业/电梯 1，其他 1",
            response="75.0%",
            resolution="50.0%",
            satisfaction="50.0%",
        )
    )


async def test_stats_of_an_empty_period_and_bad_period(h: Harness) -> None:
    """/stats week with nothing filed shows zeros and dashes; an unknown period gets the usage line."""
    out = await h.say("admin: /stats week")
    assert h.to("admin", out)[0].startswith(
        texts.STATS.format(
            period="近7天",
            total=0,
            by_status="0",
            by_category="0",
            response="—",
            resolution="—",
            satisfaction="—",
        )
    )
    assert h.to("admin", await h.say("admin: /stats year")) == [
        texts.USAGE.format(usage="/stats [week|month]")
    ]


async def test_areas_lists_every_code(h: Harness) -> None:
    """/areas lists the subdistrict, departments, communities and grids with their codes."""
    text = h.to("admin", await h.say("admin: /areas"))[0]
    lines = text.splitlines()
    assert lines[0] == texts.AREAS_HEADER
    assert lines[1] == "beiyuan · 北苑街道"
    assert (
        "  siji · 四季社区" in lines
        and "    siji-2 · 第二网格" in lines
        and "  dept-zz · 综治（矛盾调解）中心" in lines
    )
    assert len(lines) == 1 + 1 + 5 + 5 + 7
