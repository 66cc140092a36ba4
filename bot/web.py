"""The project's ASGI app (Starlette): Telegram webhook, WeChat endpoint and a health check."""

from __future__ import annotations

from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import PlainTextResponse
from starlette.routing import BaseRoute, Route


async def health(request: Request) -> PlainTextResponse:
    """Answer load balancers and uptime checks."""
    return PlainTextResponse("ok")


def build_asgi(routes: list[BaseRoute]) -> Starlette:
    """One ASGI app carrying every channel's routes."""
    return Starlette(routes=[Route("/healthz", health), *routes])
