"""Reply latency over real HTTP: `jiesu run` in webhook mode, one process, 50 residents filing reports.

The bench process plays Telegram on both sides: it POSTs each resident's update to the webhook of
a real `jiesu run` process on 127.0.0.1 (secret header and all), and serves a stand-in Bot API
on 127.0.0.1 that records when each sendMessage arrives. A reply's latency runs from the moment
the resident's update is sent to the arrival of the bot's first message in that chat. Residents
type like people: after each answer they wait --think seconds (uniform, default 1-4 s) before the
next message, so the offered load (about 19 msg/s for 50 residents) stays below Telegram's 30
messages/s per bot, which Jiesu keeps to.

    .venv/bin/python bench/webhook.py [--backends sqlite,postgresql] [--residents 50] [--think 1,4]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import os
import random
import signal
import socket
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from dataclasses import replace
from pathlib import Path
from types import SimpleNamespace
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import httpx  # noqa: E402

from bench.common import (  # noqa: E402
    BACKENDS,
    NEAR_GRID,
    Step,
    fresh_database,
    percentile,
    table,
    usable_backends,
    wizard_steps,
)
from bench.path_telegram import UpdateMaker  # noqa: E402
from tests.flakyapi import Faults, FlakyApi, serve  # noqa: E402

TOKEN = "7000000001:AAF4k3-t0ken_for-jiesu-tests"
SECRET = "bench-secret-token"
HEADER = "X-Telegram-Bot-Api-Secret-Token"


class Arrivals(FlakyApi):
    """The stand-in Bot API, waking the resident whose chat just got a message."""

    def __init__(self) -> None:
        super().__init__(Faults())
        self.loop: asyncio.AbstractEventLoop | None = None
        self.events: dict[str, asyncio.Event] = defaultdict(asyncio.Event)
        self.times: dict[str, list[float]] = defaultdict(list)

    def deliver(self, chat_id: str, text: str) -> int:
        """Record the arrival, then wake the chat's resident (on the bench's event loop)."""
        number = super().deliver(chat_id, text)
        at = time.time()
        loop = self.loop
        # After the measurement the bench's loop is closed while `jiesu run` still sends (the last
        # replies, until SIGTERM): those arrivals are not waited for by anyone.
        if loop is not None and not loop.is_closed():
            with contextlib.suppress(RuntimeError):  # closed between the check and the call
                loop.call_soon_threadsafe(self._arrived, chat_id, at)
        return number

    def _arrived(self, chat: str, at: float) -> None:
        self.times[chat].append(at)
        self.events[chat].set()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_jiesu(url: str, api: str, folder: str) -> tuple[subprocess.Popen[str], str]:
    """`jiesu run` in webhook mode against the stand-in; returns the process and its base URL."""
    port = _free_port()
    config = Path(folder) / "jiesu.toml"
    config.write_text(
        "[subdistrict]\ndemo = true\n"  # `jiesu run` on a chat channel seeds the demo only when asked
        f'[telegram]\ntoken = "{TOKEN}"\nbase_url = "{api}"\n'
        f'webhook_url = "https://bench.example.org/telegram/webhook"\nsecret_token = "{SECRET}"\n'
        f'[http]\nlisten = "127.0.0.1:{port}"\n',
        encoding="utf-8",
    )
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIESU_")}
    process = subprocess.Popen(
        [sys.executable, "-m", "bot.cli", "run", "--config", str(config), "--db", url],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=open(Path(folder) / "jiesu.log", "w"),  # noqa: SIM115 - closed with the folder
        text=True,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"jiesu run exited {process.returncode}: see {folder}/jiesu.log")
        try:
            if httpx.get(f"{base}/healthz", timeout=1.0).status_code == 200:
                return process, base
        except httpx.HTTPError:
            pass
        time.sleep(0.1)
    process.kill()
    raise RuntimeError("jiesu run did not answer /healthz in 120 s")


async def resident(
    name: str,
    http: httpx.AsyncClient,
    api: Arrivals,
    updates: UpdateMaker,
    steps: list[Step],
    think: tuple[float, float],
    rng: random.Random,
    into: list[float],
) -> None:
    """One resident's wizard: each message waits for its first answer, then a human pause."""
    await asyncio.sleep(rng.uniform(*think))
    for n, step in enumerate(steps):
        update = updates(step)
        chat = str(update.get("message", update.get("callback_query", {})).get("from", {}).get("id"))
        before = len(api.times[chat])
        sent = time.time()
        response = await http.post("/telegram/webhook", json=update, headers={HEADER: SECRET})
        if response.status_code != 200:
            raise RuntimeError(f"webhook answered {response.status_code} to {step}")
        while len(api.times[chat]) <= before:
            api.events[chat].clear()
            try:
                await asyncio.wait_for(api.events[chat].wait(), timeout=30)
            except TimeoutError:
                raise RuntimeError(f"no answer in 30 s to step {n + 1} of {name}") from None
        into.append(api.times[chat][before] - sent)
        await asyncio.sleep(rng.uniform(*think))


async def measure(base: str, api: Arrivals, residents: int, think: tuple[float, float]) -> dict[str, Any]:
    """Every resident at once, each at its own pace; the latency of each first answer."""
    api.loop = asyncio.get_running_loop()
    updates = UpdateMaker(SimpleNamespace(chats={}, queries=set()))  # type: ignore[arg-type]
    rng = random.Random(7)
    limits = httpx.Limits(max_connections=residents + 10, max_keepalive_connections=residents + 10)
    async with httpx.AsyncClient(base_url=base, limits=limits, timeout=60) as http:
        latencies: list[float] = []
        start = time.time()
        try:
            await asyncio.gather(
                *(
                    resident(f"r{i}", http, api, updates, spot(i), think, rng, latencies)
                    for i in range(residents)
                )
            )
        finally:
            api.loop = None  # this loop ends here; later arrivals wake nobody
        took = time.time() - start
    return {"latencies": latencies, "took": took}


def spot(i: int) -> list[Step]:
    """Resident i's wizard, at a spot of its own (about 170 m apart: no duplicate-ticket offers)."""
    lat, lon = NEAR_GRID
    where = (lat + (i % 7 - 3) * 0.0016, lon + (i // 7 - 3) * 0.0018)
    return [replace(s, location=where) if s.location else s for s in wizard_steps(f"r{i}")]


def run(backend: str, args: argparse.Namespace) -> list[object]:
    """One `jiesu run` process on a fresh database of the backend."""
    url = fresh_database(backend, args.pg_url)
    think = tuple(float(x) for x in args.think.split(","))
    api = Arrivals()
    with tempfile.TemporaryDirectory(prefix="jiesu-webhook-") as folder, serve(api) as api_url:
        process, base = start_jiesu(url, api_url, folder)
        try:
            load = os.getloadavg()[0]
            result = asyncio.run(measure(base, api, args.residents, think))  # type: ignore[arg-type]
        finally:
            process.send_signal(signal.SIGTERM)
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
    lat = result["latencies"]
    p50, p90, p99 = (percentile(lat, q) * 1000 for q in (50, 90, 99))
    ok = p50 < 100 and p99 < 1000
    return [
        backend,
        len(lat),
        len(lat) / result["took"],
        p50,
        p90,
        p99,
        max(lat) * 1000,
        f"{load:.1f}",
        "met" if ok else "NOT met",
    ]


def main(argv: list[str] | None = None) -> int:
    """Run on every usable backend and print the table."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--backends", default=",".join(BACKENDS))
    p.add_argument("--pg-url", default=None)
    p.add_argument("--residents", type=int, default=50)
    p.add_argument("--think", default="1,4", help="seconds a resident pauses after an answer: MIN,MAX")
    args = p.parse_args(argv)
    rows = []
    for backend in usable_backends(args.backends.split(","), args.pg_url):
        print(f"{backend}: {args.residents} residents over HTTP …", file=sys.stderr, flush=True)
        rows.append(run(backend, args))
    print(
        f"Reply latency over HTTP: `jiesu run` (webhook, one process), {args.residents} residents x 9 "
        f"messages, {args.think} s pauses (target p50 < 100 ms, p99 < 1 s)"
    )
    headers = ["backend", "replies", "msg/s", "p50 ms", "p90 ms", "p99 ms", "max ms", "load", "target"]
    print(table(headers, rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
