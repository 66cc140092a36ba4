"""Deliver outbox rows to Telegram: keyboards, photos, card edits, limits, retries and failures."""

from __future__ import annotations

import hashlib
import logging
import re
import warnings
from datetime import timedelta
from pathlib import Path
from typing import cast

from sqlalchemy import delete, select, update
from sqlalchemy.orm import Session
from telegram import (
    Bot,
    InlineKeyboardMarkup,
    KeyboardButton,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
)
from telegram._utils.types import ReplyMarkup
from telegram.error import (
    BadRequest,
    ChatMigrated,
    Forbidden,
    NetworkError,
    RetryAfter,
    TelegramError,
)
from telegram.warnings import PTBDeprecationWarning

from handlers import texts
from handlers.report.draft import BACK, CANCEL
from models.clock import Clock
from models.messages import Button
from models.store.database import Database
from models.tables import ChatBinding, KeyValue, Outbox, OutboxStatus

from ..delivery import ChannelLimits, Delivery, OutgoingMessage
from .split import split_text
from .telegram_inbound import CHANNEL
from .telegram_limits import LIMITS

log = logging.getLogger(__name__)

TEXT_MAX = 4096
CAPTION_MAX = 1024
CALLBACK_DATA_MAX = 64  # bytes, a Bot API limit
LONG_PAYLOAD = "~"  # callback data "~<hash>" stands for a payload kept in the kv table
NAV_PAYLOADS = frozenset({BACK.payload, CANCEL.payload})
REQUESTS = ("location", "contact")  # reply keyboards that inline buttons cannot close
_FILE_REF = re.compile(r"^[A-Za-z0-9_\-]{20,}$")
InlineJson = dict[str, list[list[dict[str, str]]]]  # {"inline_keyboard": [[{"text", "callback_data"}]]}
_MARKUP = InlineJson | ReplyKeyboardMarkup | ReplyKeyboardRemove


def _ptb(markup: _MARKUP | None) -> ReplyMarkup | None:
    """A markup for PTB's typed methods: an inline keyboard's JSON is sent as is (PTB sends dicts so)."""
    return cast("ReplyMarkup | None", markup)


def payload_key(payload: str) -> str:
    """The kv key under which a payload too long for callback data is kept."""
    return "tg:cb:" + hashlib.sha256(payload.encode()).hexdigest()[:32]


def resolve_long_payload(session: Session, data: str) -> str:
    """The payload a '~hash' callback data stands for (unchanged when unknown)."""
    value = session.scalar(select(KeyValue.value).where(KeyValue.key == "tg:cb:" + data[1:]))
    return value if value is not None else data


def migrate_chat(session: Session, old: str, new: str) -> None:
    """A group became a supergroup with a new id: move its binding and queued messages along."""
    taken = session.scalar(
        select(ChatBinding.id).where(ChatBinding.channel == CHANNEL, ChatBinding.chat_id == new)
    )
    if taken is not None:
        session.execute(delete(ChatBinding).where(ChatBinding.channel == CHANNEL, ChatBinding.chat_id == old))
    else:
        session.execute(
            update(ChatBinding)
            .where(ChatBinding.channel == CHANNEL, ChatBinding.chat_id == old)
            .values(chat_id=new)
        )
    session.execute(
        update(Outbox)
        .where(Outbox.channel == CHANNEL, Outbox.chat_id == old, Outbox.status == OutboxStatus.PENDING)
        .values(chat_id=new)
    )


def seconds(value: int | float | timedelta) -> float:
    """retry_after as seconds, whichever type this PTB version hands out."""
    return value.total_seconds() if isinstance(value, timedelta) else float(value)


def retry_after_of(exc: RetryAfter) -> float:
    """How long Telegram asked us to wait (without PTB's int-vs-timedelta deprecation warning)."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", PTBDeprecationWarning)
        return seconds(exc.retry_after)


def _chat(chat_id: str) -> int | str:
    try:
        return int(chat_id)
    except ValueError:
        return chat_id  # '@channelname'


def _remote(message: Message) -> str:
    return f"{message.chat_id}:{message.message_id}"


def _split(text: str, limit: int = TEXT_MAX) -> list[str]:
    """Cut a long text at line ends into pieces Telegram accepts (never an empty one)."""
    return [piece or "…" for piece in split_text(text, limit)]


def _fits(payload: str) -> bool:
    """Whether a payload can be callback data as it is."""
    return len(payload.encode()) <= CALLBACK_DATA_MAX and not payload.startswith(LONG_PAYLOAD)


def layout(buttons: list[Button]) -> list[list[Button]]:
    """Rows of buttons: short labels two to a row, long ones alone, back/cancel together last."""
    nav = [b for b in buttons if b.payload in NAV_PAYLOADS]
    rows: list[list[Button]] = []
    for b in (b for b in buttons if b.payload not in NAV_PAYLOADS):
        short = len(b.label) <= 8
        if short and rows and len(rows[-1]) == 1 and len(rows[-1][0].label) <= 8:
            rows[-1].append(b)
        else:
            rows.append([b])
    return [*rows, nav] if nav else rows


class TelegramTransport:
    """Sends (or edits) one outbox row through the Bot API and reports how it went."""

    channel = CHANNEL

    def __init__(self, bot: Bot, db: Database, clock: Clock, limits: ChannelLimits | None = None) -> None:
        self.bot = bot
        self.db = db
        self.clock = clock
        self.limits = limits or LIMITS  # the sender books slots in these windows before each call
        self._parts: dict[int, int] = {}  # row id -> leading parts delivered during this call

    async def fetch_photo(self, ref: str, most: int) -> bytes | None:
        """The bytes of a photo a user sent (getFile, then its download); None when Telegram refuses."""
        if not _FILE_REF.match(ref):
            return None
        try:
            found = await self.bot.get_file(ref)
            if found.file_size is not None and found.file_size > most:
                return None
            return bytes(await found.download_as_bytearray())
        except TelegramError:
            log.warning("photo %r could not be fetched from Telegram", ref[:20], exc_info=True)
            return None

    async def deliver(self, message: OutgoingMessage) -> Delivery:
        """Send or edit one message; classify what went wrong (the chat's lane keeps the order)."""
        self._parts[message.id] = message.parts_done
        try:
            try:
                remote = await self._edit(message) if message.is_edit else await self._send(message)
            except ChatMigrated as exc:
                new = str(exc.new_chat_id)
                await self.db.run(lambda s: migrate_chat(s, message.chat_id, new))
                log.warning("chat %s became supergroup %s; bindings moved", message.chat_id, new)
                remote = await self._send(message, chat_id=new)
        except RetryAfter as exc:
            wait = retry_after_of(exc)
            return Delivery(ok=False, retry_after=wait, error=f"429: {exc}", parts_done=self._done(message))
        except Forbidden as exc:  # blocked by the user, kicked from the group, never started
            return Delivery(ok=False, permanent=True, error=f"403: {exc}")
        except BadRequest as exc:  # chat not found, or a request Telegram will never accept
            return Delivery(ok=False, permanent=True, error=f"400: {exc}")
        except NetworkError as exc:  # timeouts, connection errors and 5xx: try again later
            error = f"network: {exc}"
        except TelegramError as exc:  # a wrong token, a conflict: not this message's fault
            error = f"{type(exc).__name__}: {exc}"
        else:
            self._parts.pop(message.id, None)
            return Delivery(ok=True, remote_id=remote)
        return Delivery(ok=False, error=error, parts_done=self._done(message))

    def _done(self, message: OutgoingMessage) -> int:
        return self._parts.pop(message.id, 0)

    async def _part(
        self, message: OutgoingMessage, index: int, chat: int | str, text: str, markup: _MARKUP | None = None
    ) -> None:
        """Send a leading part (a notice or a piece of a long text) unless an earlier attempt did."""
        if index < message.parts_done:
            return
        await self._send_text(chat, text, markup)
        self._parts[message.id] = index + 1

    # ------------------------------------------------------------------ rendering

    async def _stored_key(self, payload: str) -> str:
        """A short key to a payload too long for Telegram's 64 bytes, kept in the kv table."""
        key = payload_key(payload)
        now = self.clock.now()

        def keep(session: Session) -> None:
            if session.get(KeyValue, key) is None:
                session.add(KeyValue(key=key, value=payload, expires_at=None, updated_at=now))

        await self.db.run(keep)
        return LONG_PAYLOAD + key.removeprefix("tg:cb:")

    async def _inline(self, buttons: tuple[Button, ...]) -> InlineJson | None:
        """The inline keyboard as the JSON InlineKeyboardMarkup(...).to_dict() gives.

        Built as plain dicts: PTB sends a dict as it is, and making then serialising one
        InlineKeyboardButton per button cost more CPU than the rest of a send.
        """
        if not buttons:
            return None
        rows = []
        for row in layout(list(buttons)):
            cells = []
            for b in row:
                # Most payloads fit as they are: only a long one costs an await (and a database write).
                data = b.payload if _fits(b.payload) else await self._stored_key(b.payload)
                cells.append({"text": b.label, "callback_data": data})
            rows.append(cells)
        return {"inline_keyboard": rows}

    @staticmethod
    def _request_keyboard(message: OutgoingMessage) -> ReplyKeyboardMarkup:
        """The 📍 or 📱 keyboard; the step's other buttons become typed labels the core understands."""
        if message.keyboard == "location":
            first = KeyboardButton(texts.BTN_SEND_LOCATION, request_location=True)
        else:
            first = KeyboardButton(texts.BTN_SHARE_PHONE, request_contact=True)
        rows = [[first]] + [[KeyboardButton(b.label) for b in row] for row in layout(list(message.buttons))]
        return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)

    async def _markup(self, message: OutgoingMessage) -> _MARKUP | None:
        if message.keyboard in ("location", "contact"):
            return self._request_keyboard(message)
        inline = await self._inline(message.buttons)
        if inline is not None:
            return inline
        return ReplyKeyboardRemove() if message.keyboard == "remove" else None

    # ------------------------------------------------------------------ sending

    async def _send(self, message: OutgoingMessage, chat_id: str | None = None) -> str:
        chat = _chat(chat_id or message.chat_id)
        markup = await self._markup(message)
        if message.keyboard == "remove" and message.buttons and message.previous_keyboard in REQUESTS:
            await self._part(message, 0, chat, texts.TG_KEYBOARD_CLOSED, ReplyKeyboardRemove())
        text = message.text
        if message.document:
            sent = await self._send_document(chat, message.document, text, markup)
            if sent is not None:
                return sent
            log.warning("outbox row %s: file %r is gone; text only", message.id, message.document)
            text = f"{text}\n{texts.TG_FILE_UNAVAILABLE}"
        if message.photo:
            sent = await self._send_photo(chat, message.photo, text, markup)
            if sent is not None:
                return sent
            log.warning(
                "outbox row %s: photo %r is not usable on Telegram; text only", message.id, message.photo
            )
            text = f"{text}\n{texts.TG_PHOTO_UNAVAILABLE}"
        pieces = _split(text)
        for i, piece in enumerate(pieces[:-1], start=1):
            await self._part(message, i, chat, piece)
        return await self._send_text(chat, pieces[-1], markup)

    async def _send_text(self, chat: int | str, text: str, markup: _MARKUP | None = None) -> str:
        """sendMessage, as Bot.send_message sends it; the sent message's "chat:id" from the raw answer.

        Bot.send_message parses the answer into a Message (user, chat, entities …), which cost
        more CPU than the rest of the call; only two numbers of it are kept. The request (fields,
        None dropped, errors raised as TelegramError) is PTB's own.
        """
        sent = await self.bot._post("sendMessage", {"chat_id": chat, "text": text, "reply_markup": markup})
        return f"{sent['chat']['id']}:{sent['message_id']}"

    async def _send_photo(self, chat: int | str, photo: str, text: str, markup: _MARKUP | None) -> str | None:
        """Send a photo by file id (or URL); None when Telegram cannot use the reference."""
        if not (_FILE_REF.match(photo) or photo.startswith(("http://", "https://"))):
            return None  # a local path or another channel's reference
        fits = len(text) <= CAPTION_MAX
        caption, photo_markup = (text, markup) if fits else (None, None)
        try:
            try:
                sent = await self.bot.send_photo(
                    chat, photo, caption=caption, reply_markup=_ptb(photo_markup)
                )
            except BadRequest as exc:
                if "type of file mismatch" not in str(exc).lower():
                    raise
                # A picture the resident sent "as a file" has a document file id.
                sent = await self.bot.send_document(
                    chat, photo, caption=caption, reply_markup=_ptb(photo_markup)
                )
        except BadRequest as exc:
            if any(w in str(exc).lower() for w in ("file", "photo", "url", "image", "web page")):
                return None
            raise
        return _remote(sent) if fits else await self._text_after(chat, text, markup)

    async def _text_after(self, chat: int | str, text: str, markup: _MARKUP | None) -> str:
        """A text too long for a caption, sent after its photo or file: the buttons on its last part."""
        pieces = _split(text)
        for piece in pieces[:-1]:
            await self._send_text(chat, piece)
        return await self._send_text(chat, pieces[-1], markup)

    async def _send_document(
        self, chat: int | str, document: str, text: str, markup: _MARKUP | None
    ) -> str | None:
        """Upload a local file (sendDocument) with the text as its caption; None when the file is gone."""
        path = Path(document)
        try:
            body = path.read_bytes()
        except OSError:
            return None
        fits = len(text) <= CAPTION_MAX
        caption, file_markup = (text, markup) if fits else (None, None)
        sent = await self.bot.send_document(
            chat, body, filename=path.name, caption=caption, reply_markup=_ptb(file_markup)
        )
        return _remote(sent) if fits else await self._text_after(chat, text, markup)

    async def _edit(self, message: OutgoingMessage) -> str:
        """Edit a card in place; post it anew when the original is gone or never arrived."""
        chat_id, _, message_id = (message.edit_remote_id or "").partition(":")
        if not message_id.isdigit():
            return await self._send(message)
        inline = await self._inline(message.buttons)  # None removes the old buttons
        try:
            await self.bot.edit_message_text(
                message.text[:TEXT_MAX],
                chat_id=_chat(chat_id),
                message_id=int(message_id),
                reply_markup=cast("InlineKeyboardMarkup | None", inline),  # its JSON, see _ptb
            )
        except BadRequest as exc:
            reason = str(exc).lower()
            if "not modified" in reason:
                return message.edit_remote_id or ""
            gone = ("message to edit not found", "can't be edited", "no text in the message")
            if any(g in reason for g in gone):
                return await self._send(message)
            raise
        return message.edit_remote_id or ""
