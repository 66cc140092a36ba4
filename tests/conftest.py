"""Fixtures: every database test runs on SQLite and, when configured, on PostgreSQL."""

from __future__ import annotations

import os
import re
import shutil
import uuid
from collections.abc import AsyncIterator, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
from sqlalchemy import Connection, create_engine, make_url, text
from sqlalchemy.exc import DBAPIError

from bot.config import load
from handlers.masking import mask_private
from models.base import Base
from models.migrations import upgrade
from models.store.database import normalise_url

from .harness import Harness
from .tgfake import Tg
from .wxfake import WxEnv, openid

# As `jiesu` does at its entry point: PTB's timedelta durations, without its deprecation warning.
os.environ.setdefault("PTB_TIMEDELTA", "true")


def _per_worker(url: str | None) -> str | None:
    """Under pytest-xdist each worker gets its own PostgreSQL database (NAME_gw0, NAME_gw1, …)."""
    worker = os.environ.get("PYTEST_XDIST_WORKER")
    if not url or not worker:
        return url
    base = make_url(normalise_url(url))
    name = f"{base.database}_{worker}"
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        exists = conn.execute(text("SELECT 1 FROM pg_database WHERE datname = :n"), {"n": name}).scalar()
        if not exists:
            conn.execute(text(f'CREATE DATABASE "{name}"'))
    admin.dispose()
    return base.set(database=name).render_as_string(hide_password=False)


PG_URL = _per_worker(os.environ.get("JIESU_TEST_POSTGRES_URL"))
BACKENDS = ["sqlite"] + (["postgresql"] if PG_URL else [])


def pytest_report_header(config: pytest.Config) -> str:
    """Say which databases the run covers."""
    if PG_URL:
        return f"databases: sqlite, postgresql ({PG_URL})"
    return "databases: sqlite only (set JIESU_TEST_POSTGRES_URL to include PostgreSQL)"


def pytest_configure(config: pytest.Config) -> None:
    """In CI the PostgreSQL half is required, never silently dropped."""
    if os.environ.get("CI") and not PG_URL:
        raise pytest.UsageError(
            "CI is set but JIESU_TEST_POSTGRES_URL is not: PostgreSQL tests would not run"
        )


_pg_ready = False


def _reset_postgres() -> str:
    """Empty every table of the test database (schema migrated once per session)."""
    global _pg_ready
    assert PG_URL is not None
    url = normalise_url(PG_URL)
    engine = create_engine(url)
    with engine.begin() as conn:
        if not _pg_ready:
            conn.execute(text("DROP SCHEMA public CASCADE"))
            conn.execute(text("CREATE SCHEMA public"))
    if not _pg_ready:
        upgrade(engine)
        _pg_ready = True
    names = ", ".join(f'"{t.name}"' for t in Base.metadata.sorted_tables)
    try:
        # Same effect as TRUNCATE … RESTART IDENTITY on these few small tables, several times faster.
        with engine.begin() as conn:
            conn.exec_driver_sql(_emptying_sql(conn))
    except DBAPIError:
        with engine.begin() as conn:
            conn.execute(text(f"TRUNCATE {names} RESTART IDENTITY CASCADE"))
    engine.dispose()
    return url


_pg_emptying: str | None = None


def _emptying_sql(conn: Connection) -> str:
    """DELETE every table (children first) and restart every id sequence, as one script."""
    global _pg_emptying
    if _pg_emptying is None:
        tables = list(reversed(Base.metadata.sorted_tables))
        statements = [f'DELETE FROM "{t.name}"' for t in tables]
        for t in tables:
            for column in t.primary_key.columns:
                seq = conn.execute(
                    text("SELECT pg_get_serial_sequence(:t, :c)"), {"t": t.name, "c": column.name}
                ).scalar()
                if seq:
                    statements.append(f"ALTER SEQUENCE {seq} RESTART")
        _pg_emptying = "; ".join(statements)
    return _pg_emptying


@pytest.fixture(params=BACKENDS)
def db_url(request: pytest.FixtureRequest, tmp_path: os.PathLike[str]) -> Iterator[str]:
    """A fresh, empty database URL on each backend."""
    if request.param == "sqlite":
        yield f"sqlite:///{tmp_path}/jiesu-test.db"
    else:
        yield _reset_postgres()


@pytest.fixture
def empty_db_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all: a new SQLite file, or a new PostgreSQL schema."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/fresh.db"
        return
    schema = f"empty_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalise_url(db_url))
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = make_url(normalise_url(db_url)).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


_sqlite_template: Path | None = None


async def _copy_sqlite_template(db_url: str, factory: pytest.TempPathFactory) -> None:
    """Start an SQLite test database as a copy of one that was migrated and seeded once per session.

    The copy holds exactly what Harness.create would write into an empty file (same code, same
    fake clock); migrating a fresh file for every test was the largest cost of the suite.
    """
    global _sqlite_template
    target = Path(db_url.removeprefix("sqlite:///"))
    if target.exists():
        return
    if _sqlite_template is None:
        path = factory.mktemp("sqlite-template") / "jiesu-template.db"
        harness = await Harness.create(f"sqlite:///{path}")
        harness.close()  # the last connection checkpoints the WAL into the main file
        _sqlite_template = path
    shutil.copyfile(_sqlite_template, target)


@pytest.fixture
async def h(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    """The demo subdistrict on a fresh database, driven through the console channel."""
    if db_url.startswith("sqlite:///"):
        await _copy_sqlite_template(db_url, tmp_path_factory)
    harness = await Harness.create(db_url)
    try:
        yield harness
    finally:
        harness.close()


@pytest.fixture
async def h_open(db_url: str, tmp_path_factory: pytest.TempPathFactory) -> AsyncIterator[Harness]:
    """Like `h`, but the office never closes and nights are not quiet: the calendar-time ladder."""
    if db_url.startswith("sqlite:///"):
        await _copy_sqlite_template(db_url, tmp_path_factory)
    config = load(None, env={})
    config.rules = replace(config.rules, sla=replace(config.rules.sla, office_hours=(), quiet_hours=None))
    harness = await Harness.create(db_url, config)
    try:
        yield harness
    finally:
        harness.close()


_MOBILE = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


@pytest.fixture
def group_privacy(request: pytest.FixtureRequest) -> Iterator[None]:
    """Opt-in check after a test: no group message its harness delivered holds a mobile number.

    Every group message has been through the one mask (handlers/masking.py), so masking
    it again changes nothing: no room, building, street or phone number is left in it.
    """
    harness = request.getfixturevalue("h") if "h" in request.fixturenames else None
    yield
    if harness is not None:
        for message in harness.group_messages():
            text = str(message["text"])
            assert not _MOBILE.search(text), f"phone number in a group: {message}"
            assert mask_private(text) == text, f"unmasked text in a group: {message}"


@pytest.fixture
async def tg(db_url: str) -> AsyncIterator[Tg]:
    """The app and the Telegram channel on a fresh database, Telegram faked under PTB."""
    t = await Tg.create(db_url)
    try:
        yield t
    finally:
        await t.close()


@pytest.fixture
async def wx(db_url: str) -> AsyncIterator[WxEnv]:
    """The app with the WeChat channel, a WeChat admin (openid of 'admin'), and the fake WeChat."""
    env = await WxEnv.create(db_url, admins=(openid("admin"),))
    try:
        yield env
    finally:
        await env.close()
