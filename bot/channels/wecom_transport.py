"""Outbox delivery on 企业微信: app messages to members, template cards to the grids' card chats."""

from __future__ import annotations

import asyncio
import logging
from dataclasses import dataclass
from typing import Any

import requests
from wechatpy.exceptions import WeChatClientException

from handlers import texts
from models.messages import Button

from ..app import App
from ..delivery import ChannelLimits, Delivery, OutgoingMessage
from .wechat_render import chunks, render
from .wecom_api import WecomClient
from .wecom_inbound import CHANNEL, MEDIA_PREFIX
from .wecom_limits import LIMITS
from .wecom_store import code_of, is_card_chat, keep_code, members, spend_code

log = logging.getLogger(__name__)
RATE_LIMITED = frozenset({45009, 45033})  # API frequency / concurrency over the limit
GONE = frozenset({40003, 60111, 81013, 82001})  # no such userid, or no valid recipient at all
CODE_SPENT = frozenset({40058, 40082, 41002, 45035})  # the card's code is used, expired or malformed
TITLE_MAX, SUB_MAX, BUTTONS_MAX = 36, 112, 6
CLOSED_KEY = "jiesu:closed"  # the key of a finished card's greyed button: taps on it are refused


def card(text: str, buttons: tuple[Button, ...], task_id: str) -> dict[str, Any]:
    """A button_interaction template card: first line as title, the rest below, buttons by payload."""
    lines = [ln.strip() for ln in text.strip().split("\n") if ln.strip()]
    title = lines[0] if lines else ""
    rest = "\n".join(lines[1:])
    more = rest[SUB_MAX:]
    button_list = [{"text": b.label[:10], "style": 1, "key": b.payload} for b in buttons[:BUTTONS_MAX]]
    if not button_list:
        button_list = [{"text": texts.WECOM_CARD_DONE, "style": 2, "key": CLOSED_KEY}]
    body: dict[str, Any] = {
        "card_type": "button_interaction",
        "main_title": {"title": title[:TITLE_MAX]},
        "sub_title_text": rest[:SUB_MAX],
        "task_id": task_id,
        "button_list": button_list,
    }
    if more:  # WeCom shows about 112 characters of sub-title; the rest goes in the quote area
        body["quote_area"] = {"type": 0, "quote_text": more}
    return body


@dataclass
class WecomTransport:
    """Sends outbox rows through the app: text to one member, cards to all of a grid's members."""

    app: App
    client: WecomClient
    channel: str = CHANNEL
    limits: ChannelLimits = LIMITS  # the sender books a slot in these windows before each row

    async def deliver(self, message: OutgoingMessage) -> Delivery:
        """One row: a card (new, updated, or reposted when its code is spent and it has a button to
        tap), or a member's text."""
        try:
            if is_card_chat(message.chat_id):
                return await self._card(message)
            if message.is_edit:  # a private message cannot be edited; the next notice tells the state
                return Delivery(ok=True, remote_id=message.edit_remote_id)
            return await self._private(message)
        except WeChatClientException as exc:
            return _failure(exc)
        except requests.RequestException as exc:
            return Delivery(ok=False, error=f"network: {type(exc).__name__}")

    def _call(self, fn: Any) -> Any:
        return asyncio.to_thread(self.client.call, fn)

    async def _card(self, message: OutgoingMessage) -> Delivery:
        to = await self.app.db.run(lambda s: members(s, message.chat_id))
        if not to:
            return Delivery(ok=False, permanent=True, attempted=False, error="no WeCom worker sees this area")
        if not message.buttons and not message.is_edit:  # a notice to the grid (escalation …): text
            return await self._parts(message, "|".join(to), message.text) or Delivery(
                ok=True, remote_id="msg"
            )
        body = card(message.text, message.buttons, f"jiesu-{message.id}")
        now = self.app.clock.now()
        if message.is_edit and message.edit_remote_id:
            first = message.edit_remote_id
            code = await self.app.db.run(lambda s: code_of(s, first, now))
            if code is not None:
                try:
                    await self._call(lambda: self.client.update_card(code, body))
                except WeChatClientException as exc:
                    if exc.errcode not in CODE_SPENT:
                        raise
                    log.info("card code of %s no longer good (%s): reposting", first, exc.errcode)
                else:
                    await self.app.db.run(lambda s: spend_code(s, first, now))
                    return Delivery(ok=True, remote_id=first)
            if not message.buttons:  # nothing to do on it: the members' next notice tells the state
                return Delivery(ok=True, remote_id=first, attempted=False)
        result = await self._call(
            lambda: self.client.send("|".join(to), {"msgtype": "template_card", "template_card": body})
        )
        _partial(message, result)
        remote = (
            message.edit_remote_id if message.is_edit else str(result.get("msgid") or f"row-{message.id}")
        )
        code = str(result.get("response_code") or "")
        if code and remote:
            await self.app.db.run(lambda s: keep_code(s, remote, code, now))
        return Delivery(ok=True, remote_id=remote)

    async def _parts(self, message: OutgoingMessage, touser: str, text: str) -> Delivery | None:
        """Send a text in parts of at most 2000 bytes, skipping those an earlier attempt sent."""
        for i, part in enumerate(chunks(text)[message.parts_done :], message.parts_done):
            try:
                result = await self._call(lambda p=part: self.client.send(touser, _text(p)))
            except WeChatClientException as exc:
                failed = _failure(exc)
                return Delivery(
                    ok=False,
                    retry_after=failed.retry_after,
                    permanent=failed.permanent,
                    error=failed.error,
                    parts_done=i,
                )
            _partial(message, result)
        return None

    async def _private(self, message: OutgoingMessage) -> Delivery:
        photo = message.photo
        media = photo.removeprefix(MEDIA_PREFIX) if photo and photo.startswith(MEDIA_PREFIX) else None
        text = render(message.text, message.buttons, message.keyboard, None if media else photo)
        failed = await self._parts(message, message.chat_id, text)
        if failed is not None:
            return failed
        sent = len(chunks(text))  # a photo or file that fails after the text: the text is not resent
        try:
            if media is not None:
                image = {"msgtype": "image", "image": {"media_id": media}}
                await self._call(lambda: self.client.send(message.chat_id, image))
            if message.document:
                path = message.document
                media_id = await self._call(lambda: self.client.upload_file(path))
                file = {"msgtype": "file", "file": {"media_id": media_id}}
                await self._call(lambda: self.client.send(message.chat_id, file))
        except WeChatClientException as exc:
            failed = _failure(exc)
            return Delivery(
                ok=False,
                retry_after=failed.retry_after,
                permanent=failed.permanent,
                error=failed.error,
                parts_done=sent,
            )
        return Delivery(ok=True, remote_id="msg")


def _text(content: str) -> dict[str, Any]:
    return {"msgtype": "text", "text": {"content": content}}


def _partial(message: OutgoingMessage, result: dict[str, Any]) -> None:
    """WeCom sends to the valid recipients and names the others: log them, do not resend."""
    invalid = result.get("invaliduser")
    if invalid:
        log.warning(
            "WeCom row %s: not delivered to %s (not in the app's visible range?)", message.id, invalid
        )


def _failure(exc: WeChatClientException) -> Delivery:
    """How an API error counts: retry later, wait for the window, or never going to work."""
    error = f"wecom errcode {exc.errcode}: {exc.errmsg}"
    if exc.errcode in GONE:
        return Delivery(ok=False, permanent=True, error=error)
    if exc.errcode in RATE_LIMITED:
        return Delivery(ok=False, retry_after=60.0, error=error)
    return Delivery(ok=False, error=error)
