"""The card in the grid's group, routing up the tree, and the grab race."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from handlers import texts
from models.tables import Area, PointsEntry, TicketEvent

from .harness import Harness

DUE = texts.DEADLINE_EXPECTED.format(due="11月24日 09:00")  # the deadline words of a simple ticket

# Whatever else each test checks, no group message may carry a phone number.
pytestmark = pytest.mark.usefixtures("group_privacy")

PHONE = "13800138000"
ADDRESS = "春晗路12号3单元502室"


def assert_no_private_data_in_groups(h: Harness, *secrets: str) -> None:
    """No group message anywhere in the transcript contains a phone number or an exact address."""
    groups = h.group_messages()
    assert groups, "expected at least one group message"
    for m in groups:
        for secret in (PHONE, ADDRESS, "138 0013 8000", *secrets):
            assert secret not in m["text"], m


def area_of(h: Harness, ticket_id: int) -> str:
    """The area code a ticket is routed to."""
    area_id = h.ticket(ticket_id).area_id
    return str(h.query(lambda s: s.get(Area, area_id).code))


async def report_by_address(h: Harness, user: str, address: str, community: str) -> int:
    """File a ticket with a typed address and a chosen community; return its number."""
    await h.run(f"{user}: /report", f"{user}: [tap 其他]", f"{user}: 小区门口井盖丢失", f"{user}: [tap 跳过]")
    await h.run(f"{user}: {address}", f"{user}: [tap {community}]", f"{user}: {PHONE}")
    out = await h.say(f"{user}: [tap 确认提交]")
    return int(h.to(user, out)[0].split("#")[1].split("。")[0])


async def grab_at_once(h: Harness, lines: list[str]) -> list[dict[str, Any]]:
    """Run script lines concurrently on one app; return what was sent meanwhile."""
    start = len(h.transcript)
    await asyncio.gather(*(h.console.run_line(line) for line in lines))
    return h.transcript[start:]


async def test_card_in_the_grid_group_has_a_grab_button(h: Harness) -> None:
    """A new ticket's card in the grid's group shows category, description, area, tier and a 抢单 button."""
    await h.setup_grid()
    tid = await h.report()
    card = h.last("@siji1")
    assert card["text"] == (
        f"【新工单 #{tid}】大城管/道路破损\n春晗路**号门口人行道沉降破损约2平方米\n"
        "区域：四季社区 第一网格\n时限：简单\n提交时间：11月23日 09:00"
    )
    assert card["buttons"] == [texts.BTN_GRAB]


async def test_card_never_shows_phone_or_typed_address(h: Harness) -> None:
    """Phone and exact address go to nobody in the group, through the whole life of the ticket."""
    await h.say("admin@siji: /bind siji")
    await h.setup_grid()
    await h.say("r1: /start siji-1")  # a scanned code: the typed address needs no community choice
    tid = await h.report(location=ADDRESS, phone="138 0013 8000", category=("其他",))
    await h.run(f"w1: 抢单 {tid}", f"w1: 见面 {tid}", f"w1: 进展 {tid} 已联系物业", f"w1: 办结 {tid} 已修好")
    await h.run("r1: [tap 是]", "r1: [tap 满意]")
    assert h.ticket(tid).status == "closed"
    assert_no_private_data_in_groups(h)
    # ...while the handler did get them, privately.
    details = [t for t in h.to("w1") if t.startswith(f"工单 #{tid} 详情")]
    assert len(details) == 1 and PHONE in details[0] and ADDRESS in details[0]


async def test_phone_number_typed_into_the_description_is_masked_on_the_card(h: Harness) -> None:
    """A phone number written into the description is hidden on the group card, not from the handler."""
    await h.quick_grid()
    tid = await h.report(description="楼道灯坏了，联系我13912345678或0579-85123456", phone=None)
    card = h.last("@siji1")["text"]
    assert "13912345678" not in card and "85123456" not in card
    assert "楼道灯坏了，联系我" in card
    await h.say(f"w1: 抢单 {tid}")
    assert any("13912345678" in t for t in h.to("w1"))
    assert_no_private_data_in_groups(h, "13912345678", "85123456")


async def test_grid_without_group_goes_up_to_the_community_group(h: Harness) -> None:
    """A ticket in a grid with no bound group is posted to its community's group."""
    await h.run("w1: 你好", "admin@siji: /bind siji", "admin: /grant w1 worker siji-1")
    tid = await h.quick_report()
    assert h.last("@siji")["text"].startswith(f"【新工单 #{tid}】")
    out = await h.say("w1@siji: [tap 抢单]")
    assert h.ticket(tid).status == "claimed"
    assert h.to("w1", out)[-1] == texts.GRAB_WON.format(id=tid)


async def test_community_ticket_goes_to_the_community_group_else_the_subdistrict(h: Harness) -> None:
    """A ticket filed for a community goes to that community's group, or the subdistrict's group if none."""
    await h.run("admin@top: /bind beiyuan", "admin@danxi: /bind danxi")
    first = await report_by_address(h, "r1", "丹溪路1号", "丹溪社区")
    second = await report_by_address(h, "r2", "望道路2号", "望道社区")
    assert [(m["chat"], m["text"].splitlines()[0]) for m in h.group_messages()[2:]] == [
        ("@danxi", f"【新工单 #{first}】其他"),
        ("@top", f"【新工单 #{second}】其他"),
    ]
    assert "区域：望道社区" in h.last("@top")["text"]
    assert_no_private_data_in_groups(h, "丹溪路1号", "望道路2号")


async def test_nothing_bound_tells_the_admins(h: Harness) -> None:
    """When no group up the tree is bound, the admins over the area are told how to bind one."""
    await h.run("ca: 你好", "admin: /grant ca admin siji", "other: 你好", "admin: /grant other admin jingfa")
    tid = await h.quick_report()
    warning = texts.CARD_NO_CHAT.format(id=tid, area="四季社区 第一网格", code="siji-1")
    assert h.to("admin")[-1] == warning
    assert h.to("ca")[-1] == warning
    assert warning not in h.to("other")
    assert h.group_messages() == []


async def test_two_workers_tap_at_once_exactly_one_wins(h: Harness) -> None:
    """Two simultaneous 抢单 taps: one winner, one polite refusal, one card update, details to the winner."""
    await h.quick_grid()
    tid = await h.quick_report()
    out = await grab_at_once(h, ["w1@siji1: [tap 抢单]", "w2@siji1: [tap 抢单]"])
    t = h.ticket(tid)
    assert t.status == "claimed"
    winner = next(
        n for n in ("w1", "w2") if h.to(n, out) and h.to(n, out)[-1] == texts.GRAB_WON.format(id=tid)
    )
    loser = "w2" if winner == "w1" else "w1"
    assert h.to(loser, out) == [texts.ALREADY_CLAIMED.format(id=tid, handler=winner)]
    winner_texts = h.to(winner, out)
    assert (
        len(winner_texts) == 2
        and winner_texts[0].startswith(f"工单 #{tid} 详情")
        and PHONE in winner_texts[0]
    )
    updates = h.to("@siji1", out)
    assert len(updates) == 1 and f"办理人：{winner}" in updates[0] and "办理中" in updates[0]
    assert [m["buttons"] for m in out if m["chat"] == "@siji1"] == [[]]
    assert h.to("r1", out) == [
        texts.R_CLAIMED.format(id=tid, role="网格员", handler=winner, tier=texts.TIER["simple"], deadline=DUE)
    ]
    assert h.count(TicketEvent, TicketEvent.kind == "grabbed") == 1
    assert h.count(PointsEntry, PointsEntry.reason == "grab") == 1


async def test_twenty_workers_grab_at_once_exactly_one_wins(h: Harness) -> None:
    """Twenty simultaneous grabs: one winner, nineteen refusals naming the winner, one card update."""
    workers = tuple(f"g{i}" for i in range(20))
    await h.quick_grid(workers=workers)
    tid = await h.quick_report()
    out = await grab_at_once(h, [f"{w}@siji1: [tap 抢单]" for w in workers])
    t = h.ticket(tid)
    winner = next(w for w in workers if texts.GRAB_WON.format(id=tid) in h.to(w, out))
    refusal = texts.ALREADY_CLAIMED.format(id=tid, handler=winner)
    assert sum(h.to(w, out) == [refusal] for w in workers) == 19
    assert t.status == "claimed"
    assert len(h.to("@siji1", out)) == 1
    assert len(h.to("r1", out)) == 1
    assert h.count(TicketEvent, TicketEvent.kind == "grabbed") == 1
    assert h.count(PointsEntry) == 1


async def test_two_app_instances_on_one_database_one_winner(h: Harness, db_url: str) -> None:
    """Two App instances (processes) on one database: a simultaneous grab still has exactly one winner."""
    await h.quick_grid()
    tid = await h.quick_report()
    other = await Harness.create(db_url)
    try:
        start_a, start_b = len(h.transcript), len(other.transcript)
        await asyncio.gather(
            h.console.run_line("w1@siji1: [tap 抢单]"), other.console.run_line("w2@siji1: [tap 抢单]")
        )
        out = h.transcript[start_a:] + other.transcript[start_b:]
    finally:
        other.close()
    t = h.ticket(tid)
    assert t.status == "claimed"
    winner = "w1" if texts.GRAB_WON.format(id=tid) in h.to("w1", out) else "w2"
    loser = "w2" if winner == "w1" else "w1"
    assert texts.GRAB_WON.format(id=tid) in h.to(winner, out)
    assert h.to(loser, out) == [texts.ALREADY_CLAIMED.format(id=tid, handler=winner)]
    assert len(h.to("@siji1", out)) == 1
    assert len(h.to("r1", out)) == 1
    assert h.count(TicketEvent, TicketEvent.kind == "grabbed") == 1


async def test_grab_by_command_and_full_width_digits(h: Harness) -> None:
    """`抢单 １` with a full-width digit grabs, and the group hears who took it."""
    await h.quick_grid()
    tid = await h.quick_report()
    out = await h.say("w2@siji1: 抢单 １")
    assert h.ticket(tid).handler_id is not None
    assert h.to("@siji1", out)[-1] == texts.GRAB_WON.format(id=tid)
    assert "办理人：w2" in h.to("@siji1", out)[0]


async def test_late_tap_on_a_taken_ticket_is_refused(h: Harness) -> None:
    """Tapping 抢单 after someone has the ticket is refused politely and changes nothing."""
    await h.quick_grid()
    tid = await h.quick_report()
    await h.say("w1@siji1: [tap 抢单]")
    out = await h.say("w2@siji1: [tap 抢单]")
    assert out == [
        {
            "chat": "w2",
            "text": texts.ALREADY_CLAIMED.format(id=tid, handler="w1"),
            "buttons": [],
            "photo": None,
        }
    ]
    out = await h.say("w1@siji1: [tap 抢单]")  # the winner taps again: it is his, nobody was faster
    assert h.to("w1", out) == [texts.ALREADY_YOURS.format(id=tid)]
    assert h.events(tid) == ["created", "grabbed"]


async def test_grab_outside_scope_or_without_role_is_refused(h: Harness) -> None:
    """A worker of another grid, or a resident, cannot grab; the ticket stays open."""
    await h.quick_grid()
    await h.run("far: 你好", "admin: /grant far worker jingfa-1")
    tid = await h.quick_report()
    out = await h.say(f"far: 抢单 {tid}")
    assert h.to("far", out) == [texts.NOT_IN_SCOPE.format(id=tid)]
    out = await h.say("r2@siji1: [tap 抢单]")
    assert h.to("r2", out) == [texts.NOT_STAFF]
    assert h.ticket(tid).status == "open"
    assert h.events(tid) == ["created"]


async def test_community_worker_can_grab_tickets_of_its_grids(h: Harness) -> None:
    """A worker granted a whole community may grab tickets of any of its grids."""
    await h.quick_grid(workers=())
    await h.run("cw: 你好", "admin: /grant cw worker siji")
    tid = await h.quick_report(location=(29.3480, 120.0800))
    assert area_of(h, tid) == "siji-2"
    await h.say(f"cw: 抢单 {tid}")
    assert h.ticket(tid).status == "claimed"
    other = await h.quick_report("r2", location=(29.3352, 120.0948))
    assert h.to("cw", await h.say(f"cw: 抢单 {other}")) == [texts.NOT_IN_SCOPE.format(id=other)]


async def test_grid_worker_can_grab_a_community_level_ticket(h: Harness) -> None:
    """A ticket filed for a whole community (typed address) may be grabbed by a worker of one of its grids."""
    await h.quick_grid()
    await h.run("r1: /report", "r1: [tap 其他]", "r1: 小区门口井盖丢失", "r1: [tap 跳过]", "r1: 春晗路1号")
    await h.run("r1: [tap 四季社区]", "r1: [tap 跳过]", "r1: [tap 确认提交]")
    assert h.to("admin")[-1].startswith("工单 #1（四季社区）没有绑定的群")
    await h.say("w1: 抢单 1")
    assert h.ticket(1).status == "claimed"


async def test_grabbing_ones_own_ticket_again_says_it_is_already_his(h: Harness) -> None:
    """w1 taps 抢单 again on the ticket he holds: told it is his, not 手慢了…已被 w1 抢单; nothing changes."""
    tid = await h.quick_claimed()
    events = h.events(tid)
    out = await h.say(f"w1: 抢单 {tid}")
    assert h.to("w1", out) == [texts.ALREADY_YOURS.format(id=tid)]
    result, out = await h.send("w1", payload=f"grab:{tid}")
    assert result.alert == texts.ALREADY_YOURS.format(id=tid) and out == []
    assert h.events(tid) == events and h.ticket(tid).status == "claimed"
