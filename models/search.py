"""The office's ticket search: an inverted index of character pairs, the same on SQLite and PostgreSQL.

Chinese has no spaces, and most queries are two or three characters (路灯, 井盖, 消防通道), too short
for trigram indexes. Every pair of adjacent characters of a ticket's text is a word of the index; a
query matches tickets holding all of its pairs, read from the (word, ticket_id) key. Phone numbers
are indexed by their endings (the last 4 digits up to the whole number), names and addresses by
their pairs, all three marked private.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Any, cast

from sqlalchemy import Select, Table, delete, func, insert, select, text
from sqlalchemy.orm import Session

from .folding import nfkc
from .tables import Person, Ticket, TicketWord

WORD_MAX = 24
_WORDS = cast(Table, TicketWord.__table__)
_UNNEST = text(
    "INSERT INTO ticket_words (word, ticket_id, private) SELECT * FROM "
    "unnest(CAST(:word AS varchar[]), CAST(:ticket_id AS bigint[]), CAST(:private AS boolean[]))"
)
PHONE_MIN = 4  # digits at the end of a phone number that find it
_SPLIT = re.compile(r"[\s\W_]+", re.UNICODE)


def _fold(text: str) -> str:
    return nfkc(text).lower()


def pairs(text: str) -> set[str]:
    """The pairs of adjacent characters of each run of letters and digits (one-character runs whole)."""
    out: set[str] = set()
    for run in _SPLIT.split(_fold(text)):
        if len(run) == 1:
            out.add(run)
        out.update(run[i : i + 2] for i in range(len(run) - 1))
    return out


def phone_words(phone: str) -> set[str]:
    """A phone number's endings of PHONE_MIN digits and more, marked so they never meet text pairs."""
    digits = re.sub(r"\D", "", phone)
    return {f"#{digits[-n:]}" for n in range(PHONE_MIN, len(digits) + 1)}


def words_of(
    description: str | None, name: str | None, address: str | None, phone: str | None
) -> tuple[set[str], set[str]]:
    """(public, private) words of a ticket: its description; its resident's phone, name and address."""
    private = pairs(" ".join(x for x in (name, address) if x))
    if phone:
        private |= phone_words(phone)
    return pairs(description or ""), private


def _rows(ticket_id: int, public: set[str], private: set[str]) -> list[dict[str, object]]:
    return [
        {"word": w[:WORD_MAX], "ticket_id": ticket_id, "private": flag}
        for flag, found in ((False, public), (True, private))
        for w in sorted(found)
    ]


def index(session: Session, ticket: Ticket) -> None:
    """Put one ticket into the index (again: its old words go first)."""
    session.execute(delete(TicketWord).where(TicketWord.ticket_id == ticket.id))
    name = ticket.contact_name or session.scalar(select(Person.name).where(Person.id == ticket.resident_id))
    rows = _rows(ticket.id, *words_of(ticket.description, name, ticket.address, ticket.phone))
    if rows:
        session.execute(insert(TicketWord), rows)


def index_new(session: Session, tickets: list[Ticket], resident_name: str | None) -> None:
    """Put tickets of one resident just created into the index, in one INSERT (no old words to drop)."""
    rows = [
        r
        for t in tickets
        for r in _rows(t.id, *words_of(t.description, t.contact_name or resident_name, t.address, t.phone))
    ]
    if not rows:
        return
    if session.get_bind().dialect.name == "postgresql":
        # One statement with three arrays: an executemany would send one INSERT per word (about 35
        # per ticket), and a VALUES list this long costs the driver more to build than to run.
        columns = {k: [r[k] for r in rows] for k in ("word", "ticket_id", "private")}
        session.execute(_UNNEST, columns)
    else:
        session.execute(insert(_WORDS), rows)  # the table, not the entity: no ORM work per row


def reindex(session: Session, batch: int = 2000) -> int:
    """Build the whole index from the tickets table (after a bulk load); return how many tickets."""
    session.execute(delete(TicketWord))
    done, last = 0, 0
    while True:
        # Columns, not the mapped class: the migration that builds the index runs this too.
        found = session.execute(
            select(
                Ticket.id,
                Ticket.description,
                func.coalesce(Ticket.contact_name, Person.name),
                Ticket.address,
                Ticket.phone,
            )
            .join(Person, Person.id == Ticket.resident_id)
            .where(Ticket.id > last)
            .order_by(Ticket.id)
            .limit(batch)
        ).all()
        if not found:
            return done
        rows = [r for tid, *fields in found for r in _rows(int(tid), *words_of(*fields))]
        if rows:
            session.execute(insert(TicketWord), rows)
        done += len(found)
        last = int(found[-1][0])


def query_words(q: str) -> list[set[str]]:
    """The words each term of a query needs (all of them), one set per space-separated term."""
    terms = [t for t in _SPLIT.split(_fold(q)) if t]
    return [pairs(t) for t in terms]


def matching(words: Iterable[str], *, private: bool) -> Select[Any]:
    """Tickets that hold every one of the words (public or private ones)."""
    wanted = sorted({w[:WORD_MAX] for w in words})
    return (
        select(TicketWord.ticket_id)
        .where(TicketWord.word.in_(wanted), TicketWord.private.is_(private))
        .group_by(TicketWord.ticket_id)
        .having(func.count() == len(wanted))
    )
