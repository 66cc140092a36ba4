"""What dropping held notices adds to every ticket status change (grab, resolve, close, move …).

A status change runs one UPDATE (models.outbox.drop_held) over the ticket's pending notices held
for later. Measured here against a busy outbox (a sent history and a night's held notices of other
tickets): the median time of that statement for a ticket with nothing held (the common case) and
for one with one held notice, with the plan the database chose.

    .venv/bin/python bench/held_drop.py [--backends sqlite,postgresql] [--sent 100000] [--held 2000]
        [--pg-url URL]
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, event, insert, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.common import BACKENDS, fresh_database, table, usable_backends  # noqa: E402
from models.base import Base  # noqa: E402
from models.outbox import BULK, drop_held  # noqa: E402
from models.store.database import normalise_url  # noqa: E402
from models.tables import Outbox  # noqa: E402

NOW = datetime(2026, 11, 30, 23, tzinfo=UTC)
TRIES = 300


def _load(session: Session, sent: int, held: int) -> None:
    """A sent history over 20,000 tickets, and one held notice for each of tickets 0..held-1."""
    common = {"channel": "telegram", "text": "x", "priority": BULK, "created_at": NOW}
    rows: list[dict[str, Any]] = [
        {
            **common,
            "chat_id": str(i % 500),
            "ticket_id": i % 20_000,
            "status": "sent",
            "attempts": 1,
            "next_attempt_at": NOW - timedelta(days=1),
        }
        for i in range(sent)
    ]
    rows += [
        {
            **common,
            "chat_id": str(i % 500),
            "ticket_id": i,
            "status": "pending",
            "attempts": 0,
            "next_attempt_at": NOW + timedelta(hours=8, minutes=30),
        }
        for i in range(held)
    ]
    session.execute(insert(Outbox), rows)
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE outbox"))
        session.commit()


def _median_ms(session: Session, ticket_ids: range, expect: int) -> float:
    times = []
    for ticket_id in ticket_ids:
        start = time.perf_counter()
        dropped = drop_held(session, ticket_id, NOW, "bench", [])
        times.append(time.perf_counter() - start)
        assert dropped == expect, (ticket_id, dropped)
    session.rollback()
    return statistics.median(times) * 1000


def _plan(engine: Any) -> str:
    seen: list[tuple[str, Any]] = []
    event.listen(engine, "before_cursor_execute", lambda c, cur, stmt, args, *a: seen.append((stmt, args)))
    with Session(engine) as session:
        drop_held(session, 10_000_000, NOW, "bench", [])
        session.rollback()
    statement, params = seen[-1]
    sqlite = engine.dialect.name == "sqlite"
    with engine.connect() as conn:
        explain = "EXPLAIN QUERY PLAN " if sqlite else "EXPLAIN "
        rows = conn.exec_driver_sql(explain + statement, params).all()
    found = [str(r[-1] if sqlite else r[0]).strip() for r in rows]
    scans = [line for line in found if "outbox" in line and ("SEARCH" in line or "Scan" in line)]
    return (scans or found)[0]


def run(backend: str, sent: int, held: int, pg: str | None) -> list[object]:
    """One backend: load, time both cases, read the plan."""
    engine = create_engine(normalise_url(fresh_database(backend, pg)))
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        _load(session, sent, held)
        nothing = _median_ms(session, range(held + 1, held + 1 + TRIES), 0)
        one = _median_ms(session, range(TRIES), 1)
    plan = _plan(engine)
    engine.dispose()
    return [backend, f"{sent:,}", f"{held:,}", f"{nothing:.3f}", f"{one:.3f}", plan]


def main() -> None:
    """Parse the options, run each backend, print the table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backends", default=",".join(BACKENDS), help="sqlite,postgresql (default: both)")
    p.add_argument("--sent", type=int, default=100_000, help="sent rows in the outbox (default 100,000)")
    p.add_argument("--held", type=int, default=2_000, help="held notices of other tickets (default 2,000)")
    p.add_argument("--pg-url", default=None, help="PostgreSQL database (default: JIESU_BENCH_POSTGRES_URL)")
    args = p.parse_args()
    rows = [
        run(backend, args.sent, args.held, args.pg_url)
        for backend in usable_backends(args.backends.split(","), args.pg_url)
    ]
    headers = ["backend", "sent rows", "held rows", "nothing held ms", "one held ms", "plan"]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
