"""A fake Telegram Bot API under PTB: records every call and answers like Telegram does.

`FakeBotApi` is the server (chats, messages, files, webhook, update queue, scripted faults);
`FakeRequest` plugs it under PTB as a `telegram.request.BaseRequest`; `Updates` builds the
update JSON Telegram would send; `serve_http` exposes the same fake over HTTP for the tests
that run `jiesu run` in a subprocess; `Tg` drives the real App + PTB Application for tests.
"""

from __future__ import annotations

import asyncio
import contextlib
import http.server
import itertools
import json
import re
import threading
import time
import urllib.parse
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import httpx
from telegram import Update
from telegram.error import TimedOut
from telegram.request import BaseRequest, RequestData

from bot.app import App
from bot.channels.telegram import SECRET_HEADER, TelegramRuntime, setup
from bot.config import Config, TelegramConfig, load
from bot.web import build_asgi
from models.clock import FakeClock

TOKEN = "7000000001:AAF4k3-t0ken_for-jiesu-tests"
BOT = {
    "id": 7000000001,
    "is_bot": True,
    "first_name": "接诉即办",
    "username": "jiesu_test_bot",
    "can_join_groups": True,
    "can_read_all_group_messages": False,  # group privacy mode on, as BotFather sets it
    "supports_inline_queries": False,
}
SECRET = "s3cret-Webhook_token"
WEBHOOK_URL = "https://bot.example.org/telegram/webhook"
ADMIN_ID = 900001
Json = dict[str, Any]

NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup are "
    "exactly the same as a current content and reply markup of the message"
)
_COMMAND = re.compile(r"^[a-z0-9_]{1,32}$")
_SECRET = re.compile(r"^[A-Za-z0-9_\-]{1,256}$")


@dataclass
class Call:
    """One Bot API request as the fake received it."""

    method: str
    params: Json
    status: int = 200
    at: float = 0.0  # on the fake's clock (the rate limiter's virtual time in Tg)


@dataclass
class Fault:
    """A scripted failure for the next matching calls."""

    method: str
    status: int = 0
    description: str = ""
    retry_after: int | None = None
    times: int = 1
    chat_id: str | None = None
    network: bool = False  # raise a transport error instead of answering
    parameters: Json | None = None  # ResponseParameters, e.g. migrate_to_chat_id


class FakeBotApi:
    """The Bot API's server side, as far as Jiesu uses it; thread-safe."""

    def __init__(self, token: str = TOKEN) -> None:
        self.token = token
        self.calls: list[Call] = []
        self.chats: dict[str, Json] = {}  # chats the bot can write to
        self.blocked: set[str] = set()
        self.messages: dict[tuple[str, int], Json] = {}  # what the bot sent, as it now looks
        self.files: dict[str, str] = {}  # file_id -> 'photo' | 'document' | …
        # Files uploaded in a multipart request: file_id -> (file name, content, MIME type).
        self.uploads: dict[str, tuple[str, bytes, str]] = {}
        self.faults: list[Fault] = []
        self.commands: dict[str, list[Json]] = {}
        self.webhook: Json | None = None
        self.updates: list[Json] = []
        self.acknowledged = 0  # every update id below this was confirmed by an offset
        self.queries: set[str] = set()
        self.answered: dict[str, Json] = {}
        self._message_ids = itertools.count(101)
        self._lock = threading.RLock()
        self.clock: Callable[[], float] = time.monotonic

    # ------------------------------------------------------------------ scripting

    def fail(
        self,
        method: str,
        status: int,
        description: str = "",
        *,
        retry_after: int | None = None,
        times: int = 1,
        chat_id: str | int | None = None,
        parameters: Json | None = None,
    ) -> None:
        """Answer the next `times` calls of method (to chat_id) with an error."""
        chat = None if chat_id is None else str(chat_id)
        self.faults.append(
            Fault(method, status, description, retry_after, times, chat, parameters=parameters)
        )

    def fail_network(self, method: str, times: int = 1) -> None:
        """Make the next calls of method time out before Telegram answers."""
        self.faults.append(Fault(method, times=times, network=True))

    def block(self, user_id: int | str) -> None:
        """The user blocks the bot."""
        self.blocked.add(str(user_id))

    def push(self, update: Json) -> None:
        """Queue an update for getUpdates."""
        with self._lock:
            self.updates.append(update)

    def _next_fault(self, method: str, params: Json) -> Fault | None:
        """The first scripted fault still due for this call (faults fire in the order scripted)."""
        for f in self.faults:
            if f.method == method and f.times > 0 and f.chat_id in (None, str(params.get("chat_id"))):
                return f
        return None

    def _fault(self, method: str, params: Json) -> Fault | None:
        with self._lock:
            f = self._next_fault(method, params)
            if f is None or f.network:
                return None
            f.times -= 1
            return f

    def network_fault(self, method: str, params: Json) -> bool:
        """Consume a scripted network fault for this call, if one is due."""
        with self._lock:
            f = self._next_fault(method, params)
            if f is None or not f.network:
                return False
            f.times -= 1
            self.calls.append(Call(method, params, 0, self.clock()))
            return True

    # ------------------------------------------------------------------ reading

    def of(self, method: str) -> list[Json]:
        """Parameters of every successful call of a method."""
        return [c.params for c in self.calls if c.method == method and c.status == 200]

    def attempts(self, method: str) -> list[Call]:
        """Every call of a method, failed ones included."""
        return [c for c in self.calls if c.method == method]

    def sent(self, chat_id: int | str | None = None) -> list[Json]:
        """Messages the bot sent (text or photo), in order, optionally to one chat."""
        out = [
            c.params
            for c in self.calls
            if c.status == 200 and c.method in ("sendMessage", "sendPhoto", "sendDocument")
        ]
        return [p for p in out if chat_id is None or str(p["chat_id"]) == str(chat_id)]

    def texts(self, chat_id: int | str) -> list[str]:
        """Text (or caption) of every message sent to a chat."""
        return [str(p.get("text", p.get("caption", ""))) for p in self.sent(chat_id)]

    def latest_with_buttons(self, chat_id: int | str) -> Json:
        """The newest message in a chat that currently has an inline keyboard."""
        with self._lock:
            found = [
                m
                for (chat, _), m in self.messages.items()
                if chat == str(chat_id) and m.get("reply_markup", {}).get("inline_keyboard")
            ]
        if not found:
            raise AssertionError(f"no message with buttons in chat {chat_id}")
        return max(found, key=lambda m: int(m["message_id"]))

    def button(self, chat_id: int | str, label: str) -> tuple[Json, str]:
        """(message, callback data) of the button with this label on the chat's newest keyboard."""
        message = self.latest_with_buttons(chat_id)
        for row in message["reply_markup"]["inline_keyboard"]:
            for b in row:
                if b["text"] == label or b["text"].endswith(" " + label):
                    return message, str(b["callback_data"])
        labels = [b["text"] for row in message["reply_markup"]["inline_keyboard"] for b in row]
        raise AssertionError(f"no button {label!r} in chat {chat_id}: {labels}")

    # ------------------------------------------------------------------ answering

    def call(self, method: str, params: Json, token: str | None = None) -> tuple[int, Json]:
        """Answer one request as Telegram would: (HTTP status, JSON body)."""
        with self._lock:
            status, body = self._answer(method, params, token)
            self.calls.append(Call(method, params, status, self.clock()))
            return status, body

    def _answer(self, method: str, params: Json, token: str | None) -> tuple[int, Json]:
        if token is not None and token != self.token:
            return _error(401, "Unauthorized")
        fault = self._fault(method, params)
        if fault is not None and not fault.network:
            extra = fault.parameters or ({"retry_after": fault.retry_after} if fault.retry_after else None)
            description = fault.description or (
                f"Too Many Requests: retry after {fault.retry_after}"
                if fault.status == 429
                else "Bad Gateway"
            )
            return _error(fault.status, description, extra)
        handler = getattr(self, "_" + method, None)
        if handler is None:
            return _error(404, "Not Found")
        return handler(params)

    def _getMe(self, params: Json) -> tuple[int, Json]:
        return _ok(BOT)

    def _setMyCommands(self, params: Json) -> tuple[int, Json]:
        commands = params.get("commands") or []
        for c in commands:
            if not _COMMAND.match(c.get("command", "")) or not 1 <= len(c.get("description", "")) <= 256:
                return _error(400, "Bad Request: BOT_COMMAND_INVALID")
        scope = params.get("scope") or {"type": "default"}
        key = scope["type"] + (f":{scope['chat_id']}" if "chat_id" in scope else "")
        if "chat_id" in scope and str(scope["chat_id"]) not in self.chats:
            return _error(400, "Bad Request: chat not found")
        self.commands[key] = commands
        return _ok(True)

    def _setWebhook(self, params: Json) -> tuple[int, Json]:
        secret = params.get("secret_token")
        if secret is not None and not _SECRET.match(secret):
            return _error(400, "Bad Request: secret token contains unallowed characters")
        self.webhook = params
        return _ok(True)

    def _deleteWebhook(self, params: Json) -> tuple[int, Json]:
        self.webhook = None
        return _ok(True)

    def pending_updates(self, offset: int | None) -> list[Json]:
        """Updates at or after offset; an offset confirms everything before it."""
        with self._lock:
            if offset:
                self.acknowledged = max(self.acknowledged, int(offset))
                self.updates = [u for u in self.updates if u["update_id"] >= self.acknowledged]
            return list(self.updates)

    def _getUpdates(self, params: Json) -> tuple[int, Json]:
        if self.webhook is not None:
            return _error(
                409, "Conflict: can't use getUpdates method while webhook is active; use deleteWebhook first"
            )
        return _ok(self.pending_updates(params.get("offset"))[: int(params.get("limit", 100))])

    def _chat_of(self, params: Json) -> tuple[Json | None, tuple[int, Json] | None]:
        chat_id = str(params.get("chat_id"))
        if chat_id in self.blocked:
            return None, _error(403, "Forbidden: bot was blocked by the user")
        chat = self.chats.get(chat_id)
        if chat is None:
            if chat_id.lstrip("-").isdigit() and not chat_id.startswith("-"):
                return None, _error(403, "Forbidden: bot can't initiate conversation with a user")
            return None, _error(400, "Bad Request: chat not found")
        return chat, None

    def _check_markup(self, params: Json) -> tuple[int, Json] | None:
        markup = params.get("reply_markup") or {}
        for row in markup.get("inline_keyboard", []):
            for b in row:
                if not b.get("text"):
                    return _error(400, "Bad Request: text buttons are unallowed in the inline keyboard")
                if len(str(b.get("callback_data", "")).encode()) > 64:
                    return _error(400, "Bad Request: BUTTON_DATA_INVALID")
        return None

    def _store(self, chat: Json, content: Json, params: Json) -> tuple[int, Json]:
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": {k: BOT[k] for k in ("id", "is_bot", "first_name", "username")},
            **content,
        }
        markup = params.get("reply_markup") or {}
        if "inline_keyboard" in markup:
            message["reply_markup"] = markup
        self.messages[(str(chat["id"]), message["message_id"])] = message
        return _ok(message)

    def _sendMessage(self, params: Json) -> tuple[int, Json]:
        chat, error = self._chat_of(params)
        if error is not None:
            return error
        assert chat is not None
        text = str(params.get("text", ""))
        if not text.strip():
            return _error(400, "Bad Request: message text is empty")
        if len(text) > 4096:
            return _error(400, "Bad Request: message is too long")
        return self._check_markup(params) or self._store(chat, {"text": text}, params)

    def _send_file(self, params: Json, kind: str) -> tuple[int, Json]:
        chat, error = self._chat_of(params)
        if error is not None:
            return error
        assert chat is not None
        ref = str(params.get(kind, ""))
        known = self.files.get(ref)
        if known is None and not ref.startswith(("http://", "https://")):
            return _error(400, "Bad Request: wrong file identifier/HTTP URL specified")
        if known is not None and known != kind:
            return _error(400, "Bad Request: type of file mismatch")
        if len(str(params.get("caption", ""))) > 1024:
            return _error(400, "Bad Request: message caption is too long")
        content: Json = {"caption": params["caption"]} if params.get("caption") else {}
        if kind == "photo":
            content["photo"] = [{"file_id": ref, "file_unique_id": ref[-8:], "width": 1280, "height": 960}]
        else:
            content["document"] = {"file_id": ref, "file_unique_id": ref[-8:]}
        return self._check_markup(params) or self._store(chat, content, params)

    def _sendPhoto(self, params: Json) -> tuple[int, Json]:
        return self._send_file(params, "photo")

    def _sendDocument(self, params: Json) -> tuple[int, Json]:
        return self._send_file(params, "document")

    def _editMessageText(self, params: Json) -> tuple[int, Json]:
        _, error = self._chat_of(params)
        if error is not None:
            return error
        key = (str(params.get("chat_id")), int(params.get("message_id", 0)))
        message = self.messages.get(key)
        if message is None:
            return _error(400, "Bad Request: message to edit not found")
        if "text" not in message:
            return _error(400, "Bad Request: there is no text in the message to edit")
        markup = params.get("reply_markup")
        if message["text"] == params.get("text") and message.get("reply_markup") == markup:
            return _error(400, NOT_MODIFIED)
        bad = self._check_markup(params)
        if bad:
            return bad
        message = {**message, "text": params.get("text"), "edit_date": int(time.time())}
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = markup
        else:
            message.pop("reply_markup", None)  # no reply_markup: the buttons go
        self.messages[key] = message
        return _ok(message)

    def _answerCallbackQuery(self, params: Json) -> tuple[int, Json]:
        query_id = str(params.get("callback_query_id"))
        if query_id not in self.queries or query_id in self.answered:
            return _error(
                400, "Bad Request: query is too old and response timeout expired or query ID is invalid"
            )
        self.answered[query_id] = params
        return _ok(True)

    def _deleteMessage(self, params: Json) -> tuple[int, Json]:
        self.messages.pop((str(params.get("chat_id")), int(params.get("message_id", 0))), None)
        return _ok(True)


def _ok(result: Any) -> tuple[int, Json]:
    return 200, {"ok": True, "result": result}


def _error(status: int, description: str, parameters: Json | None = None) -> tuple[int, Json]:
    body: Json = {"ok": False, "error_code": status, "description": description}
    if parameters:
        body["parameters"] = parameters
    return status, body


def _split_url(url: str) -> tuple[str, str]:
    """(token, method) from …/bot<token>/<method>."""
    path = urllib.parse.urlsplit(url).path
    head, _, method = path.rpartition("/")
    return head.rpartition("/bot")[2], method


class FakeRequest(BaseRequest):
    """PTB's network layer, answered in-process by a FakeBotApi."""

    def __init__(self, api: FakeBotApi, poll_step: float = 0.005) -> None:
        self.api = api
        self.poll_step = poll_step

    @property
    def read_timeout(self) -> float | None:
        """Default read timeout (seconds)."""
        return 5.0

    async def initialize(self) -> None:
        """Nothing to open."""

    async def shutdown(self) -> None:
        """Nothing to close."""

    async def do_request(
        self,
        url: str,
        method: str,
        request_data: RequestData | None = None,
        read_timeout: Any = None,
        write_timeout: Any = None,
        connect_timeout: Any = None,
        pool_timeout: Any = None,
    ) -> tuple[int, bytes]:
        """Answer like Telegram; getUpdates waits (long polling) while nothing is queued."""
        token, name = _split_url(url)
        params: Json = dict(request_data.parameters) if request_data else {}
        if self.api.network_fault(name, params):
            raise TimedOut("Timed out (fake)")
        if request_data is not None and request_data.contains_files:
            # multipart/form-data: each uploaded file becomes a file id of its field's kind.
            for field_name, (filename, content, mime) in request_data.multipart_data.items():
                body = content if isinstance(content, bytes) else content.read()
                file_id = f"upload-{len(self.api.uploads) + 1:04d}-{field_name}-0000000000"
                self.api.files[file_id] = field_name
                self.api.uploads[file_id] = (filename or "", body, mime)
                params[field_name] = file_id
        if name == "getUpdates" and self.api.webhook is None and token == self.api.token:
            deadline = time.monotonic() + float(params.get("timeout") or 0)
            while not self.api.pending_updates(params.get("offset")) and time.monotonic() < deadline:
                await asyncio.sleep(self.poll_step)
        status, body = self.api.call(name, params, token)
        return status, json.dumps(body).encode()


# ---------------------------------------------------------------------- updates


class Updates:
    """Builds the update JSON Telegram sends, and registers chats and files with the fake."""

    def __init__(self, api: FakeBotApi, first_update_id: int = 500_000) -> None:
        self.api = api
        self._update_ids = itertools.count(first_update_id)
        self._message_ids = itertools.count(1)
        self._files = itertools.count(1)
        self.users: dict[int, Json] = {}

    def user(
        self, user_id: int, first_name: str, last_name: str | None = None, username: str | None = None
    ) -> Json:
        """A Telegram user who has opened a private chat with the bot."""
        user: Json = {"id": user_id, "is_bot": False, "first_name": first_name, "language_code": "zh-hans"}
        if last_name:
            user["last_name"] = last_name
        if username:
            user["username"] = username
        self.users[user_id] = user
        self.api.chats[str(user_id)] = {"id": user_id, "type": "private", "first_name": first_name}
        return user

    def group(self, chat_id: int, title: str, kind: str = "group") -> Json:
        """A group chat the bot is a member of."""
        chat = {"id": chat_id, "type": kind, "title": title}
        self.api.chats[str(chat_id)] = chat
        return chat

    def file_id(self, kind: str = "photo") -> str:
        """A new file id of that kind, as Telegram would issue it for an upload."""
        prefix = {"photo": "AgACAgUAAxkBAAI", "document": "BQACAgUAAxkBAAI"}.get(kind, "CAACAgUAAxkBAAI")
        ref = f"{prefix}{next(self._files):06d}x{kind[:3]}Q"
        self.api.files[ref] = kind
        return ref

    def next_id(self) -> int:
        """The next update id."""
        return next(self._update_ids)

    def _message(self, user: Json, chat: Json | None, **content: Any) -> Json:
        chat = chat or {"id": user["id"], "type": "private", "first_name": user["first_name"]}
        message = {
            "message_id": next(self._message_ids),
            "date": int(time.time()),
            "chat": chat,
            "from": user,
            **content,
        }
        return {"update_id": self.next_id(), "message": message}

    def text(self, user: Json, text: str, chat: Json | None = None) -> Json:
        """A text message (commands too: entities are added for a leading /command)."""
        content: Json = {"text": text}
        if text.startswith("/"):
            content["entities"] = [{"type": "bot_command", "offset": 0, "length": len(text.split()[0])}]
        return self._message(user, chat, **content)

    def photo(self, user: Json, caption: str | None = None, chat: Json | None = None) -> tuple[Json, str]:
        """A photo in three sizes; returns the update and the largest size's file id."""
        sizes = [self.file_id("photo") for _ in range(3)]
        content: Json = {
            "photo": [
                {"file_id": ref, "file_unique_id": ref[-8:], "width": w, "height": w * 3 // 4}
                for ref, w in zip(sizes, (90, 320, 1280), strict=True)
            ]
        }
        if caption:
            content["caption"] = caption
        return self._message(user, chat, **content), sizes[-1]

    def document(self, user: Json, mime: str, name: str = "file.bin") -> tuple[Json, str]:
        """A file sent as a document."""
        ref = self.file_id("document")
        doc = {"file_id": ref, "file_unique_id": ref[-8:], "file_name": name, "mime_type": mime}
        return self._message(user, None, document=doc), ref

    def location(self, user: Json, lat: float, lon: float) -> Json:
        """The location the user picked (📍 发送位置)."""
        return self._message(user, None, location={"latitude": lat, "longitude": lon})

    def venue(self, user: Json, lat: float, lon: float, title: str, address: str) -> Json:
        """A venue (a named place picked from the map)."""
        loc = {"latitude": lat, "longitude": lon}
        venue = {"location": loc, "title": title, "address": address}
        return self._message(user, None, location=loc, venue=venue)

    def contact(self, user: Json, phone: str, owner: Json | None = None) -> Json:
        """A shared contact: the user's own (📱 分享手机号) unless owner says otherwise."""
        owner = owner or user
        contact = {"phone_number": phone, "first_name": owner["first_name"], "user_id": owner["id"]}
        return self._message(user, None, contact=contact)

    def sticker(self, user: Json) -> Json:
        """A sticker."""
        ref = self.file_id("sticker")
        sticker = {
            "file_id": ref,
            "file_unique_id": ref[-8:],
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
        }
        return self._message(user, None, sticker=sticker)

    def service(self, user: Json, chat: Json, **content: Any) -> Json:
        """A service message in a group (members joining, migration …)."""
        return self._message(user, chat, **content)

    def callback(self, user: Json, message: Json, data: str) -> Json:
        """A tap on an inline button of a message the bot sent."""
        query_id = f"q{self.next_id()}"
        self.api.queries.add(query_id)
        query = {
            "id": query_id,
            "from": user,
            "chat_instance": f"ci{message['chat']['id']}",
            "message": message,
            "data": data,
        }
        return {"update_id": self.next_id(), "callback_query": query}


# ---------------------------------------------------------------------- HTTP


def _form_value(name: str, value: str) -> Any:
    if name in ("reply_markup", "commands", "scope", "allowed_updates", "entities"):
        return json.loads(value)
    if name in ("offset", "timeout", "limit", "message_id") or (
        name == "chat_id" and value.lstrip("-").isdigit()
    ):
        return int(value)
    if value in ("true", "false") and name in ("show_alert", "drop_pending_updates", "resize_keyboard"):
        return value == "true"
    return value


class _Handler(http.server.BaseHTTPRequestHandler):
    api: FakeBotApi

    def do_POST(self) -> None:
        length = int(self.headers.get("Content-Length") or 0)
        raw = self.rfile.read(length).decode()
        if self.headers.get("Content-Type", "").startswith("application/json"):
            params: Json = json.loads(raw or "{}")
        else:
            params = {k: _form_value(k, v) for k, v in urllib.parse.parse_qsl(raw)}
        token, name = _split_url(self.path)
        if self.api.network_fault(name, params):
            time.sleep(0.05)
            self.send_response(504)
            self.end_headers()
            return
        if name == "getUpdates" and self.api.webhook is None and token == self.api.token:
            deadline = time.monotonic() + min(float(params.get("timeout") or 0), 2.0)
            while not self.api.pending_updates(params.get("offset")) and time.monotonic() < deadline:
                time.sleep(0.01)
        status, body = self.api.call(name, params, token)
        payload = json.dumps(body).encode()
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):  # the client gave up a long poll
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(payload)))
            self.end_headers()
            self.wfile.write(payload)

    do_GET = do_POST

    def log_message(self, format: str, *args: Any) -> None:
        """Quiet."""


@contextlib.contextmanager
def serve_http(api: FakeBotApi) -> Iterator[str]:
    """Serve the fake on a free local port; yields the base_url to configure."""
    handler = type("Handler", (_Handler,), {"api": api})
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{server.server_address[1]}"
    finally:
        server.shutdown()
        server.server_close()
        thread.join()


# ---------------------------------------------------------------------- driver


class VirtualTime:
    """The rate limiter's clock in tests: sleeping moves it forward at once."""

    def __init__(self) -> None:
        self.t = 1000.0
        self.slept: list[float] = []

    def now(self) -> float:
        """Seconds on the virtual clock."""
        return self.t

    async def sleep(self, seconds: float) -> None:
        """Advance instead of waiting."""
        self.slept.append(seconds)
        self.t += seconds


def telegram_config(db_url: str, *, webhook: bool = True, admins: tuple[int, ...] = (ADMIN_ID,)) -> Config:
    """The demo config with a Telegram section, as a subdistrict would write it."""
    config = load(None, env={})
    config.database_url = db_url
    config.telegram = TelegramConfig(
        token=TOKEN,
        webhook_url=WEBHOOK_URL if webhook else None,
        secret_token=SECRET if webhook else None,
        admins=list(admins),
    )
    return config


@dataclass
class Tg:
    """The real App and Telegram channel on one database, with Telegram faked under PTB."""

    app: App
    runtime: TelegramRuntime
    api: FakeBotApi
    u: Updates
    clock: FakeClock
    vt: VirtualTime

    @classmethod
    async def create(
        cls,
        db_url: str,
        *,
        api: FakeBotApi | None = None,
        updates: Updates | None = None,
        config: Config | None = None,
        start: bool = True,
    ) -> Tg:
        """Start the app (migrate, seed, admins) and the channel against the fake."""
        api = api or FakeBotApi()
        config = config or telegram_config(db_url)
        clock = FakeClock()
        app = App(config, clock=clock)
        await app.start()
        vt = VirtualTime()
        api.clock = vt.now
        app.sender.wall, app.sender.sleep = vt.now, vt.sleep  # the limits run on virtual time
        runtime = setup(app, config, request=FakeRequest(api))
        tg = cls(app, runtime, api, updates or Updates(api), clock, vt)
        if start:
            await runtime.start()
        return tg

    async def send(self, *updates: Json) -> None:
        """Hand updates to the PTB Application one by one, then deliver the outbox."""
        for update in updates:
            await self.runtime.process(Update.de_json(update, self.runtime.application.bot))
        await self.app.sender.flush()

    async def post(self, update: Json, secret: str | None = SECRET) -> httpx.Response:
        """POST an update to the webhook endpoint over ASGI, as Telegram would."""
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        transport = httpx.ASGITransport(app=build_asgi(self.runtime.routes()))
        async with httpx.AsyncClient(transport=transport, base_url="https://bot.example.org") as client:
            return await client.post(self.runtime.webhook_path, json=update, headers=headers)

    async def tap(self, user: Json, chat_id: int | str, label: str) -> None:
        """The user taps the button with this label on the chat's newest keyboard."""
        message, data = self.api.button(chat_id, label)
        await self.send(self.u.callback(user, message, data))

    async def advance(self, seconds: float) -> None:
        """Let time pass on both clocks, then deliver what became due."""
        self.clock.advance(timedelta(seconds=seconds))
        self.vt.t += seconds
        await self.app.sender.flush()

    def query(self, fn: Any) -> Any:
        """Read the database in its own transaction."""
        return self.app.db.run_sync(fn)

    async def close(self) -> None:
        """Stop the channel, release its clients and the database."""
        await self.runtime.stop()
        await self.runtime.close()
        self.app.close()


# ---------------------------------------------------------------------- people


@dataclass
class Cast:
    """The people and the group of the Telegram tests."""

    admin: Json
    r1: Json
    w1: Json
    w2: Json
    group: Json


NEAR_GRID = (29.3451, 120.0752)  # a few metres from 四季社区 第一网格
DESCRIPTION = "春晗路12号门口人行道沉降破损约2平方米"
GROUP_ID = -1001234567890


def cast(u: Updates) -> Cast:
    """Register the admin, a resident, two workers and the grid's supergroup with the fake."""
    return Cast(
        admin=u.user(ADMIN_ID, "街道", "管理员", "beiyuan_admin"),
        r1=u.user(1001, "李", "阿姨", "li_ayi"),
        w1=u.user(2001, "王", "五", "wangwu"),
        w2=u.user(2002, "赵", "六", "zhaoliu"),
        group=u.group(GROUP_ID, "四季社区第一网格", "supergroup"),
    )


async def setup_grid(tg: Tg) -> Cast:
    """The admin binds the group to siji-1 and makes w1 and w2 its workers, with real commands."""
    c = cast(tg.u)
    await tg.send(tg.u.text(c.w1, "/start"), tg.u.text(c.w2, "/start"), tg.u.text(c.admin, "/start"))
    await tg.send(tg.u.text(c.admin, "/bind@jiesu_test_bot siji-1", chat=c.group))
    await tg.send(
        tg.u.text(c.admin, "/grant @wangwu worker siji-1"),
        tg.u.text(c.admin, "/grant @zhaoliu worker siji-1"),
    )
    return c


async def report(tg: Tg, who: Json, *, photo: bool = False) -> int:
    """File a ticket through the Telegram wizard (location and own contact); return its number."""
    u, chat = tg.u, who["id"]
    await tg.send(u.text(who, "/report"))
    await tg.tap(who, chat, "大城管")
    await tg.tap(who, chat, "道路破损")
    await tg.send(u.text(who, DESCRIPTION))
    if photo:
        await tg.send(u.photo(who)[0])
    else:
        await tg.tap(who, chat, "跳过")
    await tg.send(u.location(who, *NEAR_GRID))
    await tg.send(u.contact(who, "8613800138000"))
    await tg.tap(who, chat, "确认提交")
    receipt = tg.api.texts(chat)[-1]
    assert receipt.startswith("已受理！工单编号 #"), receipt
    return int(receipt.split("#")[1].split("。")[0])
