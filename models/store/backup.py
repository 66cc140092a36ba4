"""Backup copies of the database: SQLite's online backup API, PostgreSQL's pg_dump/pg_restore."""

from __future__ import annotations

import re
import shutil
import sqlite3
import subprocess
from datetime import UTC, datetime
from pathlib import Path
from urllib.parse import unquote

from sqlalchemy.engine import make_url

from .database import is_sqlite, normalise_url

SQLITE_SUFFIX = ".sqlite"
PG_SUFFIX = ".pgdump"


class BackupError(RuntimeError):
    """A backup or restore cannot be made; the message says what to do."""


def sqlite_path(url: str) -> Path:
    """The file of an SQLite URL (an in-memory database has none)."""
    name = make_url(normalise_url(url)).database
    if not name or name == ":memory:":
        raise BackupError("an in-memory SQLite database has nothing to back up")
    return Path(name)


def backup_name(directory: Path, url: str, revision: str | None, now: datetime | None = None) -> Path:
    """A new file name in directory: jiesu-<UTC time>-<revision>.<sqlite|pgdump>."""
    stamp = (now or datetime.now(UTC)).strftime("%Y%m%dT%H%M%S%fZ")
    suffix = SQLITE_SUFFIX if is_sqlite(url) else PG_SUFFIX
    return directory / f"jiesu-{stamp}-{revision or 'empty'}{suffix}"


def copy_sqlite(source: Path, target: Path) -> None:
    """Copy one SQLite database into another with the online backup API (consistent while in use)."""
    src = sqlite3.connect(f"file:{source}?mode=ro", uri=True)
    try:
        dst = sqlite3.connect(target)
        try:
            src.backup(dst)
        finally:
            dst.close()
    finally:
        src.close()


def libpq_args(url: str) -> tuple[str, list[str]]:
    """A libpq connection URI for the pg tools, and --schema when the URL pins a search_path."""
    u = make_url(normalise_url(url))
    options = unquote(str(u.query.get("options", "")))
    schema = re.search(r"search_path=([A-Za-z0-9_]+)", options)
    plain = u.set(drivername="postgresql", query={}).render_as_string(hide_password=False)
    return plain, ([f"--schema={schema.group(1)}"] if schema else [])


def _tool(name: str) -> str:
    path = shutil.which(name)
    if path is None:
        raise BackupError(
            f"{name} is not installed: install the PostgreSQL client tools of the server's version "
            "(Debian: apt install postgresql-client)"
        )
    return path


def tool_major(name: str) -> int:
    """The major version of a PostgreSQL client tool (pg_dump 15.2 -> 15)."""
    out = subprocess.run([_tool(name), "--version"], capture_output=True, text=True, check=True).stdout
    m = re.search(r"(\d+)(?:\.\d+)?", out)
    if m is None:
        raise BackupError(f"cannot read the version of {name}: {out.strip()!r}")
    return int(m.group(1))


def check_pg_dump(server_version_num: int) -> None:
    """pg_dump must be at least the server's major version, or its dump may be incomplete."""
    server = server_version_num // 10000
    client = tool_major("pg_dump")
    if client < server:
        raise BackupError(
            f"pg_dump {client} cannot dump a PostgreSQL {server} server: install postgresql-client-{server}"
        )


def pg_dump_command(url: str, target: Path) -> list[str]:
    """The pg_dump command line of a custom-format dump (password left in the URI if given)."""
    plain, schema = libpq_args(url)
    return ["pg_dump", "--format=custom", "--no-owner", "--no-privileges", *schema, f"--file={target}", plain]


def dump_postgres(url: str, target: Path, server_version_num: int) -> None:
    """Dump a PostgreSQL database to target in pg_dump's custom format."""
    check_pg_dump(server_version_num)
    command = pg_dump_command(url, target)
    command[0] = _tool("pg_dump")
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode != 0:
        target.unlink(missing_ok=True)
        raise BackupError(f"pg_dump failed: {done.stderr.strip()[:500]}")


def restore_postgres(url: str, source: Path) -> None:
    """Load a custom-format dump into a PostgreSQL database (which should be empty)."""
    plain, _schema = libpq_args(url)
    command = [_tool("pg_restore"), "--no-owner", "--no-privileges", "--exit-on-error", f"--dbname={plain}"]
    done = subprocess.run([*command, str(source)], capture_output=True, text=True)
    if done.returncode != 0:
        raise BackupError(f"pg_restore failed: {done.stderr.strip()[:500]}")


def prune(directory: Path, keep: int) -> list[Path]:
    """Delete all but the newest keep backups in directory; return what was deleted."""
    if keep <= 0:
        return []
    found = sorted(
        (p for p in directory.glob("jiesu-*") if p.suffix in (SQLITE_SUFFIX, PG_SUFFIX)),
        key=lambda p: p.name,
    )
    gone = found[:-keep]
    for path in gone:
        path.unlink()
    return gone
