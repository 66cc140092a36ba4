"""Test support for the web office: a harness with [web] and [open311] set, an HTTP client, sign-in."""

from __future__ import annotations

import json
import re
from collections.abc import AsyncIterator, Iterator
from contextlib import asynccontextmanager, contextmanager
from datetime import timedelta
from typing import Any

import httpx
from starlette.applications import Starlette

from bot.config import Config, load
from bot.office import routes
from bot.web import build_asgi, tile_source

from .harness import Harness

BASE = "http://testserver"
API_KEY = "k-12345-platform"
CSRF = re.compile(r'name="csrftoken" value="([^"]+)"')
LINK = re.compile(r"/office/login/([A-Za-z0-9_-]+)")


def office_config(base: str = BASE) -> Config:
    """The demo config with the web office and one Open311 key."""
    config = load(None, env={})
    config.web.base_url = base
    config.rules = type(config.rules)(**{**config.rules.__dict__, "web_base_url": base})
    config.open311.api_keys = {API_KEY: "12345热线"}
    return config


async def office_harness(db_url: str, base: str = BASE) -> Harness:
    """The demo subdistrict with the web office switched on."""
    return await Harness.create(db_url, config=office_config(base))


@asynccontextmanager
async def office_with_grids(db_url: str, *, jingfa: bool = False) -> AsyncIterator[Harness]:
    """The office on; grid siji-1 with workers w1 and w2 (and jingfa-1 with j1)."""
    h = await office_harness(db_url)
    try:
        await h.quick_grid()
        if jingfa:
            await h.quick_grid(group="jingfa1", grid="jingfa-1", workers=("j1",))
        yield h
    finally:
        h.close()


def asgi(h: Harness) -> Starlette:
    """The office's routes as one ASGI app, as bot.web.build_asgi carries them in `jiesu run`."""
    web = h.app.config.web
    return build_asgi(
        routes(h.app, h.app.config),
        https=web.base_url.startswith("https://"),
        image_hosts=tile_source(web.tiles_url),
    )


@asynccontextmanager
async def client(h: Harness) -> AsyncIterator[httpx.AsyncClient]:
    """An HTTP client talking to the office in-process."""
    transport = httpx.ASGITransport(app=asgi(h))
    async with httpx.AsyncClient(transport=transport, base_url=BASE) as c:
        yield c


async def link_token(h: Harness, user: str) -> str:
    """Ask for a sign-in link in chat (/web) and return its token."""
    out = await h.say(f"{user}: /web")
    texts_ = h.to(user, out)
    found = LINK.search(texts_[-1]) if texts_ else None
    assert found, texts_
    return found.group(1)


def csrf(page: str) -> str:
    """The CSRF token of the first form in a page."""
    found = CSRF.search(page)
    assert found, page[:500]
    return found.group(1)


async def sign_in(h: Harness, c: httpx.AsyncClient, user: str) -> httpx.Response:
    """Open the link from chat and press 登录; return the page signed in to."""
    token = await link_token(h, user)
    page = await c.get(f"/office/login/{token}")
    assert page.status_code == 200, page.text
    return await c.post(f"/office/login/{token}", data={"csrftoken": csrf(page.text)}, follow_redirects=True)


async def post_form(c: httpx.AsyncClient, page_url: str, action: str, data: dict[str, Any]) -> httpx.Response:
    """Submit a form of a page as a browser would (with the page's CSRF token)."""
    page = await c.get(page_url)
    return await c.post(action, data={"csrftoken": csrf(page.text), **data})


@asynccontextmanager
async def served(h: Harness) -> AsyncIterator[str]:
    """The office on a real local port (for clients that speak HTTP: georeport, Chromium)."""
    import asyncio

    import uvicorn

    server = uvicorn.Server(
        uvicorn.Config(asgi(h), host="127.0.0.1", port=0, log_level="warning", lifespan="off")
    )
    server.capture_signals = _no_signals  # type: ignore[method-assign]
    task = asyncio.create_task(server.serve())
    while not server.started:
        await asyncio.sleep(0.01)
    port = server.servers[0].sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.should_exit = True
        await task


@contextmanager
def _no_signals() -> Iterator[None]:
    yield


def map_data(page: str) -> dict[str, object]:
    """The JSON the map page draws."""
    found = re.search(r'<script id="map-data" type="application/json">(.*?)</script>', page, re.S)
    assert found
    return dict(json.loads(found.group(1).replace("<\\/", "</")))


def map_markers(data: dict[str, object]) -> list[dict[str, object]]:
    """The map's markers by field name (the page sends each as a short list)."""
    fields = data["fields"]
    return [dict(zip(fields, m, strict=True)) for m in data["markers"]]  # type: ignore[call-overload, attr-defined]


async def city_order(h: Harness, number: str, address: str, phone: str = "13912345678") -> int:
    """File one 12345 order as an import does (routed by its address); its ticket number."""
    from handlers.hotline import intake
    from models.hotline_rows import Mapping_, OrderRow, Read

    def write(s: object) -> int:
        u = h.app.unit(s)  # type: ignore[arg-type]
        row = OrderRow(
            row=1,
            number=number,
            dispatched_at=u.now,
            category="城市管理/道路",
            description=f"{address}门口路面塌陷，请尽快修复",
            address=address,
            deadline=u.now + timedelta(days=5),
            caller="李女士",
            phone=phone,
        )
        done = intake(u, Read(rows=[row]), "file", Mapping_())
        assert done is not None
        [(_, tid)] = done.created
        return tid

    return int(await h.app.db.run(write))
