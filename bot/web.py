"""The project's ASGI app (Starlette): Telegram webhook, WeChat endpoint, /healthz and /readyz."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import JSONResponse
from starlette.routing import BaseRoute, Route

from models.store.database import Database

from .health import CHECK_TIMEOUT, Health, legacy
from .metrics import WebTiming

__all__ = ["CHECK_TIMEOUT", "Check", "build_asgi", "database_check"]
Check = Callable[[], Awaitable[None]]


def database_check(db: Database) -> Check:
    """SELECT 1 in a transaction of its own."""

    async def check() -> None:
        await db.run(lambda s: s.execute(text("SELECT 1")))

    return check


def health_endpoints(health: Health) -> list[Route]:
    """/healthz: 200 when every part is up, else 503 naming the parts down; /readyz: 200 once ready."""

    async def healthz(request: Request) -> JSONResponse:
        report = await health.report()
        return JSONResponse(report, status_code=200 if report["status"] == "ok" else 503)

    async def readyz(request: Request) -> JSONResponse:
        report = await health.report()
        return JSONResponse(report, status_code=200 if report["ready"] else 503)

    return [Route("/healthz", healthz), Route("/readyz", readyz)]


def build_asgi(routes: list[BaseRoute], checks: dict[str, Check] | Health | None = None) -> Starlette:
    """One ASGI app carrying every channel's routes, /healthz and /readyz."""
    health = checks if isinstance(checks, Health) else Health()
    if not isinstance(checks, Health):
        for name, check in (checks or {}).items():
            health.add(name, legacy(check))
        health.ready = True
    app = Starlette(routes=[*health_endpoints(health), *routes])
    app.add_middleware(WebTiming)  # an id per request on its log lines; its latency when metrics are on
    return app
