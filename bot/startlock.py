"""One process at a time through start-up (migrations, seeding), however many start at once."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Engine
from sqlalchemy.exc import DBAPIError

from .runtime import StartupError

# pg_advisory_lock key: any fixed 64-bit number private to Jiesu ("jiesu" in ASCII).
LOCK_KEY = 0x6A69657375


READ_ONLY_SQLSTATE = "25006"  # PostgreSQL: read_only_sql_transaction (a standby, or read-only by default)


def read_only(exc: BaseException) -> bool:
    """Tell whether a start-up failure means the database (or its directory) cannot be written."""
    if isinstance(exc, PermissionError):
        return True
    if isinstance(exc, DBAPIError):
        said = str(exc.orig).lower()
        return (
            getattr(exc.orig, "sqlstate", None) == READ_ONLY_SQLSTATE
            or "readonly database" in said
            or "unable to open database file" in said
        )
    return False


@contextmanager
def writable(engine: Engine) -> Iterator[None]:
    """Turn a read-only database at start-up into one line that says what to fix (StartupError)."""
    try:
        yield
    except (DBAPIError, PermissionError) as exc:
        if not read_only(exc):
            raise
        sqlite = engine.dialect.name == "sqlite"
        where = (
            (engine.url.database or "").removeprefix("file:") if sqlite else engine.url.render_as_string(True)
        )
        fix = (
            "make the file, its -wal and -shm files and their directory writable by the user running jiesu"
            if engine.dialect.name == "sqlite"
            else "point [database] url at the primary, or give the role write access"
        )
        raise StartupError(f"the database {where} is read-only ({fix})") from None


@contextmanager
def startup_lock(engine: Engine) -> Iterator[None]:
    """Hold the database's start-up lock for the body.

    PostgreSQL: a session advisory lock on its own connection (released on exit, or by the server
    when the process dies). SQLite: every transaction of ours begins with BEGIN IMMEDIATE (the write
    lock, see models/store/database.py), the migration runs in one such transaction and the seed
    in another, and each reads what it checks (schema version, existing areas) under that lock;
    waiting processes queue on busy_timeout.
    """
    with writable(engine), _held(engine):
        yield


@contextmanager
def _held(engine: Engine) -> Iterator[None]:
    if engine.dialect.name == "sqlite":
        database = (engine.url.database or "").removeprefix("file:")  # a URI filename (uri=true)
        if not database or database == ":memory:":
            yield
            return
        # Besides the write lock, queue on an OS file lock beside the database: a seed that takes
        # longer than busy_timeout on a loaded machine must not fail the processes waiting for it.
        with open(f"{database}.startlock", "a+b") as fh:
            fcntl.flock(fh, fcntl.LOCK_EX)
            try:
                yield
            finally:
                fcntl.flock(fh, fcntl.LOCK_UN)
        return
    if engine.dialect.name != "postgresql":
        yield
        return
    with engine.connect() as conn:
        conn.execute(text("SELECT pg_advisory_lock(:key)"), {"key": LOCK_KEY})
        conn.commit()
        try:
            yield
        finally:
            conn.execute(text("SELECT pg_advisory_unlock(:key)"), {"key": LOCK_KEY})
            conn.commit()
