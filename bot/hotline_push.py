"""A city order's 签收, 回复, 退单 and 延期 sent to the city's callback URL: signed JSON, from the outbox."""

from __future__ import annotations

import json
import secrets
import time
from dataclasses import dataclass, field

import httpx
from starlette.routing import BaseRoute

from bot.config import Config, HotlineSource
from bot.delivery.types import Delivery, OutgoingMessage
from models.hotline_push import CHANNEL

from .app import App
from .office.hotline_api import KEY, NONCE, SIGNATURE, TIMESTAMP, signature

IDEMPOTENCY = "Idempotency-Key"
TIMEOUT = 10.0  # seconds for one call: a hung city is given up on and tried again later
# The city may be down for a day: about 16 minutes of backoff, then every 10 minutes for a day.
ATTEMPTS = 150
RETRIED = frozenset({401, 403, 408, 425, 429})  # 4xx worth another try (a secret being fixed, a limit)
ACCEPTED = frozenset({409})  # the city already has this idempotency key: delivered before


def headers(source: HotlineSource, body: bytes, key: str, *, now: float | None = None) -> dict[str, str]:
    """The signed headers of one call (a fresh nonce per attempt, the same idempotency key)."""
    stamp = str(int(time.time() if now is None else now))
    nonce = secrets.token_hex(12)
    return {
        KEY: source.key,
        TIMESTAMP: stamp,
        NONCE: nonce,
        SIGNATURE: signature(source.secret, stamp, nonce, body),
        IDEMPOTENCY: key,
        "Content-Type": "application/json; charset=utf-8",
    }


@dataclass
class CityTransport:
    """The outbox's `hotline` channel: each source a lane (its actions in order), each row one call."""

    sources: dict[str, HotlineSource]  # by source name (the lane)
    timeout: float = TIMEOUT
    client: httpx.AsyncClient | None = None
    channel: str = CHANNEL
    max_attempts: int = ATTEMPTS
    _own: bool = field(default=False, repr=False)

    def _client(self) -> httpx.AsyncClient:
        if self.client is None:
            self.client, self._own = httpx.AsyncClient(timeout=self.timeout), True
        return self.client

    async def deliver(self, message: OutgoingMessage) -> Delivery:
        """POST the row's JSON to its source's callback and say how it went."""
        source = self.sources.get(message.chat_id)
        if source is None or not source.callback:
            return Delivery(
                ok=False, error=f"no callback configured for {message.chat_id!r}", attempted=False
            )
        body = message.text.encode()
        key = str(json.loads(message.text).get("idempotency_key", message.id))
        try:
            answer = await self._client().post(
                source.callback, content=body, headers=headers(source, body, key), timeout=self.timeout
            )
        except httpx.TimeoutException:
            return Delivery(ok=False, error=f"timed out after {self.timeout:.0f} s")
        except httpx.HTTPError as exc:
            return Delivery(ok=False, error=f"{type(exc).__name__}: {exc}")
        status = answer.status_code
        if 200 <= status < 300 or status in ACCEPTED:
            return Delivery(ok=True, remote_id=key[:100])
        error = f"HTTP {status}: {answer.text[:200]}"
        if status == 429:
            wait = answer.headers.get("Retry-After", "")
            return Delivery(ok=False, error=error, retry_after=float(wait) if wait.isdigit() else 30.0)
        if 400 <= status < 500 and status not in RETRIED:
            return Delivery(ok=False, error=error, permanent=True)
        return Delivery(ok=False, error=error)

    async def close(self) -> None:
        """Close the HTTP client it opened."""
        if self._own and self.client is not None:
            await self.client.aclose()
            self.client = None


@dataclass
class CityRuntime:
    """The callback's place in `jiesu run`: no routes, its client closed after the last delivery."""

    transport: CityTransport
    name: str = "12345 callback"

    def routes(self) -> list[BaseRoute]:
        """None: the city's pushes in are the office's routes."""
        return []

    async def start(self) -> None:
        """Nothing to start: the sender calls the transport."""

    async def stop(self) -> None:
        """Nothing to stop: rows still queued wait for the next start."""

    async def close(self) -> None:
        """Close the HTTP client."""
        await self.transport.close()


def setup(app: App, config: Config) -> CityRuntime:
    """Register the transport of the sources that have a callback."""
    sources = {s.name: s for s in config.hotline.sources.values() if s.callback}
    transport = CityTransport(sources)
    app.add_transport(transport)
    return CityRuntime(transport)
