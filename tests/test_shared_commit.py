"""Group commit: messages that arrive together share one transaction, and each is still its own.

When many people write at once, the database thread runs the messages queued at that moment in
one transaction (Database.run(shared=True)). Each must behave as if it had a transaction of its
own: it sees what the ones before it wrote, a refused or failing one changes nothing and takes
no other down with it, a duplicate is still a duplicate, and nothing is lost or done twice.
"""

from __future__ import annotations

import asyncio
import os
import signal
import subprocess
import sys
from collections.abc import Callable, Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import event, func, select
from sqlalchemy.orm import Session

from bot.app import App
from handlers import texts
from models.base import Base
from models.messages import ChatKind, Inbound
from models.store.database import Database, DatabaseClosed
from models.tables import Dialog, Outbox, SeenKey, Ticket

from . import timing
from .harness import Harness

ROOT = Path(__file__).resolve().parent.parent


def _hello(user: str, message_id: str, text: str = "/start", group: str | None = None) -> Inbound:
    """A console message from user (in a private chat, or in the group chat @group)."""
    return Inbound(
        channel="console",
        chat_id=f"@{group}" if group else user,
        user_id=user,
        chat_kind=ChatKind.GROUP if group else ChatKind.PRIVATE,
        message_id=message_id,
        text=text,
        user_name=user,
        user_handle=user,
    )


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A bare Database on each backend, its tables made (no App, no demo data)."""
    database = Database(db_url)
    Base.metadata.create_all(database.engine)
    try:
        yield database
    finally:
        database.close()


def _adding(namespace: str, key: str) -> Callable[[Session], str]:
    """A unit of work that records one seen key (not flushed by itself) and returns it."""

    def unit(s: Session) -> str:
        s.add(SeenKey(namespace=namespace, key=key, at=datetime.now(UTC)))
        return key

    return unit


def _slow_first_claim(h: Harness) -> list[bool]:
    """Make the answer of the app's first claim that takes a row come back 50 ms late (a loaded
    machine); the returned list gets an item once that happened."""
    real_run = h.app.db.run
    slowed: list[bool] = []

    async def run(fn: Any, **kw: Any) -> Any:
        result = await real_run(fn, **kw)
        if not slowed and isinstance(result, list) and result:  # the first claim that took a row
            slowed.append(True)
            await asyncio.sleep(0.05)
        return result

    h.app.db.run = run  # type: ignore[method-assign]
    return slowed


def _count_commits(app: App) -> list[int]:
    """A one-item list holding how many transactions the app's engine has committed so far."""
    commits = [0]

    @event.listens_for(app.db.engine, "commit")
    def _on_commit(_conn: Any) -> None:
        commits[0] += 1

    return commits


async def test_forty_residents_at_once_share_transactions_and_each_gets_one_answer(h: Harness) -> None:
    """40 residents writing at the same moment: all answered once, in fewer commits than messages."""
    commits = _count_commits(h.app)
    users = [f"crowd{i}" for i in range(40)]
    results = await asyncio.gather(*(h.app.handle(_hello(u, f"m-{u}")) for u in users))
    assert commits[0] < len(users)  # they did share: one BEGIN/COMMIT served several messages
    await h.app.sender.flush()
    assert all(not r.duplicate and len(r.outbox_ids) == 1 for r in results)
    for u in users:
        assert len(h.to(u, h.transcript)) == 1, u
    assert h.count(SeenKey) >= len(users)


async def test_a_second_message_in_the_same_group_sees_what_the_first_wrote(h: Harness) -> None:
    """/report and the typed category, queued together: the category answers the question just asked."""
    await asyncio.gather(
        h.app.handle(_hello("r9", "m-1", "/report")), h.app.handle(_hello("r9", "m-2", "其他"))
    )
    await h.app.sender.flush()
    out = h.to("r9", h.transcript)
    assert out[0] == texts.ASK_CATEGORY
    assert out[1].split("\n")[0] == "类别：其他"
    state = h.query(lambda s: s.scalar(select(Dialog.state).where(Dialog.chat_id == "r9")))
    assert state != "idle"


async def test_a_refused_message_among_forty_changes_nothing_and_the_others_stand(h: Harness) -> None:
    """One 抢单 on a ticket that does not exist, in a crowd: it is refused, the rest are answered once."""
    await h.quick_grid()
    users = [f"crowd{i}" for i in range(39)]
    messages = [_hello(u, f"m-{u}") for u in users]
    messages.insert(20, _hello("w1", "grab-999", "抢单 999", group="siji1"))
    await asyncio.gather(*(h.app.handle(m) for m in messages))
    await h.app.sender.flush()
    for u in users:
        assert len(h.to(u, h.transcript)) == 1, u
    refusal = [m for m in h.transcript if m["chat"] in ("w1", "@siji1") and "999" in m["text"]]
    assert len(refusal) == 1
    assert h.count(Ticket) == 0
    # Every message is recorded as seen exactly once: sent again, each is a duplicate.
    again = await asyncio.gather(*(h.app.handle(m) for m in messages))
    assert all(r.duplicate for r in again)
    assert h.count(Outbox) == len(users) + 1


async def test_the_same_message_twice_in_one_group_is_answered_once(h: Harness) -> None:
    """A webhook retry arriving with the original: one answer, the copy is a duplicate."""
    first, copy = await asyncio.gather(
        h.app.handle(_hello("twin", "m-twin")), h.app.handle(_hello("twin", "m-twin"))
    )
    await h.app.sender.flush()
    assert sorted([first.duplicate, copy.duplicate]) == [False, True]
    assert len(h.to("twin", h.transcript)) == 1


async def test_a_unit_that_fails_fails_alone(db: Database) -> None:
    """Six units queued together, one of them broken: five are applied once, the sixth raises."""

    def broken(s: Session) -> None:
        s.add(SeenKey(namespace="t", key="broken", at=datetime.now(UTC)))
        raise RuntimeError("this unit is broken")

    units: list[Callable[[Session], Any]] = [_adding("t", f"k{i}") for i in range(5)]
    units.insert(3, broken)
    outcomes = await asyncio.gather(*(db.run(u, shared=True) for u in units), return_exceptions=True)
    assert [str(o) for o in outcomes] == ["k0", "k1", "k2", "this unit is broken", "k3", "k4"]
    keys = await db.run(lambda s: sorted(s.scalars(select(SeenKey.key).where(SeenKey.namespace == "t"))))
    assert keys == ["k0", "k1", "k2", "k3", "k4"]
    total = await db.run(lambda s: s.scalar(select(func.count()).select_from(SeenKey)))
    assert total == 5


async def test_units_of_one_group_do_not_share_loaded_objects(db: Database) -> None:
    """Each unit starts with an empty session (as in a transaction of its own) but sees earlier writes."""
    seen: list[tuple[int, int]] = []

    def read(s: Session) -> None:
        held = len(s.identity_map)
        visible = s.scalar(select(func.count()).select_from(SeenKey).where(SeenKey.key == "first"))
        seen.append((held, int(visible or 0)))

    await asyncio.gather(db.run(_adding("t", "first"), shared=True), db.run(read, shared=True))
    assert seen == [(0, 1)]


def _inbound_worker(url: str, users: int) -> subprocess.Popen[str]:
    return subprocess.Popen(
        [sys.executable, "-m", "tests.inbound_worker", url, str(users)],
        cwd=ROOT,
        env={k: v for k, v in os.environ.items() if not k.startswith("JIESU_")},
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
    )


def test_kill_9_amid_shared_commits_loses_repeats_and_reorders_nothing(empty_db_url: str) -> None:
    """300 residents write at once; the process is killed -9 mid-stream, then everything is resent.

    Every committed message was acknowledged or is committed on the second run; counted per
    resident: replies lost, duplicated or out of order. All three must be zero.
    """
    users = 300
    first = _inbound_worker(empty_db_url, users)
    assert first.stdout is not None
    assert first.stdout.readline().strip() == "ready"
    acked: set[str] = set()
    for line in first.stdout:
        if line.startswith("ack "):
            acked.add(line.split(" ", 1)[1].strip())
        if len(acked) >= 150 or line.strip() == "done":
            break
    assert len(acked) < 2 * users, "the run ended before the kill: nothing was in flight"
    os.kill(first.pid, signal.SIGKILL)
    first.wait(timeout=timing.bound(30))
    first.stdout.close()
    second = _inbound_worker(empty_db_url, users)
    out, _ = second.communicate(timeout=timing.bound(300))
    assert second.returncode == 0 and out.strip().endswith("done"), out[-500:]

    db = Database(empty_db_url)
    try:
        rows = db.run_sync(
            lambda s: s.execute(
                select(Outbox.chat_id, Outbox.text).where(Outbox.channel == "console").order_by(Outbox.id)
            ).all()
        )
        seen = db.run_sync(
            lambda s: s.scalar(select(func.count()).select_from(SeenKey).where(SeenKey.key.like("u0%")))
        )
    finally:
        db.close()
    replies: dict[str, list[str]] = {}
    for chat, text in rows:
        replies.setdefault(chat, []).append(text.split("\n")[0])
    expected = [texts.ASK_CATEGORY, "类别：其他"]
    lost = duplicated = reordered = 0
    for i in range(users):
        got = replies.get(f"u{i:04d}", [])
        lost += len([e for e in expected if e not in got])
        duplicated += len(got) - len(set(got))
        reordered += sorted(set(got), key=got.index) != [e for e in expected if e in got]
    assert (lost, duplicated, reordered) == (0, 0, 0)
    assert seen == 2 * users
    assert acked, "nothing was acknowledged before the kill"


async def test_units_queued_when_the_database_closes_are_applied_or_refused_never_dropped(
    db: Database, db_url: str
) -> None:
    """Units still queued when the database closes: each is applied, or its caller hears DatabaseClosed."""
    waiting = [asyncio.ensure_future(db.run(_adding("q", f"s{i}"), shared=True)) for i in range(20)]
    waiting += [asyncio.ensure_future(db.run(_adding("q", f"p{i}"))) for i in range(5)]
    await asyncio.sleep(0)  # every unit is queued
    db.close()
    outcomes = await asyncio.gather(*waiting, return_exceptions=True)
    applied = {o for o in outcomes if isinstance(o, str)}
    refused = [o for o in outcomes if isinstance(o, DatabaseClosed)]
    assert len(applied) + len(refused) == 25
    check = Database(db_url)
    try:
        keys = check.run_sync(lambda s: set(s.scalars(select(SeenKey.key).where(SeenKey.namespace == "q"))))
    finally:
        check.close()
    assert keys == applied


async def test_a_flush_returns_only_once_what_another_flush_claimed_is_printed(h: Harness) -> None:
    """Two answers delivered at once (two console lines done together): the flush that claimed nothing
    waits for the other's claim, so no one's reply prints after his line has returned."""
    await h.app.handle(_hello("late", "m-late"))  # queued, not delivered yet
    slowed = _slow_first_claim(h)
    first = asyncio.ensure_future(h.app.sender.flush())
    await asyncio.sleep(0.01)  # the first flush has claimed the reply and is waiting for the answer
    await h.app.sender.flush()
    assert slowed and len(h.to("late", h.transcript)) == 1
    await first


async def test_stop_delivers_what_the_background_loop_was_claiming(h: Harness) -> None:
    """SIGTERM while the background sender is claiming a reply: stop() waits for that claim and sends
    the reply within the grace period instead of releasing it unsent."""
    await h.app.handle(_hello("bye", "m-bye"))  # queued; the background loop will claim it
    slowed = _slow_first_claim(h)
    loop = asyncio.ensure_future(h.app.sender.run_forever(interval=0.05))
    await asyncio.sleep(0.01)  # the loop has claimed the reply and waits for the answer
    released = await h.app.sender.stop(grace=2.0)
    await asyncio.wait_for(loop, timeout=timing.bound(2.0))
    assert slowed and released == 0
    assert len(h.to("bye", h.transcript)) == 1
