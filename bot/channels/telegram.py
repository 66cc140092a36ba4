"""The Telegram channel: a PTB Application fed by long polling or by a webhook on the shared ASGI app.

Updates are acknowledged to Telegram only after their transaction committed (the webhook answers
200 afterwards; the poller moves its offset afterwards), and each update id is processed once,
so a crash or a redelivery neither loses nor repeats anything.
"""

from __future__ import annotations

import asyncio
import contextlib
import hmac
import json
import logging
import re
from datetime import timedelta
from urllib.parse import urlsplit

from starlette.requests import Request
from starlette.responses import JSONResponse, PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from telegram import (
    BotCommand,
    BotCommandScope,
    BotCommandScopeAllChatAdministrators,
    BotCommandScopeAllGroupChats,
    BotCommandScopeAllPrivateChats,
    BotCommandScopeChat,
    Update,
)
from telegram.error import Conflict, InvalidToken, NetworkError, TelegramError
from telegram.ext import ApplicationBuilder
from telegram.request import BaseRequest

from bot.config import Config, TelegramConfig
from handlers.commands import ADMIN_MENU, RESIDENT_MENU, WORKER_MENU

from ..app import App
from ..delivery import ChannelLimits
from ..runtime import StartupError
from .boundary import BodyTooLarge, read_body
from .telegram_inbound import Me
from .telegram_ingress import PtbApplication, TelegramIngress
from .telegram_transport import TelegramTransport

log = logging.getLogger(__name__)

SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query"]
POLL_TIMEOUT = timedelta(seconds=30)
DEFAULT_WEBHOOK_PATH = "/telegram/webhook"
MAX_BODY = 1 << 20  # an update is a few kilobytes; Telegram's own limit for a message is far below
_SECRET = re.compile(r"^[A-Za-z0-9_\-]{1,256}$")


def _api_urls(base_url: str | None) -> tuple[str, str] | None:
    """Bot API and file URLs of a local Bot API server ('http://host:8081' or '…/bot')."""
    if not base_url:
        return None
    root = base_url.rstrip("/").removesuffix("/bot")
    return f"{root}/bot", f"{root}/file/bot"


def build_application(
    tg: TelegramConfig,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
) -> PtbApplication:
    """The PTB Application: our own poller and webhook feed it, so PTB's Updater is off."""
    builder = ApplicationBuilder().token((tg.token or "").strip()).updater(None)
    urls = _api_urls(tg.base_url)
    if urls is not None:
        builder = builder.base_url(urls[0]).base_file_url(urls[1])
    if request is not None:
        builder = builder.request(request).get_updates_request(get_updates_request or request)
    return builder.build()


def _menu(*menus: list[tuple[str, str]]) -> list[BotCommand]:
    """Menu entries, first one of each name kept."""
    seen: dict[str, str] = {}
    for menu in menus:
        for name, description in menu:
            seen.setdefault(name, description)
    return [BotCommand(name, description) for name, description in seen.items()]


def _mask(token: str) -> str:
    bot_id, _, secret = token.partition(":")
    return f"{bot_id}:{secret[:3]}…" if secret else "…"


class TelegramRuntime:
    """Start-up checks, command menus, long polling or the webhook route, and a clean stop."""

    name = "telegram"

    def __init__(
        self,
        app: App,
        config: Config,
        application: PtbApplication,
        limits: ChannelLimits | None = None,
    ) -> None:
        self.app = app
        self.tg = config.telegram
        self.application = application
        self.ingress = TelegramIngress(app)
        self.ingress.register(application)
        self.transport = TelegramTransport(application.bot, app.db, app.clock, limits)
        app.add_transport(self.transport)
        self.webhook_url = self.tg.webhook_url or None
        self.webhook_path = (
            (urlsplit(self.webhook_url).path or DEFAULT_WEBHOOK_PATH) if self.webhook_url else ""
        )
        self.accepting = False
        self.offset: int | None = None  # the next update id the poller asks for
        self._stopping = asyncio.Event()
        self._poller: asyncio.Task[None] | None = None
        self._inflight = 0
        self._idle = asyncio.Event()
        self._idle.set()

    # ------------------------------------------------------------------ lifecycle

    def routes(self) -> list[BaseRoute]:
        """The webhook endpoint, when webhooks are configured."""
        if not self.webhook_url:
            return []
        return [Route(self.webhook_path, self.webhook, methods=["POST"], name="telegram-webhook")]

    def _check_config(self) -> None:
        if not self.webhook_url:
            return
        parts = urlsplit(self.webhook_url)
        if parts.scheme not in ("https", "http") or not parts.netloc:
            raise StartupError(f"[telegram] webhook_url is not a URL: {self.webhook_url!r}")
        if parts.scheme != "https" and not self.tg.base_url:
            raise StartupError(
                "[telegram] webhook_url must start with https:// (Telegram only calls HTTPS webhooks)",
                ["a plain http:// webhook works only with a local Bot API server ([telegram] base_url)"],
            )
        if not self.tg.secret_token or not _SECRET.match(self.tg.secret_token):
            raise StartupError(
                "[telegram] webhook_url needs secret_token: 1-256 characters A-Z, a-z, 0-9, _ or -",
                [
                    "set it in the config or as JIESU_TELEGRAM_SECRET_TOKEN; Telegram sends it back in "
                    f"the {SECRET_HEADER} header so forged updates are refused"
                ],
            )

    async def _initialize(self) -> None:
        """getMe: the token works and the API answers, or a clear StartupError."""
        where = self.tg.base_url or "https://api.telegram.org"
        try:
            await self.application.initialize()
        except InvalidToken:
            await self.application.bot.shutdown()
            raise StartupError(
                f"Telegram rejected the bot token {_mask(self.tg.token or '')} (Unauthorized)",
                [
                    "check [telegram] token or JIESU_TELEGRAM_TOKEN: it is the whole string @BotFather "
                    "gave you, like 123456789:AAE…",
                    "a token revoked in @BotFather stops working at once",
                ],
            ) from None
        except NetworkError as exc:
            await self.application.bot.shutdown()
            raise StartupError(
                f"cannot reach the Telegram Bot API at {where}",
                [str(exc), "check the network or proxy, or [telegram] base_url for a local Bot API server"],
                temporary=True,
            ) from None
        except TelegramError as exc:
            await self.application.bot.shutdown()
            raise StartupError(f"Telegram refused getMe at {where}: {exc}") from None
        bot = self.application.bot
        self.ingress.me = Me(bot.id, bot.username)

    async def _register_commands(self) -> None:
        """setMyCommands: residents in private chats, workers in groups, admins everywhere they are."""
        bot = self.application.bot
        menus: list[tuple[BotCommandScope, list[BotCommand]]] = [
            (BotCommandScopeAllPrivateChats(), _menu(RESIDENT_MENU)),
            (BotCommandScopeAllGroupChats(), _menu(WORKER_MENU)),
            (BotCommandScopeAllChatAdministrators(), _menu(WORKER_MENU, ADMIN_MENU)),
        ]
        menus += [
            (BotCommandScopeChat(admin), _menu(RESIDENT_MENU, WORKER_MENU, ADMIN_MENU))
            for admin in self.tg.admins
        ]
        for scope, commands in menus:
            try:
                await bot.set_my_commands(commands, scope=scope)
            except TelegramError as exc:  # e.g. an admin who has not opened a chat with the bot yet
                log.warning("setMyCommands for %s failed: %s", scope.type, exc)

    async def start(self) -> None:
        """Check the token, register menus, then start polling or register the webhook."""
        self._check_config()
        await self._initialize()
        try:
            await self._register_commands()
            bot = self.application.bot
            if self.webhook_url:
                await bot.set_webhook(
                    self.webhook_url,
                    secret_token=self.tg.secret_token,
                    allowed_updates=ALLOWED_UPDATES,
                    drop_pending_updates=False,
                )
            else:
                await bot.delete_webhook(drop_pending_updates=False)
                self._poller = asyncio.create_task(self._poll(), name="telegram-polling")
        except TelegramError as exc:
            await self.application.shutdown()
            what = "setWebhook" if self.webhook_url else "deleteWebhook"
            raise StartupError(f"Telegram refused {what}: {exc}") from None
        self.accepting = True
        mode = f"webhook {self.webhook_url}" if self.webhook_url else "long polling"
        log.warning("telegram: @%s ready (%s)", self.application.bot.username, mode)

    async def stop(self) -> None:
        """Stop receiving; updates being handled finish first (their replies are in the outbox)."""
        self.accepting = False
        self._stopping.set()
        if self._poller is not None:
            await self._poller
            self._poller = None
        await self._idle.wait()

    async def close(self) -> None:
        """Release PTB's HTTP clients, after the last delivery."""
        if self.application.running:
            await self.application.stop()
        await self.application.shutdown()

    # ------------------------------------------------------------------ receiving

    async def process(self, update: Update) -> bool:
        """Run one update through PTB's handlers; False when its transaction failed."""
        self._inflight += 1
        self._idle.clear()
        try:
            await self.application.process_update(update)
        finally:
            self._inflight -= 1
            if self._inflight == 0:
                self._idle.set()
        return self.ingress.settle(update.update_id)

    async def _process_webhook(self, update: Update) -> tuple[bool, dict[str, object] | None]:
        """Process an update that came by webhook; also return the Bot API call to answer with."""
        replies = self.ingress.replies
        replies[update.update_id] = None
        try:
            ok = await self.process(update)
        finally:
            reply = replies.pop(update.update_id, None)
        return ok, reply

    async def webhook(self, request: Request) -> Response:
        """The webhook endpoint: secret checked in constant time, 200 only after the commit."""
        given = request.headers.get(SECRET_HEADER, "")
        if not hmac.compare_digest(given.encode(), (self.tg.secret_token or "").encode()):
            return PlainTextResponse("forbidden", status_code=403)
        if not self.accepting:
            return PlainTextResponse("not accepting updates now", status_code=503)  # Telegram retries
        try:
            body = await read_body(request, MAX_BODY)
        except BodyTooLarge:
            log.warning("refused a webhook body over %d bytes", MAX_BODY)
            return PlainTextResponse("too large", status_code=413)
        try:
            update = Update.de_json(json.loads(body), self.application.bot)
        except Exception:  # not JSON, or not an update
            return PlainTextResponse("bad update", status_code=400)
        ok, reply = await self._process_webhook(update)
        if not ok:
            return PlainTextResponse("failed", status_code=500)  # Telegram delivers it again later
        return JSONResponse(reply) if reply is not None else Response(status_code=200)

    async def _wait_or_stop(self, seconds: float) -> None:
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(self._stopping.wait(), timeout=seconds)

    async def _poll(self) -> None:
        """Long polling that moves the offset only past updates whose transaction committed."""
        bot = self.application.bot
        failures = 0
        while not self._stopping.is_set():
            fetch = asyncio.ensure_future(
                bot.get_updates(offset=self.offset, timeout=POLL_TIMEOUT, allowed_updates=ALLOWED_UPDATES)
            )
            stop = asyncio.ensure_future(self._stopping.wait())
            done, _ = await asyncio.wait({fetch, stop}, return_when=asyncio.FIRST_COMPLETED)
            stop.cancel()
            if fetch not in done:  # stopping: the unanswered poll acknowledged nothing
                fetch.cancel()
                with contextlib.suppress(asyncio.CancelledError, TelegramError):
                    await fetch
                break
            try:
                updates = fetch.result()
            except (InvalidToken, Conflict) as exc:
                log.error("telegram polling refused: %s (another process polling, or a webhook set?)", exc)
                await self._wait_or_stop(30)
                continue
            except TelegramError as exc:
                failures += 1
                log.warning("telegram polling failed (%s); retrying", exc)
                await self._wait_or_stop(min(30, 2**failures))
                continue
            failures = 0
            results = await asyncio.gather(*(self.process(u) for u in updates))
            failed = [u.update_id for u, ok in zip(updates, results, strict=True) if not ok]
            if failed:  # fetch again from the first failure; what did commit is skipped as a duplicate
                self.offset = min(failed)
                await self._wait_or_stop(1)
            elif updates:
                self.offset = updates[-1].update_id + 1
        await self._acknowledge()

    async def _acknowledge(self) -> None:
        """Tell Telegram which updates are done, so a restart does not fetch them again."""
        if self.offset is None:
            return
        try:
            await self.application.bot.get_updates(
                offset=self.offset, timeout=0, allowed_updates=ALLOWED_UPDATES
            )
        except TelegramError as exc:  # harmless: they would be fetched again and skipped
            log.info("final getUpdates failed: %s", exc)


def setup(
    app: App,
    config: Config,
    *,
    request: BaseRequest | None = None,
    get_updates_request: BaseRequest | None = None,
    limits: ChannelLimits | None = None,
) -> TelegramRuntime:
    """The Telegram channel of `jiesu run`; request and limits are for tests and benchmarks."""
    application = build_application(config.telegram, request, get_updates_request)
    return TelegramRuntime(app, config, application, limits)
