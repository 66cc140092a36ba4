"""APScheduler wiring: short periodic scans of deadlines stored in the tickets table, and the daily digest.

Deadlines live in ticket columns, not in a job store (APScheduler's stores cannot be shared
between processes), so every process may run the same jobs: the scans claim rows atomically.
"""

from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger

from .drafts import DraftJobs
from .host import Host
from .jobs import SlaJobs
from .ticker import Scheduler, Ticker

__all__ = ["Host", "SlaJobs", "install"]


def install(app: Host) -> Scheduler:
    """Add the jobs to app.periodic (console `!advance`, tests) and return a scheduler (not started).

    The interval jobs tick on the monotonic clock (a wall-clock step neither stalls nor skips
    them); only the daily digest is a calendar job for APScheduler.
    """
    jobs = SlaJobs(app)
    app.periodic.append(jobs.scan)
    app.periodic.append(jobs.digest_if_crossed)
    drafts = DraftJobs(app)  # half-done reports are reminded, then dropped
    app.periodic.append(drafts.sweep)
    sla = app.rules.sla
    scheduler = Scheduler(timezone=sla.timezone)
    scheduler.tickers += [
        Ticker("draft sweep", drafts.sweep, 60.0),
        Ticker("SLA scan", jobs.scan, sla.scan_every.total_seconds()),
    ]
    scheduler.add_job(
        jobs.digest,
        CronTrigger(hour=sla.digest_time.hour, minute=sla.digest_time.minute, timezone=sla.timezone),
        id="daily-digest",
        max_instances=1,
        coalesce=True,
        misfire_grace_time=3600,
    )
    return scheduler
