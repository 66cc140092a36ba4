"""A fake WeChat for tests: the API server wechatpy talks to, and the push side that signs requests.

wechatpy's client speaks `requests`, so the fake API is a real HTTP server on 127.0.0.1 (a thread),
reached through `[wechat] api_base_url` exactly as production reaches api.weixin.qq.com.
Pushes go the other way, signed (and encrypted) as WeChat does, into the ASGI app over
httpx.ASGITransport.
"""

from __future__ import annotations

import asyncio
import base64
import dataclasses
import hashlib
import io
import itertools
import json
import re
import secrets
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlparse

import httpx
import qrcode
from wechatpy.crypto import PrpCrypto

from bot.app import App
from bot.channels.console import ConsoleTransport
from bot.channels.wechat import WechatChannel, setup
from bot.config import WechatConfig, load
from bot.web import build_asgi
from handlers import reader
from models.clock import FakeClock

from .tgfake import VirtualTime

APP_ID = "wx0123456789abcdef"
APP_SECRET = "test-app-secret"
TOKEN = "jiesu-test-token"
AES_KEY = base64.b64encode(bytes(range(32))).decode().rstrip("=")  # 43 characters
ACCOUNT = "gh_0123456789ab"


def qr_url(scene: str) -> str:
    """The address a permanent QR code of this scene encodes (WeChat's are weixin.qq.com/q/…)."""
    return f"http://weixin.qq.com/q/fake-{scene}"


def qr_png(text: str) -> bytes:
    """A QR code picture of text, as showqrcode serves one."""
    out = io.BytesIO()
    qrcode.make(text).save(out, format="PNG")
    return out.getvalue()


def openid(name: str) -> str:
    """A 28-character openid for a test user."""
    return ("o" + name).ljust(28, "x")


def sign(*parts: str) -> str:
    """WeChat's signature, computed here independently of the code under test."""
    return hashlib.sha1("".join(sorted(parts)).encode()).hexdigest()


class FakeWeChatAPI:
    """Issues access tokens and records customer-service and template messages."""

    def __init__(self) -> None:
        self.token_requests = 0
        self.token_delay = 0.0
        self.tokens: set[str] = set()
        self.sent: list[dict[str, Any]] = []
        self.cs_errors: dict[str, int] = {}  # openid -> errcode for customer-service messages
        self.clock: Callable[[], float] = time.time  # the senders' limits clock (virtual in WxEnv)
        self.cs_times: list[tuple[str, float]] = []  # (openid, arrival) of each customer-service message
        self.menus: list[dict[str, Any]] = []  # bodies of menu/create
        self.qr_scenes: dict[str, str] = {}  # ticket -> scene_str of qrcode/create
        self.lock = threading.Lock()
        self._numbers = itertools.count(1)
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self.thread.start()

    @property
    def base_url(self) -> str:
        """What goes into [wechat] api_base_url."""
        return f"http://127.0.0.1:{self.server.server_address[1]}/cgi-bin/"

    def close(self) -> None:
        """Stop serving."""
        self.server.shutdown()
        self.server.server_close()
        self.thread.join()

    def expire_tokens(self) -> None:
        """WeChat forgets every token issued so far (they now get errcode 40001)."""
        with self.lock:
            self.tokens.clear()

    def texts_to(self, user: str) -> list[str]:
        """Customer-service texts sent to a user."""
        return [
            m["text"]["content"]
            for m in self.sent
            if m["kind"] == "cs" and m.get("msgtype") == "text" and m["touser"] == user
        ]

    def templates_to(self, user: str) -> list[dict[str, Any]]:
        """Template messages sent to a user."""
        return [m for m in self.sent if m["kind"] == "template" and m["touser"] == user]

    def _token(self, query: dict[str, list[str]]) -> dict[str, Any]:
        if query.get("appid") != [APP_ID] or query.get("secret") != [APP_SECRET]:
            return {"errcode": 40125, "errmsg": "invalid appsecret"}
        time.sleep(self.token_delay)
        with self.lock:
            self.token_requests += 1
            token = f"TOKEN-{next(self._numbers)}"
            self.tokens.add(token)
        return {"access_token": token, "expires_in": 7200}

    def _post(self, path: str, query: dict[str, list[str]], body: dict[str, Any]) -> dict[str, Any]:
        with self.lock:
            if query.get("access_token", [""])[0] not in self.tokens:
                return {"errcode": 40001, "errmsg": "invalid credential, access_token is invalid"}
            if path.endswith("/message/custom/send"):
                code = self.cs_errors.get(body.get("touser", ""))
                if code:
                    return {
                        "errcode": code,
                        "errmsg": "response out of time limit or subscription is canceled",
                    }
                self.sent.append({"kind": "cs", **body})
                self.cs_times.append((body.get("touser", ""), self.clock()))
                return {"errcode": 0, "errmsg": "ok"}
            if path.endswith("/message/template/send"):
                number = next(self._numbers)
                self.sent.append({"kind": "template", **body})
                return {"errcode": 0, "errmsg": "ok", "msgid": number}
            if path.endswith("/menu/create"):
                self.menus.append(body)
                return {"errcode": 0, "errmsg": "ok"}
            if path.endswith("/qrcode/create") and body.get("action_name") == "QR_LIMIT_STR_SCENE":
                scene = body["action_info"]["scene"]["scene_str"]
                ticket = f"gQ-{scene}-{next(self._numbers)}"
                self.qr_scenes[ticket] = scene
                return {"ticket": ticket, "url": qr_url(scene)}
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
                query = parse_qs(url.query)
                if url.path.endswith("/token"):
                    self._answer(fake._token(query))
                elif url.path.endswith("/getcallbackip"):
                    known = query.get("access_token", [""])[0] in fake.tokens
                    self._answer(
                        {"ip_list": ["127.0.0.1"]} if known else {"errcode": 40001, "errmsg": "invalid"}
                    )
                elif url.path.endswith("/showqrcode") and query.get("ticket", [""])[0] in fake.qr_scenes:
                    self._picture(qr_png(qr_url(fake.qr_scenes[query["ticket"][0]])))
                else:
                    self._answer({"errcode": 40066, "errmsg": "invalid url"})

            def _picture(self, data: bytes) -> None:
                self.send_response(200)
                self.send_header("Content-Type", "image/jpeg")  # what showqrcode says (the bytes are PNG)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

            def do_POST(self) -> None:
                url = urlparse(self.path)
                length = int(self.headers.get("Content-Length", "0"))
                body = json.loads(self.rfile.read(length) or b"{}")
                self._answer(fake._post(url.path, parse_qs(url.query), body))

            def log_message(self, format: str, *args: Any) -> None:
                return None

        return Handler


def _cdata(value: str) -> str:
    return f"<![CDATA[{value}]]>"


@dataclass
class WxEnv:
    """The real App and WeChat channel on a test database, a fake WeChat on both sides."""

    app: App
    channel: WechatChannel
    fake: FakeWeChatAPI
    http: httpx.AsyncClient
    clock: FakeClock
    console: ConsoleTransport
    mode: str = "plain"  # plain, compat (兼容模式) or safe (安全模式)
    msg_ids: itertools.count[int] = field(default_factory=lambda: itertools.count(10_000_001))

    @classmethod
    async def create(
        cls,
        db_url: str,
        *,
        mode: str = "plain",
        budget: float | None = None,
        template_id: str | None = "TPL-progress",
        fake: FakeWeChatAPI | None = None,
        admins: tuple[str, ...] = (),
        aes_key: str | None = AES_KEY,
        web_base_url: str | None = None,
    ) -> WxEnv:
        """Start everything; the same fake may be shared by several apps."""
        config = load(None, env={})
        config.database_url = db_url
        fake = fake or FakeWeChatAPI()
        config.wechat = WechatConfig(
            token=TOKEN,
            app_id=APP_ID,
            app_secret=APP_SECRET,
            encoding_aes_key=aes_key if mode != "plain" else None,
            admins=list(admins),
            api_base_url=fake.base_url,
            template_id=template_id,
        )
        config.wechat.passive_budget = budget
        if web_base_url:
            config.web.base_url = web_base_url
            config.rules = dataclasses.replace(config.rules, web_base_url=web_base_url)
        clock = FakeClock()
        console = ConsoleTransport(io.StringIO())
        app = App(config, clock=clock, transports={"console": console})
        await app.start()
        # As `jiesu run` does beside start-up: loading the trained reader on the first message
        # could take longer than WeChat's passive budget on a loaded machine.
        await asyncio.to_thread(reader.warm)
        vt = VirtualTime()
        fake.clock = vt.now
        app.sender.wall, app.sender.sleep = vt.now, vt.sleep  # the limits run on virtual time
        channel = setup(app, config)
        await channel.start()
        http = httpx.AsyncClient(
            transport=httpx.ASGITransport(app=build_asgi(channel.routes())), base_url="http://jiesu.test"
        )
        return cls(app, channel, fake, http, clock, console, mode)

    async def close(self, *, fake: bool = True) -> None:
        """Stop the channel, the HTTP client, the app (and the fake)."""
        await self.channel.stop()
        await self.http.aclose()
        self.app.close()
        if fake:
            self.fake.close()

    # ------------------------------------------------------------ pushing as WeChat does

    def xml(self, user: str, msg_type: str, **fields: str) -> str:
        """A push of one user to the account."""
        parts = [
            f"<ToUserName>{_cdata(ACCOUNT)}</ToUserName>",
            f"<FromUserName>{_cdata(user)}</FromUserName>",
            f"<CreateTime>{int(self.clock.now().timestamp())}</CreateTime>",
            f"<MsgType>{_cdata(msg_type)}</MsgType>",
        ]
        for name, value in fields.items():
            parts.append(f"<{name}>{value if name == 'MsgId' else _cdata(value)}</{name}>")
        return "<xml>" + "".join(parts) + "</xml>"

    def _key(self) -> bytes:
        return base64.b64decode(AES_KEY + "=")

    async def push(
        self,
        xml: str,
        *,
        nonce: str | None = None,
        timestamp: int | None = None,
        signature: str | None = None,
        body: bytes | None = None,
    ) -> httpx.Response:
        """POST a push, signed (and encrypted in the AES modes)."""
        nonce = nonce or secrets.token_hex(6)
        ts = str(timestamp if timestamp is not None else int(self.clock.now().timestamp()))
        params = {
            "timestamp": ts,
            "nonce": nonce,
            "openid": "x",
            "signature": signature or sign(TOKEN, ts, nonce),
        }
        if self.mode == "plain":
            return await self.http.post("/wechat", params=params, content=body if body is not None else xml)
        encrypted = PrpCrypto(self._key()).encrypt(xml, APP_ID).decode()
        params |= {"encrypt_type": "aes", "msg_signature": sign(TOKEN, ts, nonce, encrypted)}
        if self.mode == "compat":  # the plaintext stays in, the <Encrypt> is added
            envelope = xml.replace("</xml>", f"<Encrypt>{_cdata(encrypted)}</Encrypt></xml>")
        else:
            envelope = (
                f"<xml><ToUserName>{_cdata(ACCOUNT)}</ToUserName><Encrypt>{_cdata(encrypted)}</Encrypt></xml>"
            )
        return await self.http.post("/wechat", params=params, content=body if body is not None else envelope)

    def reply(self, response: httpx.Response) -> str:
        """The text of a passive reply ('' for `success`), decrypted and its signature checked."""
        assert response.status_code == 200, (response.status_code, response.text)
        if response.text == "success":
            return ""
        xml = response.text
        if self.mode != "plain":
            encrypted = _field(xml, "Encrypt")
            assert _field(xml, "MsgSignature") == sign(
                TOKEN, _field(xml, "TimeStamp"), _field(xml, "Nonce"), encrypted
            )
            xml = PrpCrypto(self._key()).decrypt(encrypted, APP_ID)
        assert _field(xml, "MsgType") == "text"
        assert _field(xml, "FromUserName") == ACCOUNT
        return _field(xml, "Content")

    async def text(self, user: str, content: str, *, msg_id: int | None = None) -> str:
        """A user types; return the passive reply."""
        number = msg_id if msg_id is not None else next(self.msg_ids)
        return self.reply(await self.push(self.xml(user, "text", Content=content, MsgId=str(number))))

    async def event(self, user: str, event: str, key: str = "") -> str:
        """An event (subscribe, SCAN, CLICK …); return the passive reply."""
        fields = {"Event": event} | ({"EventKey": key} if key else {})
        return self.reply(await self.push(self.xml(user, "event", **fields)))

    async def image(self, user: str, url: str = "https://mmbiz.qpic.cn/test/photo.jpg") -> str:
        """A user sends a photo."""
        xml = self.xml(user, "image", PicUrl=url, MediaId="MEDIA-1", MsgId=str(next(self.msg_ids)))
        return self.reply(await self.push(xml))

    async def location(self, user: str, lat: float, lon: float) -> str:
        """A user sends a location."""
        xml = self.xml(
            user,
            "location",
            Location_X=str(lat),
            Location_Y=str(lon),
            Scale="15",
            Label="春晗路",
            MsgId=str(next(self.msg_ids)),
        )
        return self.reply(await self.push(xml))

    async def deliver(self) -> None:
        """Let late pushes hand over their replies, then run the outbox once."""
        await self.channel.drain()
        await self.app.sender.flush()


def _field(xml: str, name: str) -> str:
    m = re.search(rf"<{name}>(?:<!\[CDATA\[(.*?)\]\]>|([^<]*))</{name}>", xml, re.S)
    assert m is not None, f"no <{name}> in {xml[:200]}"
    return m.group(1) if m.group(1) is not None else m.group(2)
