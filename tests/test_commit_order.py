"""PostgreSQL: each chat's messages go out in the order their transactions committed, not their ids."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import Iterator
from datetime import UTC, datetime

import pytest
from sqlalchemy import text
from sqlalchemy.orm import Session

from models import outbox
from models.messages import Reply
from models.store.database import Database

from . import timing
from .conftest import PG_URL

pytestmark = [
    pytest.mark.skipif(
        PG_URL is None, reason="SQLite has one writer thread: its transactions never interleave"
    ),
    pytest.mark.parametrize("db_url", ["postgresql"], indirect=True),
]

NOW = datetime(2026, 12, 7, 12, 0, tzinfo=UTC)


@pytest.fixture
def db(db_url: str) -> Iterator[Database]:
    """The migrated test database."""
    database = Database(db_url)
    try:
        yield database
    finally:
        database.close()


def _queue(session: Session, chat: str, said: str) -> int:
    """Queue one message to a chat in this transaction; return its id."""
    return outbox.enqueue(session, Reply("telegram", chat, said), NOW).id


def _heads(db: Database) -> dict[str, str]:
    """What the sender would send next in each chat (claimed, then released again)."""
    with db.sessions() as session, session.begin():
        rows = outbox.claim_due(session, NOW, owner="probe", channels=["telegram"], limit=50)
        outbox.release(session, "probe")
    return {r.chat_id: r.text for r in rows}


def test_the_transaction_that_commits_first_is_sent_first_though_its_id_is_higher(db: Database) -> None:
    """A takes the lower id but commits after B: B's message is the head of the chat's lane."""
    first = db.sessions()
    second = db.sessions()
    with first.begin(), second.begin():
        a = _queue(first, "group", "A: written first, committed second")
        b = _queue(second, "group", "B: written second, committed first")
        assert a < b
        second.commit()
        assert _heads(db) == {"group": "B: written second, committed first"}
        first.commit()
    first.close()
    second.close()
    assert _heads(db) == {"group": "B: written second, committed first"}
    with db.sessions() as session, session.begin():
        session.execute(text("UPDATE outbox SET status = 'sent' WHERE id = :id"), {"id": b})
    assert _heads(db) == {"group": "A: written first, committed second"}


def test_two_transactions_writing_two_chats_in_opposite_orders_both_commit_in_one_order(
    db: Database,
) -> None:
    """No deadlock at commit, and in both chats the same transaction comes first."""
    ready = threading.Barrier(2, timeout=timing.bound(10))
    errors: list[BaseException] = []

    def write(name: str, chats: list[str]) -> None:
        try:
            with db.sessions() as session, session.begin():
                for chat in chats:
                    _queue(session, chat, name)
                ready.wait()
        except BaseException as exc:
            errors.append(exc)

    threads = [
        threading.Thread(target=write, args=("A", ["x", "y"])),
        threading.Thread(target=write, args=("B", ["y", "x"])),
    ]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timing.bound(30))
    assert errors == []
    heads = _heads(db)
    assert set(heads) == {"x", "y"}
    assert heads["x"] == heads["y"], heads
    with db.sessions() as session:
        seqs = dict(session.execute(text("SELECT text, min(seq) FROM outbox GROUP BY text")).all())
    assert heads["x"] == min(seqs, key=lambda name: seqs[name])


async def test_every_message_of_a_group_commit_carries_its_transactions_commit_order(db: Database) -> None:
    """Units sharing one transaction are stamped together, after every unit wrote its rows."""
    units = [db.run(lambda s, i=i: _queue(s, f"chat{i % 3}", f"m{i}"), shared=True) for i in range(12)]
    await asyncio.gather(*units)
    with db.sessions() as session:
        rows = session.execute(text("SELECT seq FROM outbox")).all()
    assert len(rows) == 12
    assert all(seq is not None for (seq,) in rows)
