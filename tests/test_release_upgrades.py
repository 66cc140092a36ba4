"""Databases made by every earlier release upgrade to today's schema with every row, on both backends.

The fixtures in tests/data/releases/ were written by each release's own code playing story.txt
(make_fixtures.py): tickets in every state, points paid, outbox rows still pending, and two
residents stopped in the middle of the report wizard.
"""

from __future__ import annotations

import gzip
import shutil
from datetime import datetime
from pathlib import Path
from typing import Any

import pytest
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, MetaData, create_engine, event, func, inspect, select, text
from sqlalchemy.exc import OperationalError

from bot.app import App
from bot.cli import main
from bot.config import load
from bot.runtime import StartupError
from models.migrations import alembic_config, current, upgrade
from models.store import backup as bk
from models.store.database import Database, normalise_url
from models.tables import Person, Ticket

from .harness import Harness

RELEASES = Path(__file__).parent / "data" / "releases"
FIXTURES = sorted(p.name.removesuffix(".sqlite.gz") for p in RELEASES.glob("*.sqlite.gz"))
HEAD = ScriptDirectory.from_config(alembic_config(create_engine("sqlite://"))).get_current_head()
STATES = {"open", "claimed", "resolved", "closed", "withdrawn", "rejected", "merged"}


def load_release(name: str, url: str, tmp_path: Path) -> str:
    """Put a release's database at url (an empty database of the same backend); return the URL."""
    if url.startswith("sqlite"):
        target = tmp_path / f"{name}.db"
        target.write_bytes(gzip.decompress((RELEASES / f"{name}.sqlite.gz").read_bytes()))
        return f"sqlite:///{target}"
    script = gzip.decompress((RELEASES / f"{name}.pg.sql.gz").read_bytes()).decode()
    engine = create_engine(normalise_url(url))
    raw = engine.raw_connection()
    try:
        raw.driver_connection.execute(script)  # no parameters: the dump's % signs are text
        raw.commit()
    finally:
        raw.close()
    engine.dispose()
    return url


def snapshot(engine: Engine) -> dict[str, dict[tuple[Any, ...], dict[str, Any]]]:
    """Every row of every table, by primary key."""
    meta = MetaData()
    meta.reflect(engine)
    rows: dict[str, dict[tuple[Any, ...], dict[str, Any]]] = {}
    with engine.connect() as conn:
        for table in meta.sorted_tables:
            if table.name == "alembic_version":
                continue
            key = [c.name for c in table.primary_key.columns] or [c.name for c in table.columns]
            rows[table.name] = {
                tuple(r[k] for k in key): {c: _plain(v) for c, v in r.items()}
                for r in (row._mapping for row in conn.execute(select(table)))
            }
    return rows


def _plain(value: Any) -> Any:
    """Values as both backends and every schema version compare them (datetimes naive, to the µs)."""
    if isinstance(value, datetime):
        return value.replace(tzinfo=None).isoformat(" ")
    if isinstance(value, str) and len(value) >= 19 and value[4] == "-" and value[10] == " ":
        return datetime.fromisoformat(value).replace(tzinfo=None).isoformat(" ")
    return value


@pytest.fixture(params=FIXTURES)
def release(request: pytest.FixtureRequest) -> str:
    """One earlier release's fixture name, e.g. 0002-d8f5215."""
    return str(request.param)


def test_every_release_has_a_fixture() -> None:
    """One fixture per schema head up to the newest released one, with no revision skipped.

    (Revisions added since the last fixture are not released yet; make_fixtures.py adds theirs.)"""
    heads = {name.split("-")[0] for name in FIXTURES}
    scripts = ScriptDirectory.from_config(alembic_config(create_engine("sqlite://")))
    chain = [s.revision for s in reversed(list(scripts.walk_revisions()))]
    newest = max(chain.index(h) for h in heads)
    assert heads == set(chain[: newest + 1]) and chain[0] == "0001"


async def test_an_old_release_upgrades_with_every_row(
    release: str, empty_db_url: str, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """jiesu db upgrade backs up, migrates to head, keeps every row; mid-wizard residents go on."""
    url = load_release(release, empty_db_url, tmp_path)
    engine = create_engine(normalise_url(url))
    try:
        assert current(engine) == release.split("-")[0]
        before = snapshot(engine)
        assert {r["status"] for r in before["tickets"].values()} == STATES
        assert any(r["status"] == "pending" for r in before["outbox"].values())
        assert before["points_ledger"]

        assert main(["db", "upgrade", "--db", url, "--backup-dir", str(tmp_path / "backups")]) == 0
        said = capsys.readouterr().out
        revision = release.split("-")[0]
        if revision == HEAD:
            assert "nothing to apply" in said
        else:
            assert f"upgraded from {revision} to {HEAD}" in said
            if url.startswith("sqlite") or shutil.which("pg_dump"):
                (copy,) = (tmp_path / "backups").iterdir()
                assert f"backup of revision {revision} written to {copy}" in said
            else:
                assert "no backup taken: pg_dump is not installed" in capsys.readouterr().err
        assert current(engine) == HEAD
        after = snapshot(engine)
    finally:
        engine.dispose()
    lost = []
    for table, rows in before.items():
        assert table in after, f"table {table} is gone"
        for key, row in rows.items():
            new = after[table].get(key)
            if new is None:
                lost.append(f"{table}{key}")
                continue
            for column, old in row.items():
                if column in new and new[column] != old:
                    lost.append(f"{table}{key}.{column}: {old!r} -> {new[column]!r}")
    assert lost == []

    h = await Harness.create(url)
    try:
        await h.run(
            "r8: 垃圾桶满了三天没人清运，味道很大",
            "r8: [tap 跳过]",
            "r8: [location 29.3450,120.0754]",
            "r8: 132 0013 2000",
            "r8: [tap 确认提交]",
            "r9: [location 29.3452,120.0747]",
            "r9: 131 0013 1000",
            "r9: [tap 确认提交]",
        )
        filed = h.app.db.run_sync(
            lambda s: {
                p.external_id: (t.category_code, t.status.value)
                for t, p in s.execute(
                    select(Ticket, Person)
                    .join(Person, Person.id == Ticket.resident_id)
                    .where(Person.external_id.in_(["r8", "r9"]))
                )
            }
        )
    finally:
        h.app.close()
    assert filed == {"r8": ("sanitation", "open"), "r9": ("greening", "open")}


def test_a_failed_upgrade_leaves_the_database_as_it_was(empty_db_url: str, tmp_path: Path) -> None:
    """A migration that fails half-way rolls back every migration of the run, on both backends."""
    url = load_release("0002-d8f5215", empty_db_url, tmp_path)
    db = Database(url)
    try:
        before = snapshot(db.engine)
        tables = set(inspect(db.engine).get_table_names())

        @event.listens_for(db.engine, "before_cursor_execute")
        def _fail(_conn: Any, _cur: Any, statement: str, *_args: Any) -> None:
            if "ix_ticket_events_ticket_at" in statement:  # migration 0010, after seven others
                raise OperationalError(statement, (), Exception("disk I/O error (injected)"))

        with pytest.raises(OperationalError):
            upgrade(db.engine)
        event.remove(db.engine, "before_cursor_execute", _fail)
        assert current(db.engine) == "0002"
        assert set(inspect(db.engine).get_table_names()) == tables
        assert snapshot(db.engine) == before
        upgrade(db.engine)  # and the same release upgrades once the fault is gone
        assert current(db.engine) == HEAD
    finally:
        db.close()


def test_a_dangling_reference_fails_the_upgrade_on_sqlite(tmp_path: Path) -> None:
    """With foreign keys off for batch mode, a migration that leaves a dangling row fails and rolls back."""
    url = load_release("0003-a40dcb6", "sqlite://", tmp_path)
    db = Database(url)
    try:
        with db.engine.connect() as conn:
            conn.connection.driver_connection.execute("PRAGMA foreign_keys=OFF")
            conn.exec_driver_sql("UPDATE areas SET parent_id = 9999 WHERE code = 'siji-1'")
            conn.commit()
        with pytest.raises(RuntimeError, match="migration 0004 left 1 dangling reference"):
            upgrade(db.engine)
        assert current(db.engine) == "0003"
        with db.engine.connect() as conn:
            assert conn.scalar(select(func.count()).select_from(text("pragma_table_info('areas')"))) == 7
    finally:
        db.close()


async def test_jiesu_run_keeps_a_copy_before_it_migrates(
    empty_db_url: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A start of `jiesu run` on an older database backs it up first (SQLite beside the file,
    PostgreSQL with pg_dump into ./backups); a start with nothing to migrate copies nothing."""
    monkeypatch.chdir(tmp_path)
    url = load_release("0008-e9d6179", empty_db_url, tmp_path)
    for _ in range(2):
        config = load(None, env={})
        config.database_url = url
        app = App(config)
        try:
            await app.start(console=False)
        finally:
            app.close()
    made = [p.name for p in (tmp_path / "backups").glob("jiesu-*")]
    if url.startswith("sqlite") or shutil.which("pg_dump"):
        assert len(made) == 1 and "-0008." in made[0]
    else:  # the start logs the pg_dump command instead (see test_backup.py)
        assert made == []


async def test_no_copy_no_migration_at_start_on_sqlite(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """When the SQLite copy cannot be written (disk full), `jiesu run` stops with what to do and
    leaves the database at its old revision."""

    def full(source: Path, target: Path) -> None:
        raise bk.BackupError("disk full (injected)")

    monkeypatch.setattr(bk, "copy_sqlite", full)
    url = load_release("0008-e9d6179", "sqlite://", tmp_path)
    config = load(None, env={})
    config.database_url = url
    app = App(config)
    try:
        with pytest.raises(StartupError, match=r"no backup could be made .* from 0008: disk full") as caught:
            await app.start(console=False)
        assert "jiesu db upgrade --no-backup" in caught.value.details[0]
        assert current(app.db.engine) == "0008"
    finally:
        app.close()
