"""The APScheduler wiring that `jiesu run` starts, with the real clock."""

from __future__ import annotations

import asyncio
from dataclasses import replace
from datetime import UTC, datetime, timedelta

from apscheduler.triggers.cron import CronTrigger
from sqlalchemy import select
from sqlalchemy.orm import Session

from bot.app import App
from bot.config import load
from models import tickets
from models.people import get_or_create_person
from models.tables import Ticket, TicketEvent
from scheduler import install


async def test_install_adds_the_scans_and_a_daily_digest(db_url: str) -> None:
    """install() fills app.periodic, an unstarted scheduler: scan, digest, drafts, purge, retention."""
    config = load(None, env={})
    config.database_url = db_url
    app = App(config)
    try:
        scheduler = install(app)
        # The draft sweep (reminders of half-done reports), the storage purge and the retention job.
        assert len(app.periodic) == 5 and not scheduler.running
        # The interval jobs tick on the monotonic clock; only the digest is APScheduler's.
        assert [(t.name, t.every) for t in scheduler.tickers] == [
            ("draft sweep", 60.0),
            ("SLA scan", 60.0),
            ("storage purge", 600.0),
            ("retention", 3600.0),
        ]
        assert [j.id for j in scheduler.get_jobs()] == ["daily-digest"]
        digest = scheduler.get_job("daily-digest")
        assert isinstance(digest.trigger, CronTrigger)
        fields = {f.name: str(f) for f in digest.trigger.fields}
        assert (fields["hour"], fields["minute"], str(digest.trigger.timezone)) == (
            "8",
            "30",
            "Asia/Shanghai",
        )
    finally:
        app.close()


async def test_started_scheduler_escalates_a_late_ticket_with_the_real_clock(db_url: str) -> None:
    """With the scheduler running on the real clock, a ticket unclaimed for 3 h is escalated at once."""
    config = load(None, env={})
    config.database_url = db_url
    sla = replace(config.rules.sla, scan_every=timedelta(seconds=0.05), office_hours=(), quiet_hours=None)
    config.rules = replace(config.rules, sla=sla)
    app = App(config)
    await app.start()
    scheduler = install(app)

    def file_late(s: Session) -> int:
        u = app.unit(s)
        u.now = datetime.now(UTC) - timedelta(hours=3)
        resident = get_or_create_person(s, "console", "r1", u.now, chat_id="r1")
        grid = u.tree.by_code("siji-1")
        assert grid is not None
        draft = tickets.Draft(category_code="road", description="春晗路人行道破损", area_id=grid.id)
        return tickets.create(u, resident, draft).id

    tid = await app.db.run(file_late)

    def escalated(s: Session) -> list[str | None]:
        rows = s.scalars(
            select(TicketEvent.note).where(TicketEvent.ticket_id == tid, TicketEvent.kind == "escalated")
        )
        return list(rows)

    scheduler.start()
    try:
        for _ in range(100):
            await asyncio.sleep(0.05)
            if await app.db.run(escalated):
                break
    finally:
        scheduler.shutdown(wait=False)
        await asyncio.sleep(0)  # let the shutdown run on the loop
    assert await app.db.run(escalated) == ["unclaimed:1"]  # 2 h have passed, 4 h not yet
    level = await app.db.run(lambda s: s.scalar(select(Ticket.level).where(Ticket.id == tid)))
    assert level == 1
    app.close()
