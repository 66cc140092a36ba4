"""`jiesu db upgrade` creates the schema, and the Alembic head matches the models, on both backends."""

from __future__ import annotations

import os
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import create_engine, func, inspect, select, text
from sqlalchemy.engine import make_url

from bot.app import App
from bot.config import load
from models.base import Base
from models.migrations import alembic_config, current
from models.store.database import normalise_url
from models.tables import Area, Category

HEAD = ScriptDirectory.from_config(alembic_config(create_engine("sqlite://"))).get_current_head()


@pytest.fixture
def empty_db_url(db_url: str, tmp_path: Path) -> Iterator[str]:
    """A database with no tables at all: a new SQLite file, or a new PostgreSQL schema."""
    if db_url.startswith("sqlite"):
        yield f"sqlite:///{tmp_path}/fresh.db"
        return
    schema = f"mig_{uuid.uuid4().hex[:8]}"
    admin = create_engine(normalise_url(db_url))
    with admin.begin() as conn:
        conn.execute(text(f"CREATE SCHEMA {schema}"))
    url = make_url(normalise_url(db_url)).update_query_dict({"options": f"-csearch_path={schema}"})
    try:
        yield url.render_as_string(hide_password=False)
    finally:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA {schema} CASCADE"))
        admin.dispose()


def jiesu(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    """Run the `jiesu` command line."""
    env = {k: v for k, v in os.environ.items() if k != "JIESU_DATABASE_URL"}
    return subprocess.run(
        [sys.executable, "-m", "bot.cli", *args],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=env,
        timeout=120,
        check=False,
    )


def test_db_upgrade_creates_the_schema_and_is_repeatable(empty_db_url: str, tmp_path: Path) -> None:
    """`jiesu db upgrade` on an empty database creates every table at the head revision; again is a no-op."""
    engine = create_engine(normalise_url(empty_db_url))
    try:
        assert inspect(engine).get_table_names() == []
        for _ in range(2):
            result = jiesu("db", "upgrade", "--db", empty_db_url, cwd=tmp_path)
            assert result.returncode == 0, result.stderr
            assert result.stdout.startswith("database at ") and result.stdout.endswith(" is up to date\n")
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
        timeout=120,
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
        assert counts == (18, 16)  # 1 subdistrict, 5 departments, 5 communities, 7 grids
