"""Dialog state: one row per (channel, chat, user), read and locked on every message."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, insert, select, update
from sqlalchemy.orm import Session

from .store.prepared import UNREAD, Prepared, Unread, built
from .store.upsert import insert_ignoring
from .tables import IDLE, Dialog

# The inbound pipeline reads and writes the dialog with prebuilt statements run straight on the
# driver (open_dialog, save_dialog): building them, the ORM unit of work and SQLAlchemy's execution
# machinery cost more than the statements.
_T = cast(Table, Dialog.__table__)
_KEY = and_(
    _T.c.channel == bindparam("k_channel"),
    _T.c.chat_id == bindparam("k_chat_id"),
    _T.c.user_id == bindparam("k_user_id"),
)
_COLUMNS = (_T.c.state, _T.c.data, _T.c.updated_at)
_SELECT = select(*_COLUMNS).where(_KEY)
_SELECT_LOCKED = Prepared(_SELECT.with_for_update())
_SELECT_PLAIN = Prepared(_SELECT)
_INSERT = Prepared(insert(_T))
_PG_INSERT = Prepared(insert_ignoring("postgresql", _T).returning(*_COLUMNS))
_UPDATE = Prepared(
    update(_T)
    .where(_KEY)
    .values(
        state=bindparam("b_state", type_=_T.c.state.type),
        data=bindparam("b_data", type_=_T.c.data.type),
        updated_at=bindparam("b_updated_at", type_=_T.c.updated_at.type),
    )
)


@dataclass
class OpenDialog:
    """A dialog row read for one message: an untracked copy the flows change, and what was read."""

    dialog: Dialog
    state: str
    data: Any  # the object read: a new dict assigned with other content is a change
    updated_at: datetime
    new: bool  # not in the table yet (SQLite: inserted by save_dialog)


def open_dialog(
    session: Session,
    channel: str,
    chat_id: str,
    user_id: str,
    now: datetime,
    row: tuple[Any, ...] | Unread | None = UNREAD,
) -> OpenDialog:
    """Fetch (and on PostgreSQL lock) the dialog row, creating it when new; save_dialog writes it back.

    row: (state, data, updated_at) when the caller has read (and locked) it already.
    """
    key = {"k_channel": channel, "k_chat_id": chat_id, "k_user_id": user_id}
    new = False
    if session.get_bind().dialect.name == "postgresql":
        if row is UNREAD:
            row = _SELECT_LOCKED.first(session, key)
        if row is None:  # insert it now, which locks it too; a concurrent first message may win
            values = {"channel": channel, "chat_id": chat_id, "user_id": user_id}
            row = _PG_INSERT.first(session, {**values, "state": IDLE, "data": {}, "updated_at": now})
            row = row or _SELECT_LOCKED.first(session, key)
            assert row is not None
        state, data, updated_at = row
    else:  # SQLite: BEGIN IMMEDIATE already serialises writers; a new row is inserted on save
        if row is UNREAD:
            row = _SELECT_PLAIN.first(session, key)
        if row is None:
            state, data, updated_at, new = IDLE, {}, now, True
        else:
            state, data, updated_at = row
    dialog = built(
        Dialog,
        {
            "channel": channel,
            "chat_id": chat_id,
            "user_id": user_id,
            "state": state,
            "data": data,
            "updated_at": updated_at,
        },
    )
    return OpenDialog(dialog, state, data, updated_at, new)


def save_dialog(session: Session, opened: OpenDialog) -> None:
    """Write the dialog back when the flow changed it (or it is new)."""
    d = opened.dialog
    if opened.new:
        _INSERT.rows(
            session,
            {
                "channel": d.channel,
                "chat_id": d.chat_id,
                "user_id": d.user_id,
                "state": d.state,
                "data": d.data,
                "updated_at": d.updated_at,
            },
        )
        opened.new = False
    elif (
        d.state != opened.state
        or d.updated_at != opened.updated_at
        or (d.data is not opened.data and d.data != opened.data)
    ):
        _UPDATE.rows(
            session,
            {
                "k_channel": d.channel,
                "k_chat_id": d.chat_id,
                "k_user_id": d.user_id,
                "b_state": d.state,
                "b_data": d.data,
                "b_updated_at": d.updated_at,
            },
        )
    opened.state, opened.data, opened.updated_at = d.state, d.data, d.updated_at


def set_state(dialog: Dialog, state: str, now: datetime, data: dict[str, Any] | None = None) -> None:
    """Move the dialog to a state, replacing its data when given."""
    dialog.state = state
    if data is not None:
        dialog.data = dict(data)
    dialog.updated_at = now


def update_data(dialog: Dialog, now: datetime, **changes: Any) -> None:
    """Change some fields of the dialog's data (a new dict, so the ORM sees it)."""
    data = dict(dialog.data or {})
    data.update(changes)
    dialog.data = data
    dialog.updated_at = now
