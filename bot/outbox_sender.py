"""Deliver queued outbox rows through each channel's transport, with retries and backoff."""

from __future__ import annotations

import asyncio
import contextlib
import logging
from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from sqlalchemy.orm import Session

from models import outbox
from models.clock import Clock
from models.messages import Button
from models.store.database import Database
from models.tables import Outbox

log = logging.getLogger(__name__)
MAX_ATTEMPTS = 8


@dataclass(frozen=True)
class OutgoingMessage:
    """A claimed outbox row, as a transport sees it."""

    id: int
    channel: str
    chat_id: str
    text: str
    buttons: tuple[Button, ...]
    photo: str | None
    keyboard: str | None
    attempts: int
    edit_remote_id: str | None = None  # set when this row edits a message already delivered
    is_edit: bool = False


@dataclass(frozen=True)
class Delivery:
    """What a transport reports for one message."""

    ok: bool
    remote_id: str | None = None
    retry_after: float | None = None  # the channel asked us to wait (e.g. Telegram 429)
    permanent: bool = False  # never going to work (blocked, chat gone)
    error: str | None = None


class Transport(Protocol):
    """Sends messages of one channel."""

    channel: str

    async def deliver(self, message: OutgoingMessage) -> Delivery:
        """Send (or edit) one message and say how it went."""
        ...


def backoff(attempts: int) -> timedelta:
    """Exponential backoff: 2 s, 4 s, 8 s … capped at 10 minutes."""
    return timedelta(seconds=min(600, 2 ** max(1, attempts)))


class OutboxSender:
    """Claims due rows atomically, delivers them in order, records the outcome."""

    def __init__(self, db: Database, clock: Clock, transports: dict[str, Transport]) -> None:
        self.db = db
        self.clock = clock
        self.transports = transports
        self._lock = asyncio.Lock()
        self._wake = asyncio.Event()

    def _claim(self, session: Session, limit: int) -> list[OutgoingMessage]:
        rows: list[Outbox] = outbox.claim_due(
            session, self.clock.now(), channels=list(self.transports), limit=limit
        )
        out = []
        for r in rows:
            remote = outbox.remote_id_of(session, r.edit_of) if r.edit_of is not None else None
            out.append(
                OutgoingMessage(
                    id=r.id,
                    channel=r.channel,
                    chat_id=r.chat_id,
                    text=r.text,
                    buttons=tuple(Button(label, payload) for label, payload in (r.buttons or [])),
                    photo=r.photo,
                    keyboard=r.keyboard,
                    attempts=r.attempts,
                    edit_remote_id=remote,
                    is_edit=r.edit_of is not None,
                )
            )
        return out

    async def flush(self, limit: int = 200) -> int:
        """Deliver everything due now; return how many rows were handled."""
        async with self._lock:
            handled = 0
            while True:
                batch = await self.db.run(lambda s: self._claim(s, limit))
                if not batch:
                    return handled
                for message in batch:
                    await self._deliver_one(message)
                handled += len(batch)

    async def _deliver_one(self, message: OutgoingMessage) -> None:
        transport = self.transports[message.channel]
        try:
            result = await transport.deliver(message)
        except Exception as exc:  # a transport bug must not stop the queue
            log.exception("transport %s failed on outbox row %s", message.channel, message.id)
            result = Delivery(ok=False, error=f"{type(exc).__name__}: {exc}")
        now = self.clock.now()
        if result.ok:
            await self.db.run(lambda s: outbox.mark_sent(s, message.id, now, result.remote_id))
        elif result.permanent or message.attempts >= MAX_ATTEMPTS:
            log.warning("giving up on outbox row %s: %s", message.id, result.error)
            await self.db.run(lambda s: outbox.mark_failed(s, message.id, result.error or "failed"))
        else:
            wait = (
                timedelta(seconds=result.retry_after)
                if result.retry_after is not None
                else backoff(message.attempts)
            )
            await self.db.run(lambda s: outbox.mark_retry(s, message.id, now + wait, result.error or ""))

    def wake(self) -> None:
        """Ask the background loop to look at the outbox now."""
        self._wake.set()

    async def run_forever(self, interval: float = 1.0) -> None:
        """Deliver in the background until cancelled."""
        while True:
            try:
                await self.flush()
            except Exception:
                log.exception("outbox flush failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), timeout=interval)
            self._wake.clear()
