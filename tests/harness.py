"""A test harness: the real app and console channel, a fake clock and a transcript."""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from jiesu.bot.app import App
from jiesu.bot.channels.console import Console, ConsoleTransport
from jiesu.config import Config, load
from jiesu.models.clock import FakeClock
from jiesu.models.tables import Ticket


@dataclass
class Harness:
    """Script lines in, bot messages out, database at hand."""

    app: App
    console: Console
    transport: ConsoleTransport
    clock: FakeClock

    @classmethod
    async def create(cls, db_url: str, config: Config | None = None, **app_kwargs: Any) -> Harness:
        """Start the app on db_url with the demo data and the console transport."""
        config = config or load(None, env={})
        config.database_url = db_url
        transport = ConsoleTransport(io.StringIO())
        clock = FakeClock()
        app = App(config, clock=clock, transports={"console": transport}, **app_kwargs)
        try:
            from jiesu.scheduler import install
        except ImportError:
            pass
        else:
            install(app)
        await app.start()
        return cls(app, Console(app, transport), transport, clock)

    async def run(self, *lines: str) -> list[dict[str, Any]]:
        """Run script lines; return the messages the bot sent meanwhile."""
        start = len(self.transport.transcript)
        for line in lines:
            await self.console.run_line(line)
        return self.transport.transcript[start:]

    async def say(self, line: str) -> list[dict[str, Any]]:
        """Run one line."""
        return await self.run(line)

    async def advance(self, delta: timedelta) -> list[dict[str, Any]]:
        """Move the clock, running what would have run meanwhile."""
        start = len(self.transport.transcript)
        await self.app.advance(delta)
        return self.transport.transcript[start:]

    def to(self, chat: str, messages: list[dict[str, Any]] | None = None) -> list[str]:
        """Texts sent to one chat (from the given messages, or the whole transcript)."""
        source = self.transport.transcript if messages is None else messages
        return [str(m["text"]) for m in source if m["chat"] == chat]

    def last(self, chat: str) -> dict[str, Any]:
        """The newest message sent to a chat."""
        for m in reversed(self.transport.transcript):
            if m["chat"] == chat:
                return m
        raise AssertionError(f"nothing was sent to {chat}")

    def query(self, fn: Any) -> Any:
        """Run a read in its own transaction."""
        return self.app.db.run_sync(fn)

    def ticket(self, ticket_id: int) -> Ticket:
        """A ticket as stored now."""

        def read(s: Session) -> Ticket:
            t = s.scalar(select(Ticket).where(Ticket.id == ticket_id))
            assert t is not None
            return t

        return self.query(read)  # type: ignore[no-any-return]

    async def setup_grid(
        self, group: str = "siji1", grid: str = "siji-1", workers: tuple[str, ...] = ("w1", "w2")
    ) -> None:
        """Bind a group to a grid and make workers, as an admin would."""
        for w in workers:
            await self.say(f"{w}: 你好")
        await self.say(f"admin@{group}: /bind {grid}")
        for w in workers:
            await self.say(f"admin: /grant {w} worker {grid}")

    async def report(
        self,
        user: str = "r1",
        *,
        category: tuple[str, ...] = ("大城管", "道路破损"),
        description: str = "春晗路12号门口人行道沉降破损约2平方米",
        location: str = "[location 29.3451,120.0752]",
        phone: str | None = "13800138000",
        photo: str | None = None,
    ) -> int:
        """File a ticket through the wizard; return its number."""
        await self.say(f"{user}: /report")
        for c in category:
            await self.say(f"{user}: [tap {c}]")
        await self.say(f"{user}: {description}")
        await self.say(f"{user}: [photo {photo}]" if photo else f"{user}: [tap 跳过]")
        await self.say(f"{user}: {location}")
        await self.say(f"{user}: {phone}" if phone else f"{user}: [tap 跳过]")
        out = await self.say(f"{user}: [tap 确认提交]")
        texts = self.to(user, out)
        assert texts and texts[0].startswith("已受理！工单编号 #"), texts
        return int(texts[0].split("#")[1].split("。")[0])

    def close(self) -> None:
        """Release the database."""
        self.app.close()
