"""APScheduler wiring: short periodic scans of deadlines stored in the tickets table, and the daily digest.

Deadlines live in ticket columns, not in a job store (APScheduler's stores cannot be shared
between processes), so every process may run the same jobs: the scans claim rows atomically.
"""

from __future__ import annotations

from apscheduler.triggers.cron import CronTrigger

from .drafts import DraftJobs
from .host import Host
from .jobs import SlaJobs
from .purge import PurgeJobs
from .retention import RetentionJobs
from .ticker import Scheduler, Ticker

__all__ = ["SLA_SCAN", "Host", "SlaJobs", "install"]
SLA_SCAN = "SLA scan"  # the ticker whose runs are the scheduler's heartbeat on /healthz


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
    purge = PurgeJobs(app)  # storage stays bounded: old seen keys and finished outbox rows go
    app.periodic.append(purge.purge)
    retention = RetentionJobs(app)  # closed tickets lose their personal data after the retention period
    app.periodic.append(retention.sweep)
    sla = app.rules.sla
    scheduler = Scheduler(timezone=sla.timezone)
    # Interval jobs run on monotonic tickers (a wall-clock step neither stalls nor skips them).
    scheduler.tickers += [
        Ticker("draft sweep", drafts.sweep, 60.0),
        Ticker(SLA_SCAN, jobs.scan, sla.scan_every.total_seconds()),
        Ticker("storage purge", purge.purge, 600.0),
        Ticker("retention", retention.sweep, 3600.0),
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
