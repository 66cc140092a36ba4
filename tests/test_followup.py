"""The follow-up questions (回访): 双是 closes, 不满意 closes, 否 reopens."""

from __future__ import annotations

import pytest

from handlers import texts
from models.tables import Outbox, PointsEntry, TicketEvent

from .harness import Harness

# Whatever else each test checks, no group message may carry a phone number.
pytestmark = pytest.mark.usefixtures("group_privacy")


async def test_yes_and_satisfied_close_the_ticket_double_yes(h: Harness) -> None:
    """是 then 满意 closes the ticket as 双是, thanks the resident and tells the handler the points."""
    tid = await h.quick_resolved()
    out = await h.say("r1: [tap 是]")
    assert out == [
        {
            "chat": "r1",
            "text": texts.R_ASK_SATISFIED,
            "buttons": [texts.BTN_SATISFIED, texts.BTN_UNSATISFIED],
            "photo": None,
        }
    ]
    out = await h.say("r1: [tap 满意]")
    t = h.ticket(tid)
    assert (t.status, t.rating, t.closed_at) == ("closed", "double_yes", h.clock.now())
    assert h.to("r1", out) == [texts.R_CLOSED_DOUBLE_YES.format(id=tid)]
    assert h.to("w1", out) == [texts.W_CLOSED.format(id=tid, rating=texts.RATING["double_yes"], points=30)]
    assert h.to("@siji1", out)[0].startswith(f"【工单 #{tid} · 已销号】")
    assert h.events(tid)[-2:] == ["confirmed_resolved", "closed"]


async def test_yes_but_unsatisfied_closes_without_the_bonus(h: Harness) -> None:
    """是 then 不满意 closes the ticket as unsatisfied: the resident hears it was recorded; no 双是 bonus."""
    tid = await h.quick_resolved()
    out = await h.run("r1: [tap 是]", "r1: [tap 不满意]")
    t = h.ticket(tid)
    assert (t.status, t.rating) == ("closed", "unsatisfied")
    assert h.to("r1", out)[-1] == texts.R_CLOSED_UNSATISFIED.format(id=tid)
    assert h.to("w1", out) == [texts.W_CLOSED.format(id=tid, rating=texts.RATING["unsatisfied"], points=10)]
    assert h.count(PointsEntry, PointsEntry.reason == "double_yes") == 0


async def test_no_reopens_to_the_same_worker_and_tells_both(h: Harness) -> None:
    """否 sends the ticket back to the same worker with a fresh window, and says so to resident and worker."""
    tid = await h.quick_resolved()
    h.clock.advance(h.clock.now().replace(hour=3) - h.clock.now())  # two hours later
    out = await h.say("r1: [tap 否]")
    t = h.ticket(tid)
    assert (t.status, t.handler_id is not None, t.reopen_count, t.followup_stage) == ("claimed", True, 1, 0)
    assert t.window_started_at == h.clock.now()
    assert h.to("r1", out) == [texts.R_REOPENED.format(id=tid, handler="w1")]
    assert texts.W_REOPENED.format(id=tid) in h.to("w1", out)
    assert "办理中" in h.to("@siji1", out)[0]
    assert h.events(tid)[-1] == "reopened"
    # The same worker resolves again and this time the resident is happy.
    await h.run(f"w1: 办结 {tid} 已重新修复", "r1: [tap 是]", "r1: [tap 满意]")
    assert h.ticket(tid).rating == "double_yes"


async def test_typed_answers_count_like_the_buttons(h: Harness) -> None:
    """Typing 是 and 满意 instead of tapping works the same."""
    tid = await h.quick_resolved()
    await h.run("r1: 是", "r1: 满意")
    assert h.ticket(tid).rating == "double_yes"


async def test_pressing_old_followup_buttons_again_changes_nothing(h: Harness) -> None:
    """After the ticket is closed, pressing 是/否/满意/不满意 again only says no answer is needed."""
    tid = await h.quick_resolved()
    await h.run("r1: [tap 是]", "r1: [tap 满意]")
    rows, events, points = h.count(Outbox), h.count(TicketEvent), h.count(PointsEntry)
    for payload in (f"fu1:{tid}:y", f"fu1:{tid}:n", f"fu2:{tid}:y", f"fu2:{tid}:n"):
        result, out = await h.send("r1", payload=payload)
        assert result.alert == texts.FOLLOWUP_NOT_NOW.format(id=tid)
        assert out == []
    t = h.ticket(tid)
    assert (t.status, t.rating, t.reopen_count) == ("closed", "double_yes", 0)
    assert (h.count(Outbox), h.count(TicketEvent), h.count(PointsEntry)) == (rows, events, points)


async def test_the_first_question_cannot_be_answered_twice(h: Harness) -> None:
    """Once 是 was answered, pressing 否 on the first question does not reopen the ticket."""
    tid = await h.quick_resolved()
    await h.say("r1: [tap 是]")
    result, _ = await h.send("r1", payload=f"fu1:{tid}:n")
    assert result.alert == texts.FOLLOWUP_NOT_NOW.format(id=tid)
    assert h.ticket(tid).status == "resolved"
    # Satisfaction before the first question is not possible either.
    other = await h.quick_resolved("r2", "w2")
    result, _ = await h.send("r2", payload=f"fu2:{other}:y")
    assert result.alert == texts.FOLLOWUP_NOT_NOW.format(id=other)
    assert h.ticket(other).followup_stage == 1


async def test_someone_elses_followup_button_is_not_found(h: Harness) -> None:
    """A forged follow-up press on someone else's ticket is answered as for a missing ticket."""
    tid = await h.quick_resolved()
    await h.say("r2: 你好")
    result, out = await h.send("r2", payload=f"fu1:{tid}:y")
    missing, _ = await h.send("r2", payload="fu1:999:y")
    assert result.alert == texts.NOT_FOUND.format(id=tid)
    assert missing.alert == texts.NOT_FOUND.format(id=999)
    assert out == []
    assert h.ticket(tid).followup_stage == 1
    # The worker who handled it cannot answer for the resident either.
    result, _ = await h.send("w1", payload=f"fu2:{tid}:y")
    assert result.alert == texts.NOT_FOUND.format(id=tid)
    assert h.ticket(tid).status == "resolved"


async def test_status_repeats_the_pending_question(h: Harness) -> None:
    """/status of a resolved ticket asks the open follow-up question again, with its buttons."""
    tid = await h.quick_resolved()
    out = await h.say(f"r1: /status {tid}")
    assert out[-1]["buttons"] == [texts.BTN_YES, texts.BTN_NO]
    await h.say("r1: [tap 是]")
    out = await h.say(f"r1: /status {tid}")
    assert out[-1] == {
        "chat": "r1",
        "text": texts.R_ASK_SATISFIED,
        "buttons": [texts.BTN_SATISFIED, texts.BTN_UNSATISFIED],
        "photo": None,
    }
    await h.say("r1: [tap 满意]")
    assert h.ticket(tid).status == "closed"
