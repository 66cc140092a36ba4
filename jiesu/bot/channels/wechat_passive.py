"""One push, one transaction: replay check, service window, the core, and the claim of the replies."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import update
from sqlalchemy.orm import Session

from jiesu import texts
from jiesu.handlers import router
from jiesu.models.messages import Button, Reply
from jiesu.models.outbox import claim_due, mark_sent
from jiesu.models.seen import first_time
from jiesu.models.tables import Outbox, OutboxStatus
from jiesu.models.unit import Unit

from ..app import App
from .wechat_inbound import CHANNEL, Kind, Parsed, answer_by_number
from .wechat_render import fits, media_id, render
from .wechat_store import close_window, open_window

NONCE_NAMESPACE = "wx-nonce"
PASSIVE_REMOTE_ID = "passive"


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


def process(app: App, parsed: Parsed, nonce_key: str, deadline: Deadline) -> Callable[[Session], Outcome]:
    """The unit of work of one checked push (run with app.db.run)."""

    def run(session: Session) -> Outcome:
        now = app.clock.now()
        if not first_time(session, NONCE_NAMESPACE, nonce_key, now):
            return Outcome(replay=True)
        if parsed.window is True:
            open_window(session, parsed.openid, now)
        elif parsed.window is False:
            close_window(session, parsed.openid)
        if parsed.kind == Kind.IGNORE:
            return Outcome()
        u = app.unit(session)
        alert_id = None
        if parsed.kind == Kind.UNSUPPORTED or parsed.inbound is None:
            if not first_time(session, f"in:{CHANNEL}", parsed.message_id, now):
                return Outcome(duplicate=True)
            u.send(Reply(CHANNEL, parsed.openid, texts.WX_UNSUPPORTED))
        else:
            result = router.handle(u, answer_by_number(session, parsed.inbound))
            if result.duplicate:
                return Outcome(duplicate=True)
            if result.alert:  # no pop-ups on WeChat: the answer to a choice is a message, said first
                alert_id = u.send(Reply(CHANNEL, parsed.openid, result.alert)).id
        return _claim(u, parsed.openid, now, deadline, alert_id)

    return run


def _claim(u: Unit, openid: str, now: datetime, deadline: Deadline, first: int | None) -> Outcome:
    """Take this chat's new replies for the passive answer, so no other sender sends them meanwhile."""
    own = {r.id for r in u.sent if r.channel == CHANNEL and r.chat_id == openid and r.edit_of is None}
    others = any(r.id not in own for r in u.sent)
    if deadline.passed or not own:
        return Outcome(queued=bool(u.sent))
    rows = claim_due(u.session, now, channels=[CHANNEL], ids=sorted(own), limit=len(own))
    rows.sort(key=lambda r: (r.id != first, r.id))
    claimed = [
        Row(
            r.id,
            render(
                r.text,
                tuple(Button(label, payload) for label, payload in r.buttons or []),
                r.keyboard,
                r.photo,
            ),
            media_id(r.photo) is not None,
        )
        for r in rows
    ]
    return Outcome(claimed=claimed, queued=others or len(rows) < len(own))


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
    """After the HTTP answer: passive replies are sent; the others go back to the outbox, due now."""
    for row_id in sent:
        mark_sent(session, row_id, now, PASSIVE_REMOTE_ID)
    if release:
        session.execute(
            update(Outbox)
            .where(Outbox.id.in_(release), Outbox.status == OutboxStatus.SENDING)
            .values(
                status=OutboxStatus.PENDING,
                next_attempt_at=now,
                lease_until=None,
                attempts=Outbox.attempts - 1,  # the claim was ours, not a delivery attempt
            )
        )
