"""What a channel contributes to `jiesu run`: HTTP routes and a start/stop lifecycle."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Protocol

from starlette.routing import BaseRoute


class ChannelRuntime(Protocol):
    """A live channel: its routes are mounted on the shared ASGI app."""

    name: str

    def routes(self) -> list[BaseRoute]:
        """HTTP routes to mount (webhooks); may be empty."""
        ...

    async def start(self) -> None:
        """Check credentials and begin receiving (e.g. start long polling)."""
        ...

    async def stop(self) -> None:
        """Stop receiving; whatever was accepted is already in the database."""
        ...


@dataclass
class StartupError(Exception):
    """A channel cannot start; the message tells the operator what to fix."""

    message: str
    details: list[str] = field(default_factory=list)
    temporary: bool = False  # the platform or the port may be there on the next try (exit 75, not 78)

    def __str__(self) -> str:
        return self.message
