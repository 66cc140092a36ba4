"""Shared pieces of the benchmarks: one wizard step, timing, percentiles, fresh databases."""

from __future__ import annotations

import atexit
import itertools
import os
import shutil
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # run as `python bench/x.py` from a checkout
    sys.path.insert(0, str(ROOT))

from sqlalchemy import create_engine, text  # noqa: E402

from bot.app import App  # noqa: E402
from bot.config import load  # noqa: E402
from bot.delivery import Delivery, OutgoingMessage  # noqa: E402
from handlers.payloads import Menu, MenuAction, WizardAction, WizardCategory, WizardNav  # noqa: E402
from models.clock import FakeClock  # noqa: E402
from models.messages import ChatKind, HandleResult, Inbound  # noqa: E402
from models.store.database import normalise_url  # noqa: E402

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
