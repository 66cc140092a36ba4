"""One inbound process for the kill -9 test: `python -m tests.inbound_worker DB_URL USERS`.

It starts as `jiesu run` does (prepare under the start-up lock) and hands every user's two
messages (/report, then the typed category 其他) to App.handle, all users at once and each
user's messages in order, printing `ack USER N` once message N is committed (the moment a
webhook would answer 200). Messages already seen are answered as duplicates, so running it
again after a kill resends everything, as Telegram redelivers what was not acknowledged.
"""

from __future__ import annotations

import asyncio
import sys

from bot.app import App
from bot.config import load
from models.messages import ChatKind, Inbound

STEPS = ("/report", "其他")


def message(user: str, n: int) -> Inbound:
    """The n-th message of a user, with the same id on every run."""
    return Inbound(
        channel="console",
        chat_id=user,
        user_id=user,
        chat_kind=ChatKind.PRIVATE,
        message_id=f"{user}-{n}",
        text=STEPS[n],
        user_name=user,
        user_handle=user,
    )


async def main(url: str, users: int) -> int:
    """Send every user's messages; print an ack line per committed message."""
    config = load(None, env={})
    config.database_url = url
    app = App(config)
    await app.start(console=False)
    print("ready", flush=True)

    async def resident(user: str) -> None:
        for n in range(len(STEPS)):
            await app.handle(message(user, n))
            print(f"ack {user} {n}", flush=True)

    await asyncio.gather(*(resident(f"u{i:04d}") for i in range(users)))
    app.close()
    print("done", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(asyncio.run(main(sys.argv[1], int(sys.argv[2]))))
