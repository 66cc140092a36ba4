"""The WeChat path: signed XML pushes POSTed to /wechat through the ASGI app, answered passively."""

from __future__ import annotations

import asyncio
import importlib.util
import itertools
import secrets
import sys
import time
from collections.abc import Awaitable, Callable
from dataclasses import replace

import httpx
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from bot.app import App
from bot.channels.wechat import setup
from bot.channels.wechat_security import signature
from bot.config import WechatConfig
from bot.web import build_asgi
from handlers.payloads import WizardAction, WizardNav
from handlers.report.duplicates import NEW
from models.messages import Button
from models.outbox import latest_buttons

from .common import Step

SUBMIT = WizardNav(WizardAction.SUBMIT).pack()
NOT_THE_SAME = NEW.pack()

# httpx's ASGITransport tries `import sniffio` on every request; it is not installed here, and a
# failed import is not cached, so each request paid a file-system search (about 1 ms). Mark it
# absent once: the bench measures the server, not the client's import system.
if importlib.util.find_spec("sniffio") is None:
    sys.modules["sniffio"] = None  # type: ignore[assignment]

NAME = "wechat"
TOKEN = "bench-token"
ACCOUNT = "gh_bench"


OPTIONS_WAIT = 30.0  # seconds a simulated user waits for the options of the previous reply


def _cdata(value: str) -> str:
    return f"<![CDATA[{value}]]>"


async def make_sender(app: App) -> tuple[Callable[[Step], Awaitable[None]], Callable[[], Awaitable[None]]]:
    """send(step) POSTs the push a WeChat user's message would cause; a button is typed as its number."""
    config = replace(
        app.config,
        wechat=WechatConfig(
            token=TOKEN,
            app_id="wxbench",
            app_secret="unused",
            api_base_url="http://127.0.0.1:9/cgi-bin/",  # never called: replies go passively
        ),
    )
    channel = setup(app, config)
    # Replies that miss the passive answer go to the bench's null transport, not to a WeChat API.
    del app.sender.transports[NAME]
    http = httpx.AsyncClient(
        transport=httpx.ASGITransport(app=build_asgi(channel.routes())), base_url="http://b"
    )
    msg_ids = itertools.count(1)
    late: list[Step] = []

    # The simulated user reads the options off their screen: a reader of its own, outside the server's
    # database workers (on SQLite the server has one writer thread; this must not queue there).
    screen = create_engine(app.db.url)

    def options(user: str) -> list[Button]:
        with Session(screen) as session:
            return latest_buttons(session, NAME, user)

    async def as_typed(step: Step) -> str:
        # The options are the previous reply's; on a loaded machine it may still be on its way
        # into the outbox, so read again for a while (a generator's StopIteration inside a
        # coroutine would end the whole benchmark with "coroutine raised StopIteration").
        deadline = time.monotonic() + OPTIONS_WAIT
        while True:
            buttons = await asyncio.to_thread(options, step.user)
            wanted = step.payload
            if wanted == SUBMIT and all(b.payload != wanted for b in buttons):
                # Every report is filed at the same spot, so from the second one on the confirm step
                # asks first whether it is the same problem: "不是，继续提交" files it, as 确认提交 does.
                wanted = NOT_THE_SAME
            numbers = [n for n, b in enumerate(buttons, 1) if b.payload == wanted]
            if numbers:
                return str(numbers[0])
            if time.monotonic() > deadline:
                shown = [b.payload for b in buttons]
                raise RuntimeError(
                    f"{step.user}: no option {wanted!r} on screen after {OPTIONS_WAIT} s: {shown}"
                )
            await asyncio.sleep(0.05)

    async def send(step: Step) -> None:
        created = int(app.clock.now().timestamp())
        head = (
            f"<xml><ToUserName>{_cdata(ACCOUNT)}</ToUserName><FromUserName>{_cdata(step.user)}</FromUserName>"
            f"<CreateTime>{created}</CreateTime><MsgId>{next(msg_ids)}</MsgId>"
        )
        if step.location is not None:
            lat, lon = step.location
            body = f"<MsgType>location</MsgType><Location_X>{lat}</Location_X><Location_Y>{lon}</Location_Y>"
        else:
            text = await as_typed(step) if step.payload is not None else (step.contact or step.text)
            body = f"<MsgType>text</MsgType><Content>{_cdata(text)}</Content>"
        timestamp, nonce = str(created), secrets.token_hex(8)
        params = {"timestamp": timestamp, "nonce": nonce, "signature": signature(TOKEN, timestamp, nonce)}
        response = await http.post("/wechat", params=params, content=head + body + "</xml>")
        if response.status_code != 200:
            raise RuntimeError(f"push of {step} answered {response.status_code}: {response.text[:80]}")
        if response.text == "success":  # over the passive budget: the reply went to the outbox
            late.append(step)

    async def close() -> None:
        await channel.stop()
        await http.aclose()
        screen.dispose()
        if late:
            print(f"  wechat: {len(late)} pushes missed the passive budget", file=sys.stderr)

    return send, close
