"""How the bot behaves among neighbours in a group, and small courtesies around 办结 and deep links."""

from __future__ import annotations

from pathlib import Path

import pytest

from handlers import texts
from models.tables import TicketEvent

from .harness import Harness, write_png

pytestmark = pytest.mark.usefixtures("group_privacy")


async def test_everyday_words_in_group_from_residents_get_no_reply(h: Harness) -> None:
    """A neighbour saying 统计, 取消 or 积分 in a grid group is not answered as if it were a command."""
    await h.quick_grid()
    out = await h.run("r1@siji1: 统计一下今天谁值班", "r1@siji1: 取消", "r1@siji1: 积分", "r1@siji1: 查询 1")
    assert out == []


async def test_staff_aliases_still_work_in_group(h: Harness) -> None:
    """A worker's 抢单 12 typed in the group still grabs the ticket."""
    await h.quick_grid()
    tid = await h.quick_report()
    out = await h.say(f"w1@siji1: 抢单 {tid}")
    assert h.ticket(tid).handler_id is not None
    assert texts.GRAB_WON.format(id=tid) in h.to("@siji1", out)


async def test_slash_commands_from_residents_in_group_are_still_answered(h: Harness) -> None:
    """A resident who types /stats in a group is told it is for admins, as in private."""
    await h.quick_grid()
    out = await h.say("r1@siji1: /stats")
    assert h.to("@siji1", out) == [texts.NOT_ADMIN]


async def test_my_tickets_in_group_answers_privately_only(h: Harness) -> None:
    """/my in a group lists the resident's tickets in their private chat; the group gets a short note."""
    await h.quick_grid()
    await h.quick_report()
    out = await h.say("r1@siji1: /my")
    assert h.to("@siji1", out) == [texts.GROUP_ANSWERED_PRIVATELY.format(name="r1")]
    assert h.to("r1", out)[0].startswith(texts.MY_HEADER) and "#1" in h.to("r1", out)[0]


async def test_cancel_after_resolve_stops_waiting_for_the_photo(h: Harness, tmp_path: Path) -> None:
    """/cancel after 办结 ends the wait for a result photo; a later photo is not attached."""
    await h.quick_grid()
    tid = await h.quick_claimed()
    await h.say(f"w1: 办结 {tid} 已修复")
    out = await h.say("w1: /cancel")
    assert h.to("w1", out) == [texts.RESULT_PHOTO_CANCELLED]
    await h.say(f"w1: [photo {write_png(tmp_path / 'after.png')}]")
    assert h.count(TicketEvent, TicketEvent.kind == "result_photo") == 0
    assert h.ticket(tid).resolution_photo is None


async def test_community_deep_link_names_the_community(h: Harness) -> None:
    """A QR code for a community says the community was filled in, not a grid."""
    out = await h.say("r1: /start siji")
    assert out[0]["text"].startswith("已根据您扫码的位置确定社区：四季社区。")


async def test_stats_speaks_of_the_resident_in_the_third_person(h: Harness) -> None:
    """An admin's /stats calls a resolved ticket 待居民确认, not 待您确认 as the resident's view does."""
    await h.quick_grid()
    await h.quick_resolved()
    out = await h.say("admin: /stats")
    assert "已办结，待居民确认 1" in h.to("admin", out)[0]
    assert "待您确认" not in h.to("admin", out)[0]


async def test_status_of_a_resolved_ticket_in_a_group_asks_the_question_privately(h: Harness) -> None:
    """/status in a group: the trail and the 是/否 buttons go to the resident, the group gets a note."""
    tid = await h.quick_resolved()
    out = await h.say(f"r1@siji1: /status {tid}")
    group = [m for m in out if m["chat"] == "@siji1"]
    assert [m["text"] for m in group] == [texts.GROUP_ANSWERED_PRIVATELY.format(name="r1")]
    assert all(not m["buttons"] for m in group)
    private = [m for m in out if m["chat"] == "r1"]
    assert private[0]["text"].startswith(f"工单 #{tid}\n") and "已修复" in private[0]["text"]
    assert [m["buttons"] for m in private[1:]] == [["是", "否"]]


async def test_personal_command_in_a_group_without_a_private_chat_gets_only_a_note(h: Harness) -> None:
    """Someone who never wrote to the bot privately gets, in the group, only the request to do so."""
    await h.quick_grid()
    tid = await h.quick_report()
    for line in (f"r9@siji1: /status {tid}", "r9@siji1: /my", "r9@siji1: /withdraw 1", "r9@siji1: /points"):
        out = await h.say(line)
        assert [(m["chat"], m["text"]) for m in out] == [
            ("@siji1", texts.GROUP_ASK_PRIVATE.format(name="r9"))
        ], line


async def test_refusal_of_a_personal_command_in_a_group_goes_private(h: Harness) -> None:
    """A refused /withdraw sent in a group is explained in private; the group reads only the note."""
    await h.quick_grid()
    tid = await h.quick_report()
    await h.say("r2: 你好")
    out = await h.say(f"r2@siji1: /withdraw {tid}")
    assert h.to("@siji1", out) == [texts.GROUP_ANSWERED_PRIVATELY.format(name="r2")]
    assert len(h.to("r2", out)) == 1
    assert h.ticket(tid).status == "open"


async def test_my_tickets_typed_in_a_group_is_answered_privately(h: Harness) -> None:
    """我的工单 typed (no slash) by a resident in a group: the list in private, the note in the group."""
    await h.quick_grid()
    await h.quick_report()
    out = await h.say("r1@siji1: 我的工单")
    assert h.to("@siji1", out) == [texts.GROUP_ANSWERED_PRIVATELY.format(name="r1")]
    assert h.to("r1", out)[0].startswith(texts.MY_HEADER)


async def test_a_followup_answer_typed_in_a_group_is_neither_taken_nor_asked_there(h: Harness) -> None:
    """是的 in a group is neighbours' talk: the 双是 question is not answered by it nor asked in the group."""
    tid = await h.quick_resolved()
    out = await h.run("r1@siji1: 是的", "r1@siji1: 解决了")
    assert out == []
    assert h.ticket(tid).status == "resolved" and h.ticket(tid).followup_stage == 1


async def test_ledger_detail_in_a_group_goes_to_the_private_chat(h: Harness) -> None:
    """我的积分 明细 in the grid group: the rows in private (they name tickets), a note in the group."""
    tid = await h.quick_claimed()
    out = await h.say("w1@siji1: 我的积分 明细")
    assert h.to("@siji1", out) == [texts.GROUP_ANSWERED_PRIVATELY.format(name="w1")]
    assert f"工单 #{tid}" in h.to("w1", out)[0]
