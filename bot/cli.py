"""The `jiesu` command: console demo, bot runner and database upgrade."""

from __future__ import annotations

import argparse
import asyncio
import logging
import os
import sys
from pathlib import Path
from typing import TextIO

from sqlalchemy.exc import ArgumentError, NoSuchModuleError, OperationalError

from bot.config import Config, ConfigError, load
from models.clock import FakeClock
from models.migrations import upgrade
from models.store.database import Database
from scheduler import install

from . import cli_territory, cli_understand
from .app import App
from .channels.console import Console, ConsoleLineError, ConsoleTransport


def _config(args: argparse.Namespace) -> Config:
    config = load(args.config, log_warnings=False)
    for warning in config.warnings:
        print(f"config warning: {warning}", file=sys.stderr)
    if getattr(args, "db", None):
        config.database_url = args.db
    return config


async def run_console(config: Config, source: TextIO, out: TextIO, err: TextIO, jsonl: bool) -> int:
    """Feed lines to the console until the input ends."""
    transport = ConsoleTransport(out, jsonl=jsonl)
    app = App(config, clock=FakeClock(), transports={"console": transport})
    install(app)
    await app.start()
    console = Console(app, transport)
    interactive = source.isatty()
    try:
        while True:
            if interactive:
                err.write("> ")
                err.flush()
            line = await asyncio.to_thread(source.readline)
            if not line:
                return 0
            try:
                await console.run_line(line)
            except ConsoleLineError as exc:
                err.write(f"error: {exc}\n")
                err.flush()
    finally:
        app.close()


def cmd_console(args: argparse.Namespace) -> int:
    """jiesu console."""
    config = _config(args)
    if (reason := cli_territory.not_ready(config)) is not None:
        print(reason, file=sys.stderr)
        return 2
    if args.script:
        path = Path(args.script)
        if not path.is_file():
            print(f"error: script not found: {path}", file=sys.stderr)
            return 2
        with path.open(encoding="utf-8") as fh:
            return asyncio.run(run_console(config, fh, sys.stdout, sys.stderr, args.jsonl))
    return asyncio.run(run_console(config, sys.stdin, sys.stdout, sys.stderr, args.jsonl))


def cmd_db_upgrade(args: argparse.Namespace) -> int:
    """jiesu db upgrade."""
    config = _config(args)
    db = Database(config.database_url)
    try:
        upgrade(db.engine)
    finally:
        db.close()
    print(f"database at {db.engine.url.render_as_string(hide_password=True)} is up to date")
    return 0


def cmd_run(args: argparse.Namespace) -> int:
    """jiesu run: serve the configured channels."""
    config = _config(args)
    from .office import enabled as web_enabled

    if not (config.telegram.token or config.wechat.token or config.wecom.token or web_enabled(config)):
        print(
            "No channel is configured. Set [telegram] token (or JIESU_TELEGRAM_TOKEN) or a [wechat] "
            "section in the config file (or [web] base_url / [open311] api_keys), see config.example.toml.\n"
            "To try Jiesu without any account, run: jiesu console",
            file=sys.stderr,
        )
        return 2
    residents = cli_territory.serves_residents(config)
    if (reason := cli_territory.not_ready(config, residents=residents)) is not None:
        print(reason, file=sys.stderr)
        return 2
    from .runner import run

    return run(config)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of every sub-command."""
    parser = argparse.ArgumentParser(
        prog="jiesu", description="接诉 Jiesu: neighbourhood problems as work orders"
    )
    sub = parser.add_subparsers(dest="command", required=True)
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--config", help="config file (TOML); defaults to the built-in demo settings")
    common.add_argument("--db", help="database URL (overrides [database] url and JIESU_DATABASE_URL)")
    console = sub.add_parser("console", parents=[common], help="chat with the bot in the terminal")
    console.add_argument("--jsonl", action="store_true", help="one JSON object per bot message")
    console.add_argument("--script", help="read lines from this file instead of standard input")
    console.set_defaults(func=cmd_console)
    run = sub.add_parser("run", parents=[common], help="serve Telegram / WeChat")
    run.set_defaults(func=cmd_run)
    db = sub.add_parser("db", help="database maintenance")
    dbsub = db.add_subparsers(dest="db_command", required=True)
    up = dbsub.add_parser("upgrade", parents=[common], help="create or migrate the schema")
    up.set_defaults(func=cmd_db_upgrade)
    cli_territory.register(sub, common, _config)
    from .cli_web import add_parser as add_web_parser  # `jiesu web link USER`

    add_web_parser(sub, common, _config)
    cli_understand.register(sub)
    from . import cli_demo, cli_doctor, cli_qr, cli_rewards, cli_wechat  # going live, 积分回馈

    for module in (cli_demo, cli_doctor, cli_qr, cli_rewards, cli_wechat):
        module.register(sub, common, _config)
    return parser


def main(argv: list[str] | None = None) -> int:
    """Entry point of the `jiesu` command."""
    # Opt in to PTB's coming timedelta durations (else PTB warns whenever it builds a RetryAfter
    # for a 429); the program decides this at its entry point, not a module at import time.
    os.environ.setdefault("PTB_TIMEDELTA", "true")
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    args = build_parser().parse_args(argv)
    try:
        return int(args.func(args))
    except ConfigError as exc:
        print(f"config error: {exc}", file=sys.stderr)
        return 2
    except (ArgumentError, NoSuchModuleError) as exc:
        print(
            f"config error: database URL {exc}; expected sqlite:///FILE or postgresql://USER@HOST/DATABASE",
            file=sys.stderr,
        )
        return 2
    except OperationalError as exc:
        reason = str(exc.orig).strip().splitlines()[0] if exc.orig is not None else str(exc)
        print(f"database error: cannot open the database: {reason}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        return 130


if __name__ == "__main__":
    sys.exit(main())
