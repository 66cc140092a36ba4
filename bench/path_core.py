"""The core path: neutral Inbound messages straight into App.handle (no channel parsing)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from bot.app import App

from .common import Step, console_inbound

NAME = "core"


async def make_sender(app: App) -> tuple[Callable[[Step], Awaitable[object]], Callable[[], None]]:
    """send(step) runs one step through the whole inbound pipeline; close() has nothing to release."""

    async def send(step: Step) -> object:
        return await app.handle(console_inbound(step))

    def close() -> None:
        return None

    return send, close
