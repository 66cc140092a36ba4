"""The grab race: 100 grid workers tap 抢单 on one ticket at the same moment; exactly one wins.

The workers are made with the real commands (/bind, /grant), a resident files a ticket through
the wizard, then 100 different workers press the card's grab:ID button in the group chat at once
(asyncio.gather of App.handle). Checked every round, in the database and in the answers: one
winner, 99 polite refusals naming the winner, one 'grabbed' event, one grab bonus, the ticket
claimed by the winner. Run with one App, then with several Apps (separate engines and worker
threads, as separate processes would have) on the same database: the conditional UPDATE in the
database decides, not anything in Python memory.

    .venv/bin/python bench/grab.py [--backends sqlite,postgresql] [--workers 100] [--rounds 3] [--apps 1,4]
"""

from __future__ import annotations

import argparse
import asyncio
import functools
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.common import (  # noqa: E402
    ADMIN,
    BACKENDS,
    GRID,
    GROUP,
    Step,
    add_null_transports,
    bind_group,
    console_inbound,
    fresh_database,
    percentile,
    say,
    start_app,
    table,
    usable_backends,
    wizard_steps,
)
from bot.app import App  # noqa: E402
from handlers import texts  # noqa: E402
from handlers.payloads import Grab  # noqa: E402
from models.messages import HandleResult, Inbound  # noqa: E402
from models.tables import Person, PointsEntry, Status, Ticket, TicketEvent  # noqa: E402


@dataclass
class Outcome:
    """What one configuration measured over its rounds."""

    backend: str
    apps: int
    latencies: list[float] = field(default_factory=list)
    bursts: list[float] = field(default_factory=list)  # wall time of each 100-press burst
    winners: list[str] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)


async def _make_workers(app: App, workers: int) -> list[str]:
    """Workers say hello (so they exist), then the admin grants them the grid with /grant."""
    names = [f"w{i}" for i in range(workers)]

    async def one(name: str) -> None:
        await say(app, name, "你好")
        await say(app, ADMIN, f"/grant {name} worker {GRID}")

    await asyncio.gather(*(one(n) for n in names))
    return names


async def _file_ticket(app: App, resident: str) -> int:
    """A resident files a report through the wizard; return the ticket number."""
    for step in wizard_steps(resident):
        await app.handle(console_inbound(step))

    def newest(session: Session) -> int:
        person_id = select(Person.id).where(Person.channel == "console", Person.external_id == resident)
        ticket_id = session.scalar(
            select(func.max(Ticket.id)).where(Ticket.resident_id == person_id.scalar_subquery())
        )
        assert ticket_id is not None, f"{resident} has no ticket"
        return int(ticket_id)

    return await app.db.run(newest)


async def _press(app: App, worker: str, msg: Inbound) -> tuple[str, HandleResult, float]:
    """One worker's tap, timed."""
    start = time.perf_counter()
    result = await app.handle(msg)
    return worker, result, time.perf_counter() - start


def _check(session: Session, *, ticket_id: int) -> tuple[str | None, int, int, str]:
    """The winner by the database: handler, grab events, grab bonuses, status."""
    ticket = session.get(Ticket, ticket_id)
    assert ticket is not None
    handler = session.get(Person, ticket.handler_id) if ticket.handler_id else None
    events = session.scalar(
        select(func.count()).where(TicketEvent.ticket_id == ticket_id, TicketEvent.kind == "grabbed")
    )
    bonuses = session.scalar(
        select(func.count()).where(PointsEntry.ticket_id == ticket_id, PointsEntry.reason == "grab")
    )
    return (handler.external_id if handler else None), int(events or 0), int(bonuses or 0), ticket.status


async def run(backend: str, n_apps: int, args: argparse.Namespace) -> Outcome:
    """Measure the race with n_apps Apps on one fresh database of the backend."""
    url = fresh_database(backend, args.pg_url)
    apps = [await start_app(url)]
    for _ in range(n_apps - 1):  # after the first has migrated and seeded
        apps.append(await start_app(url))
    outcome = Outcome(backend, n_apps)
    try:
        for app in apps:
            add_null_transports(app)
        main = apps[0]
        await bind_group(main)
        workers = await _make_workers(main, args.workers)
        for r in range(args.rounds):
            ticket_id = await _file_ticket(main, f"res{r}")
            presses = [console_inbound(Step(w, payload=Grab(ticket_id).pack()), chat=GROUP) for w in workers]

            start = time.perf_counter()
            answers = await asyncio.gather(
                *(
                    _press(apps[i % n_apps], w, msg)
                    for i, (w, msg) in enumerate(zip(workers, presses, strict=True))
                )
            )
            outcome.bursts.append(time.perf_counter() - start)
            outcome.latencies += [seconds for _, _, seconds in answers]
            won = [w for w, res, _ in answers if res.alert == texts.GRAB_WON.format(id=ticket_id)]
            handler, events, bonuses, status = await main.db.run(
                functools.partial(_check, ticket_id=ticket_id)
            )
            refusal = texts.ALREADY_CLAIMED.format(id=ticket_id, handler=handler)
            refused = sum(1 for w, res, _ in answers if res.alert == refusal)
            outcome.winners.append(handler or "-")
            if not (len(won) == 1 and won[0] == handler and status == Status.CLAIMED):
                outcome.problems.append(f"round {r}: alerts say {won}, database says {handler} ({status})")
            if refused != len(workers) - 1:
                others = {res.alert for _, res, _ in answers if res.alert not in (refusal, *won)}
                outcome.problems.append(f"round {r}: {refused} polite refusals; other answers: {others}")
            if events != 1 or bonuses != 1:
                outcome.problems.append(f"round {r}: {events} grab events, {bonuses} grab bonuses")
            await main.sender.flush()
    finally:
        for app in apps:
            app.close()
    return outcome


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--backends", default=",".join(BACKENDS), help="sqlite,postgresql (default: both)")
    p.add_argument("--workers", type=int, default=100, help="workers pressing at once (default 100)")
    p.add_argument("--rounds", type=int, default=3, help="tickets raced for (default 3)")
    p.add_argument("--apps", default="1,4", help="App instances sharing the database, per run (default 1,4)")
    p.add_argument(
        "--pg-url", default=None, help="PostgreSQL URL (default: $JIESU_BENCH_POSTGRES_URL or test_bench)"
    )
    return p.parse_args(argv)


async def main(argv: list[str] | None = None) -> int:
    """Run the race on each backend and App count; print latencies and the verdict."""
    args = parse_args(argv)
    backends = usable_backends([b.strip() for b in args.backends.split(",") if b.strip()], args.pg_url)
    app_counts = [int(a) for a in args.apps.split(",") if a.strip()]
    print(
        f"{args.workers} workers press 抢单 at once on one ticket, {args.rounds} tickets per run", flush=True
    )
    outcomes = []
    for backend in backends:
        for n in app_counts:
            outcomes.append(await run(backend, n, args))
            o = outcomes[-1]
            print(f"  {backend}, {n} app(s): winners {', '.join(o.winners)}", flush=True)
    rows = []
    for o in outcomes:
        rows.append(
            [
                o.backend,
                o.apps,
                len(o.latencies),
                percentile(o.latencies, 50) * 1000,
                percentile(o.latencies, 99) * 1000,
                max(o.latencies) * 1000,
                sum(o.bursts) / len(o.bursts) * 1000,
                "exactly one" if not o.problems else "WRONG",
            ]
        )
    headers = ["backend", "apps", "presses", "p50 ms", "p99 ms", "max ms", "burst ms", "winner per ticket"]
    print()
    print(table(headers, rows))
    problems = [f"{o.backend}/{o.apps} apps: {p}" for o in outcomes for p in o.problems]
    for p in problems:
        print("PROBLEM:", p)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
