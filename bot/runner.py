"""`jiesu run`: start the configured channels, the outbox sender and the scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import socket
import sys
import threading
from collections.abc import Iterator

import uvicorn
from starlette.routing import BaseRoute

from bot.config import Config
from handlers import understand
from scheduler import install

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
    return host.strip("[]") or "127.0.0.1", int(port)


def _bind(host: str, port: int) -> socket.socket:
    """Listen before the channels start: a taken port is a start-up error, not a crash later."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        return socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        raise StartupError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            ["set [http] listen to a free address, e.g. 127.0.0.1:8080 behind your HTTPS proxy"],
        ) from None


class _Server(uvicorn.Server):
    """uvicorn without its own signal capture: the runner decides when and in which order to stop."""

    @contextlib.contextmanager
    def capture_signals(self) -> Iterator[None]:
        """Leave SIGINT/SIGTERM to the runner (uvicorn would swallow them, then re-raise on exit)."""
        yield


async def _close(runtime: ChannelRuntime) -> None:
    """Release a channel's clients, for channels that hold any."""
    close = getattr(runtime, "close", None)
    if close is not None:
        await close()


async def _stop_sender(app: App, task: asyncio.Task[None]) -> None:
    """Stop the background sender between two deliveries, never in the middle of one."""
    # flush() holds the sender's lock while it delivers; once we hold it the loop is idle, so
    # a message the channel acknowledged has always been marked sent.
    async with app.sender._lock:
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


async def serve(config: Config) -> int:
    """Run until Ctrl-C or SIGTERM; stop cleanly with nothing lost."""
    app = App(config)
    scheduler = install(app)
    # jieba's dictionary takes seconds to load: load it now, beside start-up, not on the first
    # resident's message (a daemon thread, so neither start-up nor Ctrl-C waits for it).
    threading.Thread(target=understand.warm, name="warm-understand", daemon=True).start()
    await app.start()
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    main = asyncio.current_task()

    def on_signal() -> None:
        if stop.is_set():  # a second Ctrl-C: stop waiting for the clean shutdown
            print("forced stop", file=sys.stderr)
            if main is not None:
                main.cancel()
        stop.set()

    runtimes: list[ChannelRuntime] = []
    started: list[ChannelRuntime] = []
    routes: list[BaseRoute] = []
    listener: socket.socket | None = None
    try:
        runtimes = _channels(app, config)
        routes = [r for rt in runtimes for r in rt.routes()]
        if routes:
            listener = _bind(*_listen(config))
        for runtime in runtimes:
            await runtime.start()
            started.append(runtime)
    except StartupError as exc:
        if listener is not None:
            listener.close()
        print(f"cannot start: {exc}", file=sys.stderr)
        for line in exc.details:
            print(f"  {line}", file=sys.stderr)
        for runtime in started:  # another channel is already receiving: stop it first
            await runtime.stop()
        for runtime in runtimes:
            await _close(runtime)
        app.close()
        return 2
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, on_signal)
    try:
        sender = asyncio.create_task(app.sender.run_forever(), name="outbox")
        server: _Server | None = None
        http: asyncio.Task[None] | None = None
        if listener is not None:
            host, port = _listen(config)
            server = _Server(
                uvicorn.Config(build_asgi(routes), host=host, port=port, log_level="warning", lifespan="off")
            )
            http = asyncio.create_task(server.serve(sockets=[listener]), name="http")
            log.warning("listening on http://%s:%s", host, port)
        scheduler.start()
        names = ", ".join(rt.name for rt in runtimes)
        print(f"jiesu is running ({names}); press Ctrl-C to stop", file=sys.stderr, flush=True)
        await stop.wait()
        print("stopping…", file=sys.stderr, flush=True)
        # 1. Stop taking messages in; what is being handled finishes and its replies are queued.
        for runtime in runtimes:
            await runtime.stop()
        if server is not None and http is not None:
            server.should_exit = True
            await http
        # 2. No new work from the clock either.
        scheduler.shutdown(wait=False)
        # 3. Deliver what is queued, then release the channels' clients and the database.
        await _stop_sender(app, sender)
        await app.sender.flush()
        for runtime in runtimes:
            await _close(runtime)
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
        app.close()
    print("stopped", file=sys.stderr, flush=True)
    return 0


def run(config: Config) -> int:
    """Blocking entry point used by the CLI; 130 when a second Ctrl-C forced the stop."""
    try:
        return asyncio.run(serve(config))
    except asyncio.CancelledError:
        return 130
