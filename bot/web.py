"""The project's ASGI app (Starlette): Telegram webhook, WeChat endpoint and a health check."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import cast

from sqlalchemy import Table, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Route

from models.store.database import Database
from models.tables import KeyValue

log = logging.getLogger(__name__)
Check = Callable[[], Awaitable[None]]
CHECK_TIMEOUT = 2.0  # seconds a part may take to answer before it counts as down


class WritesFailing(Exception):
    """The database answers reads but refuses writes (disk full, read-only)."""


HEALTH_KEY = "healthz"  # the kv row each check rewrites (one row, whatever the number of processes)


def _write(session: Session) -> None:
    now = datetime.now(UTC)
    table = cast(Table, KeyValue.__table__)
    insert = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
    stmt = insert(table).values(key=HEALTH_KEY, value="ok", expires_at=None, updated_at=now)
    session.execute(stmt.on_conflict_do_update(index_elements=["key"], set_={"updated_at": now}))


def database_check(db: Database) -> Check:
    """SELECT 1, then a committed write of one small row: a full disk fails the second."""

    async def check() -> None:
        await db.run(lambda s: s.execute(text("SELECT 1")))
        try:
            await db.run(_write)
        except DBAPIError as exc:
            raise WritesFailing(str(exc.orig)) from exc

    return check


def accepting_check(name: str, accepting: Callable[[], bool]) -> Check:
    """Ready only while the channel takes updates (not yet during start-up, no more when stopping)."""

    async def check() -> None:
        if not accepting():
            raise RuntimeError(f"{name} is not taking updates")

    return check


def health_endpoint(checks: dict[str, Check]) -> Callable[[Request], Awaitable[PlainTextResponse]]:
    """200 'ok' when every part answers, else 503 naming the parts that are down."""

    async def health(request: Request) -> PlainTextResponse:
        down = []
        for name, check in checks.items():
            try:
                await asyncio.wait_for(check(), timeout=CHECK_TIMEOUT)
            except Exception as exc:  # the reason goes to the log, the name to the caller
                log.warning("health check: %s is down (%s: %s)", name, type(exc).__name__, exc)
                down.append(f"{name} (writes failing)" if isinstance(exc, WritesFailing) else name)
        if down:
            return PlainTextResponse(f"down: {', '.join(down)}", status_code=503)
        return PlainTextResponse("ok")

    return health


def build_asgi(routes: list[BaseRoute], checks: dict[str, Check] | None = None) -> Starlette:
    """One ASGI app carrying every channel's routes and /healthz."""
    return Starlette(routes=[Route("/healthz", health_endpoint(checks or {})), *routes])
