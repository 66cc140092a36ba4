"""A test harness: the real app and console channel, a fake clock and a transcript."""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.app import App
from bot.channels.console import Console, ConsoleTransport
from bot.config import Config, load
from models.clock import FakeClock
from models.messages import ChatKind, HandleResult, Inbound
from models.tables import Person, PointsEntry, Ticket, TicketEvent
from scheduler import install


def write_png(path: Path, rgb: tuple[int, int, int] = (255, 0, 0)) -> Path:
    """Write a real 1x1 PNG picture and return its path."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body) & 0xFFFFFFFF)

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    pixels = zlib.compress(bytes([0, *rgb]))
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n" + chunk(b"IHDR", header) + chunk(b"IDAT", pixels) + chunk(b"IEND", b"")
    )
    return path


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

    def ledger(self) -> list[tuple[str, str, int]]:
        """(person, reason, delta) of every points ledger row, oldest first."""

        def read(s: Session) -> list[tuple[str, str, int]]:
            rows = s.execute(
                select(Person.external_id, PointsEntry.reason, PointsEntry.delta)
                .join(Person, Person.id == PointsEntry.person_id)
                .order_by(PointsEntry.id)
            ).all()
            return [(str(p), str(r), int(d)) for p, r, d in rows]

        return self.query(read)  # type: ignore[no-any-return]

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

    # --- additions for the core suite -------------------------------------------

    @property
    def transcript(self) -> list[dict[str, Any]]:
        """Every message delivered so far, in order."""
        return self.transport.transcript

    def group_messages(self) -> list[dict[str, Any]]:
        """Every message delivered to a group chat so far."""
        return [m for m in self.transport.transcript if str(m["chat"]).startswith("@")]

    async def send(
        self,
        user: str,
        *,
        group: str | None = None,
        message_id: str | None = None,
        **fields: Any,
    ) -> tuple[HandleResult, list[dict[str, Any]]]:
        """Hand one raw Inbound (e.g. a forged button payload) to the app; return result and messages."""
        start = len(self.transport.transcript)
        msg = Inbound(
            channel="console",
            chat_id=f"@{group}" if group else user,
            user_id=user,
            chat_kind=ChatKind.GROUP if group else ChatKind.PRIVATE,
            message_id=message_id,
            user_name=fields.pop("user_name", user),
            user_handle=fields.pop("user_handle", user),
            **fields,
        )
        result = await self.app.handle_and_deliver(msg)
        return result, self.transport.transcript[start:]

    def count(self, model: Any, *where: Any) -> int:
        """How many rows of a table (matching the conditions) are stored."""
        from sqlalchemy import func

        return int(self.query(lambda s: s.scalar(select(func.count()).select_from(model).where(*where))))

    def events(self, ticket_id: int) -> list[str]:
        """The kinds of a ticket's audit events, oldest first."""

        def read(s: Session) -> list[str]:
            rows = s.scalars(
                select(TicketEvent.kind).where(TicketEvent.ticket_id == ticket_id).order_by(TicketEvent.id)
            )
            return list(rows)

        return self.query(read)  # type: ignore[no-any-return]

    async def claimed(self, user: str = "r1", worker: str = "w1", group: str = "siji1", **report: Any) -> int:
        """Set up the grid, file a ticket and let a worker grab it; return its number."""
        await self.setup_grid(group=group)
        tid = await self.report(user, **report)
        await self.say(f"{worker}: 抢单 {tid}")
        assert self.ticket(tid).status == "claimed"
        return tid

    async def resolved(self, user: str = "r1", worker: str = "w1", **report: Any) -> int:
        """A ticket grabbed and resolved by the worker, waiting for the resident's answer."""
        tid = await self.claimed(user, worker, **report)
        await self.say(f"{worker}: 办结 {tid} 已修复")
        assert self.ticket(tid).status == "resolved"
        return tid

    # --- quick set-ups: the same end state as the scripted ones, in one transaction ------
    # For tests whose subject is not the set-up itself; they run the same domain operations
    # the chat flows run, without the greeting and confirmation chatter.

    async def quick_grid(
        self, group: str = "siji1", grid: str = "siji-1", workers: tuple[str, ...] = ("w1", "w2")
    ) -> None:
        """Bind a group to a grid and make workers (like setup_grid, without the messages)."""
        from models.people import get_or_create_person, grant
        from models.tables import ChatBinding, Role
        from models.territory import binding_of

        def write(s: Session) -> None:
            u = self.app.unit(s)
            area = u.tree.by_code(grid)
            assert area is not None, grid
            if binding_of(s, "console", f"@{group}") is None:
                s.add(ChatBinding(channel="console", chat_id=f"@{group}", area_id=area.id, created_at=u.now))
            for w in workers:
                person = get_or_create_person(s, "console", w, u.now, name=w, handle=w, chat_id=w)
                grant(s, person, Role.WORKER, area.id, None, u.now)

        await self.app.db.run(write)

    async def quick_report(
        self,
        user: str = "r1",
        *,
        category: str = "road",
        description: str = "春晗路12号门口人行道沉降破损约2平方米",
        location: tuple[float, float] | None = (29.3451, 120.0752),
        area: str | None = None,
        address: str | None = None,
        phone: str | None = "13800138000",
    ) -> int:
        """File a ticket and post its card as the wizard's submit does; return its number."""
        from handlers import notify
        from models import tickets
        from models.people import get_or_create_person

        def write(s: Session) -> int:
            u = self.app.unit(s)
            if area is not None:
                found = u.tree.by_code(area)
                assert found is not None, area
                area_id = found.id
            else:
                assert location is not None
                route = u.tree.router.route_point(*location, "wgs84", u.rules.nearest_grid_km)
                assert route.area_id is not None, location
                area_id = route.area_id
            resident = get_or_create_person(s, "console", user, u.now, name=user, handle=user, chat_id=user)
            draft = tickets.Draft(
                category_code=category,
                description=description,
                area_id=area_id,
                lat=location[0] if location else None,
                lon=location[1] if location else None,
                address=address,
                phone=phone,
            )
            ticket = tickets.create(u, resident, draft)
            notify.post_card(u, ticket)
            return ticket.id

        tid = int(await self.app.db.run(write))
        await self.app.sender.flush()
        return tid

    async def quick_claimed(self, user: str = "r1", worker: str = "w1", **report: Any) -> int:
        """A quick grid and ticket, grabbed by a worker through the chat; return its number."""
        await self.quick_grid()
        tid = await self.quick_report(user, **report)
        await self.say(f"{worker}: 抢单 {tid}")
        assert self.ticket(tid).status == "claimed"
        return tid

    async def quick_resolved(self, user: str = "r1", worker: str = "w1", **report: Any) -> int:
        """A quick claimed ticket, resolved by the worker through the chat."""
        tid = await self.quick_claimed(user, worker, **report)
        await self.say(f"{worker}: 办结 {tid} 已修复")
        assert self.ticket(tid).status == "resolved"
        return tid
