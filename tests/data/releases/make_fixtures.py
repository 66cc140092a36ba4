"""Build the release fixtures: each earlier schema head's database, made by that release's own code.

For every release below, the script checks out the commit in a throw-away git worktree, plays
story.txt through that release's `jiesu console --script` (its own migrations, demo data and
handlers), adds what a console run cannot leave behind (outbox rows still pending, as a stopped
`jiesu run` leaves them), and writes:

- ``<revision>-<commit>.sqlite.gz``: the SQLite file, vacuumed with 1 KiB pages;
- ``<revision>-<commit>.pg.sql.gz``: a plain pg_dump of the same story played on PostgreSQL,
  stripped of schema names and session settings so a test can load it into any schema.

Run from the repository root with the project's venv (the old releases import the same libraries):

    .venv/bin/python tests/data/releases/make_fixtures.py postgresql+psycopg://postgres@127.0.0.1/gen

The PostgreSQL database named by the argument is emptied (its public schema dropped) for each
release. Without an argument (or with "-") only the SQLite fixtures are rebuilt; further arguments
name the revisions to rebuild (default: all).
"""

from __future__ import annotations

import gzip
import os
import re
import sqlite3
import subprocess
import sys
import tempfile
from pathlib import Path

from sqlalchemy import create_engine, inspect, text
from sqlalchemy.engine import make_url

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[2]
STORY = HERE / "story.txt"

# (schema head, commit): the last commit on main's first-parent line with each head, except 0002,
# which is the release of 2026-11-22 that the upgrade bug was first seen with.
RELEASES = [
    ("0001", "eafad10"),
    ("0002", "d8f5215"),
    ("0003", "a40dcb6"),
    ("0004", "42caf42"),
    ("0005", "4663bef"),
    ("0007", "cbe960e"),
    ("0008", "e9d6179"),
    ("0009", "663382a"),
    ("0010", "0bffc03"),
]
STATES = {"open", "claimed", "resolved", "closed", "withdrawn", "rejected", "merged"}
# Rows a stopped `jiesu run` leaves queued: copies of sent outbox rows put back to pending.
PENDING_COPIES = 3


def worktree_path(commit: str) -> Path:
    """Where a release is checked out while its fixtures are made."""
    return Path(tempfile.gettempdir()) / f"jiesu-release-{commit}"


def worktree(commit: str) -> Path:
    """A checkout of commit under the temporary directory (made once, removed by main)."""
    path = worktree_path(commit)
    if not path.exists():
        subprocess.run(["git", "-C", str(ROOT), "worktree", "add", "--detach", str(path), commit], check=True)
    return path


# Runs a release's command line with its own tree first: the venv's editable install of today's
# tree hooks imports ahead of PYTHONPATH, so that hook is taken out.
_OLD_CLI = """
import runpy, sys
sys.meta_path[:] = [f for f in sys.meta_path if "__editable__" not in getattr(f, "__module__", "")
                    and "__editable__" not in type(f).__module__]
sys.path.insert(0, sys.argv[1])
module = sys.argv[2]
sys.argv = ["jiesu", *sys.argv[3:]]
runpy.run_module(module, run_name="__main__")
"""


def jiesu(tree: Path, *args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    """Run that release's `jiesu ARGS`."""
    module = "jiesu.bot.cli" if (tree / "jiesu" / "bot" / "cli.py").exists() else "bot.cli"
    command = [sys.executable, "-c", _OLD_CLI, str(tree), module, *args]
    return subprocess.run(command, cwd=tree, env=env, capture_output=True, text=True)


def play(tree: Path, url: str) -> None:
    """Run the story through the release's console on url."""
    env = {**os.environ, "JIESU_DATABASE_URL": url, "PTB_TIMEDELTA": "true", "PYTHONDONTWRITEBYTECODE": "1"}
    env.pop("JIESU_CONFIG", None)
    env.pop("PYTHONPATH", None)
    done = jiesu(tree, "console", "--script", str(STORY), "--db", url, env=env)
    if done.returncode != 0 or "error:" in done.stderr:
        raise SystemExit(f"{tree}: console failed ({done.returncode}):\n{done.stderr[-3000:]}")


_CLEARED = {"sent_at", "lease_until", "leased_by", "owner", "error", "last_error", "remote_id"}


def add_pending(url: str) -> None:
    """Put copies of the last outbox rows back in the queue, as a stopped `jiesu run` leaves them."""
    engine = create_engine(url.replace("+asyncpg", "+psycopg"))
    columns = [c["name"] for c in inspect(engine).get_columns("outbox") if c["name"] != "id"]
    chosen = []
    for name in columns:
        if name == "status":
            chosen.append("'pending'")
        elif name == "attempts":
            chosen.append("0")
        elif name in _CLEARED:
            chosen.append("NULL")
        elif name == "dedupe_key":
            chosen.append("dedupe_key || ':requeued'")
        else:
            chosen.append(name)
    with engine.begin() as conn:
        ids = conn.execute(text(f"SELECT id FROM outbox ORDER BY id DESC LIMIT {PENDING_COPIES}")).scalars()
        conn.execute(
            text(
                f"INSERT INTO outbox ({', '.join(columns)}) SELECT {', '.join(chosen)} FROM outbox "
                f"WHERE id IN ({', '.join(str(i) for i in ids)}) ORDER BY id"
            )
        )
    engine.dispose()


def build_sqlite(revision: str, commit: str) -> Path:
    """The SQLite fixture of one release."""
    tree = worktree(commit)
    with tempfile.TemporaryDirectory() as tmp:
        db = Path(tmp) / "office.db"
        play(tree, f"sqlite:///{db}")
        conn = sqlite3.connect(db)
        states = {row[0] for row in conn.execute("SELECT status FROM tickets")}
        if states != STATES:
            raise SystemExit(f"{commit}: the story left tickets in {sorted(states)}, not {sorted(STATES)}")
        conn.close()
        add_pending(f"sqlite:///{db}")
        conn = sqlite3.connect(db)
        conn.execute("PRAGMA journal_mode=DELETE")
        conn.execute("PRAGMA page_size=1024")
        conn.execute("VACUUM")
        conn.close()
        out = HERE / f"{revision}-{commit}.sqlite.gz"
        out.write_bytes(gzip.compress(db.read_bytes(), mtime=0))
    return out


_SKIP = re.compile(
    r"^(SET |SELECT pg_catalog\.set_config|--|\\|COMMENT ON SCHEMA|CREATE SCHEMA|ALTER SCHEMA)"
)


def build_postgres(revision: str, commit: str, url: str) -> Path:
    """The PostgreSQL fixture of one release: a plain dump, schema-neutral."""
    tree = worktree(commit)
    engine = create_engine(url.replace("+asyncpg", "+psycopg"))
    with engine.begin() as conn:
        conn.execute(text("DROP SCHEMA IF EXISTS public CASCADE"))
        conn.execute(text("CREATE SCHEMA public"))
    engine.dispose()
    play(tree, url)
    add_pending(url)
    plain = make_url(url).set(drivername="postgresql").render_as_string(hide_password=False)
    dump = subprocess.run(
        ["pg_dump", "--no-owner", "--no-privileges", "--inserts", "--schema=public", plain],
        check=True,
        capture_output=True,
        text=True,
    ).stdout
    lines = [line for line in dump.splitlines() if line.strip() and not _SKIP.match(line)]
    body = "\n".join(lines).replace("public.", "") + "\n"
    out = HERE / f"{revision}-{commit}.pg.sql.gz"
    out.write_bytes(gzip.compress(body.encode(), mtime=0))
    return out


def main(argv: list[str]) -> int:
    """Build every fixture (PostgreSQL too when a URL is given)."""
    url = argv[1] if len(argv) > 1 and argv[1] != "-" else None
    only = set(argv[2:])
    for revision, commit in RELEASES:
        if only and revision not in only:
            continue
        try:
            print(build_sqlite(revision, commit))
            if url:
                print(build_postgres(revision, commit, url))
        finally:
            tree = worktree_path(commit)
            if tree.exists():
                remove = ["git", "-C", str(ROOT), "worktree", "remove", "--force", str(tree)]
                subprocess.run(remove, check=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv))
