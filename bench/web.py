"""The web office and Open311 at 100k tickets: p50/p99 of the pages the command centre uses most.

For each backend, N tickets (default 100,000: every state, five communities, every category, over
180 days, two events each) are bulk-loaded, then each page is requested through the real ASGI app
(Starlette, templates, session cookie, database) in-process, without a network hop:

- the tickets page: no filter, a deep page, four filters at once, overdue, due sort;
- search: description words, a phone number and its ending, a 12345 工单编号 (every 50th ticket
  is a city order);
- the today queue and the map (up to 20,000 markers);
- the statistics page, cold (its cache emptied before each request, as a ticket's change does) and
  warm, for a week, everything, and one community; its chart (drawn by its own request) cold and warm;
- the ticket page (full timeline and forms);
- Open311 GET requests: by id, and the default list (last 90 days, at most 1000 requests).

Besides wall-clock p50/p99 it prints the median CPU time this process spent per request (Python
and SQLite; a PostgreSQL server's own work is not in it): on a busy machine the wall time is
mostly waiting for a core, the CPU time is what the request itself costs.

    .venv/bin/python bench/web.py [--backends sqlite,postgresql] [--size 100000] [--repeat 50] [--pg-url URL]
        [--only statistics]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from starlette.applications import Starlette  # noqa: E402

from bench.common import (  # noqa: E402
    BACKENDS,
    BASE,
    city_number,
    fresh_database,
    load_tickets,
    measure,
    office_config,
    table,
    usable_backends,
)
from bot.app import App  # noqa: E402
from bot.office import routes, statistics  # noqa: E402
from bot.runner import settle_heap  # noqa: E402
from handlers.web import sign_in_url  # noqa: E402
from models import office  # noqa: E402
from models.clock import FakeClock  # noqa: E402
from models.people import get_or_create_person  # noqa: E402


async def _sign_in(app: App, http: httpx.AsyncClient) -> None:
    def make(s: Session) -> str:
        admin = get_or_create_person(s, "console", "admin", app.clock.now())
        return office.new_sign_in_link(s, admin, app.clock.now())

    token = app.db.run_sync(make)
    path = sign_in_url(BASE, token).removeprefix(BASE)
    page = await http.get(path)
    csrf = page.text.split('name="csrftoken" value="')[1].split('"')[0]
    done = await http.post(path, data={"csrftoken": csrf})
    assert done.status_code == 303, done.text


async def run(backend: str, size: int, repeat: int, pg: str | None, only: str = "") -> list[list[object]]:
    url = fresh_database(backend, pg)
    config = office_config(url)
    app = App(config, clock=FakeClock())
    await app.start()
    try:
        seconds = load_tickets(app, size)
        print(f"{backend}: loaded {size:,} tickets in {seconds:.1f} s", file=sys.stderr)
        settle_heap()  # as `jiesu run` does once start-up is done
        siji = app.db.run_sync(lambda s: app.unit(s).tree.by_code("siji"))
        assert siji is not None
        asgi = Starlette(routes=routes(app, config))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi), base_url=BASE) as http:
            await _sign_in(app, http)
            cold = statistics._CACHE.clear  # what a ticket's change does to the cached figures
            charts = max(3, repeat // 5)  # a chart is drawn in about a second: fewer of them
            cases: list[tuple[str, str, int, Callable[[], object] | None]] = [
                ("tickets: no filter", "/office/tickets", repeat, None),
                ("tickets: page 1000", "/office/tickets?page=1000", repeat, None),
                (
                    "tickets: 4 filters",
                    f"/office/tickets?status=claimed&community={siji.id}&category=city&tier=simple",
                    repeat,
                    None,
                ),
                ("tickets: text search", "/office/tickets?q=%E7%AC%AC4242%E5%A4%84", repeat, None),
                ("tickets: search a phone", "/office/tickets?q=13900042424", repeat, None),
                ("tickets: search phone ending", "/office/tickets?q=2424", repeat, None),
                (
                    "tickets: search a city number",
                    f"/office/tickets?q={city_number(size // 2)}",
                    repeat,
                    None,
                ),
                ("today queue", "/office/today", repeat, None),
                ("map", "/office/map", repeat, None),
                ("statistics, week (cold)", "/office/stats?period=week", repeat, cold),
                ("statistics, all (cold)", "/office/stats?period=all", repeat, cold),
                (
                    "statistics, community, all (cold)",
                    f"/office/stats?period=all&community={siji.id}",
                    repeat,
                    cold,
                ),
                ("statistics, week (warm)", "/office/stats?period=week", repeat, None),
                ("statistics chart, week (cold)", "/office/stats/chart/week/all", charts, cold),
                ("statistics chart, week (warm)", "/office/stats/chart/week/all", repeat, None),
                ("tickets: overdue, by due", "/office/tickets?overdue=1&sort=due", repeat, None),
                ("ticket page", f"/office/tickets/{size // 2}", repeat, None),
                ("open311 GET request", f"/open311/v2/requests/{size // 2}.json", repeat, None),
                ("open311 GET requests (1000)", "/open311/v2/requests.json", repeat, None),
                (
                    "open311 GET requests, filtered",
                    "/open311/v2/requests.json?status=open&service_code=road",
                    repeat,
                    None,
                ),
            ]
            rows: list[list[object]] = []
            for name, path, times, before in (c for c in cases if only in c[0]):
                p50, p99, cpu, nbytes = await measure(http, path, times, before)
                rows.append(
                    [
                        backend,
                        name,
                        times,
                        round(p50, 1),
                        round(p99, 1),
                        round(cpu, 1),
                        f"{nbytes // 1024} KiB",
                    ]
                )
            return rows
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
    parser.add_argument("--only", default="", help="only the requests whose name holds this text")
    args = parser.parse_args()
    rows: list[list[object]] = []
    for backend in usable_backends(args.backends.split(","), args.pg_url):
        rows += asyncio.run(run(backend, args.size, args.repeat, args.pg_url, args.only))
    print(f"web office and Open311 at {args.size:,} tickets (n requests per line, in-process ASGI)")
    print(table(["backend", "request", "n", "p50 ms", "p99 ms", "CPU ms", "answer"], rows))


if __name__ == "__main__":
    main()
