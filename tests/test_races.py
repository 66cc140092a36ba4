"""Web, chat and the scheduler on one ticket at once (PostgreSQL): the outcome of a serial order.

Each race is forced: a third connection holds the ticket's row lock while the two requests start,
one after the other, and queue behind it; it then lets go, and PostgreSQL hands the row to them in
the order they queued. The second one has read the ticket before it had to wait (the web office
checks visibility first), so it must read it afresh under the lock. The same two operations run
one after the other on a twin ticket: the race must end exactly as that serial run did.
"""

from __future__ import annotations

import asyncio
import re
import threading
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
import pytest
from sqlalchemy import create_engine, text

from handlers import texts
from models.store.database import normalise_url
from models.tables import Area, Person

from . import timing
from .conftest import PG_URL
from .harness import Harness
from .office import client, office_with_grids, post_form, sign_in

pytestmark = [
    pytest.mark.skipif(
        PG_URL is None, reason="SQLite has one writer thread: its transactions never interleave"
    ),
    pytest.mark.parametrize("db_url", ["postgresql"], indirect=True),
]

FLASH = re.compile(r'<div class="flash bad" role="status">([^<]*)</div>')


@dataclass
class Held:
    """A ticket row locked by a connection of its own, and a view of who queues behind it."""

    url: str
    ticket_id: int

    @contextmanager
    def held(self) -> Iterator[Held]:
        """Hold the row's lock for the duration of the block."""
        engine = create_engine(normalise_url(self.url))
        try:
            with engine.connect() as conn, conn.begin():
                conn.execute(text("SELECT id FROM tickets WHERE id = :id FOR UPDATE"), {"id": self.ticket_id})
                self._probe = engine
                yield self
        finally:
            engine.dispose()

    def waiting(self) -> int:
        """How many other sessions wait for a lock right now."""
        with self._probe.connect() as conn:
            return int(
                conn.scalar(
                    text(
                        "SELECT count(*) FROM pg_stat_activity"
                        " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                    )
                )
            )


async def until(condition: Callable[[], bool], what: str) -> None:
    """Wait (polling) until the condition holds, within the scaled bound."""
    deadline = asyncio.get_running_loop().time() + timing.bound(10)
    while not condition():
        assert asyncio.get_running_loop().time() < deadline, f"timed out waiting for {what}"
        await asyncio.sleep(0.01)


Op = Callable[[int], Awaitable[str]]


async def race(h: Harness, ticket_id: int, first: Op, second: Op) -> tuple[str, str]:
    """Queue first, then second, behind a held lock on the ticket; let go; return what each was told."""
    holder = Held(h.app.config.database_url, ticket_id)
    with holder.held():
        a = asyncio.ensure_future(first(ticket_id))
        await until(lambda: holder.waiting() >= 1, "the first request to queue")
        b = asyncio.ensure_future(second(ticket_id))
        await until(lambda: holder.waiting() >= 2, "the second request to queue")
    return await a, await b


def outcome(h: Harness, ticket_id: int) -> tuple[Any, ...]:
    """The ticket's state as a comparable tuple (status, handler, area, its events since creation)."""
    t = h.ticket(ticket_id)
    handler = h.query(lambda s: s.get(Person, t.handler_id).external_id if t.handler_id else None)
    area = h.query(lambda s: s.get(Area, t.area_id).code)
    return (t.status, handler, area, t.resolved_at is not None, h.events(ticket_id))


def told(h: Harness, ticket_id: int, start: int) -> list[tuple[str, str]]:
    """Everything said about the ticket since `start`, to whom, in any order (its number made neutral)."""
    about = [m for m in h.transport.transcript[start:] if f"#{ticket_id}" in m["text"]]
    return sorted((m["chat"], neutral(m["text"], ticket_id)) for m in about)


def neutral(said: str, ticket_id: int) -> str:
    """A reply with the ticket's number made neutral."""
    return re.sub(rf"\b{ticket_id}\b", "N", said)


async def twins(h: Harness) -> tuple[int, int]:
    """Two tickets in the same state: claimed by w1."""
    pair = []
    for _ in range(2):
        tid = await h.quick_report()
        await h.say(f"w1: 抢单 {tid}")
        pair.append(tid)
    return pair[0], pair[1]


def web_op(h: Harness, http: httpx.AsyncClient, action: str, data: dict[str, str]) -> Op:
    """A web form posted by the signed-in admin; returns its refusal ('' when it went through)."""

    async def op(ticket_id: int) -> str:
        url = f"/office/tickets/{ticket_id}"
        done = await post_form(http, url, f"{url}/{action}", data)
        if done.status_code == 303:
            return ""
        found = FLASH.search(done.text)
        assert found, done.text[:400]
        return neutral(found.group(1), ticket_id)

    return op


def chat_op(h: Harness, line: str) -> Op:
    """A chat line ('{id}' for the ticket); returns what its sender was told."""
    who = line.split(":")[0].split("@")[0]  # a tap in a group is answered in private

    async def op(ticket_id: int) -> str:
        start = len(h.transport.transcript)
        await h.console.run_line(line.format(id=ticket_id))
        return " | ".join(neutral(t, ticket_id) for t in h.to(who, h.transport.transcript[start:]))

    return op


WEB_FORMS = [
    ("close", {"note": "已核实修复"}),
    ("move", {"area": "jingfa-1"}),
    ("assign", {"worker": "w2"}),
    ("reject", {"reason": "不属于本街道"}),
    ("note", {"note": "已联系施工队"}),
    ("tier", {"tier": "difficult", "reason": "需要协调施工"}),
]


@pytest.mark.parametrize("web_first", [True, False], ids=["web-first", "chat-first"])
@pytest.mark.parametrize(("action", "data"), WEB_FORMS, ids=[a for a, _ in WEB_FORMS])
async def test_web_form_against_chat_close_ends_as_one_after_the_other(
    db_url: str, action: str, data: dict[str, str], web_first: bool
) -> None:
    """A web form and the handler's 办结 at once end exactly as the same two one after the other."""
    async with office_with_grids(db_url, jingfa=True) as h:
        await h.run("admin: /grant admin admin jingfa")
        if action == "assign":
            data = {"worker": str(h.query(lambda s: s.query(Person).filter_by(external_id="w2").one().id))}
        serial_id, raced_id = await twins(h)
        async with client(h) as http:
            await sign_in(h, http, "admin")
            start = len(h.transport.transcript)
            web, chat = web_op(h, http, action, data), chat_op(h, "w1: 办结 {id} 已修复")
            first, second = (web, chat) if web_first else (chat, web)
            serial = (await first(serial_id), await second(serial_id))
            raced = await race(h, raced_id, first, second)
        await h.app.sender.flush()
        web_said = 0 if web_first else 1
        assert raced[web_said] == serial[web_said]  # the web form's refusal, or none
        assert told(h, raced_id, start) == told(h, serial_id, start)
        assert outcome(h, raced_id)[:-1] == outcome(h, serial_id)[:-1]
        assert outcome(h, raced_id)[-1] == outcome(h, serial_id)[-1]
        assert h.events(raced_id).count("resolved") <= 1


async def test_two_closes_resolve_once_and_the_loser_hears_who(db_url: str) -> None:
    """代为办结 behind the handler's 办结: one resolve, one 解决了吗, '已被 w1 办结' for the admin."""
    async with office_with_grids(db_url) as h:
        _, tid = await twins(h)
        async with client(h) as http:
            await sign_in(h, http, "admin")
            start = len(h.transport.transcript)
            chat_said, web_said = await race(
                h, tid, chat_op(h, "w1: 办结 {id} 已修复"), web_op(h, http, "close", {"note": "已修复"})
            )
        await h.app.sender.flush()
        assert chat_said.startswith(neutral(texts.RESOLVE_DONE.format(id=tid), tid))
        done = texts.ALREADY_DONE.format(
            id="N", who="w1", done=texts.DONE["resolved"], status=texts.STAFF_STATUS["resolved"]
        )
        assert web_said == done
        assert h.events(tid).count("resolved") == 1
        asked = [m for m in h.to("r1", h.transport.transcript[start:]) if m.startswith(f"工单 #{tid}")]
        assert asked == [texts.R_RESOLVED.format(id=tid, note="已修复")]


async def test_grab_behind_an_assignment_names_the_assignment(db_url: str) -> None:
    """A worker's 抢单 behind an admin's 交办 is told who assigned it, not '手慢了…抢单'."""
    async with office_with_grids(db_url) as h:
        tid = await h.quick_report()
        w2 = h.query(lambda s: s.query(Person).filter_by(external_id="w2").one().id)
        async with client(h) as http:
            await sign_in(h, http, "admin")
            web_said, chat_said = await race(
                h, tid, web_op(h, http, "assign", {"worker": str(w2)}), chat_op(h, "w1@siji1: [tap 抢单]")
            )
        assert web_said == ""
        assert chat_said == texts.ALREADY_DONE.format(
            id="N", who="admin", done=texts.DONE["assigned"], status=texts.STAFF_STATUS["claimed"]
        )
        assert h.ticket(tid).handler_id == w2


async def test_web_grab_against_chat_grab_one_winner(db_url: str) -> None:
    """抢单 on the web behind 抢单 in the group: one claim, one grab's points, the loser told who won."""
    async with office_with_grids(db_url) as h:
        tid = await h.quick_report()
        async with client(h) as http:
            await sign_in(h, http, "w2")
            _, web_said = await race(h, tid, chat_op(h, "w1@siji1: [tap 抢单]"), web_op(h, http, "grab", {}))
        assert web_said == neutral(texts.ALREADY_CLAIMED.format(id=tid, handler="w1"), tid)
        assert h.events(tid) == ["created", "grabbed"]
        assert h.ledger() == [("w1", "grab", 2)]


async def test_scan_skips_a_ticket_being_resolved_and_then_sees_it_resolved(db_url: str) -> None:
    """The SLA scan meets a ticket locked by a 办结: it skips it, and its next look sees it resolved."""
    async with office_with_grids(db_url) as h:
        _, tid = await twins(h)
        holder = Held(h.app.config.database_url, tid)
        h.clock.advance(timedelta(hours=20))  # the reminder is due (simple tier: 1 day)
        with holder.held():
            chat = asyncio.ensure_future(chat_op(h, "w1: 办结 {id} 已修复")(tid))
            await until(lambda: holder.waiting() >= 1, "the 办结 to queue")
            await h.app.run_periodic()  # the scan claims what is due, skipping the locked row
        await chat
        await h.advance(timedelta(minutes=1))
        assert h.events(tid)[-1] == "resolved", h.events(tid)
        assert h.ticket(tid).status == "resolved"


async def test_web_close_behind_a_scan_holding_the_ticket_sees_what_the_scan_did(db_url: str) -> None:
    """The SLA scan has claimed a due ticket when 代为办结 arrives: the close waits, then reads the
    scan's writes afresh: one reminder, then one resolve, the follow-up clock set from the resolve."""
    from sqlalchemy import event

    async with office_with_grids(db_url) as h:
        _, tid = await twins(h)
        h.clock.advance(timedelta(hours=20))
        claimed, go = threading.Event(), threading.Event()

        @event.listens_for(h.app.db.engine, "after_cursor_execute")
        def hold_the_claim(conn: Any, cursor: Any, statement: str, *args: Any) -> None:
            if (
                statement.lstrip().startswith("WITH pick")
                and "UPDATE tickets" in statement
                and not claimed.is_set()
            ):
                claimed.set()
                go.wait(timing.bound(30))  # the claimed rows stay locked until the close queues

        holder = Held(h.app.config.database_url, tid)
        holder._probe = create_engine(normalise_url(holder.url))
        try:
            async with client(h) as http:
                await sign_in(h, http, "admin")
                scan = asyncio.ensure_future(h.app.run_periodic())
                await until(claimed.is_set, "the scan to claim the due ticket")
                close = asyncio.ensure_future(web_op(h, http, "close", {"note": "已修复"})(tid))
                await until(lambda: holder.waiting() >= 1, "the close to queue behind the scan")
                go.set()
                await scan
                assert await close == ""
        finally:
            go.set()
            event.remove(h.app.db.engine, "after_cursor_execute", hold_the_claim)
            holder._probe.dispose()
        events = h.events(tid)
        assert events.count("resolved") == 1 and events[-1] == "resolved", events
        assert events[-2] not in ("created", "grabbed"), events  # the scan acted first
        t = h.ticket(tid)
        assert t.status == "resolved" and t.followup_stage == 1 and t.next_check_at is not None
