"""Logging for `jiesu run`: text or JSON lines, an id per message on every line, no personal data.

`[log] format = "json"` writes one JSON object per line (ts, level, logger, msg, id and, for an
error, exc) for a log shipper; "text" (the default) writes plain lines. Either way, a line logged
while one message, web request or delivery is handled carries its id (`with request_id(...)`), and
phone numbers and exact addresses are masked before a line is written. Rotation is journald's or
docker's (docs/operating.md, "Logs").
"""

from __future__ import annotations

import contextlib
import contextvars
import json
import logging
import re
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from typing import TYPE_CHECKING, TextIO

from handlers.masking import mask_private

if TYPE_CHECKING:
    from bot.config import ObservabilityConfig

_ID: contextvars.ContextVar[str | None] = contextvars.ContextVar("jiesu_request_id", default=None)
_PHONE = re.compile(r"(?<!\d)(?:\+?86[- ]?)?1[3-9]\d{9}(?!\d)|(?<!\d)0\d{2,3}-\d{7,8}(?!\d)")
_CJK = re.compile(r"[\u4e00-\u9fff]")
_BOT_TOKEN = re.compile(r"(?<!\d)(\d{6,12}):[A-Za-z0-9_-]{30,}")  # a Telegram bot token (in a URL, say)
TEXT_FORMAT = "%(levelname)s %(name)s: %(message)s"


def new_id(prefix: str) -> str:
    """A short id for one unit of work, e.g. 'telegram-5f2c9a1b'."""
    return f"{prefix}-{uuid.uuid4().hex[:8]}"


def current_id() -> str | None:
    """The id of the message, request or delivery being handled here, if any."""
    return _ID.get()


@contextlib.contextmanager
def request_id(value: str) -> Iterator[str]:
    """Every line logged inside the block (and in tasks and threads it starts) carries `value`."""
    token = _ID.set(value)
    try:
        yield value
    finally:
        _ID.reset(token)


def scrub(text: str) -> str:
    """The text with phone numbers, exact addresses and bot tokens masked."""
    text = _BOT_TOKEN.sub(r"\1:***", text)
    text = _PHONE.sub(lambda m: re.sub(r"\d", "*", m.group()), text)
    return mask_private(text) if _CJK.search(text) else text


class _Scrub(logging.Filter):
    """Adds the id and masks personal data, whatever the format."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = _ID.get() or "-"
        message = scrub(record.getMessage())
        record.msg, record.args = message, None
        return True


class JsonFormatter(logging.Formatter):
    """One JSON object per line."""

    def format(self, record: logging.LogRecord) -> str:
        line = {
            "ts": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname.lower(),
            "logger": record.name,
            "msg": record.getMessage(),
            "id": getattr(record, "request_id", None) if getattr(record, "request_id", "-") != "-" else None,
        }
        if record.exc_info:
            line["exc"] = scrub(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


class _TextFormatter(logging.Formatter):
    """Plain lines; the id in brackets when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        text = super().format(record)
        rid = getattr(record, "request_id", "-")
        return text if rid == "-" else f"{text} [{rid}]"


def setup(observe: ObservabilityConfig, stream: TextIO | None = None) -> logging.Handler:
    """Send every log line to stderr (or `stream`) in the configured format; returns the handler."""
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.addFilter(_Scrub())
    handler.setFormatter(JsonFormatter() if observe.log_format == "json" else _TextFormatter(TEXT_FORMAT))
    root = logging.getLogger()
    for old in list(root.handlers):
        if getattr(old, "jiesu", False) or type(old) is logging.StreamHandler:  # basicConfig's
            root.removeHandler(old)
    handler.jiesu = True  # type: ignore[attr-defined]
    root.addHandler(handler)
    root.setLevel(observe.log_level)
    for noisy in ("httpx", "httpcore", "apscheduler", "telegram", "uvicorn.access"):
        logging.getLogger(noisy).setLevel(max(logging.WARNING, root.level))
    return handler
