"""企业微信: 100 WeCom taps on one card at once, and a grid of 30 workers' card fan-out within limits.

The real WeCom channel and outbox against the fake qyapi of tests/wecomfake.py, over HTTP (ASGI):
every tap is an encrypted, signed callback. Race: N workers of one grid tap the card's 抢单 at
the same moment (asyncio.gather of the POSTs); the database must give exactly one winner, the
card is updated once. Fan-out: T tickets are filed at once in a grid of 30 WeCom workers; the
sender must deliver every card and update while no member gets more than 30 messages in any 60 s
(WeCom drops the rest), measured on the limits' clock.

    .venv/bin/python bench/wecom.py [--backends sqlite,postgresql] [--workers 100] [--grid 30] [--tickets 20]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import defaultdict
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from sqlalchemy import select  # noqa: E402
from sqlalchemy.orm import Session  # noqa: E402

from bench.common import BACKENDS, fresh_database, table, usable_backends  # noqa: E402
from bot.channels.console import Console, ConsoleLineError  # noqa: E402
from handlers.payloads import Grab  # noqa: E402
from models.people import get_or_create_person, grant  # noqa: E402
from models.refdata import area_tree  # noqa: E402
from models.tables import Outbox, OutboxStatus, Role, Ticket  # noqa: E402
from tests.harness import Harness  # noqa: E402
from tests.wecomfake import WecomEnv  # noqa: E402


def _workers(wc: WecomEnv, n: int) -> list[str]:
    names = [f"w{i:03d}" for i in range(n)]

    def work(s: Session) -> None:
        area = area_tree(s).by_code("siji-1")
        assert area is not None
        for name in names:
            person = get_or_create_person(s, "wecom", name, wc.clock.now(), chat_id=name)
            grant(s, person, Role.WORKER, area.id, None, wc.clock.now())

    wc.app.db.run_sync(work)
    return names


async def _file(h: Harness, user: str) -> int:
    """File a ticket through the console wizard, saying 不是 when it looks like an earlier one."""
    try:
        return await h.report(user)
    except ConsoleLineError:
        said = h.to(user, await h.say(f"{user}: [tap 不是，继续提交]"))
        if not any(t.startswith("已受理") for t in said):
            said = h.to(user, await h.say(f"{user}: [tap 确认提交]"))
        done = next(t for t in said if t.startswith("已受理"))
        return int(done.split("#")[1].split("。")[0])


async def _settle(wc: WecomEnv) -> float:
    """Deliver until nothing of WeCom's is pending; the limits' seconds it took."""
    start = wc.vt.t
    for _ in range(200):
        await wc.deliver()
        pending = wc.app.db.run_sync(
            lambda s: s.scalar(
                select(Outbox.id).where(Outbox.channel == "wecom", Outbox.status == OutboxStatus.PENDING)
            )
        )
        if pending is None:
            break
        await wc.wait(5)
    return wc.vt.t - start


async def race(backend: str, args: argparse.Namespace) -> list[object]:
    """N taps at once on one card: winners, burst time, card updates."""
    wc = await WecomEnv.create(fresh_database(backend, args.pg_url))
    try:
        names = _workers(wc, args.workers)
        await wc.channel.housekeep()
        h = Harness(wc.app, Console(wc.app, wc.console), wc.console, wc.clock)
        ticket_id = await h.report("r1")
        await _settle(wc)
        [card] = [m["template_card"] for m in wc.fake.sent if m["msgtype"] == "template_card"]
        bodies = [wc.tap_xml(n, Grab(ticket_id).pack(), card["task_id"]) for n in names]
        start = time.perf_counter()
        answers = await asyncio.gather(*(wc.post(b) for b in bodies))
        burst = time.perf_counter() - start
        await _settle(wc)
        ticket = wc.app.db.run_sync(lambda s: s.get(Ticket, ticket_id))
        won = sum(1 for n in names if any(t.startswith("抢单成功") for t in wc.fake.texts_to(n)))
        ok = sum(1 for a in answers if a.status_code == 200)
        return [backend, args.workers, ok, won, ticket.status, len(wc.fake.updates), burst * 1000]
    finally:
        await wc.close()


async def fanout(backend: str, args: argparse.Namespace) -> list[object]:
    """T tickets at once in a grid of G workers: cards, updates, API calls, worst member minute."""
    wc = await WecomEnv.create(fresh_database(backend, args.pg_url))
    try:
        names = _workers(wc, args.grid)
        await wc.channel.housekeep()
        h = Harness(wc.app, Console(wc.app, wc.console), wc.console, wc.clock)
        arrivals: dict[str, list[float]] = defaultdict(list)
        original_send = wc.channel.client.send

        def send(touser: str, message: dict[str, object]) -> dict[str, object]:
            for user in touser.split("|"):
                arrivals[user].append(wc.vt.t)
            return original_send(touser, message)

        wc.channel.client.send = send  # type: ignore[method-assign]
        ids = [await _file(h, f"r{i}") for i in range(args.tickets)]
        start = time.perf_counter()
        posted = await _settle(wc)
        for ticket_id in ids:  # the first worker grabs each: every card is updated
            await wc.tap(names[0], Grab(ticket_id).pack(), "t")
        updated = await _settle(wc)
        seconds = time.perf_counter() - start
        worst = max(
            (sum(1 for u in times if t <= u < t + 60) for times in arrivals.values() for t in times),
            default=0,
        )
        cards = sum(1 for m in wc.fake.sent if m["msgtype"] == "template_card")
        calls = len(wc.fake.sent) + len(wc.fake.updates)
        return [
            backend,
            args.grid,
            args.tickets,
            cards,
            len(wc.fake.updates),
            calls,
            worst,
            posted,
            updated,
            seconds,
        ]
    finally:
        await wc.close()


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    """Command line options."""
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    p.add_argument("--backends", default=",".join(BACKENDS), help="sqlite,postgresql (default: both)")
    p.add_argument("--workers", type=int, default=100, help="workers tapping at once (default 100)")
    p.add_argument("--grid", type=int, default=30, help="WeCom workers of the fan-out grid (default 30)")
    p.add_argument(
        "--tickets", type=int, default=20, help="tickets filed at once for the fan-out (default 20)"
    )
    p.add_argument(
        "--pg-url", default=None, help="PostgreSQL URL (default: $JIESU_BENCH_POSTGRES_URL or test_bench)"
    )
    return p.parse_args(argv)


async def main(argv: list[str] | None = None) -> int:
    """Run the race and the fan-out on each backend; print the figures and the verdict."""
    args = parse_args(argv)
    backends = usable_backends([b.strip() for b in args.backends.split(",") if b.strip()], args.pg_url)
    races = [await race(b, args) for b in backends]
    print(table(["backend", "taps", "HTTP 200", "winners", "status", "card updates", "burst ms"], races))
    fans = [await fanout(b, args) for b in backends]
    print(
        table(
            [
                "backend",
                "grid",
                "tickets",
                "cards",
                "updates",
                "API calls",
                "max/member/60s",
                "post s (limits)",
                "update s (limits)",
                "wall s",
            ],
            fans,
        )
    )
    bad = [r for r in races if r[3] != 1 or r[4] != "claimed" or r[5] != 1] + [
        f for f in fans if int(f[6]) > 30
    ]  # type: ignore[call-overload]
    print("OK" if not bad else f"PROBLEMS: {bad}")
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main()))
