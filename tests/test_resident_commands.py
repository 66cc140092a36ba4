"""/my, /status, /withdraw and their Chinese aliases."""

from __future__ import annotations

import pytest

from handlers import commands, texts
from handlers.spec import Who
from models.tables import Outbox, TicketEvent

from .harness import Harness

# Whatever else each test checks, no group message may carry a phone number.
pytestmark = pytest.mark.usefixtures("group_privacy")


async def test_my_lists_only_my_tickets_newest_first(h: Harness) -> None:
    """/my (我的工单) lists the resident's own tickets, newest first, with their status."""
    await h.quick_grid()
    first = await h.quick_report("r1")
    await h.quick_report("r2")
    third = await h.quick_report("r1", category="dispute", description="楼上邻居夜里装修")
    await h.say(f"w1: 抢单 {first}")
    for line in ("r1: /my", "r1: 我的工单"):
        out = await h.say(line)
        assert h.to("r1", out) == [
            "\n".join(
                [
                    texts.MY_HEADER,
                    f"#{third} 矛盾纠纷 · 待接单 · 11月23日 09:00",
                    f"#{first} 大城管/道路破损 · 办理中 · 11月23日 09:00",
                ]
            )
        ]
    assert h.to("r3", await h.say("r3: /my")) == [texts.MY_EMPTY]


async def test_status_shows_my_ticket_with_handler_due_and_history(h: Harness) -> None:
    """/status ID shows the resident's ticket: status, tier, handler, deadline and what happened so far."""
    tid = await h.quick_claimed()
    await h.say(f"w1: 进展 {tid} 已联系施工队")
    out = await h.say(f"r1: /status {tid}")
    assert h.to("r1", out) == [
        f"工单 #{tid}\n类别：大城管/道路破损\n状态：办理中\n时限：简单事项（1天内办结）\n提交：11月23日 09:00"
        "\n办理人：w1\n截止：11月24日 09:00\n进展：\n11月23日 09:00 已受理\n11月23日 09:00 网格员接单"
        "\n11月23日 09:00 进展：已联系施工队"
    ]


async def test_status_of_someone_elses_ticket_is_not_found(h: Harness) -> None:
    """Another resident's ticket answers exactly like a ticket that does not exist."""
    await h.quick_grid()
    tid = await h.quick_report("r1")
    theirs = h.to("r2", await h.say(f"r2: /status {tid}"))
    missing = h.to("r2", await h.say("r2: /status 4242"))
    assert theirs == [texts.NOT_FOUND.format(id=tid)]
    assert missing == [texts.NOT_FOUND.format(id=4242)]


async def test_status_aliases_and_full_width_forms(h: Harness) -> None:
    """查询 1, ／ｓｔａｔｕｓ　１ and /status #1 all show ticket 1."""
    await h.quick_grid()
    tid = await h.quick_report("r1")
    for line in (
        f"r1: 查询 {tid}",
        "r1: ／ｓｔａｔｕｓ　１",
        f"r1: /status #{tid}",
        f"r1: /status@jiesu_bot {tid}",
    ):
        out = await h.say(line)
        assert h.to("r1", out)[0].startswith(f"工单 #{tid}\n类别：大城管/道路破损"), line


async def test_status_without_or_with_a_malformed_id(h: Harness) -> None:
    """/status without an id, or with one that is not a number, gets the usage line."""
    usage = texts.USAGE.format(usage="/status 编号")
    for line in ("r1: /status", "r1: /status abc", "r1: /status -1", "r1: /status 1234567890123"):
        assert h.to("r1", await h.say(line)) == [usage], line


async def test_withdraw_my_open_ticket(h: Harness) -> None:
    """/withdraw ID takes back an open ticket: the card says so, an event is written, the resident is told."""
    await h.quick_grid()
    tid = await h.quick_report()
    out = await h.say(f"r1: /withdraw {tid}")
    assert h.to("r1", out) == [texts.WITHDRAW_CONFIRMED.format(id=tid)]
    assert h.to("@siji1", out)[0].startswith(f"【工单 #{tid} · 已撤回】")
    assert h.ticket(tid).status == "withdrawn"
    assert h.events(tid) == ["created", "withdrawn"]


async def test_withdraw_claimed_ticket_tells_the_handler(h: Harness) -> None:
    """Withdrawing a ticket someone is handling tells that worker to stop (撤回 alias)."""
    tid = await h.quick_claimed()
    out = await h.say(f"r1: 撤回 {tid}")
    assert h.to("w1", out) == [texts.W_WITHDRAWN.format(id=tid)]
    assert h.ticket(tid).status == "withdrawn"


async def test_withdraw_refusals(h: Harness) -> None:
    """Someone else's ticket is 'not found'; a resolved or already withdrawn one cannot be withdrawn."""
    tid = await h.quick_resolved()
    events, rows = h.count(TicketEvent), h.count(Outbox)
    assert h.to("r2", await h.say(f"r2: /withdraw {tid}")) == [texts.NOT_FOUND.format(id=tid)]
    out = await h.say(f"r1: /withdraw {tid}")
    assert h.to("r1", out) == [
        texts.ALREADY_DONE.format(
            id=tid, who="w1", done=texts.DONE["resolved"], status=texts.STATUS["resolved"]
        )
    ]
    assert h.to("r1", await h.say("r1: /withdraw")) == [texts.USAGE.format(usage="/withdraw 编号")]
    assert h.ticket(tid).status == "resolved"
    assert h.count(TicketEvent) == events
    assert h.count(Outbox) == rows + 3  # only the three refusals
    other = await h.quick_report("r3")
    await h.say(f"r3: /withdraw {other}")
    out = await h.say(f"r3: /withdraw {other}")
    assert h.to("r3", out) == [texts.NOT_OPEN.format(id=other, status=texts.STATUS["withdrawn"])]


async def test_help_lists_each_command_a_role_may_use_and_only_those(h: Harness) -> None:
    """/help lists each command a resident may use; a worker sees his too, an admin also the admins'."""
    await h.quick_grid()
    roles = {"r1": {Who.RESIDENT}, "w1": {Who.RESIDENT, Who.WORKER}, "admin": set(Who)}
    for person, asked in (("r1", "/help"), ("w1", "帮助"), ("admin", "/help")):
        lines = h.to(person, await h.say(f"{person}: {asked}"))[0].split("\n")
        for spec in commands.SPECS:
            line = texts.HELP_LINE.format(usage=spec.usage, help=spec.help)
            assert (line in lines) == (spec.who in roles[person]), (person, spec.name)
        assert [texts.HELP_HEAD[who] in lines for who in Who] == [who in roles[person] for who in Who]
