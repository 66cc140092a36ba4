"""Outbox delivery on WeChat: customer-service messages in the 48-hour window, else a template."""

from __future__ import annotations

import asyncio
import logging
import re
from dataclasses import dataclass, field

import requests
from sqlalchemy import select
from sqlalchemy.orm import Session
from wechatpy.exceptions import WeChatClientException

from handlers import texts
from models.tables import Outbox

from ..app import App
from ..delivery import ChannelLimits, Delivery, OutgoingMessage
from .wechat_api import ApiClient
from .wechat_inbound import CHANNEL
from .wechat_limits import LIMITS
from .wechat_render import chunks, media_id, render
from .wechat_store import window_is_open

log = logging.getLogger(__name__)
WINDOW_CLOSED = frozenset({45015, 45047})  # out of the 48-hour window / too many messages in it
RATE_LIMITED = frozenset({45009, 45011})
GONE = frozenset({40003, 40037, 43004, 43019, 43101, 48001})  # bad openid/template, unsubscribed, blocked
TEMPLATE_SLOTS = ("title", "ticket", "content", "remark")
DEFAULT_TEMPLATE_FIELDS = {"title": "first", "ticket": "keyword1", "content": "keyword2", "remark": "remark"}
_TITLE_MAX, _CONTENT_MAX = 60, 200


@dataclass
class WechatTransport:
    """Sends outbox rows to WeChat users; a card update cannot be edited on WeChat and is skipped."""

    app: App
    client: ApiClient
    template_id: str | None = None
    template_fields: dict[str, str] = field(default_factory=lambda: dict(DEFAULT_TEMPLATE_FIELDS))
    channel: str = CHANNEL
    limits: ChannelLimits = LIMITS  # the sender books a slot in these windows before each row

    async def fetch_photo(self, ref: str, most: int) -> bytes | None:
        """The bytes of a photo a user sent: its PicUrl, or a media id through media/get."""

        def fetch() -> bytes | None:
            if ref.startswith("wxmedia:"):
                answer = self.client.call(lambda: self.client.media.download(ref.removeprefix("wxmedia:")))
            elif ref.startswith("https://") or ref.startswith("http://"):
                answer = requests.get(ref, timeout=10)
            else:
                return None
            answer.raise_for_status()
            body = bytes(answer.content)
            return body if len(body) <= most else None

        try:
            return await asyncio.to_thread(fetch)
        except (requests.RequestException, WeChatClientException):
            log.warning("photo %r could not be fetched from WeChat", ref[:40], exc_info=True)
            return None

    async def deliver(self, message: OutgoingMessage) -> Delivery:
        """Customer-service message while the window is open; template for ticket notices otherwise."""
        if message.is_edit:
            # WeChat messages cannot be edited; the next notice tells the new state.
            return Delivery(ok=True, remote_id=message.edit_remote_id)
        is_open, ticket_id = await self.app.db.run(lambda s: self._state(s, message))
        if is_open:
            try:
                await asyncio.to_thread(self.client.call, lambda: self._send_cs(message))
                return Delivery(ok=True, remote_id="cs")
            except WeChatClientException as exc:
                if exc.errcode not in WINDOW_CLOSED:
                    return _failure(exc)
                log.info("service window closed for %s (%s): trying a template", message.chat_id, exc.errcode)
            except requests.RequestException as exc:
                return Delivery(ok=False, error=f"network: {type(exc).__name__}")
        return await self._template(message, ticket_id)

    def _state(self, session: Session, message: OutgoingMessage) -> tuple[bool, int | None]:
        ticket_id = session.scalar(select(Outbox.ticket_id).where(Outbox.id == message.id))
        return window_is_open(session, message.chat_id, self.app.clock.now()), ticket_id

    def _send_cs(self, message: OutgoingMessage) -> None:
        text = render(message.text, message.buttons, message.keyboard, message.photo)
        for part in chunks(text):
            self.client.message.send_text(message.chat_id, part)
        media = media_id(message.photo)
        if media is not None:
            self.client.message.send_image(message.chat_id, media)

    async def _template(self, message: OutgoingMessage, ticket_id: int | None) -> Delivery:
        if not self.template_id:
            return Delivery(ok=False, permanent=True, error="outside the 48-hour window; no template_id")
        if ticket_id is None:
            return Delivery(ok=False, permanent=True, error="outside the 48-hour window; not a ticket notice")
        data = self.template_data(message.text, ticket_id)
        try:
            result = await asyncio.to_thread(
                self.client.call,
                lambda: self.client.message.send_template(message.chat_id, self.template_id, data),
            )
        except WeChatClientException as exc:
            return _failure(exc)
        except requests.RequestException as exc:
            return Delivery(ok=False, error=f"network: {type(exc).__name__}")
        return Delivery(
            ok=True, remote_id=f"tpl:{result.get('msgid', '')}" if isinstance(result, dict) else None
        )

    def template_data(self, text: str, ticket_id: int) -> dict[str, dict[str, str]]:
        """The template's fields: the first line as title, the ticket number, the rest, a remark."""
        lines = [ln.strip() for ln in text.strip().split("\n") if ln.strip()]
        title = lines[0] if lines else ""
        content = re.sub(r"\s+", " ", " ".join(lines[1:]) or title)
        values = {
            "title": title[:_TITLE_MAX],
            "ticket": f"#{ticket_id}",
            "content": content[:_CONTENT_MAX],
            "remark": texts.WX_TEMPLATE_REMARK.format(id=ticket_id),
        }
        return {self.template_fields[slot]: {"value": values[slot]} for slot in TEMPLATE_SLOTS}


def _failure(exc: WeChatClientException) -> Delivery:
    """How an API error counts: retry later, or never going to work."""
    error = f"wechat errcode {exc.errcode}: {exc.errmsg}"
    if exc.errcode in GONE:
        return Delivery(ok=False, permanent=True, error=error)
    if exc.errcode in RATE_LIMITED:
        return Delivery(ok=False, retry_after=60.0, error=error)
    return Delivery(ok=False, error=error)
