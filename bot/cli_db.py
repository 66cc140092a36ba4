"""`jiesu db upgrade|current|history`, `jiesu backup` and `jiesu restore`: the database's upkeep."""

from __future__ import annotations

import argparse
import logging
import shlex
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path

from alembic.script import ScriptDirectory
from sqlalchemy import inspect, text

from bot.config import Config
from models.migrations import alembic_config, current, upgrade
from models.store import backup as bk
from models.store.database import Database, is_sqlite

from .runtime import StartupError

log = logging.getLogger(__name__)
ConfigOf = Callable[[argparse.Namespace], Config]
DEFAULT_KEEP = 14


def _where(db: Database) -> str:
    return db.engine.url.render_as_string(hide_password=True)


def _scripts(db: Database) -> ScriptDirectory:
    return ScriptDirectory.from_config(alembic_config(db.engine))


def _has_tables(db: Database) -> bool:
    return bool(inspect(db.engine).get_table_names())


def default_dir(config: Config) -> Path:
    """Backups go beside an SQLite file (DIR/backups), else into ./backups."""
    if is_sqlite(config.database_url):
        try:
            return bk.sqlite_path(config.database_url).resolve().parent / "backups"
        except bk.BackupError:
            pass
    return Path("backups")


def take_backup(db: Database, directory: Path) -> Path:
    """A consistent copy of the database in directory; raises BackupError when none can be made."""
    target = bk.backup_name(directory, db.url, current(db.engine))
    try:
        directory.mkdir(parents=True, exist_ok=True)
        if db.sqlite:
            bk.copy_sqlite(bk.sqlite_path(db.url), target)
            return target
    except (OSError, sqlite3.Error) as exc:  # a full disk, a directory nobody may write
        if target.is_file():
            target.unlink()
        raise bk.BackupError(f"cannot write {target}: {exc}") from exc
    with db.engine.connect() as conn:
        version = int(conn.execute(text("SHOW server_version_num")).scalar_one())
    bk.dump_postgres(db.url, target, version)
    return target


def backup_if_behind(db: Database, config: Config) -> Path | None:
    """At `jiesu run`'s start: keep a copy of a database that has migrations to apply, as
    `jiesu db upgrade` does. An SQLite copy that cannot be made stops the start."""
    before = current(db.engine)
    if before is None or before == _scripts(db).get_current_head():
        return None
    try:
        path = take_backup(db, default_dir(config))
    except bk.BackupError as exc:
        if db.sqlite:
            raise StartupError(
                f"no backup could be made before upgrading the database from {before}: {exc}",
                ["free some disk space, or take a copy yourself and run: jiesu db upgrade --no-backup"],
            ) from exc
        log.warning("upgrading from %s without a backup: %s", before, exc)
        return None
    log.warning("database at revision %s: backup written to %s before upgrading", before, path)
    return path


def cmd_upgrade(config: Config, backup_dir: Path | None, no_backup: bool) -> int:
    """Back up a database that has migrations to apply, apply them, and say which."""
    db = Database(config.database_url)
    try:
        scripts = _scripts(db)
        head = scripts.get_current_head()
        before = current(db.engine)
        if before == head:
            print(f"database at {_where(db)} is up to date (revision {head}); nothing to apply")
            return 0
        if before is not None and not no_backup:
            directory = backup_dir or default_dir(config)
            try:
                path = take_backup(db, directory)
                print(f"backup of revision {before} written to {path}")
                print(f"  to go back: jiesu restore {shlex.quote(str(path))} (into an empty database)")
            except bk.BackupError as exc:
                if db.sqlite:
                    print(f"error: no backup could be made, nothing upgraded: {exc}", file=sys.stderr)
                    return 1
                shown = db.engine.url.render_as_string(hide_password=True)
                command = bk.pg_dump_command(shown, Path("jiesu-before-upgrade.pgdump"))
                print(f"no backup taken: {exc}", file=sys.stderr)
                print(f"  take one yourself first: {shlex.join(command)}", file=sys.stderr)
                print("  (the upgrade itself is one transaction: a failure changes nothing)", file=sys.stderr)
        applied = [s.revision for s in scripts.iterate_revisions(head, before)]
        upgrade(db.engine)
    finally:
        db.close()
    for revision in reversed(applied):
        doc = (scripts.get_revision(revision).doc or "").strip().splitlines()[0]
        print(f"applied {revision}: {doc}")
    print(f"database at {_where(db)} upgraded from {before or 'empty'} to {head}")
    return 0


def cmd_current(config: Config) -> int:
    """Print the database's revision and whether it is this version's head."""
    db = Database(config.database_url)
    try:
        revision = current(db.engine)
        head = _scripts(db).get_current_head()
    finally:
        db.close()
    if revision is None:
        print(f"no Jiesu schema at {_where(db)}: jiesu db upgrade creates it")
        return 1
    state = "up to date" if revision == head else f"behind: jiesu db upgrade brings it to {head}"
    print(f"{revision} ({state})")
    return 0


def cmd_history(config: Config) -> int:
    """List every migration, oldest first, marking the database's revision."""
    db = Database(config.database_url)
    try:
        revision = current(db.engine)
        scripts = _scripts(db)
        steps = list(reversed(list(scripts.walk_revisions())))
    finally:
        db.close()
    for step in steps:
        doc = (step.doc or "").strip().splitlines()[0]
        mark = "  <- database" if step.revision == revision else ""
        print(f"{step.revision}  {doc}{mark}")
    return 0


def cmd_backup(config: Config, directory: Path | None, keep: int) -> int:
    """Write one backup and drop the oldest beyond keep."""
    db = Database(config.database_url)
    try:
        if not _has_tables(db):
            print(f"error: no Jiesu database at {_where(db)}: nothing to back up", file=sys.stderr)
            return 1
        started = time.monotonic()
        try:
            path = take_backup(db, directory or default_dir(config))
        except bk.BackupError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
    finally:
        db.close()
    took = time.monotonic() - started
    print(f"backup written to {path} ({path.stat().st_size} bytes, {took:.1f} s)")
    for old in bk.prune(path.parent, keep):
        print(f"removed old backup {old}")
    return 0


def cmd_restore(config: Config, source: Path) -> int:
    """Load a backup into the configured database, which must be empty."""
    if not source.is_file():
        print(f"error: no backup file at {source}", file=sys.stderr)
        return 1
    db = Database(config.database_url)
    try:
        where = _where(db)
        if _has_tables(db):
            print(
                f"error: the database at {where} is not empty: restore only into a new, empty database "
                "(stop jiesu, move the SQLite file away or create a new PostgreSQL database, then retry)",
                file=sys.stderr,
            )
            return 1
        wants = bk.SQLITE_SUFFIX if db.sqlite else bk.PG_SUFFIX
        if source.suffix != wants:
            print(f"error: {source} is not a {wants} backup, which this database needs", file=sys.stderr)
            return 1
        try:
            if db.sqlite:
                bk.copy_sqlite(source, bk.sqlite_path(db.url))
            else:
                bk.restore_postgres(db.url, source)
        except bk.BackupError as exc:
            print(f"error: {exc}", file=sys.stderr)
            return 1
        revision = current(db.engine)
        head = _scripts(db).get_current_head()
    finally:
        db.close()
    print(f"restored {source} into {where} (revision {revision})")
    if revision != head:
        print(f"next: jiesu db upgrade (this version's schema is {head})")
    return 0


def register(
    sub: argparse._SubParsersAction[argparse.ArgumentParser],
    dbsub: argparse._SubParsersAction[argparse.ArgumentParser],
    common: argparse.ArgumentParser,
    config_of: ConfigOf,
) -> None:
    """Add db upgrade/current/history, backup and restore to the parsers."""
    up = dbsub.add_parser("upgrade", parents=[common], help="back up, then create or migrate the schema")
    up.add_argument("--backup-dir", type=Path, help="where the backup goes (default: beside the database)")
    up.add_argument("--no-backup", action="store_true", help="skip the backup (you took one yourself)")
    up.set_defaults(func=lambda a: cmd_upgrade(config_of(a), a.backup_dir, a.no_backup))
    cur = dbsub.add_parser("current", parents=[common], help="the database's schema revision")
    cur.set_defaults(func=lambda a: cmd_current(config_of(a)))
    hist = dbsub.add_parser("history", parents=[common], help="every migration, oldest first")
    hist.set_defaults(func=lambda a: cmd_history(config_of(a)))
    back = sub.add_parser("backup", parents=[common], help="write a consistent copy of the database")
    back.add_argument("--dir", type=Path, help="where backups go (default: beside the database)")
    back.add_argument(
        "--keep", type=int, default=DEFAULT_KEEP, help=f"backups kept (default {DEFAULT_KEEP}; 0 keeps all)"
    )
    back.set_defaults(func=lambda a: cmd_backup(config_of(a), a.dir, a.keep))
    rest = sub.add_parser("restore", parents=[common], help="load a backup into an empty database")
    rest.add_argument("file", type=Path, help="a .sqlite or .pgdump file written by jiesu backup")
    rest.set_defaults(func=lambda a: cmd_restore(config_of(a), a.file))
