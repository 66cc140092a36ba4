"""Delivery: real sender processes, the real Telegram transport (PTB), a stand-in Bot API over HTTP.

Two scenarios per backend, each with fresh OS processes (`tests/delivery_worker.py`, started as
`jiesu run` starts: prepare under the start-up lock, then the sender):

- burst: 600 messages to 60 private chats and 100 to one group, Telegram's limits (30/s per bot,
  3 in any 3 s per chat, 20/min per group), with 1 and with 2 processes. Prints msg/s for the 600
  private messages (the group keeps to 20/min and finishes later), the fullest sliding window
  of each limit as the API saw the arrivals, and how many messages woke too late for their slot
  and were booked again.
- faults: 2,000 messages to 50 chats, 3 processes; the API fails 10% of calls (500), hangs 5%
  (past the client's timeout), answers 429 to 30% of one chat's calls and is slow for 10%.
  Prints lost / duplicated / reordered chats and how long it took.

    .venv/bin/python bench/delivery.py [--backends sqlite,postgresql] [--pg-url URL]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench.common import BACKENDS, fresh_database, table, usable_backends  # noqa: E402
from bot.app import App  # noqa: E402
from bot.config import load  # noqa: E402
from models import outbox  # noqa: E402
from models.clock import SystemClock  # noqa: E402
from models.messages import Reply  # noqa: E402
from tests.flakyapi import Faults, FlakyApi, serve  # noqa: E402

GROUP = "-1009999"


def queue(url: str, chats: list[str], per_chat: int) -> None:
    """Migrate, seed and queue per_chat numbered messages to each chat, interleaved."""
    config = load(None, env={})
    config.database_url = url
    app = App(config)
    app.prepare(console=False)
    now = SystemClock().now()

    def add(session: object) -> None:
        for n in range(per_chat):
            for chat in chats:
                outbox.enqueue(session, Reply("telegram", chat, f"{chat}#{n}"), now)  # type: ignore[arg-type]

    app.db.run_sync(add)  # type: ignore[arg-type]
    app.close()


def workers(url: str, api: str, n: int, *args: str) -> list[subprocess.Popen[str]]:
    """Start n delivery processes and wait until each is ready."""
    env = {k: v for k, v in os.environ.items() if not k.startswith("JIESU_")}
    procs = [
        subprocess.Popen(
            [sys.executable, "-m", "tests.delivery_worker", url, api, *args],
            cwd=ROOT,
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.DEVNULL,
            text=True,
        )
        for _ in range(n)
    ]
    for p in procs:
        assert p.stdout is not None
        if p.stdout.readline().strip() != "ready":
            raise RuntimeError("a delivery worker did not start")
    return procs


def fullest(times: list[float], per: float) -> int:
    """The most arrivals in any window of `per` seconds."""
    times = sorted(times)
    best, j = 0, 0
    for i, t in enumerate(times):
        while times[j] <= t - per:
            j += 1
        best = max(best, i - j + 1)
    return best


def burst(backend: str, processes: int, pg: str | None) -> list[object]:
    """600 to 60 chats + 100 to a group under Telegram's limits; stop once the 600 arrived."""
    chats = [str(6000 + i) for i in range(60)]
    url = fresh_database(backend, pg)
    queue(url, chats, 10)
    queue(url, [GROUP], 100)
    api = FlakyApi(Faults())
    with serve(api) as base:
        procs = workers(url, base, processes, "--limits", "telegram", "--grace", "1")
        start = time.time()
        deadline = time.monotonic() + 180
        while time.monotonic() < deadline:
            private = [t for chat, _, t in api.delivered if chat != GROUP]
            if len(private) >= 600:
                break
            time.sleep(0.05)
        for p in procs:
            p.send_signal(signal.SIGTERM)
        late = 0
        for p in procs:
            out, _ = p.communicate(timeout=30)
            late += sum(json.loads(line).get("late", 0) for line in out.splitlines() if line.startswith("{"))
    arrivals = list(api.delivered)
    private = sorted(t for chat, _, t in arrivals if chat != GROUP)
    group = [t for chat, _, t in arrivals if chat == GROUP]
    took = (private[-1] - start) if len(private) >= 600 else float("nan")
    per_chat = max(fullest([t for c, _, t in arrivals if c == chat], 3.0) for chat in chats)
    return [
        backend,
        processes,
        len(private),
        took,
        len(private) / took,
        len(group),
        f"{fullest([t for _, _, t in arrivals], 1.0)}/30",
        f"{per_chat}/3",
        f"{fullest(group, 60.0)}/20",
        late,
    ]


def faults(backend: str, pg: str | None) -> list[object]:
    """2,000 messages, 50 chats, 3 processes, a faulty API: count what went wrong."""
    chats, per_chat = [str(5000 + i) for i in range(50)], 40
    url = fresh_database(backend, pg)
    queue(url, chats, per_chat)
    api = FlakyApi(Faults(fail=0.1, hang=0.05, too_many=0.3, too_many_chat="5000", slow=0.1))
    with serve(api) as base:
        start = time.monotonic()
        procs = workers(url, base, 3, "--until-empty", "--limits", "fast")
        for p in procs:
            p.wait(timeout=600)
        took = time.monotonic() - start
    got = api.by_chat()
    lost = duplicated = reordered = 0
    for chat in chats:
        numbers = [int(t.split("#")[1]) for t in got.get(chat, [])]
        lost += per_chat - len(set(numbers))
        duplicated += len(numbers) - len(set(numbers))
        reordered += numbers != sorted(numbers)
    return [backend, 3, chats and len(chats) * per_chat, api.calls, lost, duplicated, reordered, took]


def main(argv: list[str] | None = None) -> int:
    """Run both scenarios on every usable backend and print the tables."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--backends", default=",".join(BACKENDS))
    p.add_argument("--pg-url", default=None)
    p.add_argument("--processes", default="1,2", help="process counts of the burst scenario")
    args = p.parse_args(argv)
    backends = usable_backends(args.backends.split(","), args.pg_url)
    rows = []
    for backend in backends:
        for n in (int(x) for x in args.processes.split(",")):
            print(f"{backend}: burst with {n} process(es) …", file=sys.stderr, flush=True)
            rows.append(burst(backend, n, args.pg_url))
    print("Burst: 600 messages to 60 chats + 100 to one group, Telegram's limits (target >= 25 msg/s)")
    headers = [
        "backend",
        "procs",
        "sent",
        "s",
        "msg/s",
        "group sent",
        "max/1s bot",
        "max/3s chat",
        "max/60s group",
        "late, rebooked",
    ]
    print(table(headers, rows))
    rows = []
    for backend in backends:
        print(f"{backend}: 2,000 messages, 3 processes, faulty API …", file=sys.stderr, flush=True)
        rows.append(faults(backend, args.pg_url))
    print("\nFaults: 2,000 queued, 3 processes; 10% 500, 5% hang, 10% slow, 429s in one chat (target 0/0/0)")
    print(table(["backend", "procs", "messages", "API calls", "lost", "duplicated", "reordered", "s"], rows))
    return 0


if __name__ == "__main__":
    sys.exit(main())
