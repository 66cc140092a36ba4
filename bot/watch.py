"""The sender's transports, watched: each delivery is counted, and a refused token shows on /healthz."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from . import metrics
from .delivery import Delivery, OutgoingMessage, Transport
from .health import Health
from .logs import request_id

if TYPE_CHECKING:
    from .app import App

# How each platform says "this token or secret is not (or no longer) valid" in a delivery's error.
TOKEN_REFUSED: dict[str, tuple[str, ...]] = {
    "telegram": ("InvalidToken", "Unauthorized"),
    # invalid credential, invalid appsecret, IP not on the whitelist, invalid appid
    "wechat": ("errcode 40001:", "errcode 40125:", "errcode 40164:", "errcode 40013:"),
}


def result_of(delivery: Delivery) -> str:
    """The result label of one attempt: ok, rate_limited, permanent, retry or not_attempted."""
    if delivery.ok:
        return "ok"
    if not delivery.attempted:
        return "not_attempted"
    if delivery.retry_after is not None:
        return "rate_limited"
    return "permanent" if delivery.permanent else "retry"


class Watched:
    """A transport that reports to the health registry and the metrics, and logs under the row's id."""

    def __init__(self, inner: Transport, health: Health) -> None:
        self.inner = inner
        self.channel = inner.channel
        self.token = health.token(inner.channel)

    def __getattr__(self, name: str) -> Any:
        return getattr(self.inner, name)  # limits and the like, as the sender reads them

    async def deliver(self, message: OutgoingMessage) -> Delivery:
        """Deliver through the real transport, then note how it went."""
        with request_id(f"outbox-{message.id}"):
            result = await self.inner.deliver(message)
        metrics.delivery(self.channel, result_of(result))
        error = result.error or ""
        if not result.ok and any(mark in error for mark in TOKEN_REFUSED.get(self.channel, ())):
            self.token.refused = error[:200]
        elif result.ok:
            self.token.refused = None
        return result


def watch_transports(app: App, health: Health) -> None:
    """Wrap every transport the sender has (once)."""
    transports = app.sender.transports
    for channel, transport in list(transports.items()):
        if not isinstance(transport, Watched):
            transports[channel] = Watched(transport, health)
