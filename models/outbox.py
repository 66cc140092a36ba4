"""The outbox: every message the bot sends is a row first, delivered after commit."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, and_, bindparam, insert, or_, select, update
from sqlalchemy.orm import Session

from .messages import Button, Reply
from .store.prepared import Prepared
from .tables import Outbox, OutboxStatus


def _buttons_json(buttons: tuple[Button, ...]) -> list[list[str]] | None:
    return [[b.label, b.payload] for b in buttons] if buttons else None


_TABLE = cast(Table, Outbox.__table__)
_INSERT = Prepared(insert(_TABLE).returning(_TABLE.c.id))
_LAST_CARD = Prepared(
    select(_TABLE.c.id, _TABLE.c.status)
    .where(
        _TABLE.c.card_of == bindparam("card_of"),
        _TABLE.c.channel == bindparam("channel"),
        _TABLE.c.chat_id == bindparam("chat_id"),
        _TABLE.c.edit_of.is_(None),
    )
    .order_by(_TABLE.c.id.desc())
    .limit(1)
)


def _held_for(session: Session, reply: Reply, now: datetime) -> Outbox | None:
    """A message still held (quiet hours) for the same ticket and chat, never tried yet."""
    if reply.ticket_id is None:
        return None
    return session.scalars(
        select(Outbox)
        .where(
            Outbox.channel == reply.channel,
            Outbox.chat_id == reply.chat_id,
            Outbox.ticket_id == reply.ticket_id,
            Outbox.status == OutboxStatus.PENDING,
            Outbox.attempts == 0,
            Outbox.next_attempt_at > now,
            Outbox.card_of.is_(None),
            Outbox.photo.is_(None),
        )
        .order_by(Outbox.id.desc())
        .limit(1)
    ).first()


def hold(session: Session, reply: Reply, now: datetime, until: datetime) -> Outbox:
    """Queue a message for `until` or later; held notices of one ticket to one chat fold into one."""
    if reply.card_of is None and reply.photo is None:
        held = _held_for(session, reply, now)
        if held is not None:
            if reply.text not in held.text.split("\n\n"):
                held.text = f"{held.text}\n\n{reply.text}"
            if reply.buttons:
                held.buttons = _buttons_json(reply.buttons)
            held.next_attempt_at = max(held.next_attempt_at, until)
            return held
    return enqueue(session, reply, now, not_before=until)


def enqueue(session: Session, reply: Reply, now: datetime, *, not_before: datetime | None = None) -> Outbox:
    """Queue one message; a card update replaces or edits the card already sent."""
    previous_id = None
    if reply.card_of is not None:
        card = _LAST_CARD.first(
            session, {"card_of": reply.card_of, "channel": reply.channel, "chat_id": reply.chat_id}
        )
        if card is not None and card[1] == OutboxStatus.PENDING:
            # Not sent yet: send the newest version instead of a post then an edit.
            previous = session.get(Outbox, card[0])
            assert previous is not None
            previous.text = reply.text
            previous.buttons = _buttons_json(reply.buttons)
            return previous
        previous_id = card[0] if card is not None else None
    values = {
        "channel": reply.channel,
        "chat_id": reply.chat_id,
        "text": reply.text,
        "buttons": _buttons_json(reply.buttons),
        "photo": reply.photo,
        "keyboard": reply.keyboard,
        "ticket_id": reply.ticket_id,
        "card_of": reply.card_of,
        "edit_of": previous_id,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": not_before or now,
        "created_at": now,
    }
    # A prebuilt INSERT … RETURNING id straight to the driver (fastsql) instead of add() + flush():
    # the unit of work cost more than the statement. The row handed back is a copy for reading
    # (id, chat, text), not tracked.
    row = _INSERT.first(session, values)
    assert row is not None
    return Outbox(id=row[0], **values)


def claim_due(
    session: Session,
    now: datetime,
    *,
    channels: list[str] | None = None,
    limit: int = 50,
    lease: timedelta = timedelta(seconds=60),
    ids: list[int] | None = None,
) -> list[Outbox]:
    """Atomically take due rows (pending, or sending with an expired lease) for delivery."""
    due = or_(
        and_(Outbox.status == OutboxStatus.PENDING, Outbox.next_attempt_at <= now),
        and_(Outbox.status == OutboxStatus.SENDING, Outbox.lease_until < now),
    )
    pick = select(Outbox.id).where(due).order_by(Outbox.id).limit(limit)
    if channels is not None:
        pick = pick.where(Outbox.channel.in_(channels))
    if ids is not None:
        pick = pick.where(Outbox.id.in_(ids))
    if session.get_bind().dialect.name == "postgresql":
        pick = pick.with_for_update(skip_locked=True)
    claimed = session.scalars(
        update(Outbox)
        .where(Outbox.id.in_(pick.scalar_subquery()), due)
        .values(status=OutboxStatus.SENDING, lease_until=now + lease, attempts=Outbox.attempts + 1)
        .returning(Outbox)
        .execution_options(synchronize_session=False)
    ).all()
    return sorted(claimed, key=lambda r: r.id)


def mark_sent(session: Session, row_id: int, now: datetime, remote_id: str | None) -> None:
    """Record a delivery the channel acknowledged."""
    session.execute(
        update(Outbox)
        .where(Outbox.id == row_id)
        .values(status=OutboxStatus.SENT, sent_at=now, remote_id=remote_id, lease_until=None)
    )


def mark_retry(session: Session, row_id: int, at: datetime, error: str) -> None:
    """Put a row back to be tried again at a later time."""
    session.execute(
        update(Outbox)
        .where(Outbox.id == row_id)
        .values(status=OutboxStatus.PENDING, next_attempt_at=at, error=error[:1000], lease_until=None)
    )


def mark_failed(session: Session, row_id: int, error: str) -> None:
    """Give up on a row for good (blocked bot, chat gone), keeping the reason."""
    session.execute(
        update(Outbox)
        .where(Outbox.id == row_id)
        .values(status=OutboxStatus.FAILED, error=error[:1000], lease_until=None)
    )


def remote_id_of(session: Session, row_id: int) -> str | None:
    """The channel's own message id of a delivered row (for edits)."""
    return session.scalar(select(Outbox.remote_id).where(Outbox.id == row_id))


_LATEST_BUTTONS = Prepared(
    select(_TABLE.c.buttons)
    .where(
        _TABLE.c.channel == bindparam("channel"),
        _TABLE.c.chat_id == bindparam("chat_id"),
        _TABLE.c.buttons.is_not(None),
    )
    .order_by(_TABLE.c.id.desc())
    .limit(1)
)


def latest_buttons(session: Session, channel: str, chat_id: str) -> list[Button]:
    """The buttons of the newest message with buttons in a chat."""
    session.flush()  # as a query would: rows changed in this transaction count
    row = _LATEST_BUTTONS.first(session, {"channel": channel, "chat_id": chat_id})
    return [Button(label, payload) for label, payload in (row[0] if row else None) or []]
