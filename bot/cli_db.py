"""`jiesu db current` and `jiesu db history`, and what `jiesu db upgrade` reports it applied."""

from __future__ import annotations

import argparse
import contextlib
import sys
from collections.abc import Callable, Iterator
from typing import TYPE_CHECKING, Any, TextIO

if TYPE_CHECKING:
    from sqlalchemy.engine import Engine

    from bot.config import Config

ConfigOf = Callable[[argparse.Namespace], "Config"]


def _script() -> Any:
    """Alembic's view of models/migrations/versions."""
    from alembic.script import ScriptDirectory

    from models.migrations import HERE

    return ScriptDirectory(str(HERE))


def _where(engine: Engine) -> str:
    return engine.url.render_as_string(hide_password=True)


def revisions_between(before: str | None, after: str | None) -> list[Any]:
    """The revisions after `before` up to `after`, oldest first."""
    if after is None or before == after:
        return []
    script = _script()
    return list(reversed(list(script.iterate_revisions(after, before or "base"))))


@contextlib.contextmanager
def applied_since(engine: Engine) -> Iterator[list[str | None]]:
    """Note the revision before the block and after it: [before, after]."""
    from models.migrations import current

    marks: list[str | None] = [current(engine)]
    yield marks
    marks.append(current(engine))


def report_upgrade(engine: Engine, marks: list[str | None], out: TextIO) -> None:
    """One line per migration applied, then where the database stands."""
    before, after = marks[0], marks[-1]
    applied = revisions_between(before, after)
    for rev in applied:
        out.write(f"applied {rev.revision}: {rev.doc}\n")
    where = _where(engine)
    if applied:
        out.write(f"database at {where} upgraded from {before or 'empty'} to {after}\n")
    else:
        out.write(f"database at {where} was already at {after}; nothing to apply\n")


def cmd_current(args: argparse.Namespace, config_of: ConfigOf) -> int:
    """jiesu db current: the revision the database is at, and whether it is the latest."""
    from models.migrations import current
    from models.store.database import Database

    db = Database(config_of(args).database_url)
    try:
        at = current(db.engine)
    finally:
        db.close()
    head = _script().get_current_head()
    state = "empty (no schema yet)" if at is None else at
    if at == head:
        state += " (latest)"
    elif at is not None:
        state += f" (behind: the latest is {head}; run jiesu db upgrade)"
    print(f"database at {_where(db.engine)}: {state}")
    return 0


def cmd_history(args: argparse.Namespace, out: TextIO = sys.stdout) -> int:
    """jiesu db history: every migration this version carries, oldest first."""
    for rev in reversed(list(_script().walk_revisions())):
        out.write(f"{rev.revision}  {rev.doc}\n")
    return 0


def register(dbsub: Any, common: argparse.ArgumentParser, config_of: ConfigOf) -> None:
    """Add `db current` and `db history` beside `db upgrade`."""
    cur = dbsub.add_parser("current", parents=[common], help="print the schema revision the database is at")
    cur.set_defaults(func=lambda args: cmd_current(args, config_of))
    hist = dbsub.add_parser("history", help="list the migrations this version carries")
    hist.set_defaults(func=cmd_history)
