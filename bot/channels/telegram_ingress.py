"""PTB handlers: turn each update into an Inbound, run it through the app, answer button taps."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator, Hashable
from contextlib import asynccontextmanager
from dataclasses import replace
from typing import Any, TypeAlias

from sqlalchemy.exc import InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from telegram import CallbackQuery, Update
from telegram.error import TelegramError
from telegram.ext import (
    Application,
    CallbackQueryHandler,
    ContextTypes,
    ExtBot,
    JobQueue,
    MessageHandler,
    filters,
)

from handlers import router, texts
from models.messages import HandleResult, Inbound
from models.store.database import DatabaseClosed

from ..app import App
from ..quietlog import QuietLog, kind_of
from .boundary import BadLocation
from .telegram_inbound import Me, callback_inbound, message_inbound
from .telegram_transport import LONG_PAYLOAD, migrate_chat, resolve_long_payload

log = logging.getLogger(__name__)
ALERT_MAX = 200  # characters answerCallbackQuery shows
REMEMBERED_FAILURES = 10_000
_Data: TypeAlias = dict[Any, Any]
# The PTB application as ApplicationBuilder builds it: the default bot, context and data types.
PtbApplication: TypeAlias = Application[
    ExtBot[None], ContextTypes.DEFAULT_TYPE, _Data, _Data, _Data, JobQueue[ContextTypes.DEFAULT_TYPE]
]


def transient(exc: BaseException | None) -> bool:
    """A failure of a dependency (database down or busy, its worker pool stopped), not of the update."""
    return isinstance(
        exc, DatabaseClosed | OperationalError | InterfaceError | PoolTimeout | TimeoutError | ConnectionError
    )


class KeyedLocks:
    """One lock per key, dropped when nobody holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[Hashable, tuple[asyncio.Lock, int]] = {}

    @asynccontextmanager
    async def hold(self, key: Hashable) -> AsyncIterator[None]:
        """Run the body alone for this key, in arrival order."""
        lock, users = self._locks.get(key, (asyncio.Lock(), 0))
        self._locks[key] = (lock, users + 1)
        try:
            async with lock:
                yield
        finally:
            lock, users = self._locks[key]
            if users == 1:
                del self._locks[key]
            else:
                self._locks[key] = (lock, users - 1)


class TelegramIngress:
    """The handlers registered on the PTB Application; dialog state stays in the database."""

    def __init__(self, app: App) -> None:
        self.app = app
        self.me: Me | None = None  # known after getMe
        self.failed: set[int] = set()  # update ids whose processing raised (webhook answers 500)
        # Update ids arriving by webhook: their callback answer rides on the webhook's HTTP response
        # (a Bot API call Telegram performs for us) instead of a request of our own.
        self.replies: dict[int, dict[str, object] | None] = {}
        self._locks = KeyedLocks()
        self.first_failure: dict[int, str] = {}  # update id -> what its first failure was
        self.poison: set[int] = set()  # failed twice the same way: answered 200, not retried
        self.dropped = 0  # poison updates so far
        self.outage = QuietLog(log, "telegram updates")

    def register(self, application: PtbApplication) -> None:
        """Add the handlers, in one group so exactly one of them runs per update."""
        application.add_handler(MessageHandler(filters.StatusUpdate.MIGRATE, self.on_migrate))
        application.add_handler(MessageHandler(filters.UpdateType.MESSAGE, self.on_message))
        application.add_handler(CallbackQueryHandler(self.on_callback))
        application.add_error_handler(self.on_error)

    def _me(self) -> Me:
        if self.me is None:
            raise RuntimeError("the Telegram channel was not started (getMe has not run)")
        return self.me

    async def _handle(self, update: Update, inbound: Inbound) -> HandleResult:
        """One transaction per update; a person's messages in a chat are handled in order."""
        try:
            async with self._locks.hold((inbound.chat_id, inbound.user_id)):
                return await self.app.handle(inbound)
        except Exception:
            self.failed.add(update.update_id)
            raise

    async def on_message(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Pass a message (text, command, photo, location, contact, file) to the core."""
        try:
            inbound = message_inbound(update, self._me())
        except BadLocation as exc:
            log.warning("update %s: refused a location %s", update.update_id, exc)
            await self._bad_location(update)
            return
        if inbound is not None:
            await self._handle(update, inbound)

    async def _bad_location(self, update: Update) -> None:
        """Tell the sender the location could not be used: once per update (the pipeline's dedupe)."""
        inbound = message_inbound(update, self._me(), locations=False)
        if inbound is None:
            return
        said = inbound
        await self.app.run(lambda u, _handle: router.answer_only(u, said, texts.LOCATION_INVALID))
        self.app.sender.wake()

    async def on_callback(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Pass a button tap to the core, then answer it, with an alert when the core refused."""
        query = update.callback_query
        assert query is not None
        inbound = callback_inbound(update, self._me())
        if inbound is None:
            await self._answer(update, query, texts.BUTTON_EXPIRED)
            return
        if inbound.payload is not None and inbound.payload.startswith(LONG_PAYLOAD):
            data = inbound.payload
            inbound = replace(inbound, payload=await self.app.db.run(lambda s: resolve_long_payload(s, data)))
        result = await self._handle(update, inbound)
        await self._answer(update, query, result.alert)

    async def _answer(self, update: Update, query: CallbackQuery, alert: str | None) -> None:
        """Stop the client's spinner; a refusal is shown as an alert only to who tapped."""
        if update.update_id in self.replies:
            answer: dict[str, object] = {"method": "answerCallbackQuery", "callback_query_id": query.id}
            if alert:
                answer.update(text=alert[:ALERT_MAX], show_alert=True)
            self.replies[update.update_id] = answer
            return
        try:
            if alert:
                await query.answer(alert[:ALERT_MAX], show_alert=True)
            else:
                await query.answer()
        except TelegramError as exc:  # too old, or the network: the tap itself was handled
            log.info("could not answer callback query %s: %s", query.id, exc)

    async def on_migrate(self, update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        """A group was upgraded to a supergroup: its binding follows the new chat id."""
        message = update.effective_message
        if message is None:
            return
        if message.migrate_to_chat_id is not None:
            old, new = str(message.chat_id), str(message.migrate_to_chat_id)
        elif message.migrate_from_chat_id is not None:
            old, new = str(message.migrate_from_chat_id), str(message.chat_id)
        else:
            return
        await self.app.db.run(lambda s: migrate_chat(s, old, new))
        log.warning("group %s became supergroup %s; bindings moved", old, new)

    async def on_error(self, update: object, context: ContextTypes.DEFAULT_TYPE) -> None:
        """Classify what a handler raised: the database down (comes again, one log line per kind),
        a first failure (comes again, logged with its traceback), or the same failure a second time
        (poison: answered 200 so Telegram stops retrying, counted and logged)."""
        exc = context.error
        update_id = getattr(update, "update_id", None)
        if transient(exc):
            self.outage.failed(exc or RuntimeError("unknown"))
            return
        if not isinstance(update_id, int):
            log.error("update failed", exc_info=exc)
            return
        kind = kind_of(exc or RuntimeError("unknown"))
        if self.first_failure.get(update_id) == kind:
            self.first_failure.pop(update_id, None)
            self.poison.add(update_id)
            self.dropped += 1
            log.error(
                "update %s failed twice with %s: answered 200, not retried (%d dropped so far)",
                update_id,
                kind,
                self.dropped,
            )
            return
        if len(self.first_failure) >= REMEMBERED_FAILURES:
            self.first_failure.pop(next(iter(self.first_failure)))
        self.first_failure[update_id] = kind
        log.error("update %s failed; Telegram will send it again", update_id, exc_info=exc)

    def settle(self, update_id: int) -> bool:
        """After processing: True when the update is done (handled, or poison), False to have it again."""
        if update_id not in self.failed:
            self.first_failure.pop(update_id, None)
            self.outage.ok()
            return True
        self.failed.discard(update_id)
        if update_id in self.poison:
            self.poison.discard(update_id)
            return True
        return False
