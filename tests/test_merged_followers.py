"""A merged ticket's residents follow the survivor (notices, own 双是, 三率, one bonus)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session

from handlers import texts
from handlers.payloads import FollowerSolved, FollowupSolved, unpack
from models.outbox import latest_buttons
from models.tables import Person, TicketFollower

from .harness import Harness

pytestmark = pytest.mark.usefixtures("group_privacy")


def following(h: Harness, ticket_id: int) -> list[str]:
    """The user ids following a ticket."""

    def read(s: Session) -> list[str]:
        rows = s.scalars(
            select(Person.external_id)
            .join(TicketFollower, TicketFollower.person_id == Person.id)
            .where(TicketFollower.ticket_id == ticket_id)
            .order_by(Person.external_id)
        )
        return list(rows)

    return h.query(read)  # type: ignore[no-any-return]


def presses(h: Harness, chat: str) -> list[object]:
    """The typed presses behind the buttons of the newest message with buttons in a chat."""
    return [unpack(b.payload) for b in h.query(lambda s: latest_buttons(s, "console", chat))]


async def merged_pair(h: Harness) -> tuple[int, int]:
    """#keep filed by r1 and grabbed by w1; #dup filed by r2, merged into it by the admin."""
    keep = await h.quick_claimed()
    dup = await h.quick_report("r2", description="春晗路12号人行道坏了")
    out = await h.say(f"admin: /merge {dup} {keep}")
    assert h.to("r2", out) == [texts.R_MERGED_FOLLOWING.format(id=dup, into=keep)]
    return keep, dup


async def test_merged_resident_hears_every_later_notice(h: Harness) -> None:
    """Progress, escalation and resolution of the survivor reach the merged ticket's resident too."""
    keep, _ = await merged_pair(h)
    assert following(h, keep) == ["r2"]
    out = await h.say(f"w1: 进展 {keep} 明天施工")
    assert h.to("r2", out) == h.to("r1", out) == [texts.R_NOTE.format(id=keep, note="明天施工")]
    out = await h.advance(timedelta(days=1, hours=1))  # the one-day deadline passes
    told = [t for t in h.to("r1", out) if t.startswith(f"工单 #{keep} 未能在时限内办结")]
    assert told and [t for t in h.to("r2", out) if t in told] == told
    out = await h.say(f"w1: 办结 {keep} 已修复")
    assert h.to("r2", out) == h.to("r1", out) == [texts.R_RESOLVED.format(id=keep, note="已修复")]


async def test_each_resident_answers_their_own_followup_and_the_bonus_is_paid_once(h: Harness) -> None:
    """r1 gets the ticket's 是/否, r2 their own; both answer 双是; w1 earns the 双是 bonus once."""
    keep, _ = await merged_pair(h)
    out = await h.say(f"w1: 办结 {keep} 已修复")
    r1 = [m for m in out if m["chat"] == "r1"][-1]
    r2 = [m for m in out if m["chat"] == "r2"][-1]
    assert r1["buttons"] == r2["buttons"] == [texts.BTN_YES, texts.BTN_NO]
    assert presses(h, "r1") == [FollowupSolved(keep, True), FollowupSolved(keep, False)]
    assert presses(h, "r2") == [FollowerSolved(keep, True), FollowerSolved(keep, False)]
    out = await h.run("r2: [tap 是]", "r2: [tap 满意]")
    assert h.to("r2", out) == [texts.R_ASK_SATISFIED, texts.FOLLOWER_THANKS.format(id=keep)]
    assert h.ticket(keep).status == "resolved"  # a follower's answer never closes the ticket
    await h.run("r1: [tap 是]", "r1: [tap 满意]")
    assert h.ticket(keep).status == "closed"
    assert h.ledger() == [("w1", "grab", 2), ("w1", "close", 10), ("w1", "double_yes", 20)]


async def test_each_answer_counts_once_in_the_satisfaction_rate(h: Harness) -> None:
    """r1 双是, merged r2 不满意, merged r3 否: three answers, one of them 双是."""
    keep, _ = await merged_pair(h)
    third = await h.quick_report("r3", description="人行道塌了")
    await h.say(f"admin: /merge {third} {keep}")
    await h.run(f"w1: 办结 {keep} 已修复", "r2: 是", "r2: 不满意", "r3: 否", "r1: 是", "r1: 满意")
    shown = h.to("admin", await h.say("admin: /stats"))[0]
    assert "工单总数 3\n" in shown and "满意率 33.3%" in shown


async def test_stats_without_follower_answers_keep_the_tickets_rate(h: Harness) -> None:
    """Followers who have not answered do not move the rate: r1's 双是 alone is 100%."""
    keep, _ = await merged_pair(h)
    await h.run(f"w1: 办结 {keep} 已修复", "r1: 是", "r1: 满意")
    assert "满意率 100.0%" in h.to("admin", await h.say("admin: /stats"))[0]


async def test_a_merged_tickets_followers_follow_the_survivor_too(h: Harness) -> None:
    """#c (r3) merged into #b (r2), then #b into #a (r1): r2 and r3 both follow #a and get its question."""
    a = await h.quick_claimed()
    b = await h.quick_report("r2", description="人行道坏了")
    c = await h.quick_report("r3", description="人行道又坏了")
    await h.run(f"admin: /merge {c} {b}", f"admin: /merge {b} {a}")
    assert following(h, a) == ["r2", "r3"]
    out = await h.say(f"w1: 办结 {a} 已修复")
    assert h.to("r2", out) == h.to("r3", out) == [texts.R_RESOLVED.format(id=a, note="已修复")]


async def test_merged_into_a_resolved_ticket_the_resident_is_asked_at_once(h: Harness) -> None:
    """The survivor already waits for its 双是: the merged resident gets their own question with the merge."""
    keep = await h.quick_resolved()
    dup = await h.quick_report("r2", description="人行道坏了")
    out = await h.say(f"admin: /merge {dup} {keep}")
    assert h.to("r2", out) == [
        texts.R_MERGED_FOLLOWING.format(id=dup, into=keep),
        texts.R_RESOLVED.format(id=keep, note="已修复"),
    ]
    out = await h.run("r2: 是", "r2: 满意")
    assert h.to("r2", out)[-1] == texts.FOLLOWER_THANKS.format(id=keep)


async def test_the_survivors_own_resident_is_not_made_a_follower(h: Harness) -> None:
    """r1 filed both: merging one into the other leaves r1 the resident only, told as before."""
    keep = await h.quick_claimed()
    dup = await h.quick_report("r1", description="人行道坏了")
    out = await h.say(f"admin: /merge {dup} {keep}")
    assert h.to("r1", out) == [texts.R_MERGED.format(id=dup, into=keep)]
    assert following(h, keep) == []
    out = await h.say(f"w1: 办结 {keep} 已修复")
    assert h.to("r1", out) == [texts.R_RESOLVED.format(id=keep, note="已修复")]


async def test_a_follower_who_never_answered_is_not_thanked_for_confirming(h: Harness) -> None:
    """r1's 双是 closes the ticket: r1 is thanked, the silent follower r2 only hears it is closed."""
    keep, _ = await merged_pair(h)
    await h.say(f"w1: 办结 {keep} 已修复")
    out = await h.run("r1: [tap 是]", "r1: [tap 满意]")
    assert h.to("r1", out)[-1] == texts.R_CLOSED_DOUBLE_YES.format(id=keep)
    assert h.to("r2", out) == [texts.R_CLOSED_FOLLOWED.format(id=keep)]
