"""`jiesu run`: start the configured channels, the outbox sender and the scheduler."""

from __future__ import annotations

import asyncio
import logging
import signal
import sys

import uvicorn

from jiesu.config import Config
from jiesu.scheduler import install

from .app import App
from .runtime import ChannelRuntime, StartupError
from .web import build_asgi

log = logging.getLogger(__name__)


def _channels(app: App, config: Config) -> list[ChannelRuntime]:
    runtimes: list[ChannelRuntime] = []
    if config.telegram.token:
        from .channels.telegram import setup as telegram_setup

        runtimes.append(telegram_setup(app, config))
    if config.wechat.token:
        from .channels.wechat import setup as wechat_setup

        runtimes.append(wechat_setup(app, config))
    return runtimes


def _listen(config: Config) -> tuple[str, int]:
    host, _, port = config.http_listen.rpartition(":")
    return host or "127.0.0.1", int(port)


async def serve(config: Config) -> int:
    """Run until Ctrl-C or SIGTERM; stop cleanly with nothing lost."""
    app = App(config)
    scheduler = install(app)
    await app.start()
    runtimes = _channels(app, config)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    try:
        for runtime in runtimes:
            await runtime.start()
    except StartupError as exc:
        print(f"cannot start: {exc}", file=sys.stderr)
        for line in exc.details:
            print(f"  {line}", file=sys.stderr)
        app.close()
        return 2
    routes = [r for rt in runtimes for r in rt.routes()]
    tasks = [asyncio.create_task(app.sender.run_forever(), name="outbox")]
    server = None
    if routes:
        host, port = _listen(config)
        server = uvicorn.Server(
            uvicorn.Config(build_asgi(routes), host=host, port=port, log_level="warning", lifespan="off")
        )
        tasks.append(asyncio.create_task(server.serve(), name="http"))
        log.warning("listening on http://%s:%s", host, port)
    scheduler.start()
    names = ", ".join(rt.name for rt in runtimes)
    print(f"jiesu is running ({names}); press Ctrl-C to stop", file=sys.stderr)
    await stop.wait()
    print("stopping…", file=sys.stderr)
    scheduler.shutdown(wait=False)
    for runtime in runtimes:
        await runtime.stop()
    if server is not None:
        server.should_exit = True
    tasks[0].cancel()
    await asyncio.gather(*tasks, return_exceptions=True)
    await app.sender.flush()
    app.close()
    return 0


def run(config: Config) -> int:
    """Blocking entry point used by the CLI."""
    return asyncio.run(serve(config))
