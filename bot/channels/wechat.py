"""The WeChat official account (服务号) channel: GET/POST /wechat on the shared ASGI app.

A push is checked (size, signature, timestamp, nonce, safe XML, AES), handled in one transaction,
and answered passively within a budget well under WeChat's 5 seconds with the replies it produced.
When the budget runs out the answer is `success` and the replies go through the outbox as
customer-service messages (48-hour window), or as a template message for ticket notices.
"""

from __future__ import annotations

import asyncio
import logging
import secrets
from collections.abc import Coroutine
from functools import partial
from typing import Any

from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from wechatpy.exceptions import WeChatClientException

from bot.config import Config, WechatConfig

from ..app import App
from ..runtime import StartupError
from .wechat_api import ApiClient
from .wechat_inbound import CHANNEL, Parsed, read_message
from .wechat_passive import Deadline, Outcome, finish, joined_text, process, split
from .wechat_render import text_reply
from .wechat_security import MAX_BODY, Cipher, Envelope, Guard, Refused, aes_key_problem, read_body
from .wechat_store import WindowWrites, housekeep
from .wechat_transport import DEFAULT_TEMPLATE_FIELDS, WechatTransport

log = logging.getLogger(__name__)
PASSIVE_BUDGET = 4.0  # seconds; WeChat gives up (and retries) after 5
SUCCESS = "success"  # "received, no passive reply": WeChat neither retries nor shows an error
HOUSEKEEPING_EVERY = 600.0  # seconds
CREDENTIAL_ERRORS = frozenset({40001, 40013, 40125, 40164, 41002, 41004})


def _template_fields(wx: WechatConfig, problems: list[str]) -> dict[str, str]:
    """Our notice fields mapped to those of the configured template (defaults for the rest)."""
    if not set(wx.template_fields) <= set(DEFAULT_TEMPLATE_FIELDS):
        problems.append(f"[wechat] template_fields may only set {', '.join(DEFAULT_TEMPLATE_FIELDS)}")
        return dict(DEFAULT_TEMPLATE_FIELDS)
    return {**DEFAULT_TEMPLATE_FIELDS, **wx.template_fields}


def _problems(wx: WechatConfig) -> list[str]:
    out = []
    if wx.passive_budget is not None and not 0 <= wx.passive_budget <= 4.5:
        out.append("[wechat] passive_budget must be between 0 and 4.5 seconds (WeChat waits 5)")
    if not wx.app_id:
        out.append("[wechat] app_id is missing (the AppID of the official account)")
    if not wx.app_secret:
        out.append("[wechat] app_secret is missing (or set JIESU_WECHAT_APP_SECRET)")
    if wx.encoding_aes_key and (why := aes_key_problem(wx.encoding_aes_key)):
        out.append(f"[wechat] {why}")
    return out


class WechatChannel:
    """The live channel: routes, transport, and the passive-reply bookkeeping."""

    name = CHANNEL

    def __init__(self, app: App, config: Config) -> None:
        wx = config.wechat
        self.app = app
        self.problems = _problems(wx)  # reported by start(): `jiesu run` prints them and stops
        cipher = None
        if wx.encoding_aes_key and not aes_key_problem(wx.encoding_aes_key):
            cipher = Cipher(wx.token or "", wx.encoding_aes_key, wx.app_id or "")
        self.guard = Guard(wx.token or "", cipher)
        self.max_body = MAX_BODY if wx.max_body is None else wx.max_body
        self.passive_budget = PASSIVE_BUDGET if wx.passive_budget is None else wx.passive_budget
        self.client = ApiClient(wx.app_id or "", wx.app_secret or "", app.db, app.clock, wx.api_base_url)
        self.transport = WechatTransport(
            app, self.client, wx.template_id, _template_fields(wx, self.problems)
        )
        self._background: set[asyncio.Task[None]] = set()
        self._sent: list[int] = []  # answered passively, to be marked sent
        self._release: list[int] = []  # claimed but not answered passively: back to the outbox
        self._wake = False
        self._acks: asyncio.Task[None] | None = None
        self._housekeeper: asyncio.Task[None] | None = None
        self.windows = WindowWrites()

    def routes(self) -> list[BaseRoute]:
        """GET /wechat answers the server verification; POST /wechat takes the pushes."""
        return [
            Route("/wechat", self.verify, methods=["GET"]),
            Route("/wechat", self.receive, methods=["POST"]),
        ]

    async def start(self) -> None:
        """Refuse a config that cannot work; check app_id and app_secret by getting a token."""
        if self.problems:
            raise StartupError("the [wechat] section cannot be used", self.problems)
        try:
            await asyncio.to_thread(lambda: self.client.access_token)
        except WeChatClientException as exc:
            if exc.errcode in CREDENTIAL_ERRORS:
                raise StartupError(
                    f"WeChat refused the credentials (errcode {exc.errcode}: {exc.errmsg})",
                    ["check [wechat] app_id and app_secret, and the IP whitelist in the WeChat console"],
                ) from None
            log.warning("could not get a WeChat access token yet: %s", exc)
        except Exception as exc:  # network trouble at startup is not fatal: tokens are fetched on demand
            log.warning("could not reach the WeChat API yet: %s", exc)
        self._housekeeper = asyncio.create_task(self._housekeep_forever(), name="wechat-housekeeping")

    async def stop(self) -> None:
        """Let late pushes finish handing their replies to the outbox; close connections."""
        if self._housekeeper is not None:
            self._housekeeper.cancel()
            await asyncio.gather(self._housekeeper, return_exceptions=True)
        await self.drain()
        self.client.close()

    async def housekeep(self) -> int:
        """Drop nonces older than the timestamp window and expired service windows."""
        now = self.app.clock.now()
        horizon = now - 2 * self.guard.skew
        self.windows.prune(now)
        return await self.app.db.run(lambda s: housekeep(s, now, horizon))

    async def _housekeep_forever(self) -> None:
        while True:
            await asyncio.sleep(HOUSEKEEPING_EVERY)
            try:
                await self.housekeep()
            except Exception:
                log.exception("WeChat housekeeping failed; trying again later")

    async def verify(self, request: Request) -> Response:
        """Echo echostr when the signature is right (the 'server URL' check of the WeChat console)."""
        try:
            echo = self.guard.verify(request.query_params, self.app.clock.now())
        except Refused as exc:
            log.warning("refused WeChat verification: %s", exc.reason)
            return PlainTextResponse("forbidden", status_code=exc.status)
        return PlainTextResponse(echo)

    async def receive(self, request: Request) -> Response:
        """Check, handle and answer one push."""
        loop = asyncio.get_running_loop()
        started = loop.time()
        try:
            body = await read_body(request, self.max_body)
            envelope = self.guard.open(request.query_params, body, self.app.clock.now())
            parsed = read_message(envelope.fields)
        except Refused as exc:
            log.warning("refused WeChat push: %s", exc.reason)
            return PlainTextResponse(
                "forbidden" if exc.status == 403 else "bad request", status_code=exc.status
            )
        deadline = Deadline()
        unit = process(parsed, envelope.nonce_key, deadline, self.windows)
        work = asyncio.ensure_future(self.app.run(unit))
        budget = max(0.0, self.passive_budget - (loop.time() - started))
        done, _ = await asyncio.wait({work}, timeout=budget)
        if not done:
            deadline.passed = True
            self._spawn(self._hand_over_late(parsed, work))
            return PlainTextResponse(SUCCESS)
        try:
            outcome = work.result()
        except Exception:
            log.exception("WeChat push from %s failed; WeChat will retry it", parsed.openid)
            return PlainTextResponse("error", status_code=500)
        if outcome.replay:
            log.warning("refused WeChat push: nonce already used")
            return PlainTextResponse("forbidden", status_code=403)
        self._committed(parsed, outcome)
        return self._answer(parsed, envelope, outcome)

    def _answer(self, parsed: Parsed, envelope: Envelope, outcome: Outcome) -> Response:
        passive, rest = split(outcome.claimed)
        task = BackgroundTask(self._after, [r.id for r in passive], [r.id for r in rest], outcome.queued)
        if not passive:
            return PlainTextResponse(SUCCESS, background=task)
        timestamp = str(int(self.app.clock.now().timestamp()))
        xml = text_reply(parsed.openid, parsed.account, joined_text(passive), int(timestamp))
        if envelope.encrypted and self.guard.cipher is not None:
            xml = self.guard.cipher.encrypt(xml, secrets.token_hex(8), timestamp)
        return Response(xml, media_type="application/xml", background=task)

    async def _after(self, sent: list[int], release: list[int], queued: bool) -> None:
        """Once the answer is out: mark the passive replies sent, hand the rest to the outbox."""
        self._sent += sent
        self._release += release
        self._wake = self._wake or bool(release) or queued
        if self._acks is None or self._acks.done():
            self._acks = self._spawn(self._record())

    async def _record(self) -> None:
        """Record outcomes in batches: one transaction for all the answers given meanwhile."""
        while self._sent or self._release or self._wake:
            sent, release, wake = self._sent, self._release, self._wake
            self._sent, self._release, self._wake = [], [], False
            if sent or release:
                now = self.app.clock.now()
                try:
                    await self.app.db.run(partial(finish, sent=sent, release=release, now=now))
                except Exception:  # the rows' lease runs out and the outbox sends them again
                    log.exception("could not record %d passive WeChat replies", len(sent) + len(release))
            if wake:
                self.app.sender.wake()

    def _committed(self, parsed: Parsed, outcome: Outcome) -> None:
        if outcome.window_at is not None:
            self.windows.wrote(parsed.openid, outcome.window_at)

    async def _hand_over_late(self, parsed: Parsed, work: asyncio.Future[Outcome]) -> None:
        """A push answered `success` before it was handled: its replies go through the outbox."""
        try:
            outcome = await work
        except Exception:
            log.exception("late WeChat push failed")
            return
        self._committed(parsed, outcome)
        await self._after([], [r.id for r in outcome.claimed], outcome.queued)

    def _spawn(self, coro: Coroutine[Any, Any, None]) -> asyncio.Task[None]:
        task = asyncio.ensure_future(coro)
        self._background.add(task)
        task.add_done_callback(self._background.discard)
        return task

    async def drain(self) -> None:
        """Wait for pushes answered late to finish (tests and shutdown)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)


def setup(app: App, config: Config) -> WechatChannel:
    """Build the channel and register its outbox transport (called by `jiesu run`)."""
    channel = WechatChannel(app, config)
    app.add_transport(channel.transport)
    return channel
