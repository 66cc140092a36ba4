"""One inbound message observed: its id on every log line of its path, and its count and latency."""

from __future__ import annotations

import contextlib
import contextvars
import logging
import time
from collections.abc import Iterator
from dataclasses import dataclass

from sqlalchemy.exc import SQLAlchemyError

from models.messages import Inbound

from . import metrics
from .logs import new_id, request_id

log = logging.getLogger(__name__)


@dataclass
class Seen:
    """How one message's handling ended: handled, refused, duplicate or error."""

    outcome: str = "handled"


_SEEN: contextvars.ContextVar[Seen | None] = contextvars.ContextVar("jiesu_seen", default=None)


def mark(outcome: str) -> None:
    """Note how the message being handled ends (e.g. refused)."""
    seen = _SEEN.get()
    if seen is not None:
        seen.outcome = outcome


def message_id(msg: Inbound) -> str:
    """'telegram-123' from the platform's message id, or a fresh id when it gives none."""
    return f"{msg.channel}-{msg.message_id}" if msg.message_id else new_id(msg.channel)


@contextlib.contextmanager
def inbound(msg: Inbound) -> Iterator[Seen]:
    """Run the block under the message's id; count it and its latency when metrics are on."""
    seen = Seen()
    token = _SEEN.set(seen)
    started = time.perf_counter()
    with request_id(message_id(msg)):
        try:
            yield seen
        except SQLAlchemyError:
            seen.outcome = "error"
            metrics.database_error("inbound")
            raise
        except Exception:
            seen.outcome = "error"
            raise
        finally:
            _SEEN.reset(token)
            seconds = time.perf_counter() - started
            metrics.inbound(msg.channel, seen.outcome, seconds)
            # One line per message, like a web server's access log (no text: it may be personal).
            log.info("%s %s %s in %.0f ms", msg.channel, msg.chat_kind, seen.outcome, seconds * 1000)
