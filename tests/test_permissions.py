"""Who may do what: admin commands, worker commands, scopes; refusals change nothing."""

from __future__ import annotations

from typing import Any

import pytest

from handlers import texts
from models.tables import ChatBinding, Outbox, PointsEntry, RoleGrant, Ticket, TicketEvent

from .harness import Harness

# Whatever else each test checks, no group message may carry a phone number.
pytestmark = pytest.mark.usefixtures("group_privacy")

ADMIN_LINES = [
    "/assign 1 w1",
    "/reject 1 不受理",
    "/merge 1 2",
    "/grant r1 admin beiyuan",
    "/revoke admin admin",
    "/overdue",
    "/stats",
    "/areas",
    "交办 1 w1",
    "驳回 1 不受理",
    "统计",
]
WORKER_LINES = [
    "抢单 1",
    "见面 1",
    "进展 1 看过了",
    "定级 1 复杂 难",
    "方案 1 2026-12-01 先看",
    "办结 1 好了",
    "/mine",
    "/proxy",
]


def snapshot(h: Harness) -> tuple[Any, ...]:
    """Everything a refused command must leave as it was (outbox rows aside)."""
    tickets = h.query(
        lambda s: [(t.id, t.status, t.handler_id, t.tier) for t in s.query(Ticket).order_by(Ticket.id)]
    )
    return (
        tickets,
        h.count(TicketEvent),
        h.count(RoleGrant),
        h.count(ChatBinding),
        h.count(PointsEntry),
    )


async def two_tickets(h: Harness) -> None:
    """Two open tickets in 四季社区 第一网格, a bound group and two workers."""
    await h.quick_grid()
    await h.quick_report("r1")
    await h.quick_report("r2")


async def test_admin_commands_from_residents_and_workers_get_one_generic_refusal(h: Harness) -> None:
    """Every admin command from a resident or a worker gets the same answer and changes nothing."""
    await two_tickets(h)
    before = snapshot(h)
    for user in ("r1", "w1"):
        for line in ADMIN_LINES:
            out = await h.say(f"{user}: {line}")
            assert h.to(user, out) == [texts.NOT_ADMIN], (user, line)
    out = await h.say("w1@siji1: /bind beiyuan")
    assert h.to("@siji1", out) == [texts.NOT_ADMIN]
    assert snapshot(h) == before


async def test_worker_commands_from_residents_are_refused(h: Harness) -> None:
    """A resident using worker commands is told they are for staff, and nothing changes."""
    await two_tickets(h)
    before = snapshot(h)
    for line in WORKER_LINES:
        out = await h.say(f"r1: {line}")
        assert h.to("r1", out) == [texts.NOT_STAFF], line
    assert snapshot(h) == before


async def test_refusals_write_nothing_but_the_answer(h: Harness) -> None:
    """A refused operation leaves no event, points or card update behind: one outbox row, the refusal."""
    await two_tickets(h)
    await h.say("w1: 抢单 1")
    rows = h.count(Outbox)
    before = snapshot(h)
    lines = [
        "w2: 办结 1 好了",
        "w2: 抢单 1",
        "r1: /withdraw 2",
        "admin: /merge 1 1",
        "w1: /plan 1 2026-12-01 方案",
    ]
    for line in lines:
        await h.say(line)
    assert snapshot(h) == before
    assert h.count(Outbox) == rows + len(lines)


async def test_scoped_admin_acts_only_inside_its_community(h: Harness) -> None:
    """A community admin acts on tickets inside the community only; outside gets the generic refusal."""
    await h.quick_grid()
    await h.run("ca: 你好", "admin: /grant ca admin siji", "x1: 你好")
    inside = await h.quick_report("r1")
    outside = await h.quick_report("r2", location=(29.3381, 120.0901))
    before = snapshot(h)
    for line in (
        f"/assign {outside} w1",
        f"/reject {outside} 重复",
        f"/merge {outside} {inside}",
        f"/merge {inside} {outside}",
    ):
        assert h.to("ca", await h.say(f"ca: {line}")) == [texts.NOT_ADMIN], line
    assert snapshot(h) == before
    await h.say(f"ca: /assign {inside} w2")
    assert h.ticket(inside).status == "claimed"


async def test_scoped_admin_cannot_grant_or_bind_outside_its_scope(h: Harness) -> None:
    """A community admin cannot grant or bind outside the community, nor make subdistrict admins."""
    await h.run("ca: 你好", "admin: /grant ca admin siji", "x1: 你好")
    grants, bindings = h.count(RoleGrant), h.count(ChatBinding)
    outside = texts.GRANT_OUTSIDE.format(area="四季社区")
    for line in (
        "/grant x1 worker jingfa-1",
        "/grant x1 admin beiyuan",
        "/grant ca admin beiyuan",
        "/revoke admin admin beiyuan",
    ):
        assert h.to("ca", await h.say(f"ca: {line}")) == [outside], line
    assert h.to("@jf", await h.say("ca@jf: /bind jingfa")) == [outside]
    assert h.to("ca", await h.say("ca: /revoke admin admin")) == [
        texts.USAGE.format(usage="/revoke 用户 worker|admin 范围代码")
    ]
    assert (h.count(RoleGrant), h.count(ChatBinding)) == (grants, bindings)
    out = await h.say("ca: /grant x1 worker siji-2")
    assert h.to("ca", out) == [texts.GRANT_DONE.format(user="x1", role="网格员", area="四季社区 第二网格")]


async def test_scoped_admin_sees_only_its_own_figures(h: Harness) -> None:
    """/stats and /overdue of a community admin count only that community's tickets."""
    await h.quick_grid()
    await h.run("ca: 你好", "admin: /grant ca admin jingfa")
    await h.quick_report("r1")
    await h.quick_report("r2", location=(29.3381, 120.0901))
    mine = h.to("ca", await h.say("ca: /stats"))[0]
    everyone = h.to("admin", await h.say("admin: /stats"))[0]
    assert "工单总数 1\n" in mine and "工单总数 2\n" in everyone


async def test_workers_act_only_on_tickets_of_their_scope(h: Harness) -> None:
    """A worker of another community can neither grab nor see a ticket; it is 'not found' to them."""
    await h.quick_grid()
    await h.run("j1: 你好", "admin: /grant j1 worker jingfa-1")
    tid = await h.quick_report()
    before = snapshot(h)
    assert h.to("j1", await h.say(f"j1: 抢单 {tid}")) == [texts.NOT_IN_SCOPE.format(id=tid)]
    assert h.to("j1", await h.say(f"j1: /status {tid}")) == [texts.NOT_FOUND.format(id=tid)]
    assert h.to("j1", await h.say(f"j1: 见面 {tid}")) == [texts.NOT_HANDLER.format(id=tid)]
    assert snapshot(h) == before
    # A worker of the ticket's own grid may look at it.
    assert h.to("w2", await h.say(f"w2: /status {tid}"))[0].startswith(f"工单 #{tid}\n")


async def test_residents_see_only_their_own_tickets(h: Harness) -> None:
    """/status and /my of a resident never show another resident's ticket."""
    await two_tickets(h)
    assert h.to("r1", await h.say("r1: /status 2")) == [texts.NOT_FOUND.format(id=2)]
    my = h.to("r1", await h.say("r1: /my"))[0]
    assert "#1 " in my and "#2 " not in my


async def test_revoked_admin_loses_its_commands(h: Harness) -> None:
    """After /revoke the former admin's admin commands are refused like anyone else's."""
    await h.run("ca: 你好", "admin: /grant ca admin siji")
    assert h.to("ca", await h.say("ca: /areas"))[0].startswith(texts.AREAS_HEADER)
    await h.say("admin: /revoke ca admin siji")
    assert h.to("ca", await h.say("ca: /areas")) == [texts.NOT_ADMIN]


async def test_a_revoked_worker_writing_in_the_group_is_answered(h: Harness) -> None:
    """After /revoke, w1's 抢单 N and 办结 N in the grid group get a clear answer, and change nothing."""
    tid = await h.claimed()
    other = await h.quick_report("r2", description="3号楼门口路灯坏了", category="road")
    await h.say("admin: /revoke w1 worker siji-1")  # his ticket goes back to the grid
    before = (h.events(tid), h.events(other))
    for line in (f"w1@siji1: 抢单 {other}", f"w1@siji1: 办结 {tid} 好了"):
        out = await h.say(line)
        assert texts.NOT_STAFF in [m["text"] for m in out], line
    assert (h.events(tid), h.events(other)) == before and h.ticket(other).status == "open"
    # Neighbours' everyday words in the group stay small talk.
    assert await h.say("r2@siji1: 统计一下谁家停车") == []
