"""The SLA scan as open tickets grow: its cost follows the due tickets, not all open ones.

For each backend and size N (default 10k, 100k, 1M claimed tickets, 1% of them past their
deadline), the tickets are bulk-loaded (SQLite executemany, PostgreSQL COPY), then measured:

- peek: `scan.earliest`, the cheap look every scheduler tick makes (two index probes);
- claim: the claim statement alone for 100 due tickets (rolled back, median of 5);
- batch: one claim of 100 due tickets plus its actions (escalation notices to the community,
  the handler and the resident, a -5 points row, an event) in one transaction;
- full: `SlaJobs.scan()` runs until every due ticket is handled (batches of 100);
- the plan the database uses for the claim statement (EXPLAIN), which names the partial index
  `ix_tickets_next_check`.

    .venv/bin/python bench/sla_scan.py [--backends sqlite,postgresql] [--sizes 10000,100000,1000000]
        [--full-up-to 100000] [--pg-url URL]

The full scan handles N/100 escalations; above --full-up-to only the batch is timed (the full
time is then the batch time times the number of batches, which the smaller sizes confirm).
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.common import (  # noqa: E402
    BACKENDS,
    add_null_transports,
    fresh_database,
    start_app,
    table,
    usable_backends,
)
from bot.app import App  # noqa: E402
from models import scan, tickets  # noqa: E402
from models.people import get_or_create_person, grant  # noqa: E402
from models.tables import ChatBinding, Person, Role, Ticket, TicketEvent  # noqa: E402
from scheduler import SlaJobs, install  # noqa: E402

DUE_EVERY = 100  # 1% of the tickets are due
COLUMNS = (
    "resident_id",
    "source",
    "category_code",
    "description",
    "area_id",
    "status",
    "tier",
    "handler_id",
    "level",
    "created_at",
    "claimed_at",
    "window_started_at",
    "due_at",
    "reminders_sent",
    "next_check_at",
    "next_push_at",
    "followup_stage",
    "followup_reminded",
    "reopen_count",
    "overdue_count",
)


@dataclass
class Row:
    """The figures of one backend and size."""

    backend: str
    size: int
    due: int
    load_s: float
    peek_ms: float
    claim_ms: float
    batch_ms: float
    full_s: float | None
    plan: str


def _people(app: App) -> tuple[int, int, int]:
    """A resident, a worker of the grid and the grid (bound to a group chat, community too)."""

    def make(s: Session) -> tuple[int, int, int]:
        u = app.unit(s)
        grid = u.tree.by_code("siji-1")
        community = u.tree.by_code("siji")
        assert grid is not None and community is not None
        resident = get_or_create_person(s, "console", "r1", u.now, chat_id="r1")
        worker = get_or_create_person(s, "console", "w1", u.now, chat_id="w1")
        grant(s, worker, Role.WORKER, grid.id, None, u.now)
        s.add(ChatBinding(channel="console", chat_id="@g1", area_id=grid.id, created_at=u.now))
        s.add(ChatBinding(channel="console", chat_id="@c1", area_id=community.id, created_at=u.now))
        s.flush()
        return resident.id, worker.id, grid.id

    return app.db.run_sync(make)


def _rows(size: int, now: datetime, resident: int, worker: int, grid: int) -> Any:
    """Claimed simple tickets; every DUE_EVERY-th one is past its deadline, the rest due later."""
    naive = now.astimezone(UTC).replace(tzinfo=None)
    for i in range(size):
        if i % DUE_EVERY == 0:
            due = naive - timedelta(minutes=1)
            check = due
        else:  # the 50% reminder comes later (next_check_at = window middle, in the future)
            check = naive + timedelta(minutes=10 + i % 4000)
            due = check + timedelta(hours=12)
        start = due - timedelta(days=1)
        yield (
            resident,
            "self",
            "road",
            f"第{i}处人行道破损",
            grid,
            "claimed",
            "simple",
            worker,
            0,
            start,
            start,
            start,
            due,
            2 if i % DUE_EVERY == 0 else 0,
            check,
            naive + timedelta(days=1),
            0,
            False,
            0,
            0,
        )


def _load(app: App, size: int, ids: tuple[int, int, int]) -> float:
    """Bulk-insert the tickets the fastest way each backend offers; return the seconds it took."""
    started = time.perf_counter()
    now = app.clock.now()
    rows = _rows(size, now, *ids)
    with app.db.engine.connect() as conn:
        raw: Any = conn.connection.driver_connection
        if app.db.sqlite:
            fmt = "%Y-%m-%d %H:%M:%S.%f"
            marks = ", ".join("?" for _ in COLUMNS)
            sql = f"INSERT INTO tickets ({', '.join(COLUMNS)}) VALUES ({marks})"
            raw.execute("BEGIN")
            raw.executemany(
                sql,
                (tuple(v.strftime(fmt) if isinstance(v, datetime) else v for v in r) for r in rows),
            )
            raw.execute("COMMIT")
            raw.execute("ANALYZE")
        else:
            with raw.cursor() as cur, cur.copy(f"COPY tickets ({', '.join(COLUMNS)}) FROM STDIN") as copy:
                for r in rows:
                    copy.write_row(r)
            raw.execute("ANALYZE tickets")
            raw.commit()
    return time.perf_counter() - started


def _plan(app: App) -> str:
    """The database's plan for the claim statement, exactly as the scan sends it."""
    now = app.clock.now()
    stmt = scan.claim_statement(app.db.dialect, Ticket.next_check_at, now, scan.BATCH, now)
    compiled = stmt.compile(dialect=app.db.engine.dialect)
    values = {
        k: (v.astimezone(UTC).replace(tzinfo=None) if isinstance(v, datetime) else v)
        for k, v in compiled.params.items()
    }
    params: Any
    if app.db.sqlite:  # qmark: positional, datetimes as SQLAlchemy stores them
        order = compiled.positiontup or []
        params = tuple(v.isoformat(" ") if isinstance(v, datetime) else v for v in (values[k] for k in order))
        prefix = "EXPLAIN QUERY PLAN "
    else:
        params, prefix = values, "EXPLAIN "

    def explain(s: Session) -> str:
        rows = s.connection().exec_driver_sql(prefix + str(compiled), params).all()
        return "\n".join(str(r[-1]) for r in rows)

    return app.db.run_sync(explain)


def _claim_only(app: App) -> float:
    """Seconds the claim statement alone takes for a batch of 100 (rolled back, so repeatable)."""
    now = app.clock.now()
    with app.db.sessions() as s:
        s.begin()
        t = time.perf_counter()
        ids = scan.claim_due(s, Ticket.next_check_at, now)
        spent = time.perf_counter() - t
        s.rollback()
    assert len(ids) == scan.BATCH, len(ids)
    return spent


async def measure(backend: str, size: int, args: argparse.Namespace) -> Row:
    """Load one database and time the scan on it."""
    url = fresh_database(backend, args.pg_url)
    app = await start_app(url)
    try:
        load_s = _load(app, size, _people(app))
        plan = _plan(app)
        peeks = []
        for _ in range(30):
            t = time.perf_counter()
            await app.db.run(scan.earliest)
            peeks.append(time.perf_counter() - t)
        claim_ms = statistics.median(_claim_only(app) for _ in range(5)) * 1000
        t = time.perf_counter()
        claimed = await app.db.run(lambda s: scan.run_checks(app.unit(s), scan.BATCH))
        batch_ms = (time.perf_counter() - t) * 1000
        assert claimed == min(scan.BATCH, size // DUE_EVERY), claimed
        full_s = None
        if size <= args.full_up_to:
            jobs = SlaJobs(app)
            t = time.perf_counter()
            handled = 0
            while done := await jobs.scan():  # one run does at most MAX_BATCHES batches
                handled += done
            full_s = time.perf_counter() - t + batch_ms / 1000
            assert handled + claimed == size // DUE_EVERY, (handled, claimed)
        peek_ms = statistics.median(peeks) * 1000
        return Row(backend, size, size // DUE_EVERY, load_s, peek_ms, claim_ms, batch_ms, full_s, plan)
    finally:
        app.close()


async def advance_cost(backend: str, args: argparse.Namespace) -> tuple[float, float, int]:
    """Seconds for App.advance over 3 fake days (864 ticks) with 60 live tickets, and the scans' share."""
    app = await start_app(fresh_database(backend, args.pg_url))
    try:
        install(app)
        add_null_transports(app)  # the outbox is delivered every tick, as in the console
        resident, worker, grid = _people(app)

        def seed(s: Session) -> None:
            u = app.unit(s)
            people = {p.id: p for p in s.scalars(select(Person).where(Person.id.in_((resident, worker))))}
            for i in range(60):
                draft = tickets.Draft(category_code="road", description=f"第{i}处人行道破损", area_id=grid)
                t = tickets.create(u, people[resident], draft)
                if i % 3:
                    tickets.grab(u, t.id, people[worker])
                if i % 3 == 2:
                    tickets.resolve(u, t.id, people[worker], "已修复")

        app.db.run_sync(seed)
        spent = [0.0]

        def timed(job: Any) -> Any:
            async def run() -> Any:
                t = time.perf_counter()
                try:
                    return await job()
                finally:
                    spent[0] += time.perf_counter() - t

            return run

        app.periodic[:] = [timed(j) for j in app.periodic]
        t = time.perf_counter()
        await app.advance(timedelta(days=3))
        total = time.perf_counter() - t
        events = app.db.run_sync(lambda s: s.scalar(select(func.count()).select_from(TicketEvent)))
        return total, spent[0], int(events or 0)
    finally:
        app.close()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command-line options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--backends", default=",".join(BACKENDS))
    p.add_argument("--sizes", default="10000,100000,1000000")
    p.add_argument("--no-advance", dest="advance", action="store_false", help="skip the App.advance timing")
    p.add_argument("--full-up-to", type=int, default=100_000, help="largest size whose full scan is timed")
    p.add_argument(
        "--pg-url", default=None, help="PostgreSQL URL (default: JIESU_BENCH_POSTGRES_URL or test_bench)"
    )
    return p.parse_args(argv)


async def main(argv: list[str] | None = None) -> int:
    """Run every backend and size, print the table and the plans."""
    args = parse_args(argv)
    args.backends = ",".join(usable_backends(args.backends.split(","), args.pg_url))
    rows: list[Row] = []
    for backend in args.backends.split(","):
        for size in (int(s) for s in args.sizes.split(",")):
            print(f"{backend}: {size:,} open tickets …", file=sys.stderr, flush=True)
            rows.append(await measure(backend, size, args))
    print(
        table(
            [
                "backend",
                "open",
                "due",
                "load s",
                "peek ms",
                "claim 100 ms",
                "batch 100 ms",
                "full scan s",
                "ms/due",
            ],
            [
                [
                    r.backend,
                    f"{r.size:,}",
                    f"{r.due:,}",
                    r.load_s,
                    f"{r.peek_ms:.2f}",
                    f"{r.claim_ms:.2f}",
                    r.batch_ms,
                    "—" if r.full_s is None else f"{r.full_s:.2f}",
                    "—" if r.full_s is None else f"{r.full_s * 1000 / r.due:.2f}",
                ]
                for r in rows
            ],
        )
    )
    if args.advance:
        lines = []
        for backend in args.backends.split(","):
            total, scans, events = await advance_cost(backend, args)
            lines.append([backend, total, scans, events])
        print("\nApp.advance(3 days) = 864 ticks of 5 min, 60 live tickets:")
        print(table(["backend", "total s", "of which SLA jobs s", "audit events"], lines))
    for backend in dict.fromkeys(r.backend for r in rows):
        biggest = max((r for r in rows if r.backend == backend), key=lambda r: r.size)
        print(f"\nclaim plan on {backend} ({biggest.size:,} tickets):\n{biggest.plan}")
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
