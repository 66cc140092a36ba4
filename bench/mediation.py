"""What the mediation figures cost: /mediation, the statistics page and the workbook over a year of disputes.

A subdistrict of 10 communities and 50 grids, a year of tickets of which a share are disputes
(北苑 settled 5,742 in 2025), each dispute with an outcome (most settled, some with an amount).
Timed: models.reports.mediation.compute for the whole subdistrict and for one community, the
median of several runs; and the dispute check can_handle adds to a grab (team lookup).

    .venv/bin/python bench/mediation.py [--backends sqlite,postgresql] [--tickets 100000]
        [--disputes 6000] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, insert, select, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.common import BACKENDS, fresh_database, table, usable_backends  # noqa: E402
from models.base import Base  # noqa: E402
from models.mediation import Mediation  # noqa: E402
from models.people import can_handle  # noqa: E402
from models.reports.mediation import compute  # noqa: E402
from models.store.database import normalise_url  # noqa: E402
from models.tables import Area, Category, Person, RoleGrant, Ticket  # noqa: E402
from models.territory import AreaTree  # noqa: E402

NOW = datetime(2026, 11, 30, 12, tzinfo=UTC)
REPEAT = 7


def _load(session: Session, tickets: int, disputes: int) -> None:
    """Areas, two categories, people, a year of tickets and one outcome per dispute."""
    rng = random.Random(7)
    areas: list[dict[str, Any]] = [{"id": 1, "code": "top", "name": "街道", "level": "subdistrict"}]
    areas.append({"id": 2, "code": "centre", "name": "综治中心", "level": "department", "parent_id": 1})
    for c in range(10):
        areas.append(
            {"id": 10 + c, "code": f"c{c}", "name": f"社区{c}", "level": "community", "parent_id": 1}
        )
        for g in range(5):
            grid = 100 + c * 5 + g
            areas.append(
                {"id": grid, "code": f"g{grid}", "name": f"网格{grid}", "level": "grid", "parent_id": 10 + c}
            )
    session.execute(insert(Area), [{"retired": False, **a} for a in areas])
    session.execute(
        insert(Category),
        [
            {"code": "road", "name": "道路", "default_tier": "simple", "position": 0},
            {
                "code": "dispute",
                "name": "矛盾纠纷",
                "default_tier": "difficult",
                "position": 1,
                "route": "mediation",
            },
        ],
    )
    people = [
        {"id": i, "channel": "console", "external_id": f"p{i}", "name": f"p{i}", "created_at": NOW}
        for i in range(1, 61)
    ]
    session.execute(insert(Person), people)
    grants = [
        {"person_id": 1 + c, "role": "mediator", "area_id": 10 + c, "created_at": NOW} for c in range(10)
    ]
    grants.append({"person_id": 20, "role": "mediator", "area_id": 2, "created_at": NOW})
    grants += [
        {"person_id": 21 + g, "role": "worker", "area_id": 100 + g, "created_at": NOW} for g in range(30)
    ]
    session.execute(insert(RoleGrant), grants)
    rows, outcomes = [], []
    for i in range(1, tickets + 1):
        dispute = i <= disputes
        grid = 100 + rng.randrange(50)
        created = NOW - timedelta(minutes=rng.randrange(365 * 24 * 60))
        rows.append(
            {
                "id": i,
                "resident_id": 60,
                "category_code": "dispute" if dispute else "road",
                "description": "x",
                "area_id": grid,
                "status": "closed",
                "tier": "difficult",
                "handler_id": 1 + (grid - 100) // 5 if dispute else 21,
                "created_at": created,
            }
        )
        if dispute:
            outcome = "success" if rng.random() < 0.95 else rng.choice(("failed", "transferred"))
            outcomes.append(
                {
                    "ticket_id": i,
                    "mediator_id": 1 + (grid - 100) // 5,
                    "team_id": 10 + (grid - 100) // 5,
                    "outcome": outcome,
                    "agreement": "协议",
                    "amount_fen": rng.randrange(0, 1_000_000) if outcome == "success" else None,
                    "recorded_at": created + timedelta(hours=rng.randrange(1, 72)),
                    "source": "chat",
                }
            )
    for start in range(0, len(rows), 5000):
        session.execute(insert(Ticket), rows[start : start + 5000])
    session.execute(insert(Mediation), outcomes)
    session.commit()
    if session.get_bind().dialect.name == "postgresql":
        session.execute(text("ANALYZE"))
        session.commit()


def _median_ms(fn: Any) -> float:
    times = []
    for _ in range(REPEAT):
        start = time.perf_counter()
        fn()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1000


def run(backend: str, tickets: int, disputes: int, pg: str | None) -> list[object]:
    """One backend: load, time the figures (all, one community) and a dispute's can_handle."""
    engine = create_engine(normalise_url(fresh_database(backend, pg)))
    Base.metadata.create_all(engine)
    with Session(engine) as session:
        _load(session, tickets, disputes)
        tree = AreaTree.load(session)
        year = NOW - timedelta(days=365)
        everything = _median_ms(lambda: compute(session, tree, None, year))
        one = _median_ms(lambda: compute(session, tree, tree.subtree_ids(10), year))
        ticket = session.scalar(select(Ticket).where(Ticket.id == 1))
        assert ticket is not None
        check = _median_ms(lambda: [can_handle(session, 1 + n % 60, ticket, tree) for n in range(100)]) / 100
        figs = compute(session, tree, None, year)
    engine.dispose()
    rate = f"{(figs.total.success_rate or 0) * 100:.1f}%"
    return [
        backend,
        f"{tickets:,}",
        f"{figs.total.cases:,}",
        rate,
        f"{everything:.1f}",
        f"{one:.1f}",
        f"{check:.3f}",
    ]


def main() -> None:
    """Parse the options, run each backend, print the table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--backends", default=",".join(BACKENDS), help="sqlite,postgresql (default: both)")
    p.add_argument("--tickets", type=int, default=100_000, help="tickets in the year (default 100,000)")
    p.add_argument("--disputes", type=int, default=6_000, help="of which disputes (default 6,000)")
    p.add_argument("--pg-url", default=None, help="PostgreSQL database (default: JIESU_BENCH_POSTGRES_URL)")
    args = p.parse_args()
    rows = [
        run(backend, args.tickets, args.disputes, args.pg_url)
        for backend in usable_backends(args.backends.split(","), args.pg_url)
    ]
    headers = ["backend", "tickets", "disputes", "success", "all ms", "one community ms", "can_handle ms"]
    print(table(headers, rows))


if __name__ == "__main__":
    main()
