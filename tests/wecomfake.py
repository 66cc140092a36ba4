"""A fake 企业微信 for tests: the qyapi server wechatpy talks to, and the callback side that encrypts.

The fake API is a real HTTP server on 127.0.0.1 (a thread), reached through `[wecom] api_base_url`
as production reaches qyapi.weixin.qq.com. Callbacks go the other way, encrypted and signed
(msg_signature) as WeCom does, into the ASGI app over httpx.ASGITransport.
"""

from __future__ import annotations

import base64
import hashlib
import io
import itertools
import json
import random
import secrets
import threading
from dataclasses import dataclass, field
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
from wechatpy.enterprise.crypto import PrpCrypto

from bot.app import App
from bot.channels.console import ConsoleTransport
from bot.channels.wecom import WecomChannel, setup
from bot.config import WecomConfig, load
from bot.web import build_asgi
from models.clock import FakeClock

from .tgfake import VirtualTime

CORP_ID = "ww0123456789abcdef"
SECRET = "test-wecom-secret"
AGENT_ID = 1000002
TOKEN = "jiesu-wecom-token"
AES_KEY = base64.b64encode(bytes(range(1, 33))).decode().rstrip("=")  # 43 characters


def sign(*parts: str) -> str:
    """WeCom's msg_signature, computed here independently of the code under test."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


def _key() -> bytes:
    return base64.b64decode(AES_KEY + "=")


class FakeWeComAPI:
    """Issues tokens, records app messages and card updates, and fails on request."""

    def __init__(self) -> None:
        self.token_requests = 0
        self.tokens: set[str] = set()
        self.sent: list[dict[str, Any]] = []  # bodies of message/send that WeCom accepted
        self.updates: list[dict[str, Any]] = []  # bodies of message/update_template_card accepted
        self.uploads = 0
        self.codes: set[str] = set()  # response codes not yet used
        self.fail_next: list[int] = []  # errcodes to answer the next calls with, in order
        self.chaos = 0.0  # probability of a random 45009 or token expiry on each call
        self.rng = random.Random(21)
        self.refusals: dict[int, int] = {}  # errcode -> times answered
        self.invalid_users: set[str] = set()
        self.lock = threading.Lock()
        self._numbers = itertools.count(1)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        """What goes into [wecom] api_base_url."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/"

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def texts_to(self, user: str) -> list[str]:
        """Text messages a member received."""
        return [
            m["text"]["content"]
            for m in self.sent
            if m.get("msgtype") == "text" and user in m["touser"].split("|")
        ]

    def cards_to(self, user: str) -> list[dict[str, Any]]:
        """Template cards a member received."""
        return [
            m["template_card"]
            for m in self.sent
            if m.get("msgtype") == "template_card" and user in m["touser"].split("|")
        ]

    def _token(self, query: dict[str, list[str]]) -> dict[str, Any]:
        if query.get("corpid") != [CORP_ID] or query.get("corpsecret") != [SECRET]:
            return {"errcode": 40001, "errmsg": "invalid credential"}
        with self.lock:
            self.token_requests += 1
            token = f"WWTOKEN-{next(self._numbers)}"
            self.tokens.add(token)
        return {"errcode": 0, "access_token": token, "expires_in": 7200}

    def _refuse(self, code: int) -> dict[str, Any]:
        self.refusals[code] = self.refusals.get(code, 0) + 1
        if code == 42001:
            self.tokens.clear()
        return {"errcode": code, "errmsg": "refused by the fake"}

    def _post(self, path: str, query: dict[str, list[str]], body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if query.get("access_token", [""])[0] not in self.tokens:
                return self._refuse(42001 if self.tokens else 40014)
            if self.fail_next:
                return self._refuse(self.fail_next.pop(0))
            if self.chaos and self.rng.random() < self.chaos:
                return self._refuse(self.rng.choice((45009, 42001)))
            if path.endswith("/message/send"):
                if body.get("agentid") != AGENT_ID:
                    return {"errcode": 40056, "errmsg": "invalid agentid"}
                users = [u for u in str(body.get("touser", "")).split("|") if u]
                bad = [u for u in users if u in self.invalid_users]
                if users and len(bad) == len(users):
                    return self._refuse(81013)
                self.sent.append(body)
                answer: dict[str, Any] = {"errcode": 0, "errmsg": "ok", "msgid": f"msg{next(self._numbers)}"}
                if bad:
                    answer["invaliduser"] = "|".join(bad)
                if body.get("msgtype") == "template_card":
                    code = f"code{next(self._numbers)}"
                    self.codes.add(code)
                    answer["response_code"] = code
                return answer
            if path.endswith("/message/update_template_card"):
                code = body.get("response_code", "")
                if code not in self.codes:
                    return self._refuse(40058)
                self.codes.discard(code)
                self.updates.append(body)
                return {"errcode": 0, "errmsg": "ok"}
        return {"errcode": 40066, "errmsg": "invalid url"}

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def _answer(self, payload: dict[str, Any]) -> None:
                data = json.dumps(payload).encode()
                self.send_response(200)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_GET(self) -> None:
                url = urlparse(self.path)
                if url.path.endswith("/gettoken"):
                    self._answer(fake._token(parse_qs(url.query)))
                else:
                    self._answer({"errcode": 40066, "errmsg": "invalid url"})

            def do_POST(self) -> None:
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length", "0"))
                raw = self.rfile.read(length)
                query = parse_qs(url.query)
                if url.path.endswith("/media/upload"):
                    ok = query.get("access_token", [""])[0] in fake.tokens and b"filename=" in raw
                    with fake.lock:
                        fake.uploads += ok
                    self._answer(
                        {"errcode": 0, "type": "file", "media_id": "MEDIA-F1"}
                        if ok
                        else {"errcode": 40004, "errmsg": "invalid media"}
                    )
                    return
                self._answer(fake._post(url.path, query, json.loads(raw or b"{}")))

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler


def _cdata(value: str) -> str:
    return f"<![CDATA[{value}]]>"


@dataclass
class WecomEnv:
    """The real App and WeCom channel on a test database, a fake WeCom on both sides."""

    app: App
    channel: WecomChannel
    fake: FakeWeComAPI
    http: httpx.AsyncClient
    clock: FakeClock
    console: ConsoleTransport
    vt: VirtualTime
    msg_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(70_000_001))

    @classmethod
    async def create(
        cls,
        db_url: str,
        *,
        admins: tuple[str, ...] = ("boss",),
        fake: FakeWeComAPI | None = None,
        **more: Any,
    ) -> WecomEnv:
        """Start everything; extra keyword arguments set other config sections' fields (e.g. wechat=…)."""
        config = load(None, env={})
        config.database_url = db_url
        fake = fake or FakeWeComAPI()
        config.wecom = WecomConfig(
            corp_id=CORP_ID,
            agent_id=AGENT_ID,
            secret=SECRET,
            token=TOKEN,
            encoding_aes_key=AES_KEY,
            api_base_url=fake.base_url,
            admins=list(admins),
        )
        for name, value in more.items():
            setattr(config, name, value)
        clock = FakeClock()
        console = ConsoleTransport(io.StringIO())
        app = App(config, clock=clock, transports={"console": console})
        await app.start()
        vt = VirtualTime()
        app.sender.wall, app.sender.sleep = vt.now, vt.sleep  # the limits run on virtual time
        channel = setup(app, config)
        await channel.start()
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=build_asgi(channel.routes())), base_url="http://jiesu.test"
        )
        return cls(app, channel, fake, http, clock, console, vt)

    @classmethod
    async def beside(cls, app: App, clock: FakeClock, console: ConsoleTransport, vt: VirtualTime) -> WecomEnv:
        """The WeCom channel added to an app that runs another channel already (e.g. WeChat's)."""
        fake = FakeWeComAPI()
        app.config.wecom = WecomConfig(
            corp_id=CORP_ID,
            agent_id=AGENT_ID,
            secret=SECRET,
            token=TOKEN,
            encoding_aes_key=AES_KEY,
            api_base_url=fake.base_url,
        )
        channel = setup(app, app.config)
        await channel.start()
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=build_asgi(channel.routes())), base_url="http://jiesu.test"
        )
        return cls(app, channel, fake, http, clock, console, vt)

    async def close(self, *, fake: bool = True) -> None:
        """Stop the channel, the HTTP client, the app (and the fake)."""
        await self.channel.stop()
        await self.http.aclose()
        self.app.close()
        if fake:
            self.fake.close()

    # ------------------------------------------------------------ calling back as WeCom does

    def xml(self, user: str, msg_type: str, **fields: str) -> str:
        """A callback of one member to the app."""
        parts = [
            f"<ToUserName>{_cdata(CORP_ID)}</ToUserName>",
            f"<FromUserName>{_cdata(user)}</FromUserName>",
            f"<CreateTime>{int(self.clock.now().timestamp())}</CreateTime>",
            f"<MsgType>{_cdata(msg_type)}</MsgType>",
            f"<AgentID>{AGENT_ID}</AgentID>",
        ]
        for name, value in fields.items():
            parts.append(f"<{name}>{value if name == 'MsgId' else _cdata(value)}</{name}>")
        return "<xml>" + "".join(parts) + "</xml>"

    def query(
        self, encrypted: str, *, nonce: str | None = None, timestamp: int | None = None
    ) -> dict[str, str]:
        """The query string WeCom signs a request with."""
        nonce = nonce or secrets.token_hex(6)
        ts = str(timestamp if timestamp is not None else int(self.clock.now().timestamp()))
        return {"msg_signature": sign(TOKEN, ts, nonce, encrypted), "timestamp": ts, "nonce": nonce}

    def encrypt(self, xml: str, corp: str = CORP_ID) -> str:
        """The <Encrypt> of a callback (random padding: each call differs)."""
        return str(PrpCrypto(_key()).encrypt(xml, corp).decode())

    async def post(
        self,
        xml: str,
        *,
        query: dict[str, str] | None = None,
        corp: str = CORP_ID,
        encrypted: str | None = None,
    ) -> httpx.Response:
        """POST a callback, encrypted and signed (or with the given ciphertext and query)."""
        encrypted = encrypted or self.encrypt(xml, corp)
        envelope = (
            f"<xml><ToUserName>{_cdata(CORP_ID)}</ToUserName><AgentID>{_cdata(str(AGENT_ID))}</AgentID>"
            f"<Encrypt>{_cdata(encrypted)}</Encrypt></xml>"
        )
        return await self.http.post("/wecom", params=query or self.query(encrypted), content=envelope)

    async def verify_url(self, echo: str = "echo-1234567890") -> httpx.Response:
        """The URL check WeCom makes when the admin saves 接收消息 settings."""
        encrypted = PrpCrypto(_key()).encrypt(echo, CORP_ID).decode()
        return await self.http.get("/wecom", params={**self.query(encrypted), "echostr": encrypted})

    async def text(self, user: str, content: str) -> httpx.Response:
        """A member types in the app chat."""
        return await self.post(self.xml(user, "text", Content=content, MsgId=str(next(self.msg_ids))))

    async def image(self, user: str, media: str = "MEDIA-P1") -> httpx.Response:
        """A member sends a photo."""
        xml = self.xml(
            user,
            "image",
            PicUrl="https://wework.qpic.cn/test/p.jpg",
            MediaId=media,
            MsgId=str(next(self.msg_ids)),
        )
        return await self.post(xml)

    def tap_xml(self, user: str, key: str, task_id: str) -> str:
        """A tap on a template card's button."""
        return self.xml(
            user,
            "event",
            Event="template_card_event",
            EventKey=key,
            TaskId=task_id,
            CardType="button_interaction",
            ResponseCode=f"tap-{secrets.token_hex(4)}",
        )

    async def tap(self, user: str, key: str, task_id: str) -> httpx.Response:
        """A member taps a card's button."""
        return await self.post(self.tap_xml(user, key, task_id))

    async def wait(self, seconds: float) -> None:
        """Let time pass on both clocks (the app's and the limits'), delivering meanwhile."""
        self.vt.t += seconds
        self.clock.advance(timedelta(seconds=seconds))
        await self.app.sender.flush()

    async def deliver(self) -> None:
        """Let late callbacks finish, then run the outbox once."""
        await self.channel.drain()
        await self.app.sender.flush()
