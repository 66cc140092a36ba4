"""What the sender hands a transport and what a transport reports back."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from typing import Protocol

from models.messages import Button

MAX_ATTEMPTS = 8  # real API calls per message; then it is marked failed with its last error
FIRST_WAIT, LAST_WAIT = 2.0, 600.0


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
    attempts: int  # real API attempts already spent on it
    edit_remote_id: str | None = None  # set when this row edits a message already delivered
    is_edit: bool = False
    parts_done: int = 0  # leading parts of a long message a previous attempt delivered
    document: str | None = None  # a local file sent as a file (the text is its caption)
    # The keyboard kind ("location", "contact", "remove") of the last row delivered to this chat
    # before this one, read at claim time when this row closes a keyboard (lane heads only).
    previous_keyboard: str | None = None


@dataclass(frozen=True)
class Delivery:
    """What a transport reports for one message."""

    ok: bool
    remote_id: str | None = None
    retry_after: float | None = None  # the channel asked us to wait (e.g. Telegram 429)
    permanent: bool = False  # never going to work (blocked, chat gone)
    error: str | None = None
    attempted: bool = True  # False: no API call was made (spends no attempt)
    parts_done: int = 0  # on failure: leading parts that did arrive (not sent again)


class Transport(Protocol):
    """Sends messages of one channel."""

    channel: str

    async def deliver(self, message: OutgoingMessage) -> Delivery:
        """Send (or edit) one message and say how it went."""
        ...


def backoff(attempts: int) -> timedelta:
    """Wait after the n-th failed attempt: 2 s growing evenly (×2.6) to 10 min at the 7th."""
    n = max(1, attempts)
    ratio = (LAST_WAIT / FIRST_WAIT) ** (1 / (MAX_ATTEMPTS - 2))
    return timedelta(seconds=min(LAST_WAIT, FIRST_WAIT * ratio ** (n - 1)))
