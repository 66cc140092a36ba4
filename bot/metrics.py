"""Prometheus metrics (prometheus-client), served on a listener of their own when [metrics] listen is set.

Counters and histograms are updated where things happen (App.handle, the sender's transports, the
SLA scan, the web middleware); the outbox and ticket figures are counted by the database at each
scrape (two grouped queries, cheap at 100k tickets: docs/benchmarks.md).
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Callable, Iterator
from datetime import UTC, datetime
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from models.store.database import Database
from models.tables import ACTIVE, Outbox, OutboxStatus, Ticket

from .version import __version__

LATENCY = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)


class _Figures(Collector):
    """Outbox depth and age per channel, open tickets by status and overdue: read at each scrape."""

    def __init__(self, db: Database, now: Callable[[], datetime]) -> None:
        self.db = db
        self.now = now

    def _read(self, session: Session) -> tuple[list[Any], list[Any], int]:
        outbox = session.execute(
            select(Outbox.channel, func.count(), func.min(Outbox.created_at))
            .where(Outbox.status.in_((OutboxStatus.PENDING, OutboxStatus.SENDING)))
            .group_by(Outbox.channel)
        ).all()
        tickets = session.execute(
            select(Ticket.status, func.count()).where(Ticket.status.in_(ACTIVE)).group_by(Ticket.status)
        ).all()
        overdue = session.scalar(
            select(func.count()).where(Ticket.status.in_(ACTIVE), Ticket.overdue_since.is_not(None))
        )
        return list(outbox), list(tickets), int(overdue or 0)

    def collect(self) -> Iterator[GaugeMetricFamily]:
        """Yield the figures the database holds now."""
        outbox, tickets, overdue = self.db.run_sync(self._read)
        now = self.now()
        depth = GaugeMetricFamily("jiesu_outbox_depth", "Messages waiting to be sent", labels=["channel"])
        age = GaugeMetricFamily(
            "jiesu_outbox_oldest_pending_seconds", "Age of the oldest message waiting", labels=["channel"]
        )
        for channel, count, oldest in outbox:
            depth.add_metric([channel], count)
            if oldest.tzinfo is None:
                oldest = oldest.replace(tzinfo=UTC)
            age.add_metric([channel], max(0.0, (now - oldest).total_seconds()))
        open_ = GaugeMetricFamily(
            "jiesu_open_tickets", "Tickets not yet closed, by status", labels=["status"]
        )
        for status, count in tickets:
            open_.add_metric([str(status)], count)
        late = GaugeMetricFamily("jiesu_overdue_tickets", "Open tickets past a deadline")
        late.add_metric([], overdue)
        yield from (depth, age, open_, late)

    def describe(self) -> Iterator[GaugeMetricFamily]:
        """Nothing up front: collect() runs at scrape time only."""
        return iter(())


class Metrics:
    """Every metric of one process, in a registry of its own."""

    def __init__(self) -> None:
        r = self.registry = CollectorRegistry()
        self.inbound = Counter(
            "jiesu_inbound_messages", "Messages and button taps received", ["channel", "outcome"], registry=r
        )
        self.reply = Histogram(
            "jiesu_reply_seconds",
            "From a message's arrival to its replies queued",
            ["channel"],
            buckets=LATENCY,
            registry=r,
        )
        self.delivery = Counter(
            "jiesu_delivery_attempts",
            "Calls to a chat platform's send API, by result",
            ["channel", "result"],
            registry=r,
        )
        self.scan = Histogram(
            "jiesu_sla_scan_seconds", "Duration of one SLA scan", buckets=LATENCY, registry=r
        )
        self.due = Counter(
            "jiesu_sla_due_handled", "Due reminders, escalations and pushes handled", registry=r
        )
        self.db_errors = Counter(
            "jiesu_database_errors", "Database operations that failed", ["kind"], registry=r
        )
        self.web = Histogram(
            "jiesu_web_request_seconds",
            "Web requests (office, webhooks, Open311)",
            ["method", "route", "status"],
            buckets=LATENCY,
            registry=r,
        )
        Gauge("jiesu_build_info", "The running version", ["version"], registry=r).labels(__version__).set(1)

    def watch_database(self, db: Database, now: Callable[[], datetime]) -> None:
        """Count the outbox and tickets at each scrape."""
        self.registry.register(_Figures(db, now))

    def timed_scan(self, scan: Callable[[], Awaitable[int]]) -> Callable[[], Awaitable[int]]:
        """The SLA scan, timed, with what it handled counted."""

        async def run() -> int:
            started = time.perf_counter()
            try:
                done = await scan()
            finally:
                self.scan.observe(time.perf_counter() - started)
            self.due.inc(done)
            return done

        return run


_current: Metrics | None = None


def current() -> Metrics | None:
    """The process's metrics when they are on (`[metrics] listen`), else None."""
    return _current


def enable(metrics: Metrics | None = None) -> Metrics:
    """Turn metrics on for this process (or swap in a fresh set, in tests)."""
    global _current
    _current = metrics or Metrics()
    return _current


def disable() -> None:
    """Turn metrics off."""
    global _current
    _current = None


def inbound(channel: str, outcome: str, seconds: float) -> None:
    """Count one inbound message and how long its replies took to be queued."""
    if _current is not None:
        _current.inbound.labels(channel, outcome).inc()
        _current.reply.labels(channel).observe(seconds)


def delivery(channel: str, result: str) -> None:
    """Count one delivery attempt."""
    if _current is not None:
        _current.delivery.labels(channel, result).inc()


def database_error(kind: str) -> None:
    """Count one failed database operation."""
    if _current is not None:
        _current.db_errors.labels(kind).inc()


def asgi(metrics: Metrics, token: str = "") -> Any:
    """The /metrics app for its own listener; with a token, it wants `Authorization: Bearer TOKEN`."""
    import asyncio
    import hmac

    from prometheus_client import CONTENT_TYPE_LATEST, generate_latest
    from starlette.applications import Starlette
    from starlette.requests import Request
    from starlette.responses import PlainTextResponse, Response
    from starlette.routing import Route

    async def scrape(request: Request) -> Response:
        if token and not hmac.compare_digest(request.headers.get("authorization", ""), f"Bearer {token}"):
            return PlainTextResponse("unauthorized", status_code=401)
        body = await asyncio.to_thread(generate_latest, metrics.registry)
        return Response(body, media_type=CONTENT_TYPE_LATEST)

    return Starlette(routes=[Route("/metrics", scrape)])


class WebTiming:
    """ASGI middleware: times each web request (by its first path segment) and gives it an id."""

    def __init__(self, app: Any) -> None:
        self.app = app

    async def __call__(self, scope: Any, receive: Any, send: Any) -> None:
        """Time the request and run it under its id (X-Request-ID when the proxy sets one)."""
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        from .logs import new_id, request_id

        given = dict(scope.get("headers") or []).get(b"x-request-id", b"").decode("latin-1")[:64]
        status = [500]

        async def sending(message: Any) -> None:
            if message["type"] == "http.response.start":
                status[0] = message["status"]
            await send(message)

        started = time.perf_counter()
        with request_id(given or new_id("web")):
            try:
                await self.app(scope, receive, sending)
            finally:
                if _current is not None:
                    route = "/" + scope.get("path", "/").lstrip("/").split("/", 1)[0]
                    _current.web.labels(scope.get("method", ""), route, str(status[0])).observe(
                        time.perf_counter() - started
                    )
