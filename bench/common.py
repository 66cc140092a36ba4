"""Shared pieces of the benchmarks: one wizard step, timing, percentiles, fresh databases."""

from __future__ import annotations

import atexit
import itertools
import os
import random
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/x.py` from a checkout
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402
from sqlalchemy import create_engine, text  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bot.app import App  # noqa: E402
from bot.config import load  # noqa: E402
from bot.delivery import Delivery, OutgoingMessage  # noqa: E402
from handlers.payloads import Menu, MenuAction, WizardAction, WizardCategory, WizardNav  # noqa: E402
from models import search  # noqa: E402
from models.clock import FakeClock  # noqa: E402
from models.messages import ChatKind, HandleResult, Inbound  # noqa: E402
from models.people import get_or_create_person, grant  # noqa: E402
from models.store.database import normalise_url  # noqa: E402
from models.tables import CITY_SOURCE, AreaLevel, Role  # noqa: E402

BACKENDS = ("sqlite", "postgresql")
# Benchmarks never touch the `test` database: their own, overridable by environment or --pg-url.
DEFAULT_PG_URL = "postgresql+psycopg://postgres@127.0.0.1:5432/test_bench"
# Each run works in schemas of its own (bench_<pid>_<n>), so tests or another benchmark run in the
# same database are not disturbed; they are dropped at exit (and when their process is gone).
PG_SCHEMA_PREFIX = "bench_"

GRID = "siji-1"
GROUP = "@bench_g1"  # console group chat bound to GRID: where the ticket cards go
NEAR_GRID = (29.3451, 120.0752)
DESCRIPTION = "春晗路12号门口人行道沉降破损约2平方米"
PHONE = "13800138000"
ADMIN = "admin"  # the demo config makes console user `admin` the subdistrict admin


@dataclass(frozen=True)
class Step:
    """One inbound message of a simulated user: text, a button payload, a location or a contact."""

    user: str
    text: str = ""
    payload: str | None = None
    location: tuple[float, float] | None = None
    contact: str | None = None


def wizard_steps(user: str) -> list[Step]:
    """The nine messages of one resident filing a report, from /start to 确认提交."""
    return [
        Step(user, "/start"),
        Step(user, payload=Menu(MenuAction.REPORT).pack()),
        Step(user, payload=WizardCategory("city").pack()),
        Step(user, payload=WizardCategory("road").pack()),
        Step(user, DESCRIPTION),
        Step(user, payload=WizardNav(WizardAction.SKIP).pack()),
        Step(user, location=NEAR_GRID),
        Step(user, PHONE),
        Step(user, payload=WizardNav(WizardAction.SUBMIT).pack()),
    ]


_ids = itertools.count(1)


def console_inbound(step: Step, chat: str | None = None) -> Inbound:
    """The neutral message the console channel would build for a step (private chat unless chat)."""
    return Inbound(
        channel="console",
        chat_id=chat or step.user,
        user_id=step.user,
        chat_kind=ChatKind.GROUP if chat else ChatKind.PRIVATE,
        text=step.text,
        payload=step.payload,
        location=step.location,
        contact=step.contact,
        message_id=f"b{next(_ids)}",
        user_name=step.user,
        user_handle=step.user,
    )


# ---------------------------------------------------------------- numbers


def percentile(values: Sequence[float], q: float) -> float:
    """The q-th percentile (0..100), nearest-rank, of a non-empty sequence."""
    ordered = sorted(values)
    if not ordered:
        return float("nan")
    rank = max(1, min(len(ordered), round(q / 100 * len(ordered) + 0.5)))
    return ordered[rank - 1]


@dataclass
class Timings:
    """Latencies (seconds) of the messages of one run and the wall time it took."""

    latencies: list[float] = field(default_factory=list)
    wall: float = 0.0
    cpu: float = 0.0  # CPU time of this process (all threads) meanwhile

    @property
    def cpu_ms(self) -> float:
        """Milliseconds of this process's CPU per message."""
        return self.cpu / self.count * 1000 if self.count else float("nan")

    @property
    def count(self) -> int:
        """How many messages were timed."""
        return len(self.latencies)

    @property
    def rate(self) -> float:
        """Messages per second over the wall time."""
        return self.count / self.wall if self.wall else float("nan")

    def ms(self, q: float) -> float:
        """A percentile of the latency in milliseconds."""
        return percentile(self.latencies, q) * 1000

    def merge(self, other: Timings) -> None:
        """Add another run's messages and time to this one."""
        self.latencies += other.latencies
        self.wall += other.wall
        self.cpu += other.cpu


async def timed(fn: Callable[[], Awaitable[Any]], into: list[float]) -> Any:
    """Await fn(), appending its duration in seconds to into."""
    start = time.perf_counter()
    result = await fn()
    into.append(time.perf_counter() - start)
    return result


def table(headers: Sequence[str], rows: Sequence[Sequence[object]]) -> str:
    """A plain text table, right-aligned numbers."""
    cells = [[str(h) for h in headers]] + [[_cell(c) for c in row] for row in rows]
    widths = [max(len(r[i]) for r in cells) for i in range(len(headers))]
    lines = []
    for n, row in enumerate(cells):
        lines.append("  ".join(c.rjust(w) if n else c.ljust(w) for c, w in zip(row, widths, strict=True)))
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    return "\n".join(lines)


def _cell(value: object) -> str:
    if isinstance(value, float):
        return f"{value:,.1f}" if value < 1000 else f"{value:,.0f}"
    return str(value)


# ---------------------------------------------------------------- databases and apps


def pg_url(override: str | None = None) -> str:
    """The PostgreSQL URL of the benchmarks: --pg-url, else JIESU_BENCH_POSTGRES_URL, else test_bench."""
    return override or os.environ.get("JIESU_BENCH_POSTGRES_URL") or DEFAULT_PG_URL


_checked: dict[str, bool] = {}


def postgres_ready(pg: str | None = None) -> bool:
    """Reach the benchmark's PostgreSQL database, creating it when only the database is missing.

    When the server cannot be reached, say in one line how to point at one and return False: the
    SQLite half still runs.
    """
    url = normalise_url(pg_url(pg))
    if url in _checked:
        return _checked[url]
    from sqlalchemy.engine import make_url
    from sqlalchemy.exc import OperationalError

    target = make_url(url)
    try:
        create_engine(url).connect().close()
        ok = True
    except OperationalError as exc:
        ok = False
        if "does not exist" in str(exc.orig):
            try:
                admin = create_engine(target.set(database="postgres"), isolation_level="AUTOCOMMIT")
                with admin.connect() as conn:
                    conn.execute(text(f'CREATE DATABASE "{target.database}"'))
                admin.dispose()
                print(f"created PostgreSQL database {target.database} for the benchmarks", file=sys.stderr)
                ok = True
            except Exception as create_exc:  # no right to create it: say so below
                exc = create_exc  # type: ignore[assignment]
        if not ok:
            reason = str(getattr(exc, "orig", exc)).strip().splitlines()[0]
            print(
                f"PostgreSQL half skipped ({target.render_as_string()}: {reason}); "
                "point JIESU_BENCH_POSTGRES_URL or --pg-url at a database you may use",
                file=sys.stderr,
            )
    _checked[url] = ok
    return ok


def usable_backends(requested: Sequence[str], pg: str | None = None) -> list[str]:
    """The requested backends that can run here (SQLite always; PostgreSQL when reachable)."""
    return [b for b in requested if b != "postgresql" or postgres_ready(pg)]


def fresh_database(backend: str, pg: str | None = None) -> str:
    """An empty database of the backend: a new SQLite file, or a dropped-and-recreated PG schema."""
    if backend == "sqlite":
        folder = tempfile.mkdtemp(prefix="jiesu-bench-")
        atexit.register(shutil.rmtree, folder, True)
        return f"sqlite:///{folder}/bench.db"
    if backend != "postgresql":
        raise ValueError(f"unknown backend {backend!r}: expected one of {', '.join(BACKENDS)}")
    if not postgres_ready(pg):  # creates a missing database, or says in one line why it cannot
        raise SystemExit(1)
    base = normalise_url(pg_url(pg))
    schema = f"{PG_SCHEMA_PREFIX}{os.getpid()}_{next(_schemas)}"
    engine = create_engine(base)
    with engine.begin() as conn:
        for (name,) in conn.execute(
            text("SELECT nspname FROM pg_namespace WHERE nspname LIKE :p"),
            {"p": PG_SCHEMA_PREFIX.replace("_", "\\_") + "%"},
        ):
            if not _alive(name):
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{name}" CASCADE'))
        conn.execute(text(f'CREATE SCHEMA "{schema}"'))
    engine.dispose()
    if not _created:
        atexit.register(_drop_created)
    _created.append((base, schema))
    sep = "&" if "?" in base else "?"
    return f"{base}{sep}options=-csearch_path%3D{schema}"


_schemas = itertools.count(1)
_created: list[tuple[str, str]] = []


def _alive(schema: str) -> bool:
    """Tell whether the benchmark process that made a schema still runs (then it is left alone)."""
    pid = schema.removeprefix(PG_SCHEMA_PREFIX).split("_")[0]
    if not pid.isdigit():
        return True
    try:
        os.kill(int(pid), 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _drop_created() -> None:
    """Drop the schemas this process made (at exit)."""
    for base, schema in _created:
        engine = create_engine(base)
        try:
            with engine.begin() as conn:
                conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
        except Exception as exc:  # pragma: no cover - best effort at exit
            print(f"could not drop schema {schema}: {exc}", file=sys.stderr)
        finally:
            engine.dispose()


@dataclass
class NullTransport:
    """Delivers nothing, records what it was given: the outbox cost without any network."""

    channel: str
    delivered: list[OutgoingMessage] = field(default_factory=list)

    async def deliver(self, message: OutgoingMessage) -> Delivery:
        """Record the message and say it went out."""
        self.delivered.append(message)
        return Delivery(ok=True, remote_id=str(message.id))


async def start_app(url: str, pool_size: int | None = None) -> App:
    """The real App on url (migrated, demo subdistrict seeded), with a fake clock."""
    config = load(None, env={})
    config.database_url = url
    if pool_size is not None:
        config.database_pool_size = pool_size
    app = App(config, clock=FakeClock())
    await app.start()
    return app


def add_null_transports(app: App, channels: Sequence[str] = ("console", "telegram", "wechat")) -> None:
    """Give every channel without a transport a recording null one."""
    for channel in channels:
        if channel not in app.sender.transports:
            app.add_transport(NullTransport(channel))


async def say(app: App, user: str, text_: str, chat: str | None = None) -> HandleResult:
    """One console message through the whole inbound pipeline."""
    return await app.handle(console_inbound(Step(user, text_), chat))


async def bind_group(app: App, grid: str = GRID, group: str = GROUP) -> None:
    """The admin binds the benchmark group chat to the grid, with the real /bind command."""
    await say(app, ADMIN, f"/bind {grid}", chat=group)


# ---------------------------------------------------------------- 100k tickets for the office's pages

BASE = "http://bench"  # the web office's base URL in the benchmarks
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
HOTLINE_COLUMNS = (
    "ticket_id",
    "number",
    "source",
    "dispatched_at",
    "deadline",
    "category",
    "routed",
    "imported_at",
)
CITY_EVERY = 50  # every 50th ticket is a 12345 city order, with its 工单编号


def city_number(ticket_id: int) -> str:
    """The bench's 12345 工单编号 of a city order's ticket."""
    return f"BJ2026{ticket_id:08d}"


def office_config(url: str) -> Any:
    """The default config on url, with the web office at BASE and one Open311 key."""
    config = load(None, env={})
    config.database_url = url
    config.web.base_url = BASE
    config.open311.api_keys = {"bench-key": "bench"}
    return config


def _staff(app: App) -> tuple[int, list[int], list[tuple[int, float, float]], int]:
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
    tickets, events, orders = [], [], []
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
                CITY_SOURCE if i % CITY_EVERY == 0 else "self",
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
        if i % CITY_EVERY == 0:
            number = city_number(i)
            orders.append(
                (i, number, "file", created, created + timedelta(days=5), "城市管理/道路", "name", created)
            )
    return tickets, events, orders


def load_tickets(app: App, size: int) -> float:
    """Bulk-load size tickets (two events each) and build the search index; the seconds it took."""
    started = time.perf_counter()
    resident, workers, grids, _ = _staff(app)
    tickets, events, orders = _rows(size, app.clock.now(), resident, workers, grids)
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
                ("hotline_orders", HOTLINE_COLUMNS, orders),
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
                    ("hotline_orders", HOTLINE_COLUMNS, orders),
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


async def measure(
    http: httpx.AsyncClient, url: str, repeat: int, before: Callable[[], object] | None = None
) -> tuple[float, float, float, int]:
    """p50 and p99 wall time, median CPU time of this process (all threads) per request, size
    (before, when given, runs ahead of each request, untimed: e.g. emptying a cache)."""
    times, cpu = [], []
    size = 0
    for _ in range(repeat):
        if before is not None:
            before()
        start, start_cpu = time.perf_counter(), time.process_time()
        answer = await http.get(url)
        times.append(time.perf_counter() - start)
        cpu.append(time.process_time() - start_cpu)
        assert answer.status_code == 200, (url, answer.status_code, answer.text[:300])
        size = len(answer.content)
    return percentile(times, 50) * 1000, percentile(times, 99) * 1000, percentile(cpu, 50) * 1000, size
