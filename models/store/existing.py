"""A database as it already is: for commands that read one and must never create or migrate it."""

from __future__ import annotations

from enum import StrEnum
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy.engine import make_url

from ..migrations import alembic_config, current
from .database import Database, is_sqlite, normalise_url


class Schema(StrEnum):
    """What a database holds, compared with this version of Jiesu."""

    MISSING = "missing"  # no database, or one without Jiesu's tables
    BEHIND = "behind"  # an older schema: `jiesu db upgrade` (or any start) migrates it
    CURRENT = "current"


def sqlite_file(url: str) -> Path | None:
    """The file of an SQLite URL (None for another database or an in-memory one)."""
    if not is_sqlite(url):
        return None
    name = make_url(normalise_url(url)).database
    return Path(name) if name and name != ":memory:" else None


def schema_of(db: Database) -> Schema:
    """Compare the database's Alembic revision with this version's head."""
    revision = current(db.engine)
    if revision is None:
        return Schema.MISSING
    head = ScriptDirectory.from_config(alembic_config(db.engine)).get_current_head()
    return Schema.CURRENT if revision == head else Schema.BEHIND


def open_existing(url: str) -> tuple[Database | None, Schema]:
    """The database at url when it exists with the current schema, else None and why not.

    An SQLite file that is not there is not created; a schema is never migrated."""
    path = sqlite_file(url)
    if is_sqlite(url) and (path is None or not path.is_file()):
        return None, Schema.MISSING
    db = Database(url)
    try:
        state = schema_of(db)
    except BaseException:
        db.close()
        raise
    if state is not Schema.CURRENT:
        db.close()
        return None, state
    return db, state
