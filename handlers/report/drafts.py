"""Half-done reports: one reminder after 30 idle minutes, dropped after 24 hours."""

from __future__ import annotations

from datetime import timedelta

from sqlalchemy import select

from models.messages import Reply
from models.store.unit_of_work import Unit
from models.tables import Dialog

from .. import texts
from ..menu import MENU
from ..states import REPORT, Step

REMIND_AFTER = timedelta(minutes=30)
DROP_AFTER = timedelta(hours=24)
BATCH = 200


def sweep(u: Unit, limit: int = BATCH) -> int:
    """Remind or drop the drafts idle too long; return how many were touched."""
    rows = u.session.scalars(
        select(Dialog)
        .where(Dialog.state.in_(sorted(REPORT)), Dialog.updated_at <= u.now - REMIND_AFTER)
        .order_by(Dialog.updated_at)
        .limit(limit)
        .with_for_update(skip_locked=True)
    )
    touched = 0
    for dialog in rows:
        data = dict(dialog.data or {})
        stamp = dialog.updated_at.isoformat()
        if dialog.updated_at <= u.now - DROP_AFTER:
            dialog.state = Step.IDLE
            dialog.data = {}
            u.send(Reply(dialog.channel, dialog.chat_id, texts.DRAFT_DROPPED, MENU))
        elif data.get("reminded") != stamp:
            # Remembered by the idle stamp, so the next idle spell gets its own reminder.
            dialog.data = {**data, "reminded": stamp}
            u.send(Reply(dialog.channel, dialog.chat_id, texts.DRAFT_REMINDER))
        else:
            continue
        touched += 1
    return touched
