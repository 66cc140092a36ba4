"""Steps of the wall clock (NTP, a VM resumed, an operator's date -s): nothing stalls, nothing is skipped."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable

import pytest

from bot.delivery import limits
from scheduler.ticker import Ticker


class Clocks:
    """An injected wall clock and monotonic clock; sleeping moves both by the same amount."""

    def __init__(self) -> None:
        self.mono = 1000.0
        self.wall = 1_800_000_000.0
        self.slept: list[float] = []

    async def sleep(self, seconds: float) -> None:
        """Pass `seconds` on both clocks."""
        self.slept.append(seconds)
        self.mono += seconds
        self.wall += seconds
        await asyncio.sleep(0)

    def step(self, seconds: float) -> None:
        """Step the wall clock alone."""
        self.wall += seconds


def ticker(clocks: Clocks, job: Callable[[], object]) -> Ticker:
    async def run() -> None:
        job()

    return Ticker(
        "SLA scan", run, 60.0, wall=lambda: clocks.wall, monotonic=lambda: clocks.mono, sleep=clocks.sleep
    )


@pytest.mark.parametrize("step", [-3600.0, 86400.0], ids=["back-an-hour", "forward-a-day"])
async def test_scan_ticks_every_interval_across_a_step_and_says_so_once(
    step: float, caplog: pytest.LogCaptureFixture
) -> None:
    """After a step back an hour or forward a day, the scan still runs every 60 s; one log line says so."""
    clocks = Clocks()
    seen: list[float] = []
    t = ticker(clocks, lambda: seen.append(clocks.wall))
    await t.tick()
    clocks.step(step)
    with caplog.at_level(logging.WARNING, logger="scheduler.ticker"):
        for _ in range(3):
            await clocks.sleep(t.every)
            await t.tick()
    assert len(seen) == 4
    # The first tick after the step saw the new wall time: due work (read from the wall clock) catches up.
    assert seen[1] == pytest.approx(seen[0] + 60 + step)
    assert [r.getMessage() for r in caplog.records if "stepped" in r.getMessage()] == [
        f"wall clock stepped {'back' if step < 0 else 'forward'} by {abs(step):.0f} s; SLA scan runs on"
        " (due work is caught up now)"
    ]
    assert t.steps == 1


async def test_an_outage_is_one_line_and_its_end_another(caplog: pytest.LogCaptureFixture) -> None:
    """Ten failing scans in a row (the database down) log one line; the first success after them one more."""
    clocks = Clocks()
    failing = [True]

    def job() -> None:
        if failing[0]:
            raise ConnectionError("connection refused\ndetails that go on")

    t = ticker(clocks, job)
    with caplog.at_level(logging.INFO, logger="scheduler.ticker"):
        for _ in range(10):
            await t.tick()
        failing[0] = False
        await t.tick()
        await t.tick()
    lines = [r.getMessage() for r in caplog.records]
    assert lines == [
        "SLA scan failed (said once until it works again): ConnectionError: connection refused",
        "SLA scan works again after 10 failed runs",
    ]
    assert all(r.exc_info is None for r in caplog.records)


def test_send_times_in_the_future_are_stale_after_a_step_back(db_url: str) -> None:
    """Sends booked before the wall clock stepped back an hour lie in the future: they hold no slot."""
    from sqlalchemy import create_engine
    from sqlalchemy.orm import Session

    from models.migrations import upgrade
    from models.store.database import normalise_url

    engine = create_engine(normalise_url(db_url))
    upgrade(engine)
    rate = limits.Rate(count=30, per=1.0)
    scopes = [("telegram:bot", rate)]
    now = 1_800_000_000.0
    with Session(engine) as s, s.begin():
        booked = limits.book(s, [limits.Request(i, scopes) for i in range(30)], now, horizon=10.0)
    assert max(booked.values()) == now  # a burst of 30 fits the window
    with Session(engine) as s, s.begin():
        again = limits.book(s, [limits.Request(99, scopes)], now - 3600, horizon=10.0)
    assert again == {99: now - 3600}  # not an hour and a second later
    with Session(engine) as s, s.begin():
        full = limits.book(
            s, [limits.Request(i, scopes) for i in range(100, 130)], now - 3600 + 0.2, horizon=10.0
        )
    # The window holds 30: the 31st send since the step waits for the first to leave it.
    assert sorted(full.values())[-1] == pytest.approx(now - 3600 + 1.0 + limits.MARGIN)
    engine.dispose()


async def test_the_sender_goes_on_after_a_step_back_and_says_so_once(
    db_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """30 sent, then the wall clock steps back an hour: the next 30 go out at the 30/s pace; one log line."""
    from bot.delivery import ChannelLimits, Delivery, OutgoingMessage, Rate, Sender
    from models import outbox
    from models.clock import FakeClock
    from models.messages import Reply
    from models.migrations import upgrade
    from models.store.database import Database

    db = Database(db_url)
    upgrade(db.engine)
    clocks, clock = Clocks(), FakeClock()
    sent: list[tuple[str, float]] = []

    class Api:
        channel = "telegram"
        limits = ChannelLimits(bot=Rate(30, 1.0))

        async def deliver(self, message: OutgoingMessage) -> Delivery:
            sent.append((message.text, clocks.mono))
            return Delivery(ok=True, remote_id=f"r{message.id}")

    def queue(first: int) -> None:
        def add(s: object) -> None:
            for n in range(first, first + 30):
                outbox.enqueue(s, Reply("telegram", str(7000 + n), f"#{n}"), clock.now())  # type: ignore[arg-type]

        db.run_sync(add)  # type: ignore[arg-type]

    sender = Sender(
        db,
        clock,
        {"telegram": Api()},
        wall=lambda: clocks.wall,
        monotonic=lambda: clocks.mono,
        sleep=clocks.sleep,
    )
    try:
        queue(0)
        await sender.flush()
        assert len(sent) == 30
        clocks.step(-3600.0)
        queue(30)
        start = clocks.mono
        with caplog.at_level(logging.WARNING, logger="bot.delivery.sender"):
            for _ in range(10):
                await sender.flush()
                if len(sent) == 60:
                    break
        assert len(sent) == 60
        assert sent[-1][1] - start < 2.5  # the window's pace (30/s), not an hour
        assert [r.getMessage() for r in caplog.records if "stepped" in r.getMessage()] == [
            "wall clock stepped back by 3600 s; delivery is paced by the monotonic clock and goes on"
        ]
    finally:
        db.close()
