"""Inbound throughput: N residents file reports concurrently through the whole pipeline.

Each resident sends the nine messages of the report wizard (/start … 确认提交), waiting for each
answer before the next, all residents at once; every message is one `App.handle` unit of work
(dedupe, person, dialog, step, ticket, outbox rows), several of which share a transaction when
they queue up together (group commit, docs/architecture.md, "Data path"). Latency is the time of
one `send(step)`.

Two loads per path and backend:
- closed loop: every resident sends its next message as soon as it has the answer. This gives
  the most messages per second; the latency is then mostly queueing (50 messages always wait,
  so p50 is about 50 / throughput).
- offered rate (--rate, default 500 msg/s): the same 50 residents, each sending a message every
  residents/rate seconds (sooner never, later only when the answer came late), so the latency is
  that of a message at that load.
The outbox is delivered to recording null transports after the residents are done and timed on
its own (--deliver after), or by the background sender while they type (--deliver during).

    .venv/bin/python bench/ingest.py [--paths core,telegram] [--backends sqlite,postgresql]
                                     [--residents 50] [--rounds 3] [--rate 500] [--deliver after]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import importlib
import inspect
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import func, select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.common import (  # noqa: E402
    BACKENDS,
    Timings,
    add_null_transports,
    bind_group,
    fresh_database,
    start_app,
    table,
    usable_backends,
    wizard_steps,
)
from bot.app import App  # noqa: E402
from models.tables import Outbox, Ticket  # noqa: E402

FLOOR_RATE = 500.0
FLOOR_P99_MS = 50.0


def discover() -> dict[str, ModuleType]:
    """Every bench/path_*.py module, by its NAME, the core path first."""
    found: dict[str, ModuleType] = {}
    for file in sorted((ROOT / "bench").glob("path_*.py")):
        try:
            module = importlib.import_module(f"bench.{file.stem}")
        except Exception as exc:  # a path whose channel cannot load is reported, not fatal
            print(f"skipping {file.name}: {type(exc).__name__}: {exc}", file=sys.stderr)
            continue
        found[getattr(module, "NAME", file.stem.removeprefix("path_"))] = module
    return dict(sorted(found.items(), key=lambda kv: (kv[0] != "core", kv[0])))


async def _maybe_await(value: Any) -> None:
    if inspect.isawaitable(value):
        await value


@dataclass
class Result:
    """What one path on one backend measured."""

    path: str
    backend: str
    timings: Timings  # closed loop
    paced: Timings | None  # at the offered rate
    tickets: int
    outbox_rows: int
    delivered: int
    deliver_seconds: float
    warnings: list[str] = field(default_factory=list)


async def _resident(user: str, send: Any, into: list[float]) -> None:
    """One resident's wizard, each message sent as soon as the previous one is answered."""
    for step in wizard_steps(user):
        start = time.perf_counter()
        await send(step)
        into.append(time.perf_counter() - start)


async def _round(send: Any, prefix: str, residents: int) -> Timings:
    """Closed loop: all residents of one round at once; their latencies and the wall time."""
    latencies: list[float] = []
    cpu = time.process_time()
    start = time.perf_counter()
    await asyncio.gather(*(_resident(f"{prefix}n{i}", send, latencies) for i in range(residents)))
    return Timings(latencies, time.perf_counter() - start, time.process_time() - cpu)


async def _paced(send: Any, prefix: str, residents: int, rate: float, wizards: int) -> Timings:
    """Offered load: each resident files `wizards` reports, one message every residents/rate seconds.

    Residents start spread over one wizard's length, so at any moment they are at different
    steps (not all submitting at once). Only messages sent while every resident is active count.
    """
    loop = asyncio.get_running_loop()
    interval = residents / rate
    span = 9 * interval  # one wizard
    origin = loop.time() + 0.05
    window = (origin + span, origin + wizards * span)
    counted: list[float] = []

    async def resident(i: int) -> None:
        start_at = origin + span * i / residents
        k = 0
        for w in range(wizards):
            for step in wizard_steps(f"{prefix}n{i}w{w}"):
                delay = start_at + k * interval - loop.time()
                if delay > 0:
                    await asyncio.sleep(delay)
                k += 1
                sent_at = loop.time()
                start = time.perf_counter()
                await send(step)
                if window[0] <= sent_at < window[1]:
                    counted.append(time.perf_counter() - start)

    cpu: list[float] = []

    async def meter() -> None:  # this process's CPU over the steady window
        for edge in window:
            await asyncio.sleep(max(0.0, edge - loop.time()))
            cpu.append(time.process_time())

    await asyncio.gather(meter(), *(resident(i) for i in range(residents)))
    return Timings(counted, window[1] - window[0], cpu[1] - cpu[0])


def _counts(session: Session) -> tuple[int, int, int]:
    tickets = session.scalar(select(func.count()).select_from(Ticket)) or 0
    residents = session.scalar(select(func.count(func.distinct(Ticket.resident_id)))) or 0
    rows = session.scalar(select(func.count()).select_from(Outbox)) or 0
    return tickets, residents, rows


async def run_path(module: ModuleType, backend: str, args: argparse.Namespace) -> Result:
    """Measure one path on one fresh database of the backend."""
    name = getattr(module, "NAME", module.__name__)
    url = fresh_database(backend, args.pg_url)
    app: App = await start_app(url, args.pool_size)
    sender_task: asyncio.Task[None] | None = None
    try:
        send, close = await module.make_sender(app)
        add_null_transports(app)
        await bind_group(app)
        await app.sender.flush()
        for w in range(args.warmup):  # warm statement caches and pools; not measured
            await _round(send, f"w{w}", min(args.residents, 10))
        await app.sender.flush()
        if args.deliver == "during":
            sender_task = asyncio.create_task(app.sender.run_forever(interval=0.05))
        timings = Timings()
        for r in range(args.rounds):
            timings.merge(await _round(send, f"r{r}", args.residents))
        paced = None
        if args.rate:
            paced = await _paced(send, "p", args.residents, args.rate, args.paced_wizards)
        if sender_task is not None:
            sender_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await sender_task
        before = sum(len(t.delivered) for t in app.sender.transports.values() if hasattr(t, "delivered"))
        start = time.perf_counter()
        await app.sender.flush()
        deliver_seconds = time.perf_counter() - start
        after = sum(len(t.delivered) for t in app.sender.transports.values() if hasattr(t, "delivered"))
        await _maybe_await(close())
        tickets, distinct, rows = await app.db.run(_counts)
    finally:
        app.close()
    expected = args.warmup * min(args.residents, 10) + args.rounds * args.residents
    if args.rate:
        expected += args.residents * args.paced_wizards
    result = Result(name, backend, timings, paced, tickets, rows, after - before, deliver_seconds)
    if tickets != expected or distinct != expected:
        result.warnings.append(
            f"{name}/{backend}: expected {expected} tickets from {expected} residents, "
            f"found {tickets} from {distinct}"
        )
    return result


async def _drained(app: App) -> None:
    """Wait until no outbox row is pending or being sent."""
    open_rows = select(func.count()).select_from(Outbox).where(Outbox.status.in_(["pending", "sending"]))
    while await app.db.run(lambda s: s.scalar(open_rows)):
        await asyncio.sleep(0.01)


async def jiesu_process_update(backend: str, args: argparse.Namespace) -> tuple[Timings, int]:
    """Jiesu's Telegram channel fed through process_update, its sender delivering meanwhile (as in `run`)."""
    from bench import path_telegram
    from tests.tgfake import FakeBotApi

    app: App = await start_app(fresh_database(backend, args.pg_url), args.pool_size)
    try:
        send, close = await path_telegram.make_update_sender(app, FakeBotApi())
        add_null_transports(app)
        await bind_group(app)
        await app.sender.flush()
        for w in range(args.warmup):
            await _round(send, f"w{w}", min(args.residents, 10))
        await app.sender.flush()
        task = asyncio.create_task(app.sender.run_forever())
        cpu, start = time.process_time(), time.perf_counter()
        latencies: list[float] = []
        for r in range(args.rounds):
            latencies += (await _round(send, f"r{r}", args.residents)).latencies
        await _drained(app)  # the replies are part of the work
        timings = Timings(latencies, time.perf_counter() - start, time.process_time() - cpu)
        await app.sender.stop(grace=1.0)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task
        await close()
        tickets, _, _ = await app.db.run(_counts)
    finally:
        app.close()
    return timings, tickets - args.warmup * min(args.residents, 10)


async def naive_process_update(backend: str, args: argparse.Namespace) -> tuple[Timings, int]:
    """The naive PTB ConversationHandler bot (bench/naive_bot.py) on the same residents and fake API."""
    from bench.naive_bot import NaiveBot
    from bench.path_telegram import UpdateMaker
    from tests.tgfake import FakeBotApi, FakeRequest

    api = FakeBotApi()
    bot = NaiveBot(fresh_database(backend, args.pg_url), FakeRequest(api))
    await bot.open()
    update_of = UpdateMaker(api)

    async def send(step: Any) -> None:
        await bot.process(update_of(step))

    try:
        for w in range(args.warmup):
            await _round(send, f"w{w}", min(args.residents, 10))
        cpu, start = time.process_time(), time.perf_counter()
        latencies: list[float] = []
        for r in range(args.rounds):
            latencies += (await _round(send, f"r{r}", args.residents)).latencies
        timings = Timings(latencies, time.perf_counter() - start, time.process_time() - cpu)
        reports = await bot.reports()
    finally:
        await bot.close()
    return timings, reports - args.warmup * min(args.residents, 10)


NAIVE_TARGETS = {"sqlite": 600.0, "postgresql": 400.0}


async def compare_naive(backends: list[str], args: argparse.Namespace) -> str:
    """Inbound + delivery through process_update: Jiesu against the naive bot, same run, each backend."""
    from bench.naive_bot import NOT_DONE

    rows = []
    for backend in backends:
        print(f"  process_update/{backend}: Jiesu, then the naive bot …", file=sys.stderr, flush=True)
        jiesu, filed = await jiesu_process_update(backend, args)
        naive, reports = await naive_process_update(backend, args)
        target = NAIVE_TARGETS.get(backend, 0.0)
        rows.append(
            [
                backend,
                jiesu.count,
                jiesu.rate,
                jiesu.cpu_ms,
                naive.rate,
                naive.cpu_ms,
                f"{jiesu.rate / naive.rate:.2f}x",
                f"{target:.0f} ({'met' if jiesu.rate >= target else 'not met'})",
                f"{filed}/{reports}",
            ]
        )
    headers = [
        "backend",
        "messages",
        "Jiesu msg/s",
        "Jiesu CPU ms/msg",
        "naive msg/s",
        "naive CPU ms/msg",
        "ratio",
        "target msg/s",
        "reports J/naive",
    ]
    lines = [
        f"Inbound + delivery through process_update, {args.residents} residents x 9 messages x "
        f"{args.rounds} rounds, closed loop (Jiesu: until its outbox is delivered; rate limits off)",
        table(headers, rows),
        "What the naive bot (bench/naive_bot.py) does not do:",
        *(f"  - {item}" for item in NOT_DONE),
    ]
    return "\n".join(lines)


def report(results: list[Result], args: argparse.Namespace) -> str:
    """The table of results, the ratios to the core path and the floor verdict."""
    core = {r.backend: r for r in results if r.path == "core"}
    rows = []
    for r in results:
        base = core.get(r.backend)
        deliver = r.delivered / r.deliver_seconds if r.deliver_seconds and r.delivered else 0.0
        loads = [("closed loop", r.timings, base.timings if base else None)]
        if r.paced is not None:
            loads.append((f"{args.rate:.0f}/s offered", r.paced, base.paced if base else None))
        for n, (load, t, ref) in enumerate(loads):
            ratio = "-"
            if ref is not None and r is not base:
                ratio = f"{t.rate / ref.rate:.2f}x" if n == 0 else f"p99 {t.ms(99) / ref.ms(99):.2f}x"
            rows.append(
                [
                    r.path,
                    r.backend,
                    load,
                    t.count,
                    t.rate,
                    t.ms(50),
                    t.ms(99),
                    t.ms(100),
                    t.cpu_ms,
                    ratio,
                    r.tickets if n == 0 else "",
                    r.outbox_rows if n == 0 else "",
                    ("(during)" if args.deliver == "during" else deliver) if n == 0 else "",
                ]
            )
    headers = [
        "path",
        "backend",
        "load",
        "messages",
        "msg/s",
        "p50 ms",
        "p99 ms",
        "max ms",
        "CPU ms/msg",
        "vs core",
        "tickets",
        "outbox rows",
        "deliver rows/s",
    ]
    lines = [table(headers, rows), ""]
    for r in results:
        if r.path != "core":
            continue
        rate_ok = r.timings.rate >= FLOOR_RATE
        verdict = f"{r.timings.rate:.0f} msg/s closed loop ({'ok' if rate_ok else 'too slow'})"
        ok = rate_ok
        if r.paced is not None and args.rate >= FLOOR_RATE:
            p99_ok = r.paced.ms(99) < FLOOR_P99_MS
            ok = ok and p99_ok
            verdict += (
                f", p99 {r.paced.ms(99):.1f} ms at {args.rate:.0f}/s ({'ok' if p99_ok else 'too slow'})"
            )
        else:
            ok = False
            verdict += f", no run at {FLOOR_RATE:.0f}/s offered for the p99"
        lines.append(
            f"floor ({FLOOR_RATE:.0f} msg/s, p99 < {FLOOR_P99_MS:.0f} ms, {args.residents} residents) "
            f"on {r.backend}: {'met' if ok else 'MISSED'}: {verdict}"
        )
    for r in results:
        lines += [f"WARNING: {w}" for w in r.warnings]
    return "\n".join(lines)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--paths", help="comma-separated path names (default: every bench/path_*.py found)")
    p.add_argument("--backends", default=",".join(BACKENDS), help="sqlite,postgresql (default: both)")
    p.add_argument("--residents", type=int, default=50, help="concurrent residents (default 50)")
    p.add_argument("--rounds", type=int, default=3, help="rounds of fresh residents measured (default 3)")
    p.add_argument("--warmup", type=int, default=1, help="unmeasured rounds of 10 residents first")
    p.add_argument(
        "--rate",
        type=float,
        default=FLOOR_RATE,
        help="offered load (messages/s, all residents) of the second run; 0 = closed loop only",
    )
    p.add_argument(
        "--paced-wizards",
        type=int,
        default=3,
        help="reports each resident files in the offered-rate run (default 3)",
    )
    p.add_argument(
        "--deliver",
        choices=("after", "during"),
        default="after",
        help="deliver the outbox after the residents are done (timed apart) or while they type",
    )
    p.add_argument(
        "--naive",
        action=argparse.BooleanOptionalAction,
        default=True,
        help="also compare Jiesu with the naive PTB bot through process_update (default on)",
    )
    p.add_argument("--pool-size", type=int, default=None, help="PostgreSQL pool size / worker threads")
    p.add_argument(
        "--pg-url", default=None, help="PostgreSQL URL (default: $JIESU_BENCH_POSTGRES_URL or test_bench)"
    )
    return p.parse_args(argv)


async def main(argv: list[str] | None = None) -> int:
    """Run the selected paths on the selected backends and print the table."""
    args = parse_args(argv)
    modules = discover()
    if args.paths:
        wanted = [p.strip() for p in args.paths.split(",") if p.strip()]
        missing = [p for p in wanted if p not in modules]
        if missing:
            print(f"unknown path(s): {', '.join(missing)}; found: {', '.join(modules)}", file=sys.stderr)
            return 2
        modules = {p: modules[p] for p in wanted}
    backends = usable_backends([b.strip() for b in args.backends.split(",") if b.strip()], args.pg_url)
    mode = f"closed loop, then {args.rate:.0f} msg/s offered" if args.rate else "closed loop"
    print(
        f"{args.residents} residents x 9 messages x {args.rounds} rounds, {mode}, "
        f"outbox delivered {args.deliver}",
        flush=True,
    )
    results = []
    for backend in backends:
        for module in modules.values():
            results.append(await run_path(module, backend, args))
            r = results[-1]
            paced = f"; p99 {r.paced.ms(99):.1f} ms at {args.rate:.0f}/s" if r.paced else ""
            print(
                f"  {r.path}/{r.backend}: {r.timings.rate:.0f} msg/s closed loop "
                f"(p99 {r.timings.ms(99):.1f} ms){paced}; {r.tickets} tickets",
                flush=True,
            )
    print()
    print(report(results, args))
    if args.naive:
        print()
        print(await compare_naive(backends, args))
    return 1 if any(r.warnings for r in results) else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
