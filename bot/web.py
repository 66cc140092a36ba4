"""The project's ASGI app (Starlette): Telegram webhook, WeChat endpoint and a health check."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

from sqlalchemy import text
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Route

from models.store.database import Database

log = logging.getLogger(__name__)
Check = Callable[[], Awaitable[None]]
CHECK_TIMEOUT = 2.0  # seconds a part may take to answer before it counts as down


def database_check(db: Database) -> Check:
    """SELECT 1 in a transaction of its own."""

    async def check() -> None:
        await db.run(lambda s: s.execute(text("SELECT 1")))

    return check


def health_endpoint(checks: dict[str, Check]) -> Callable[[Request], Awaitable[PlainTextResponse]]:
    """200 'ok' when every part answers, else 503 naming the parts that are down."""

    async def health(request: Request) -> PlainTextResponse:
        down = []
        for name, check in checks.items():
            try:
                await asyncio.wait_for(check(), timeout=CHECK_TIMEOUT)
            except Exception as exc:  # the reason goes to the log, the name to the caller
                log.warning("health check: %s is down (%s)", name, type(exc).__name__)
                down.append(name)
        if down:
            return PlainTextResponse(f"down: {', '.join(down)}", status_code=503)
        return PlainTextResponse("ok")

    return health


def build_asgi(routes: list[BaseRoute], checks: dict[str, Check] | None = None) -> Starlette:
    """One ASGI app carrying every channel's routes and /healthz."""
    return Starlette(routes=[Route("/healthz", health_endpoint(checks or {})), *routes])
