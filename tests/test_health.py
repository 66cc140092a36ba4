"""/healthz names every part that is down; /readyz waits for the channels; `jiesu run` serves both."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import socket
import subprocess
import sys
from pathlib import Path

import httpx

from bot.delivery import Delivery, OutgoingMessage
from bot.health import Health, Heartbeat, sender_check
from bot.runner import _receiving
from bot.version import __version__
from bot.watch import Watched
from bot.web import build_asgi

from .tgfake import TOKEN, FakeBotApi, Updates, cast, serve_http

ROOT = Path(__file__).resolve().parent.parent


async def get(health: Health, path: str = "/healthz") -> tuple[int, dict[str, object]]:
    """Status and JSON body of /healthz or /readyz."""
    transport = httpx.ASGITransport(app=build_asgi([], health))
    async with httpx.AsyncClient(transport=transport, base_url="http://jiesu") as client:
        response = await client.get(path)
    return response.status_code, response.json()


async def test_a_stopped_sender_and_a_silent_scheduler_are_named() -> None:
    """A crashed sender task and a scheduler without a scan for 3 intervals are each named as down."""
    health = Health()
    now = [1000.0]
    beat = Heartbeat(60.0, clock=lambda: now[0])
    health.add("scheduler", beat.check)

    async def crash() -> None:
        raise RuntimeError("boom")

    task = asyncio.create_task(crash())
    health.add("outbox sender", sender_check(lambda: task))
    await asyncio.gather(task, return_exceptions=True)
    status, body = await get(health)
    assert (status, body["down"]) == (503, ["outbox sender"])
    assert body["checks"] == {"scheduler": "ok", "outbox sender": "stopped: RuntimeError"}
    now[0] += 3 * 60 + 1  # three intervals and a second without a tick
    status, body = await get(health)
    assert body["down"] == ["scheduler", "outbox sender"]
    beat.beat()
    assert (await get(health))[1]["down"] == ["outbox sender"]


class _Transport:
    """A transport whose answers the test decides."""

    channel = "telegram"
    limits = "the real transport's limits"

    def __init__(self) -> None:
        self.answer = Delivery(ok=True)

    async def deliver(self, message: OutgoingMessage) -> Delivery:
        return self.answer


async def test_a_refused_token_is_named_until_a_delivery_succeeds() -> None:
    """A 401 from Telegram marks the channel down; the next delivery that works clears it."""
    health, inner = Health(), _Transport()
    watched = Watched(inner, health)  # type: ignore[arg-type]
    assert watched.limits == inner.limits  # the sender reads the real transport's attributes
    message = OutgoingMessage(1, "telegram", "1", "hi", (), None, None, 0)
    inner.answer = Delivery(ok=False, error="InvalidToken: Unauthorized")
    await watched.deliver(message)
    status, body = await get(health)
    assert (status, body["down"]) == (503, ["telegram"])
    assert body["checks"]["telegram"] == "token refused: InvalidToken: Unauthorized"  # type: ignore[index]
    inner.answer = Delivery(ok=False, error="network: timed out")  # not about the token
    await watched.deliver(message)
    assert (await get(health))[1]["down"] == ["telegram"]
    inner.answer = Delivery(ok=True)
    await watched.deliver(message)
    assert (await get(health))[0] == 200
    inner.channel = "wechat"
    wechat = Watched(inner, health)  # type: ignore[arg-type]
    inner.answer = Delivery(ok=False, error="wechat errcode 45047: out of response count limit")
    await wechat.deliver(message)
    assert (await get(health))[0] == 200  # a quota, not the credentials
    inner.answer = Delivery(ok=False, error="wechat errcode 40001: invalid credential")
    await wechat.deliver(message)
    assert (await get(health))[1]["down"] == ["wechat"]


class _SlowChannel:
    """A channel whose start (registering its webhook) waits for the test."""

    name = "slow"

    def __init__(self) -> None:
        self.go = asyncio.Event()

    def routes(self) -> list[object]:
        return []

    async def start(self) -> None:
        await self.go.wait()

    async def stop(self) -> None:
        return None


async def test_readiness_waits_until_every_channel_accepts_updates() -> None:
    """/readyz is 503 while a channel is still starting, 200 once it has, 503 again when stopping."""
    health, channel = Health(), _SlowChannel()
    entered = asyncio.Event()

    async def serve() -> None:
        async with _receiving([channel], health):  # type: ignore[list-item]
            entered.set()
            await stopping.wait()

    stopping = asyncio.Event()
    task = asyncio.create_task(serve())
    await asyncio.sleep(0)
    assert (await get(health, "/readyz"))[0] == 503
    assert (await get(health))[0] == 200  # alive, just not ready
    channel.go.set()
    await entered.wait()
    status, body = await get(health, "/readyz")
    assert (status, body["ready"]) == (200, True)
    stopping.set()
    await task
    assert (await get(health, "/readyz"))[0] == 503


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


async def _until(process: subprocess.Popen[str], url: str, ok: int = 200) -> httpx.Response:
    """Poll url until it answers `ok`, failing early if the process died."""
    async with httpx.AsyncClient(timeout=2) as client:
        for _ in range(1200):
            if process.poll() is not None:
                raise AssertionError(f"jiesu run exited {process.returncode}: {process.stderr.read()}")  # type: ignore[union-attr]
            try:
                response = await client.get(url)
                if response.status_code == ok:
                    return response
            except httpx.TransportError:
                pass
            await asyncio.sleep(0.05)
    raise AssertionError(f"{url} never answered {ok}")


async def test_jiesu_run_in_long_polling_serves_health_readiness_and_metrics(
    db_url: str, tmp_path: Path
) -> None:
    """Long polling (no webhook): /healthz lists every part up, /readyz is 200, /metrics counts messages."""
    api, http, scrape = FakeBotApi(), _free_port(), _free_port()
    updates = Updates(api)
    r1 = cast(updates).r1
    with serve_http(api) as base_url:
        config = tmp_path / "jiesu.toml"
        config.write_text(
            f'[subdistrict]\ndemo = true\n[telegram]\ntoken = "{TOKEN}"\nbase_url = "{base_url}"\n'
            f'[http]\nlisten = "127.0.0.1:{http}"\n[metrics]\nlisten = "127.0.0.1:{scrape}"\n'
            '[log]\nformat = "json"\n',
            encoding="utf-8",
        )
        env = {k: v for k, v in os.environ.items() if not k.startswith("JIESU_")}
        env["JIESU_START_RETRY_SECONDS"] = "0"
        process = subprocess.Popen(
            [sys.executable, "-m", "bot.cli", "run", "--config", str(config), "--db", db_url],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )
        try:
            ready = (await _until(process, f"http://127.0.0.1:{http}/readyz")).json()
            assert ready["version"] == __version__ and ready["ready"] is True
            parts = {"database", "outbox sender", "scheduler", "telegram", "telegram updates"}
            assert set(ready["checks"]) == parts
            assert set(ready["checks"].values()) == {"ok"}
            api.push(updates.text(r1, "/start"))
            body = ""
            for _ in range(1200):
                body = (await _until(process, f"http://127.0.0.1:{scrape}/metrics")).text
                if 'jiesu_delivery_attempts_total{channel="telegram",result="ok"} 1.0' in body:
                    break
                await asyncio.sleep(0.05)
            assert 'jiesu_inbound_messages_total{channel="telegram",outcome="handled"} 1.0' in body
            assert f'jiesu_build_info{{version="{__version__}"}} 1.0' in body
        finally:
            process.send_signal(signal.SIGTERM)
            _, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    lines = [json.loads(line) for line in err.splitlines() if line.startswith("{")]
    assert lines[0]["msg"].startswith(f"jiesu {__version__} (Python ") and lines[0]["msg"].endswith(
        "starting"
    )
    handled = [line for line in lines if line["logger"] == "bot.observe"]
    assert len(handled) == 1 and handled[0]["id"].startswith("telegram-")
