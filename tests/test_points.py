"""The points ledger (积分链), configurable rules, /points and /rank."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.config import load
from handlers import texts
from models.tables import PointsEntry

from .harness import Harness

# Whatever else each test checks, no group message may carry a phone number.
pytestmark = pytest.mark.usefixtures("group_privacy")


def ledger(h: Harness) -> list[tuple[str, int]]:
    """(reason, delta) of every ledger row, oldest first."""
    rows = h.query(
        lambda s: s.execute(select(PointsEntry.reason, PointsEntry.delta).order_by(PointsEntry.id)).all()
    )
    return [(str(r), int(d)) for r, d in rows]


async def test_default_points_grab_meet_close_double_yes(h: Harness) -> None:
    """A 双是 ticket pays grab +2, meet +3 (once), close +10 and 双是 +20, one ledger row each."""
    tid = await h.quick_claimed()
    await h.run(
        f"w1: 见面 {tid}", f"w1: 见面 {tid}", f"w1: 办结 {tid} 已修复", "r1: [tap 是]", "r1: [tap 满意]"
    )
    assert ledger(h) == [("grab", 2), ("meet", 3), ("close", 10), ("double_yes", 20)]
    rows = h.query(lambda s: s.execute(select(PointsEntry.ticket_id, PointsEntry.at)).all())
    assert {(t, at) for t, at in rows} == {(tid, h.clock.now())}
    assert h.to("w1", await h.say("w1: /points")) == [texts.POINTS.format(total=35, week=35, month=35)]


async def test_unsatisfied_close_pays_only_the_base(h: Harness) -> None:
    """An unsatisfied close pays the +10 base but not the 双是 bonus."""
    await h.quick_resolved()
    await h.run("r1: [tap 是]", "r1: [tap 不满意]")
    assert ledger(h) == [("grab", 2), ("close", 10)]


async def test_assigned_ticket_pays_no_grab_bonus(h: Harness) -> None:
    """A ticket an admin assigned pays its handler on close, without the grab bonus."""
    await h.quick_grid()
    tid = await h.quick_report()
    await h.run(f"admin: /assign {tid} w2", f"w2: 办结 {tid} 已修复", "r1: 是", "r1: 满意")
    assert ledger(h) == [("close", 10), ("double_yes", 20)]
    assert h.to("w2", await h.say("w2: 我的积分")) == [texts.POINTS.format(total=30, week=30, month=30)]


async def test_points_rules_come_from_the_config_file(db_url: str, tmp_path: Path) -> None:
    """The [points] section sets every value; a zero rule writes no ledger row."""
    cfg = tmp_path / "jiesu.toml"
    cfg.write_text("[points]\nclose = 5\ndouble_yes = 7\ngrab = 0\nmeet = 1\n", encoding="utf-8")
    h = await Harness.create(db_url, config=load(cfg, env={}))
    try:
        tid = await h.quick_claimed()
        await h.run(f"w1: 见面 {tid}", f"w1: 办结 {tid} 已修复", "r1: 是", "r1: 满意")
        assert ledger(h) == [("meet", 1), ("close", 5), ("double_yes", 7)]
        assert h.to("w1", await h.say("w1: /points")) == [texts.POINTS.format(total=13, week=13, month=13)]
    finally:
        h.close()


async def test_points_week_and_month_windows(h: Harness) -> None:
    """/points splits the total into the last 7 and 30 days."""
    tid = await h.quick_claimed()
    h.clock.advance(timedelta(days=10))
    await h.run(f"w1: 办结 {tid} 已修复", "r1: 是", "r1: 满意")
    assert h.to("w1", await h.say("w1: /points")) == [texts.POINTS.format(total=32, week=30, month=32)]
    h.clock.advance(timedelta(days=25))
    assert h.to("w1", await h.say("w1: /points")) == [texts.POINTS.format(total=32, week=0, month=30)]


async def test_residents_have_zero_points(h: Harness) -> None:
    """A resident asking for points gets a plain zero, not an error."""
    assert h.to("r1", await h.say("r1: /points")) == [texts.POINTS.format(total=0, week=0, month=0)]


async def test_rank_orders_workers_and_is_limited_to_the_groups_area(h: Harness) -> None:
    """/rank lists workers best first; in a bound group only the staff of that area appear."""
    await h.quick_grid()
    await h.run("j1: 你好", "admin@jf1: /bind jingfa-1", "admin: /grant j1 worker jingfa-1")
    a = await h.quick_report("r1")
    b = await h.quick_report("r2")
    c = await h.quick_report("r3", location=(29.3381, 120.0901))
    await h.run(f"w1: 抢单 {a}", f"w1: 抢单 {b}", f"w2: 见面 {a}", f"j1: 抢单 {c}", f"j1: 见面 {c}")
    out = await h.say("admin: /rank")
    assert h.to("admin", out) == [
        "\n".join([texts.RANK_HEADER.format(period="近7天"), "1. j1 5 分", "2. w1 4 分"])
    ]
    out = await h.say("w2@siji1: 排行 本月")
    assert h.to("@siji1", out) == ["\n".join([texts.RANK_HEADER.format(period="近30天"), "1. w1 4 分"])]
    out = await h.say("j1@jf1: /rank all")
    assert h.to("@jf1", out) == ["\n".join([texts.RANK_HEADER.format(period="全部"), "1. j1 5 分"])]


async def test_rank_with_nothing_yet_or_a_bad_period(h: Harness) -> None:
    """/rank with no points says so; an unknown period gets the usage line."""
    assert h.to("admin", await h.say("admin: /rank")) == [texts.RANK_EMPTY]
    assert h.to("admin", await h.say("admin: /rank year")) == [texts.USAGE.format(usage="排行 week|month")]
