"""One process delivering the city's callback lane: `python -m tests.city_worker DB_URL CALLBACK_URL [...]`.

It starts as `jiesu run` does for a source with a callback (prepare, then the sender with the city
transport) and delivers until the outbox is empty or it is killed.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys

from sqlalchemy import func, select

from bot.app import App
from bot.config import HotlineSource, load
from bot.hotline_push import CityTransport
from models.tables import Outbox, OutboxStatus

from .cityfake import KEY_ID, SECRET

SOURCE = "12345热线"


def _open_rows(session: object) -> int:
    stmt = select(func.count()).where(Outbox.status.in_([OutboxStatus.PENDING, OutboxStatus.SENDING]))
    return int(session.scalar(stmt))  # type: ignore[attr-defined]


async def main(args: argparse.Namespace) -> int:
    """Deliver until empty; print what happened as one JSON line."""
    config = load(None, env={})
    config.database_url = args.db
    app = App(config)
    await app.start(console=False)
    transport = CityTransport(
        {SOURCE: HotlineSource(SOURCE, SECRET, KEY_ID, args.callback)}, timeout=args.timeout
    )
    app.add_transport(transport)
    app.sender.lease = args.lease
    app.sender.backoff_scale = args.backoff_scale
    print("ready", flush=True)
    task = asyncio.create_task(app.sender.run_forever(interval=0.1))
    while not (args.until_empty and await app.db.run(_open_rows) == 0):
        await asyncio.sleep(0.1)
    released = await app.sender.stop(2.0)
    task.cancel()
    await asyncio.gather(task, return_exceptions=True)
    await transport.close()
    app.close()
    print(json.dumps({"released": released}), flush=True)
    return 0


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("db")
    parser.add_argument("callback")
    parser.add_argument("--lease", type=float, default=2.0)
    parser.add_argument("--backoff-scale", type=float, default=0.02)
    parser.add_argument("--timeout", type=float, default=2.0)
    parser.add_argument("--until-empty", action="store_true")
    sys.exit(asyncio.run(main(parser.parse_args())))
