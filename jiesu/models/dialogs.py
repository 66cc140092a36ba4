"""Dialog state: one row per (channel, chat, user), read and locked on every message."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.orm import Session

from .tables import Dialog


def load_dialog(session: Session, channel: str, chat_id: str, user_id: str, now: datetime) -> Dialog:
    """Fetch (and on PostgreSQL lock) the dialog row, creating it when new."""
    key = (channel, chat_id, user_id)
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            pg_insert(Dialog)
            .values(channel=channel, chat_id=chat_id, user_id=user_id, state="idle", data={}, updated_at=now)
            .on_conflict_do_nothing()
        )
        row = session.scalar(
            select(Dialog)
            .where(Dialog.channel == channel, Dialog.chat_id == chat_id, Dialog.user_id == user_id)
            .with_for_update()
        )
        assert row is not None
        return row
    row = session.get(Dialog, key)
    if row is None:
        row = Dialog(channel=channel, chat_id=chat_id, user_id=user_id, state="idle", data={}, updated_at=now)
        session.add(row)
    return row


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
