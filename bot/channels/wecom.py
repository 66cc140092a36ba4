"""The 企业微信 (WeCom) channel for staff: GET/POST /wecom on the shared ASGI app.

A callback is checked (size, msg_signature, timestamp, nonce, safe XML, AES), handled in one
transaction through the same core as every channel, and answered with an empty 200 at once
(well within WeCom's 5 seconds); the replies go out through the outbox as app messages. The
grids' cards go to card chats (`-area:CODE`) that stand for all WeCom workers of an area.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from starlette.requests import Request
from starlette.responses import PlainTextResponse, Response
from starlette.routing import BaseRoute, Route
from wechatpy.exceptions import WeChatClientException

from bot.config import Config, WecomConfig
from handlers import router, texts
from models.messages import Reply
from models.people import get_or_create_person, is_staff
from models.store.seen import first_time
from models.store.unit_of_work import Unit

from ..app import App
from ..runtime import StartupError
from .wechat_security import MAX_BODY, Refused, aes_key_problem, read_body
from .wecom_api import WecomClient
from .wecom_inbound import CHANNEL, Kind, Parsed, read_message
from .wecom_security import WecomGuard
from .wecom_store import DOOR_NAMESPACE, NONCE_NAMESPACE, housekeep, sync_bindings
from .wecom_transport import WecomTransport

log = logging.getLogger(__name__)
BUDGET = 4.0  # seconds; WeCom gives up (and retries, three times) after 5
HOUSEKEEPING_EVERY = 60.0  # seconds: card chats follow /grant and /revoke within a minute
CREDENTIAL_ERRORS = frozenset({40013, 40001, 40091, 40056, 41002, 41004, 60020})


def _problems(wc: WecomConfig) -> list[str]:
    out = []
    for key, hint in (
        ("corp_id", "the 企业ID of 我的企业"),
        ("secret", "the app's Secret, or set JIESU_WECOM_SECRET"),
        ("token", "接收消息 → Token"),
        ("encoding_aes_key", "接收消息 → EncodingAESKey"),
    ):
        if not getattr(wc, key):
            out.append(f"[wecom] {key} is missing ({hint})")
    if wc.agent_id is None:
        out.append("[wecom] agent_id is missing (the app's AgentId)")
    if wc.encoding_aes_key and (why := aes_key_problem(wc.encoding_aes_key)):
        out.append(f"[wecom] {why}")
    return out


@dataclass
class Outcome:
    """What the transaction did with one callback."""

    replay: bool = False
    duplicate: bool = False
    queued: bool = False


def process(parsed: Parsed, nonce_key: str) -> Callable[[Unit, router.Handle], Outcome]:
    """The unit of work of one checked callback, around the core (run with App.run)."""

    def run(u: Unit, handle: router.Handle) -> Outcome:
        if not first_time(u.session, NONCE_NAMESPACE, nonce_key, u.now):
            return Outcome(replay=True)
        if parsed.kind == Kind.IGNORE:
            return Outcome()
        person = get_or_create_person(u.session, CHANNEL, parsed.userid, u.now, chat_id=parsed.userid)
        staff = is_staff(u.session, person.id)
        if not staff or parsed.kind != Kind.MESSAGE or parsed.inbound is None:
            # Answered here, not by the core (which deduplicates its own): WeCom's retries once.
            if not first_time(u.session, DOOR_NAMESPACE, parsed.message_id, u.now):
                return Outcome(duplicate=True)
            if not staff:  # a member of the corp with no role: the id an admin needs, nothing else
                u.send(Reply(CHANNEL, parsed.userid, texts.WECOM_NOT_STAFF.format(id=parsed.userid)))
            elif parsed.kind == Kind.UNSUPPORTED:
                u.send(Reply(CHANNEL, parsed.userid, texts.WX_UNSUPPORTED))
            return Outcome(queued=bool(u.sent))
        result = handle(u, parsed.inbound, numbered=True)
        if result.duplicate:
            return Outcome(duplicate=True)
        if result.alert:  # no pop-ups in the app chat: the answer to a tap is a message
            u.send(Reply(CHANNEL, parsed.userid, result.alert))
        return Outcome(queued=bool(u.sent))

    return run


class WecomChannel:
    """The live channel: routes, transport and housekeeping."""

    name = CHANNEL

    def __init__(self, app: App, config: Config) -> None:
        wc = config.wecom
        self.app = app
        self.problems = _problems(wc)  # reported by start(): `jiesu run` prints them and stops
        key = (
            wc.encoding_aes_key if wc.encoding_aes_key and not aes_key_problem(wc.encoding_aes_key) else None
        )
        self.guard = WecomGuard(wc.token or "", key or "A" * 43, wc.corp_id or "")
        self.client = WecomClient(
            wc.corp_id or "", wc.secret or "", wc.agent_id or 0, app.db, app.clock, wc.api_base_url
        )
        self.transport = WecomTransport(app, self.client)
        self._background: set[asyncio.Future[Any]] = set()
        self._housekeeper: asyncio.Task[None] | None = None

    def routes(self) -> list[BaseRoute]:
        """GET /wecom answers the URL verification; POST /wecom takes the callbacks."""
        return [
            Route("/wecom", self.verify, methods=["GET"]),
            Route("/wecom", self.receive, methods=["POST"]),
        ]

    async def start(self) -> None:
        """Refuse a config that cannot work; check the credentials by getting a token; bind card chats."""
        if self.problems:
            raise StartupError("the [wecom] section cannot be used", self.problems)
        try:
            await asyncio.to_thread(lambda: self.client.access_token)
        except WeChatClientException as exc:
            if exc.errcode in CREDENTIAL_ERRORS:
                raise StartupError(
                    f"WeCom refused the credentials (errcode {exc.errcode}: {exc.errmsg})",
                    ["check [wecom] corp_id and secret, and the app's 企业可信IP"],
                ) from None
            log.warning("could not get a WeCom access token yet: %s", exc)
        except Exception as exc:  # network trouble at startup is not fatal: tokens are fetched on demand
            log.warning("could not reach the WeCom API yet: %s", exc)
        try:
            await self.housekeep()
        except Exception:  # e.g. another process syncing at the same moment: the next round catches up
            log.exception("WeCom housekeeping at start failed; trying again in a minute")
        self._housekeeper = asyncio.create_task(self._housekeep_forever(), name="wecom-housekeeping")

    async def stop(self) -> None:
        """Let callbacks answered early finish; close connections."""
        if self._housekeeper is not None:
            self._housekeeper.cancel()
            await asyncio.gather(self._housekeeper, return_exceptions=True)
        await self.drain()
        self.client.close()

    async def housekeep(self) -> int:
        """Follow the grants with the card chats; drop old nonces and spent card codes."""
        now = self.app.clock.now()
        horizon = now - 2 * self.guard.skew

        def work(session: Any) -> int:
            return sync_bindings(session, now) + housekeep(session, now, horizon)

        return await self.app.db.run(work)

    async def _housekeep_forever(self) -> None:
        while True:
            await asyncio.sleep(HOUSEKEEPING_EVERY)
            try:
                await self.housekeep()
            except Exception:
                log.exception("WeCom housekeeping failed; trying again later")

    async def verify(self, request: Request) -> Response:
        """Answer the decrypted echostr when the signature is right (接收消息 → 保存 in the admin console)."""
        try:
            echo = self.guard.verify(request.query_params, self.app.clock.now())
        except Refused as exc:
            log.warning("refused WeCom URL verification: %s", exc.reason)
            return PlainTextResponse(
                "forbidden" if exc.status == 403 else "bad request", status_code=exc.status
            )
        return PlainTextResponse(echo)

    async def receive(self, request: Request) -> Response:
        """Check and handle one callback; answer within the budget, finish in the background after."""
        try:
            body = await read_body(request, MAX_BODY)
            callback = self.guard.open(request.query_params, body, self.app.clock.now())
            parsed = read_message(callback.fields)
        except Refused as exc:
            log.warning("refused WeCom callback: %s", exc.reason)
            return PlainTextResponse(
                "forbidden" if exc.status == 403 else "bad request", status_code=exc.status
            )
        work = asyncio.ensure_future(self.app.run(process(parsed, callback.nonce_key)))
        done, _ = await asyncio.wait({work}, timeout=BUDGET)
        if not done:  # answered now: WeCom would retry; the work goes on and the outbox sends its replies
            self._background.add(work)
            work.add_done_callback(self._late)
            return PlainTextResponse("")
        try:
            outcome = work.result()
        except Exception:
            log.exception("WeCom callback from %s failed; WeCom will retry it", parsed.userid)
            return PlainTextResponse("error", status_code=500)
        if outcome.replay:
            log.warning("refused WeCom callback: nonce already used")
            return PlainTextResponse("forbidden", status_code=403)
        if outcome.queued:
            self.app.sender.wake()
        return PlainTextResponse("")

    def _late(self, work: asyncio.Future[Any]) -> None:
        self._background.discard(work)
        if not work.cancelled() and work.exception() is not None:
            log.error("late WeCom callback failed: %s", work.exception())
        self.app.sender.wake()

    async def drain(self) -> None:
        """Wait for callbacks answered early to finish (tests and shutdown)."""
        while self._background:
            await asyncio.gather(*list(self._background), return_exceptions=True)


def setup(app: App, config: Config) -> WecomChannel:
    """Build the channel and register its outbox transport (called by `jiesu run`)."""
    channel = WecomChannel(app, config)
    app.add_transport(channel.transport)
    return channel
