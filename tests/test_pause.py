"""挂起: a handler stops a ticket's clock while waiting; resuming moves the deadline by the time paused."""

from __future__ import annotations

from datetime import timedelta

from handlers import texts

from .harness import Harness


async def test_a_pause_stops_reminders_and_resuming_moves_the_deadline(h_open: Harness) -> None:
    """Paused for 6 hours: no reminder meanwhile; resumed, due_at and the window move by exactly 6 hours."""
    h = h_open
    tid = await h.quick_claimed()
    before = h.ticket(tid)
    assert before.due_at is not None
    out = await h.say(f"w1: /pause {tid} 2026-11-25 等待居民出差回来")
    assert h.to("w1", out)[0].startswith(f"工单 #{tid} 已挂起至")
    assert any("暂时挂起" in m and "等待居民出差回来" in m for m in h.to("r1", out))
    out = await h.advance(timedelta(hours=6))
    assert h.to("w1", out) == []  # no 50% reminder while paused
    out = await h.say(f"w1: /resume {tid}")
    t = h.ticket(tid)
    assert t.paused_at is None and t.paused_seconds == 6 * 3600
    assert t.due_at == before.due_at + timedelta(hours=6)
    assert t.window_started_at == before.window_started_at + timedelta(hours=6)  # type: ignore[operator]
    assert h.events(tid)[-2:] == ["paused", "resumed"]


async def test_a_pause_ends_by_itself_at_its_limit(h_open: Harness) -> None:
    """At the pause's limit the scan lets the clock run again and tells the handler."""
    h = h_open
    tid = await h.quick_claimed()
    await h.say(f"w1: /pause {tid} 2026-11-24 等待物业答复")
    out = await h.advance(timedelta(days=2))
    assert h.ticket(tid).paused_at is None
    assert any("挂起到期，已恢复计时" in m for m in h.to("w1", out))


async def test_pause_refusals_change_nothing(h_open: Harness) -> None:
    """Not the handler, no reason, a date past the limit or not a date, twice, resuming what runs: refused."""
    h = h_open
    tid = await h.quick_claimed()
    cases = [
        (f"w2: /pause {tid} 2026-11-25 等待", texts.NOT_HANDLER.format(id=tid)),
        (f"w1: /pause {tid} 2026-11-25", texts.USAGE.format(usage=texts.PAUSE_USAGE)),
        (f"w1: /pause {tid} 下周 等待", texts.USAGE.format(usage=texts.PAUSE_USAGE)),
        (f"w1: /pause {tid} 2027-06-01 等待", texts.PAUSE_TOO_LONG.format(days=15)),
        (f"w1: /resume {tid}", texts.NOT_PAUSED.format(id=tid)),
    ]
    for line, said in cases:
        user = line.split(":")[0]
        assert h.to(user, await h.say(line)) == [said], line
    assert h.ticket(tid).paused_at is None
    await h.say(f"w1: /pause {tid} 2026-11-25 等待")
    assert h.to("w1", await h.say(f"w1: /pause {tid} 2026-11-26 再等")) == [
        texts.ALREADY_PAUSED.format(id=tid)
    ]
