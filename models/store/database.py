"""Engine, sessions and the one-transaction-per-step runner."""

from __future__ import annotations

import functools
import logging
import sqlite3
import time
from collections.abc import Callable
from typing import Any, TypeVar

from sqlalchemy import create_engine, event, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from .threads import Outcome, WorkerThreads, outcome

T = TypeVar("T")
log = logging.getLogger(__name__)

# Async driver names are accepted in URLs for compatibility and mapped to the
# synchronous drivers this project runs in worker threads (see docs/architecture.md, "Data path").
_DRIVERS = {
    "sqlite+aiosqlite": "sqlite+pysqlite",
    "sqlite": "sqlite+pysqlite",
    "postgresql+asyncpg": "postgresql+psycopg",
    "postgresql": "postgresql+psycopg",
    "postgres": "postgresql+psycopg",
}
_RETRYABLE_SQLSTATES = {"40001", "40P01"}
_SHARED_LOCK_TIMEOUT = text("SET LOCAL lock_timeout = '200ms'")
SHARED_MOST = 16  # units of work at most in one shared transaction (each waits for the others' commit)


def normalise_url(url: str) -> str:
    """Map async or bare driver names to the synchronous driver used here."""
    u = make_url(url)
    driver = _DRIVERS.get(u.drivername, u.drivername)
    return u.set(drivername=driver).render_as_string(hide_password=False)


def is_sqlite(url: str) -> bool:
    """Tell whether a URL points at SQLite."""
    return make_url(url).get_backend_name() == "sqlite"


def _sqlite_engine(url: str) -> Engine:
    engine = create_engine(url, connect_args={"timeout": 10, "check_same_thread": False})

    @event.listens_for(engine, "connect")
    def _on_connect(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.isolation_level = None  # we issue BEGIN ourselves
        cur = dbapi_conn.cursor()
        cur.execute("PRAGMA journal_mode=WAL")
        cur.execute("PRAGMA synchronous=NORMAL")
        cur.execute("PRAGMA busy_timeout=10000")
        cur.execute("PRAGMA foreign_keys=ON")
        cur.close()

    @event.listens_for(engine, "begin")
    def _on_begin(conn: Any) -> None:
        # Take the write lock up front: a deferred transaction that upgrades to a
        # writer later fails with SQLITE_BUSY that busy_timeout cannot wait out.
        # Straight to the driver: this runs once per message.
        try:
            conn.connection.driver_connection.execute("BEGIN IMMEDIATE")
        except sqlite3.Error as exc:  # e.g. still locked after busy_timeout: retried by run_sync
            raise DBAPIError.instance(
                "BEGIN IMMEDIATE", (), exc, sqlite3.Error, dialect=conn.dialect
            ) from exc

    return engine


def _is_retryable(exc: DBAPIError) -> bool:
    if exc.connection_invalidated:  # a pooled connection had died (server restart): the pool drops it
        return True
    orig = exc.orig
    state = getattr(orig, "sqlstate", None)
    if state in _RETRYABLE_SQLSTATES:
        return True
    return "database is locked" in str(orig)


class DatabaseClosed(RuntimeError):
    """The database was closed (its worker threads are gone): no more work can run on it."""


class Database:
    """Owns the engine and runs each unit of work in one transaction off the event loop."""

    def __init__(self, url: str, pool_size: int = 8) -> None:
        self.url = normalise_url(url)
        self.sqlite = is_sqlite(self.url)
        if self.sqlite:
            self.engine = _sqlite_engine(self.url)
            workers = 1  # SQLite has one writer: queue in-process instead of spinning on locks
        else:
            # No pool_pre_ping: it costs a round trip per transaction; a dead pooled connection
            # is invalidated by the failing statement and run_sync retries on a fresh one.
            self.engine = create_engine(self.url, pool_size=pool_size, max_overflow=4)
            workers = pool_size
        self.sessions = sessionmaker(self.engine, expire_on_commit=False)
        self._threads = WorkerThreads(workers, "db", together=self._together, most=SHARED_MOST)
        self.closed = False

    @property
    def dialect(self) -> str:
        """Name of the backend: 'sqlite' or 'postgresql'."""
        return self.engine.dialect.name

    def run_sync(self, fn: Callable[[Session], T], attempts: int = 4) -> T:
        """Run fn in one transaction, retrying on deadlock or lock timeouts."""
        if self.closed:
            raise DatabaseClosed("the database was closed")
        for attempt in range(1, attempts + 1):
            try:
                with self.sessions() as session, session.begin():
                    return fn(session)
            except DBAPIError as exc:
                if attempt == attempts or not _is_retryable(exc):
                    raise
                log.warning("retrying transaction after %s", exc.orig)
                time.sleep(0.01 * attempt)
        raise AssertionError("unreachable")

    async def run(self, fn: Callable[[Session], T], *, shared: bool = False) -> T:
        """Run fn in one transaction on a database worker thread.

        shared: fn may share its transaction with other shared work queued at the same moment
        (group commit: one BEGIN and COMMIT for several messages when many arrive at once). It
        must then leave nothing behind in the session but its writes (see _together).
        """
        try:
            if shared:
                future = self._threads.submit(fn, shared=True)
            else:
                future = self._threads.submit(functools.partial(self.run_sync, fn))
        except RuntimeError as exc:  # the threads were stopped between the check and the call
            raise DatabaseClosed("the database was closed") from exc
        return await future

    def _together(self, fns: list[Callable[[Session], Any]]) -> list[Outcome]:
        """Run several units of work in one transaction; if any fails, each runs again on its own.

        Between two units the session is flushed and emptied (identity map, and info but for its
        "tx:" keys, which belong to the whole transaction), so each starts as in a transaction of
        its own, seeing what the ones before it wrote. A failure
        (a refusal, a lock timeout, a broken statement) rolls back the whole group, and every
        unit then runs in its own transaction with its own retries and its own error: nothing is
        lost or applied twice, and one bad message never fails another.
        """
        if len(fns) > 1 and not self.closed:
            values: list[Any] = []
            try:
                with self.sessions() as session, session.begin():
                    if not self.sqlite:
                        # Two groups may lock the same rows in opposite orders, which PostgreSQL
                        # would only call a deadlock after a second: wait briefly, then run alone.
                        session.execute(_SHARED_LOCK_TIMEOUT)
                    for fn in fns:
                        if values:
                            session.flush()
                            session.expunge_all()
                            kept = {k: v for k, v in session.info.items() if k.startswith("tx:")}
                            session.info.clear()
                            session.info.update(kept)
                        values.append(fn(session))
            except Exception:
                log.debug(
                    "a shared transaction of %d units failed; running each alone", len(fns), exc_info=True
                )
            else:
                return [(v, None) for v in values]
        return [outcome(functools.partial(self.run_sync, fn)) for fn in fns]

    def close(self) -> None:
        """Release threads and connections; later work raises DatabaseClosed."""
        self.closed = True
        self._threads.shutdown()
        self.engine.dispose()
