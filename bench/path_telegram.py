"""The Telegram path: Update JSON POSTed to the webhook endpoint through the ASGI app, in-process.

Each step becomes the update Telegram would send (a message, or a callback query for a button
payload), is parsed by PTB, handled by the PTB Application's handlers and committed before the
endpoint answers 200. Replies go out through the real Telegram transport to the fake Bot API of
the tests (a `telegram.request.BaseRequest`), with the rate limiter off.
"""

from __future__ import annotations

import importlib.util
import itertools
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field, replace
from typing import Any

import httpx
from telegram import Update

from bot.app import App
from bot.channels.telegram import SECRET_HEADER, TelegramRuntime, setup
from bot.config import TelegramConfig
from bot.delivery import UNLIMITED, Delivery, OutgoingMessage, Transport
from bot.web import build_asgi
from tests.tgfake import BOT, SECRET, TOKEN, FakeBotApi, FakeRequest

from .common import Step

NAME = "telegram"
Sender = Callable[[Step], Awaitable[None]]
FIRST_USER_ID = 710_000_000

# httpx's ASGITransport tries `import sniffio` on every request; when it is not installed that is a
# failed import (five stat() calls, ~3 ms on slow disks) charged to the client, not to the server
# under test. Remember the miss once, as Python does for a module known to be absent.
if importlib.util.find_spec("sniffio") is None:
    sys.modules["sniffio"] = None  # type: ignore[assignment]


@dataclass
class Counted:
    """The real Telegram transport, counting what it delivered (the bench reads `delivered`)."""

    inner: Transport
    channel: str = NAME
    delivered: list[OutgoingMessage] = field(default_factory=list)

    async def deliver(self, message: OutgoingMessage) -> Delivery:
        """Deliver through the real transport and remember the successes."""
        result = await self.inner.deliver(message)
        if result.ok:
            self.delivered.append(message)
        return result


class UpdateMaker:
    """The Update JSON Telegram would send for a step (a message, or a callback query for a payload)."""

    def __init__(self, api: FakeBotApi) -> None:
        self.api = api
        self.update_ids = itertools.count(1)
        self.user_ids: dict[str, int] = {}
        self.bot = {k: BOT[k] for k in ("id", "is_bot", "first_name", "username")}

    def user_of(self, name: str) -> dict[str, Any]:
        """The Telegram user of a simulated resident (known to the fake API as a private chat)."""
        uid = self.user_ids.setdefault(name, FIRST_USER_ID + len(self.user_ids))
        self.api.chats.setdefault(str(uid), {"id": uid, "type": "private", "first_name": name})
        return {"id": uid, "is_bot": False, "first_name": name, "username": name}

    def __call__(self, step: Step) -> dict[str, Any]:
        """The update of one step."""
        user = self.user_of(step.user)
        chat = {"id": user["id"], "type": "private", "first_name": step.user}
        update_id = next(self.update_ids)
        if step.payload is not None:
            query_id = f"b{update_id}"
            self.api.queries.add(query_id)
            shown = {"message_id": 1, "date": int(time.time()), "chat": chat, "from": self.bot, "text": "…"}
            query = {
                "id": query_id,
                "from": user,
                "chat_instance": "b",
                "message": shown,
                "data": step.payload,
            }
            return {"update_id": update_id, "callback_query": query}
        message: dict[str, Any] = {
            "message_id": update_id,
            "date": int(time.time()),
            "chat": chat,
            "from": user,
        }
        if step.location is not None:
            message["location"] = {"latitude": step.location[0], "longitude": step.location[1]}
        elif step.contact is not None:
            message["contact"] = {
                "phone_number": step.contact,
                "first_name": step.user,
                "user_id": user["id"],
            }
        else:
            message["text"] = step.text
            if step.text.startswith("/"):
                message["entities"] = [
                    {"type": "bot_command", "offset": 0, "length": len(step.text.split()[0])}
                ]
        return {"update_id": update_id, "message": message}


async def start_channel(app: App, api: FakeBotApi) -> TelegramRuntime:
    """Jiesu's Telegram channel in webhook mode against the fake Bot API, limits off, deliveries counted."""
    config = replace(
        app.config,
        telegram=TelegramConfig(
            token=TOKEN, webhook_url="https://bench.example.org/telegram/webhook", secret_token=SECRET
        ),
    )
    channel = setup(app, config, request=FakeRequest(api), limits=UNLIMITED)
    await channel.start()
    app.add_transport(Counted(channel.transport))
    return channel


async def make_update_sender(app: App, api: FakeBotApi) -> tuple[Sender, Callable[[], Awaitable[None]]]:
    """send(step) hands the update of one user action to PTB's process_update, as the webhook does."""
    channel = await start_channel(app, api)
    update_of = UpdateMaker(api)

    async def send(step: Step) -> None:
        if not await channel.process(Update.de_json(update_of(step), channel.application.bot)):
            raise RuntimeError(f"the update of {step} failed")

    async def close() -> None:
        await channel.stop()
        await channel.close()

    return send, close


async def make_sender(app: App) -> tuple[Sender, Callable[[], Awaitable[None]]]:
    """send(step) POSTs the update of one user action to /telegram/webhook; close() stops the channel."""
    api = FakeBotApi()
    channel = await start_channel(app, api)
    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=build_asgi(channel.routes())), base_url="https://bench.example.org"
    )
    headers = {SECRET_HEADER: SECRET}
    update_of = UpdateMaker(api)

    async def send(step: Step) -> None:
        response = await http.post(channel.webhook_path, json=update_of(step), headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"webhook answered {response.status_code} to {step}")

    async def close() -> None:
        await http.aclose()
        await channel.stop()
        await channel.close()

    return send, close
