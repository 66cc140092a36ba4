"""Storage stays bounded: seen keys past the redelivery window and old finished outbox rows are purged."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import ConfigError, load
from models.store.seen import first_time
from models.tables import Outbox, OutboxStatus, SeenKey

from .harness import Harness


def _keys(h: Harness) -> set[str]:
    return set(h.query(lambda s: s.scalars(select(SeenKey.key).where(SeenKey.namespace == "t")).all()))


async def jump(h: Harness, delta: timedelta) -> None:
    """Move the clock in one step and run the periodic jobs once, as a process waking up would."""
    h.clock.advance(delta)
    await h.app.run_periodic()


async def test_seen_keys_are_kept_through_the_redelivery_window_then_purged(h: Harness) -> None:
    """A key two days old still stops a redelivery; past three days it is gone; a newer one stays."""

    def record(key: str) -> object:
        return lambda s: first_time(s, "t", key, h.clock.now())

    await h.app.db.run(record("old"))
    await jump(h, timedelta(days=2))
    assert _keys(h) == {"old"}
    assert await h.app.db.run(record("old")) is False  # a redelivery within the window: still known
    await h.app.db.run(record("new"))
    await jump(h, timedelta(days=1, hours=1))  # "old" is 3 days 1 hour old, "new" 1 day 1 hour
    assert _keys(h) == {"new"}


async def test_old_finished_outbox_rows_go_but_open_tickets_cards_stay(h: Harness) -> None:
    """After 31 days the sent rows of a closed ticket go; the card of a still-open ticket stays."""
    tid = await h.quick_claimed()
    waiting = await h.quick_report("r2", description="3号楼门口路灯坏了", category="road")
    await h.say(f"w1: 办结 {tid} 已修复")
    await h.run("r1: 是", "r1: 满意")
    assert h.ticket(tid).status == "closed"

    def rows(s: object) -> list[tuple[int, int | None, int | None, str]]:
        found = s.execute(select(Outbox.id, Outbox.ticket_id, Outbox.card_of, Outbox.status))  # type: ignore[attr-defined]
        return [(i, t, c, st) for i, t, c, st in found]

    before = h.query(rows)
    assert any(r[1] == tid for r in before) and any(r[2] == waiting for r in before)
    assert all(r[3] == OutboxStatus.SENT for r in before)
    await jump(h, timedelta(days=29))
    assert set(before) <= set(h.query(rows))  # younger than 30 days: all kept
    await jump(h, timedelta(days=2))
    after = h.query(rows)
    assert [r for r in after if r[1] == tid] == []
    assert [r for r in after if r[2] == waiting] == [r for r in before if r[2] == waiting]
    # The card kept is the one later edits use: grabbing the waiting ticket edits it in place.
    await h.say(f"w2: 抢单 {waiting}")
    assert h.ticket(waiting).status == "claimed"

    def edit_target(s: object) -> tuple[int | None, str | None]:
        edit = s.scalars(  # type: ignore[attr-defined]
            select(Outbox).where(Outbox.card_of == waiting).order_by(Outbox.id.desc()).limit(1)
        ).one()
        original = s.get(Outbox, edit.edit_of) if edit.edit_of is not None else None  # type: ignore[attr-defined]
        return edit.edit_of, original.remote_id if original is not None else None

    edit_of, remote = h.query(edit_target)
    assert edit_of is not None and remote is not None


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        ('[storage]\nseen_keys_for = "12h"', "storage.seen_keys_for: at least 26h"),
        ('[storage]\noutbox_for = "soon"', "storage.outbox_for: expected a duration"),
    ],
)
def test_a_keeping_time_that_would_answer_twice_is_refused(tmp_path: Path, toml: str, message: str) -> None:
    """seen_keys_for under Telegram's day of retries, or an unreadable time, stops start-up, key named."""
    path = tmp_path / "config.toml"
    path.write_text(toml, encoding="utf-8")
    with pytest.raises(ConfigError, match=message):
        load(path, env={})
