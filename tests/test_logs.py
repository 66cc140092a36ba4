"""Logs: JSON lines with an id on every line of a message's path, and no phone or exact address."""

from __future__ import annotations

import io
import json
import logging
from collections.abc import Iterator

import pytest

from bot.config import ObservabilityConfig, load
from bot.health import Health
from bot.logs import request_id, scrub, setup
from bot.watch import watch_transports

from .harness import Harness

PHONE = "13800138000"
ADDRESS = "春晗路12号3单元502室"


@pytest.fixture
def logged() -> Iterator[io.StringIO]:
    """Every log line of the test, in JSON, at DEBUG; the root logger restored afterwards."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    handler = setup(ObservabilityConfig(log_format="json", log_level="DEBUG"), stream)
    try:
        yield stream
    finally:
        root.removeHandler(handler)
        for old in handlers:
            if old not in root.handlers:
                root.addHandler(old)
        root.setLevel(level)


def test_the_format_is_chosen_in_the_config() -> None:
    """[log] format and level, text by default; JIESU_LOG_FORMAT overrides the file."""
    assert load(None, env={}).observe.log_format == "text"
    assert load(None, env={"JIESU_LOG_FORMAT": "json"}).observe.log_format == "json"


def test_text_lines_carry_the_id_in_brackets() -> None:
    """The plain format ends a line logged under an id with [id]."""
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    stream = io.StringIO()
    handler = setup(ObservabilityConfig(), stream)
    try:
        with request_id("telegram-42"):
            logging.getLogger("bot.test").info("reply queued for %s", PHONE)
        logging.getLogger("bot.test").info("outside")
    finally:
        root.removeHandler(handler)
        root.handlers[:] = handlers
        root.setLevel(level)
    assert stream.getvalue().splitlines() == [
        "INFO bot.test: reply queued for *********** [telegram-42]",
        "INFO bot.test: outside",
    ]


async def test_a_whole_story_logs_ids_and_no_personal_data(h: Harness, logged: io.StringIO) -> None:
    """Report (with phone and address), grab, resolve, 双是: each message's line has its id; no PII."""
    watch_transports(h.app, Health())
    await h.setup_grid()
    tid = await h.report(description=f"{ADDRESS}门口人行道破损", phone=PHONE)
    await h.run(f"w1: 抢单 {tid}", f"w1: 办结 {tid} 已修好", "r1: 是", "r1: 满意")
    # What a careless log call might write: the scrubber masks it anyway.
    logging.getLogger("bot.test").warning("resident %s at %s", PHONE, ADDRESS)
    text = logged.getvalue()
    assert PHONE not in text and "138 0013 8000" not in text and "12号3单元502室" not in text
    lines = [json.loads(line) for line in text.splitlines()]
    assert {"ts", "level", "logger", "msg", "id"} <= set(lines[0])
    messages = [line for line in lines if line["logger"] == "bot.observe"]
    assert len(messages) >= 15  # one line per message of the story
    assert all(line["id"] and line["id"].startswith("console-") for line in messages)
    assert len({line["id"] for line in messages}) == len(messages)  # one id per message
    assert lines[-1]["msg"].startswith("resident *********** at ")


def test_scrub_masks_phones_and_addresses_but_not_dates_or_ports() -> None:
    """Numbers that are not personal (dates, addresses of servers) stay readable."""
    assert scrub(f"call {PHONE} or 0571-88886666") == "call *********** or ****-********"
    assert (
        scrub("listening on 127.0.0.1:8080 since 2026-12-07")
        == "listening on 127.0.0.1:8080 since 2026-12-07"
    )
    assert "502" not in scrub(f"地址 {ADDRESS}")
    token = "7000000001:AAF4k3-t0ken_for-jiesu-tests-0123456789"
    assert scrub(f"POST https://api.telegram.org/bot{token}/getMe") == (
        "POST https://api.telegram.org/bot7000000001:***/getMe"
    )
