"""Alembic environment: runs with the engine handed over by models.migrations."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from models import tables  # noqa: F401  (registers every table)
from models.base import Base
from models.store.database import normalise_url

config = context.config
target_metadata = Base.metadata


def run() -> None:
    """Run migrations online, on the given engine or on sqlalchemy.url."""
    engine = config.attributes.get("engine")
    if engine is None:
        engine = create_engine(normalise_url(config.get_main_option("sqlalchemy.url") or ""))
    with engine.connect() as connection:
        context.configure(
            connection=connection,
            target_metadata=target_metadata,
            render_as_batch=connection.dialect.name == "sqlite",
        )
        with context.begin_transaction():
            context.run_migrations()
        connection.commit()


run()
