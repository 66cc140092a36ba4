"""`jiesu run`: start the configured channels, the outbox sender and the scheduler."""

from __future__ import annotations

import asyncio
import contextlib
import functools
import gc
import logging
import os
import signal
import socket
import sys
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator, Sequence
from contextlib import AsyncExitStack, asynccontextmanager

import uvicorn
from apscheduler.schedulers.asyncio import AsyncIOScheduler
from starlette.routing import BaseRoute

from bot.config import Config
from handlers import reader, understand
from scheduler import SLA_SCAN, install

from . import office
from .app import App
from .exitcodes import Exit
from .health import Health, Heartbeat, legacy, sender_check
from .runtime import ChannelRuntime, StartupError
from .version import __version__, describe
from .watch import watch_transports
from .web import Check, accepting_check, build_asgi, database_check, tile_source

log = logging.getLogger(__name__)


def _channels(app: App, config: Config) -> list[ChannelRuntime]:
    runtimes: list[ChannelRuntime] = []
    if config.telegram.token:
        from .channels.telegram import setup as telegram_setup

        runtimes.append(telegram_setup(app, config))
    if config.wechat.token:
        from .channels.wechat import setup as wechat_setup

        runtimes.append(wechat_setup(app, config))
    if config.wecom.token:
        from .channels.wecom import setup as wecom_setup

        runtimes.append(wecom_setup(app, config))
    if any(s.callback for s in config.hotline.sources.values()):
        from .hotline_push import setup as city_setup

        runtimes.append(city_setup(app, config))
    return runtimes


def _listen(config: Config) -> tuple[str, int]:
    host, _, port = config.http_listen.rpartition(":")
    return host.strip("[]") or "127.0.0.1", int(port)


def _bind(host: str, port: int) -> socket.socket:
    """Listen before the channels start: a taken port is a start-up error, not a crash later."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    try:
        sock = socket.create_server((host, port), family=family, backlog=2048)
    except OSError as exc:
        raise StartupError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}",
            ["set [http] listen to a free address, e.g. 127.0.0.1:8080 behind your HTTPS proxy"],
            temporary=True,  # often the previous process still stopping: worth another try
        ) from None
    # Accepted connections inherit it: a response's headers and body are not held back ~40 ms
    # waiting for the client's delayed ACK (Nagle).
    sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
    return sock


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


@asynccontextmanager
async def _database(app: App) -> AsyncIterator[None]:
    """The database, released last."""
    try:
        yield
    finally:
        app.close()


@asynccontextmanager
async def _clients(runtimes: list[ChannelRuntime]) -> AsyncIterator[None]:
    """The channels' HTTP clients, closed after the last delivery."""
    try:
        yield
    finally:
        for runtime in runtimes:
            await _close(runtime)


@asynccontextmanager
async def _delivering(app: App, grace: float, health: Health) -> AsyncIterator[None]:
    """The background sender; on exit, sends in flight get `grace` seconds and every lease is released."""
    app.sender.settles_unserved = True  # a row no channel here delivers is settled, not left waiting
    task = asyncio.create_task(app.sender.run_forever(), name="outbox")
    health.add("outbox sender", sender_check(lambda: task))
    try:
        yield
    finally:
        released = await app.sender.stop(grace)
        if released:
            log.warning("%d queued messages left for the next start (or another process)", released)
        task.cancel()
        with contextlib.suppress(asyncio.CancelledError):
            await task


@asynccontextmanager
async def _scheduled(scheduler: AsyncIOScheduler, health: Health, every: float) -> AsyncIterator[None]:
    """The clock's jobs (SLA scans, digest); each SLA scan that runs is the scheduler's heartbeat."""
    beat = Heartbeat(every)
    for ticker in getattr(scheduler, "tickers", []):
        if ticker.name == SLA_SCAN:
            scan = ticker.job

            async def beating(scan: Callable[[], Awaitable[object]] = scan) -> object:
                done = await scan()
                beat.beat()
                return done

            ticker.job = beating
    health.add("scheduler", beat.check)
    scheduler.start()
    try:
        yield
    finally:
        scheduler.shutdown(wait=False)


def health_checks(app: App, runtimes: Sequence[ChannelRuntime]) -> dict[str, Check]:
    """/healthz: the database reads and writes, and every channel that receives takes updates now."""
    checks = {"database": database_check(app.db)}
    for rt in runtimes:
        if hasattr(rt, "accepting"):
            accepting = functools.partial(getattr, rt, "accepting")
            checks[f"{rt.name} updates"] = accepting_check(rt.name, accepting)
    return checks


@asynccontextmanager
async def _http(
    health: Health, config: Config, listener: socket.socket | None, routes: list[BaseRoute]
) -> AsyncIterator[None]:
    """The webhook server on the socket bound at start-up; it stops taking requests first."""
    if listener is None:
        yield
        return
    host, port = _listen(config)
    server = _Server(
        uvicorn.Config(
            build_asgi(
                routes,
                health,
                https=config.web.base_url.startswith("https://"),
                image_hosts=tile_source(config.web.tiles_url),
            ),
            host=host,
            port=port,
            log_level="warning",
            lifespan="off",
        )
    )
    http = asyncio.create_task(server.serve(sockets=[listener]), name="http")
    log.warning("listening on http://%s:%s", host, port)
    try:
        yield
    finally:
        server.should_exit = True
        await http


@asynccontextmanager
async def _metrics(app: App, config: Config, scheduler: AsyncIOScheduler) -> AsyncIterator[None]:
    """Prometheus /metrics on a listener of its own, when [metrics] listen is set."""
    if not config.observe.metrics_listen:
        yield
        return
    from . import metrics

    collected = metrics.enable()
    collected.watch_database(app.db, app.clock.now)
    job = scheduler.get_job("sla-scan")
    if job is not None:
        job.modify(func=collected.timed_scan(job.func))
    host, _, port = config.observe.metrics_listen.rpartition(":")
    listener = _bind(host.strip("[]"), int(port))
    server = _Server(
        uvicorn.Config(
            metrics.asgi(collected, config.observe.metrics_token),
            log_level="warning",
            lifespan="off",
        )
    )
    task = asyncio.create_task(server.serve(sockets=[listener]), name="metrics")
    log.warning("metrics on http://%s/metrics", config.observe.metrics_listen)
    try:
        yield
    finally:
        server.should_exit = True
        await task
        metrics.disable()


@asynccontextmanager
async def _receiving(runtimes: list[ChannelRuntime], health: Health) -> AsyncIterator[None]:
    """The channels take messages in; on exit what is being handled finishes (replies queued).

    Ready (/readyz) once every channel has started: its webhook is registered, polling runs.
    """
    started: list[ChannelRuntime] = []
    try:
        for runtime in runtimes:
            await runtime.start()
            started.append(runtime)
        health.ready = True
        yield
    finally:
        health.ready = False
        for runtime in started:
            await runtime.stop()


def _signals(stop: asyncio.Event) -> Callable[[], None]:
    """First Ctrl-C/SIGTERM: stop cleanly. Second: exit 130 at once (leases run out in seconds)."""

    def on_signal() -> None:
        if stop.is_set():
            print("forced stop", file=sys.stderr, flush=True)
            os._exit(130)
        print("stopping…", file=sys.stderr, flush=True)
        stop.set()

    return on_signal


def settle_heap() -> None:
    """Move what start-up built (modules, jieba's dictionary, caches) out of the collector's way.

    Full collections walk every tracked object; frozen ones are skipped, so they stay short (the
    p99 of a web page at 100k tickets: bench/web.py).
    """
    gc.collect()
    gc.freeze()


def _warm() -> None:
    understand.warm()
    reader.warm()  # the trained reader: scikit-learn and the model file, about 1.2 s of CPU
    settle_heap()


async def serve(config: Config) -> int:
    """Run until Ctrl-C or SIGTERM; stop in order, within the grace period, with nothing lost."""
    from .logs import setup as setup_logs

    setup_logs(config.observe)
    log.info("%s starting", describe())
    app = App(config)
    scheduler = install(app)
    health = Health()
    health.add("database", legacy(database_check(app.db)))
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, _signals(stop))
    try:
        async with AsyncExitStack() as stack:
            await stack.enter_async_context(_database(app))
            # jieba's dictionary and the trained model take seconds to load: load them beside
            # start-up, not on the first resident's message (a daemon thread, so neither start-up
            # nor a stop waits for it).
            threading.Thread(target=_warm, name="warm-understand", daemon=True).start()
            await app.start(console=False)
            runtimes = _channels(app, config)
            routes = [r for rt in runtimes for r in rt.routes()]
            routes += office.routes(app, config)  # web office, progress pages, Open311
            for name, check in health_checks(app, runtimes).items():  # writes, updates taken
                health.add(name, legacy(check))
            # Always listen, for /healthz and /readyz even in long polling (no webhook routes).
            listener = _bind(*_listen(config))
            watch_transports(app, health)
            await stack.enter_async_context(_clients(runtimes))
            await stack.enter_async_context(_delivering(app, config.delivery_grace, health))
            every = config.rules.sla.scan_every.total_seconds()
            await stack.enter_async_context(_metrics(app, config, scheduler))
            await stack.enter_async_context(_scheduled(scheduler, health, every))
            await stack.enter_async_context(_http(health, config, listener, routes))
            await stack.enter_async_context(_receiving(runtimes, health))
            names = ", ".join(rt.name for rt in runtimes) or "web"
            print(
                f"jiesu {__version__} is running ({names}); press Ctrl-C to stop", file=sys.stderr, flush=True
            )
            await stop.wait()
    except StartupError as exc:
        print(f"cannot start: {exc}", file=sys.stderr)
        for line in exc.details:
            print(f"  {line}", file=sys.stderr)
        return Exit.TEMPORARY if exc.temporary else Exit.CONFIG
    finally:
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.remove_signal_handler(sig)
    print("stopped", file=sys.stderr, flush=True)
    return Exit.OK


def run(config: Config) -> int:
    """Blocking entry point used by the CLI (130 comes from a second signal, see _signals)."""
    return asyncio.run(serve(config))
