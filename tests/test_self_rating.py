"""Nobody rates their own work; a 代办 resident's follow-up is a phone call by an admin."""

from __future__ import annotations

from datetime import timedelta

import pytest
from sqlalchemy import select

from handlers import texts
from models.tables import Person, TicketEvent

from .harness import Harness

pytestmark = pytest.mark.usefixtures("group_privacy")


async def proxy_resolved(h: Harness) -> int:
    """w2 files for 李大爷 by phone, w1 grabs and resolves it; return its number."""
    await h.quick_grid()
    await h.run("w2: /proxy", "w2: 李大爷", "w2: [tap 电话]", "w2: [tap 其他]", "w2: 楼道灯坏了一个月")
    await h.run("w2: [tap 跳过]", "w2: [location 29.3451,120.0752]", "w2: 13700137000", "w2: [tap 确认提交]")
    await h.run("w1: 抢单 1", "w1: 办结 1 已更换灯泡")
    assert h.ticket(1).status == "resolved"
    return 1


async def test_the_filer_of_a_proxy_ticket_gets_no_buttons_and_cannot_answer(h: Harness) -> None:
    """The staff member who filed is told it is done; pressing 是 anyway is refused and changes nothing."""
    tid = await proxy_resolved(h)
    told = h.to("w2")[-1]
    assert told == texts.PROXY_RESOLVED.format(id=tid, note="已更换灯泡")
    assert h.last("w2")["buttons"] == []
    result, out = await h.send("w2", payload=f"fu1:{tid}:y")
    assert (result.alert, out) == (texts.SELF_RATING.format(id=tid), [])
    assert h.ticket(tid).status == "resolved" and h.ticket(tid).followup_stage == 1


async def test_the_handler_cannot_answer_his_own_ticket(h: Harness) -> None:
    """The handler pressing 是 on a resident's ticket is refused (the ticket is not his to answer)."""
    tid = await h.resolved()
    result, out = await h.send("w1", payload=f"fu1:{tid}:y")
    assert (result.alert, out) == (texts.NOT_FOUND.format(id=tid), [])
    assert h.ticket(tid).status == "resolved" and h.ticket(tid).followup_stage == 1
    result, out = await h.send("w1", payload=f"pfu1:{tid}:y")
    assert (result.alert, out) == (texts.NOT_ADMIN, [])
    assert h.ticket(tid).status == "resolved"


async def test_an_admin_records_the_phone_follow_up_and_is_named_as_actor(h: Harness) -> None:
    """The admin gets 请电话回访 with 是/否 then 满意/不满意; the answers close the ticket 双是, by phone."""
    tid = await proxy_resolved(h)
    task = h.to("admin")[-1]
    assert task.startswith(f"请电话回访 #{tid}（李大爷 13700137000）：问题解决了吗？")
    assert h.last("admin")["buttons"] == [texts.BTN_YES, texts.BTN_NO]
    out = await h.say("admin: [tap 是]")
    said = h.to("admin", out)
    assert said[0].startswith(f"请电话回访 #{tid}（李大爷 13700137000）：对这次办理满意吗？")
    assert said[1] == texts.PHONE_FOLLOWUP_RECORDED.format(id=tid, answer="是")
    assert next(m["buttons"] for m in out if m["chat"] == "admin") == [
        texts.BTN_SATISFIED,
        texts.BTN_UNSATISFIED,
    ]
    await h.say("admin: [tap 满意]")
    t = h.ticket(tid)
    assert (t.status, t.rating) == ("closed", "double_yes")

    def phone_actors(s: object) -> list[str]:
        rows = s.execute(  # type: ignore[attr-defined]
            select(Person.external_id, TicketEvent.note)
            .join(Person, Person.id == TicketEvent.actor_id)
            .where(TicketEvent.ticket_id == tid, TicketEvent.kind == "phone_followup")
            .order_by(TicketEvent.id)
        )
        return [f"{who}:{note}" for who, note in rows]

    assert h.query(phone_actors) == ["admin:1:y", "admin:2:y"]
    out = await h.say("admin: /stats")
    assert texts.STATS_PHONE_FOLLOWUPS.format(count=1) in h.to("admin", out)[0]


async def test_a_worker_cannot_record_a_phone_follow_up(h: Harness) -> None:
    """The phone buttons are an admin's: a worker forging one is refused, nothing changes."""
    tid = await proxy_resolved(h)
    result, out = await h.send("w1", payload=f"pfu1:{tid}:y")
    assert (result.alert, out) == (texts.NOT_ADMIN, [])
    assert h.ticket(tid).status == "resolved"


async def test_a_worker_who_filed_and_handles_his_own_proxy_cannot_rate_it(h: Harness) -> None:
    """w1 files for 王阿姨, grabs, resolves: his 是 is refused; the admin is asked to phone instead."""
    await h.quick_grid()
    await h.run("w1: /proxy", "w1: 王阿姨", "w1: [tap 来访]", "w1: [tap 其他]", "w1: 楼道灯坏了一个月")
    await h.run("w1: [tap 跳过]", "w1: [location 29.3451,120.0752]", "w1: 13700137000", "w1: [tap 确认提交]")
    await h.run("w1: 抢单 1", "w1: 办结 1 已更换灯泡")
    for payload in ("fu1:1:y", "fu2:1:y", "pfu1:1:y"):
        result, out = await h.send("w1", payload=payload)
        assert out == [] and result.alert is not None, payload
    assert h.ticket(1).status == "resolved"
    assert h.to("admin")[-1].startswith("请电话回访 #1（王阿姨 13700137000）")


async def test_revoking_a_worker_returns_his_open_tickets_to_the_pool(h: Harness) -> None:
    """/revoke w1: his claimed ticket is open again, re-posted with 抢单, the resident and admin told."""
    tid = await h.claimed()
    out = await h.say("admin: /revoke w1 worker siji-1")
    assert texts.REVOKE_MOVED.format(ids=f"#{tid}") in h.to("admin", out)
    t = h.ticket(tid)
    assert (t.status, t.handler_id, t.due_at) == ("open", None, None)
    assert h.to("r1", out) == [texts.R_RELEASED.format(id=tid)]
    reposts = [m for m in out if m["chat"] == "@siji1" and str(m["text"]).startswith("【重新派单】")]
    assert len(reposts) == 1 and reposts[0]["buttons"] == [texts.BTN_GRAB]
    assert h.events(tid)[-1] == "released"
    await h.say(f"w2: 抢单 {tid}")
    assert h.ticket(tid).status == "claimed" and h.ticket(tid).due_at is not None


async def test_a_resident_following_a_proxy_ticket_gets_their_own_followup(h: Harness) -> None:
    """r2 follows a 代办 ticket: at 办结 he gets his own 解决了吗 (not the filer's notice) and answers it."""
    await h.quick_grid()
    await h.run("w2: /proxy", "w2: 李大爷", "w2: [tap 电话]", "w2: [tap 其他]", "w2: 楼道灯坏了一个月")
    await h.run("w2: [tap 跳过]", "w2: [location 29.3451,120.0752]", "w2: 13700137000", "w2: [tap 确认提交]")
    await h.run("r2: /report", "r2: [tap 其他]", "r2: 楼道灯坏了好久了没人修", "r2: [tap 跳过]")
    await h.run("r2: [location 29.3451,120.0752]", "r2: [tap 跳过]")
    await h.say("r2: [tap 是，关注 #1]")
    out = await h.run("w1: 抢单 1", "w1: 办结 1 已更换灯泡")
    assert h.to("r2", out)[-1] == texts.R_RESOLVED.format(id=1, note="已更换灯泡")
    assert texts.PROXY_RESOLVED.format(id=1, note="已更换灯泡") not in h.to("r2", out)
    assert h.last("r2")["buttons"] == [texts.BTN_YES, texts.BTN_NO]
    assert h.to("w2", out)[-1] == texts.PROXY_RESOLVED.format(id=1, note="已更换灯泡")
    assert h.to("admin", out)[-1].startswith("请电话回访 #1（李大爷 13700137000）")
    out = await h.say("r2: [tap 是]")
    assert h.to("r2", out) == [texts.R_ASK_SATISFIED]
    assert h.ticket(1).status == "resolved"  # the resident's own answer comes by phone


async def test_when_every_admin_worked_on_a_proxy_ticket_they_hear_nobody_can_phone(h: Harness) -> None:
    """The only admin filed the 代办 and closed it on the worker's behalf: he is told why no 回访 comes."""
    await h.quick_grid()
    await h.run(
        "admin: /proxy", "admin: 李大爷", "admin: [tap 电话]", "admin: [tap 其他]", "admin: 楼道灯坏了一个月"
    )
    await h.run("admin: [tap 跳过]", "admin: [location 29.3451,120.0752]", "admin: 13700137000")
    await h.say("admin: [tap 确认提交]")
    out = await h.run("w1: 抢单 1", "admin: /close 1 已更换灯泡")
    told = h.to("admin", out)
    assert not any(t.startswith("请电话回访") for t in told)
    closes = "11月26日 09:00"  # resolved at 09:00 on the 23rd (fake clock), closed unrated 3 days later
    assert texts.PHONE_FOLLOWUP_NOBODY.format(id=1, name="李大爷", phone="13700137000", closes=closes) in told


async def self_handled(h: Harness) -> int:
    """w1 reports a problem himself through the wizard, grabs it and resolves it; return its number."""
    await h.setup_grid()
    tid = await h.report("w1")
    await h.say(f"w1: 抢单 {tid}")
    await h.say(f"w1: 办结 {tid} 已修复")
    assert h.ticket(tid).status == "resolved"
    return tid


async def test_a_worker_who_handles_his_own_report_does_not_answer_its_follow_up(h: Harness) -> None:
    """Filer and handler are one person: an admin who did neither gets the 回访, not the worker."""
    tid = await self_handled(h)
    assert h.last("w1")["buttons"] == []
    assert texts.SELF_RESOLVED.format(id=tid, note="已修复") in h.to("w1")
    assert h.to("admin")[-1].startswith(f"请回访核实 #{tid}")
    result, out = await h.send("w1", payload=f"fu1:{tid}:y")
    assert result.alert == texts.SELF_RATING.format(id=tid) and out == []
    assert h.ticket(tid).status == "resolved"


async def test_self_handled_points_wait_for_the_admins_follow_up(h: Harness) -> None:
    """Nobody answers: the ticket closes unrated and its handler earns nothing for it."""
    tid = await self_handled(h)
    before = [row for row in h.ledger() if row[1] == "close"]
    await h.advance(timedelta(days=8))
    assert h.ticket(tid).status == "closed" and h.ticket(tid).rating == "unrated"
    assert [row for row in h.ledger() if row[1] in ("close", "double_yes")] == before == []


async def test_self_handled_ticket_pays_after_the_admin_confirms(h: Harness) -> None:
    """The admin's 是 and 满意 close it 双是, and only then are the closing points paid."""
    tid = await self_handled(h)
    await h.say("admin: [tap 是]")
    await h.say("admin: [tap 满意]")
    assert (h.ticket(tid).status, h.ticket(tid).rating) == ("closed", "double_yes")
    assert {row[1] for row in h.ledger() if row[0] == "w1"} >= {"close", "double_yes"}
