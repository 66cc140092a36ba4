"""The project's ASGI app (Starlette): Telegram webhook, WeChat endpoint, /healthz and /readyz."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from typing import cast
from urllib.parse import urlsplit

from sqlalchemy import Table, text
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session
from starlette.applications import Starlette
from starlette.datastructures import Headers, MutableHeaders
from starlette.middleware import Middleware
from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse
from starlette.routing import BaseRoute, Route
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from models.store.database import Database
from models.tables import KeyValue

from .health import CHECK_TIMEOUT, Health, legacy
from .metrics import WebTiming

__all__ = ["CHECK_TIMEOUT", "Check", "build_asgi", "database_check"]
Check = Callable[[], Awaitable[None]]
MAX_BODY = 1024 * 1024  # bytes a request body may have (forms, webhooks and Open311 posts are far smaller)
HSTS = "max-age=31536000; includeSubDomains"
BODY_METHODS = {"POST", "PUT", "PATCH"}


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
            raise WritesFailing(f"writes failing: {exc.orig}") from exc

    return check


def accepting_check(name: str, accepting: Callable[[], bool]) -> Check:
    """Ready only while the channel takes updates (not yet during start-up, no more when stopping)."""

    async def check() -> None:
        if not accepting():
            raise RuntimeError(f"{name} is not taking updates")

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


class BodyLimit:
    """Refuse a body over the limit (413) before any route or middleware reads it."""

    def __init__(self, app: ASGIApp, limit: int = MAX_BODY) -> None:
        self.app = app
        self.limit = limit

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in BODY_METHODS:
            await self.app(scope, receive, send)
            return
        too_large = PlainTextResponse("request body too large", status_code=413)
        length = Headers(scope=scope).get("content-length")
        if length is not None:
            if not length.isdigit() or len(length) > 12 or int(length) > self.limit:
                await too_large(scope, receive, send)
                return
            await self.app(scope, receive, send)  # the server holds the body to its declared length
            return
        # Streamed without a length: read it here, up to the limit, and hand it on in one piece.
        body = bytearray()
        more = True
        while more:
            message = await receive()
            if message["type"] != "http.request":
                return  # the client went away
            body += message.get("body", b"")
            if len(body) > self.limit:
                await too_large(scope, receive, send)
                return
            more = message.get("more_body", False)
        whole: list[Message] = [{"type": "http.request", "body": bytes(body), "more_body": False}]

        async def replay() -> Message:
            return whole.pop() if whole else await receive()

        await self.app(scope, replay, send)


def content_policy(nonce: str, image_hosts: str) -> str:
    """The Content-Security-Policy of every page: own scripts (and inline ones with the nonce) only."""
    return "; ".join(
        (
            "default-src 'self'",
            f"script-src 'self' 'nonce-{nonce}'",
            "style-src 'self' 'unsafe-inline'",  # style attributes (map legend); Leaflet sets styles
            f"img-src 'self' data:{' ' + image_hosts if image_hosts else ''}",
            "object-src 'none'",
            "base-uri 'none'",
            "form-action 'self'",
            "frame-ancestors 'none'",
        )
    )


class SecurityHeaders:
    """CSP (no framing), X-Frame-Options, Referrer-Policy, nosniff; HSTS behind https."""

    def __init__(self, app: ASGIApp, https: bool = False, image_hosts: str = "") -> None:
        self.app = app
        self.https = https
        self.image_hosts = image_hosts

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        nonce = secrets.token_urlsafe(16)
        scope["csp_nonce"] = nonce  # pages put it on their inline scripts

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                headers.setdefault("Content-Security-Policy", content_policy(nonce, self.image_hosts))
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("Referrer-Policy", "same-origin")
                headers.setdefault("X-Content-Type-Options", "nosniff")
                if self.https:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, with_headers)


def build_asgi(
    routes: list[BaseRoute],
    checks: dict[str, Check] | Health | None = None,
    *,
    https: bool = False,
    image_hosts: str = "",
) -> Starlette:
    """One ASGI app carrying every channel's routes, /healthz and /readyz, behind the body cap and headers."""
    health = checks if isinstance(checks, Health) else Health()
    if not isinstance(checks, Health):
        for name, check in (checks or {}).items():
            health.add(name, legacy(check))
        health.ready = True
    app = Starlette(
        routes=[*health_endpoints(health), *routes],
        middleware=[
            Middleware(SecurityHeaders, https=https, image_hosts=image_hosts),
            Middleware(BodyLimit),
        ],
    )
    app.add_middleware(WebTiming)  # an id per request on its log lines; its latency when metrics are on
    return app


def tile_source(tiles_url: str) -> str:
    """The CSP source of a map tiles URL template ({s}.tile.example.org becomes *.tile.example.org)."""
    parts = urlsplit(tiles_url)
    if parts.scheme not in ("http", "https") or not parts.netloc:
        return ""
    host = parts.netloc
    if "{" in host:
        labels = host.split(".")
        host = ".".join(["*", *labels[1:]]) if "{" in labels[0] and "{" not in ".".join(labels[1:]) else ""
    return f"{parts.scheme}://{host}" if host else ""
