"""One process at a time through start-up (migrations, seeding), however many start at once."""

from __future__ import annotations

import fcntl
from collections.abc import Iterator
from contextlib import contextmanager

from sqlalchemy import text
from sqlalchemy.engine import Engine

# pg_advisory_lock key: any fixed 64-bit number private to Jiesu ("jiesu" in ASCII).
LOCK_KEY = 0x6A69657375


@contextmanager
def startup_lock(engine: Engine) -> Iterator[None]:
    """Hold the database's start-up lock for the body.

    PostgreSQL: a session advisory lock on its own connection (released on exit, or by the server
    when the process dies). SQLite: every transaction of ours begins with BEGIN IMMEDIATE (the write
    lock, see models/store/database.py), the migration runs in one such transaction and the seed
    in another, and each reads what it checks (schema version, existing areas) under that lock;
    waiting processes queue on busy_timeout.
    """
    if engine.dialect.name == "sqlite":
        database = engine.url.database
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
