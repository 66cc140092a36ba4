"""What the scheduler needs from the application that runs it: database, clock, rules, a wake-up."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from typing import Any, Protocol

from models.clock import Clock
from models.store.database import Database
from models.store.unit_of_work import Rules

Job = Callable[[], Awaitable[Any]]


class Host(Protocol):
    """The application as the jobs see it (bot.app.App is one)."""

    @property
    def db(self) -> Database:
        """The database the jobs run their transactions in."""

    @property
    def clock(self) -> Clock:
        """The clock deadlines are measured by."""

    @property
    def rules(self) -> Rules:
        """Deadlines, points and limits."""

    @property
    def periodic(self) -> list[Job]:
        """Jobs run on every tick of a fake clock (console `!advance`, tests)."""

    def wake(self) -> None:
        """New outbox rows are waiting: deliver them soon."""
