"""A stand-in Bot API on 127.0.0.1 that can be slow, fail, answer 429 or hang (bounded), for process tests."""

from __future__ import annotations

import asyncio
import contextlib
import random
import socket
import threading
import time
import urllib.parse
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import uvicorn
from starlette.applications import Starlette
from starlette.requests import ClientDisconnect, Request
from starlette.responses import JSONResponse
from starlette.routing import Route


@dataclass
class Faults:
    """Probabilities per sendMessage call, and how long slow and hung calls take."""

    fail: float = 0.0  # 500, not delivered
    hang: float = 0.0  # no answer for hang_s, then 500: not delivered (the client times out first)
    too_many: float = 0.0  # 429 retry_after 1, not delivered (only in too_many_chat when set)
    too_many_chat: str | None = None
    slow: float = 0.0  # delivered after slow_s
    hang_s: float = 1.5
    slow_s: float = 0.2


@dataclass
class FlakyApi:
    """Records every delivered message with its arrival time; thread-safe."""

    faults: Faults = field(default_factory=Faults)
    seed: int = 1
    delivered: list[tuple[str, str, float]] = field(default_factory=list)
    calls: int = 0
    _lock: threading.Lock = field(default_factory=threading.Lock)
    _rng: random.Random = field(init=False)

    def __post_init__(self) -> None:
        self._rng = random.Random(self.seed)

    def roll(self, chat: str) -> str:
        """Pick this call's fate."""
        f = self.faults
        with self._lock:
            self.calls += 1
            r = self._rng.random()
        too_many = f.too_many if f.too_many_chat in (None, chat) else 0.0
        for name, p in (("fail", f.fail), ("hang", f.hang), ("too_many", too_many), ("slow", f.slow)):
            if r < p:
                return name
            r -= p
        return "ok"

    def deliver(self, chat_id: str, text: str) -> int:
        """Record one delivery; return its message id."""
        with self._lock:
            self.delivered.append((chat_id, text, time.time()))
            return len(self.delivered)

    def by_chat(self) -> dict[str, list[str]]:
        """Delivered texts per chat, in arrival order."""
        with self._lock:
            out: dict[str, list[str]] = {}
            for chat, text, _ in self.delivered:
                out.setdefault(chat, []).append(text)
            return out


async def _params(request: Request) -> dict[str, Any]:
    if request.headers.get("content-type", "").startswith("application/json"):
        return dict(await request.json())
    return dict(urllib.parse.parse_qsl((await request.body()).decode()))


def _app(api: FlakyApi) -> Starlette:
    """The stand-in as an ASGI app (served by uvicorn: many concurrent calls, like the real API)."""

    async def method(request: Request) -> JSONResponse:
        try:
            params = await _params(request)
        except ClientDisconnect:  # the client gave up (its timeout, or it was stopped)
            return JSONResponse({"ok": False}, status_code=499)
        name = request.path_params["method"]
        if name == "getMe":
            me = {"id": 7000000001, "is_bot": True, "first_name": "接诉", "username": "jiesu_test_bot"}
            return JSONResponse({"ok": True, "result": me})
        if name == "getUpdates":
            await asyncio.sleep(min(float(params.get("timeout") or 0), 0.3))
            return JSONResponse({"ok": True, "result": []})
        if name != "sendMessage":
            return JSONResponse({"ok": True, "result": True})
        return await _send(api, params)

    return Starlette(routes=[Route("/{token}/{method}", method, methods=["POST", "GET"])])


async def _send(api: FlakyApi, params: dict[str, Any]) -> JSONResponse:
    fate = api.roll(str(params.get("chat_id")))
    f = api.faults
    error = {"ok": False, "error_code": 500, "description": "Internal Server Error"}
    if fate == "fail":
        return JSONResponse(error, status_code=500)
    if fate == "hang":
        await asyncio.sleep(f.hang_s)
        return JSONResponse(error, status_code=500)
    if fate == "too_many":
        body = {"ok": False, "error_code": 429, "description": "Too Many Requests: retry after 1"}
        return JSONResponse({**body, "parameters": {"retry_after": 1}}, status_code=429)
    if fate == "slow":
        await asyncio.sleep(f.slow_s)
    chat, text = str(params["chat_id"]), str(params.get("text", ""))
    message_id = api.deliver(chat, text)
    chat_json = {"id": int(chat), "type": "private"}
    message = {"message_id": message_id, "date": int(time.time()), "chat": chat_json, "text": text}
    return JSONResponse({"ok": True, "result": message})


@contextlib.contextmanager
def serve(api: FlakyApi) -> Iterator[str]:
    """Serve the fake on a free port in a thread; yields the base_url for [telegram] base_url."""
    with serve_app(_app(api)) as base:
        yield base


@contextlib.contextmanager
def serve_app(app: Any, port: int = 0) -> Iterator[str]:
    """Serve an ASGI app on 127.0.0.1 (a free port unless given) in a thread; yields its base URL."""
    sock = socket.create_server(("127.0.0.1", port), backlog=2048)
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    server = uvicorn.Server(uvicorn.Config(app, log_level="error", lifespan="off"))
    server.install_signal_handlers = lambda: None  # type: ignore[method-assign]
    thread = threading.Thread(target=lambda: asyncio.run(server.serve(sockets=[sock])), daemon=True)
    thread.start()
    deadline = time.monotonic() + 10
    while not server.started and time.monotonic() < deadline:
        time.sleep(0.01)
    try:
        yield f"http://127.0.0.1:{sock.getsockname()[1]}"
    finally:
        server.should_exit = True
        thread.join(timeout=10)
        sock.close()
