"""`jiesu db upgrade` creates the schema, and the Alembic head matches the models, on both backends."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.orm import Session

from bot.app import App
from bot.config import load
from models.base import Base
from models.migrations import alembic_config, current
from models.store.database import normalise_url
from models.tables import Area, Category

from . import timing

HEAD = ScriptDirectory.from_config(alembic_config(create_engine("sqlite://"))).get_current_head()


def jiesu(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the `jiesu` command line."""
    env = {k: v for k, v in os.environ.items() if k != "JIESU_DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=timing.bound(120),
        check=False,
    )


def test_db_upgrade_creates_the_schema_and_is_repeatable(empty_db_url: str, tmp_path: Path) -> None:
    """`jiesu db upgrade` on an empty database creates every table at the head revision; again is a no-op."""
    engine = create_engine(normalise_url(empty_db_url))
    try:
        assert inspect(engine).get_table_names() == []
        for said in (f"upgraded from empty to {HEAD}\n", "nothing to apply\n"):
            result = jiesu("db", "upgrade", "--db", empty_db_url, cwd=tmp_path)
            assert result.returncode == 0, result.stderr
            assert result.stdout.endswith(said), result.stdout
        assert jiesu("db", "current", "--db", empty_db_url, cwd=tmp_path).stdout == f"{HEAD} (up to date)\n"
        history = jiesu("db", "history", "--db", empty_db_url, cwd=tmp_path).stdout.splitlines()
        assert history[0] == "0001  initial schema" and history[-1].endswith("  <- database")
        tables = set(inspect(engine).get_table_names())
        assert tables == {t.name for t in Base.metadata.sorted_tables} | {"alembic_version"}
        assert current(engine) == HEAD
    finally:
        engine.dispose()


def test_db_upgrade_takes_the_url_from_the_environment(tmp_path: Path) -> None:
    """Without --db, `jiesu db upgrade` migrates the database named by JIESU_DATABASE_URL."""
    target = tmp_path / "from-env.db"
    env = {**os.environ, "JIESU_DATABASE_URL": f"sqlite+aiosqlite:///{target}"}
    result = subprocess.run(
        [sys.executable, "-m", "bot.cli", "db", "upgrade"],
        capture_output=True,
        text=True,
        cwd=tmp_path,
        env=env,
        timeout=timing.bound(120),
        check=False,
    )
    assert result.returncode == 0, result.stderr
    assert target.is_file() and not (tmp_path / "jiesu.db").exists()


def test_alembic_head_matches_the_models(empty_db_url: str) -> None:
    """After upgrading to head, autogenerate finds no difference between the database and the models."""
    engine = create_engine(normalise_url(empty_db_url))
    try:
        from models.migrations import upgrade

        upgrade(engine)
        with engine.connect() as conn:
            context = MigrationContext.configure(
                conn, opts={"compare_type": True, "compare_server_default": True}
            )
            assert compare_metadata(context, Base.metadata) == []
    finally:
        engine.dispose()


async def test_first_start_seeds_once(empty_db_url: str) -> None:
    """The first start creates schema and demo data by itself; a second start adds nothing."""
    for _ in range(2):
        config = load(None, env={})
        config.database_url = empty_db_url
        app = App(config)
        try:
            await app.start()
            counts = app.db.run_sync(
                lambda s: (
                    s.scalar(select(func.count()).select_from(Area)),
                    s.scalar(select(func.count()).select_from(Category)),
                )
            )
        finally:
            app.close()
        assert counts == (18, 127)  # 1 subdistrict, 5 departments, 5 communities, 7 grids; 127 categories


def test_upgrade_from_0002_keeps_areas_categories_and_tickets(empty_db_url: str) -> None:
    """A database at 0002 with areas and a ticket upgrades to head: rows kept, routing by centre works."""
    from models.migrations import upgrade
    from models.refdata import area_tree, catalogue

    engine = create_engine(normalise_url(empty_db_url))
    try:
        upgrade(engine, "0002")
        with engine.begin() as conn:
            conn.execute(
                text(
                    "INSERT INTO areas (id, code, name, level, parent_id, lat, lon) VALUES "
                    "(1, 'top', '老街道', 'subdistrict', NULL, NULL, NULL), "
                    "(2, 'c1', '一社区', 'community', 1, NULL, NULL), "
                    "(3, 'g1', '一网格', 'grid', 2, 29.345, 120.075)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO categories (id, code, name, parent_code, default_tier, department_code, "
                    "position) VALUES (1, 'road', '道路', NULL, 'simple', NULL, 0)"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO people (id, channel, external_id, name, created_at) "
                    "VALUES (1, 'console', 'r1', 'r1', '2026-11-01 09:00:00')"
                )
            )
            conn.execute(
                text(
                    "INSERT INTO tickets (id, resident_id, source, category_code, description, area_id, "
                    "status, tier, level, created_at, reminders_sent, followup_stage, followup_reminded, "
                    "reopen_count, overdue_count) VALUES (1, 1, 'self', 'road', '路面坏了', 3, 'open', "
                    "'simple', 0, '2026-11-01 09:00:00', 0, 0, false, 0, 0)"
                )
            )
        upgrade(engine)
        assert current(engine) == HEAD
        with Session(engine) as s:
            tree = area_tree(s)
            assert [(a.code, a.retired, a.datum) for a in tree.level("grid")] == [("g1", False, None)]
            route = tree.router.route_point(29.3451, 120.0752, "wgs84", 3.0)
            assert tree.by_id[route.area_id or 0].code == "g1"  # no polygons yet: the nearest centre
            cat = catalogue(s).get("road")
            assert cat is not None and (cat.urgent, cat.retired, cat.keywords) == (False, False, None)
            assert s.scalar(select(func.count()).select_from(text("tickets"))) == 1
    finally:
        engine.dispose()
