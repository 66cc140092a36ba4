"""`jiesu backup` and `jiesu restore`: a copy taken while the office writes restores every row."""

from __future__ import annotations

import threading
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select, text
from sqlalchemy.engine import make_url

from bot.cli import main
from models import outbox
from models.clock import FakeClock
from models.messages import Reply
from models.migrations import current, upgrade
from models.store import backup as bk
from models.store.database import Database, normalise_url
from models.tables import Outbox

from .test_release_upgrades import load_release, snapshot


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A migrated database with the demo's areas and categories."""
    database = Database(db_url)
    upgrade(database.engine)
    try:
        yield database
    finally:
        database.close()


@pytest.fixture
def new_db_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A database that does not exist yet: a new SQLite file, or a new PostgreSQL database."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/restored.db"
        return
    name = f"restore_{uuid.uuid4().hex[:8]}"
    base = make_url(normalise_url(db_url))
    admin = create_engine(base.set(database="postgres"), isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield base.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE "{name}" WITH (FORCE)'))
        admin.dispose()


def _writer(db: Database, stop: threading.Event, written: list[int]) -> None:
    """Write two rows per transaction until told to stop, noting each committed transaction's n."""
    clock = FakeClock()
    n = 0

    def write(session: Any, n: int) -> None:
        for chat in ("41", "42"):
            outbox.enqueue(session, Reply("telegram", chat, f"消息 {n}"), clock.now())

    while not stop.is_set():
        n += 1
        db.run_sync(lambda s, n=n: write(s, n))
        written.append(n)


def test_a_backup_taken_under_load_restores_every_row(
    db: Database, new_db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Writes go on while `jiesu backup` runs; the restored database holds every row committed
    before it started, each as it was, and no half of a transaction."""
    stop, written = threading.Event(), []
    thread = threading.Thread(target=_writer, args=(db, stop, written))
    thread.start()
    try:
        while len(written) < 50 and thread.is_alive():  # the writer is well under way
            thread.join(0.01)
        committed = len(written)
        assert main(["backup", "--db", db.url, "--dir", str(tmp_path / "backups")]) == 0
        while len(written) < committed + 50 and thread.is_alive():  # and goes on after the copy
            thread.join(0.01)
        assert thread.is_alive()
    finally:
        stop.set()
        thread.join()
    said = capsys.readouterr().out
    (copy,) = (tmp_path / "backups").iterdir()
    assert said.startswith(f"backup written to {copy} (")

    assert main(["restore", str(copy), "--db", new_db_url]) == 0
    assert f"restored {copy} into " in capsys.readouterr().out
    source, restored = Database(db.url), Database(new_db_url)
    try:
        assert current(restored.engine) == current(source.engine)
        theirs, ours = snapshot(restored.engine), snapshot(source.engine)
        texts = [int(r["text"].split()[1]) for r in theirs["outbox"].values()]
        assert set(written[:committed]) <= set(texts) <= set(written)  # every commit before the copy
        assert all(texts.count(n) == 2 for n in texts)  # and no transaction in half
        assert len(texts) < 2 * len(written)  # while the writes went on after it
        for table, rows in theirs.items():
            for key, row in rows.items():
                assert ours[table][key] == row, (table, key)
            if table != "outbox":
                assert rows.keys() == ours[table].keys(), table
    finally:
        source.close()
        restored.close()


def _count(url: str) -> Any:
    database = Database(url)
    try:
        return database.run_sync(lambda s: s.scalar(select(func.count()).select_from(Outbox)))
    finally:
        database.close()


def test_restore_refuses_a_database_that_is_not_empty(
    db: Database, new_db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Restoring over a live database, a missing file or the other backend's kind changes nothing."""
    db.run_sync(lambda s: outbox.enqueue(s, Reply("telegram", "42", "留着"), FakeClock().now()))
    assert main(["backup", "--db", db.url, "--dir", str(tmp_path / "b")]) == 0
    (copy,) = (tmp_path / "b").iterdir()
    capsys.readouterr()
    assert main(["restore", str(copy), "--db", db.url]) == 1
    assert "is not empty: restore only into a new, empty database" in capsys.readouterr().err
    assert main(["restore", str(tmp_path / "nothing.sqlite"), "--db", db.url]) == 1
    assert "no backup file at" in capsys.readouterr().err
    wrong = tmp_path / ("x.pgdump" if db.sqlite else "x.sqlite")
    wrong.write_bytes(b"not a backup")
    assert (
        main(["restore", str(wrong), "--db", f"sqlite:///{tmp_path}/other.db" if db.sqlite else db.url]) == 1
    )
    assert "backup, which this database needs" in capsys.readouterr().err or not db.sqlite
    assert _count(db.url) == 1


def test_backup_keeps_the_newest_few(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """--keep N leaves the newest N backups in the directory and says which it removed."""
    for _ in range(3):
        assert main(["backup", "--db", db.url, "--dir", str(tmp_path / "b"), "--keep", "2"]) == 0
    kept = sorted(p.name for p in (tmp_path / "b").iterdir())
    assert len(kept) == 2
    assert capsys.readouterr().out.count("removed old backup") == 1


def test_backup_of_no_database_says_so(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A backup of a database that has no tables is refused with one line."""
    assert main(["backup", "--db", f"sqlite:///{tmp_path}/none.db", "--dir", str(tmp_path / "b")]) == 1
    assert "nothing to back up" in capsys.readouterr().err


def test_pg_dump_older_than_the_server_is_refused(monkeypatch: pytest.MonkeyPatch) -> None:
    """A pg_dump of an older major version than the server's is not trusted with the backup."""
    monkeypatch.setattr(bk, "tool_major", lambda name: 15)
    bk.check_pg_dump(150020)
    with pytest.raises(bk.BackupError, match="pg_dump 15 cannot dump a PostgreSQL 16 server"):
        bk.check_pg_dump(160004)


def test_upgrade_without_pg_dump_says_how_to_back_up(
    empty_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without the PostgreSQL client tools, `jiesu db upgrade` prints the pg_dump command and goes on
    (its one transaction changes nothing if it fails); SQLite needs no tool and always backs up."""
    monkeypatch.setattr(bk.shutil, "which", lambda name: None)
    url = load_release("0009-663382a", empty_db_url, tmp_path)
    assert main(["db", "upgrade", "--db", url, "--backup-dir", str(tmp_path / "b")]) == 0
    out, err = capsys.readouterr()
    assert "upgraded from 0009 to " in out
    if url.startswith("sqlite"):
        assert "backup of revision 0009 written to" in out and err == ""
    else:
        assert "no backup taken: pg_dump is not installed" in err
        assert "take one yourself first: pg_dump --format=custom --no-owner" in err
        assert list((tmp_path / "b").iterdir()) == []


def test_a_backup_that_cannot_be_written_says_why(
    db: Database, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """A backup directory that cannot be made gives one line naming the file, and no copy."""
    (tmp_path / "taken").write_text("a file, not a directory")
    assert main(["backup", "--db", db.url, "--dir", str(tmp_path / "taken" / "b")]) == 1
    err = capsys.readouterr().err
    assert err.startswith(f"error: cannot write {tmp_path / 'taken' / 'b'}/jiesu-") and err.count("\n") == 1
