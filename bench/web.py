"""The web office and Open311 at 100k tickets: p50/p99 of the pages the command centre uses most.

For each backend, N tickets (default 100,000: every state, five communities, every category, over
180 days, two events each) are bulk-loaded, then each page is requested through the real ASGI app
(Starlette, templates, session cookie, database) in-process, without a network hop:

- the tickets page: no filter, a deep page, four filters at once, text search, overdue, due sort;
- the ticket page (full timeline and forms);
- Open311 GET requests: by id, and the default list (last 90 days, at most 1000 requests).

Besides wall-clock p50/p99 it prints the median CPU time this process spent per request (Python
and SQLite; a PostgreSQL server's own work is not in it): on a busy machine the wall time is
mostly waiting for a core, the CPU time is what the request itself costs.

    .venv/bin/python bench/web.py [--backends sqlite,postgresql] [--size 100000] [--repeat 50] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import asyncio
import random
import sys
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402
from starlette.applications import Starlette  # noqa: E402

from bench.common import BACKENDS, fresh_database, percentile, table, usable_backends  # noqa: E402
from bot.app import App  # noqa: E402
from bot.config import load  # noqa: E402
from bot.office import routes  # noqa: E402
from bot.runner import settle_heap  # noqa: E402
from handlers.web import sign_in_url  # noqa: E402
from models import office, search  # noqa: E402
from models.clock import FakeClock  # noqa: E402
from models.people import get_or_create_person, grant  # noqa: E402
from models.tables import AreaLevel, Role  # noqa: E402

BASE = "http://bench"
STATES = (
    ["open"] * 10
    + ["claimed"] * 25
    + ["resolved"] * 5
    + ["closed"] * 55
    + ["rejected"] * 3
    + ["withdrawn"] * 2
)
CATEGORIES = [
    "road",
    "parking",
    "sanitation",
    "greening",
    "facility",
    "utilities",
    "elevator",
    "property",
    "dispute",
]
TICKET_COLUMNS = (
    "id",
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
    "due_at",
    "resolved_at",
    "closed_at",
    "lat",
    "lon",
    "phone",
    "reminders_sent",
    "followup_stage",
    "followup_reminded",
    "reopen_count",
    "overdue_count",
)
EVENT_COLUMNS = ("ticket_id", "actor_id", "at", "kind", "from_status", "to_status", "note")


def _config(url: str) -> Any:
    config = load(None, env={})
    config.database_url = url
    config.web.base_url = BASE
    config.open311.api_keys = {"bench-key": "bench"}
    return config


def _people(app: App) -> tuple[int, list[int], list[tuple[int, float, float]], int]:
    """A resident, one worker per grid, the grids (with centres) and the subdistrict admin."""

    def make(s: Session) -> tuple[int, list[int], list[tuple[int, float, float]], int]:
        u = app.unit(s)
        resident = get_or_create_person(s, "console", "r1", u.now, chat_id="r1")
        grids = [(a.id, a.lat or 29.34, a.lon or 120.08) for a in u.tree.level(AreaLevel.GRID)]
        workers = []
        for n, (grid, _, _) in enumerate(grids):
            w = get_or_create_person(s, "console", f"w{n}", u.now, chat_id=f"w{n}", name=f"网格员{n}")
            grant(s, w, Role.WORKER, grid, None, u.now)
            workers.append(w.id)
        admin = get_or_create_person(s, "console", "admin", u.now)
        s.flush()
        return resident.id, workers, grids, admin.id

    return app.db.run_sync(make)


def _rows(
    size: int, now: datetime, resident: int, workers: list[int], grids: list[tuple[int, float, float]]
) -> Any:
    rnd = random.Random(13)
    naive = now.astimezone(UTC).replace(tzinfo=None)
    tickets, events = [], []
    for i in range(1, size + 1):
        g = rnd.randrange(len(grids))
        grid, lat, lon = grids[g]
        status = STATES[i % len(STATES)]
        created = naive - timedelta(minutes=rnd.randrange(180 * 24 * 60))
        claimed = created + timedelta(hours=1) if status != "open" else None
        due = created + timedelta(days=1, hours=1) if claimed else None
        resolved = created + timedelta(hours=20) if status in ("resolved", "closed") else None
        closed = created + timedelta(days=2) if status in ("closed", "rejected", "withdrawn") else None
        handler = workers[g] if claimed else None
        tickets.append(
            (
                i,
                resident,
                "self",
                CATEGORIES[i % len(CATEGORIES)],
                f"第{i}处问题：人行道破损，路灯不亮",
                grid,
                status,
                "simple",
                handler,
                0,
                created,
                claimed,
                due,
                resolved,
                closed,
                lat + rnd.uniform(-0.003, 0.003),
                lon + rnd.uniform(-0.003, 0.003),
                f"139{i:08d}",
                0,
                0,
                False,
                0,
                1 if i % 17 == 0 else 0,
            )
        )
        events.append((i, resident, created, "created", None, "open", "self"))
        if claimed:
            events.append((i, handler, claimed, "grabbed", "open", "claimed", None))
    return tickets, events


def _load(app: App, size: int) -> float:
    started = time.perf_counter()
    resident, workers, grids, _ = _people(app)
    tickets, events = _rows(size, app.clock.now(), resident, workers, grids)
    with app.db.engine.connect() as conn:
        raw: Any = conn.connection.driver_connection
        if app.db.sqlite:
            fmt = "%Y-%m-%d %H:%M:%S.%f"

            def conv(rows: list[tuple[Any, ...]]) -> Any:
                return (tuple(v.strftime(fmt) if isinstance(v, datetime) else v for v in r) for r in rows)

            raw.execute("BEGIN")
            for name, cols, rows in (
                ("tickets", TICKET_COLUMNS, tickets),
                ("ticket_events", EVENT_COLUMNS, events),
            ):
                marks = ", ".join("?" for _ in cols)
                raw.executemany(f"INSERT INTO {name} ({', '.join(cols)}) VALUES ({marks})", conv(rows))
            raw.execute("COMMIT")
            raw.execute("ANALYZE")
        else:
            with raw.cursor() as cur:
                for name, cols, rows in (
                    ("tickets", TICKET_COLUMNS, tickets),
                    ("ticket_events", EVENT_COLUMNS, events),
                ):
                    with cur.copy(f"COPY {name} ({', '.join(cols)}) FROM STDIN") as copy:
                        for r in rows:
                            copy.write_row(r)
                cur.execute("SELECT setval(pg_get_serial_sequence('tickets', 'id'), %s)", (size,))
            raw.commit()
            # What autovacuum does after a bulk load: statistics, and the visibility map that lets
            # the counts per status be index-only scans.
            raw.autocommit = True
            with raw.cursor() as cur:
                cur.execute("VACUUM ANALYZE tickets")
                cur.execute("VACUUM ANALYZE ticket_events")
            raw.autocommit = False
    # The search index, as tickets.create() keeps it for tickets filed one by one.
    app.db.run_sync(lambda s: search.reindex(s))
    return time.perf_counter() - started


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


async def _measure(http: httpx.AsyncClient, url: str, repeat: int) -> tuple[float, float, float, int]:
    """p50 and p99 wall time, median CPU time of this process (all threads) per request, size."""
    times, cpu = [], []
    size = 0
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        answer = await http.get(url)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        assert answer.status_code == 200, (url, answer.status_code, answer.text[:300])
        size = len(answer.content)
    return percentile(times, 50) * 1000, percentile(times, 99) * 1000, percentile(cpu, 50) * 1000, size


async def run(backend: str, size: int, repeat: int, pg: str | None) -> list[list[object]]:
    url = fresh_database(backend, pg)
    config = _config(url)
    app = App(config, clock=FakeClock())
    await app.start()
    try:
        seconds = _load(app, size)
        print(f"{backend}: loaded {size:,} tickets in {seconds:.1f} s", file=sys.stderr)
        settle_heap()  # as `jiesu run` does once start-up is done
        siji = app.db.run_sync(lambda s: app.unit(s).tree.by_code("siji"))
        assert siji is not None
        asgi = Starlette(routes=routes(app, config))
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=asgi), base_url=BASE) as http:
            await _sign_in(app, http)
            cases = [
                ("tickets: no filter", "/office/tickets"),
                ("tickets: page 1000", "/office/tickets?page=1000"),
                (
                    "tickets: 4 filters",
                    f"/office/tickets?status=claimed&community={siji.id}&category=city&tier=simple",
                ),
                ("tickets: text search", "/office/tickets?q=%E7%AC%AC4242%E5%A4%84"),
                ("tickets: search a phone", "/office/tickets?q=13900042424"),
                ("tickets: search phone ending", "/office/tickets?q=2424"),
                ("today queue", "/office/today"),
                ("map", "/office/map"),
                ("statistics (warm)", "/office/stats"),
                ("tickets: overdue, by due", "/office/tickets?overdue=1&sort=due"),
                ("ticket page", f"/office/tickets/{size // 2}"),
                ("open311 GET request", f"/open311/v2/requests/{size // 2}.json"),
                ("open311 GET requests (1000)", "/open311/v2/requests.json"),
                ("open311 GET requests, filtered", "/open311/v2/requests.json?status=open&service_code=road"),
            ]
            rows: list[list[object]] = []
            for name, path in cases:
                p50, p99, cpu, nbytes = await _measure(http, path, repeat)
                rows.append(
                    [backend, name, round(p50, 1), round(p99, 1), round(cpu, 1), f"{nbytes // 1024} KiB"]
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
    args = parser.parse_args()
    rows: list[list[object]] = []
    for backend in usable_backends(args.backends.split(","), args.pg_url):
        rows += asyncio.run(run(backend, args.size, args.repeat, args.pg_url))
    print(
        f"web office and Open311 at {args.size:,} tickets ({args.repeat} requests per line, in-process ASGI)"
    )
    print(table(["backend", "request", "p50 ms", "p99 ms", "CPU ms", "answer"], rows))


if __name__ == "__main__":
    main()
