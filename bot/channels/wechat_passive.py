"""One push, one transaction: replay check, service window, the core, and the claim of the replies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import cast

from sqlalchemy import Table, update
from sqlalchemy.orm import Session

from handlers import router, texts
from models.messages import Button, Reply
from models.store.seen import first_time
from models.store.unit_of_work import Unit
from models.tables import Outbox, OutboxStatus

from .wechat_inbound import CHANNEL, Kind, Parsed
from .wechat_render import fits, media_id, render
from .wechat_store import NONCE_NAMESPACE, WindowWrites, close_window, open_window

PASSIVE_REMOTE_ID = "passive"
OUTBOX = cast(Table, Outbox.__table__)
LEASE = timedelta(seconds=60)  # if the answer never goes out, the outbox sender takes over then


@dataclass
class Deadline:
    """Set once the passive-reply budget has run out: the replies then go through the outbox."""

    passed: bool = False


@dataclass(frozen=True)
class Row:
    """A reply claimed for this push, as the user will read it."""

    id: int
    text: str
    has_media: bool = False


@dataclass
class Outcome:
    """What the transaction did with one push."""

    replay: bool = False
    duplicate: bool = False
    claimed: list[Row] = field(default_factory=list)
    queued: bool = False  # rows left to the outbox sender (other chats, or ours that were not claimed)
    window_at: datetime | None = None  # when the service window row was rewritten


def process(
    parsed: Parsed, nonce_key: str, deadline: Deadline, windows: WindowWrites
) -> Callable[[Unit, router.Handle], Outcome]:
    """The unit of work of one checked push, around the core (run with App.run)."""

    def run(u: Unit, handle: router.Handle) -> Outcome:
        session, now = u.session, u.now
        if not first_time(session, NONCE_NAMESPACE, nonce_key, now):
            return Outcome(replay=True)
        window_at = None
        if parsed.window is True and not windows.fresh(parsed.openid, now):
            open_window(session, parsed.openid, now)
            window_at = now
        elif parsed.window is False:
            close_window(session, parsed.openid)
            windows.forget(parsed.openid)
        outcome = _handle(u, handle, parsed, deadline)
        outcome.window_at = window_at
        return outcome

    return run


def _handle(u: Unit, handle: router.Handle, parsed: Parsed, deadline: Deadline) -> Outcome:
    """The message itself: through the core, or the friendly answer to what cannot be read."""
    if parsed.kind == Kind.IGNORE:
        return Outcome()
    alert_id = None
    if parsed.kind in (Kind.UNSUPPORTED, Kind.UNHEARD) or parsed.inbound is None:
        if not first_time(u.session, f"in:{CHANNEL}", parsed.message_id, u.now):
            return Outcome(duplicate=True)
        said = texts.WX_UNHEARD if parsed.kind == Kind.UNHEARD else texts.WX_UNSUPPORTED
        u.send(Reply(CHANNEL, parsed.openid, said))
    else:
        # Options are shown as numbered lines (wechat_render), so a bare number picks one.
        result = handle(u, parsed.inbound, numbered=True)
        if result.duplicate:
            return Outcome(duplicate=True)
        if result.alert:  # no pop-ups on WeChat: the answer to a choice is a message, said first
            alert_id = u.send(Reply(CHANNEL, parsed.openid, result.alert)).id
    return _claim(u, parsed.openid, u.now, deadline, alert_id)


def _claim(u: Unit, openid: str, now: datetime, deadline: Deadline, first: int | None) -> Outcome:
    """Take this chat's new replies for the passive answer, so no other sender sends them meanwhile."""
    own = {r.id: r for r in u.sent if r.channel == CHANNEL and r.chat_id == openid and r.edit_of is None}
    others = any(r.id not in own for r in u.sent)
    if deadline.passed or not own:
        return Outcome(queued=bool(u.sent))
    # Rows made by this transaction are invisible to other senders until commit; a pending card row
    # it re-used may not be, hence the status condition (the only contested case).
    table = OUTBOX
    taken = set(
        u.session.scalars(
            update(table)
            .where(table.c.id.in_(list(own)), table.c.status == OutboxStatus.PENDING)
            .values(status=OutboxStatus.SENDING, lease_until=now + LEASE, attempts=table.c.attempts + 1)
            .returning(table.c.id)
        )
    )
    order = sorted(taken, key=lambda i: (i != first, i))
    claimed = [_row(own[i]) for i in order]
    return Outcome(claimed=claimed, queued=others or len(taken) < len(own))


def _row(r: Outbox) -> Row:
    buttons = tuple(Button(label, payload) for label, payload in r.buttons or [])
    return Row(r.id, render(r.text, buttons, r.keyboard, r.photo), media_id(r.photo) is not None)


def split(claimed: list[Row]) -> tuple[list[Row], list[Row]]:
    """The leading replies that fit in one passive text message, and the rest."""
    joined = ""
    passive: list[Row] = []
    for row in claimed:
        candidate = f"{joined}\n\n{row.text}" if joined else row.text
        if row.has_media or not fits(candidate):
            break
        passive.append(row)
        joined = candidate
    return passive, claimed[len(passive) :]


def joined_text(rows: list[Row]) -> str:
    """The passive reply's text."""
    return "\n\n".join(r.text for r in rows)


def finish(session: Session, sent: list[int], release: list[int], now: datetime) -> None:
    """After the HTTP answers: passive replies are sent; the others go back to the outbox, due now."""
    table = OUTBOX
    if sent:
        session.execute(
            update(table)
            .where(table.c.id.in_(sent))
            .values(status=OutboxStatus.SENT, sent_at=now, remote_id=PASSIVE_REMOTE_ID, lease_until=None)
        )
    if release:
        session.execute(
            update(table)
            .where(table.c.id.in_(release), table.c.status == OutboxStatus.SENDING)
            .values(
                status=OutboxStatus.PENDING,
                next_attempt_at=now,
                lease_until=None,
                attempts=table.c.attempts - 1,  # the claim was ours, not a delivery attempt
            )
        )
