"""`jiesu db upgrade`, `db current` and `db history`: what is applied, and where a database stands."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from alembic.script import ScriptDirectory

    from bot.config import Config
    from models.store.database import Database

ConfigOf = Callable[[argparse.Namespace], "Config"]


def _where(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=True)


def _scripts() -> ScriptDirectory:
    from alembic.script import ScriptDirectory

    from models.migrations import HERE

    return ScriptDirectory(str(HERE))


def _doc(scripts: ScriptDirectory, revision: str) -> str:
    return (scripts.get_revision(revision).doc or "").strip().splitlines()[0]


def cmd_upgrade(config: Config) -> int:
    """Apply the migrations the database lacks, and say which."""
    from models.migrations import current, upgrade
    from models.store.database import Database

    db = Database(config.database_url)
    try:
        scripts = _scripts()
        head = scripts.get_current_head()
        before = current(db.engine)
        if before == head:
            print(f"database at {_where(db)} is up to date (revision {head}); nothing to apply")
            return 0
        applied = [s.revision for s in scripts.iterate_revisions(head, before)]
        upgrade(db.engine)
    finally:
        db.close()
    for revision in reversed(applied):
        print(f"applied {revision}: {_doc(scripts, revision)}")
    print(f"database at {_where(db)} upgraded from {before or 'empty'} to {head}")
    return 0


def cmd_current(config: Config) -> int:
    """Print the database's revision and whether it is this version's head."""
    from models.migrations import current
    from models.store.database import Database

    db = Database(config.database_url)
    try:
        revision = current(db.engine)
    finally:
        db.close()
    head = _scripts().get_current_head()
    if revision is None:
        print(f"no Jiesu schema at {_where(db)}: jiesu db upgrade creates it")
        return 1
    state = "up to date" if revision == head else f"behind: jiesu db upgrade brings it to {head}"
    print(f"{revision} ({state})")
    return 0


def cmd_history(config: Config) -> int:
    """List every migration, oldest first, marking the database's revision."""
    from models.migrations import current
    from models.store.database import Database

    db = Database(config.database_url)
    try:
        revision = current(db.engine)
    finally:
        db.close()
    scripts = _scripts()
    for step in reversed(list(scripts.walk_revisions())):
        mark = "  <- database" if step.revision == revision else ""
        print(f"{step.revision}  {_doc(scripts, step.revision)}{mark}")
    return 0


def register(sub: Any, dbsub: Any, common: argparse.ArgumentParser, config_of: ConfigOf) -> None:
    """Add db upgrade/current/history to the parsers."""
    up = dbsub.add_parser("upgrade", parents=[common], help="create or migrate the schema")
    up.set_defaults(func=lambda a: cmd_upgrade(config_of(a)))
    cur = dbsub.add_parser("current", parents=[common], help="the database's schema revision")
    cur.set_defaults(func=lambda a: cmd_current(config_of(a)))
    hist = dbsub.add_parser("history", parents=[common], help="every migration, oldest first")
    hist.set_defaults(func=lambda a: cmd_history(config_of(a)))
