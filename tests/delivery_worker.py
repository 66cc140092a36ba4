"""One delivery process for the process tests: `python -m tests.delivery_worker DB_URL API_URL [options]`.

It starts as `jiesu run` does (prepare under the start-up lock, then the real Telegram transport
through PTB against the stand-in API) and delivers the outbox until it is empty or a signal
comes; SIGTERM stops it with `Sender.stop(grace)`.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import signal
import sys

from sqlalchemy import func, select
from telegram.request import HTTPXRequest

from bot.app import App
from bot.channels.telegram import build_application
from bot.channels.telegram_transport import TelegramTransport
from bot.config import TelegramConfig, load
from bot.delivery import UNLIMITED, ChannelLimits, Rate
from models.tables import Outbox, OutboxStatus

TOKEN = "7000000001:AAF4k3-t0ken_for-jiesu-tests"
FAST = ChannelLimits(bot=Rate(300, 1.0), chat=Rate(3, 0.3), group=Rate(20, 6.0))


def _open_rows(session: object) -> int:
    stmt = select(func.count()).where(Outbox.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
    return int(session.scalar(stmt))  # type: ignore[attr-defined]


async def main(args: argparse.Namespace) -> int:
    """Deliver until empty (or a signal); print what happened as one JSON line."""
    os.environ.setdefault("PTB_TIMEDELTA", "true")  # as `jiesu` does at its entry point
    config = load(None, env={})
    config.database_url = args.db
    config.telegram = TelegramConfig(token=TOKEN, base_url=args.api)
    app = App(config)
    await app.start(console=False)
    request = HTTPXRequest(
        connection_pool_size=256, read_timeout=args.timeout, connect_timeout=2.0, pool_timeout=5.0
    )
    application = build_application(config.telegram, request=request)
    await application.initialize()
    limits = {"none": UNLIMITED, "fast": FAST}.get(args.limits)
    app.add_transport(TelegramTransport(application.bot, app.db, app.clock, limits))
    app.sender.lease = args.lease
    app.sender.backoff_scale = args.backoff_scale
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    loop.add_signal_handler(signal.SIGTERM, stop.set)
    print("ready", flush=True)
    task = asyncio.create_task(app.sender.run_forever(interval=0.2))
    while not stop.is_set():
        if args.until_empty and await app.db.run(_open_rows) == 0:
            break
        await asyncio.sleep(0.2)
    released = await app.sender.stop(args.grace)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await application.shutdown()
    app.close()
    print(json.dumps({"released": released, "late": app.sender.late}), flush=True)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("api")
    parser.add_argument("--lease", type=float, default=3.0)
    parser.add_argument("--backoff-scale", type=float, default=0.02)
    parser.add_argument("--grace", type=float, default=2.0)
    parser.add_argument("--timeout", type=float, default=1.0)
    parser.add_argument("--limits", choices=["none", "fast", "telegram"], default="fast")
    parser.add_argument("--until-empty", action="store_true")
    sys.exit(asyncio.run(main(parser.parse_args())))
