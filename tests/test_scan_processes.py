"""Several OS processes scanning one database send every reminder and escalation exactly once."""

from __future__ import annotations

import asyncio
import multiprocessing
from collections import Counter
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.app import App
from bot.config import load
from handlers import notify
from models import tickets
from models.clock import FakeClock
from models.people import find_person, get_or_create_person
from models.tables import Outbox, PointsEntry, TicketEvent
from scheduler import SlaJobs

from . import timing
from .conftest import PG_URL, _reset_postgres
from .harness import Harness
from .test_sla import bind_ladder

TICKETS = 90
STEPS = 4 * 24  # one scan round per fake hour, for four days
PROCESSES = 4


def _scan_worker(url: str, start: datetime, barrier: Any, batch: int, done: Any, slot: int) -> None:
    """One process: its own App, engine and fake clock, scanning in lockstep with the others."""

    async def main() -> None:
        config = load(None, env={})
        config.database_url = url
        app = App(config, clock=FakeClock(start))
        jobs = SlaJobs(app, batch=batch)
        try:
            for step in range(1, STEPS + 1):
                barrier.wait()  # every process scans the same fake moment at the same real time
                app.clock.set(start + timedelta(hours=step))  # type: ignore[attr-defined]
                done[slot] += await jobs.scan()
                # The digest is a snapshot: take it once every process has finished this moment's scan,
                # so the single-process reference run sees the same figures.
                barrier.wait()
                await jobs.digest_if_crossed()
        finally:
            app.close()

    asyncio.run(main())


def _seed(h: Harness) -> None:
    """A third of the tickets open, a third claimed by w1, a third resolved by w1."""

    def fill(s: Session) -> None:
        u = h.app.unit(s)
        w1 = find_person(s, "w1", "console")
        assert w1 is not None
        grid = u.tree.by_code("siji-1")
        assert grid is not None
        for i in range(TICKETS):
            resident = get_or_create_person(s, "console", f"res{i}", u.now, chat_id=f"res{i}")
            draft = tickets.Draft(category_code="road", description=f"第{i}处路面破损", area_id=grid.id)
            ticket = tickets.create(u, resident, draft)
            notify.post_card(u, ticket)
            if i % 3:
                tickets.grab(u, ticket.id, w1)
            if i % 3 == 2:
                tickets.resolve(u, ticket.id, w1, "已修复")

    h.app.db.run_sync(fill)


def _record(h: Harness) -> tuple[Counter[tuple[Any, ...]], Counter[tuple[Any, ...]], int]:
    """Every queued message, every audit event and the points total, as comparable multisets."""

    def read(s: Session) -> tuple[Counter[tuple[Any, ...]], Counter[tuple[Any, ...]], int]:
        messages = Counter(
            tuple(r)
            for r in s.execute(select(Outbox.ticket_id, Outbox.chat_id, Outbox.text, Outbox.created_at))
        )
        events = Counter(
            tuple(r)
            for r in s.execute(
                select(TicketEvent.ticket_id, TicketEvent.kind, TicketEvent.note, TicketEvent.at)
            )
        )
        total = sum(s.scalars(select(PointsEntry.delta)))
        return messages, events, int(total)

    return h.query(read)  # type: ignore[no-any-return]


async def _run(
    url: str, processes: int, batch: int
) -> tuple[tuple[Counter[tuple[Any, ...]], ...], list[int]]:
    """Seed a fresh database, let `processes` OS processes scan four days, return what was recorded."""
    h = await Harness.create(url)
    try:
        await h.setup_grid()
        await bind_ladder(h)
        _seed(h)
        start = h.clock.now()
        ctx = multiprocessing.get_context("spawn")
        barrier = ctx.Barrier(processes)
        done = ctx.Array("i", processes)  # rows each process claimed
        procs = [
            ctx.Process(target=_scan_worker, args=(url, start, barrier, batch, done, i))
            for i in range(processes)
        ]
        for p in procs:
            p.start()
        for p in procs:
            p.join(timeout=timing.bound(240))
        assert [p.exitcode for p in procs] == [0] * processes
        messages, events, total = _record(h)
        return (messages, events, Counter({"points": total})), list(done)
    finally:
        h.close()


async def test_four_processes_send_exactly_what_one_process_sends(db_url: str) -> None:
    """Four processes scanning one database in lockstep queue just what one process does: 0 duplicates."""
    sqlite = db_url.startswith("sqlite")
    one, _ = await _run(db_url.replace("jiesu-test.db", "reference.db") if sqlite else db_url, 1, batch=100)
    if not sqlite:
        assert PG_URL is not None
        _reset_postgres()
    four, claims = await _run(db_url, PROCESSES, batch=7)  # small batches: the processes interleave
    assert sum(n > 0 for n in claims) >= 2, claims  # the work really was shared
    messages, events, points = four
    duplicates = {k: n for k, n in messages.items() if n > 1}
    assert duplicates == {}
    assert {k: n for k, n in events.items() if n > 1} == {}
    assert four == one
    # The four days really exercised the whole clock: every kind of step happened.
    kinds = Counter(kind for _, kind, _, _ in events)
    assert kinds["escalated"] >= 2 * TICKETS // 3 and kinds["reminded"] > 0 and kinds["overdue_reminded"] > 0
    assert kinds["followup_reminded"] == TICKETS // 3 and kinds["closed"] == TICKETS // 3
    assert kinds["progress"] > 0
    assert (
        sum(1 for (_, chat, text, _) in messages if chat == "admin" and text.startswith("【每日督办简报"))
        == 4
    )
    assert points["points"] < 0  # the claimed third lost points for every missed deadline
