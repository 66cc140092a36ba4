"""The delivery engine in one process: exact claims, lanes, priority, takeover, limits, attempts."""

from __future__ import annotations

import asyncio
import random
from collections.abc import Iterator
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from sqlalchemy import func, select, text

from bot.delivery import (
    MAX_ATTEMPTS,
    UNLIMITED,
    ChannelLimits,
    Delivery,
    OutgoingMessage,
    Rate,
    Sender,
    backoff,
)
from bot.delivery import limits as shared
from models import outbox, scan
from models.clock import FakeClock
from models.messages import Reply
from models.migrations import upgrade
from models.store.database import Database
from models.tables import Outbox, Ticket

from . import timing
from .vtime import StarvedTime, windows_hold


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A migrated, empty database."""
    database = Database(db_url)
    upgrade(database.engine)
    try:
        yield database
    finally:
        database.close()


def queue(db: Database, clock: FakeClock, chats: list[str], per_chat: int, *, bulk: bool = False) -> None:
    """Queue per_chat numbered messages to each chat, interleaved across chats as traffic would be."""

    def add(session: object) -> None:
        if bulk:
            outbox.bulk(session)  # type: ignore[arg-type]
        for n in range(per_chat):
            for chat in chats:
                outbox.enqueue(session, Reply("telegram", chat, f"{chat}#{n}"), clock.now())  # type: ignore[arg-type]

    db.run_sync(add)  # type: ignore[arg-type]


@dataclass
class Recorder:
    """A transport that records each call; `plan` picks an outcome per call."""

    channel: str = "telegram"
    limits: ChannelLimits = UNLIMITED
    plan: object = None
    calls: list[tuple[str, str]] = field(default_factory=list)

    async def deliver(self, message: OutgoingMessage) -> Delivery:
        """Record (chat, text), then answer as planned (default: delivered)."""
        self.calls.append((message.chat_id, message.text))
        if callable(self.plan):
            result = self.plan(message)
            if asyncio.iscoroutine(result):
                result = await result
            if result is not None:
                return result  # type: ignore[no-any-return]
        return Delivery(ok=True, remote_id=f"r{message.id}")


def statuses(db: Database) -> dict[str, int]:
    """How many rows are in each status."""
    rows = db.run_sync(lambda s: s.execute(select(Outbox.status, func.count()).group_by(Outbox.status)).all())
    return {status: n for status, n in rows}


async def drain(
    sender: Sender, clock: FakeClock, db: Database, step: timedelta = timedelta(minutes=11)
) -> None:
    """Flush, let fake time pass, until no row is open."""
    for _ in range(40):
        await sender.flush()
        if not statuses(db).keys() & {"pending", "sending"}:
            return
        clock.advance(step)
    raise AssertionError(f"rows still open: {statuses(db)}")


def test_a_claim_takes_at_most_limit_rows_and_only_lane_heads(db: Database) -> None:
    """600 due rows in 60 chats, limit 50: exactly 50 rows, each the oldest of its chat; then the other 10."""
    clock = FakeClock()
    chats = [str(1000 + i) for i in range(60)]
    queue(db, clock, chats, 10)
    first = db.run_sync(
        lambda s: outbox.claim_due(s, clock.now(), owner="a", channels=["telegram"], limit=50)
    )
    assert len(first) == 50 and len({r.chat_id for r in first}) == 50
    oldest = db.run_sync(
        lambda s: dict(s.execute(select(Outbox.chat_id, func.min(Outbox.id)).group_by(Outbox.chat_id)).all())
    )
    assert all(r.id == oldest[r.chat_id] for r in first)
    second = db.run_sync(
        lambda s: outbox.claim_due(s, clock.now(), owner="b", channels=["telegram"], limit=50)
    )
    assert len(second) == 10 and {r.chat_id for r in second}.isdisjoint({r.chat_id for r in first})
    assert (
        db.run_sync(lambda s: outbox.claim_due(s, clock.now(), owner="c", channels=["telegram"], limit=50))
        == []
    )
    assert statuses(db) == {"sending": 60, "pending": 540}


def test_claim_plans_run_the_pick_once(db: Database) -> None:
    """EXPLAIN: on PostgreSQL the pick is a CTE run once (one LockRows); SQLite uses the open-rows index."""
    clock = FakeClock()
    queue(db, clock, ["1"], 3)
    dialect = db.dialect
    claim = outbox.claim_statement(
        dialect, clock.now(), owner="a", lease_until=clock.now(), channels=["telegram"], limit=50
    )
    tickets = scan.claim_statement(dialect, Ticket.next_check_at, clock.now(), 100, clock.now())
    for stmt in (claim, tickets):
        sql = str(stmt.compile(dialect=db.engine.dialect, compile_kwargs={"literal_binds": True}))
        if dialect == "postgresql":
            with db.engine.begin() as conn:
                plan = "\n".join(r[0] for r in conn.execute(text("EXPLAIN " + sql)))
                conn.rollback()
            assert "CTE pick" in plan and plan.count("LockRows") == 1, plan
            assert "SubPlan" not in plan.split("CTE pick")[0], plan  # the outer update does not re-run it
        else:
            with db.engine.connect() as conn:
                plan = "\n".join(str(r[-1]) for r in conn.exec_driver_sql("EXPLAIN QUERY PLAN " + sql))
            index = "ix_outbox_open" if stmt is claim else "ix_tickets_next_check"
            assert index in plan, plan


async def test_lanes_keep_each_chats_order_through_failures_and_hangs(db: Database) -> None:
    """Random 500s, 429s and slow calls: every message arrives exactly once, in its chat's order."""
    clock = FakeClock()
    chats = [str(2000 + i) for i in range(20)]
    queue(db, clock, chats, 15)
    rng = random.Random(7)

    async def flaky(message: OutgoingMessage) -> Delivery | None:
        roll = rng.random()
        if roll < 0.15:
            return Delivery(ok=False, error="500")
        if roll < 0.2:
            return Delivery(ok=False, retry_after=1.0, error="429")
        if roll < 0.3:
            await asyncio.sleep(0.02)
        return None

    recorder = Recorder(plan=flaky)
    sender = Sender(db, clock, {"telegram": recorder})
    await drain(sender, clock, db)
    delivered = [c for c in recorder.calls]
    per_chat: dict[str, list[int]] = {}
    sent_rows = db.run_sync(lambda s: s.execute(select(Outbox.chat_id, Outbox.text, Outbox.status)).all())
    assert {st for _, _, st in sent_rows} == {"sent"}
    ok_texts = {t for _, t, _ in sent_rows}
    # The last call of each text is the delivery; calls of one chat never go backwards.
    for chat, body in delivered:
        per_chat.setdefault(chat, []).append(int(body.split("#")[1]))
    for chat, numbers in per_chat.items():
        firsts = [n for i, n in enumerate(numbers) if n not in numbers[:i]]
        assert firsts == list(range(15)), (chat, numbers)
        assert numbers == sorted(numbers), (chat, numbers)
    assert len(ok_texts) == 300


async def test_a_reply_queued_while_a_step_runs_goes_out_without_waiting_for_the_interval(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """wake() during the background loop's step is kept: the reply leaves at once, not after the interval."""
    clock = FakeClock()
    sent = asyncio.Event()
    recorder = Recorder(plan=lambda m: sent.set())
    sender = Sender(db, clock, {"telegram": recorder}, lease=3600)  # no renewal wakes it either
    in_step, go_on = asyncio.Event(), asyncio.Event()
    run = db.run

    async def held(fn: object) -> object:
        result = await run(fn)  # type: ignore[arg-type]
        if not go_on.is_set():  # the step has claimed (nothing yet) and is about to finish
            in_step.set()
            await go_on.wait()
        return result

    monkeypatch.setattr(db, "run", held)
    loop = asyncio.create_task(sender.run_forever(interval=3600))
    await in_step.wait()  # the first step found the outbox empty
    queue(db, clock, ["9"], 1)  # a handler commits a reply meanwhile and wakes the sender
    sender.wake()
    go_on.set()
    try:
        await asyncio.wait_for(
            sent.wait(), timeout=timing.bound(10)
        )  # a guard only: the loop's wait is 20 min
    finally:
        loop.cancel()
        await asyncio.gather(loop, return_exceptions=True)
    assert recorder.calls == [("9", "9#0")]


async def test_direct_replies_go_before_bulk_notices(db: Database) -> None:
    """With the bot at its limit, three replies queued after three reminders still go first."""
    clock = FakeClock()
    queue(db, clock, ["11", "12", "13"], 1, bulk=True)
    queue(db, clock, ["21", "22", "23"], 1)
    recorder = Recorder(limits=ChannelLimits(bot=Rate(1, 0.1)))
    await Sender(db, clock, {"telegram": recorder}).flush()
    assert [chat for chat, _ in recorder.calls] == ["21", "22", "23", "11", "12", "13"]


@pytest.mark.parametrize("seed", range(6))
async def test_direct_replies_go_before_bulk_notices_when_the_cpu_is_starved(db: Database, seed: int) -> None:
    """Waking up to 0.5 s late at random (a starved CPU): a reply that missed its slot still goes
    before every bulk notice; a notice booked behind it goes back to the queue with it."""
    clock = FakeClock()
    bulk, replies = [str(10 + n) for n in range(6)], [str(20 + n) for n in range(6)]
    queue(db, clock, bulk, 1, bulk=True)
    queue(db, clock, replies, 1)
    vt = StarvedTime(clock, late_share=0.5, seed=seed)
    recorder = Recorder(limits=ChannelLimits(bot=Rate(1, 0.1)))
    sender = Sender(db, clock, {"telegram": recorder}, wall=vt.now, sleep=vt.sleep)
    await vt.drive([sender], lambda: len(recorder.calls) == 12)
    chats = [chat for chat, _ in recorder.calls]
    assert sorted(chats[:6]) == replies, chats
    assert sender.late > 0  # wake-ups were late, and slots were booked again


async def test_a_dead_processs_lane_is_taken_over_in_order_after_its_lease(db: Database) -> None:
    """A process that claimed a head and died: after its short lease another sends the lane in order once."""
    clock = FakeClock()
    queue(db, clock, ["7", "8"], 3)
    dead = Sender(db, clock, {"telegram": Recorder()}, owner="dead", lease=5)
    held = db.run_sync(lambda s: dead._claim(s, 1))  # claimed, then the process "was killed"
    assert [m.chat_id for m, _ in held] == ["7"]
    recorder = Recorder()
    alive = Sender(db, clock, {"telegram": recorder}, owner="alive", lease=5)
    await alive.flush()
    assert [t for c, t in recorder.calls if c == "7"] == []  # lane 7 waits for its lease
    assert [t for c, t in recorder.calls if c == "8"] == ["8#0", "8#1", "8#2"]
    clock.advance(timedelta(seconds=6))
    await alive.flush()
    assert [t for c, t in recorder.calls if c == "7"] == ["7#0", "7#1", "7#2"]
    late = outbox.Outcome(held[0][0].id, "sent", clock.now(), remote_id="from-the-dead")
    assert db.run_sync(lambda s: outbox.record(s, "dead", [late])) == 0  # no longer its row
    remote = db.run_sync(lambda s: s.get(Outbox, held[0][0].id).remote_id)
    assert remote == f"r{held[0][0].id}"


async def test_eight_real_attempts_with_backoff_then_failed(db: Database) -> None:
    """A message the API always refuses with 500: 8 calls, waits 2 s growing to 10 min, then failed."""
    clock = FakeClock()
    queue(db, clock, ["5"], 1)
    recorder = Recorder(plan=lambda m: Delivery(ok=False, error="500: Internal Server Error"))
    sender = Sender(db, clock, {"telegram": recorder})
    waits = []
    for _ in range(MAX_ATTEMPTS + 2):
        await sender.flush()
        row = db.run_sync(lambda s: s.scalars(select(Outbox)).one())
        if row.status != "pending":
            break
        wait = row.next_attempt_at - clock.now()
        waits.append(wait.total_seconds())
        clock.advance(wait)
    assert row.status == "failed" and row.attempts == MAX_ATTEMPTS and len(recorder.calls) == MAX_ATTEMPTS
    assert waits == [backoff(n).total_seconds() for n in range(1, MAX_ATTEMPTS)]
    assert waits[0] == 2 and waits[-1] == 600


async def test_failures_without_an_api_call_spend_no_attempt(db: Database) -> None:
    """A transport that could not even call the API (attempted=False) retries without spending attempts."""
    clock = FakeClock()
    queue(db, clock, ["6"], 1)
    tries = iter([False] * 10 + [True])
    recorder = Recorder(
        plan=lambda m: None if next(tries) else Delivery(ok=False, attempted=False, error="db")
    )
    sender = Sender(db, clock, {"telegram": recorder})
    await drain(sender, clock, db, step=timedelta(seconds=3))
    row = db.run_sync(lambda s: s.scalars(select(Outbox)).one())
    assert row.status == "sent" and row.attempts == 0 and len(recorder.calls) == 11


@dataclass
class Arrivals:
    """A Bot API that records when each message arrives: sent at the call, 0-40 ms in transit."""

    vt: StarvedTime
    limits: ChannelLimits
    channel: str = "telegram"
    got: dict[str, list[tuple[float, str]]] = field(default_factory=dict)

    async def deliver(self, message: OutgoingMessage) -> Delivery:
        """Record the arrival time (call time plus a random transit)."""
        arrival = self.vt.now() + self.vt.rng.uniform(0.0, 0.04)
        self.got.setdefault(message.chat_id, []).append((arrival, message.text))
        return Delivery(ok=True, remote_id=f"r{message.id}")


async def test_shared_limits_hold_at_the_api_in_every_sliding_window(db: Database) -> None:
    """Two senders on one database, waking late at random: every window holds where messages arrive."""
    clock = FakeClock()
    chats = [str(3000 + i) for i in range(40)]
    queue(db, clock, chats, 4)
    queue(db, clock, ["-100"], 12)
    vt = StarvedTime(clock)
    api = Arrivals(
        vt, ChannelLimits(bot=Rate(30, 1.0, spacing=1 / 30), chat=Rate(3, 3.0), group=Rate(5, 6.0))
    )
    senders = [
        Sender(db, clock, {"telegram": api}, wall=vt.now, sleep=vt.sleep, owner=name) for name in ("p1", "p2")
    ]
    await vt.drive(senders, lambda: sum(len(v) for v in api.got.values()) == 172)
    texts = {chat: [t for _, t in got] for chat, got in api.got.items()}
    assert texts == {chat: [f"{chat}#{n}" for n in range(len(texts[chat]))] for chat in texts}  # order, once
    assert sum(len(v) for v in texts.values()) == 172
    assert sum(s.late for s in senders) > 10  # late wake-ups happened and were booked again
    times = {chat: [t for t, _ in got] for chat, got in api.got.items()}
    everything = [t for ts in times.values() for t in ts]
    assert windows_hold(everything, Rate(30, 1.0))
    assert all(windows_hold(ts, Rate(3, 3.0)) for ts in times.values())
    assert windows_hold(times["-100"], Rate(5, 6.0))
    private = sorted(t for chat, ts in times.items() if chat != "-100" for t in ts)
    assert len(private) / (private[-1] - private[0]) > 20  # and the bot is kept busy


async def test_a_429_pauses_its_chat_and_429s_in_two_chats_pause_the_bot(db: Database) -> None:
    """A 429 holds back only its chat; 429s from two chats within the pause hold back the whole bot."""
    clock = FakeClock()
    queue(db, clock, ["41", "42"], 2)
    once = {"41": 1}

    def limited(message: OutgoingMessage) -> Delivery | None:
        if once.get(message.chat_id):
            once[message.chat_id] -= 1
            return Delivery(ok=False, retry_after=30, error="429")
        return None

    recorder = Recorder(limits=ChannelLimits(bot=Rate(30, 1.0), chat=Rate(3, 3.0)), plan=limited)
    sender = Sender(db, clock, {"telegram": recorder})
    before = sender.wall()  # the 429 comes after this; a loaded machine may take seconds to flush
    await sender.flush()
    assert [t for c, t in recorder.calls if c == "42"] == ["42#0", "42#1"]  # the other chat went on
    now = sender.wall()
    probe = [shared.Request(1, recorder.limits.scopes("telegram", "41", False))]
    assert db.run_sync(lambda s: shared.book(s, probe, now, 0))[1] >= before + 30
    other = [shared.Request(2, recorder.limits.scopes("telegram", "43", False))]
    assert db.run_sync(lambda s: shared.book(s, other, now, 0))[2] < now + 1  # the bot is not paused
    queue(db, clock, ["44"], 1)
    once["44"] = 1
    await sender.flush()
    third = [shared.Request(3, recorder.limits.scopes("telegram", "45", False))]
    assert db.run_sync(lambda s: shared.book(s, third, sender.wall(), 0))[3] >= now + 29  # bot paused


def test_a_rebooked_slot_keeps_the_error_of_the_last_real_attempt(db: Database) -> None:
    """A message that failed (network), then missed its slot and was booked again: the error stays."""
    clock = FakeClock()
    queue(db, clock, ["9"], 1)
    sender = Sender(db, clock, {"telegram": Recorder()}, owner="p1")
    row = db.run_sync(lambda s: sender._claim(s, 1))[0][0]
    failed = outbox.Outcome(row.id, "pending", clock.now(), error="network: timed out", spent=1)
    assert db.run_sync(lambda s: outbox.record(s, "p1", [failed])) == 1
    again = db.run_sync(lambda s: sender._claim(s, 1))[0][0]
    rebooked = outbox.Outcome(again.id, "pending", clock.now())  # missed its slot: no call was made
    assert db.run_sync(lambda s: outbox.record(s, "p1", [rebooked])) == 1
    stored = db.run_sync(lambda s: s.get(Outbox, row.id))
    assert (stored.status, stored.error, stored.attempts) == ("pending", "network: timed out", 1)
