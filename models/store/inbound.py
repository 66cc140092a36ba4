"""The first reads of every inbound message: its seen key, its sender, its dialog.

On PostgreSQL each statement is a round trip and costs client CPU, so the three are one
statement there: the seen key is inserted in a CTE, and the sender's row and the dialog row
(locked FOR UPDATE, as open_dialog does) are read beside it. On SQLite a statement is a
function call, so first_time, get_or_create_person and open_dialog simply read for themselves.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, func, literal_column, select, true
from sqlalchemy.orm import Session

from ..tables import Dialog, Person, SeenKey
from .prepared import UNREAD, Prepared, Unread
from .seen import first_time
from .upsert import insert_ignoring

_S = cast(Table, SeenKey.__table__)
_P = cast(Table, Person.__table__)
_D = cast(Table, Dialog.__table__)
_SEEN = (
    insert_ignoring("postgresql", _S)
    .values(
        namespace=bindparam("namespace", type_=_S.c.namespace.type),
        key=bindparam("key", type_=_S.c.key.type),
        at=bindparam("at", type_=_S.c.at.type),
    )
    .returning(_S.c.key)
    .cte("seen")
)
_DIALOG = (
    select(_D.c.state, _D.c.data, _D.c.updated_at)
    .where(
        _D.c.channel == bindparam("channel"),
        _D.c.chat_id == bindparam("chat_id"),
        _D.c.user_id == bindparam("user_id"),
    )
    .with_for_update()
    .lateral("dialog")
)
_ONE = select(literal_column("1").label("one")).subquery("one")
_PG_READS = Prepared(
    select(
        select(func.count()).select_from(_SEEN).scalar_subquery().label("fresh"),
        *_P.c,
        *_DIALOG.c,
    ).select_from(
        _ONE.outerjoin(
            _P, and_(_P.c.channel == bindparam("channel"), _P.c.external_id == bindparam("user_id"))
        ).outerjoin(_DIALOG, true())
    )
)
_PERSON_COLUMNS = len(_P.c)


@dataclass(frozen=True)
class Reads:
    """Whether the message is new, and the sender's and dialog's rows when already read."""

    fresh: bool
    person: tuple[Any, ...] | Unread | None = UNREAD
    dialog: tuple[Any, ...] | Unread | None = UNREAD


def first_reads(
    session: Session, channel: str, message_id: str | None, now: datetime, *, user_id: str, chat_id: str
) -> Reads:
    """Record the message id (dedupe) and, on PostgreSQL, read the sender and lock the dialog."""
    namespace = f"in:{channel}"
    if message_id is None:
        return Reads(True)
    if session.get_bind().dialect.name != "postgresql":
        return Reads(first_time(session, namespace, message_id, now))
    row = _PG_READS.first(
        session,
        {
            "namespace": namespace,
            "key": message_id[:200],
            "at": now,
            "channel": channel,
            "user_id": user_id,
            "chat_id": chat_id,
        },
    )
    assert row is not None
    person = row[1 : 1 + _PERSON_COLUMNS]
    dialog = row[1 + _PERSON_COLUMNS :]
    return Reads(
        bool(row[0]),
        None if person[0] is None else tuple(person),
        None if dialog[0] is None else tuple(dialog),
    )
