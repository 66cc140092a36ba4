"""Database size over a simulated year, with and without the storage purge.

Each simulated day, residents file tickets through the whole inbound pipeline (nine wizard
messages each), a worker grabs and resolves them and the resident answers 双是; the outbox is
delivered to null transports; the clock moves a day. With the purge, the scheduler's hourly
storage purge runs each day (seen keys after 3 days, finished outbox rows after 30 days).

    .venv/bin/python bench/storage.py [--backends sqlite,postgresql] [--days 365] [--per-day 3]

Printed per run: tickets filed, database size, size per 1,000 tickets, seen-key and outbox rows.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.common import (  # noqa: E402
    BACKENDS,
    GRID,
    add_null_transports,
    bind_group,
    console_inbound,
    fresh_database,
    say,
    start_app,
    table,
    usable_backends,
    wizard_steps,
)
from bot.app import App  # noqa: E402
from models.clock import FakeClock  # noqa: E402
from models.tables import Outbox, SeenKey, Ticket  # noqa: E402
from scheduler.purge import PurgeJobs  # noqa: E402

WORKER = "w1"


def _size(app: App, backend: str) -> int:
    """Bytes the database takes: SQLite pages in use, or PostgreSQL's relations of our schema."""

    def read(s: Session) -> int:
        if backend == "sqlite":
            pages = s.execute(text("PRAGMA page_count")).scalar_one()
            free = s.execute(text("PRAGMA freelist_count")).scalar_one()
            size = s.execute(text("PRAGMA page_size")).scalar_one()
            return int((pages - free) * size)
        return int(
            s.execute(
                text(
                    "SELECT coalesce(sum(pg_total_relation_size(c.oid)), 0) FROM pg_class c"
                    " JOIN pg_namespace n ON n.oid = c.relnamespace"
                    " WHERE n.nspname = current_schema() AND c.relkind = 'r'"
                )
            ).scalar_one()
        )

    return int(app.db.run_sync(read))


def _counts(app: App) -> tuple[int, int, int]:
    def read(s: Session) -> tuple[int, int, int]:
        return (
            int(s.scalar(select(func.count()).select_from(Ticket)) or 0),
            int(s.scalar(select(func.count()).select_from(SeenKey)) or 0),
            int(s.scalar(select(func.count()).select_from(Outbox)) or 0),
        )

    return app.db.run_sync(read)


async def one_year(backend: str, days: int, per_day: int, purge: bool) -> list[object]:
    """Run the simulated year on a fresh database; return the row of figures."""
    app = await start_app(fresh_database(backend))
    add_null_transports(app)
    clock = app.clock
    assert isinstance(clock, FakeClock)
    jobs = PurgeJobs(app)
    await bind_group(app)
    await say(app, WORKER, "你好")  # the worker exists before the admin grants him the grid
    await say(app, "admin", f"/grant {WORKER} worker {GRID}")
    started = time.perf_counter()
    for day in range(days):
        for k in range(per_day):
            user = f"r{day}-{k}"
            for step in wizard_steps(user):
                await app.handle(console_inbound(step))
        await app.sender.flush()

        def open_ids(s: Session) -> list[int]:
            return list(s.scalars(select(Ticket.id).where(Ticket.status == "open")))

        for tid in app.db.run_sync(open_ids)[-per_day:]:
            await say(app, WORKER, f"抢单 {tid}")
            await say(app, WORKER, f"办结 {tid} 已修复")
        for k in range(per_day):
            await say(app, f"r{day}-{k}", "是")
            await say(app, f"r{day}-{k}", "满意")
        await app.sender.flush()
        clock.advance(timedelta(days=1))
        if purge:
            await jobs.purge()
    await app.sender.flush()
    size = _size(app, backend)
    tickets, seen, rows = _counts(app)
    app.close()
    return [
        backend,
        "on" if purge else "off",
        tickets,
        f"{size / 1e6:.1f} MB",
        f"{size / 1e6 / tickets * 1000:.1f} MB" if tickets else "-",
        seen,
        rows,
        f"{time.perf_counter() - started:.0f} s",
    ]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--days", type=int, default=365)
    parser.add_argument("--per-day", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for backend in usable_backends(args.backends.split(",")):
        for purge in (False, True):
            rows.append(await one_year(backend, args.days, args.per_day, purge))
    print(f"Storage over {args.days} simulated days, {args.per_day} tickets a day")
    print(
        table(
            ["backend", "purge", "tickets", "size", "per 1,000 tickets", "seen keys", "outbox rows", "took"],
            rows,
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
