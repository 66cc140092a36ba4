"""Under `jiesu run`, a queued row that no configured channel can deliver is settled with a reason."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.delivery import Sender
from models import outbox
from models.clock import FakeClock
from models.messages import Reply
from models.migrations import upgrade
from models.store.database import Database
from models.tables import Outbox

from .test_delivery import Recorder
from .test_release_upgrades import load_release


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """A migrated, empty database."""
    database = Database(db_url)
    upgrade(database.engine)
    try:
        yield database
    finally:
        database.close()


def rows(db: Database) -> dict[str, tuple[str, str | None]]:
    """Each row's chat: (status, error)."""
    return db.run_sync(
        lambda s: {r.chat_id: (str(r.status), r.error) for r in s.scalars(select(Outbox).order_by(Outbox.id))}
    )


async def test_rows_of_a_channel_nobody_serves_are_dropped_with_a_reason(db: Database) -> None:
    """A console row from two hours ago is dropped; a served row is sent; a fresh unserved row waits."""
    clock = FakeClock()
    db.run_sync(lambda s: outbox.enqueue(s, Reply("console", "old-console", "旧消息"), clock.now()))
    clock.advance(timedelta(hours=2))
    db.run_sync(lambda s: outbox.enqueue(s, Reply("wechat", "fresh-wechat", "刚写的"), clock.now()))
    db.run_sync(lambda s: outbox.enqueue(s, Reply("telegram", "42", "你好"), clock.now()))
    telegram = Recorder()
    sender = Sender(db, clock, {"telegram": telegram})
    sender.settles_unserved = True
    await sender.flush()
    assert rows(db) == {
        "old-console": ("dropped", "no console channel is configured"),
        "fresh-wechat": ("pending", None),  # a channel off for a restart keeps its queue for an hour
        "42": ("sent", None),
    }
    assert telegram.calls == [("42", "你好")]


async def test_the_console_and_tests_leave_other_channels_rows_alone(db: Database) -> None:
    """Only `jiesu run` settles: a console session on the same database drops nobody's rows."""
    clock = FakeClock()
    db.run_sync(lambda s: outbox.enqueue(s, Reply("telegram", "42", "你好"), clock.now()))
    clock.advance(timedelta(days=1))
    await Sender(db, clock, {"console": Recorder(channel="console")}).flush()
    assert rows(db) == {"42": ("pending", None)}


async def test_an_old_releases_console_rows_are_settled_after_upgrade(
    empty_db_url: str, tmp_path: Path
) -> None:
    """The pending console rows of the release of 2026-11-22 do not wait for ever under `jiesu run`."""
    url = load_release("0002-d8f5215", empty_db_url, tmp_path)
    db = Database(url)
    try:
        upgrade(db.engine)
        pending = db.run_sync(
            lambda s: list(
                s.scalars(select(Outbox.id).where(Outbox.status == "pending", Outbox.channel == "console"))
            )
        )
        assert len(pending) == 3
        sender = Sender(db, FakeClock(datetime(2026, 12, 7, 9, 0, tzinfo=UTC)), {"telegram": Recorder()})
        sender.settles_unserved = True
        await sender.flush()
        left = db.run_sync(
            lambda s: {
                (str(r.status), r.error) for r in s.scalars(select(Outbox).where(Outbox.id.in_(pending)))
            }
        )
        assert left == {("dropped", "no console channel is configured")}
    finally:
        db.close()
