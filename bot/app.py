"""The application: database, rules, clock, inbound pipeline and outbox sender in one place."""

from __future__ import annotations

import asyncio
import functools
from collections.abc import Awaitable, Callable
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy.orm import Session

from bot.config import Config
from handlers import notify, router
from models import demo, outbox
from models.clock import Clock, FakeClock, SystemClock
from models.messages import HandleResult, Inbound, Reply
from models.migrations import upgrade
from models.people import get_or_create_person, grant
from models.store.database import Database
from models.store.unit_of_work import Unit
from models.tables import Outbox, Role
from models.territory import AreaTree

from . import observe
from .delivery import Sender, Transport
from .startlock import startup_lock

Job = Callable[[], Awaitable[Any]]
T = TypeVar("T")


class App:
    """Everything a channel needs to turn an inbound message into delivered replies."""

    def __init__(
        self,
        config: Config,
        *,
        clock: Clock | None = None,
        transports: dict[str, Transport] | None = None,
        db: Database | None = None,
    ) -> None:
        self.config = config
        self.rules = config.rules
        self.clock = clock or SystemClock()
        self.db = db or Database(config.database_url, config.database_pool_size)
        self.sender = Sender(self.db, self.clock, dict(transports or {}))
        # Periodic jobs (SLA scans …): run by the scheduler in production and by advance() in
        # the console and tests, so both paths execute the same code.
        self.periodic: list[Job] = []
        self.tick = timedelta(minutes=5)

    def add_transport(self, transport: Transport) -> None:
        """Register the sender of one channel."""
        self.sender.transports[transport.channel] = transport

    def prepare(self, *, console: bool = True) -> None:
        """Migrate, seed the demo subdistrict if empty and make the configured admins, one process at a time.

        Several processes starting at once on an empty database queue on a database lock (a
        PostgreSQL advisory lock, SQLite's write lock); the console's admins exist only when
        the console runs (`console=False` under `jiesu run`, where nobody would read them).
        """
        with startup_lock(self.db.engine):
            if not console:  # `jiesu run`: a copy before any migration, as `jiesu db upgrade` keeps
                from .cli_db import backup_if_behind

                backup_if_behind(self.db, self.config)
            upgrade(self.db.engine)
            self.db.run_sync(lambda s: self._seed_and_bootstrap(s, console))

    def _seed_and_bootstrap(self, session: Session, console: bool = True) -> None:
        if self.config.seed_demo:
            demo.seed(session)
        # Urgency is looked up in the catalogue snapshot (models.sla.is_urgent), not fixed here:
        # a catalogue imported while the bot runs counts once the snapshot is reloaded.
        tree = AreaTree.load(session)
        if not tree.by_id:
            return
        top = tree.top()
        now = self.clock.now()
        wanted = [("console", a) for a in self.config.console_admins] if console else []
        wanted += [("telegram", str(a)) for a in self.config.telegram.admins]
        wanted += [("wechat", a) for a in self.config.wechat.admins]
        wanted += [("wecom", a) for a in self.config.wecom.admins]
        for channel, external_id in wanted:
            person = get_or_create_person(
                session,
                channel,
                external_id,
                now,
                chat_id=external_id,
                handle=external_id if channel == "console" else None,
            )
            grant(session, person, Role.ADMIN, top.id, None, now)

    async def start(self, *, console: bool = True) -> None:
        """Prepare the database off the event loop."""
        await asyncio.to_thread(functools.partial(self.prepare, console=console))

    def unit(self, session: Session) -> Unit:
        """A unit of work at the current time."""
        return notify.unit_of_work(session, self.clock.now(), self.rules)

    def wake(self) -> None:
        """New outbox rows are waiting: deliver them soon."""
        self.sender.wake()

    async def run(self, body: Callable[[Unit, router.Handle], T]) -> T:
        """The one inbound pipeline: a channel's unit of work around router.handle (see _run)."""
        return (await self._run(body))[0]

    async def _run(self, body: Callable[[Unit, router.Handle], T]) -> tuple[T, list[int]]:
        """A channel's unit of work around router.handle, in one transaction.

        When the message is refused the transaction is rolled back and the body runs once more,
        with a handle that records the message as seen and answers the refusal, nothing else.
        Slow work a step asked for after its commit (a chart) runs then, with no transaction
        open; the ids of the replies it queued are returned beside the body's result.
        """
        later: list[outbox.Later] = []

        def work(handle: router.Handle) -> Callable[[Session], T]:
            def transaction(session: Session) -> T:
                later.clear()  # a retried transaction starts over
                result = body(self.unit(session), handle)
                later.extend(outbox.take_after_commit(session))
                return result

            return transaction

        try:
            # Shared: when many messages arrive at once, several commit together (Database.run).
            result = await self.db.run(work(router.handle), shared=True)
        except router.Refused as refusal:
            observe.mark("refused")
            result = await self.db.run(work(router.refuse(refusal)))
        queued: list[int] = []
        for job in later:
            reply = await asyncio.to_thread(job)
            if reply is not None:
                row = await self.db.run(functools.partial(_queue, reply, self.clock.now()))
                queued.append(row.id)
        if queued:
            self.sender.wake()
        return result, queued

    async def handle(self, msg: Inbound) -> HandleResult:
        """Run the inbound pipeline for one message, then its after-commit work.

        Every log line on the way carries the message's id; it is counted when metrics are on.
        """
        with observe.inbound(msg) as seen:
            result, queued = await self._run(lambda u, handle: handle(u, msg))
            seen.outcome = "duplicate" if result.duplicate else seen.outcome
        result.outbox_ids.extend(queued)
        if result.outbox_ids:
            self.sender.wake()
        return result

    async def handle_and_deliver(self, msg: Inbound) -> HandleResult:
        """Handle a message, then deliver whatever is due (console and tests)."""
        result = await self.handle(msg)
        await self.sender.flush()
        return result

    async def run_periodic(self) -> None:
        """Run every periodic job once, then deliver."""
        for job in self.periodic:
            await job()
        await self.sender.flush()

    async def advance(self, delta: timedelta) -> None:
        """Move a fake clock forward in ticks, running what would have run meanwhile."""
        if not isinstance(self.clock, FakeClock):
            raise TypeError("advance() needs a FakeClock")
        remaining = delta
        while remaining > timedelta(0):
            step = min(self.tick, remaining)
            self.clock.advance(step)
            remaining -= step
            await self.run_periodic()

    def close(self) -> None:
        """Release the database."""
        self.db.close()


def _queue(reply: Reply, now: datetime, session: Session) -> Outbox:
    """Queue one reply in a transaction of its own."""
    return outbox.enqueue(session, reply, now)
