"""APScheduler wiring: short periodic scans of deadlines stored in the tickets table, and the daily digest.

Deadlines live in ticket columns, not in a job store (APScheduler's stores cannot be shared
between processes), so every process may run the same jobs: the scans claim rows atomically.
"""

from __future__ import annotations

from apscheduler.schedulers.asyncio import AsyncIOScheduler
from apscheduler.triggers.cron import CronTrigger
from apscheduler.triggers.interval import IntervalTrigger

from .drafts import DraftJobs
from .host import Host
from .jobs import SlaJobs
from .purge import PurgeJobs
from .retention import RetentionJobs

__all__ = ["Host", "SlaJobs", "install"]


def install(app: Host) -> AsyncIOScheduler:
    """Add the jobs to app.periodic (console `!advance`, tests) and return a scheduler (not started)."""
    jobs = SlaJobs(app)
    app.periodic.append(jobs.scan)
    app.periodic.append(jobs.digest_if_crossed)
    drafts = DraftJobs(app)  # half-done reports are reminded, then dropped
    app.periodic.append(drafts.sweep)
    purge = PurgeJobs(app)  # storage stays bounded: old seen keys and finished outbox rows go
    app.periodic.append(purge.purge)
    retention = RetentionJobs(app)  # closed tickets lose their personal data after the retention period
    app.periodic.append(retention.sweep)
    sla = app.rules.sla
    scheduler = AsyncIOScheduler(timezone=sla.timezone)
    scheduler.add_job(
        retention.sweep,
        IntervalTrigger(hours=1, timezone=sla.timezone),
        id="retention",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    scheduler.add_job(
        drafts.sweep,
        IntervalTrigger(minutes=1, timezone=sla.timezone),
        id="draft-sweep",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    scheduler.add_job(
        jobs.scan,
        IntervalTrigger(seconds=sla.scan_every.total_seconds(), timezone=sla.timezone),
        id="sla-scan",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    scheduler.add_job(
        purge.purge,
        IntervalTrigger(minutes=10, timezone=sla.timezone),
        id="storage-purge",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=None,
    )
    scheduler.add_job(
        jobs.digest,
        CronTrigger(hour=sla.digest_time.hour, minute=sla.digest_time.minute, timezone=sla.timezone),
        id="daily-digest",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=3600,
    )
    return scheduler
