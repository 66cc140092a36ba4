"""Alembic environment: runs with the engine handed over by models.migrations.

The whole upgrade is one transaction (SQLite's DDL is transactional too), so a failed migration
leaves the database exactly as it was. On SQLite, foreign keys are off while it runs, because batch
mode recreates tables that others reference; every migration then ends with PRAGMA
foreign_key_check, and any dangling reference fails the upgrade before the commit.
"""

from __future__ import annotations

from collections.abc import Collection, Mapping
from typing import Any

from alembic import context
from alembic.migration import MigrationContext, MigrationInfo
from sqlalchemy import Connection, create_engine

from models import tables  # noqa: F401  (registers every table)
from models.base import Base
from models.store.database import normalise_url

config = context.config
target_metadata = Base.metadata


class ForeignKeyViolation(RuntimeError):
    """A migration left rows that point at nothing."""


def _check_foreign_keys(
    ctx: MigrationContext, step: MigrationInfo, heads: Collection[Any], run_args: Mapping[str, Any]
) -> None:
    """After each migration on SQLite: fail (and roll back) when a reference dangles."""
    connection = ctx.connection
    assert connection is not None
    rows = connection.exec_driver_sql("PRAGMA foreign_key_check").fetchall()
    if rows:
        shown = ", ".join(f"{r[0]} row {r[1]} -> {r[2]}" for r in rows[:5])
        raise ForeignKeyViolation(
            f"migration {step.up_revision_id} left {len(rows)} dangling reference(s): {shown}"
        )


def _foreign_keys(connection: Connection, on: bool) -> None:
    """Switch SQLite's foreign keys, straight on the driver (a no-op inside a transaction)."""
    driver = connection.connection.driver_connection
    assert driver is not None
    driver.execute(f"PRAGMA foreign_keys={'ON' if on else 'OFF'}")


def run() -> None:
    """Run migrations online, on the given engine or on sqlalchemy.url."""
    engine = config.attributes.get("engine")
    if engine is None:
        engine = create_engine(normalise_url(config.get_main_option("sqlalchemy.url") or ""))
    with engine.connect() as connection:
        sqlite = connection.dialect.name == "sqlite"
        if sqlite:
            _foreign_keys(connection, False)  # before anything begins a transaction
        try:
            context.configure(
                connection=connection,
                target_metadata=target_metadata,
                render_as_batch=sqlite,
                transactional_ddl=True,
                transaction_per_migration=False,
                on_version_apply=_check_foreign_keys if sqlite else None,
            )
            with context.begin_transaction():
                context.run_migrations()
            connection.commit()
        finally:
            if sqlite:
                connection.rollback()
                _foreign_keys(connection, True)


run()
