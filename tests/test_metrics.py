"""Prometheus /metrics: off by default; a scrape after a whole story shows every figure the guide lists."""

from __future__ import annotations

from collections.abc import Iterator
from datetime import timedelta

import httpx
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy.exc import OperationalError

from bot import metrics, observe
from bot.config import load
from bot.health import Health
from bot.version import __version__
from bot.watch import watch_transports
from bot.web import build_asgi
from models.messages import Inbound, Reply
from models.outbox import enqueue
from models.tables import ACTIVE, Ticket

from .harness import Harness

TOKEN = "scrape-token"


@pytest.fixture
def collected() -> Iterator[metrics.Metrics]:
    """Metrics on for this test only."""
    assert metrics.current() is None, "metrics are off unless [metrics] listen turns them on"
    try:
        yield metrics.enable(metrics.Metrics())
    finally:
        metrics.disable()


async def scrape(m: metrics.Metrics, token: str | None = TOKEN) -> httpx.Response:
    """GET /metrics on the metrics app, with the bearer token (or none)."""
    transport = httpx.ASGITransport(app=metrics.asgi(m, TOKEN))
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with httpx.AsyncClient(transport=transport, base_url="http://metrics") as client:
        return await client.get("/metrics", headers=headers)


def samples(body: str) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample of a scrape, by name and sorted labels (the text format, parsed)."""
    out = {}
    for family in text_string_to_metric_families(body):
        for s in family.samples:
            out[(s.name, tuple(sorted(s.labels.items())))] = s.value
    return out


def test_metrics_are_off_by_default() -> None:
    """Without [metrics] listen nothing is collected or served."""
    assert load(None, env={}).observe.metrics_listen == ""
    assert metrics.current() is None


async def test_a_scrape_after_a_story_shows_every_figure(h: Harness, collected: metrics.Metrics) -> None:
    """Inbound by outcome, reply latency, deliveries, SLA scans, open and overdue tickets, outbox, web."""
    collected.watch_database(h.app.db, h.clock.now)
    watch_transports(h.app, Health())
    h.app.periodic[0] = collected.timed_scan(h.app.periodic[0])  # the SLA scan, as `jiesu run` times it
    await h.setup_grid()
    tid = await h.report()
    await h.say(f"w1: 抢单 {tid}")
    await h.say("r2: /assign 1 w1")  # a resident may not assign: refused
    await h.advance(timedelta(days=2))  # past the simple ticket's 1-day deadline: overdue
    # A message queued for a channel this process does not serve stays pending.
    now = h.clock.now()
    await h.app.db.run(lambda s: enqueue(s, Reply("wechat", "o-1", "稍后发送"), now - timedelta(minutes=5)))
    msg = Inbound(channel="console", chat_id="r9", user_id="r9", text="x")
    with pytest.raises(OperationalError), observe.inbound(msg):
        raise OperationalError("SELECT 1", {}, Exception("server closed the connection"))
    web = httpx.ASGITransport(app=build_asgi([], {}))
    async with httpx.AsyncClient(transport=web, base_url="http://jiesu") as client:
        assert (await client.get("/healthz")).status_code == 200

    assert (await scrape(collected, token=None)).status_code == 401
    response = await scrape(collected)
    assert response.status_code == 200
    assert response.headers["content-type"].startswith("text/plain")
    got = samples(response.text)

    def value(name: str, **labels: str) -> float:
        return got.get((name, tuple(sorted(labels.items()))), 0.0)

    handled = value("jiesu_inbound_messages_total", channel="console", outcome="handled")
    refused = value("jiesu_inbound_messages_total", channel="console", outcome="refused")
    errors = value("jiesu_inbound_messages_total", channel="console", outcome="error")
    assert handled > 10 and refused >= 1 and errors == 1
    assert value("jiesu_reply_seconds_count", channel="console") == handled + refused + errors
    assert value("jiesu_database_errors_total", kind="inbound") == 1
    assert value("jiesu_delivery_attempts_total", channel="console", result="ok") > 10
    assert value("jiesu_sla_scan_seconds_count") > 0
    assert value("jiesu_sla_due_handled_total") >= 1
    open_by_status = h.query(
        lambda s: {t.status: 1 for t in s.query(Ticket).filter(Ticket.status.in_(ACTIVE))}
    )
    assert {str(k) for k in open_by_status} == {"claimed"}
    assert value("jiesu_open_tickets", status="claimed") == 1
    assert value("jiesu_overdue_tickets") == 1
    assert value("jiesu_outbox_depth", channel="wechat") == 1
    assert value("jiesu_outbox_oldest_pending_seconds", channel="wechat") >= 300
    assert value("jiesu_web_request_seconds_count", method="GET", route="/healthz", status="200") == 1
    assert value("jiesu_build_info", version=__version__) == 1


def test_the_grafana_dashboard_uses_only_metrics_that_exist() -> None:
    """deploy/grafana-dashboard.json is JSON, and every jiesu_* name in its queries is exported."""
    import json
    import re
    from pathlib import Path

    dashboard = json.loads(
        (Path(__file__).resolve().parent.parent / "deploy/grafana-dashboard.json").read_text()
    )
    exprs = [t["expr"] for p in dashboard["panels"] for t in p["targets"]]
    names = {n for e in exprs for n in re.findall(r"\bjiesu_\w+", e)}
    m = metrics.Metrics()
    known = {s.name for family in m.registry.collect() for s in family.samples}
    known |= {
        "jiesu_outbox_depth",
        "jiesu_outbox_oldest_pending_seconds",
        "jiesu_open_tickets",
        "jiesu_overdue_tickets",
    }
    known |= {f"{family.name}_total" for family in m.registry.collect() if family.type == "counter"}
    known |= {f"{family.name}_bucket" for family in m.registry.collect() if family.type == "histogram"}
    assert names and names <= known, names - known
    covered = {re.sub(r"_(total|bucket)$", "", n) for n in names}
    assert {
        "jiesu_inbound_messages",
        "jiesu_reply_seconds",
        "jiesu_delivery_attempts",
        "jiesu_web_request_seconds",
    } <= covered
