"""A database that cannot be written at start-up: one line that says what to fix, no traceback."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest

from bot.app import App
from bot.config import load
from bot.runtime import StartupError
from models.migrations import upgrade
from models.store.database import Database


def test_a_read_only_sqlite_file_is_one_line_naming_the_fix(tmp_path: Path) -> None:
    """Opened read-only (as a file the service user may not write), start-up stops with one line."""
    path = tmp_path / "jiesu.db"
    db = Database(f"sqlite:///{path}")
    upgrade(db.engine)
    db.close()
    config = load(None, env={})
    config.database_url = f"sqlite:///file:{path}?mode=ro&uri=true"
    app = App(config)
    try:
        with pytest.raises(StartupError) as refused:
            asyncio.run(app.start(console=False))
    finally:
        app.close()
    said = str(refused.value)
    assert "\\n" not in said and "read-only" in said and "writable by the user running jiesu" in said
    assert refused.value.__suppress_context__
