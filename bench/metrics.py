"""The cost of one Prometheus scrape at 100k tickets: p50/p99 wall time and CPU per GET /metrics.

For each backend, N tickets (default 100,000, bench/common.py's load_tickets, as bench/web.py loads
them) and 1,000 pending outbox rows over three channels are bulk-loaded; then /metrics is requested
through its ASGI app in-process. A scrape counts the outbox by channel and the open tickets by
status in the database.

    .venv/bin/python bench/metrics.py [--backends sqlite,postgresql] [--size 100000] [--repeat 50]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.common import (  # noqa: E402
    BACKENDS,
    fresh_database,
    load_tickets,
    measure,
    office_config,
    table,
    usable_backends,
)
from bot import metrics  # noqa: E402
from bot.app import App  # noqa: E402
from bot.runner import settle_heap  # noqa: E402
from models.clock import FakeClock  # noqa: E402
from models.messages import Reply  # noqa: E402
from models.outbox import enqueue  # noqa: E402


async def run(backend: str, size: int, repeat: int, pg: str | None) -> list[list[object]]:
    """Load the tickets and outbox rows, then time the scrapes."""
    url = fresh_database(backend, pg)
    app = App(office_config(url), clock=FakeClock())
    await app.start()
    try:
        seconds = load_tickets(app, size)
        now = app.clock.now()

        def queue(s: object) -> None:
            for i in range(1000):
                channel = ("telegram", "wechat", "console")[i % 3]
                enqueue(s, Reply(channel, f"c{i % 50}", f"bench {i}"), now - timedelta(seconds=i))  # type: ignore[arg-type]

        app.db.run_sync(queue)
        print(f"{backend}: loaded {size:,} tickets in {seconds:.1f} s", file=sys.stderr)
        settle_heap()
        collected = metrics.Metrics()
        collected.watch_database(app.db, app.clock.now)
        transport = httpx.ASGITransport(app=metrics.asgi(collected))
        async with httpx.AsyncClient(transport=transport, base_url="http://metrics") as http:
            p50, p99, cpu, nbytes = await measure(http, "/metrics", repeat)
        return [[backend, f"{size:,}", round(p50, 1), round(p99, 1), round(cpu, 1), f"{nbytes // 1024} KiB"]]
    finally:
        app.close()


def main() -> None:
    """Parse the options, run each backend, print the table."""
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--backends", default=",".join(BACKENDS))
    parser.add_argument("--size", type=int, default=100_000)
    parser.add_argument("--repeat", type=int, default=50)
    parser.add_argument("--pg-url")
    args = parser.parse_args()
    rows: list[list[object]] = []
    for backend in usable_backends(args.backends.split(","), args.pg_url):
        rows += asyncio.run(run(backend, args.size, args.repeat, args.pg_url))
    print(f"GET /metrics at {args.size:,} tickets ({args.repeat} scrapes, in-process ASGI)")
    print(table(["backend", "tickets", "p50 ms", "p99 ms", "CPU ms", "answer"], rows))


if __name__ == "__main__":
    main()
